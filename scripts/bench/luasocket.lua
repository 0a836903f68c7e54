-- What a Lua user writes by hand: luasocket.http + lua-cjson.
--   lua5.4 luasocket.lua users BASE N | pages FIRST_URL
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local headers = { authorization = "Bearer bench-token", accept = "application/json" }

local function get(url)
  local chunks = {}
  local ok, code, h = http.request({ url = url, headers = headers, sink = ltn12.sink.table(chunks) })
  if not ok or code ~= 200 then error("GET " .. url .. " -> " .. tostring(code)) end
  return cjson.decode(table.concat(chunks)), h
end

local mode, a, b = ...
local total = 0
if mode == "users" then
  for i = 1, tonumber(b) do
    local u = get(a .. "/api/v1/users/" .. i)
    if u.id then total = total + 1 end
  end
else
  local url = a
  while url do
    local page, h = get(url)
    for _, u in ipairs(page) do if u.id then total = total + 1 end end
    url = h.link and h.link:match('<([^>]+)>%s*;%s*rel="next"')
  end
end
print(total)
