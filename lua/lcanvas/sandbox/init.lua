--- The sandbox Canvas: a fake Canvas LMS on loopback for trying scripts
-- safely and for the test suite. `lcanvas sandbox` runs it; see main().
-- cqueues is the one thing the sandbox needs beyond lcanvas, and the rock
-- does not depend on it: without it `lcanvas sandbox` (and so
-- `lcanvas --sandbox`, which prints this line as the reason) says what to
-- install instead of failing with a module search path.
local has_cqueues, cqueues = pcall(require, "cqueues")
if not has_cqueues then
  local MISSING = "the sandbox needs the Lua module cqueues, which is not installed " ..
    "(Debian: apt install lua-cqueues; LuaRocks: luarocks install cqueues)"
  return {
    missing = MISSING,
    main = function()
      io.stdout:write("lcanvas sandbox: ", MISSING, "\n")
      io.stdout:flush()
      return 2
    end,
  }
end
local http = require "lcanvas.sandbox.http"
local App = require "lcanvas.sandbox.app"
local Store = require "lcanvas.sandbox.store"
local Catalog = require "lcanvas.sandbox.catalog"

local M = {}

local USAGE = [[
usage: lcanvas sandbox [--port N] [--host ADDR] [--seed FILE] [--catalog] [--quiet]
                       [-v|--verbose] [--parent PID]

Runs a fake Canvas with demo data until interrupted. Tokens (seed default):
  sandbox-admin-token   sandbox-teacher-token   sandbox-student-token
  sandbox-parent-token  sandbox-noperm-token
OAuth2 (POST /login/oauth2/token, grant_type=refresh_token): developer key
sandbox-client / sandbox-secret, refresh token sandbox-refresh-token (admin);
sandbox-expired-token is an expired admin token to refresh.
Demo observer links: user 121 observes 122 and 123, user 141 observes 142.
It answers as Canvas Cloud does (429 throttling, lowercase header names,
optional user fields only for include[]); see doc/sandbox.md.
Besides the Canvas origin it listens on an "alt" origin (another port, to
prove tokens never go to foreign origins), a "storage" origin (the file
store: uploads go there, a File's url redirects there) and a Canvas Catalog
origin (API key sandbox-catalog-key, sent as `Authorization: Token
token="..."`); --catalog also prints its URL and key.
Tests drive it through /__sandbox/ (requests, faults, config, reset, routes,
files). A request no route matches gets Canvas's 404 with the header
`X-Sandbox-Route: none` (a missing record's 404 has none); -v, --verbose
also prints one line per such request on stderr (`lcanvas -v --sandbox`
passes it on).
--parent PID (what `lcanvas --sandbox` passes): stop when that process, the
parent, dies, however it dies.
]]

local function read_pid()
  local f = io.open("/proc/self/stat", "r")
  if not f then return 0 end
  local pid = f:read("n")
  f:close()
  return pid or 0
end

--- Loads a seed: the bundled one, or a Lua file returning the same shape.
function M.load_seed(path)
  if not path then return require("lcanvas.sandbox.seed") end
  local chunk, err = loadfile(path, "t", {})
  if not chunk then error("cannot load seed: " .. err, 0) end
  local ok, seed = pcall(chunk)
  if not ok or type(seed) ~= "table" then error("seed file must return a table: " .. tostring(seed), 0) end
  return seed
end

--- Builds and binds a sandbox; returns {app=, cq=, port=, alt_port=,
-- storage_port=, catalog_port=}.
function M.start(opts)
  opts = opts or {}
  local host = opts.host or "127.0.0.1"
  local app = App.new(Store.new(M.load_seed(opts.seed)))
  app.verbose = opts.verbose or false
  local cq = cqueues.new()
  local main, port = http.listen(host, opts.port or 0)
  local alt, alt_port = http.listen(host, 0)
  local storage, storage_port = http.listen(host, 0)
  local catalog, catalog_port = http.listen(host, 0)
  local function handler_for(origin)
    return function(req) return app:handle(req, origin) end
  end
  -- Routes that hand out URLs on the other origins (upload_url) need them.
  app.urls = { main = string.format("http://%s:%d", host, port), alt = string.format("http://%s:%d", host, alt_port),
    storage = string.format("http://%s:%d", host, storage_port) }
  local function limits() return app.config.http end
  http.serve(cq, main, handler_for("main"), limits)
  http.serve(cq, alt, handler_for("alt"), limits)
  http.serve(cq, storage, handler_for("storage"), limits)
  http.serve(cq, catalog, Catalog.handler(app), limits)
  return { app = app, cq = cq, host = host, port = port, alt_port = alt_port, storage_port = storage_port,
    catalog_port = catalog_port }
end

-- The ready line launchers wait for, and the human message.
local function announce(s, opts)
  io.stdout:write(string.format(
    "lcanvas-sandbox ready pid=%d url=http://%s:%d alt=http://%s:%d storage=http://%s:%d catalog=http://%s:%d\n",
    read_pid(), s.host, s.port, s.host, s.alt_port, s.host, s.storage_port, s.host, s.catalog_port))
  io.stdout:flush()
  if not opts.quiet then
    -- One write per line: a reader polling stderr never sees half a line.
    io.stderr:write(string.format("Sandbox Canvas at http://%s:%d (token: sandbox-admin-token). " ..
      "Ctrl-C stops it.\n", s.host, s.port))
    if opts.catalog then
      io.stderr:write(string.format("Sandbox Canvas Catalog at http://%s:%d (API key: %s).\n",
        s.host, s.catalog_port, Catalog.API_KEY))
    end
  end
end

function M.main(argv)
  local opts = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--port" then
      i = i + 1
      opts.port = math.tointeger(tonumber(argv[i]))
      if not opts.port or opts.port < 0 or opts.port > 65535 then
        io.stderr:write("lcanvas sandbox: --port needs a number from 0 to 65535\n")
        return 2
      end
    elseif a == "--host" then i = i + 1; opts.host = argv[i]
    elseif a == "--seed" then i = i + 1; opts.seed = argv[i]
    elseif a == "--quiet" then opts.quiet = true
    elseif a == "-v" or a == "--verbose" then opts.verbose = true
    elseif a == "--catalog" then opts.catalog = true
    elseif a == "--parent" then
      i = i + 1
      opts.parent = math.tointeger(tonumber(argv[i]))
      if not opts.parent or opts.parent <= 0 then
        io.stderr:write("lcanvas sandbox: --parent needs a process id\n")
        return 2
      end
    elseif a == "-h" or a == "--help" then io.write(USAGE); return 0
    else
      io.stderr:write("lcanvas sandbox: unknown argument '", tostring(a), "'\n", USAGE)
      return 2
    end
    i = i + 1
  end
  if opts.parent then
    -- The kernel sends SIGTERM when the parent dies (the lcanvas host's
    -- PR_SET_PDEATHSIG), which stops the loop below like Ctrl-C: no
    -- sandbox outlives a host killed by SIGKILL or SIGPIPE.
    -- Elsewhere (not Linux, not the lcanvas executable) the host still
    -- stops it when it ends normally.
    local host = package.loaded["lcanvas.host"]
    if host and host.die_with_parent and host.die_with_parent(opts.parent) == nil then
      return 1  -- the parent is already gone
    end
  end
  -- Under the lcanvas host, Ctrl-C and SIGTERM (also the parent's death)
  -- arrive as an "interrupted" error, at any point: that is the normal way
  -- to stop a sandbox.
  local function interrupted(e) return tostring(e):find("interrupted", 1, true) ~= nil end
  local ok, s = pcall(M.start, opts)
  if not ok then
    if interrupted(s) then return 0 end
    io.stderr:write("lcanvas sandbox: ", tostring(s), "\n")
    return 1
  end
  local called, loop_ok, err = pcall(function()
    announce(s, opts)
    return s.cq:loop()
  end)
  if not called then loop_ok, err = false, loop_ok end
  if not loop_ok and not interrupted(err) then
    io.stderr:write("lcanvas sandbox: ", tostring(err), "\n")
    return 1
  end
  return 0
end

return M
