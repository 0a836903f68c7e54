--- The `lcanvas` command line: runs automation scripts with a connected
-- `canvas` global (and `catalog` when configured), starts the sandbox,
-- offers a prompt, dry runs and request logs, and keeps the token out of
-- argv, output and tracebacks.
local lcanvas = require "lcanvas"
local progress = require "lcanvas.script.progress"
local outfile = require "lcanvas.script.outfile"

local M = {}

local USAGE = [[
usage: lcanvas [options] SCRIPT [args...]
       lcanvas [options] run SCRIPT [args...]
       lcanvas [options] -e CODE [-i]
       lcanvas [options] -i
       lcanvas sandbox [--port N] [--seed FILE]
       lcanvas --help | --version

Runs a Lua 5.4 script with `arg` set as lua does and a global `canvas`
connected to Canvas (and `catalog` when a Catalog is configured).

options:
  --url URL          Canvas base URL (default: $CANVAS_API_URL, then the
                     config file's profile)
  --token-file FILE  read the API token from FILE (default: $CANVAS_API_TOKEN,
                     then the profile); the file must not be readable by
                     group or others
  --refresh-file FILE
                     OAuth2 refresh credentials: a JSON object or Lua table
                     with client_id, client_secret and refresh_token (mode
                     600 like a token file); the token is then refreshed
                     when it expires, and may be left out
  --profile NAME     use profile NAME of the config file
                     ($XDG_CONFIG_HOME/lcanvas/config.lua, else
                     ~/.config/lcanvas/config.lua) instead of its default
  --catalog-url URL, --catalog-token-file FILE
                     the Catalog (default: $CANVAS_CATALOG_URL and
                     $CANVAS_CATALOG_TOKEN, then the profile)
                     A token is only sent to the URL given with it: one
                     from a level (environment, profile) that names
                     another URL than the one in use is refused
  --sandbox          start a local sandbox Canvas with demo data, point
                     `canvas` at it, and stop it when the script ends
  --dry-run          send reads, but only print POST/PUT/PATCH/DELETE
                     requests (on stderr) and count them
  -v, --verbose      one line per request on stderr; -vv adds the bodies
  -q, --quiet        no progress line
  -e CODE            run CODE instead of a script
  -i                 interactive prompt (after -e CODE, if given)
  -h, --help         show this help
  --version          show the version

Exit status: 0 success, 1 a script error (or what the script returned or
passed to os.exit), 2 a usage or configuration error, 130 interrupted.
]]

-- A usage or configuration error: exit status 2, no traceback.
local UsageError = {}
UsageError.__index = UsageError
UsageError.__tostring = function(e) return e.message end

local function usage_error(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, UsageError), 0)
end

-- os.exit inside a script: unwinds (so the sandbox stops, output files
-- close, the dry-run summary prints) and then exits with the code. The
-- metatable lives in lcanvas.outfile so that output files closed by this
-- unwinding are completed, not removed.
local Exit = outfile.Exit

local function file_mode(path)
  local p = io.popen("stat -L -c %a " .. string.format("%q", path) .. " 2>/dev/null")
  local mode = p and p:read("l")
  if p then p:close() end
  return mode
end

local function private_mode(mode)
  return (tonumber(mode, 8) or 0) & 0x3F == 0  -- no group/other bits (0077)
end

local function read_token_file(path, what)
  what = what or "token file"
  -- `stat` is the portable way to see the mode from Lua without extra modules.
  local mode = file_mode(path)
  if not mode then usage_error("cannot read %s '%s'", what, path) end
  if not private_mode(mode) then
    usage_error("%s '%s' is readable by others (mode %s); run: chmod 600 %s",
      what, path, mode, path)
  end
  local f, err = io.open(path, "r")
  if not f then usage_error("cannot read %s: %s", what, err) end
  local token = (f:read("a") or ""):gsub("^%s+", ""):gsub("%s+$", "")
  f:close()
  if token == "" then usage_error("%s '%s' is empty", what, path) end
  return token
end

local REFRESH_FIELDS = { "client_id", "client_secret", "refresh_token" }

