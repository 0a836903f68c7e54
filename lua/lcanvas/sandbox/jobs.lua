--- The sandbox's job engine: every long-running job (a Progress, a SIS
-- import, an account report, a content migration) moves through Canvas's own
-- states in steps, on the sandbox's clock rather than a worker's. A job is a
-- list of step functions; the engine decides when the next one runs:
--
--   config.jobs.advance = "poll" (default): one step per read of the job (its
--     GET, or its Progress's GET), taken before the answer is made
--   "time": one step per config.jobs.step_seconds (default 1) since the job
--     was made, caught up whenever the sandbox reads any job
--   "manual": only POST /__sandbox/jobs/advance, which moves every job that
--     can move one step and answers {"advanced": n}
--
-- config.jobs.outcome[kind] forces the terminal state of jobs made afterwards
-- (the kind's module reads job.forced), config.jobs.stuck[kind] keeps them in
-- their first state. GET /__sandbox/jobs lists every job; a reset drops them
-- (their state is a store area).
--
-- API (J = jobs.of(app)):
--   J.start(job) -> job: job = {kind=, id=, steps = {fn(job)...}, state = fn() -> string,
--     blocked = fn(job) -> bool (optional: a job waiting for another)}; adds
--     pos, born, stuck, forced. Steps may append more steps.
--   J.read(job)   a read of this job;  J.sync()  any other read of jobs
--   J.step(job) -> moved?;  J.close(job)  no more steps (aborted, deleted)
--   J.finished(job)
--   J.attach{context_type=, context_id=, account_id=, user_id=, name=, content_type=, content=}
--     -> a File a job made (account_id: whose admins may read it)
--   J.contexts[context_type] = fn(ctx, id) -> may read   (a Progress's context, for progress_controller)
local http = require "lcanvas.sandbox.http"
local answers = require "lcanvas.sandbox.answers"
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

local M = {}

--- The terminal states jobs.outcome may force, per kind.
M.OUTCOMES = {
  sis_import = { imported = true, imported_with_messages = true, failed = true, failed_with_messages = true,
    aborted = true },
  report = { complete = true, error = true, aborted = true },
  progress = { completed = true, failed = true },
  content_migration = { completed = true, failed = true },
}

local made = setmetatable({}, { __mode = "k" })

function M.of(app)
  if made[app] then return made[app] end
  local J = { contexts = {} }
  made[app] = J
  local store = app.store

  function J.state()
    return store:area("jobs", function() return { list = {} } end)
  end

  --- config.jobs with its defaults.
  function J.config()
    local c = type(app.config.jobs) == "table" and app.config.jobs or {}
    local step = tonumber(c.step_seconds) or 1
    return { advance = c.advance or "poll", step_seconds = step > 0 and step or 1,
      outcome = type(c.outcome) == "table" and c.outcome or {}, stuck = type(c.stuck) == "table" and c.stuck or {} }
  end

  function J.start(job)
    assert(M.OUTCOMES[job.kind], "unknown job kind")
    local cfg = J.config()
    local forced = cfg.outcome[job.kind]
    if forced ~= nil and not M.OUTCOMES[job.kind][forced] then
      local names = {}
      for k in pairs(M.OUTCOMES[job.kind]) do names[#names + 1] = k end
      table.sort(names)
      answers.halt(500, answers.errors(string.format("sandbox: config.jobs.outcome.%s must be one of %s, not %s",
        job.kind, table.concat(names, ", "), tostring(forced))))
    end
    job.pos, job.born, job.forced = 0, http.now(), forced
    job.stuck = cfg.stuck[job.kind] == true
    local list = J.state().list
    list[#list + 1] = job
    return job
  end

  function J.finished(job)
    return job.closed == true or job.pos >= #job.steps
  end

  function J.close(job) job.closed = true end

  function J.step(job)
    if job.stuck or J.finished(job) or (job.blocked and job.blocked(job)) then return false end
    job.pos = job.pos + 1
    job.steps[job.pos](job)
    return true
  end

  local function mode()
    local m = J.config().advance
    if m ~= "poll" and m ~= "time" and m ~= "manual" then
      answers.halt(500, answers.errors("sandbox: config.jobs.advance must be poll, time or manual, not "
        .. tostring(m)))
    end
    return m
  end

  --- time mode: each job takes the steps its age allows, oldest job first
  -- (a later SIS import waits for an earlier one).
  function J.sync()
    if mode() ~= "time" then return end
    local now, step = http.now(), J.config().step_seconds
    for _, job in ipairs(J.state().list) do
      local due = math.floor((now - job.born) / step)
      while job.pos < due and J.step(job) do end
    end
  end

  function J.read(job)
    local m = mode()
    if m == "poll" then
      if not J.step(job) and job.blocked and job.blocked(job) then
        -- Queued behind another job (a SIS import behind an earlier one of
        -- its account): Canvas's worker runs that one meanwhile, so the read
        -- moves the queue, or a script waiting only for the later job
        -- would wait forever.
        for _, other in ipairs(J.state().list) do
          if other ~= job and other.kind == job.kind and not J.finished(other) and J.step(other) then break end
        end
      end
    elseif m == "time" then J.sync() end
  end

  function J.advance_all()
    local n = 0
    for _, job in ipairs(J.state().list) do
      if J.step(job) then n = n + 1 end
    end
    return n
  end

  --- A File a job made in an account or another context (a report's CSV, a
  -- SIS import's files): it downloads like any File (files/:id/download).
  function J.attach(a)
    local st = UserData.of(app).state()
    local id = store:new_id()
    local f = { id = id, context_type = a.context_type, context_id = a.context_id, account_id = a.account_id,
      user_id = nil,
      owner_id = a.user_id, folder_id = json.null, display_name = a.name, filename = a.name,
      content_type = a.content_type, content = a.content, size = #a.content, created_at = util.iso(),
      uuid = string.format("j%08x", id * 2654435761 % 4294967296) }
    f.updated_at = f.created_at
    st.files[id] = f
    return f
  end

  function J.present_file(f) return UserData.of(app).present_file(f) end

  app:control_endpoint("POST", "jobs/advance", function()
    return answers.json(200, { advanced = J.advance_all() })
  end)

  app:control_endpoint("GET", "jobs", function()
    local out = json.array({})
    for _, job in ipairs(J.state().list) do
      out[#out + 1] = { kind = job.kind, id = job.id, state = job.state(), done = J.finished(job),
        stuck = job.stuck }
    end
    return answers.json(200, out)
  end)

  return J
end

return M
