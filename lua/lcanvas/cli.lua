--- The `lcanvas` command line: runs automation scripts with a connected
-- `canvas` global, starts the sandbox, and keeps the token out of argv,
-- output and tracebacks.
local lcanvas = require "lcanvas"

local M = {}

local USAGE = [[
usage: lcanvas [options] SCRIPT [args...]
       lcanvas [options] run SCRIPT [args...]
       lcanvas [options] -e CODE
       lcanvas sandbox [--port N] [--seed FILE]
       lcanvas --help | --version

Runs a Lua 5.4 script with `arg` set as lua does and a global `canvas`
connected to Canvas.

options:
  --url URL          Canvas base URL (default: $CANVAS_API_URL)
  --token-file FILE  read the API token from FILE (default: $CANVAS_API_TOKEN);
                     the file must not be readable by group or others
  --sandbox          start a local sandbox Canvas with demo data, point
                     `canvas` at it, and stop it when the script ends
  -e CODE            run CODE instead of a script
  -h, --help         show this help
  --version          show the version
]]

-- A usage or configuration error: exit status 2, no traceback.
local UsageError = {}
UsageError.__index = UsageError
UsageError.__tostring = function(e) return e.message end

local function usage_error(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, UsageError), 0)
end

local function read_token_file(path)
  -- Refuse a token file others can read: `stat` is the portable way to see
  -- the mode from Lua without extra modules.
  local p = io.popen("stat -c %a " .. string.format("%q", path) .. " 2>/dev/null")
  local mode = p and p:read("l")
  if p then p:close() end
  if not mode then usage_error("cannot read token file '%s'", path) end
  local m = tonumber(mode, 8) or 0
  if m & 0x3F ~= 0 then  -- any group/other permission bit (0077)
    usage_error("token file '%s' is readable by others (mode %s); run: chmod 600 %s",
      path, mode, path)
  end
  local f, err = io.open(path, "r")
  if not f then usage_error("cannot read token file: %s", err) end
  local token = (f:read("a") or ""):gsub("^%s+", ""):gsub("%s+$", "")
  f:close()
  if token == "" then usage_error("token file '%s' is empty", path) end
  return token
end

local function parse(argv)
  local o = { script_args = {} }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local function value()
      i = i + 1
      if argv[i] == nil then usage_error("option %s needs a value", a) end
      return argv[i]
    end
    if a == "-h" or a == "--help" then o.help = true
    elseif a == "--version" then o.version = true
    elseif a == "--url" then o.url = value()
    elseif a == "--token-file" then o.token_file = value()
    elseif a == "--token" or a:match("^%-%-token=") then
      usage_error("refusing a token on the command line (other users can read it in the " ..
        "process list); use --token-file FILE or the CANVAS_API_TOKEN environment variable")
    elseif a == "--sandbox" then o.sandbox = true
    elseif a == "-e" then o.code = value()
    elseif a == "run" and not o.script and not o.code then
      o.run = true
    elseif a == "sandbox" and not o.script and not o.code and not o.run then
      o.sandbox_cmd = true
      for j = i + 1, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    elseif a == "--" then
      i = i + 1
      if not o.script and not o.code then o.script = argv[i]; i = i + 1 end
      for j = i, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      usage_error("unknown option '%s' (see lcanvas --help)", a)
    else
      if not o.code then o.script = a; i = i + 1 end
      for j = i, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    end
    i = i + 1
  end
  return o
end

