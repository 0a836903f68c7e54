-- Generates the static Canvas-like answers nginx serves to the benchmarks:
-- users/1..10000, and lists of 100 users a page (pages/100/*, pages/1000/*)
-- chained by Link headers through an nginx map.
--   lua5.4 gen.lua DIR PORT
local dir, port = ...
local function user(id)
  return string.format('{"id":%d,"name":"User %d","sortable_name":"%d, User","short_name":"User %d",'
    .. '"sis_user_id":"S%06d","integration_id":null,"login_id":"user%d","email":"user%d@example.edu",'
    .. '"avatar_url":"https://example.edu/images/thumbnails/%d.png","locale":null,'
    .. '"created_at":"2024-01-01T00:00:00Z","time_zone":"America/Denver"}',
    id, id, id, id, id, id, id, id)
end
local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end
local api = dir .. "/www/api/v1"
assert(os.execute("mkdir -p " .. api .. "/users " .. api .. "/pages/100 " .. api .. "/pages/1000 "
  .. api .. "/accounts/100 " .. api .. "/accounts/1000"))
for i = 1, 10000 do write(api .. "/users/" .. i, user(i)) end
local map = {}
for _, pages in ipairs({ 100, 1000 }) do
  for p = 1, pages do
    local items = {}
    for k = 1, 100 do items[k] = user((p - 1) * 100 + k) end
    local body = "[" .. table.concat(items, ",") .. "]"
    write(string.format("%s/pages/%d/%d", api, pages, p), body)
    -- account <pages>'s users: the same first page, then the same chain, so
    -- `for u in account:get_users()` reads what the other forms read
    if p == 1 then write(string.format("%s/accounts/%d/users", api, pages), body) end
    if p < pages then
      map[#map + 1] = string.format(
        '/api/v1/pages/%d/%d "<http://127.0.0.1:%s/api/v1/pages/%d/%d?per_page=100>; rel=\\"next\\"";',
        pages, p, port, pages, p + 1)
      if p == 1 then
        map[#map + 1] = string.format(
          '/api/v1/accounts/%d/users "<http://127.0.0.1:%s/api/v1/pages/%d/2?per_page=100>; rel=\\"next\\"";',
          pages, port, pages)
      end
    end
  end
end
-- accounts/<n> (served from accounts/<n>.json: accounts/<n>/ is a directory)
for _, n in ipairs({ 100, 1000 }) do
  write(string.format("%s/accounts/%d.json", api, n), string.format('{"id":%d,"name":"Bench %d"}', n, n))
end
write(dir .. "/links.map", table.concat(map, "\n") .. "\n")
