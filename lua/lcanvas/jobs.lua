--- lcanvas.jobs: the one wait for Canvas's long-running jobs (a Progress, a
-- SIS import, an account report, a content migration). Each job type
-- declares its states here (jobs.kind); its `wait` method is jobs.wait.
-- A wait polls with a bounded backoff (Canvas's own pages poll every 1-3 s),
-- ends only on a terminal state (a Progress at 100% may still be running,
-- a report ends on error as on complete), and gives up with a Timeout
-- naming the last state. Polls sleep with lcanvas.sleep and refresh with an
-- ordinary request, so a wait blocks outside tasks, lets other tasks run
-- inside one, yields inside cqueues or luv, and ends within milliseconds
-- on Ctrl-C; left_running() then names the jobs left running.
local core = require "lcanvas.core"
local tasks = require "lcanvas.tasks"
local statusline = require "lcanvas.script.statusline"
local is_interrupt = require("lcanvas.script.errors").is_interrupt

local M = {}

--- lcanvas.jobs.DEFAULTS: a wait's defaults: interval (first pause, seconds), max_interval (the backoff's cap), timeout (seconds).
M.DEFAULTS = { interval = 1, max_interval = 3, timeout = 6 * 3600 }

local kinds = {}

--- lcanvas.jobs.kind(type_name, spec): declares how a job type is waited on: spec.noun ("SIS import"), spec.state (the state field), spec.terminal (a set of end states), spec.percent (a field, or fn(obj) -> 0-100 or nil), spec.refresh (fn(obj) reading the job again).
function M.kind(type_name, spec)
  kinds[type_name] = spec
  return spec
end

local function spec_of(obj)
  local t = core.is_object(obj) and getmetatable(obj).__type
  local spec = t and kinds[t]
  if not spec then error("lcanvas.jobs: " .. tostring(t) .. " is not a job type", 3) end
  return spec
end

local function percent(spec, obj)
  local p = spec.percent
  if type(p) == "function" then return p(obj) end
  local v = p and obj[p]
  return type(v) == "number" and v or nil
end

-- "importing, 40%": the job's state and how far it is.
local function state_text(spec, obj)
  local pct = percent(spec, obj)
  return tostring(obj[spec.state]) .. (pct and string.format(", %d%%", math.floor(pct + 0.5)) or "")
end

--- lcanvas.jobs.describe(obj): "SIS import 12 (importing, 40%)": the job, its state and how far it is.
function M.describe(obj)
  local spec = spec_of(obj)
  return string.format("%s %s (%s)", spec.noun, tostring(obj.id), state_text(spec, obj))
end

--- lcanvas.jobs.is_done(obj): whether the job is in one of its terminal states.
function M.is_done(obj)
  local spec = spec_of(obj)
  return spec.terminal[obj[spec.state]] == true
end


local function num_opt(opts, name)
  local v = opts[name]
  if v == nil then return M.DEFAULTS[name] end
  if type(v) ~= "number" or v ~= v or v < 0 then
    error(string.format("bad argument #1 to 'wait' (opts.%s must be a number of seconds, 0 or more)", name), 4)
  end
  return v
end

local function elapsed_text(s)
  if s < 10 then return (string.format("%.1fs", s):gsub("%.0s$", "s")) end
  if s < 60 then return string.format("%ds", math.floor(s)) end
  if s < 3600 then return string.format("%dm%02ds", math.floor(s / 60), math.floor(s % 60)) end
  return string.format("%dh%02dm", math.floor(s / 3600), math.floor(s % 3600 / 60))
end

-- The jobs being waited on now (several at once inside tasks).
local waiting = setmetatable({}, { __mode = "k" })

--- lcanvas.jobs.left_running(): the jobs whose wait an interrupt (Ctrl-C, SIGTERM) stopped, each as lcanvas.jobs.describe gives it, and forgets them; the host's report of the interrupt names them.
function M.left_running()
  local out = {}
  for obj in pairs(waiting) do
    local ok, text = pcall(M.describe, obj)
    out[#out + 1] = ok and text or tostring(obj)
    waiting[obj] = nil
  end
  table.sort(out)
  return out
end

--- lcanvas.jobs.wait(obj [, opts]): polls the job until a terminal state and returns it and that state; opts.timeout (seconds, default 6 h; Timeout error naming the last state), opts.interval / opts.max_interval (the backoff, 1 s growing to 3 s), opts.on_update(obj) (called with each new state or percentage), opts.progress (false: no status line; there is none inside tasks). An interrupt (Ctrl-C) raises as it came; lcanvas.jobs.left_running() names the job. A dry run's stand-in (a job never started) returns at once with the state "dry_run".
function M.wait(obj, opts)
  local spec = spec_of(obj)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("bad argument #1 to 'wait' (opts must be a table, got %s)", type(opts)), 3)
  end
  opts = opts or {}
  local timeout = num_opt(opts, "timeout")
  local interval = num_opt(opts, "interval")
  local max_interval = math.max(num_opt(opts, "max_interval"), interval)
  local on_update = opts.on_update
  if on_update ~= nil and type(on_update) ~= "function" then
    error("bad argument #1 to 'wait' (opts.on_update must be a function)", 3)
  end

  if obj.dry_run == true then
    -- Started under a dry run: nothing runs in Canvas, so there is nothing
    -- to wait for; the script goes on as it would after a real wait.
    io.stderr:write(string.format("DRY-RUN wait: the %s was not started (dry run); nothing to wait for\n",
      spec.noun))
    return obj, "dry_run"
  end

  local started = core.clock()
  local deadline = started + timeout
  local line
  if opts.progress ~= false and not tasks.current_task() and statusline.enabled() then
    local label = spec.noun .. " " .. tostring(obj.id)
    line = statusline.new(label, 100)
    line.formatter = function()
      return string.format("%s: %s, %s", label, state_text(spec, obj), elapsed_text(core.clock() - started))
    end
  end
  local seen_state, seen_pct
  waiting[obj] = true
  local ok, err = pcall(function()
    while true do
      local st, pct = obj[spec.state], percent(spec, obj)
      if st ~= seen_state or pct ~= seen_pct then
        seen_state, seen_pct = st, pct
        if line then line:set(pct or 0) end
        if on_update then on_update(obj) end
      end
      if spec.terminal[st] then return end
      local now = core.clock()
      if now >= deadline then
        error(core.error("Timeout", string.format("%s %s did not finish within %s; its last state was %s",
          spec.noun, tostring(obj.id), elapsed_text(timeout), state_text(spec, obj)), { job = obj, state = st }), 0)
      end
      core.sleep(math.min(interval, deadline - now))
      spec.refresh(obj)
      interval = math.min(interval * 1.5, max_interval)
    end
  end)
  -- An interrupted wait stays listed: the job goes on in Canvas, and the
  -- report of the interrupt names it (left_running). Nothing is built
  -- here after the signal: the host's interrupt may still be pending and
  -- would cut that short.
  if ok or not is_interrupt(err) then waiting[obj] = nil end
  if line then line:finish() end
  if not ok then error(err, 0) end
  return obj, obj[spec.state]
end

return M