--- Starts `lcanvas sandbox` as a child process on an ephemeral port.
-- Returns {url=, pid=, stop=function}.
function M.start_sandbox(extra_args)
  local host = package.loaded["lcanvas.host"]
  local cmd
  if host and host.exe then
    cmd = string.format("exec %q sandbox --port 0 %s", host.exe, extra_args or "")
  else
    -- Not inside the lcanvas executable: run the sandbox with lua5.4.
    local launcher = package.searchpath("lcanvas.sandbox.cli", package.path)
    cmd = string.format("exec lua5.4 %q --port 0 %s", assert(launcher, "sandbox not found"),
      extra_args or "")
  end
  local h = assert(io.popen(cmd, "r"))
  local line = h:read("l")
  local pid, url = (line or ""):match("pid=(%d+) url=(%S+)")
  if not pid then
    h:close()
    error("the sandbox did not start" .. (line and (": " .. line) or ""), 0)
  end
  local stopped = false
  return {
    url = url, pid = tonumber(pid), handle = h,
    stop = function()
      if stopped then return end
      stopped = true
      os.execute("kill " .. pid .. " 2>/dev/null")
      h:close()
    end,
  }
end

local SANDBOX_TOKEN = "sandbox-admin-token"

local function unconfigured()
  return setmetatable({}, { __index = function()
    error("no Canvas configured: set CANVAS_API_URL and CANVAS_API_TOKEN " ..
      "(or --url and --token-file), or run with --sandbox", 2)
  end })
end

local function run_chunk(chunk, args, redact)
  local ok, err = xpcall(chunk, function(e)
    local msg
    if type(e) == "string" then msg = e
    else
      local mt = getmetatable(e)
      msg = (mt and mt.__tostring) and tostring(e) or ("(error object is a " .. type(e) .. " value)")
    end
    return debug.traceback(msg, 2)
  end, table.unpack(args))
  if ok then return 0 end
  io.stderr:write("lcanvas: ", redact(err), "\n")
  return 1
end

function M.main(argv)
  local ok, o = pcall(parse, argv)
  if not ok then
    if getmetatable(o) == UsageError then
      io.stderr:write("lcanvas: ", o.message, "\n")
      return 2
    end
    error(o, 0)
  end
  if o.help then io.write(USAGE); return 0 end
  if o.version then io.write("lcanvas ", lcanvas._VERSION, "\n"); return 0 end
  if o.sandbox_cmd then return require("lcanvas.sandbox").main(o.script_args) end
  if not o.script and not o.code then
    io.stderr:write(USAGE)
    return 2
  end

  local url = o.url or os.getenv("CANVAS_API_URL")
  local token
  local cfg_ok, cfg_err = pcall(function()
    token = o.token_file and read_token_file(o.token_file) or os.getenv("CANVAS_API_TOKEN")
  end)
  if not cfg_ok then
    io.stderr:write("lcanvas: ", tostring(cfg_err), "\n")
    return 2
  end

  local sandbox
  if o.sandbox then
    sandbox = M.start_sandbox("--quiet")
    url, token = sandbox.url, SANDBOX_TOKEN
  end
  local function redact(s)
    s = tostring(s)
    -- Real tokens are long; replacing a one-letter test token would only
    -- garble every message.
    if token and #token >= 8 then
      s = s:gsub(token:gsub("%p", "%%%0"), "[REDACTED]")
    end
    return s
  end

  local status
  local body_ok, body_err = pcall(function()
    if url and token then
      local cok, client = pcall(lcanvas.new, url, token)
      if not cok then
        io.stderr:write("lcanvas: ", redact(client), "\n")
        status = 2
        return
      end
      _G.canvas = client
    else
      _G.canvas = unconfigured()
    end
    local chunk, lerr
    if o.code then
      chunk, lerr = load(o.code, "=(command line)")
    else
      chunk, lerr = loadfile(o.script)
    end
    if not chunk then
      io.stderr:write("lcanvas: ", redact(lerr), "\n")
      status = o.code and 1 or 2
      return
    end
    -- arg as lua sets it: arg[0] the script, arg[1..] its arguments.
    local script_arg = { [0] = o.script or "-e" }
    for k, v in ipairs(o.script_args) do script_arg[k] = v end
    script_arg[-1] = arg and arg[0] or "lcanvas"
    _G.arg = script_arg
    status = run_chunk(chunk, o.script_args, redact)
  end)
  if sandbox then sandbox.stop() end
  if not body_ok then
    io.stderr:write("lcanvas: ", redact(body_err), "\n")
    return 1
  end
  return status
end

return M
