-- Soak: 20,000 mixed requests against a sandbox (throttle off), reporting the
-- process's RSS at the start (after a warm-up) and at the end, so a leak in
-- any request path shows as growth. Run from the repository root:
--   lua5.4 scripts/bench/soak.lua [REQUESTS]     (LCANVAS_BUILD=build by default)
-- The mix, per round: get_user, get_current_user, a 404, a profile, a PUT,
-- a custom-data write, an answer the client refuses (a 2xx that is not
-- JSON), two pages of a list and a 4-way map of get_user. Prints one line:
--   soak: 20000 requests in 41.2 s (485/s), 2000 errors as expected; RSS start 11.9 MB, end 12.1 MB (+1.7%)
-- Then a streaming loop over one list of PAGES pages (default 100,000; 10
-- typed items a page) from a local page generator (scripts/bench/pages.lua),
-- with the RSS after a warm-up, every tenth of the way, and at the end:
--   soak pages: 100000 pages, 1000000 items in 52.0 s (1923 pages/s); RSS start 12.0 MB, end 12.1 MB (+0.8%), highest 12.2 MB
--   lua5.4 scripts/bench/soak.lua [REQUESTS [PAGES]]
local root = (arg[0]:match("^(.*)/scripts/bench/soak%.lua$") or ".")
local build = os.getenv("LCANVAS_BUILD") or "build"
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/spec/?.lua;" .. package.path
package.cpath = root .. "/" .. build .. "/lib/?.so;" .. package.cpath

local lcanvas = require "lcanvas"
local sandbox = require "helper"  -- spec/helper.lua: starts a sandbox, talks to its control API
local socket = require "socket"

local target = tonumber(arg[1] or "20000")
local page_target = tonumber(arg[2] or "100000")

local function rss_mb()
  collectgarbage("collect")
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmRSS:%s*(%d+)")
    if kb then return tonumber(kb) / 1024 end
  end
end

sandbox.start()
sandbox.config({ throttle = { enabled = false } })
sandbox.fault({ path = "/api/v1/soak/notjson", status = 200, content_type = "text/html",
  body = "<html>not an API answer</html>", count = 1e9 })
local c = lcanvas.new(sandbox.url, sandbox.tokens.admin, { per_page = 20, max_retries = 0 })
local errors, rounds = 0, 0

local function expect_error(kind, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok and type(err) == "table" and err.kind == kind,
    "expected " .. kind .. ", got " .. tostring(err))
  errors = errors + 1
end

local function round(i)
  local id = 100 + i % 300
  assert(c:get_user(id).id == id)
  assert(c:get_current_user().id == 1)
  expect_error("ResourceDoesNotExist", c.get_user, c, 999999)
  assert(c:request("GET", "users/" .. id .. "/profile").id == id)
  c:request("PUT", "users/3", { user = { short_name = "Soak " .. i % 7 } })
  c:request("PUT", "users/3/custom_data/soak", { ns = "soak", data = { i = i, s = ("x"):rep(i % 50) } })
  local n = 0
  expect_error("InvalidResponse", c.request, c, "GET", "soak/notjson")
  for _ in c:list("accounts/1/users"):iter() do
    n = n + 1
    if n == 40 then break end  -- two pages of 20
  end
  local ids = { id, id + 1 - (id == 399 and 300 or 0), 100 + (i * 7) % 300, 100 + (i * 13) % 300 }
  c:map(ids, function(u) return c:get_user(u).id end, { concurrency = 4 })
  rounds = rounds + 1
end

-- warm-up: caches, connection pool, Lua's heap at its working size
for i = 1, 20 do round(i) end
local start_requests = c:stats().requests
local rss_start = rss_mb()
local t0 = socket.gettime()
local i = 20
while c:stats().requests - start_requests < target do
  i = i + 1
  round(i)
end
local dt = socket.gettime() - t0
local sent = c:stats().requests - start_requests
local rss_end = rss_mb()
print(string.format("soak: %d requests in %.1f s (%.0f/s), %d errors as expected; "
  .. "RSS start %.1f MB, end %.1f MB (%+.1f%%)", sent, dt, sent / dt, errors, rss_start, rss_end,
  (rss_end - rss_start) / rss_start * 100))
sandbox.stop()

-- The streaming loop: a list of page_target pages, each a new request over
-- the kept-alive connection, its items made as the loop reaches them. The
-- list's memory must not grow with the pages read (the next links' repeat
-- check is constant memory, a window keeps one page).
local gen = assert(io.popen(string.format("exec lua5.4 %q %d", root .. "/scripts/bench/pages.lua",
  page_target), "r"))
local gen_pid, gen_port = (gen:read("l") or ""):match("^pid=(%d+) port=(%d+)$")
assert(gen_pid, "the page generator did not start")
local pc = lcanvas.new("http://127.0.0.1:" .. gen_port, "soak-token",
  { max_pages = page_target + 10, max_retries = 0 })
local warm = 0
for _ in pc:list("soak/warm/1", nil, { type = "User" }):iter({ keep = false }) do
  warm = warm + 1
  if warm == 10000 then break end   -- 1,000 pages
end
local prss_start, prss_max = rss_mb(), 0
local items, t1 = 0, socket.gettime()
for u in pc:list("soak/run/1", nil, { type = "User" }):iter({ keep = false }) do
  items = items + 1
  assert(u.id == items)
  if items % (page_target // 10 * 10) == 0 then
    local r = rss_mb()
    if r > prss_max then prss_max = r end
    io.stderr:write(string.format("   soak pages: %d pages, RSS %.1f MB\n", items // 10, r))
  end
end
local pdt = socket.gettime() - t1
local prss_end = rss_mb()
if prss_end > prss_max then prss_max = prss_end end
pc:close()
print(string.format("soak pages: %d pages, %d items in %.1f s (%.0f pages/s); RSS start %.1f MB, "
  .. "end %.1f MB (%+.1f%%), highest %.1f MB", items // 10, items, pdt, items / 10 / pdt, prss_start,
  prss_end, (prss_end - prss_start) / prss_start * 100, prss_max))
os.execute("kill " .. gen_pid .. " 2>/dev/null")
pcall(gen.close, gen)
assert(items == page_target * 10, "the loop read " .. items .. " items")
