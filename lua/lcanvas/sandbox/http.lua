--- A small HTTP/1.1 server on cqueues: keep-alive, many connections at
-- once, Content-Length and chunked request bodies, every request bounded
-- (M.LIMITS: header count and size, body size, timeouts; a malformed one
-- answered 400, never a Lua error). Handlers are called as handler(req)
-- and return a response table
-- {status=, headers={name=value}, body=, reset=bool, truncate=bool}.
local cqueues = require "cqueues"
local socket = require "cqueues.socket"

local M = {}

local REASONS = {
  [200] = "OK", [201] = "Created", [204] = "No Content", [301] = "Moved Permanently",
  [302] = "Found", [303] = "See Other", [400] = "Bad Request", [401] = "Unauthorized",
  [403] = "Forbidden", [404] = "Not Found", [408] = "Request Timeout", [409] = "Conflict",
  [413] = "Payload Too Large", [431] = "Request Header Fields Too Large",
  [418] = "I'm a teapot", [422] = "Unprocessable Entity", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}
-- What one client may cost the server, which every other client shares
-- (any local process can reach it, and one stall stalls every client): the
-- defaults, which the control API's config `http` may change (app.lua).
M.LIMITS = {
  max_headers = 100,              -- header lines a request may have
  max_header_bytes = 64 * 1024,   -- the request line and headers together
  max_body = 64 * 1024 * 1024,    -- a body, whatever its transfer encoding
  header_timeout = 10,            -- seconds from a request's first byte to its blank line
  body_timeout = 60,              -- seconds to read a body once the headers came
  idle_timeout = 120,             -- seconds a kept-alive connection may wait for a request
}

local ETIMEDOUT = 110

-- One line (CRLF or LF), within max bytes and before the deadline: the
-- line, or nil and an HTTP status to answer (431 too long, 408 too slow)
-- or nothing (the client went away).
local function read_line(con, deadline, max)
  con:settimeout(math.max(0.001, deadline - cqueues.monotime()))
  local line, err = con:read("*L")
  if not line then
    if err == ETIMEDOUT then return nil, 408 end
    return nil
  end
  if line:sub(-1) ~= "\n" then
    -- setmaxline cut it: a line longer than the whole head may be.
    if #line >= max then return nil, 431 end
    return nil
  end
  return (line:gsub("\r?\n$", ""))
end

-- The body's bytes, n of them, before the deadline.
local function read_bytes(con, n, deadline)
  con:settimeout(math.max(0.001, deadline - cqueues.monotime()))
  local data, err = con:read(n)
  if not data or #data < n then return nil, err == ETIMEDOUT and 408 or nil end
  return data
end

