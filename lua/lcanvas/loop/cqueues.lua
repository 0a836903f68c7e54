--- lcanvas inside a cqueues event loop.
-- After `require "lcanvas.loop.cqueues"`, a request made from a coroutine
-- that a cqueues controller runs (`cq:wrap(fn)`) yields to the controller
-- while it waits, instead of blocking the whole program: other coroutines
-- (timers, servers) keep running. lcanvas's own map / each / gather work
-- there too; their scheduler waits through cqueues the same way. Code
-- outside a controller's coroutine blocks as before.
--
-- A Client is also a cqueues pollable (`pollfd`, `events`, `timeout`):
-- `cqueues.poll(client)` returns when the client has something to do, and
-- `client:step()` then does it without blocking.
local cqueues = require "cqueues"
local condition = require "cqueues.condition"
local core = require "lcanvas.core"

local M = {}

-- Signalled whenever a transfer finished, so that every coroutine waiting
-- for lcanvas looks again: the one that drove the engine may have
-- finished another coroutine's request.
local finished = condition.new()

-- core.set_host's wait: true when it waited (in a coroutine the controller
-- resumes directly), false to let the caller block.
local function wait(clients, timeout)
  local _, direct = cqueues.running()
  if not direct then return false end
  clients[#clients + 1] = finished
  clients[#clients + 1] = timeout
  cqueues.poll(table.unpack(clients))
  return true
end

local function wake() finished:signal() end

-- A client closing while a coroutine polls it: every controller forgets
-- its descriptor first (polling a closed descriptor would end the whole
-- cq:loop() with EBADF), and the waiters, woken, raise the cancellation in
-- their own coroutines.
local function forget(client)
  local fd = client:pollfd()
  if fd >= 0 then cqueues.cancel(fd) end
end

--- lcanvas.loop.cqueues.install(): route lcanvas's waits through cqueues (done by require).
function M.install() core.set_host(wait, wake, forget) end

--- lcanvas.loop.cqueues.uninstall(): requests block again everywhere.
function M.uninstall() core.set_host(nil) end

M.install()
return M
