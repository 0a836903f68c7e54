--- Canvas's JSON shapes, one function each, written from lib/api/v1 and
-- used by every route that answers with that shape. Each decides its
-- fields from the caller (policy.lua) and the includes the action passes,
-- as Canvas's serializer does; routes only pick the includes and context
-- their controller action passes.
--
-- Read from canvas-lms (newest versions in the search index):
--   lib/api/v1/user.rb           user_json (User), user_json_is_admin?
--   lib/api/v1/user_profile.rb   user_profile_json (Profile)
--   app/controllers/user_observees_controller.rb  users_json +
--                                observation_link_root_account_ids (lists),
--                                render_student_json (one link)
--   lib/api/v1/pseudonym.rb      pseudonym_json (Login)
--   lib/api/v1/page_view.rb      page_view_json (PageView)
--   lib/api/v1/eportfolio.rb     eportfolio_json (ePortfolio)
--   lib/api/v1/course.rb with CourseJson  course_json (Course)
--   lib/api/v1/user.rb           enrollment_json (Enrollment), user_display_json
--   lib/api/v1/section.rb        section_json (Section)
--   lib/api/v1/enrollment_term.rb  enrollment_term_json (EnrollmentTerm)
--   lib/api/v1/account.rb        account_json (Account)
--   lib/api/v1/admin.rb          admin_json (Admin)
--   lib/api/v1/role.rb           role_json (Role)
--
-- A context is { account = a }, { course = c }, { profile = true } (a
-- UserProfile: the domain's root account decides) or nil (none: the
-- answer has no login or SIS fields).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local policy = require "lcanvas.sandbox.policy"
local permissions = require "lcanvas.sandbox.permissions"
local data = require "lcanvas.sandbox.course_data"

local M = {}

local function or_null(v)
  if v == nil then return json.null end
  return v
end

--- A set from include[] (a list, one value or nil) and/or a list of names.
function M.includes(...)
  local set = {}
  for i = 1, select("#", ...) do
    for _, v in ipairs(util.array_of((select(i, ...)))) do
      if type(v) == "string" then set[v] = true end
    end
  end
  return set
end

--- The names `asked` (include[]) keeps of `allowed`, as a set.
function M.allowed(asked, allowed)
  local want, set = M.includes(asked), {}
  for _, k in ipairs(allowed) do if want[k] then set[k] = true end end
  return set
end

-- User#first_name / last_name: from the sortable name "Last, First".
local function name_parts(u)
  local last, first = (u.sortable_name or ""):match("^(.-),%s*(.*)$")
  if last then return first, last end
  local f, l = (u.name or ""):match("^(%S+)%s+(.+)$")
  return f or u.name, l or json.null
end

--- user_json: the User object for the caller in ctx. `excludes` (a set,
-- optional) takes user_json's excludes: pseudonym (no login_id or
-- sis_import_id whoever asks) and personal_info (no email, bio or title).
function M.user(app, ctx, u, includes, context, excludes)
  includes, excludes = includes or {}, excludes or {}
  local out = { id = u.id, name = u.name, created_at = u.created_at, sortable_name = u.sortable_name,
    short_name = u.short_name }
  local admin = not excludes.pseudonym and policy.user_json_is_admin(app, ctx, context)
  if includes.sis_user_id or admin then
    -- SisPseudonym.for(require_sis: false): the login, with or without a SIS id.
    if policy.can_read_sis(app, ctx, context) then
      out.sis_user_id = or_null(u.sis_user_id)
      out.integration_id = or_null(u.integration_id)
    end
    if admin then
      local root = policy.account_rights(app, ctx.user_id, app.store.accounts[1])
      if root and root.manage_sis then out.sis_import_id = or_null(u.sis_import_id) end
      if u.login_id and policy.context_can(app, ctx, "view_user_logins", context) then
        out.login_id = u.login_id
      end
    end
  end
  if u.pronouns then out.pronouns = u.pronouns end
  if includes.avatar_url then out.avatar_url = or_null(u.avatar_url) end
  if includes.avatar_state and policy.can(app, ctx, "manage_user_details", { user = u }) then
    out.avatar_state = u.avatar_state or "approved"
  end
  if includes.first_name or includes.last_name then
    local first, last = name_parts(u)
    if includes.last_name then out.last_name = last end
    if includes.first_name then out.first_name = first end
  end
  if includes.email and not excludes.personal_info
      and policy.context_can(app, ctx, "read_email_addresses", context) then
    out.email = or_null(u.email)
  end
  if includes.bio and not excludes.personal_info then out.bio = or_null(u.bio) end
  if includes.title and not excludes.personal_info then out.title = or_null(u.title) end
  if includes.locale then out.locale = or_null(u.locale) end
  if includes.effective_locale and u.id == ctx.user_id then out.effective_locale = u.locale or "en" end
  if includes.confirmation_url then
    out.confirmation_url = string.format("%s/register/sbx%d", app.urls and app.urls.main or "", u.id)
  end
  if includes.last_login then out.last_login = or_null(u.last_login) end
  if includes.permissions then
    out.permissions = { can_update_name = true, can_update_avatar = u.avatar_state ~= "locked",
      limit_parent_app_web_access = false }
  end
  if includes.terms_of_use then out.terms_of_use = u.terms_of_use == true end
  if includes.time_zone then out.time_zone = u.time_zone or "America/Denver" end
  if includes.uuid then out.uuid = u.uuid end
  return out
