--- lcanvas.cli: the `lcanvas` command line: runs automation scripts with a
-- connected `canvas` global (and `catalog` when configured), starts the
-- sandbox, offers a prompt, dry runs and request logs, and keeps the token
-- out of argv, output and tracebacks. This file dispatches; each concern
-- lives next to it: options (lcanvas's own flags), config (flags >
-- environment > profiles), credentials (private token files), clients (the
-- globals), sandbox, repl (-i), help (`help` at the prompt), typeinfo
-- (the types help and report know), shell (quoting) and report (errors).
local lcanvas = require "lcanvas"
local statusline = require "lcanvas.script.statusline"
local options = require "lcanvas.cli.options"
local config = require "lcanvas.cli.config"
local clients_of = require "lcanvas.cli.clients"
local sandbox_cli = require "lcanvas.cli.sandbox"
local repl = require "lcanvas.cli.repl"
local report = require "lcanvas.cli.report"

local M = {}

--- lcanvas.cli.config_path(): the config file's path ($XDG_CONFIG_HOME/lcanvas/config.lua, else ~/.config/lcanvas/config.lua).
M.config_path = config.config_path

--- lcanvas.cli.start_sandbox([extra_args]): starts `lcanvas sandbox` on an ephemeral port; returns {url=, catalog=, pid=, stop=}.
M.start_sandbox = sandbox_cli.start

-- Runs a loaded chunk with its arguments; returns the exit status (and
-- true when the chunk left through os.exit).
local function run_chunk(chunk, args, redact)
  local res = table.pack(xpcall(chunk, report.traceback, table.unpack(args)))
  if res[1] then
    local r = res[2]
    if math.type(r) == "integer" then return r end
    if r == false then return 1 end
    return 0
  end
  return report.failure(res[2], redact)
end

-- `arg` as lua sets it: arg[0] the script (or "-e"), arg[1..] its arguments.
local function set_arg(zero, script_args)
  local a = { [0] = zero }
  for k, v in ipairs(script_args) do a[k] = v end
  a[-1] = arg and arg[0] or "lcanvas"
  _G.arg = a
end

-- The run itself, inside the protection main gives it: connects the
-- clients, then runs -e CODE, the prompt and the script; returns the exit
-- status. `run.sandbox` and `run.clients` are left for main to clean up.
local function body(o, conf, run, redact, secrets)
  if o.sandbox then
    -- -v: the sandbox says on stderr which requests it has no route for.
    run.sandbox = M.start_sandbox(o.verbose > 0 and "--quiet --verbose" or "--quiet")
    conf = { url = run.sandbox.url, token = sandbox_cli.TOKEN }
    if run.sandbox.catalog then
      conf.catalog_url, conf.catalog_token = run.sandbox.catalog, sandbox_cli.CATALOG_KEY
    end
  end
  -- (appended one by one: the token may be nil when refresh gives one)
  for _, s in ipairs({ "token", "catalog_token" }) do
    if conf[s] then secrets[#secrets + 1] = conf[s] end
  end
  if conf.refresh then
    secrets[#secrets + 1] = conf.refresh.client_secret
    secrets[#secrets + 1] = conf.refresh.refresh_token
  end
  local status
  run.clients, status = clients_of.connect(conf, o, redact)
  if status then return status end
  -- Leaving through os.exit would skip stopping the sandbox and
  -- completing output files: unwind instead.
  os.exit = report.exit

  if o.code then
    local chunk, lerr = load(o.code, "=(command line)")
    if not chunk then
      report.say(lerr, redact)
      return 1
    end
    set_arg("-e", o.script_args)
    local exited
    status, exited = run_chunk(chunk, o.script_args, redact)
    if status ~= 0 or exited then return status end
  end
  if o.interactive then return repl.run(redact) end
  if o.script then
    local chunk, lerr = loadfile(o.script ~= "-" and o.script or nil)
    if not chunk then
      report.say(lerr, redact)
      return 2
    end
    set_arg(o.script, o.script_args)
    status = run_chunk(chunk, o.script_args, redact)
  end
  return status
end

--- lcanvas.cli.main(argv): runs the `lcanvas` command line; returns the exit status.
function M.main(argv)
  local ok, o = pcall(options.parse, argv)
  if not ok then
    if getmetatable(o) == report.UsageError then return report.failure(o) end
    error(o, 0)
  end
  if o.help then io.write(options.USAGE); return 0 end
  if o.version then io.write("lcanvas ", lcanvas._VERSION, "\n"); return 0 end
  if o.sandbox_cmd then return require("lcanvas.sandbox").main(o.script_args) end
  if not o.script and not o.code and not o.interactive then
    io.stderr:write(options.USAGE)
    return 2
  end
  statusline.quiet = o.quiet or false
  if statusline.enabled() then statusline.guard_output() end
  lcanvas.outfile.dry_run = o.dry_run or false
  report.verbose = o.verbose

  local conf = {}
  if not o.sandbox then
    local cfg_ok, c = pcall(config.resolve, o)
    if not cfg_ok then
      report.say(c)  -- whatever went wrong, it is the configuration
      return 2
    end
    conf = c
    report.token_from = { canvas = c.token_from, catalog = c.catalog_token_from,
      catalog_url = c.catalog_url }
  end

  local redact, secrets = report.redactor()
  local run = { clients = {} }
  local real_exit = os.exit
  local body_ok, result = xpcall(body, report.traceback, o, conf, run, redact, secrets)
  os.exit = real_exit
  statusline.finish_all()
  if o.dry_run and #run.clients > 0 then clients_of.dry_run_summary(run.clients) end
  if run.sandbox then run.sandbox.stop() end
  if not body_ok then return (report.failure(result, redact)) end
  return result or 0
end

return M
