-- A tiny page generator for the soak benchmark's streaming loop: serves
-- GET /api/v1/soak/<list>/<n> on loopback, a page of 10 small user
-- objects each, linked (rel="next") to page n + 1 up to page PAGES. Uses
-- the sandbox's HTTP server (keep-alive) so the client's connection is
-- reused page after page, as Canvas's would be.
--   lua5.4 scripts/bench/pages.lua PAGES      prints "pid=N port=N", serves until killed
--                                             (or for at most 30 minutes)
local root = arg[0]:match("^(.*)/scripts/bench/pages%.lua$") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
local cqueues = require "cqueues"
local http = require "lcanvas.sandbox.http"

local pages = tonumber(arg[1] or "100000")
local srv, port = http.listen("127.0.0.1", 0)
local base = "http://127.0.0.1:" .. port

local function page(n)
  local items = {}
  for k = 1, 10 do
    local id = (n - 1) * 10 + k
    items[k] = string.format('{"id":%d,"name":"User %d","login_id":"user%d","sis_user_id":"S%07d",'
      .. '"created_at":"2024-01-01T00:00:00Z"}', id, id, id, id)
  end
  return "[" .. table.concat(items, ",") .. "]"
end

local cq = cqueues.new()
http.serve(cq, srv, function(req)
  local list, n = req.path:match("^/api/v1/soak/(%w+)/(%d+)$")
  n = tonumber(n)
  if not n or n < 1 or n > pages then return { status = 404, body = "[]" } end
  local headers = { ["Content-Type"] = "application/json" }
  if n < pages then
    headers.Link = string.format('<%s/api/v1/soak/%s/%d?per_page=10>; rel="next"', base, list, n + 1)
  end
  return { status = 200, headers = headers, body = page(n) }
end)
cq:wrap(function() cqueues.sleep(1800); os.exit(0) end)
local pid = io.open("/proc/self/stat"):read("l"):match("^(%d+)")
io.stdout:write("pid=", pid, " port=", port, "\n")
io.stdout:flush()
assert(cq:loop())