local function read_request(con, lim)
  -- Between requests a connection may idle for idle_timeout; from its
  -- first byte a request has header_timeout for its head.
  local idle_deadline = cqueues.monotime() + lim.idle_timeout
  local line, bad = read_line(con, idle_deadline, lim.max_header_bytes)
  while line == "" do line, bad = read_line(con, idle_deadline, lim.max_header_bytes) end
  if not line then return nil, bad ~= 408 and bad or nil end  -- an idle close says nothing
  local deadline = cqueues.monotime() + lim.header_timeout
  local method, target, version = line:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
  if not method then return nil, 400 end
  -- Repeated headers are joined once at the end: joining as they come is
  -- quadratic in their number.
  local values, order, count, size = {}, {}, 0, #line
  while true do
    local h
    h, bad = read_line(con, deadline, lim.max_header_bytes)
    if not h then return nil, bad end
    if h == "" then break end
    count, size = count + 1, size + #h
    if count > lim.max_headers or size > lim.max_header_bytes then return nil, 431 end
    local name, value = h:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      local v = values[name]
      if not v then
        values[name] = { value }
        order[#order + 1] = name
      else
        v[#v + 1] = value
      end
    end
  end
  local headers = {}
  for _, name in ipairs(order) do headers[name] = table.concat(values[name], ", ") end
  local body = ""
  local body_deadline = cqueues.monotime() + lim.body_timeout
  if headers["transfer-encoding"] and headers["transfer-encoding"]:lower():find("chunked") then
    -- Every chunk counts towards max_body; a chunk-size line that is not
    -- hex is the client's mistake (400), never the server's.
    local parts, total = {}, 0
    while true do
      local sline
      sline, bad = read_line(con, body_deadline, 1024)
      if not sline then return nil, bad or 400 end
      local hex = sline:match("^(%x+)%s*;?.*$")
      if not hex then return nil, 400 end
      if #hex > 15 then return nil, 413 end
      local chunk = tonumber(hex, 16)
      if chunk == 0 then
        -- Trailers: counted as headers are.
        repeat
          local t
          t, bad = read_line(con, body_deadline, lim.max_header_bytes)
          if not t then return nil, bad or 400 end
          count = count + 1
          if count > lim.max_headers then return nil, 431 end
        until t == ""
        break
      end
      total = total + chunk
      if total > lim.max_body then return nil, 413 end
      local data
      data, bad = read_bytes(con, chunk, body_deadline)
      if not data then return nil, bad or 400 end
      parts[#parts + 1] = data
      local crlf = read_line(con, body_deadline, 2)
      if crlf ~= "" then return nil, 400 end
    end
    body = table.concat(parts)
  elseif headers["content-length"] then
    local n = tonumber(headers["content-length"]:match("^%d+$") or "")
    if not n then return nil, 400 end
    if n > lim.max_body then return nil, 413 end
    if n > 0 then
      body, bad = read_bytes(con, n, body_deadline)
      if not body then return nil, bad end
    end
  end
  local path, query = target:match("^([^?]*)%??(.*)$")
  return {
    method = method, target = target, path = path, query = query or "",
    version = version, headers = headers, body = body,
  }
end

local function send(con, res, keep_alive, head_only)
  if res.reset then
    con:close()
    return false
  end
  local body = res.body or ""
  local headers = res.headers or {}
  local lower = res.lowercase_headers
  local out = { string.format("HTTP/1.1 %d %s\r\n", res.status, REASONS[res.status] or "Status") }
  local length = #body
  if res.truncate then length = length + 64 end  -- promise more than we send
  local function h(name, value)
    out[#out + 1] = (lower and name:lower() or name) .. ": " .. value .. "\r\n"
  end
  for name, value in pairs(headers) do h(name, tostring(value)) end
  h("Content-Length", tostring(length))
  h("Connection", keep_alive and not res.truncate and "keep-alive" or "close")
  out[#out + 1] = "\r\n"
  if not head_only then out[#out + 1] = body end
  local ok = con:write(table.concat(out))
  con:flush()
  if res.truncate then
    con:close()
    return false
  end
  return ok and keep_alive
end

--- Listens on host:port (0 = ephemeral). Returns the listening socket and
-- the port actually bound.
function M.listen(host, port)
  local srv = assert(socket.listen({ host = host, port = port, reuseaddr = true }))
  assert(srv:listen())
  local _, _, bound = srv:localname()
  return srv, bound
end

local conn_seq = 0

-- The limits in force: the defaults, under what limits() returns.
local function limits_of(limits)
  local got = limits and limits() or nil
  if not got then return M.LIMITS end
  local out = {}
  for k, v in pairs(M.LIMITS) do out[k] = tonumber(got[k]) or v end
  return out
end

-- Reads requests from one keep-alive connection and answers them in turn.
local function serve_connection(con, conn_id, handler, limits)
  con:setmode("b", "bf")
  while true do
    local lim = limits_of(limits)
    -- A line longer than the whole head is never buffered whole.
    con:setmaxline(lim.max_header_bytes)
    local req, bad = read_request(con, lim)
    if not req then
      if bad then
        con:settimeout(1)
        send(con, { status = bad, body = "" }, false)
      end
      return
    end
    con:settimeout(lim.body_timeout)  -- for writing the answer: a client must read it
    req.conn = conn_id
    local keep = req.version == "1.1" and not (req.headers.connection or ""):lower():find("close")
    local ok, res = pcall(handler, req)
    if not ok then
      io.stderr:write("lcanvas-sandbox: handler error: ", tostring(res), "\n")
      res = { status = 500, headers = { ["Content-Type"] = "application/json; charset=utf-8" },
        body = '{"errors":[{"message":"An error occurred."}],"error_report_id":1}' }
    end
    if not send(con, res, keep, req.method == "HEAD") then return end
  end
end

local EMFILE, ENFILE, ENOBUFS, ENOMEM = 24, 23, 105, 12

--- Serves `srv` inside the cqueues controller `cq`, calling handler(req);
-- limits() (optional) returns limits that override M.LIMITS.
function M.serve(cq, srv, handler, limits)
  cq:wrap(function()
    while true do
      -- Out of descriptors (or memory) is a pause, not the end: the
      -- connections open now will close, and accepting goes on then.
      local ok, con, err = pcall(srv.accept, srv)
      if not ok then con, err = nil, con end
      if con then
        conn_seq = conn_seq + 1
        local conn_id = conn_seq
        cq:wrap(function()
          -- A client that resets or drops its connection ends this
          -- connection only, never the whole server.
          local fine, why = pcall(serve_connection, con, conn_id, handler, limits)
          if not fine and not tostring(why):find("reset by peer", 1, true)
              and not tostring(why):find("Broken pipe", 1, true) then
            io.stderr:write("lcanvas-sandbox: connection error: ", tostring(why), "\n")
          end
          pcall(con.close, con)
        end)
      elseif err == EMFILE or err == ENFILE or err == ENOBUFS or err == ENOMEM
          or tostring(err):find("files", 1, true) then
        cqueues.sleep(0.1)
      else
        io.stderr:write("lcanvas-sandbox: accept: ", tostring(err), "\n")
        cqueues.sleep(0.1)
      end
    end
  end)
end

M.sleep = cqueues.sleep
M.now = cqueues.monotime

return M