-- OAuth2 refresh credentials from a private file: a JSON object or a Lua
-- table (evaluated with no globals). Messages name fields, never values.
local function read_refresh_file(path)
  local text = read_token_file(path, "refresh file")
  local ok, t = pcall(lcanvas.json.decode, text)
  if not ok or type(t) ~= "table" then
    local chunk = load("return " .. text, "=refresh file", "t", {})
    local cok, v = false, nil
    if chunk then cok, v = pcall(chunk) end
    if not cok or type(v) ~= "table" then
      usage_error("refresh file '%s' must hold a JSON object or a Lua table with client_id, " ..
        "client_secret and refresh_token", path)
    end
    t = v
  end
  local known = {}
  for _, k in ipairs(REFRESH_FIELDS) do
    known[k] = true
    if type(t[k]) ~= "string" or t[k] == "" then
      usage_error("refresh file '%s': '%s' must be a non-empty string", path, k)
    end
  end
  for k in pairs(t) do
    if not known[k] then usage_error("refresh file '%s' has an unknown key '%s'", path, tostring(k)) end
  end
  return { client_id = t.client_id, client_secret = t.client_secret, refresh_token = t.refresh_token }
end

local function parse(argv)
  local o = { script_args = {}, verbose = 0 }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local inline
    if a:match("^%-%-[%w-]+=") then a, inline = a:match("^(%-%-[%w-]+)=(.*)$") end
    local function value()
      if inline then return inline end
      i = i + 1
      if argv[i] == nil then usage_error("option %s needs a value", a) end
      return argv[i]
    end
    if a == "-h" or a == "--help" then o.help = true
    elseif a == "--version" then o.version = true
    elseif a == "--url" then o.url = value()
    elseif a == "--token-file" then o.token_file = value()
    elseif a == "--refresh-file" then o.refresh_file = value()
    elseif a == "--profile" then o.profile = value()
    elseif a == "--catalog-url" then o.catalog_url = value()
    elseif a == "--catalog-token-file" then o.catalog_token_file = value()
    elseif a == "--token" or a == "--catalog-token" then
      usage_error("refusing a token on the command line (other users can read it in the " ..
        "process list); use --token-file FILE or the CANVAS_API_TOKEN environment variable")
    elseif a == "--sandbox" then o.sandbox = true
    elseif a == "--dry-run" then o.dry_run = true
    elseif a == "-v" or a == "--verbose" then o.verbose = o.verbose + 1
    elseif a == "-vv" then o.verbose = o.verbose + 2
    elseif a == "-q" or a == "--quiet" then o.quiet = true
    elseif a == "-e" then o.code = value()
    elseif a == "-i" then o.interactive = true
    elseif a == "run" and not o.script and not o.code and not o.run then
      o.run = true
    elseif a == "sandbox" and not o.script and not o.code and not o.run then
      o.sandbox_cmd = true
      for j = i + 1, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    elseif a == "--" then
      i = i + 1
      if not o.script and not o.code and argv[i] then o.script = argv[i]; i = i + 1 end
      for j = i, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    elseif inline or (a:sub(1, 1) == "-" and a ~= "-") then
      usage_error("unknown option '%s' (see lcanvas --help)", a)
    else
      if not o.code then o.script = a; i = i + 1 end
      for j = i, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    end
    i = i + 1
  end
  if o.run and not o.script then usage_error("run needs a SCRIPT (see lcanvas --help)") end
  if o.script and o.interactive then usage_error("-i runs a prompt, not a script; use -e CODE -i") end
  return o
end

-- ------------------------------------------------------------ configuration

--- lcanvas.cli.config_path(): the config file's path ($XDG_CONFIG_HOME/lcanvas/config.lua, else ~/.config/lcanvas/config.lua).
function M.config_path()
  local xdg = os.getenv("XDG_CONFIG_HOME")
  if xdg and xdg ~= "" then return xdg .. "/lcanvas/config.lua" end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.config/lcanvas/config.lua" end
end

local PROFILE_KEYS = { url = true, token_file = true, token = true, catalog_url = true,
  catalog_token_file = true, catalog_token = true, refresh_file = true }

