-- A deliberately misbehaving HTTP server for spec/fault_spec.lua (issue 16).
-- Usage: lua5.4 spec/fault_server.lua LOGFILE
-- Listens on two loopback ports: "canvas" (the origin the client is given)
-- and "foreign" (another origin, which must never see the token). Prints
--   pid=N canvas=PORT foreign=PORT
-- and serves until killed (or for at most 10 minutes). Every request is
-- appended to LOGFILE as "<port-name> <method> <target> <authorization or ->"
-- so the spec can check where the token went. The fault is chosen by the
-- path (/<prefix>/api/v1/f/<name>...): bytes on the wire are written by hand
-- here, on purpose without the sandbox's HTTP code, to break every rule.
local cqueues = require "cqueues"
local socket = require "cqueues.socket"

local logfile = assert(arg[1], "usage: fault_server.lua LOGFILE")
local log = assert(io.open(logfile, "a"))
log:setvbuf("line")

-- 50 MB of zeros gzipped: about 50 KB on the wire.
local bomb = assert(io.popen("head -c 50000000 /dev/zero | gzip -9", "r")):read("a")

local function listen()
  local srv = assert(socket.listen({ host = "127.0.0.1", port = 0, reuseaddr = true }))
  assert(srv:listen())
  local _, _, port = srv:localname()
  return srv, port
end

local canvas, canvas_port = listen()
local foreign, foreign_port = listen()
local CANVAS = "http://127.0.0.1:" .. canvas_port
local FOREIGN = "http://127.0.0.1:" .. foreign_port

local function read_request(con)
  local line = con:read("*l")
  if not line then return nil end
  local method, target = line:match("^(%u+) (%S+) HTTP/")
  local headers = {}
  while true do
    local h = con:read("*l")
    if not h or h == "" or h == "\r" then break end
    local name, value = h:match("^([^:]+):%s*(.-)%s*\r?$")
    if name then headers[name:lower()] = value end
  end
  local n = tonumber(headers["content-length"] or "0") or 0
  if n > 0 then con:read(n) end
  return { method = method or "?", target = target or "?", headers = headers }
end

