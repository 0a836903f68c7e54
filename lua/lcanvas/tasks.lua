--- Tasks: many requests at once from plain sequential Lua.
-- A task is a coroutine. Inside one, every request (methods, canvas:request,
-- list pages) submits a transfer to the client's curl multi engine and
-- yields; this scheduler drives the engines (core.poll) and resumes each
-- task when its answer arrived. Outside tasks nothing changes: requests
-- block as before.
local core = require "lcanvas.core"

local M = {}

local TASKS = core.task_registry()   -- coroutine -> task; C looks here before yielding
local WAIT = setmetatable({}, { __name = "lcanvas.wait" })  -- yielded with an event to wait for

local ready = {}        -- tasks to resume, in order
local by_box = {}       -- Pending box -> the task waiting for it
local nboxes = 0
local by_event = {}     -- event -> tasks waiting for it
local nevents = 0
local finished = 0      -- tasks finished so far (orders failures in time)

local function make_ready(task, arg)
  task.arg = arg
  ready[#ready + 1] = task
end

--- Wakes every task waiting for `ev`.
local function notify(ev)
  local list = by_event[ev]
  if not list then return end
  by_event[ev] = nil
  nevents = nevents - #list
  for _, t in ipairs(list) do make_ready(t) end
end

local function current_task()
  local co = coroutine.running()
  local t = TASKS[co]
  if t and t.co == co and coroutine.isyieldable() then return t end
end

local function step(task)
  local co = task.co
  local res
  if task.args then
    local args = task.args
    task.args = nil
    res = table.pack(coroutine.resume(co, table.unpack(args, 1, args.n)))
  else
    local arg = task.arg
    task.arg = nil
    res = table.pack(coroutine.resume(co, arg))
  end
  if coroutine.status(co) == "dead" then
    TASKS[co] = nil
    finished = finished + 1
    task.seq = finished
    task.done, task.ok, task.res = true, res[1], res
    if task.on_done then task.on_done(task) end
    return
  end
  local v = res[2]
  if v == WAIT then
    local ev = res[3]
    local list = by_event[ev]
    if not list then list = {}; by_event[ev] = list end
    list[#list + 1] = task
    nevents = nevents + 1
  elseif core.is_pending(v) then
    by_box[v] = task
    nboxes = nboxes + 1
  else
    make_ready(task)  -- a plain coroutine.yield(): let the others run
  end
end

-- Runs the loop until done() is true.
local function run(done)
  while not done() do
    if #ready > 0 then
      local batch = ready
      ready = {}
      for _, t in ipairs(batch) do step(t) end
    elseif nboxes == 0 then
      if done() then break end
      error("lcanvas: every task is waiting for another one (deadlock)", 0)
    end
    if nboxes > 0 then
      for _, box in ipairs(core.poll(#ready > 0 and 0 or 1000)) do
        local t = by_box[box]
        if t then
          by_box[box] = nil
          nboxes = nboxes - 1
          make_ready(t, box)
        end
      end
    end
  end
end

-- Starts fn(...) as a task (resumed by the running loop).
local function spawn(fn, ...)
  local task = { args = table.pack(...) }
  task.co = coroutine.create(fn)
  TASKS[task.co] = task
  make_ready(task)
  return task
end

-- Waits until every task in `tasks` has finished: inside a task by
-- yielding to the loop, otherwise by running the loop here.
local function join(tasks)
  local left = 0
  local ev = {}
  for _, t in ipairs(tasks) do
    if not t.done then
      left = left + 1
      t.on_done = function()
        left = left - 1
        if left == 0 then notify(ev) end
      end
    end
  end
  if left == 0 then return end
  if current_task() then
    while left > 0 do coroutine.yield(WAIT, ev) end
  else
    run(function() return left == 0 end)
  end
end

-- Waits until notify(ev) (tasks taking turns at a shared iterator).
local function wait_for(ev)
  if current_task() then coroutine.yield(WAIT, ev) else run(function() return true end) end
end

local function with_item(err, index, item)
  if type(err) == "table" then
    if rawget(err, "index") == nil then
      rawset(err, "index", index)
      rawset(err, "item", item)
    end
    return err
  end
  return string.format("item %d: %s", index, tostring(err))
end

local function check_opts(opts, argn, who)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("bad argument #%d to '%s' (options table expected, got %s)", argn, who,
      type(opts)), 3)
  end
  opts = opts or {}
  local conc = opts.concurrency
  if conc == nil then conc = 8 end
  if math.type(conc) ~= "integer" or conc < 1 then
    error(string.format("bad argument #%d to '%s' (concurrency must be an integer >= 1)", argn, who), 3)
  end
  local mode = opts.errors or "raise"
  if mode ~= "raise" and mode ~= "collect" then
    error(string.format("bad argument #%d to '%s' (errors must be \"raise\" or \"collect\")", argn, who), 3)
  end
  return conc, mode == "collect", opts
end

-- Runs `conc` workers over a source of items: next_item() -> index, item
-- (nil at the end). fn(item, index) -> result; false as result from an
-- `each` callback stops handing out items.
local function run_pool(conc, collect, next_item, fn, on_result)
  local stop, first_err, first_index, first_item = false, nil, nil, nil
  local failures = {}
  local function worker()
    while not stop do
      local ok, i, item = pcall(next_item)
      if not ok then
        -- The source itself failed (e.g. a page of a list): no item to name.
        if not first_err then first_err = i end
        stop = true
        break
      end
      if i == nil then break end
      local fok, r = pcall(fn, item, i)
      if fok then
        if on_result(i, r) == false then stop = true end
      elseif collect then
        failures[#failures + 1] = { index = i, item = item, error = r }
      else
        if not first_err then first_err, first_index, first_item = r, i, item end
        stop = true
      end
    end
  end
  local workers = {}
  for k = 1, conc do workers[k] = spawn(worker) end
  join(workers)
  for _, w in ipairs(workers) do
    if not w.ok then error(w.res[2], 0) end  -- a bug in the pool itself
  end
  if first_err ~= nil then
    if first_index then error(with_item(first_err, first_index, first_item), 0) end
    error(first_err, 0)
  end
  table.sort(failures, function(a, b) return a.index < b.index end)
  return failures
end

--- Client:map(items, fn [, opts]): fn(item, index) for every item, up to opts.concurrency (8) at once; results in input order.
function M.map(_, items, fn, opts)
  if type(items) ~= "table" then
    error("bad argument #1 to 'map' (table expected, got " .. type(items) .. ")", 2)
  end
  if type(fn) ~= "function" then
    error("bad argument #2 to 'map' (function expected, got " .. type(fn) .. ")", 2)
  end
  local conc, collect = check_opts(opts, 3, "map")
  local n = #items
  local results = { n = n }
  local cursor = 0
  local function next_item()
    if cursor >= n then return nil end
    cursor = cursor + 1
    return cursor, items[cursor]
  end
  local failures = run_pool(math.min(conc, math.max(n, 1)), collect, next_item, fn,
    function(i, r) results[i] = r end)
  if collect then return results, failures end
  return results
end

--- lcanvas.gather(f1, f2, ...): runs the functions as concurrent tasks; returns their first results in order.
function M.gather(...)
  local fns = table.pack(...)
  for i = 1, fns.n do
    if type(fns[i]) ~= "function" then
      error(string.format("bad argument #%d to 'gather' (function expected, got %s)", i, type(fns[i])), 2)
    end
  end
  local tasks = {}
  for i = 1, fns.n do tasks[i] = spawn(fns[i]) end
  join(tasks)
  local first, first_i
  for i, t in ipairs(tasks) do
    if not t.ok and (not first or t.seq < first.seq) then first, first_i = t, i end
  end
  if first then error(with_item(first.res[2], first_i, fns[first_i]), 0) end
  local out = {}
  for i, t in ipairs(tasks) do out[i] = t.res[2] end
  return table.unpack(out, 1, fns.n)
end

--- PaginatedList:each(fn [, opts]): streams the list through fn(item, index) with opts.concurrency (8) tasks, keeping no pages; fn returning false stops.
function M.each(list, fn, opts)
  if type(fn) ~= "function" then
    error("bad argument #1 to 'each' (function expected, got " .. type(fn) .. ")", 2)
  end
  local conc, collect, o = check_opts(opts, 2, "each")
  local it, _, _, closer = list:iter({ keep = false, prefetch = o.prefetch })
  local busy, lock, count, ended = false, {}, 0, false
  -- One task at a time pulls from the iterator (a page fetch yields).
  local function next_item()
    while busy do wait_for(lock) end
    if ended then return nil end
    busy = true
    local ok, item = pcall(it)
    busy = false
    notify(lock)
    if not ok then ended = true; error(item, 0) end
    if item == nil then ended = true; return nil end
    count = count + 1
    return count, item
  end
  local ok, failures = pcall(run_pool, conc, collect, next_item, fn, function(_, r)
    if r == false then ended = true; return false end
  end)
  -- Stopped early or failed: the page fetched ahead is of no use.
  getmetatable(closer).__close(closer)
  if not ok then error(failures, 0) end
  if collect then return count, failures end
  return count
end

M.spawn, M.join, M.run, M.notify = spawn, join, run, notify
M.current_task = current_task

return M
