--- lcanvas driven from libuv's loop (luv, Debian's lua-luv).
-- libuv runs callbacks, not coroutines, so lcanvas code runs in
-- coroutines started with `spawn(fn, ...)`: a request made there
-- suspends the coroutine while it waits and libuv's loop goes on (timers,
-- sockets, other coroutines); the coroutine is resumed from a libuv
-- callback when the client's descriptor is ready or its timer is due.
-- lcanvas's own map / each / gather work inside such a coroutine. Code
-- anywhere else blocks as before.
--
--   local loop = require "lcanvas.loop.luv"
--   loop.spawn(function() print(canvas:get_user(3).name) end)
--   uv.run()
local uv = require "luv"
local core = require "lcanvas.core"

local M = {}

local ours = setmetatable({}, { __mode = "k" })     -- coroutines started by spawn
local waiting = {}                                   -- coroutine -> its timer
local polls = setmetatable({}, { __mode = "k" })    -- client -> its uv poll handle
local SUSPEND = {}

--- lcanvas.loop.luv.on_error(err, co): called when a spawned coroutine fails; raises by default.
function M.on_error(err) error(err, 0) end

local function resume(co, ...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then M.on_error(debug.traceback(co, tostring(err)), co) end
end

-- Resumes every waiting coroutine (each looks again whether its request
-- finished), after stopping what they waited on: a handle left active
-- would keep uv.run from returning.
local function wake_all()
  for _, p in pairs(polls) do p:stop() end
  local list = {}
  for co, timer in pairs(waiting) do
    timer:stop()
    timer:close()
    list[#list + 1] = co
  end
  waiting = {}
  for _, co in ipairs(list) do resume(co) end
end

local waker   -- a 0 ms timer: wake() is called from inside a coroutine

local function wake()
  if next(waiting) == nil then return end
  if not waker then waker = uv.new_timer() end
  waker:start(0, 0, wake_all)
end

local function wait(clients, timeout)
  local co = coroutine.running()
  if not ours[co] then return false end
  local t = timeout or 1
  for _, c in ipairs(clients) do
    local p = polls[c]
    if not p then
      local fd = c:pollfd()
      if fd >= 0 then
        p = uv.new_poll(fd)
        polls[c] = p
      end
    end
    if p then p:start("r", wake_all) end
    local ct = c:timeout()
    if ct and ct < t then t = ct end
  end
  local timer = uv.new_timer()
  waiting[co] = timer
  timer:start(math.max(0, math.ceil(t * 1000)), 0, wake_all)
  coroutine.yield(SUSPEND)
  return true
end

--- lcanvas.loop.luv.spawn(fn, ...): runs fn(...) in a coroutine whose lcanvas requests wait through libuv; returns the coroutine.
function M.spawn(fn, ...)
  local co = coroutine.create(fn)
  ours[co] = true
  resume(co, ...)
  return co
end

--- lcanvas.loop.luv.install(): route lcanvas's waits through libuv (done by require).
function M.install() core.set_host(wait, wake) end

--- lcanvas.loop.luv.uninstall(): requests block again everywhere.
function M.uninstall() core.set_host(nil) end

M.install()
return M
