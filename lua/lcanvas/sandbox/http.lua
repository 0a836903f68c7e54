--- A small HTTP/1.1 server on cqueues: keep-alive, many connections at
-- once, Content-Length and chunked request bodies. Handlers are called as
-- handler(req, conn_info) and return a response table
-- {status=, headers={name=value}, body=, reset=bool, truncate=bool}.
local cqueues = require "cqueues"
local socket = require "cqueues.socket"

local M = {}

local REASONS = {
  [200] = "OK", [201] = "Created", [204] = "No Content", [301] = "Moved Permanently",
  [302] = "Found", [303] = "See Other", [400] = "Bad Request", [401] = "Unauthorized",
  [403] = "Forbidden", [404] = "Not Found", [409] = "Conflict", [413] = "Payload Too Large",
  [418] = "I'm a teapot", [422] = "Unprocessable Entity", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}
local MAX_BODY = 64 * 1024 * 1024

local function read_line(con)
  local line, err = con:read("*L")
  if not line then return nil, err end
  return (line:gsub("\r?\n$", ""))
end

local function read_request(con)
  local line = read_line(con)
  while line == "" do line = read_line(con) end  -- tolerate stray CRLFs between requests
  if not line then return nil end
  local method, target, version = line:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
  if not method then return nil, 400 end
  local headers = {}
  while true do
    local h = read_line(con)
    if not h then return nil end
    if h == "" then break end
    local name, value = h:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end
  local body = ""
  if headers["transfer-encoding"] and headers["transfer-encoding"]:lower():find("chunked") then
    local parts = {}
    while true do
      local size = tonumber((read_line(con) or ""):match("^%x+"), 16)
      if not size then return nil, 400 end
      if size == 0 then
        repeat local t = read_line(con) until not t or t == ""
        break
      end
      parts[#parts + 1] = con:read(size)
      read_line(con)
    end
    body = table.concat(parts)
  elseif headers["content-length"] then
    local n = tonumber(headers["content-length"])
    if not n or n < 0 then return nil, 400 end
    if n > MAX_BODY then return nil, 413 end
    body = n > 0 and (con:read(n) or "") or ""
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

-- Reads requests from one keep-alive connection and answers them in turn.
local function serve_connection(con, conn_id, handler, info)
  con:setmode("b", "bf")
  while true do
    local req, bad = read_request(con)
    if not req then
      if bad then send(con, { status = bad, body = "" }, false) end
      return
    end
    req.conn = conn_id
    local keep = req.version == "1.1" and not (req.headers.connection or ""):lower():find("close")
    local ok, res = pcall(handler, req, info)
    if not ok then
      io.stderr:write("lcanvas-sandbox: handler error: ", tostring(res), "\n")
      res = { status = 500, headers = { ["Content-Type"] = "application/json; charset=utf-8" },
        body = '{"errors":[{"message":"An error occurred."}],"error_report_id":1}' }
    end
    if not send(con, res, keep, req.method == "HEAD") then return end
  end
end

--- Serves `srv` inside the cqueues controller `cq`, calling handler(req, info).
function M.serve(cq, srv, handler, info)
  cq:wrap(function()
    for con in srv:clients() do
      conn_seq = conn_seq + 1
      local conn_id = conn_seq
      cq:wrap(function()
        -- A client that resets or drops its connection ends this
        -- connection only, never the whole server.
        local ok, err = pcall(serve_connection, con, conn_id, handler, info)
        if not ok and not tostring(err):find("reset by peer", 1, true)
            and not tostring(err):find("Broken pipe", 1, true) then
          io.stderr:write("lcanvas-sandbox: connection error: ", tostring(err), "\n")
        end
        pcall(con.close, con)
      end)
    end
  end)
end

M.sleep = cqueues.sleep
M.now = cqueues.monotime

return M
