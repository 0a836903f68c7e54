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
--   loop.run()   -- uv.run(), raising here what a spawned coroutine raised
--
-- Errors fail like Lua's: an error in a spawned coroutine (an
-- lcanvas.Error, a Ctrl-C) stops the loop, the other spawned coroutines
-- still waiting are unwound with the same error (so their `<close>`
-- handlers run and an lcanvas.outfile being written is removed, as after
-- any failure), the adapter's handles are closed, and `loop.run()` (or
-- `uv.run()` while the adapter is installed) raises the error in its
-- caller, never through libuv's uncaught-error exit. Under the lcanvas
-- executable that gives its usual exit status (1, 130 for Ctrl-C...).
local uv = require "luv"
local core = require "lcanvas.core"
local is_interrupt = require("lcanvas.script.errors").is_interrupt

local M = {}

local ours = setmetatable({}, { __mode = "k" })     -- coroutines started by spawn
local waiting = {}                                   -- coroutine -> its timer
local polls = setmetatable({}, { __mode = "k" })    -- client -> its uv poll handle
-- A client collected without close() leaves its poll handle open (luv
-- anchors an open handle): a guard collected with it (an ephemeron entry)
-- lists the handle, and the next wait closes it. Its __gc touches no
-- libuv, which may be finalized already when Lua closes.
local guards = setmetatable({}, { __mode = "k" })   -- client -> guard
local orphans = {}                                   -- poll handles of collected clients
local SUSPEND = {}
local ABORT = {}        -- resumes a waiting coroutine to unwind it
local failure           -- { err } of the first spawned coroutine that failed
local uv_run = uv.run   -- libuv's own, under the wrapper install() sets

-- What the caller of run sees: the error as raised (an lcanvas.Error, an
-- interrupt stay themselves, for the host's exit status and for
-- errors.is_interrupt), a plain message with its coroutine's traceback.
local function as_raised(err, co)
  if type(err) == "string" and not is_interrupt(err) then return debug.traceback(co, err) end
  return err
end

--- lcanvas.loop.luv.on_error(err, co): called when a spawned coroutine fails (after its `<close>` handlers ran); by default keeps the first error and stops the loop, so that loop.run() raises it.
function M.on_error(err)
  if not failure then failure = { err } end
  uv.stop()
end

