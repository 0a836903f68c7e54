-- Test helper: one sandbox Canvas process for the whole busted run, started
-- on first use on an ephemeral port and killed when Lua closes, plus a small
-- client for its /__sandbox control API. The control client uses luasocket,
-- not lcanvas, so the code under test never checks itself.
local http = require "socket.http"
local ltn12 = require "ltn12"

local here = debug.getinfo(1, "S").source:match("^@(.*)/spec/helper%.lua$") or "."
local root = here == "" and "." or here
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/spec/?.lua;" .. package.path
local json = require "lcanvas.sandbox.json"

-- The sanitizer run preloads ASan into lua5.4. Other programs the specs
-- start (curl, pgrep, the sandbox's lua5.4) must not inherit it: some of
-- them deadlock at start-up with ASan preloaded.
if os.getenv("LD_PRELOAD") and not io.__lcanvas_unpreload then
  local popen, execute = io.popen, os.execute
  io.popen = function(cmd, ...) return popen("unset LD_PRELOAD; " .. cmd, ...) end
  os.execute = function(cmd)
    if cmd == nil then return execute() end
    return execute("unset LD_PRELOAD; " .. cmd)
  end
  io.__lcanvas_unpreload = true
end

-- busted restores package.loaded between files; the registry survives, so
-- the one process is found again instead of started twice.
local REG = "lcanvas.spec.sandbox"
local registry = debug.getregistry()

local M = {
  root = root,
  tokens = {
    admin = "sandbox-admin-token", teacher = "sandbox-teacher-token",
    student = "sandbox-student-token", parent = "sandbox-parent-token",
    noperm = "sandbox-noperm-token",
  },
  catalog_key = "sandbox-catalog-key",   -- the sandbox Catalog's API key
}

local function state() return registry[REG] end

local function control(method, path, body)
  local s = assert(state(), "sandbox not started")
  local chunks = {}
  local ok, code = http.request({
    url = s.url .. "/__sandbox/" .. path, method = method,
    source = body and ltn12.source.string(body) or nil,
    headers = body and { ["content-type"] = "application/json", ["content-length"] = #body } or nil,
    sink = ltn12.sink.table(chunks),
  })
  if not ok or code ~= 200 then
    error(string.format("sandbox control %s %s failed: %s %s", method, path, tostring(code),
      table.concat(chunks)), 2)
  end
  return assert(json.decode(table.concat(chunks)))
end

--- Starts the sandbox once (extra_args only matter for the first start).
function M.start(extra_args)
  local s = state()
  if s then
    M.url, M.alt, M.storage, M.pid, M.catalog = s.url, s.alt, s.storage, s.pid, s.catalog
    return s
  end
  -- The sanitizer run preloads ASan into lua5.4; the sandbox is a plain
  -- Lua process and must not inherit that.
  local cmd = string.format("exec env -u LD_PRELOAD lua5.4 %q --port 0 --quiet %s",
    root .. "/lua/lcanvas/sandbox/cli.lua", extra_args or "")
  local h = assert(io.popen(cmd, "r"))
  local line = h:read("l")
  local pid, url, alt, storage = (line or ""):match("pid=(%d+) url=(%S+) alt=(%S+) storage=(%S+)")
  if not pid then
    h:close()
    error("the sandbox did not start: " .. tostring(line), 2)
  end
  -- Extra key=value fields may follow; the Catalog origin is one of them.
  local catalog = line:match(" catalog=(%S+)")
  s = { url = url, alt = alt, storage = storage, catalog = catalog, pid = tonumber(pid), handle = h }
  -- Killed when the Lua state closes (busted exits through os.exit(_, true)).
  s.sentinel = setmetatable({}, { __gc = function()
    os.execute("kill " .. pid .. " 2>/dev/null")
    pcall(h.close, h)
  end })
  registry[REG] = s
  M.url, M.alt, M.storage, M.pid, M.catalog = url, alt, storage, s.pid, catalog
  return s
end

function M.stop()
  local s = state()
  if not s then return end
  registry[REG] = nil
  os.execute("kill " .. s.pid .. " 2>/dev/null")
  pcall(s.handle.close, s.handle)
  M.url = nil
end

function M.requests(since)
  local log = control("GET", "requests" .. (since and ("?since=" .. since) or ""))
  for _, r in ipairs(log) do r.query = r.query or ""; r.body = r.body or "" end
  return log
end

function M.clear_requests() return control("DELETE", "requests") end
function M.reset() return control("POST", "reset") end
function M.config(t) return control("POST", "config", json.encode(t)) end
function M.fault(t) return control("POST", "faults", json.encode(t)) end
function M.clear_faults() return control("DELETE", "faults") end
--- The logged requests (control API's left out) that came to one origin ("main", "storage", "alt", "catalog").
function M.by_origin(origin)
  local out = {}
  for _, r in ipairs(M.requests()) do
    if r.origin == origin then out[#out + 1] = r end
  end
  return out
end

--- A File in a user's files without an upload (POST /__sandbox/files): {user_id=, name=, size=} (byte i is (i*31+7)%256) or content=; its File JSON.
function M.make_file(t) return control("POST", "files", json.encode(t)) end

--- The last logged request matching filter(r), or the last one.
function M.last_request(filter)
  local log = M.requests()
  for i = #log, 1, -1 do
    if not filter or filter(log[i]) then return log[i] end
  end
end

--- The requests that reached the Canvas API (not the control API or other
-- origins' uploads), oldest first.
function M.api_requests(filter)
  local out = {}
  for _, r in ipairs(M.requests()) do
    if r.path:find("^/api/v1/") and (not filter or filter(r)) then out[#out + 1] = r end
  end
  return out
end

--- True once nothing listens at the sandbox behind `url` any more (the very
-- sandbox a run started, whatever else runs on the machine).
function M.stopped(url)
  local host, port = url:match("^http://([^:/]+):(%d+)")
  assert(host, "no sandbox URL in the output: " .. tostring(url))
  local conn = require("socket").connect(host, tonumber(port))
  if conn then conn:close() end
  return conn == nil
end

function M.last_api_request()
  local l = M.api_requests()
  return l[#l]
end

-- Small shared tools for specs ---------------------------------------------

-- busted gives spec files `assert`; this module gets luassert itself.
local check = require "luassert"

--- Runs fn, which must fail; returns the error.
function M.capture(fn)
  local ok, err = pcall(fn)
  check.is_false(ok, "expected an error")
  return err
end

--- Runs fn(...), which must raise an lcanvas.Error of `kind`; returns it.
function M.raises(kind, fn, ...)
  local ok, err = pcall(fn, ...)
  check.is_false(ok, "expected a " .. kind .. " error")
  local lcanvas = require "lcanvas"
  check.is_true(lcanvas.is_error(err, kind), "expected " .. kind .. ", got " .. tostring(err))
  return err
end

--- A file's whole content, or nil when it cannot be read.
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function M.write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- A fresh path that does not exist yet.
function M.tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p
end

--- sh(cmd) -> exit code, stdout, stderr of a shell fragment (no stdin).
function M.sh(cmd)
  local out, err = M.tmpname(), M.tmpname()
  local h = io.popen(string.format("( %s ) >%q 2>%q </dev/null; echo $?", cmd, out, err))
  local code = tonumber(h:read("a"))
  h:close()
  local o, e = M.read_file(out) or "", M.read_file(err) or ""
  os.remove(out); os.remove(err)
  return code, o, e
end

--- `cmake --install` of BUILD (a build dir under the root) into a temporary
-- prefix, once per busted run (the install and embedding specs share it);
-- removed when Lua closes. Returns the prefix.
function M.cmake_prefix(build)
  local reg = debug.getregistry()
  local key = "lcanvas.spec.prefix." .. build
  if reg[key] then return reg[key].dir end
  local dir = M.tmpname()
  local code, out, err = M.sh(string.format("cmake --install %q --prefix %q", root .. "/" .. build, dir))
  assert(code == 0, "cmake --install failed:\n" .. out .. err)
  reg[key] = { dir = dir, sentinel = setmetatable({}, { __gc = function()
    os.execute(string.format("rm -rf %q", dir))
  end }) }
  return dir
end

--- The project root as an absolute path, and the lcanvas host of the build
-- under test (LCANVAS_BUILD, default build/).
M.abs_root = (function()
  local h = io.popen(string.format("cd %q && pwd", root))
  local p = h:read("l")
  h:close()
  return p
end)()
local build = os.getenv("LCANVAS_BUILD") or "build"
M.exe = build:sub(1, 1) == "/" and (build .. "/lcanvas") or (M.abs_root .. "/" .. build .. "/lcanvas")

--- lcanvas_in(dir, args) -> exit code, stdout, stderr: the lcanvas host run
-- in dir with `args` (a shell fragment), no CANVAS_* connection from the
-- environment, its configuration in dir/xdg and no stdin.
function M.lcanvas_in(dir, args)
  return M.sh(string.format("cd %q && env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u LCANVAS_PROGRESS " ..
    "XDG_CONFIG_HOME=%q %q %s", dir, dir .. "/xdg", M.exe, args))
end

--- script_dir() -> a fresh directory holding `token` (the sandbox admin's, mode 600), for runs of the
-- bundled scripts; run_script(dir, script, args [, flags]) -> exit code, stdout, stderr of
-- scripts/<script> run there against the sandbox (flags go before the script: "--dry-run").
function M.script_dir()
  local dir = M.tmpname()
  os.execute("mkdir -p " .. M.quote(dir))
  M.write_file(dir .. "/token", M.tokens.admin)
  os.execute("chmod 600 " .. M.quote(dir .. "/token"))
  return dir
end

function M.run_script(dir, script, args, flags)
  return M.lcanvas_in(dir, string.format("--url %q --token-file %q %s %q %s", state().url, dir .. "/token",
    flags or "", M.abs_root .. "/scripts/" .. script, args or ""))
end

--- changes() -> "METHOD /path" of every API request but GETs since the last clear: what the
-- sandbox was asked to change.
function M.changes()
  local out = {}
  for _, r in ipairs(M.api_requests()) do
    if r.method ~= "GET" then out[#out + 1] = r.method .. " " .. r.path end
  end
  return out
end

--- exists(path) -> whether a file is there.
function M.exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

--- wait_for(limit, pred): pred() every 10 ms for up to `limit` seconds; its first true value, or nil.
function M.wait_for(limit, pred)
  local socket = require "socket"
  local deadline = socket.gettime() + limit
  repeat
    local v = pred()
    if v then return v end
    socket.sleep(0.01)
  until socket.gettime() > deadline
  return nil
end

--- background(dir, args) -> a handle on the lcanvas host run in the
-- background in dir with `args` (a shell fragment; no CANVAS_* from the
-- environment, no stdin): h.pid, h.wait_for(limit, pred) (pred polled every
-- 10 ms, its value or nil), h.signal(sig) -> exit status and the seconds
-- from the signal to the exit (nil if it did not end within 5 s; then
-- killed), h.err() (its stderr so far).
function M.background(dir, args)
  local socket = require "socket"
  local run = dir .. "/.bg"
  os.execute("mkdir -p " .. M.quote(run))
  os.execute(string.format(
    "(cd %q || exit; env -u LD_PRELOAD -u CANVAS_API_URL -u CANVAS_API_TOKEN -u LCANVAS_PROGRESS " ..
    "XDG_CONFIG_HOME=%q %q %s >%q 2>%q </dev/null & echo $! >%q; wait $!; echo $? >%q) >/dev/null 2>&1 &",
    dir, dir .. "/xdg", M.exe, args, run .. "/out", run .. "/err", run .. "/pid.w", run .. "/rc.w"))
  local h = { wait_for = M.wait_for }
  h.pid = assert(h.wait_for(10, function() return tonumber(M.read_file(run .. "/pid.w") or "") end),
    "the host did not start")
  function h.err() return M.read_file(run .. "/err") or "" end
  function h.signal(sig)
    local t0 = socket.gettime()
    os.execute("kill -" .. sig .. " " .. h.pid)
    local rc = h.wait_for(5, function() return tonumber(M.read_file(run .. "/rc.w") or "") end)
    local elapsed = socket.gettime() - t0
    if not rc then os.execute("kill -9 " .. h.pid .. " 2>/dev/null") end
    return rc, rc and elapsed or nil
  end
  return h
end

local function crc32(s)
  local crc = 0xFFFFFFFF
  for i = 1, #s do
    crc = crc ~ s:byte(i)
    for _ = 1, 8 do
      crc = (crc & 1 == 1) and ((crc >> 1) ~ 0xEDB88320) or (crc >> 1)
    end
  end
  return crc ~ 0xFFFFFFFF
end

--- make_zip(entries) -> the bytes of a zip archive: each entry {name =, data =, method = 0 (stored, the
-- default) or 8 with raw = the deflated bytes}.
function M.make_zip(entries)
  local out, cd, off = {}, {}, 0
  for _, e in ipairs(entries) do
    local body = e.method == 8 and e.raw or e.data
    local head = string.pack("<c4I2I2I2I2I2I4I4I4I2I2", "PK\3\4", 20, 0, e.method or 0, 0, 0, crc32(e.data),
      #body, #e.data, #e.name, 0) .. e.name
    out[#out + 1] = head .. body
    cd[#cd + 1] = string.pack("<c4I2I2I2I2I2I2I4I4I4I2I2I2I2I2I4I4", "PK\1\2", 20, 20, 0, e.method or 0, 0, 0,
      crc32(e.data), #body, #e.data, #e.name, 0, 0, 0, 0, 0, off) .. e.name
    off = off + #head + #body
  end
  local cds = table.concat(cd)
  return table.concat(out) .. cds .. string.pack("<c4I2I2I2I2I4I4I2", "PK\5\6", 0, 0, #entries, #entries, #cds,
    off, 0)
end

--- A string quoted for the shell command lines the specs build.
function M.quote(s) return string.format("%q", s) end

package.loaded.helper = M
return M
