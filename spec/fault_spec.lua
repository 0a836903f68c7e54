-- The fault matrix (issue 16): the client against a misbehaving server
-- (spec/fault_server.lua, loopback only, killed at the end). Each fault
-- must end in the right error kind, within the time its configuration
-- allows, and the token must never reach the other origin the server
-- links and redirects to.
local lcanvas = require "lcanvas"
local socket = require "socket"
local sandbox = require "helper"

local TOKEN = "fault-spec-token-0123456789"
local REFRESHED = "refreshed-secret-token-0123456789"

local server = {}

local function start_server()
  server.log = os.tmpname()
  local h = assert(io.popen(string.format("exec env -u LD_PRELOAD lua5.4 %q %q",
    sandbox.root .. "/spec/fault_server.lua", server.log), "r"))
  local line = h:read("l") or ""
  local pid, canvas, foreign = line:match("pid=(%d+) canvas=(%d+) foreign=(%d+)")
  assert(pid, "the fault server did not start: " .. line)
  server.handle, server.pid = h, pid
  server.url = "http://127.0.0.1:" .. canvas
  server.foreign = "127.0.0.1:" .. foreign
end

local function stop_server()
  if server.pid then os.execute("kill " .. server.pid .. " 2>/dev/null") end
  if server.handle then pcall(server.handle.close, server.handle) end
  if server.log then os.remove(server.log) end
  server.pid = nil
end

-- The server's request log: { {origin=, method=, target=, auth=, evil=}, ... }
local function requests()
  local out = {}
  for line in io.lines(server.log) do
    local origin, method, target, rest = line:match("^(%S+) (%S+) (%S+) (.*)$")
    local auth, evil = rest:match("^(.*) (%S+)$")
    out[#out + 1] = { origin = origin, method = method, target = target, auth = auth, evil = evil }
  end
  return out
end

local function count(pattern)
  local n = 0
  for _, r in ipairs(requests()) do
    if r.origin == "canvas" and r.target:find(pattern) then n = n + 1 end
  end
  return n
end

local function client(opts, base)
  local o = { timeout = 2, connect_timeout = 2, max_retries = 0, backoff = 0.05, backoff_max = 0.2 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return lcanvas.new(base or server.url, TOKEN, o)
end

-- Runs fn, returns the error it raised (it must raise) and the seconds taken.
-- Every fault must end within the client's configured timeout (2 s unless
-- a case sets less) plus a little scheduling slack: none may hang.
local LIMIT_S = 2.5
local function fails(fn)
  local t0 = socket.gettime()
  local ok, err = pcall(fn)
  local dt = socket.gettime() - t0
  assert.is_false(ok, "expected an error")
  assert.equal("table", type(err), tostring(err))
  assert.is_true(dt < LIMIT_S, "took " .. dt .. " s")
  return err, dt
end

-- Runs `code` (Lua, with `lcanvas`, URL and TOKEN defined) in a child
-- process killed after `deadline` seconds: for the faults whose regression
-- is a hang, so that a regression fails this spec instead of stalling it.
-- Returns the child's exit code and output.
local function bounded(code, deadline, env)
  local build = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build")
  local file = sandbox.tmpname() .. ".lua"
  local f = assert(io.open(file, "w"))
  f:write(string.format("package.path = %q .. package.path\npackage.cpath = %q .. package.cpath\n",
    sandbox.root .. "/lua/?.lua;" .. sandbox.root .. "/lua/?/init.lua;", build .. "/lib/?.so;"))
  f:write(string.format("local lcanvas = require 'lcanvas'\nlocal URL, TOKEN = %q, %q\n", server.url, TOKEN))
  f:write(code)
  f:close()
  -- The sanitizer build's module needs its runtimes preloaded (helper.lua
  -- drops LD_PRELOAD from the commands specs run). Leak checking stays with
  -- the in-process specs: LeakSanitizer's exit-time tracer crashes in these
  -- short children now and then, which is not what they check.
  local preload = os.getenv("LCANVAS_ASAN_PRELOAD")
  local code_, out, err = sandbox.sh(string.format("%s%stimeout -s KILL %d lua5.4 %q", env or "",
    preload and ("ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=" .. sandbox.quote(preload) .. " ") or "",
    deadline, file))
  os.remove(file)
  return code_, out .. err
end

