-- Hostile clients of the sandbox, one attack a run, for
-- spec/sandbox_attack_spec.lua (issue 24): any local process can reach the
-- sandbox, and one that stalls it stalls every other client.
--   lua5.4 spec/sandbox_attack.lua HOST PORT ATTACK [PATH]
-- Prints one line when done: "status N" (the status line the server
-- answered), "closed" (it closed the connection without one) or "held" (fds:
-- the connections were held open), then the seconds the attack took.
-- Loopback only, bounded in size and time; it stops by itself.
local socket = require "socket"

local host, port, attack, path = arg[1], tonumber(arg[2]), arg[3], arg[4]
assert(host == "127.0.0.1" and port and attack, "usage: sandbox_attack.lua 127.0.0.1 PORT ATTACK [PATH]")
local t0 = socket.gettime()

local function connect()
  local c = assert(socket.tcp())
  assert(c:connect(host, port))
  c:settimeout(30)
  return c
end

-- Sends what it can (the server may close halfway: that is its right),
-- then reads the status line.
local function send_all(c, pieces)
  for _, p in ipairs(pieces) do
    if not c:send(p) then break end
  end
end

local function status_of(c)
  local line = c:receive("*l")
  c:close()
  local code = line and line:match("^HTTP/1%.1 (%d+)")
  return code and ("status " .. code) or "closed"
end

local function head(extra)
  return "POST " .. (path or "/api/v1/users/self") .. " HTTP/1.1\r\nHost: " .. host .. "\r\n" .. (extra or "")
end

local result
if attack == "headers" then
  -- 100,000 repeated headers, 1 MB in all.
  local c = connect()
  local block = string.rep("X-Repeat: a\r\n", 1000)
  local pieces = { head() }
  for i = 1, 100 do pieces[i + 1] = block end
  pieces[#pieces + 1] = "\r\n"
  send_all(c, pieces)
  result = status_of(c)
elseif attack == "longline" then
  -- One header line of 8 MB.
  local c = connect()
  local chunk = string.rep("a", 65536)
  local pieces = { head("X-Long: ") }
  for i = 1, 128 do pieces[i + 1] = chunk end
  pieces[#pieces + 1] = "\r\n\r\n"
  send_all(c, pieces)
  result = status_of(c)
elseif attack == "chunked" then
  -- 128 MiB in chunks of 1 MiB, twice the body limit.
  local c = connect()
  local mib = string.rep("x", 1024 * 1024)
  local pieces = { head("Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n") }
  for i = 1, 128 do pieces[i + 1] = "100000\r\n" .. mib .. "\r\n" end
  pieces[#pieces + 1] = "0\r\n\r\n"
  send_all(c, pieces)
  result = status_of(c)
elseif attack == "badchunk" then
  local c = connect()
  send_all(c, { head("Transfer-Encoding: chunked\r\n\r\n") .. "zz\r\nhello\r\n0\r\n\r\n" })
  result = status_of(c)
elseif attack == "multipart" then
  -- 1,000,000 empty parts (about 60 MB) to an upload URL.
  local c = connect()
  local part = "--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n"
  local block = string.rep(part, 10000)
  local n = 100
  local pieces = { head("Content-Type: multipart/form-data; boundary=B\r\nContent-Length: " ..
    (#block * n + 6) .. "\r\n\r\n") }
  for i = 1, n do pieces[i + 1] = block end
  pieces[#pieces + 1] = "--B--\r\n"
  send_all(c, pieces)
  result = status_of(c)
elseif attack == "slowhead" then
  -- Half a head, then nothing.
  local c = connect()
  send_all(c, { "GET /api/v1/users/self HTTP/1.1\r\nX-Slow: " })
  result = status_of(c)
elseif attack == "idle" then
  result = status_of(connect())
elseif attack == "fds" then
  -- More connections than the server has descriptors, held for 2 s.
  local held = {}
  for _ = 1, tonumber(path or "300") do
    local c = socket.tcp()
    if c:connect(host, port) then held[#held + 1] = c end
  end
  socket.sleep(2)
  for _, c in ipairs(held) do c:close() end
  result = "held " .. #held
else
  error("unknown attack " .. attack)
end
print(string.format("%s %.2f", result, socket.gettime() - t0))
