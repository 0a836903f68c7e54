-- The sandbox survives its clients (issue 24). Each attack of
-- spec/sandbox_attack.lua runs as its own process against a sandbox of its
-- own (started with 256 descriptors, so that running out of them is
-- quick), and while it runs another client must be served within a
-- second. The attack must end the way the server's limits say: a status
-- (400, 408, 413, 431) or a closed connection, never a stall, a Lua error
-- or the server's exit.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local socket = require "socket"

local ROOT = sandbox.root

local server = {}

local function start()
  local cmd = string.format("ulimit -n 256; exec env -u LD_PRELOAD lua5.4 %q --port 0 --quiet",
    ROOT .. "/lua/lcanvas/sandbox/cli.lua")
  server.handle = assert(io.popen(cmd, "r"))
  local line = server.handle:read("l") or ""
  local pid, url, storage = line:match("pid=(%d+) url=(%S+) alt=%S+ storage=(%S+)")
  assert(pid, "the sandbox did not start: " .. line)
  server.pid, server.url, server.storage = pid, url, storage
  server.port = tonumber(url:match(":(%d+)$"))
  server.storage_port = tonumber(storage:match(":(%d+)$"))
end

local function stop()
  if server.pid then os.execute("kill " .. server.pid .. " 2>/dev/null") end
  if server.handle then pcall(server.handle.close, server.handle) end
  server.pid = nil
end

local function alive()
  return os.execute("kill -0 " .. server.pid .. " 2>/dev/null") == true
end

-- The sandbox's peak resident memory so far, in MB.
local function peak_mb()
  for line in io.lines("/proc/" .. server.pid .. "/status") do
    local kb = line:match("^VmHWM:%s*(%d+)")
    if kb then return tonumber(kb) / 1024 end
  end
end

-- Starts an attack in the background; returns a function that waits for
-- its result line (at most `limit` seconds).
local function launch(attack, port, arg)
  local out = sandbox.tmpname()
  os.execute(string.format("timeout -s KILL 60 lua5.4 %q 127.0.0.1 %d %s %s >%q 2>&1 &",
    ROOT .. "/spec/sandbox_attack.lua", port or server.port, attack, arg or "", out))
  return function(limit)
    local deadline = socket.gettime() + (limit or 30)
    repeat
      local text = sandbox.read_file(out)
      if text and text:find("\n") then
        os.remove(out)
        return text:match("^[^\n]*")
      end
      socket.sleep(0.05)
    until socket.gettime() > deadline
    error("the attack " .. attack .. " did not end: " .. tostring(sandbox.read_file(out)))
  end
end

local client
-- Another client meanwhile: answered, within a second.
local function served()
  local t0 = socket.gettime()
  local me = client:get_current_user()
  local dt = socket.gettime() - t0
  assert.equal(1, me.id)
  assert.is_true(dt < 1, string.format("another client waited %.2f s", dt))
end

-- Runs an attack, probing every 0.1 s while it runs (at least once);
-- returns its result line.
local function during(attack, port, arg)
  local wait = launch(attack, port, arg)
  socket.sleep(0.1)
  local result
  repeat
    served()
    local ok, r = pcall(wait, 0.1)
    if ok then result = r end
  until result
  assert.is_true(alive(), "the sandbox exited")
  return result
end

local function control(path, body)
  local http, ltn12 = require "socket.http", require "ltn12"
  local ok, code = http.request({ url = server.url .. "/__sandbox/" .. path, method = "POST",
    source = ltn12.source.string(body), headers = { ["content-type"] = "application/json",
    ["content-length"] = #body } })
  assert(ok and code == 200, "control " .. path .. ": " .. tostring(code))
end

describe("the sandbox against hostile clients", function()
  setup(function()
    start()
    client = lcanvas.new(server.url, "sandbox-admin-token", { timeout = 10, max_retries = 0 })
  end)
  teardown(function()
    client:close()
    stop()
  end)

  it("answers 100,000 repeated headers with 431 at once", function()
    local r = during("headers")
    assert.matches("^status 431 ", r)
    assert.is_true(tonumber(r:match(" ([%d.]+)$")) < 1, r)
  end)

  it("answers an 8 MB header line with 431, never holding it whole", function()
    assert.matches("^status 431 ", during("longline"))
    assert.is_true(peak_mb() < 100, peak_mb() .. " MB")
  end)

  it("caps a chunked body like any other: 128 MiB chunked is a 413, memory bounded", function()
    assert.matches("^status 413 ", during("chunked"))
    assert.is_true(peak_mb() < 200, peak_mb() .. " MB")
  end)

  it("answers a bad chunk-size line with 400", function()
    assert.matches("^status 400 ", during("badchunk"))
  end)

  it("answers a form of a million empty parts with 400, quickly", function()
    local up = client:request("POST", "users/self/files", { name = "a.txt", size = 1 })
    local upload_path = up.upload_url:match("^http://[^/]+(/.*)$")
    local r = during("multipart", server.storage_port, upload_path)
    assert.matches("^status 400 ", r)
    assert.is_true(tonumber(r:match(" ([%d.]+)$")) < 5, r)
  end)

  it("closes a connection whose head does not come in time, and one that idles", function()
    control("config", '{"http":{"header_timeout":1,"idle_timeout":1}}')
    local r = during("slowhead")
    assert.matches("^status 408 ", r)
    local took = tonumber(r:match(" ([%d.]+)$"))
    assert.is_true(took >= 0.9 and took < 2, r)
    r = during("idle")
    assert.matches("^closed ", r)
    took = tonumber(r:match(" ([%d.]+)$"))
    assert.is_true(took >= 0.9 and took < 2, r)
    control("config", '{"http":{"header_timeout":10,"idle_timeout":120}}')
  end)

  it("outlives running out of descriptors, and serves again once they are back", function()
    local wait = launch("fds", server.port, "400")
    local r = wait(20)
    assert.matches("^held %d+", r)
    assert.is_true(tonumber(r:match("^held (%d+)")) > 256, r)
    assert.is_true(alive(), "the sandbox exited")
    local deadline = socket.gettime() + 5
    local ok
    repeat
      ok = pcall(served)
      if not ok then socket.sleep(0.1) end
    until ok or socket.gettime() > deadline
    served()
  end)

  it("keeps a bounded request log: bodies and headers cut, the true size kept", function()
    local big = string.rep("b", 1024 * 1024)
    client:request("PUT", "users/self/custom_data/x", { ns = "attack", data = big }, { json = true })
    local http, ltn12 = require "socket.http", require "ltn12"
    local chunks = {}
    http.request({ url = server.url .. "/__sandbox/requests", sink = ltn12.sink.table(chunks) })
    local log = lcanvas.json.decode(table.concat(chunks))
    local last = log[#log]
    assert.equal("/api/v1/users/self/custom_data/x", last.path)
    assert.is_true(last.body_size > 1024 * 1024)
    assert.is_true(#last.body <= 64 * 1024, #last.body)
  end)
end)