-- Loads the config file (a Lua table, evaluated with no globals at all) and
-- returns the chosen profile, its name and the file's path (or nil).
local function load_profile(name)
  local path = M.config_path()
  local f = path and io.open(path, "r")
  if not f then
    if name then usage_error("profile '%s' asked for, but there is no config file (%s)", name, tostring(path)) end
    return nil
  end
  local text = f:read("a")
  f:close()
  local chunk, err = load("return " .. text, "@" .. path, "t", {})
  if not chunk then chunk, err = load(text, "@" .. path, "t", {}) end
  if not chunk then usage_error("config file: %s", err) end
  local ok, cfg = pcall(chunk)
  if not ok then usage_error("config file %s: %s", path, tostring(cfg)) end
  if type(cfg) ~= "table" then usage_error("config file %s must be a Lua table", path) end
  local profiles = cfg.profiles
  if profiles ~= nil and type(profiles) ~= "table" then
    usage_error("config file %s: 'profiles' must be a table of named profiles", path)
  end
  profiles = profiles or {}
  local chosen = name or cfg.default
  if chosen == nil then return nil end
  local p = profiles[chosen]
  if type(p) ~= "table" then
    local names = {}
    for k in pairs(profiles) do names[#names + 1] = tostring(k) end
    table.sort(names)
    usage_error("config file %s has no profile '%s' (profiles: %s)", path, tostring(chosen),
      #names > 0 and table.concat(names, ", ") or "none")
  end
  for k, v in pairs(p) do
    if not PROFILE_KEYS[k] then
      usage_error("config file %s: profile '%s' has an unknown key '%s'", path, chosen, tostring(k))
    end
    if type(v) ~= "string" then
      usage_error("config file %s: profile '%s': '%s' must be a string", path, chosen, tostring(k))
    end
  end
  if p.token or p.catalog_token then
    -- A token written in the config is only as safe as the file's mode.
    local mode = file_mode(path)
    if not mode or not private_mode(mode) then
      usage_error("config file %s holds a token but is readable by others (mode %s); " ..
        "run: chmod 600 %s, or use token_file", path, tostring(mode), path)
    end
  end
  local function expand(v)  -- "~/x" in token_file
    if v and v:sub(1, 2) == "~/" then return (os.getenv("HOME") or "") .. v:sub(2) end
    return v
  end
  p.token_file, p.catalog_token_file = expand(p.token_file), expand(p.catalog_token_file)
  p.refresh_file = expand(p.refresh_file)
  return p, chosen, path
end

local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

-- URLs compared for "is this token meant for this URL": scheme and host
-- are case-insensitive, a trailing slash does not matter.
local function same_url(a, b)
  local function norm(u)
    u = u:gsub("/+$", "")
    local origin, rest = u:match("^(%a[%w+.-]*://[^/]*)(.*)$")
    if origin then return origin:lower() .. rest end
    return u
  end
  return norm(a) == norm(b)
end

-- Resolves the Canvas and the Catalog URL and token. Each is taken from the
-- highest level that has it: flags > an explicit --profile > environment >
-- the config file's default profile. A token belongs to the URL of its own
-- level: one from a level that names another URL than the one in use is
-- refused, so that a token is never sent to a host it was not given for.
local function resolve(o)
  local p, pname, ppath = load_profile(o.profile)
  p = p or {}
  local explicit = o.profile ~= nil
  local profile_where = string.format("profile '%s' of %s", tostring(pname), tostring(ppath))
  local function endpoint(k)
    local levels = {
      { where = k.url_flag, url = o[k.url_key],
        token_where = k.token_flag, token = o[k.token_file_key] and function()
          return read_token_file(o[k.token_file_key], k.file_what) end },
    }
    local prof = { where = profile_where, url = p[k.url_key],
      token_where = profile_where .. " (" .. (p[k.token_key] and k.token_key or k.token_file_key) .. ")",
      token = (p[k.token_key] or p[k.token_file_key]) and function()
        return p[k.token_key] or read_token_file(p[k.token_file_key], k.file_what) end }
    if explicit then levels[#levels + 1] = prof end
    levels[#levels + 1] = { where = k.url_env, url = env(k.url_env),
      token_where = k.token_env, token = env(k.token_env) and function() return env(k.token_env) end }
    if not explicit then levels[#levels + 1] = prof end
    local url_level, token_level
    for _, l in ipairs(levels) do
      if l.url and not url_level then url_level = l end
      if l.token and not token_level then token_level = l end
    end
    local url = url_level and url_level.url
    if url and token_level and token_level.url and not same_url(token_level.url, url) then
      usage_error("the %s token from %s is meant for %s (the URL given there), but the URL in use is %s " ..
        "(from %s); refusing to send the token there. Give the token for %s with %s FILE or %s, " ..
        "or choose one complete set with --profile NAME",
        k.what, token_level.token_where, token_level.url, url, url_level.where, url, k.token_flag, k.token_env)
    end
    return url, token_level and token_level.token()
  end
  local c = {}
  c.url, c.token = endpoint({ what = "Canvas", url_key = "url", token_key = "token",
    token_file_key = "token_file", url_flag = "--url", token_flag = "--token-file",
    url_env = "CANVAS_API_URL", token_env = "CANVAS_API_TOKEN", file_what = "token file" })
  -- A profile's refresh credentials only go with that profile's own URL:
  -- never send its client secret to a Canvas named elsewhere.
  if o.refresh_file then c.refresh = read_refresh_file(o.refresh_file)
  elseif p.refresh_file and p.url and c.url and same_url(c.url, p.url) then
    c.refresh = read_refresh_file(p.refresh_file)
  end
  c.catalog_url, c.catalog_token = endpoint({ what = "Catalog", url_key = "catalog_url",
    token_key = "catalog_token", token_file_key = "catalog_token_file", url_flag = "--catalog-url",
    token_flag = "--catalog-token-file", url_env = "CANVAS_CATALOG_URL", token_env = "CANVAS_CATALOG_TOKEN",
    file_what = "Catalog token file" })
  return c
end

-- ------------------------------------------------------------ sandbox

--- lcanvas.cli.start_sandbox([extra_args]): starts `lcanvas sandbox` on an ephemeral port; returns {url=, catalog=, pid=, stop=}.
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
    catalog = line:match(" catalog=(%S+)"),
    stop = function()
      if stopped then return end
      stopped = true
      os.execute("kill " .. pid .. " 2>/dev/null")
      h:close()  -- waits for it to exit
    end,
  }
end

local SANDBOX_TOKEN = "sandbox-admin-token"
local SANDBOX_CATALOG_KEY = "sandbox-catalog-key"

-- Stands in for `canvas`/`catalog` when nothing is configured: any use is
-- a configuration error (exit status 2, the one-line message, no traceback).
local function unconfigured(what, how)
  return setmetatable({}, { __index = function()
    error(setmetatable({ message = "no " .. what .. " configured: " .. how }, UsageError), 0)
  end })
end

-- ------------------------------------------------------------ running

local function message_of(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  return "(error object is a " .. type(e) .. " value)"
end

local function is_interrupt(e)
  return type(e) == "string" and (e == "interrupted" or e:find(": interrupted$") ~= nil)
end

local function run_chunk(chunk, args, redact)
  local res = table.pack(xpcall(chunk, function(e)
    if getmetatable(e) == Exit or getmetatable(e) == UsageError or is_interrupt(e) then return e end
    return debug.traceback(message_of(e), 2)
  end, table.unpack(args)))
  if res[1] then
    local r = res[2]
    if math.type(r) == "integer" then return r end
    if r == false then return 1 end
    return 0
  end
  local err = res[2]
  if getmetatable(err) == Exit then return err.code, true end
  if getmetatable(err) == UsageError then
    io.stderr:write("lcanvas: ", redact(err.message), "\n")
    return 2
  end
  if is_interrupt(err) then
    io.stderr:write("lcanvas: interrupted\n")
    return 130
  end
  io.stderr:write("lcanvas: ", redact(err), "\n")
  return 1
end

-- Prints a value for the prompt: plain tables as JSON when they can be.
local function show(v)
  if type(v) == "table" and getmetatable(v) == nil then
    local ok, s = pcall(lcanvas.json.encode, v)
    if ok then return s end
  end
  return tostring(v)
end

-- A read-eval-print loop like lua's: expressions print their values,
-- statements run, incomplete input continues on the next line, and an
-- error is reported without ending the session.
local function repl(redact)
  local host = package.loaded["lcanvas.host"]
  local tty = host and host.isatty and host.isatty(0)
  local buffer = ""
  while true do
    if tty then
      io.stdout:write(buffer == "" and "> " or ">> ")
      io.stdout:flush()
    end
    local line = io.stdin:read("L")
    if not line then
      -- Input ended inside an unfinished statement: say what is wrong.
      if buffer:find("%S") then
        local _, err = load(buffer, "=stdin")
        io.stderr:write("lcanvas: ", redact(err or "incomplete input"), "\n")
      end
      break
    end
    if buffer == "" and line:sub(1, 1) == "=" then line = "return " .. line:sub(2) end
    buffer = buffer .. line
    local chunk, err = load("return " .. buffer, "=stdin")
    if not chunk then chunk, err = load(buffer, "=stdin") end
    if chunk or not err:find("<eof>$") then
      buffer = ""
      if not chunk then
        io.stderr:write("lcanvas: ", redact(err), "\n")
      else
        local res = table.pack(xpcall(chunk, function(e)
          if getmetatable(e) == Exit then return e end
          return message_of(e)
        end))
        if res[1] then
          if res.n > 1 then
            local out = {}
            for i = 2, res.n do out[#out + 1] = show(res[i]) end
            io.stdout:write(table.concat(out, "\t"), "\n")
            io.stdout:flush()
          end
        elseif getmetatable(res[2]) == Exit then
          return res[2].code
        elseif is_interrupt(res[2]) then
          io.stderr:write("lcanvas: interrupted\n")
          return 130
        else
          io.stderr:write("lcanvas: ", redact(res[2]), "\n")
        end
      end
    end
  end
  if tty then io.stdout:write("\n") end
  return 0
end

local ORDER = { "POST", "PUT", "PATCH", "DELETE" }

local function dry_run_summary(clients)
  local counts, total = {}, 0
  for _, c in ipairs(clients) do
    -- A Catalog client is a Lua table around a core client.
    local ok, t = pcall(function() return (type(c) == "table" and c.client or c).dry_run_counts end)
    if ok and type(t) == "table" then
      for m, n in pairs(t) do counts[m] = (counts[m] or 0) + n; total = total + n end
    end
  end
  local parts = {}
  for _, m in ipairs(ORDER) do
    if counts[m] then parts[#parts + 1] = counts[m] .. " " .. m end
  end
  io.stderr:write(string.format("dry run: %d change%s not sent%s\n", total, total == 1 and "" or "s",
    #parts > 0 and (" (" .. table.concat(parts, ", ") .. ")") or ""))
end

--- lcanvas.cli.main(argv): runs the `lcanvas` command line; returns the exit status.
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
  if not o.script and not o.code and not o.interactive then
    io.stderr:write(USAGE)
    return 2
  end
  progress.quiet = o.quiet or false

  local conf = {}
  if not o.sandbox then
    local cfg_ok, c = pcall(resolve, o)
    if not cfg_ok then
      io.stderr:write("lcanvas: ", message_of(c), "\n")
      return 2
    end
    conf = c
  end

  local sandbox
  local secrets = {}
  local function redact(s)
    s = message_of(s)
    -- Real tokens are long; replacing a one-letter test token would only
    -- garble every message.
    for _, t in ipairs(secrets) do
      if #t >= 8 then s = s:gsub(t:gsub("%p", "%%%0"), "[REDACTED]") end
    end
    return s
  end

  local status
  local clients = {}
  local real_exit = os.exit
  local body_ok, body_err = xpcall(function()
    if o.sandbox then
      sandbox = M.start_sandbox("--quiet")
      conf = { url = sandbox.url, token = SANDBOX_TOKEN }
      if sandbox.catalog then conf.catalog_url, conf.catalog_token = sandbox.catalog, SANDBOX_CATALOG_KEY end
    end
    -- (appended one by one: the token may be nil when refresh gives one)
    secrets = {}
    for _, s in ipairs({ "token", "catalog_token" }) do
      if conf[s] then secrets[#secrets + 1] = conf[s] end
    end
    if conf.refresh then
      secrets[#secrets + 1] = conf.refresh.client_secret
      secrets[#secrets + 1] = conf.refresh.refresh_token
    end
    local opts = { dry_run = o.dry_run or nil, verbose = o.verbose > 0 and o.verbose or nil }
    if conf.url and (conf.token or conf.refresh) then
      local copts = { refresh = conf.refresh }  -- the Canvas client only, not the Catalog's
      for k, v in pairs(opts) do copts[k] = v end
      local cok, client = pcall(lcanvas.new, conf.url, conf.token, copts)
      if not cok then
        io.stderr:write("lcanvas: ", redact(client), "\n")
        status = 2
        return
      end
      progress.attach(client)
      _G.canvas = client
      clients[#clients + 1] = client
    else
      _G.canvas = unconfigured("Canvas", "set CANVAS_API_URL and CANVAS_API_TOKEN " ..
        "(or --url and --token-file, or a profile in " .. tostring(M.config_path()) ..
        "), or run with --sandbox")
    end
    local catalog_api = rawget(lcanvas, "catalog")
    if conf.catalog_url and conf.catalog_token and type(catalog_api) == "table"
        and type(catalog_api.new) == "function" then
      local cok, client = pcall(catalog_api.new, conf.catalog_url, conf.catalog_token, opts)
      if not cok then
        io.stderr:write("lcanvas: ", redact(client), "\n")
        status = 2
        return
      end
      if type(client) == "table" and client.client then progress.attach(client.client) end
      _G.catalog = client
      clients[#clients + 1] = client
    else
      _G.catalog = unconfigured("Catalog", "set CANVAS_CATALOG_URL and CANVAS_CATALOG_TOKEN " ..
        "(or --catalog-url and --catalog-token-file, or a profile), or run with --sandbox")
    end
    -- Leaving through os.exit would skip stopping the sandbox and
    -- completing output files: unwind instead.
    os.exit = function(code)
      if code == true or code == nil then code = 0 elseif code == false then code = 1 end
      error(setmetatable({ code = math.tointeger(code) or 1 }, Exit), 0)
    end

    if o.code then
      local chunk, lerr = load(o.code, "=(command line)")
      if not chunk then
        io.stderr:write("lcanvas: ", redact(lerr), "\n")
        status = 1
        return
      end
      _G.arg = { [0] = "-e", [-1] = arg and arg[0] or "lcanvas" }
      for k, v in ipairs(o.script_args) do _G.arg[k] = v end
      local exited
      status, exited = run_chunk(chunk, o.script_args, redact)
      if status ~= 0 or exited then return end
    end
    if o.interactive then
      status = repl(redact)
      return
    end
    if o.script then
      local chunk, lerr = loadfile(o.script ~= "-" and o.script or nil)
      if not chunk then
        io.stderr:write("lcanvas: ", redact(lerr), "\n")
        status = 2
        return
      end
      -- arg as lua sets it: arg[0] the script, arg[1..] its arguments.
      local script_arg = { [0] = o.script }
      for k, v in ipairs(o.script_args) do script_arg[k] = v end
      script_arg[-1] = arg and arg[0] or "lcanvas"
      _G.arg = script_arg
      status = run_chunk(chunk, o.script_args, redact)
    end
  end, function(e)
    if is_interrupt(e) or getmetatable(e) == Exit or getmetatable(e) == UsageError then return e end
    return debug.traceback(message_of(e), 2)
  end)
  os.exit = real_exit
  progress.finish_all()
  if o.dry_run and #clients > 0 then dry_run_summary(clients) end
  if sandbox then sandbox.stop() end
  if not body_ok then
    if getmetatable(body_err) == Exit then return body_err.code end
    if getmetatable(body_err) == UsageError then
      io.stderr:write("lcanvas: ", redact(body_err.message), "\n")
      return 2
    end
    if is_interrupt(body_err) then
      io.stderr:write("lcanvas: interrupted\n")
      return 130
    end
    io.stderr:write("lcanvas: ", redact(body_err), "\n")
    return 1
  end
  return status or 0
end

return M
