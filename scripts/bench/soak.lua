-- Soak: 20,000 mixed requests against a sandbox (throttle off), reporting the
-- process's RSS at the start (after a warm-up) and at the end, so a leak in
-- any request path shows as growth. Run from the repository root:
--   lua5.4 scripts/bench/soak.lua [REQUESTS]     (LCANVAS_BUILD=build by default)
-- The mix, per round: get_user, get_current_user, a 404, a profile, a PUT,
-- a custom-data write, an answer the client refuses (a 2xx that is not
-- JSON), two pages of a list and a 4-way map of get_user. Prints one line:
--   soak: 20000 requests in 41.2 s (485/s), 2000 errors as expected; RSS start 11.9 MB, end 12.1 MB (+1.7%)
local root = (arg[0]:match("^(.*)/scripts/bench/soak%.lua$") or ".")
local build = os.getenv("LCANVAS_BUILD") or "build"
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/spec/?.lua;" .. package.path
package.cpath = root .. "/" .. build .. "/lib/?.so;" .. package.cpath

local lcanvas = require "lcanvas"
local sandbox = require "helper"  -- spec/helper.lua: starts a sandbox, talks to its control API
local socket = require "socket"

local target = tonumber(arg[1] or "20000")

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
