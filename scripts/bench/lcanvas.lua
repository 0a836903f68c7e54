-- The lcanvas side of the benchmarks.
--   lua5.4 lcanvas.lua users BASE N          sequential get_user (typed User objects)
--   lua5.4 lcanvas.lua loop BASE ACCOUNT     the natural loop: for u in account:get_users()
--   lua5.4 lcanvas.lua iter BASE PATH        streaming: for u in list:iter{keep = false}
--   lua5.4 lcanvas.lua pages BASE PATH       concurrent: list:each (8 tasks, prefetch)
--   lua5.4 lcanvas.lua fanout BASE N CONC    N profile fetches, CONC at once (0: sequential)
--   lua5.4 lcanvas.lua download BASE URL OUT canvas:download of URL (a redirect to the file
--                                           store) into OUT; prints the size
--   lua5.4 lcanvas.lua throttled - N CONC    N get_user against a fresh sandbox and its
--                                           default bucket; prints the count and throttled answers seen (429, or the older 403)
local lcanvas = require "lcanvas"

local mode, base, a, b = ...
local sandbox
if mode == "throttled" then
  sandbox = require "helper"  -- spec/helper.lua: starts a sandbox, reads its request log
  sandbox.start()
  base = sandbox.url
end
local c = lcanvas.new(base, sandbox and sandbox.tokens.admin or "bench-token")
local total = 0
if mode == "throttled" then
  local ids = {}
  for i = 1, tonumber(a) do ids[i] = 100 + (i - 1) % 300 end
  local r = c:map(ids, function(id) return c:get_user(id).id end, { concurrency = tonumber(b) })
  for i = 1, #ids do if r[i] == ids[i] then total = total + 1 end end
  local throttled = 0
  for _, q in ipairs(sandbox.requests()) do if q.status == 429 or q.status == 403 then throttled = throttled + 1 end end
  total = total .. " ok, " .. throttled .. " throttled answers"
elseif mode == "users" then
  for i = 1, tonumber(a) do
    local u = c:get_user(i)
    if u.id then total = total + 1 end
  end
elseif mode == "loop" then
  local account = c:get_account(tonumber(a))
  for u in account:get_users() do
    if u.id then total = total + 1 end
  end
elseif mode == "iter" then
  for u in c:list(a, nil, { type = "User" }):iter({ keep = false }) do
    if u.id then total = total + 1 end
  end
elseif mode == "pages" then
  total = c:list(a, nil, { type = "User" }):each(function(u)
    if not u.id then error("no id") end
  end)
elseif mode == "fanout" then
  local n, conc = tonumber(a), tonumber(b)
  local ids = {}
  for i = 1, n do ids[i] = i end
  local function fetch(id) return c:request("GET", "slow/users/" .. id .. "/profile").id end
  if conc == 0 then
    for _, id in ipairs(ids) do if fetch(id) then total = total + 1 end end
  else
    local r = c:map(ids, fetch, { concurrency = conc })
    for i = 1, n do if r[i] == i then total = total + 1 end end
  end
elseif mode == "download" then
  local _, size = c:download(a, b, { progress = false })
  total = size
end
print(total)