describe("fault matrix", function()
  setup(start_server)
  teardown(stop_server)

  describe("broken transfers", function()
    it("a body cut short of its Content-Length is a NetworkError, fast", function()
      local err, dt = fails(function() client():request("GET", "f/truncated") end)
      assert.equal("NetworkError", err.kind)
      assert.is_true(dt < 2, dt)
    end)

    it("a connection reset inside a chunk is a NetworkError, fast", function()
      local err, dt = fails(function() client():request("GET", "f/reset") end)
      assert.equal("NetworkError", err.kind)
      assert.is_true(dt < 2, dt)
    end)

    it("a slow drip ends with Timeout at the configured timeout", function()
      local err, dt = fails(function() client({ timeout = 1 }):request("GET", "f/drip") end)
      assert.equal("Timeout", err.kind)
      assert.is_true(dt >= 0.9 and dt < 2.5, dt)
    end)

    it("a silent server ends with Timeout at the configured timeout", function()
      local err, dt = fails(function() client({ timeout = 1 }):request("GET", "f/silent") end)
      assert.equal("Timeout", err.kind)
      assert.is_true(dt >= 0.9 and dt < 2.5, dt)
    end)
  end)

  describe("response size (max_response_size)", function()
    it("refuses an announced 2 GiB body before reading it", function()
      local err, dt = fails(function() client():request("GET", "f/huge") end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("max_response_size", err.limit)
      assert.matches("max_response_size", err.message)
      assert.is_true(dt < 2, dt)
    end)

    it("stops an endless body at the limit the caller set", function()
      local err, dt = fails(function()
        client({ max_response_size = 1024 * 1024 }):request("GET", "f/endless")
      end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("max_response_size", err.limit)
      assert.matches("1048576 bytes", err.message)
      assert.is_true(dt < 2, dt)
    end)

    it("decodes a gzipped answer (lcanvas asks for gzip only)", function()
      local u = client():request("GET", "f/gzip")
      assert.equal(7, u.id)
      assert.equal("Zipped User", u.name)
    end)

    it("applies the limit to the decoded size: a gzip bomb is stopped", function()
      local err, dt = fails(function()
        client({ max_response_size = 4 * 1024 * 1024 }):request("GET", "f/bomb")
      end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("max_response_size", err.limit)
      assert.is_true(dt < 2, dt)
      assert.equal(1, count("/f/bomb"))  -- a limit is not retried
    end)

    it("is checked as an option", function()
      local ok, e = pcall(lcanvas.new, server.url, TOKEN, { max_response_size = "big" })
      assert.is_false(ok)
      assert.matches("option 'max_response_size' must be a number", e)
    end)
  end)

  describe("answers that are not what they claim", function()
    it("a 2xx that is not JSON is an InvalidResponse", function()
      local err = fails(function() client():request("GET", "f/html200") end)
      assert.equal("InvalidResponse", err.kind)
      assert.equal(200, err.status)
    end)

    it("a 404 HTML page is ResourceDoesNotExist", function()
      local err = fails(function() client():request("GET", "f/html404") end)
      assert.equal("ResourceDoesNotExist", err.kind)
      assert.equal(404, err.status)
    end)

    it("a 302 with a JSON body is an error, not the resource (not followed)", function()
      local err = fails(function() client():request("GET", "f/redirect_body") end)
      assert.equal("InvalidResponse", err.kind)
      assert.equal(302, err.status)
      assert.matches("redirect", err.message)
      assert.matches(server.foreign, err.message, 1, true)
    end)

    it("a 301 without a body is an error too", function()
      local err = fails(function() client():request("GET", "f/redirect_empty") end)
      assert.equal("InvalidResponse", err.kind)
      assert.equal(301, err.status)
    end)
  end)

  describe("throttling (rate_max_wait, rate_max_remaining)", function()
    it("a 429 storm asking for a huge Retry-After fails at once, naming the limit", function()
      local err, dt = fails(function()
        client({ max_retries = 3, rate_max_wait = 5 }):request("GET", "f/storm429")
      end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("rate_max_wait", err.limit)
      assert.equal(429, err.status)
      assert.is_true(dt < 2, dt)
      assert.equal(1, count("/f/storm429"))
    end)

    it("so does a 403 throttle storm", function()
      local err, dt = fails(function()
        client({ max_retries = 3, rate_max_wait = 5 }):request("GET", "f/storm403")
      end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("rate_max_wait", err.limit)
      assert.equal(403, err.status)
      assert.is_true(dt < 2, dt)
    end)

    it("a 403 that merely mentions 'Rate Limit Exceeded' is Forbidden, not retried", function()
      local before = count("/f/forbidden_mention")
      local err = fails(function()
        client({ max_retries = 3 }):request("GET", "f/forbidden_mention")
      end)
      assert.equal("Forbidden", err.kind)
      assert.equal(before + 1, count("/f/forbidden_mention"))
    end)

    it("one negative X-Rate-Limit-Remaining does not stop later requests (no limit options)", function()
      -- 0 is believed: the gate waits rate_low_water / 10 = 2 s, then goes
      -- on (without the clamp the next request never starts)
      local code, out = bounded([[
        local c = lcanvas.new(URL, TOKEN, { max_retries = 0, rate_low_water = 20 })
        c:request("GET", "f/rate_negative")
        local t0 = os.time()
        assert(c:request("GET", "f/ok").id == 1)
        print("done in " .. os.time() - t0)
      ]], 20)
      assert.equal(0, code, out)
      local took = tonumber(out:match("done in (%d+)"))
      assert.truthy(took, out)
      assert.is_true(took <= 4, out)
    end)

    it("one negative X-Rate-Limit-Remaining with a small rate_low_water costs nothing", function()
      local c = client({ rate_low_water = 1, rate_max_wait = 5 })
      c:request("GET", "f/rate_negative")
      local t0 = socket.gettime()
      local me = c:request("GET", "f/ok")
      assert.equal(1, me.id)
      assert.is_true(socket.gettime() - t0 < 2)
      local remaining = c:rate_limit()
      assert.equal(0, remaining)  -- what the gate believed
    end)
  end)

  describe("links", function()
    it("a next link to another origin is ForeignOrigin; nothing goes there", function()
      local list = client():list("f/foreign_link")
      local err = fails(function() list:all() end)
      assert.equal("ForeignOrigin", err.kind)
    end)

    it("an ftp:// next link is refused, not pasted into the path", function()
      local before = #requests()
      local err = fails(function() client():list("f/ftp_link"):all() end)
      assert.equal("ForeignOrigin", err.kind)
      assert.equal(before + 1, #requests())
    end)

    it("a relative next link is resolved against the page's URL (RFC 3986)", function()
      local items = client({}, server.url .. "/prefix"):list("f/rel/1"):all()
      assert.equal(2, #items)
      assert.equal(2, items[2].id)
      local last = requests()[#requests()]
      assert.equal("/prefix/api/v1/f/rel/2?x=y", last.target)
    end)

    it("a next link that repeats a page ends the list with InvalidResponse", function()
      local err, dt = fails(function() client():list("f/repeat_link"):all() end)
      assert.equal("InvalidResponse", err.kind)
      assert.matches("repeats a page", err.message)
      assert.is_true(dt < 2, dt)
      assert.is_true(count("/f/repeat_link") <= 3)
    end)

    it("a repeating next link cannot loop a list forever (default options)", function()
      local code, out = bounded([[
        local ok, err = pcall(function() return lcanvas.new(URL, TOKEN):list("f/repeat_link"):all() end)
        print(ok, type(err) == "table" and err.kind or err)
      ]], 20)
      assert.equal(0, code, out)
      assert.matches("false\tInvalidResponse", out)
    end)

    it("a list that never ends stops at max_pages with LimitExceeded", function()
      local err = fails(function() client({ max_pages = 5 }):list("f/endless_pages"):all() end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("max_pages", err.limit)
      assert.equal(5, count("/f/endless_pages"))
    end)

    it("a 10,000-entry Link header is a LimitExceeded, not an OutOfMemory retried", function()
      local err, dt = fails(function()
        client({ max_retries = 3 }):list("f/link10k"):all()
      end)
      assert.equal("LimitExceeded", err.kind, err.message)
      assert.equal("header_size", err.limit)
      assert.is_true(dt < 2, dt)
      assert.equal(1, count("/f/link10k"))
    end)

    -- The client keeps an answer's headers in one growing block (xfer.c).
    it("an error keeps every header of a long header set", function()
      local err = fails(function() client():request("GET", "f/odd_headers") end)
      assert.equal("ResourceDoesNotExist", err.kind, err.message)
      local h = err.headers
      assert.equal("1", h["x-first"])
      for i = 1, 80 do assert.equal(string.rep("p", 20), h["x-pad-" .. i]) end
      assert.equal("end", h["x-last"])
    end)

    it("20,000 small headers are a LimitExceeded too", function()
      local err = fails(function() client():request("GET", "f/many_headers") end)
      assert.equal("LimitExceeded", err.kind, err.message)
      assert.equal("header_size", err.limit)
    end)
  end)

  describe("header injection", function()
    it("a CR/LF in user_agent is refused before anything is sent", function()
      local before = #requests()
      local ok, e = pcall(lcanvas.new, server.url, TOKEN, { user_agent = "x\r\nX-Evil: 1" })
      assert.is_false(ok)
      assert.matches("user_agent contains a control character", e)
      assert.equal(before, #requests())
    end)

    it("a '\"' in a Catalog key is refused", function()
      local ok, e = pcall(lcanvas.new, server.url, 'key", evil="1', { auth = "catalog" })
      assert.is_false(ok)
      assert.matches("Catalog key contains", e)
      assert.is_nil(e:find("evil", 1, true))
      for _, r in ipairs(requests()) do assert.equal("-", r.evil) end
    end)
  end)

  describe("local URL errors", function()
    it("a URL that cannot be sent fails at once, never as a retried NetworkError", function()
      -- The caller's path is checked before libcurl sees it (lc_path_check):
      -- a usage error naming the byte, nothing sent, nothing retried. What
      -- libcurl itself refuses maps to InvalidArgument (spec/c/test_policy.c,
      -- lc_policy_curl_kind).
      local c = client({ max_retries = 3 })
      local before = #requests()
      local t0 = socket.gettime()
      local ok, err = pcall(c.request, c, "GET", "users/a b\1c")
      assert.is_false(ok)
      assert.is_true(socket.gettime() - t0 < 0.5)
      assert.matches("cannot go into a URL", tostring(err))
      assert.equal(0, c:stats().retries)
      assert.equal(before, #requests())
    end)
  end)

  describe("plain http", function()
    it("a host that only starts like 127. is not loopback", function()
      for _, url in ipairs({ "http://127.attacker.example", "http://127.0.0.1.attacker.example:8080" }) do
        local ok, e = pcall(lcanvas.new, url, TOKEN)
        assert.is_false(ok, url)
        assert.matches("refusing plain http://", e)
      end
      assert.truthy(lcanvas.new("http://127.0.0.2:9", TOKEN))
    end)
  end)

  describe("redaction", function()
    local refresh = { client_id = "10", client_secret = "client-secret-0123456789",
      refresh_token = "refresh-token-0123456789" }

    it("a refreshed token echoed by the server is not in the error", function()
      local c = lcanvas.new(server.url, nil, { refresh = refresh, max_retries = 0 })
      local err = fails(function() c:request("GET", "f/echo") end)
      assert.equal("BadRequest", err.kind)
      assert.is_nil(tostring(err):find(REFRESHED, 1, true))
      assert.is_nil(err.message:find(REFRESHED, 1, true))
      assert.is_nil(err.body:find(REFRESHED, 1, true))
    end)

    it("--dry-run prints no token-valued or secret-named parameter", function()
      local exe = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build") .. "/lcanvas"
      local empty = sandbox.tmpname()
      local code, _, err = sandbox.sh(string.format(
        "env XDG_CONFIG_HOME=%q CANVAS_API_URL=%s CANVAS_API_TOKEN=%s %q --dry-run -e " ..
        "'canvas:request(\"POST\", \"users/1/things\", { note = \"t=\" .. os.getenv(\"CANVAS_API_TOKEN\"), " ..
        "user = { password = \"hunter2-hunter2\" }, access_token = \"other-token-value\", name = \"n\" })'",
        empty, server.url, TOKEN, exe))
      assert.equal(0, code, err)
      local line = err:match("DRY%-RUN POST /api/v1/users/1/things ([^\n]*)")
      assert.truthy(line, err)
      assert.is_nil(err:find(TOKEN, 1, true), err)
      assert.is_nil(err:find("hunter2", 1, true), err)
      assert.is_nil(err:find("other-token-value", 1, true), err)
      assert.matches("name=n", line)
      assert.matches("access_token=%[REDACTED%]", line)
      assert.matches("note=t%%3D%[REDACTED%]", line)
    end)

    it("nor in the -vv log", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -m 700 " .. dir))
      local rf = dir .. "/refresh.json"
      local f = assert(io.open(rf, "w"))
      f:write(string.format('{"client_id":"10","client_secret":"%s","refresh_token":"%s"}',
        refresh.client_secret, refresh.refresh_token))
      f:close()
      os.execute("chmod 600 " .. rf)
      local exe = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build") .. "/lcanvas"
      local code, _, err = sandbox.sh(string.format(
        "env -u CANVAS_API_URL -u CANVAS_API_TOKEN XDG_CONFIG_HOME=%q %q -vv --url %s --refresh-file %s " ..
        "-e 'pcall(canvas.request, canvas, \"GET\", \"f/echo\")'", dir, exe, server.url, rf))
      os.execute("rm -rf " .. dir)
      assert.equal(0, code, err)
      assert.matches("lcanvas: GET /api/v1/f/echo %-> 400", err)
      assert.matches("%[REDACTED%]", err)
      assert.is_nil(err:find(REFRESHED, 1, true), err)
    end)
  end)

  describe("values, keys and types (issue 24)", function()
    it("an answer of more values than max_values is a LimitExceeded naming it", function()
      local err = fails(function() client({ max_values = 1000 }):list("f/empties"):all() end)
      assert.equal("LimitExceeded", err.kind)
      assert.equal("max_values", err.limit)
      assert.equal(5000, #client():list("f/empties"):all())  -- the default admits it
      err = fails(function() client({ max_values = 1000 }):request("GET", "f/empties") end)
      assert.equal("max_values", err.limit)
    end)

    it("64 MiB of '{},' in 64 KB of gzip costs a bounded memory, typed or not, streaming", function()
      local code, out = bounded([[
        local c = lcanvas.new(URL, TOKEN, { max_retries = 0 })
        for _, opts in ipairs({ { type = "User" }, {} }) do
          local ok, err = pcall(function()
            for _ in c:list("f/empty_bomb", nil, opts):iter({ keep = false }) do end
          end)
          print(ok, type(err) == "table" and err.kind .. " " .. tostring(err.limit) or err)
        end
        for line in io.lines("/proc/self/status") do
          local kb = line:match("^VmHWM:%s*(%d+)")
          if kb then print("peak", tonumber(kb) // 1024) end
        end
      ]], 60)
      assert.equal(0, code, out)
      assert.matches("false\tLimitExceeded max_values\nfalse\tLimitExceeded max_values\n", out)
      local peak = tonumber(out:match("peak\t(%d+)"))
      assert.is_true(peak < 600, "peak RSS " .. tostring(peak) .. " MB")
    end)

    it("a key given twice reads the same whichever way the object is read: the last", function()
      local u = client():list("f/dup_page", nil, { type = "User" }):first()
      assert.equal(2, u.id)
      assert.equal("Dup", u.name)
      assert.equal(2, u:to_table().id)
      assert.equal(2, u.id)
      assert.equal('{"id":2,"name":"Dup"}', lcanvas.json.encode(u))
      pcall(u.get_profile, u)
      assert.equal("/api/v1/users/2/profile", requests()[#requests()].target)
      assert.equal(2, lcanvas.json.decode('{"id":1,"id":2}').id)
      assert.is_nil(lcanvas.json.decode('{"id":1,"id":null}').id)
    end)

    it("an object where a list belongs is an InvalidResponse, typed or not", function()
      for _, opts in ipairs({ { type = "User" }, {} }) do
        local err = fails(function() client():list("f/object_page", nil, opts):all() end)
        assert.equal("InvalidResponse", err.kind)
        assert.matches("expected a JSON array", err.message)
      end
      local err = fails(function() client():list("f/array_page", nil, { type = "User" }):all() end)
      assert.equal("InvalidResponse", err.kind)
    end)

    it("a list where one object belongs is an InvalidResponse, not an empty User", function()
      local err = fails(function() client():get_user(424242) end)
      assert.equal("InvalidResponse", err.kind)
      assert.matches("expected a User object", err.message)
    end)

    it("next links that are no http(s) URL are an InvalidResponse; nothing is requested", function()
      for _, name in ipairs({ "mailto_link", "data_link", "bad_link" }) do
        local before = #requests()
        local err = fails(function() client():list("f/" .. name):all() end)
        assert.equal("InvalidResponse", err.kind, name)
        assert.matches("next link", err.message)
        assert.equal(before + 1, #requests(), name)
      end
    end)
  end)

  describe("proxies, echoes and terminals (issue 24)", function()
    it("a loopback base never goes through a proxy, whatever the environment says", function()
      local proxy = server.url .. "/"
      local before = #requests()
      local code, out = bounded([[
        print(pcall(function() return lcanvas.new(URL, TOKEN, { max_retries = 0 }):request("GET", "f/ok").id end))
      ]], 20, string.format("http_proxy=%s HTTP_PROXY=%s all_proxy=%s ", proxy, proxy, proxy))
      assert.equal(0, code, out)
      assert.matches("true\t1", out)
      local seen = requests()
      assert.equal(before + 1, #seen)
      -- Origin form: no proxy request ("GET http://..."), which would carry the token.
      assert.equal("/api/v1/f/ok", seen[#seen].target)
    end)

    it("an https Canvas through an http proxy is a CONNECT tunnel: the proxy sees no token", function()
      local proxy = server.url .. "/"
      local before = #requests()
      local code, out = bounded([[
        local ok, err = pcall(function()
          return lcanvas.new("https://canvas.example.invalid", TOKEN, { max_retries = 0 }):request("GET", "users/self")
        end)
        print(ok, type(err) == "table" and err.kind or err)
      ]], 20, string.format("https_proxy=%s ", proxy))
      assert.equal(0, code, out)
      assert.matches("false\t", out)
      local seen = requests()
      assert.equal(before + 1, #seen)
      assert.equal("CONNECT", seen[#seen].method)
      assert.equal("canvas.example.invalid:443", seen[#seen].target)
      assert.equal("-", seen[#seen].auth)
    end)

    it("err.headers keep no echoed token", function()
      local err = fails(function() client():request("GET", "f/echo_header") end)
      assert.equal("BadRequest", err.kind)
      assert.truthy(err.headers["x-echo"])
      assert.is_nil(err.headers["x-echo"]:find(TOKEN, 1, true), err.headers["x-echo"])
      assert.matches("^Bearer %*+$", err.headers["x-echo"])
    end)

    it("a token shorter than 8 bytes is redacted too, where it stands whole", function()
      local c = lcanvas.new(server.url, "s3cr", { max_retries = 0 })
      local err = fails(function() c:request("GET", "f/echo") end)
      assert.is_nil(err.body:find("s3cr", 1, true), err.body)
      assert.is_nil(tostring(err):find("s3cr", 1, true))
      err = fails(function() c:request("GET", "f/echo_header") end)
      assert.equal("Bearer ****", err.headers["x-echo"])
    end)

    it("server text reaches the terminal with its control characters escaped", function()
      local exe = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build") .. "/lcanvas"
      local empty = sandbox.tmpname()
      local code, _, err = sandbox.sh(string.format(
        "env XDG_CONFIG_HOME=%q CANVAS_API_URL=%s CANVAS_API_TOKEN=%s %q -vv -e " ..
        "'pcall(canvas.request, canvas, \"GET\", \"f/escape_raw\"); canvas:request(\"GET\", \"f/escape\")'",
        empty, server.url, TOKEN, exe))
      assert.equal(1, code, err)
      assert.is_nil(err:find("\27", 1, true), err)
      assert.is_nil(err:find("\7", 1, true), err)
      assert.matches("\\x1b%]0;pwned\\x07\\x1b%[2Jcleared", err)  -- the report
      assert.matches("lcanvas:   < \\x1b%]0;pwned\\x07\\x1b%[2Jraw", err)  -- a -vv body
    end)
  end)

  -- Last: after every fault above (redirects and next links to the other
  -- origin among them), the other origin saw no request at all, so never
  -- the token, and the Canvas origin saw only the token it was given.
  it("the token never reached another origin", function()
    local canvas_seen = 0
    for _, r in ipairs(requests()) do
      if r.origin == "foreign" then
        assert.is_nil(r.auth:find(TOKEN, 1, true), "the token reached the foreign origin")
        assert.is_nil(r.auth:find(REFRESHED, 1, true), "the token reached the foreign origin")
        error("a request reached the foreign origin: " .. r.method .. " " .. r.target)
      end
      canvas_seen = canvas_seen + 1
    end
    assert.is_true(canvas_seen > 30)
  end)
end)