local function head(status, headers, length)
  local out = { "HTTP/1.1 " .. status .. "\r\n" }
  for _, h in ipairs(headers or {}) do out[#out + 1] = h .. "\r\n" end
  if length then out[#out + 1] = "Content-Length: " .. length .. "\r\n" end
  out[#out + 1] = "Connection: close\r\n\r\n"
  return table.concat(out)
end

local function answer(con, status, headers, body)
  con:write(head(status, headers, #body) .. body)
  con:flush()
end

local JSON = "Content-Type: application/json"
local user = '{"id":1,"name":"Redirected User"}'

local faults = {}

-- The body stops short of its Content-Length, then the connection closes.
faults.truncated = function(con)
  con:write(head("200 OK", { JSON }, 1000) .. '[{"id":1},')
  con:flush()
end
-- A chunked body cut in the middle of a chunk.
faults.reset = function(con)
  con:write(head("200 OK", { JSON, "Transfer-Encoding: chunked" }) .. "400\r\n[{\"id\":1}")
  con:flush()
  cqueues.sleep(0.05)
end
-- One byte every 0.2 s, forever: only the whole-request timeout ends it.
faults.drip = function(con)
  con:write(head("200 OK", { JSON }, 100000))
  for _ = 1, 3000 do
    if not con:write(" ") or not con:flush() then return end
    cqueues.sleep(0.2)
  end
end
-- Reads the request and says nothing.
faults.silent = function() cqueues.sleep(600) end
-- Announces 2 GiB.
faults.huge = function(con)
  con:write(head("200 OK", { JSON }, 2 * 1024 ^ 3))
  local chunk = string.rep("[", 65536)
  for _ = 1, 32768 do
    if not con:write(chunk) then return end
  end
end
-- No length, an endless fast stream (chunked).
faults.endless = function(con)
  con:write(head("200 OK", { JSON, "Transfer-Encoding: chunked" }))
  local chunk = string.format("%x\r\n%s\r\n", 65536, string.rep(" ", 65536))
  for _ = 1, 40000 do
    if not con:write(chunk) then return end
  end
end
-- A normal answer, gzipped, as Canvas sends one to a client asking for it.
local gzipped = assert(io.popen([[printf '{"id":7,"name":"Zipped User"}' | gzip -9]], "r")):read("a")
faults.gzip = function(con)
  answer(con, "200 OK", { JSON, "Content-Encoding: gzip" }, gzipped)
end

faults.bomb = function(con)
  answer(con, "200 OK", { JSON, "Content-Encoding: gzip" }, bomb)
end
faults.html200 = function(con)
  answer(con, "200 OK", { "Content-Type: text/html" }, "<html><body>Welcome</body></html>")
end
faults.html404 = function(con)
  answer(con, "404 Not Found", { "Content-Type: text/html" }, "<html><body>Gone</body></html>")
end
faults.redirect_body = function(con)
  answer(con, "302 Found", { JSON, "Location: " .. FOREIGN .. "/api/v1/users/self" }, user)
end
faults.redirect_empty = function(con)
  answer(con, "301 Moved Permanently", { "Location: " .. FOREIGN .. "/api/v1/users/self" }, "")
end
faults.storm429 = function(con)
  answer(con, "429 Too Many Requests", { "Retry-After: 1000000000" }, "")
end
faults.storm403 = function(con)
  answer(con, "403 Forbidden", { "Content-Type: text/plain", "Retry-After: 99999",
    "X-Rate-Limit-Remaining: 0.0" }, "403 Forbidden (Rate Limit Exceeded)\n")
end
-- A plain Forbidden whose JSON merely mentions the throttle's phrase.
faults.forbidden_mention = function(con)
  answer(con, "403 Forbidden", { JSON },
    '{"errors":[{"message":"Rate Limit Exceeded is not why: you may not see this"}]}')
end
faults.rate_negative = function(con)
  answer(con, "200 OK", { JSON, "X-Rate-Limit-Remaining: -1e15" }, user)
end
faults.foreign_link = function(con)
  answer(con, "200 OK", { JSON, "Link: <" .. FOREIGN .. "/api/v1/f/foreign_link?page=2>; rel=\"next\"" },
    '[{"id":1}]')
end
faults.ftp_link = function(con)
  answer(con, "200 OK", { JSON, "Link: <ftp://127.0.0.1:" .. foreign_port .. "/x>; rel=\"next\"" },
    '[{"id":1}]')
end
faults.repeat_link = function(con, req)
  answer(con, "200 OK", { JSON, "Link: <" .. CANVAS .. req.target .. ">; rel=\"next\"" }, '[{"id":1}]')
end
-- Every page links to a new one: only max_pages stops it.
faults.endless_pages = function(con, req)
  local n = tonumber(req.target:match("page=(%d+)") or "1")
  answer(con, "200 OK", { JSON, string.format("Link: <%s/api/v1/f/endless_pages?page=%d>; rel=\"next\"",
    CANVAS, n + 1) }, '[{"id":' .. n .. '}]')
end
-- A relative next link under a path prefix: "2" resolves to .../f/rel/2.
faults.rel = function(con, req)
  local n = req.target:match("/f/rel/(%d+)")
  if n == "1" then
    answer(con, "200 OK", { JSON, "Link: <2?x=y>; rel=\"next\"" }, '[{"id":1}]')
  elseif n == "2" then
    answer(con, "200 OK", { JSON }, '[{"id":2}]')
  else
    answer(con, "404 Not Found", { JSON }, '{"errors":[{"message":"no such page"}]}')
  end
end
faults.link10k = function(con)
  local parts = {}
  for i = 1, 10000 do parts[i] = string.format("<%s/api/v1/f/link10k?p=%d>; rel=\"other\"", CANVAS, i) end
  parts[#parts + 1] = "<" .. CANVAS .. "/api/v1/f/link10k?p=end>; rel=\"next\""
  answer(con, "200 OK", { JSON, "Link: " .. table.concat(parts, ", ") }, '[{"id":1}]')
end
-- 20,000 small headers (each under libcurl's per-line cap).
faults.many_headers = function(con)
  local hs = { JSON }
  for i = 1, 20000 do hs[#hs + 1] = string.format("X-Filler-%d: %s", i, string.rep("z", 60)) end
  answer(con, "200 OK", hs, "[]")
end
-- A 404 whose headers outgrow the client's first header buffer.
faults.odd_headers = function(con)
  local hs = { JSON, "X-First: 1" }
  for i = 1, 80 do hs[#hs + 1] = string.format("X-Pad-%d: %s", i, string.rep("p", 20)) end
  hs[#hs + 1] = "X-Last: end"
  answer(con, "404 Not Found", hs, '{"errors":[{"message":"nope"}]}')
end
-- Echoes the Authorization header back in an error body (a careless proxy).
faults.echo = function(con, req)
  answer(con, "400 Bad Request", { JSON }, '{"errors":[{"message":"bad token ' ..
    (req.headers.authorization or "") .. '"}]}')
end
-- The OAuth2 token endpoint: hands out a new access token.
faults.token = function(con)
  answer(con, "200 OK", { JSON },
    '{"access_token":"refreshed-secret-token-0123456789","token_type":"Bearer","expires_in":3600}')
end
faults.ok = function(con)
  answer(con, "200 OK", { JSON }, user)
end

-- Round three (issue 24).
-- 5,001 values in 15 KB: "{}," repeated.
faults.empties = function(con)
  answer(con, "200 OK", { JSON }, "[" .. string.rep("{},", 4999) .. "{}]")
end
-- 64 MiB of "{}," (16 million values) in about 64 KB of gzip, made once.
local empty_bomb
faults.empty_bomb = function(con)
  empty_bomb = empty_bomb or assert(io.popen(
    "{ printf '['; yes '{},' 2>/dev/null | head -n 16777215; printf '{}]'; } | gzip -1", "r")):read("a")
  answer(con, "200 OK", { JSON, "Content-Encoding: gzip" }, empty_bomb)
end
-- One object, one key twice: whatever reads it must see the last.
faults.dup_page = function(con)
  answer(con, "200 OK", { JSON }, '[{"id":1,"name":"Dup","id":2}]')
end
-- An object where a list belongs, and a list where an object belongs.
faults.object_page = function(con)
  answer(con, "200 OK", { JSON }, '{"id":1,"name":"Not a list"}')
end
faults.array_page = function(con)
  answer(con, "200 OK", { JSON }, '[[{"id":1}]]')
end
faults.array_answer = function(con)
  answer(con, "200 OK", { JSON }, '[{"id":1,"name":"One of many"}]')
end
-- Next links that are no http URL, and one that does not parse.
faults.mailto_link = function(con)
  answer(con, "200 OK", { JSON, 'Link: <mailto:admin@example.edu>; rel="next"' }, '[{"id":1}]')
end
faults.data_link = function(con)
  answer(con, "200 OK", { JSON, 'Link: <data:,x>; rel="next"' }, '[{"id":1}]')
end
faults.bad_link = function(con)
  answer(con, "200 OK", { JSON, 'Link: <http://[::1/api/v1/x>; rel="next"' }, '[{"id":1}]')
end
-- Echoes the Authorization header back in a response header.
faults.echo_header = function(con, req)
  answer(con, "400 Bad Request", { JSON, "X-Echo: " .. (req.headers.authorization or "") },
    '{"errors":[{"message":"bad request"}]}')
end
-- Terminal escape sequences in the text of an error: raw, and in JSON.
faults.escape_raw = function(con)
  answer(con, "400 Bad Request", { "Content-Type: text/plain" }, "\27]0;pwned\7\27[2Jraw")
end
faults.escape = function(con)
  answer(con, "400 Bad Request", { JSON },
    '{"errors":[{"message":"\\u001b]0;pwned\\u0007\\u001b[2Jcleared"}]}')
end

local cq = cqueues.new()

local function serve(srv, name)
  cq:wrap(function()
    for con in srv:clients() do
      cq:wrap(function()
        con:setmode("b", "bn")
        local ok, err = pcall(function()
          local req = read_request(con)
          if not req then return end
          log:write(name, " ", req.method, " ", req.target, " ",
            req.headers.authorization or "-", " ", req.headers["x-evil"] or "-", "\n")
          local fault = req.target:match("/f/([%w_]+)") or req.target:match("/users/fault_([%w_]+)")
          if req.target:find("/login/oauth2/token", 1, true) then fault = "token" end
          if req.target:find("/users/424242", 1, true) then fault = "array_answer" end
          local f = name == "canvas" and faults[fault]
          if f then f(con, req) else answer(con, "404 Not Found", { JSON }, '{"errors":[]}') end
        end)
        if not ok and not tostring(err):find("Broken pipe") and not tostring(err):find("reset") then
          io.stderr:write("fault_server: ", tostring(err), "\n")
        end
        pcall(con.close, con)
      end)
    end
  end)
end

serve(canvas, "canvas")
serve(foreign, "foreign")
-- Never outlive a forgotten spec run by much.
cq:wrap(function() cqueues.sleep(600); os.exit(0) end)

io.stdout:write(string.format("pid=%d canvas=%d foreign=%d\n",
  tonumber(io.open("/proc/self/stat"):read("l"):match("^(%d+)")), canvas_port, foreign_port))
io.stdout:flush()
assert(cq:loop())
