--- Progress API (canvas-lms app/controllers/progress_controller.rb: show,
-- cancel; lib/api/v1/progress.rb: progress_json; app/models/progress.rb:
-- its states and who may cancel): how far an asynchronous job got.
-- State: store:area("progress") = { records = {[id] = progress} }, seeded
-- from seed.progresses (default: two of the admin's on the root account,
-- one completed, one running). Other modules make and find records with
-- app.new_progress(attrs) and app.progress(id), and answer with
-- app.present_progress(p, req). A record a job drives carries it as p.job
-- (jobs.lua): reading the Progress is a read of that job. A Progress whose
-- context is another job's record (SisBatch, ContentMigration) is read by
-- whoever may read that record (jobs.contexts).
local json = require "lcanvas.sandbox.json"
local policy = require "lcanvas.sandbox.policy"
local util = require "lcanvas.sandbox.util"
local Store = require "lcanvas.sandbox.store"
local Jobs = require "lcanvas.sandbox.jobs"

-- Course.batch_update's records (ProgressRunner): completion is a float
-- column (100.0 when done) and the message counts what was processed; that
-- job leaves no results.
local DEFAULT = {
  { id = 1, context_type = "Account", context_id = 1, user_id = 1, tag = "course_batch_update",
    completion = 100.0, workflow_state = "completed", message = "4 courses processed",
    created_at = "2024-08-15T12:00:00Z", updated_at = "2024-08-15T12:01:30Z" },
  { id = 2, context_type = "Account", context_id = 1, user_id = 1, tag = "course_batch_update",
    completion = 40.0, workflow_state = "running",
    created_at = "2024-08-15T12:05:00Z", updated_at = "2024-08-15T12:05:40Z" },
}

-- Progress#pending?: results are left out while the job may still change them.
local PENDING = { queued = true, running = true, waiting_for_external_tool = true }

local FIELDS = { "id", "context_id", "context_type", "user_id", "tag", "completion", "workflow_state",
  "created_at", "updated_at", "message" }

return function(app)
  local store = app.store
  local jobs = Jobs.of(app)

  local function state()
    return store:area("progress", function(_, seed)
      local st = { records = {} }
      for _, p in ipairs(seed.progresses or DEFAULT) do st.records[p.id] = Store.deep_copy(p) end
      return st
    end)
  end

  --- A new Progress: attrs has context_type, context_id and tag (Canvas
  -- validates all three), and may have user_id, workflow_state (default
  -- "queued"), completion, message, results, id. Returns the stored record.
  function app.new_progress(attrs)
    assert(attrs.context_type and attrs.context_id and attrs.tag,
      "new_progress needs context_type, context_id and tag")
    local p = Store.deep_copy(attrs)
    p.id = p.id or store:new_id()
    p.workflow_state = p.workflow_state or "queued"
    p.created_at = p.created_at or util.iso()
    p.updated_at = p.updated_at or p.created_at
    state().records[p.id] = p
    return p
  end

  --- The Progress with this id, or nil.
  function app.progress(id)
    return state().records[util.to_int(id) or -1]
  end

  -- progress.context.grants_right?(user, :read), for the contexts a Progress
  -- has here, asked of policy.lua (a user: themself, observers, admins; a
  -- course: its members and admins; an account: its admins and who holds
  -- an active admin-type enrollment in one of its courses).
  local function can_read(ctx, p)
    if p.context_type == "User" then
      local u = store.users[p.context_id]
      return u ~= nil and policy.can(app, ctx, "read", { user = u })
    elseif p.context_type == "Course" then
      local c = store.courses[p.context_id]
      return c ~= nil and policy.can(app, ctx, "read", { course = c })
    elseif p.context_type == "Account" then
      local a = store.accounts[p.context_id]
      return a ~= nil and policy.can(app, ctx, "read", { account = a })
    elseif jobs.contexts[p.context_type] then
      return jobs.contexts[p.context_type](ctx, p.context_id) == true
    end
    return false
  end

  local function present(p, req)
    local out = {}
    for _, k in ipairs(FIELDS) do
      local v = p[k]
      if v == nil then v = json.null end
      out[k] = v
    end
    out.url = string.format("http://%s/api/v1/progress/%d", req.headers.host or "127.0.0.1", p.id)
    if not PENDING[p.workflow_state] and p.results ~= nil then out.results = p.results end
    return out
  end

  --- progress_json for a record, with its url on the request's host.
  app.present_progress = present

  -- Progress.find (a 404), then authorized_action on the context's :read;
  -- a read the caller may make moves the job behind it.
  app:route("GET", "/progress/:id", function(self, ctx)
    local p = app.progress(ctx.args.id)
    if not p then app.not_found() end
    if not can_read(ctx, p) then self:unauthorized() end
    if p.job then jobs.read(p.job) else jobs.sync() end
    return present(p, ctx.req)
  end)

  -- cancel: Progress's policy lets only the user who started the job cancel
  -- it (a record without a user, like a SIS restore's, nobody). The row
  -- becomes failed with the caller's message (or none), from any state;
  -- nothing stops the work behind it, which leaves a failed Progress alone.
  app:route("POST", "/progress/:id/cancel", function(self, ctx)
    local p = app.progress(ctx.args.id)
    if not p then app.not_found() end
    if p.user_id == nil or p.user_id ~= ctx.user_id then self:unauthorized() end
    local message = ctx.params.message
    if type(message) ~= "string" then message = nil end
    p.workflow_state, p.message, p.updated_at = "failed", message, util.iso()
    return present(p, ctx.req)
  end)

  --- A Progress that a job moves: steps are functions(job) of that job,
  -- which must leave a Progress someone cancelled (failed) as it is.
  function app.progress_job(p, steps)
    p.job = jobs.start({ kind = "progress", id = p.id, steps = steps, state = function() return p.workflow_state end })
    return p.job
  end
end
