--- Enrollment Terms API (canvas-lms app/controllers/terms_api_controller.rb:
-- index, show; terms_controller.rb: create, update, destroy). Terms belong
-- to root accounts; the list is the object { enrollment_terms = [...] }.
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local data = require "lcanvas.sandbox.course_data"
local S = require "lcanvas.sandbox.serializers"
local policy = require "lcanvas.sandbox.policy"

-- enrollment_dates_overrides take these types only (terms_controller.rb).
local OVERRIDE_TYPES = { StudentEnrollment = true, TeacherEnrollment = true, TaEnrollment = true,
  DesignerEnrollment = true }

local set_of = util.set_of

local model_error = require("lcanvas.sandbox.answers").model_error

return function(app)
  local store = app.store

  local function root_only(ctx)
    if ctx.account.parent_account_id then app.halt(400, { message = "Terms only belong to root_accounts." }) end
  end

  -- Sorted as the index orders them: start_at DESC, end_at DESC (nulls
  -- first, as PostgreSQL sorts them descending), then id.
  local function desc(a, b)
    if a == b then return nil end
    if a == nil then return true end
    if b == nil then return false end
    return a > b
  end

  app:route("GET", "/accounts/:account/terms", function(self, ctx)
    root_only(ctx)
    if not policy.is_account_admin(app, ctx.user_id, ctx.account) then self:unauthorized() end
    local wanted = set_of(ctx.params.workflow_state)
    local states = {}
    for _, s in ipairs({ "all", "active", "deleted" }) do states[s] = wanted[s] end
    if next(states) == nil then states.active = true end
    local out = {}
    for _, t in pairs(store.terms) do
      if t.root_account_id == ctx.account.id and (states.all or states[t.workflow_state]) then out[#out + 1] = t end
    end
    table.sort(out, function(a, b)
      local s = desc(a.start_at, b.start_at)
      if s ~= nil then return s end
      local e = desc(a.end_at, b.end_at)
      if e ~= nil then return e end
      return a.id < b.id
    end)
    local includes = set_of(ctx.params.include)
    local page, headers = paging.paginate(ctx.req, out, { root = "enrollment_terms" })
    for i, t in ipairs(page.enrollment_terms) do page.enrollment_terms[i] = S.term(app, ctx, t, includes) end
    return page, 200, headers
  end)

  -- show: deleted terms too; always with overrides.
  app:route("GET", "/accounts/:account/terms/:id", function(self, ctx)
    root_only(ctx)
    if not policy.is_account_admin(app, ctx.user_id, ctx.account) then self:unauthorized() end
    local t = store:find_term(ctx.account.id, ctx.args.id, data.today(app)) or app.not_found()
    return S.term(app, ctx, t, { overrides = true })
  end)

  -- What create and update share: name and dates, the SIS id (with
  -- manage_sis only, else ignored), overrides by enrollment type.
  local function apply(ctx, t)
    local tp = ctx.params.enrollment_term
    if type(tp) ~= "table" then app.halt(400, { errors = { { message = "enrollment_term is missing" } } }) end
    local copy = util.copy(t)
    for _, k in ipairs({ "name", "start_at", "end_at" }) do
      if tp[k] ~= nil then copy[k] = tp[k] ~= "" and tp[k] or nil end
    end
    local overrides = tp.overrides
    if type(overrides) == "table" then
      copy.overrides = util.copy(t.overrides or {})
      for etype, dates in pairs(overrides) do
        if not OVERRIDE_TYPES[etype] then app.halt(400, { message = "Invalid enrollment type in overrides" }) end
        local o = util.copy(copy.overrides[etype] or {})
        if type(dates) == "table" then
          for _, k in ipairs({ "start_at", "end_at" }) do
            if dates[k] ~= nil then o[k] = dates[k] ~= "" and dates[k] or nil end
          end
        end
        copy.overrides[etype] = o
      end
    end
    local sis = tp.sis_term_id or tp.sis_source_id
    if sis ~= nil and policy.can(app, ctx, "manage_sis", { account = ctx.account }) then
      sis = tostring(sis)
      for _, x in pairs(store.terms) do
        if x.id ~= t.id and x.root_account_id == ctx.account.id and x.sis_term_id == sis and sis ~= "" then
          app.halt(400, model_error("sis_source_id", "taken", string.format('SIS ID "%s" is already in use', sis)))
        end
      end
      copy.sis_term_id = sis ~= "" and sis or nil
    end
    if copy.start_at and copy.end_at and copy.end_at < copy.start_at then
      app.halt(400, model_error("end_at", "end_at", "End dates cannot be before start dates"))
    end
    for k, x in pairs(copy) do t[k] = x end
    return t
  end

  local function require_manage(self, ctx)
    root_only(ctx)
    self:require(ctx, "manage_account_settings", { account = ctx.account })
  end

  app:route("POST", "/accounts/:account/terms", function(self, ctx)
    require_manage(self, ctx)
    local t = { id = store:new_id(), root_account_id = ctx.account.id, workflow_state = "active",
      created_at = util.iso() }
    apply(ctx, t)
    store.terms[t.id] = t
    return S.term(app, ctx, t, { overrides = true })
  end)

  -- update: active terms only (a deleted one is a 404).
  app:route("PUT", "/accounts/:account/terms/:id", function(self, ctx)
    require_manage(self, ctx)
    local t = store:find_term(ctx.account.id, ctx.args.id, data.today(app))
    if not t or t.workflow_state == "deleted" then app.not_found() end
    apply(ctx, t)
    return S.term(app, ctx, t, { overrides = true })
  end)

  -- destroy: EnrollmentTerm's validation keeps the default term and a term
  -- with courses that are not deleted.
  app:route("DELETE", "/accounts/:account/terms/:id", function(self, ctx)
    require_manage(self, ctx)
    local t = store:find_term(ctx.account.id, ctx.args.id, data.today(app))
    if not t or t.workflow_state == "deleted" then app.not_found() end
    if t.default then
      app.halt(400, model_error("workflow_state", "cannot_delete_default_term", "Cannot delete the default term"))
    end
    for _, c in pairs(store.courses) do
      if c.enrollment_term_id == t.id and c.workflow_state ~= "deleted" then
        app.halt(400, model_error("workflow_state", "cannot_delete_with_courses",
          "Cannot delete a term with active courses"))
      end
    end
    t.workflow_state = "deleted"
    return S.term(app, ctx, t, {})
  end)
end