end

--- UsersController#api_show's includes (api_show_includes): always these
-- seven, and of include[] uuid and last_login, avatar_state for who may
-- manage the user's details, confirmation_url for who may manage logins.
function M.api_show_includes(app, ctx, u, asked)
  local allowed = { "uuid", "last_login" }
  if policy.can(app, ctx, "manage_user_details", { user = u }) then allowed[#allowed + 1] = "avatar_state" end
  if policy.can(app, ctx, "manage_user_logins", { account = app.store.accounts[1] }) then
    allowed[#allowed + 1] = "confirmation_url"
  end
  local set = M.allowed(asked, allowed)
  for _, k in ipairs({ "first_name", "last_name", "locale", "avatar_url", "permissions", "email",
      "effective_locale" }) do set[k] = true end
  return set
end

--- user_profile_json (ProfileController#settings): include[] takes
-- user_services, links and uuid.
function M.profile(app, ctx, u, asked)
  local base = M.user(app, ctx, u, { avatar_url = true }, { profile = true })
  local out = {}
  for _, k in ipairs({ "id", "name", "short_name", "sortable_name", "sis_user_id", "login_id", "avatar_url",
      "integration_id", "pronouns" }) do out[k] = base[k] end
  local self = u.id == ctx.user_id
  out.title, out.bio = or_null(u.title), or_null(u.bio)
  if policy.can(app, ctx, "read_email_addresses", { user = u }) then out.primary_email = or_null(u.email) end
  out.login_id = out.login_id or or_null(u.login_id)         -- primary_pseudonym, whoever asks
  if out.integration_id == nil then out.integration_id = or_null(u.integration_id) end
  out.time_zone = u.time_zone or "America/Denver"
  out.locale = or_null(u.locale)
  if self then
    out.effective_locale = u.locale or "en"
    out.calendar = { ics = string.format("%s/feeds/calendars/user_%s.ics", app.urls and app.urls.main or "",
      u.uuid or tostring(u.id)) }
    out.lti_user_id = string.format("sbx-lti-%d", u.id)
    out.k5_user = false
    out.use_classic_font_in_k5 = false
  end
  local inc = M.includes(asked)
  if inc.user_services then out.user_services = json.array({}) end
  if inc.links then out.links = json.array({}) end
  if inc.uuid then out.uuid = u.uuid end
  return out
end

--- A user in an observer answer: user_json plus the root accounts the two
-- are linked on. Lists pass include[] and the root account as context;
-- one link (render_student_json, show_observer) passes neither.
function M.observee(app, ctx, u, includes, context, root_ids)
  local out = M.user(app, ctx, u, includes, context)
  out.observation_link_root_account_ids = json.array(root_ids or {})
  return out
end

--- pseudonym_json: a login; its SIS and integration ids only for who may
-- read or manage SIS data on the login's account.
function M.login(app, ctx, l)
  local out = { id = l.id, user_id = l.user_id, account_id = l.account_id, unique_id = l.unique_id,
    created_at = l.created_at, workflow_state = l.workflow_state, declared_user_type = or_null(l.declared_user_type),
    authentication_provider_id = or_null(l.authentication_provider_id) }
  local rights = policy.account_rights(app, ctx.user_id, app.store.accounts[l.account_id]) or {}
  if rights.read_sis or rights.manage_sis then
    out.sis_user_id = or_null(l.sis_user_id)
    out.integration_id = or_null(l.integration_id)
  end
  if l.authentication_provider_type and l.authentication_provider_type ~= json.null then
    out.authentication_provider_type = l.authentication_provider_type
  else
    out.authentication_provider_type = json.null
  end
  return out
end

--- page_view_json: the record's columns, request_id as id, the ids under links.
function M.page_view(pv)
  return { id = pv.request_id, app_name = or_null(pv.app_name), url = pv.url, context_type = pv.context_type,
    asset_type = or_null(pv.asset_type), controller = pv.controller, action = pv.action, contributed = false,
    interaction_seconds = pv.interaction_seconds, created_at = pv.created_at, user_request = pv.user_request,
    render_time = pv.render_time, user_agent = pv.user_agent, participated = pv.participated,
    http_method = pv.http_method, remote_ip = pv.remote_ip,
    links = { user = pv.user_id, context = or_null(pv.context_id), asset = or_null(pv.asset_id),
      real_user = or_null(pv.real_user_id), account = or_null(pv.account_id) } }
end

--- eportfolio_json: EPORTFOLIO_ATTRIBUTES, public as a boolean.
function M.eportfolio(e)
  return { id = e.id, user_id = e.user_id, name = e.name, public = e.public == true,
    created_at = e.created_at, updated_at = e.updated_at, workflow_state = e.workflow_state,
    deleted_at = or_null(e.deleted_at), spam_status = or_null(e.spam_status) }
end

-- The admin types' shapes ------------------------------------------------------

local null = json.null
local function v(x) if x == nil then return null end return x end

-- The course and account rights the shapes below test.
local function course_can(app, ctx, c, right) return policy.can(app, ctx, right, { course = c }) end
local function account_can(app, ctx, account_id, right)
  return policy.can(app, ctx, right, { account = app.store.accounts[account_id] })
end

--- user_display_json (lib/api/v1/user.rb): the short form in course teachers.
function M.user_display(u)
  return { id = u.id, anonymous_id = string.format("%x", u.id), display_name = u.short_name or u.name,
    avatar_image_url = v(u.avatar_url), html_url = string.format("https://sandbox.test/users/%d", u.id),
    pronouns = null }
end

--- course_json: `includes` is a set; `enrollments` (the caller's, or nil)
-- adds the enrollments list the course listings of a user carry.
function M.course(app, ctx, c, includes, enrollments)
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
    hide_final_grades = false, workflow_state = data.api_state(c),
    restrict_enrollments_to_course_dates = c.restrict_enrollments_to_course_dates == true,
  }
  if course_can(app, ctx, c, "read_sis") then
    out.sis_course_id, out.integration_id = v(c.sis_course_id), v(c.integration_id)
  end
  if course_can(app, ctx, c, "manage_sis") then out.sis_import_id = v(c.sis_import_id) end
  if enrollments then
    local list = json.array({})
    for _, e in ipairs(enrollments) do
      local x = { type = data.sis_type(e.type), role = e.role, role_id = e.role_id, user_id = e.user_id,
        enrollment_state = e.enrollment_state,
        limit_privileges_to_course_section = e.limit_privileges_to_course_section == true }
      if e.type == "ObserverEnrollment" and e.associated_user_id then x.associated_user_id = e.associated_user_id end
      list[#list + 1] = x
    end
    out.enrollments = list
  end
  if includes.term then out.term = M.term(app, ctx, store.terms[c.enrollment_term_id]) end
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
  if includes.total_students then out.total_students = data.total_students(app, c) end
  if includes.teachers and includes.teacher_limit and #data.teachers(app, c) > includes.teacher_limit then
    out.teacher_count = #data.teachers(app, c)
  elseif includes.teachers or includes.active_teachers then
    local list = json.array({})
    for _, u in ipairs(data.teachers(app, c)) do list[#list + 1] = M.user_display(u) end
    out.teachers = list
  end
  if includes.favorites then out.is_favorite = false end
  if includes.account then out.account = M.account(app, ctx, store.accounts[c.account_id], {}) end
  if includes.subaccount then out.subaccount_name = store.accounts[c.account_id].name end
  if includes.account_name then out.account_name = store.accounts[c.account_id].name end
  if includes.concluded then out.concluded = data.concluded(app, c) end
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
function M.enrollment(app, ctx, e, includes)
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
  if includes.user and u then out.user = M.user(app, ctx, u, user_includes, context) end
  if includes.observed_users and e.type == "ObserverEnrollment" and e.associated_user_id then
    local o = store.users[e.associated_user_id]
    if o then out.observed_user = M.user(app, ctx, o, user_includes, context) end
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
function M.section(app, ctx, s, includes)
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
        local x = M.user(app, ctx, u, {}, { course = c })
        if includes.enrollments then
          x.enrollments = json.array({ M.enrollment(app, ctx, e, {}) })
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
function M.term(app, ctx, t, includes)
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
function M.account(app, ctx, a, includes, read_only)
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
function M.admin(app, ctx, au)
  local role = app.store.roles[au.role_id] or {}
  local u = app.store.users[au.user_id]
  local account = app.store.accounts[au.account_id]
  local out = { id = au.id, role = role.name, role_id = au.role_id, workflow_state = au.workflow_state,
    user = u and M.user(app, ctx, u, {}, { account = account }) or null }
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
function M.role(app, ctx, role)
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
    out.account = M.account(app, ctx, app.store.accounts[role.account_id], {})
  end
  return out
end

return M
