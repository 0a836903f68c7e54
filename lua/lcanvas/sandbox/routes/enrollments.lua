--- Enrollments API (canvas-lms app/controllers/enrollments_api_controller.rb:
-- index for a course, a section and a user, show, create, destroy,
-- reactivate, accept, reject). Lists use bookmark pagination, as Canvas's
-- index does. Other modules enrol users through app.add_enrollment.
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local data = require "lcanvas.sandbox.course_data"
local S = require "lcanvas.sandbox.serializers"
local policy = require "lcanvas.sandbox.policy"

local TYPES = { StudentEnrollment = true, TeacherEnrollment = true, TaEnrollment = true,
  ObserverEnrollment = true, DesignerEnrollment = true }
-- Enrollment scopes: active_or_pending and all_active_or_pending.
local ACTIVE_OR_PENDING = { active = true, invited = true, creation_pending = true }
local ALL_ACTIVE_OR_PENDING = { active = true, invited = true, creation_pending = true, inactive = true }

local set_of = util.set_of

return function(app)
  local store = app.store

  local function role_named(name)
    for _, r in pairs(store.roles) do
      if r.name == name and r.base_role_type ~= "AccountMembership" then return r end
    end
  end

  --- A new (or reused) enrollment in `course`'s `section`: opts has
  -- user_id, type, role (a role record, default the type's built-in),
  -- state, associated_user_id, limit_privileges_to_course_section,
  -- start_at, end_at. Course#enroll_user reuses the user's enrollment of
  -- the same section, type, role and observee instead of adding another.
  function app.add_enrollment(course, section, opts)
    local role = opts.role or role_named(opts.type)
    for _, e in ipairs(store.enrollments) do
      if e.user_id == opts.user_id and e.course_id == course.id and e.course_section_id == section.id
          and e.type == opts.type and e.role_id == role.id and e.associated_user_id == opts.associated_user_id then
        e.enrollment_state, e.updated_at = opts.state, util.iso()
        return e
      end
    end
    local now = util.iso()
    local e = { id = store:new_id(), user_id = opts.user_id, course_id = course.id, course_section_id = section.id,
      type = opts.type, role = role.name, role_id = role.id, enrollment_state = opts.state,
      associated_user_id = opts.associated_user_id, root_account_id = course.root_account_id,
      limit_privileges_to_course_section = opts.limit_privileges_to_course_section == true,
      start_at = opts.start_at, end_at = opts.end_at, created_at = now, updated_at = now }
    store.enrollments[#store.enrollments + 1] = e
    return e
  end

  local function includes_of(ctx, always_user)
    local inc = set_of(ctx.params.include)
    if always_user then inc.user = true end
    return inc
  end

  local function listed(ctx, list, inc)
    local page, headers = paging.paginate(ctx.req, list, { pagination = "bookmark" })
    for i, e in ipairs(page) do page[i] = S.enrollment(app, ctx, e, inc) end
    return page, 200, headers
  end

  -- The filters the index shares between its course and section paths.
  local function course_index(self, ctx, course, section)
    local p = ctx.params
    local observer_of
    if not policy.any(app, ctx, { "read_roster", "view_all_grades" }, { course = course }) then
      -- Observers see their own enrollments and their students'.
      local mine = policy.own_enrollments(app, ctx, course)
      observer_of = {}
      for _, e in ipairs(mine) do
        if e.enrollment_state == "active" then
          observer_of[e.user_id] = true
          if e.associated_user_id then observer_of[e.associated_user_id] = true end
        end
      end
      if next(observer_of) == nil then self:unauthorized() end
    end
    for _, k in ipairs({ "sis_user_id", "sis_section_id", "sis_account_id", "sis_course_id" }) do
      if p[k] ~= nil and not policy.can(app, ctx, "read_sis", { course = course }) then
        app.halt(400, { message = "Insufficient permissions to filter by SIS fields" })
      end
    end
    local roles = {}
    for _, name in ipairs(util.array_of(p.role)) do
      local r = role_named(tostring(name))
      roles[r and r.id or -1] = true
    end
    for _, id in ipairs(util.array_of(p.role_id)) do roles[util.to_int(id) or -1] = true end
    local any_role = next(roles) ~= nil
    local types = set_of(p.type)
    local states = set_of(p.state)
    if next(states) == nil then
      states = policy.can(app, ctx, "read_as_admin", { course = course }) and ALL_ACTIVE_OR_PENDING
        or ACTIVE_OR_PENDING
    end
    local user = p.user_id ~= nil and (store:find_user(tostring(p.user_id), ctx.user_id) or app.not_found()) or nil
    local sis_users = p.sis_user_id ~= nil and set_of(p.sis_user_id) or nil
    local sis_sections = p.sis_section_id ~= nil and set_of(p.sis_section_id) or nil
    local out = {}
    for _, e in ipairs(store:enrollments_in(course.id)) do
      local u = store.users[e.user_id]
      local s = store.sections[e.course_section_id] or {}
      local ok = u and states[e.enrollment_state]
        and (not section or e.course_section_id == section.id)
        and (any_role and roles[e.role_id] or (not any_role and (next(types) == nil or types[e.type])))
        and (not user or e.user_id == user.id)
        and (not observer_of or observer_of[e.user_id])
        and (not sis_users or sis_users[tostring(u.sis_user_id)])
        and (not sis_sections or sis_sections[tostring(s.sis_section_id)])
      if ok then out[#out + 1] = e end
    end
    return listed(ctx, out, includes_of(ctx, true))
  end

  app:route("GET", "/courses/:course/enrollments", function(self, ctx)
    return course_index(self, ctx, ctx.course)
  end)

  -- A section path: the section (and its course) must not be deleted.
  local function find_section(raw)
    local s = store:lookup("sections", raw)
    local c = s and store.courses[s.course_id]
    if not s or s.workflow_state == "deleted" or not c or c.workflow_state == "deleted" then app.not_found() end
    return s, c
  end
  app.find_section = find_section

  app:route("GET", "/sections/:section_id/enrollments", function(self, ctx)
    local s, c = find_section(ctx.args.section_id)
    return course_index(self, ctx, c, s)
  end)

  -- A user's enrollments. For yourself state[] takes the synthetic
  -- current_and_* states and defaults to active and invited; an admin
  -- reading someone else's gets active and invited by default.
  local SYNTHETIC = {
    current_and_invited = { active = true, invited = true },
    current_and_future = { active = true, invited = true, creation_pending = true },
    current_and_concluded = { active = true, completed = true },
  }
  app:route("GET", "/users/:user/enrollments", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local p = ctx.params
    local states = {}
    for _, s in ipairs(util.array_of(p.state)) do
      if ctx.user.id == ctx.user_id and SYNTHETIC[s] then
        for k in pairs(SYNTHETIC[s]) do states[k] = true end
      else states[s] = true end
    end
    if next(states) == nil then states = { active = true, invited = true } end
    local types = set_of(p.type)
    local roles = {}
    for _, name in ipairs(util.array_of(p.role)) do roles[tostring(name)] = true end
    local term
    if p.enrollment_term_id ~= nil then
      term = store:find_term(1, tostring(p.enrollment_term_id), data.today(app)) or app.not_found()
    end
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      local c = store.courses[e.course_id]
      if c and states[e.enrollment_state] and (next(types) == nil or types[e.type])
          and (next(roles) == nil or roles[e.role]) and (not term or c.enrollment_term_id == term.id) then
        out[#out + 1] = e
      end
    end
    return listed(ctx, out, includes_of(ctx, true))
  end)

  -- show: an enrollment of the account's root (all_enrollments), without includes.
  app:route("GET", "/accounts/:account/enrollments/:id", function(self, ctx)
    local id = util.to_int(ctx.args.id)
    local found
    for _, e in ipairs(store.enrollments) do
      if e.id == id and e.root_account_id == ctx.account.id then found = e end
    end
    if not found then app.not_found() end
    if found.user_id ~= ctx.user_id and not policy.can(app, ctx, "read_roster", { account = ctx.account }) then
      self:unauthorized()
    end
    return S.enrollment(app, ctx, found, {})
  end)

  -- create: errors are rendered as { message = "a, b" } (render_create_errors).
  local function create(self, ctx, course, section)
    local ep = ctx.params.enrollment
    if type(ep) ~= "table" or next(ep) == nil then app.halt(400, { message = "No parameters given" }) end
    local errors = {}
    if ep.user_id == nil or ep.user_id == "" then
      errors[#errors + 1] = "Can't create an enrollment without a user. " ..
        "Include enrollment[user_id] to create an enrollment"
    end
    local role
    local role_ref = ep.role_id
    if role_ref ~= nil and role_ref ~= "" then
      role = store.roles[util.to_int(role_ref) or -1]
      if role and role.base_role_type == "AccountMembership" then role = nil end
      if not role then errors[#errors + 1] = "Invalid role" end
    elseif ep.role ~= nil and ep.role ~= "" then
      role = role_named(tostring(ep.role))
      if not role then errors[#errors + 1] = "Invalid role" end
    end
    if role and role.workflow_state == "inactive" then
      errors[#errors + 1] = "Cannot create an enrollment with this role because it is inactive."
    end
    local etype = ep.type
    if etype ~= nil and etype ~= "" then
      if not TYPES[etype] then errors[#errors + 1] = "Invalid type"
      elseif role and role.base_role_type ~= etype then
        errors[#errors + 1] = "The specified type must match the base type for the role"
      end
    else
      etype = role and role.base_role_type or "StudentEnrollment"
    end
    if #errors > 0 then app.halt(400, { message = table.concat(errors, ", ") }) end
    local user = store:find_user(tostring(ep.user_id), ctx.user_id) or app.not_found()
    if not section then
      local ref = ep.course_section_id
      if ref ~= nil and ref ~= "" then
        section = store:lookup("sections", tostring(ref))
        if not section or section.workflow_state == "deleted" or section.course_id ~= course.id then app.not_found() end
      else
        for _, s in ipairs(store:sections_of(course.id)) do
          if s.default_section then section = s end
        end
        section = section or store:sections_of(course.id)[1] or app.not_found()
      end
    end
    if not policy.can_enroll(app, ctx, course, etype) then self:unauthorized() end
    if data.concluded(app, course) then
      app.halt(400, { message = "Can't add an enrollment to a concluded course." })
    end
    -- Course#enroll_user: invited by default, creation_pending in an
    -- unpublished course; "active" and "inactive" as asked.
    local state = ep.enrollment_state
    if state ~= "active" and state ~= "inactive" then
      state = course.workflow_state == "available" and "invited" or "creation_pending"
    end
    local associated = ep.associated_user_id
    if associated ~= nil and associated ~= "" then
      associated = (store:find_user(tostring(associated), ctx.user_id) or app.not_found()).id
    else associated = nil end
    local e = app.add_enrollment(course, section, { user_id = user.id, type = etype, role = role, state = state,
      associated_user_id = etype == "ObserverEnrollment" and associated or nil,
      limit_privileges_to_course_section = util.truthy(ep.limit_privileges_to_course_section),
      start_at = ep.start_at, end_at = ep.end_at })
    return S.enrollment(app, ctx, e, {})
  end

  app:route("POST", "/courses/:course/enrollments", function(self, ctx) return create(self, ctx, ctx.course) end)
  app:route("POST", "/sections/:section_id/enrollments", function(self, ctx)
    local s, c = find_section(ctx.args.section_id)
    return create(self, ctx, c, s)
  end)

  -- course.enrollments: the course's enrollments that are not deleted.
  local function course_enrollment(ctx)
    local id = util.to_int(ctx.args.id)
    for _, e in ipairs(store:enrollments_in(ctx.course.id)) do
      if e.id == id and e.enrollment_state ~= "deleted" then return e end
    end
    app.not_found()
  end

  -- destroy: task delete, deactivate or inactivate; anything else concludes.
  app:route("DELETE", "/courses/:course/enrollments/:id", function(self, ctx)
    local e = course_enrollment(ctx)
    if not policy.can_change_enrollment(app, ctx, ctx.course, e) then self:unauthorized() end
    local task = ctx.params.task
    if task == "delete" then e.enrollment_state = "deleted"
    elseif task == "deactivate" or task == "inactivate" then e.enrollment_state = "inactive"
    else e.enrollment_state = "completed" end
    e.updated_at = util.iso()
    return S.enrollment(app, ctx, e, {})
  end)

  app:route("PUT", "/courses/:course/enrollments/:id/reactivate", function(self, ctx)
    local e = course_enrollment(ctx)
    if e.enrollment_state ~= "inactive" then app.halt(400, { error = "enrollment not inactive" }) end
    if not policy.can_change_enrollment(app, ctx, ctx.course, e) then self:unauthorized() end
    e.enrollment_state, e.updated_at = "active", util.iso()
    return S.enrollment(app, ctx, e, {})
  end)

  -- accept and reject: only the invited user, only an invitation.
  local function answer_invitation(self, ctx, to)
    local e = course_enrollment(ctx)
    if e.user_id ~= ctx.user_id then self:unauthorized() end
    if e.enrollment_state == "inactive" then app.halt(400, { error = "membership not activated" }) end
    if e.self_enrolled then app.halt(400, { error = "self enroll" }) end
    if to == "active" and e.enrollment_state == "active" then return { success = true } end
    if e.enrollment_state ~= "invited" and e.enrollment_state ~= "creation_pending" then
      app.halt(400, { error = "no current invitation" })
    end
    e.enrollment_state, e.updated_at = to, util.iso()
    return { success = true }
  end
  app:route("POST", "/courses/:course/enrollments/:id/accept", function(self, ctx)
    return answer_invitation(self, ctx, "active")
  end)
  app:route("POST", "/courses/:course/enrollments/:id/reject", function(self, ctx)
    return answer_invitation(self, ctx, "rejected")
  end)
end