local function resume(co, ...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then
    err = as_raised(err, co)
    coroutine.close(co)
    M.on_error(err, co)
  end
end

local function close_handle(h)
  if h and not h:is_closing() then h:close() end
end

-- Resumes every waiting coroutine (each looks again whether its request
-- finished), after stopping what they waited on: a handle left active
-- would keep uv.run from returning. Protected: a Ctrl-C's interrupt may
-- be raised right here, in libuv's callback, where it would end the
-- process through libuv's uncaught-error path.
local function wake_all()
  local ok, err = pcall(function()
    -- (a collected client's entry outlives it by a collection: its handle
    -- may be closing already)
    for _, p in pairs(polls) do if not p:is_closing() then p:stop() end end
    local list = {}
    for co, timer in pairs(waiting) do
      timer:stop()
      timer:close()
      list[#list + 1] = co
    end
    waiting = {}
    for _, co in ipairs(list) do resume(co) end
  end)
  if not ok then M.on_error(err) end
end

local waker   -- a 0 ms timer: wake() is called from inside a coroutine

local function wake()
  if next(waiting) == nil then return end
  if not waker or waker:is_closing() then waker = uv.new_timer() end
  waker:start(0, 0, wake_all)
end

local function close_orphans()
  for i = #orphans, 1, -1 do
    local p = orphans[i]
    orphans[i] = nil
    if not p:is_closing() then
      p:stop()
      p:close()
    end
  end
end

local function wait(clients, timeout)
  local co = coroutine.running()
  if not ours[co] then return false end
  if orphans[1] then close_orphans() end
  local t = timeout or 1
  for _, c in ipairs(clients) do
    local p = polls[c]
    if not p then
      local fd = c:pollfd()
      if fd >= 0 then
        p = uv.new_poll(fd)
        polls[c] = p
        local handle = p
        guards[c] = setmetatable({}, { __gc = function() orphans[#orphans + 1] = handle end })
      end
    end
    if p then p:start("r", wake_all) end
    local ct = c:timeout()
    if ct and ct < t then t = ct end
  end
  local timer = uv.new_timer()
  waiting[co] = timer
  timer:start(math.max(0, math.ceil(t * 1000)), 0, wake_all)
  if coroutine.yield(SUSPEND) == ABORT then error(failure and failure[1] or "aborted", 0) end
  return true
end

-- A closing client: its poll handle is stopped and closed before the
-- descriptor is (2,000 clients must not leave 2,000 handles).
local function forget(client)
  local p = polls[client]
  polls[client] = nil
  if guards[client] then setmetatable(guards[client], nil) end
  guards[client] = nil
  if p and not p:is_closing() then
    p:stop()
    p:close()
  end
end

--- lcanvas.loop.luv.spawn(fn, ...): runs fn(...) in a coroutine whose lcanvas requests wait through libuv; returns the coroutine. An error before its first wait is raised here.
function M.spawn(fn, ...)
  local co = coroutine.create(fn)
  ours[co] = true
  local ok, err = coroutine.resume(co, ...)
  if not ok then
    err = as_raised(err, co)
    coroutine.close(co)
    error(err, 0)
  end
  return co
end

--- lcanvas.loop.luv.close(): closes the adapter's libuv handles (poll handles of clients, timers); uninstall() does it too.
function M.close()
  close_orphans()
  for c, p in pairs(polls) do
    polls[c] = nil
    if guards[c] then setmetatable(guards[c], nil) end
    guards[c] = nil
    if not p:is_closing() then
      p:stop()
      p:close()
    end
  end
  for co, timer in pairs(waiting) do
    waiting[co] = nil
    close_handle(timer)
  end
  close_handle(waker)
  waker = nil
end

--- lcanvas.loop.luv.run([mode]): uv.run(mode); raises in its caller the first error of a spawned coroutine, after unwinding the spawned coroutines still waiting with it and closing the adapter's handles.
function M.run(mode)
  -- Under the lcanvas executable a Ctrl-C must not be raised inside one of
  -- libuv's callbacks (libuv would exit with 255, skipping every clean-up):
  -- it only stops the waits, the request raises Interrupted in its
  -- coroutine, and that error comes out here.
  local host = package.loaded["lcanvas.host"]
  local defer = host and host.defer_interrupts
  local was = defer and defer(true)
  local r = uv_run(mode)
  if orphans[1] then
    close_orphans()
    uv_run("nowait")
  end
  local err = failure and failure[1]
  if failure then
    local list = {}
    for co in pairs(waiting) do list[#list + 1] = co end
    M.close()
    for _, co in ipairs(list) do
      if coroutine.status(co) == "suspended" then
        coroutine.resume(co, ABORT)   -- raises err inside it: its <close> handlers see a failure
        coroutine.close(co)
      end
    end
    failure = nil
    -- Let the loop settle the closed handles, so that none stays behind.
    uv_run("nowait")
  end
  if defer then
    local ok, ierr = pcall(defer, was)   -- raises when a signal came meanwhile
    if not ok and not err then err = ierr end
  end
  if err ~= nil then error(err, 0) end
  return r
end

--- lcanvas.loop.luv.install(): route lcanvas's waits through libuv, and make uv.run raise a spawned coroutine's error (done by require).
function M.install()
  core.set_host(wait, wake, forget)
  uv.run = M.run
end

--- lcanvas.loop.luv.uninstall(): requests block again everywhere; uv.run is libuv's own again and the adapter's handles are closed.
function M.uninstall()
  core.set_host(nil)
  uv.run = uv_run
  M.close()
  uv_run("nowait")   -- the closes complete in the loop
end

M.install()
return M
