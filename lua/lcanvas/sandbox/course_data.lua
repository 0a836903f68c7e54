--- The JSON shapes of the admin types, one function per shape, after
-- canvas-lms lib/api/v1/*.rb: course_json (course.rb with CourseJson),
-- enrollment_json (user.rb), section_json (section.rb), term_json
-- (enrollment_term.rb), account_json (account.rb), admin_json (admin.rb)
-- and role_json (role.rb). What a caller may see follows policy.lua; the
-- users inside them are serializers.user.
local json = require "lcanvas.sandbox.json"
local policy = require "lcanvas.sandbox.policy"
local permissions = require "lcanvas.sandbox.permissions"
local S = require "lcanvas.sandbox.serializers"

-- The course and account rights the shapes below test.
local function course_can(app, ctx, c, right) return policy.can(app, ctx, right, { course = c }) end
local function account_can(app, ctx, account_id, right)
  return policy.can(app, ctx, right, { account = app.store.accounts[account_id] })
end

local M = {}

local null = json.null
local function v(x) if x == nil then return null end return x end

--- Course#api_state: created and claimed courses are "unpublished".
function M.api_state(c)
  if c.workflow_state == "created" or c.workflow_state == "claimed" then return "unpublished" end
  return c.workflow_state
end

--- The sandbox's today (config.today), for dates: the current term, a
-- concluded course.
function M.today(app)
  return app.config.today
end

--- Course#concluded?: completed, or its term (or own dates) over.
function M.concluded(app, c)
  if c.workflow_state == "completed" then return true end
  local ends = c.end_at
  if not (c.restrict_enrollments_to_course_dates and ends) then
    local t = app.store.terms[c.enrollment_term_id]
    ends = t and t.end_at
  end
  return ends ~= nil and ends < M.today(app)
end

--- user_display_json (lib/api/v1/user.rb): the short form in course teachers.
function M.user_display_json(u)
  return { id = u.id, anonymous_id = string.format("%x", u.id), display_name = u.short_name or u.name,
    avatar_image_url = v(u.avatar_url), html_url = string.format("https://sandbox.test/users/%d", u.id),
    pronouns = null }
end

-- Enrollment#sis_type: "StudentEnrollment" -> "student".
local function sis_type(t)
  return (t:gsub("Enrollment$", ""):gsub("(%l)(%u)", "%1_%2"):lower())
end
M.sis_type = sis_type

--- Course teachers as course.teachers loads them: not deleted, not rejected.
function M.teachers(app, c)
  local out, seen = {}, {}
  for _, e in ipairs(app.store:enrollments_in(c.id)) do
    if e.type == "TeacherEnrollment" and e.enrollment_state ~= "deleted" and e.enrollment_state ~= "rejected"
        and not seen[e.user_id] then
      local u = app.store.users[e.user_id]
      if u then seen[e.user_id], out[#out + 1] = true, u end
    end
  end
  return out
end

--- course.student_count: students not deleted, rejected or completed.
function M.total_students(app, c)
  local seen, n = {}, 0
  for _, e in ipairs(app.store:enrollments_in(c.id)) do
    if e.type == "StudentEnrollment" and (e.enrollment_state == "active" or e.enrollment_state == "invited")
        and not seen[e.user_id] then
      seen[e.user_id], n = true, n + 1
    end
  end
  return n
end

--- course_json: `includes` is a set; `enrollments` (the caller's, or nil)
-- adds the enrollments list the course listings of a user carry.
function M.course_json(app, ctx, c, includes, enrollments)
  includes = includes or {}
  local store = app.store
  local out = {
    id = c.id, name = c.name, course_code = c.course_code, account_id = c.account_id,
    root_account_id = c.root_account_id, created_at = v(c.created_at), start_at = v(c.start_at),
    end_at = v(c.end_at), default_view = c.default_view or "modules", enrollment_term_id = c.enrollment_term_id,
    is_public = c.is_public == true, grading_standard_id = null, uuid = c.uuid, license = c.license or "private",
    grade_passback_setting = null, public_syllabus = c.public_syllabus == true, public_syllabus_to_auth = false,
    storage_quota_mb = c.storage_quota_mb or 500, is_public_to_auth_users = false, homeroom_course = false,
    course_color = v(c.course_color), friendly_name = null, apply_assignment_group_weights = false,
    calendar = { ics = string.format("https://sandbox.test/feeds/calendars/course_%s.ics", c.uuid) },
    time_zone = c.time_zone or "America/Denver", blueprint = c.blueprint == true, template = false,
    hide_final_grades = false, workflow_state = M.api_state(c),
    restrict_enrollments_to_course_dates = c.restrict_enrollments_to_course_dates == true,
  }
  if course_can(app, ctx, c, "read_sis") then
    out.sis_course_id, out.integration_id = v(c.sis_course_id), v(c.integration_id)
  end
  if course_can(app, ctx, c, "manage_sis") then out.sis_import_id = v(c.sis_import_id) end
  if enrollments then
    local list = json.array({})
    for _, e in ipairs(enrollments) do
      local x = { type = sis_type(e.type), role = e.role, role_id = e.role_id, user_id = e.user_id,
        enrollment_state = e.enrollment_state,
        limit_privileges_to_course_section = e.limit_privileges_to_course_section == true }
      if e.type == "ObserverEnrollment" and e.associated_user_id then x.associated_user_id = e.associated_user_id end
      list[#list + 1] = x
    end
    out.enrollments = list
  end
  if includes.term then out.term = M.term_json(app, ctx, store.terms[c.enrollment_term_id]) end
  if includes.sections then
    -- The caller's own sections (section_enrollments_json), else every section.
    local list = json.array({})
    local mine = policy.own_enrollments(app, ctx, c)
    if #mine > 0 then
      for _, e in ipairs(mine) do
        local s = store.sections[e.course_section_id]
        if s then
          list[#list + 1] = { id = s.id, name = s.name, start_at = v(s.start_at), end_at = v(s.end_at),
            enrollment_role = e.role }
        end
      end
    else
      for _, s in ipairs(store:sections_of(c.id)) do
        list[#list + 1] = { id = s.id, name = s.name, start_at = v(s.start_at), end_at = v(s.end_at) }
      end
    end
    out.sections = list
  end
  if includes.total_students then out.total_students = M.total_students(app, c) end
  if includes.teachers and includes.teacher_limit and #M.teachers(app, c) > includes.teacher_limit then
    out.teacher_count = #M.teachers(app, c)
  elseif includes.teachers or includes.active_teachers then
    local list = json.array({})
    for _, u in ipairs(M.teachers(app, c)) do list[#list + 1] = M.user_display_json(u) end
    out.teachers = list
  end
  if includes.favorites then out.is_favorite = false end
  if includes.account then out.account = M.account_json(app, ctx, store.accounts[c.account_id], {}) end
  if includes.subaccount then out.subaccount_name = store.accounts[c.account_id].name end
  if includes.account_name then out.account_name = store.accounts[c.account_id].name end
  if includes.concluded then out.concluded = M.concluded(app, c) end
  if includes.course_image then out.image_download_url = null end
  if includes.syllabus_body then out.syllabus_body = v(c.syllabus_body) end
  if includes.public_description then out.public_description = v(c.public_description) end
  if includes.html_url then out.html_url = string.format("https://sandbox.test/courses/%d", c.id) end
  if includes.storage_quota_used_mb then out.storage_quota_used_mb = 0 end
  -- apply_nickname: the caller's nickname replaces the name.
  local nick = app.course_nickname and app.course_nickname(ctx.user_id, c.id)
  if nick then out.original_name, out.name = out.name, nick end
  return out
end

--- enrollment_json: `includes` is a set (user, avatar_url, email, uuid,
-- observed_users, can_be_removed, locked...).
function M.enrollment_json(app, ctx, e, includes)
  includes = includes or {}
  local store = app.store
  local c = store.courses[e.course_id] or {}
  local s = store.sections[e.course_section_id] or {}
  local state = e.enrollment_state
  -- The course's or section's deletion shows through (enrollment_json).
  if c.workflow_state == "deleted" or s.workflow_state == "deleted" then state = "deleted" end
  local out = {
    id = e.id, user_id = e.user_id, course_id = e.course_id, type = e.type, created_at = v(e.created_at),
    updated_at = v(e.updated_at), associated_user_id = v(e.associated_user_id), start_at = v(e.start_at),
    end_at = v(e.end_at), course_section_id = v(e.course_section_id), root_account_id = v(e.root_account_id),
    limit_privileges_to_course_section = e.limit_privileges_to_course_section == true, enrollment_state = state,
    role = e.role, role_id = e.role_id, last_activity_at = null, last_attended_at = null, total_activity_time = 0,
    html_url = string.format("https://sandbox.test/courses/%d/users/%d", e.course_id, e.user_id),
  }
  if e.type == "StudentEnrollment" then
    out.grades = { html_url = string.format("https://sandbox.test/courses/%d/grades/%d", e.course_id, e.user_id),
      current_score = null, final_score = null, current_grade = null, final_grade = null }
  end
  local u = store.users[e.user_id]
  if c.id and course_can(app, ctx, c, "read_sis") then
    local a = store.accounts[c.account_id] or {}
    out.sis_account_id, out.sis_course_id, out.course_integration_id = v(a.sis_account_id), v(c.sis_course_id),
      v(c.integration_id)
    out.sis_section_id, out.section_integration_id = v(s.sis_section_id), v(s.integration_id)
    out.sis_user_id = v(u and u.sis_user_id)
  end
  -- The user and observed user: user_json with include[]'s avatar_url,
  -- email and uuid, on the enrollment's course.
  local user_includes = {}
  for _, k in ipairs({ "avatar_url", "email", "uuid" }) do user_includes[k] = includes[k] end
  local context = c.id and { course = c } or nil
  if includes.user and u then out.user = S.user(app, ctx, u, user_includes, context) end
  if includes.observed_users and e.type == "ObserverEnrollment" and e.associated_user_id then
    local o = store.users[e.associated_user_id]
    if o then out.observed_user = S.user(app, ctx, o, user_includes, context) end
  end
  if includes.can_be_removed then
    out.can_be_removed = c.id ~= nil and policy.can_change_enrollment(app, ctx, c, e)
  end
  if includes.locked then out.locked = false end
  if includes.current_points and e.type == "StudentEnrollment" then
    out.grades.current_points = null
  end
  return out
end

--- section_json: `includes` is a set (students, enrollments, total_students, user_count).
function M.section_json(app, ctx, s, includes)
  includes = includes or {}
  local store = app.store
  local c = store.courses[s.course_id] or {}
  local out = { id = s.id, name = s.name, course_id = s.course_id, nonxlist_course_id = v(s.nonxlist_course_id),
    start_at = v(s.start_at), end_at = v(s.end_at),
    restrict_enrollments_to_section_dates = v(s.restrict_enrollments_to_section_dates),
    created_at = v(s.created_at) }
  if c.id and course_can(app, ctx, c, "read_sis") then
    out.sis_section_id, out.sis_course_id, out.integration_id = v(s.sis_section_id), v(c.sis_course_id),
      v(s.integration_id)
  end
  if c.id and course_can(app, ctx, c, "manage_sis") then out.sis_import_id = v(s.sis_import_id) end
  local in_section = {}
  for _, e in ipairs(store.enrollments) do
    if e.course_section_id == s.id then in_section[#in_section + 1] = e end
  end
  if includes.students then
    -- Every student enrollment of the section; null, not [], when none.
    local list = json.array({})
    for _, e in ipairs(in_section) do
      local u = store.users[e.user_id]
      if e.type == "StudentEnrollment" and u then
        local x = S.user(app, ctx, u, {}, { course = c })
        if includes.enrollments then
          x.enrollments = json.array({ M.enrollment_json(app, ctx, e, {}) })
        end
        list[#list + 1] = x
      end
    end
    out.students = #list > 0 and list or null
  end
  if includes.total_students then
    local n = 0
    for _, e in ipairs(in_section) do
      if e.type == "StudentEnrollment" and (e.enrollment_state == "active" or e.enrollment_state == "invited") then
        n = n + 1
      end
    end
    out.total_students = n
  end
  if includes.user_count then
    local n = 0
    for _, e in ipairs(in_section) do
      if e.enrollment_state == "active" or e.enrollment_state == "invited" then n = n + 1 end
    end
    out.user_count = n
  end
  return out
end

--- enrollment_term_json: overrides and course_count when `includes` asks.
function M.term_json(app, ctx, t, includes)
  includes = includes or {}
  local root = app.store.accounts[t.root_account_id]
  local out = { id = t.id, name = t.name, start_at = v(t.start_at), end_at = v(t.end_at),
    workflow_state = t.workflow_state, grading_period_group_id = null, created_at = v(t.created_at) }
  if root and policy.any(app, ctx, { "read_sis", "manage_sis" }, { account = root }) then
    out.sis_term_id = v(t.sis_term_id)
  end
  if root and account_can(app, ctx, root.id, "manage_sis") then out.sis_import_id = v(t.sis_import_id) end
  if includes.overrides then
    -- date_overrides_json: only overrides with a date, keyed by type ({} for none).
    local o = {}
    for etype, d in pairs(t.overrides or {}) do
      if d.start_at or d.end_at then o[etype] = { start_at = v(d.start_at), end_at = v(d.end_at) } end
    end
    out.overrides = o
  end
  if includes.course_count then
    local n = 0
    for _, c in pairs(app.store.courses) do
      if c.enrollment_term_id == t.id and c.workflow_state ~= "deleted" then n = n + 1 end
    end
    out.course_count = n
  end
  return out
end

--- account_json: `read_only` gives the short form a reader without
-- :manage sees; SIS fields only for sub-accounts (never the root's).
function M.account_json(app, ctx, a, includes, read_only)
  includes = includes or {}
  local out = { id = a.id, name = a.name, parent_account_id = v(a.parent_account_id),
    root_account_id = v(a.root_account_id), workflow_state = a.workflow_state, uuid = a.uuid,
    default_time_zone = a.default_time_zone or "America/Denver" }
  if read_only then return out end
  out.default_storage_quota_mb = a.default_storage_quota_mb or 500
  out.default_user_storage_quota_mb = a.default_user_storage_quota_mb or 50
  out.default_group_storage_quota_mb = a.default_group_storage_quota_mb or 50
  local root = app.store:root_of(a.id)
  if a.parent_account_id and policy.any(app, ctx, { "read_sis", "manage_sis" },
      { account = app.store.accounts[root] }) then
    out.sis_account_id, out.integration_id = v(a.sis_account_id), v(a.integration_id)
  end
  if a.parent_account_id and account_can(app, ctx, root, "manage_sis") then
    out.sis_import_id = v(a.sis_import_id)
  end
  if includes.lti_guid then out.lti_guid = string.format("%s:canvas-lms", a.uuid) end
  if includes.registration_settings then
    out.registration_settings = { login_handle_name = null, require_email = false }
  end
  if includes.services and account_can(app, ctx, a.id, "manage_account_settings") then
    out.services = a.services or {}
  end
  if includes.global_id then out.global_id = a.id end
  return out
end

--- admin_json: an AccountUser. workflow_state as the newer @model names
-- it; the older serializer's status "deleted" once removed. The user is
-- user_json(admin.user, current_user, session) on the controller's
-- @context, the account.
function M.admin_json(app, ctx, au)
  local role = app.store.roles[au.role_id] or {}
  local u = app.store.users[au.user_id]
  local account = app.store.accounts[au.account_id]
  local out = { id = au.id, role = role.name, role_id = au.role_id, workflow_state = au.workflow_state,
    user = u and S.user(app, ctx, u, {}, { account = account }) or null }
  if au.workflow_state == "deleted" then out.status = "deleted" end
  return out
end

-- The permissions a role's JSON lists (RoleOverride.manageable_permissions,
-- a few of them): enabled (permissions.lua's defaults and the role's own
-- table), and where it applies.
local LISTED = { "read_course_list", "read_course_content", "read_roster", "read_sis", "manage_sis",
  "manage_courses", "manage_account_memberships", "manage_role_overrides", "view_all_grades" }

--- role_json: built-in account roles report base_role_type AccountMembership;
-- custom roles carry their account.
function M.role_json(app, ctx, role)
  local perms = {}
  for _, p in ipairs(LISTED) do
    local on = permissions.enabled(role, p)
    perms[p] = { enabled = on, locked = false, readonly = false, explicit = role.permissions ~= nil,
      applies_to_self = on or nil, applies_to_descendants = on or nil }
  end
  local out = { id = role.id, role = role.name, label = role.label or role.name,
    last_updated_at = v(role.updated_at), base_role_type = role.base_role_type,
    workflow_state = role.workflow_state, created_at = v(role.created_at), permissions = perms,
    is_account_role = role.base_role_type == "AccountMembership" }
  if role.account_id then
    out.account = M.account_json(app, ctx, app.store.accounts[role.account_id], {})
  end
  return out
end

return M
