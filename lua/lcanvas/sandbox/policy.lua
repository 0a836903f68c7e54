--- Who may do what in the sandbox: one answer to "may this caller do this
-- to that user, course or account", written from Canvas's policies. Every
-- route asks here; none decides on its own.
--
-- Read from canvas-lms (newest versions in the search index):
--   app/models/user.rb       User#set_policy: the rights a caller holds on a
--                            user, as themself, through the user's courses
--                            (check_courses_right?), their accounts
--                            (check_accounts_right?) or an observer link
--   app/models/role_override.rb, config/initializers/permissions_registry.rb
--                            each permission's default roles (permissions.lua)
--   app/models/account.rb, app/models/course.rb  rights from account
--                            memberships (up the account chain) and from
--                            enrollments, active or concluded
--   app/models/account_user.rb  an account membership and its role
--   app/controllers/user_observees_controller.rb  manage_user_observers
--   app/controllers/courses_controller.rb  permission_for_event
--   lib/api/v1/user.rb       user_json_is_admin?, user_can_read_sis_data?
--
-- API:
--   policy.can(app, ctx, right, target) -> boolean
--   policy.any(app, ctx, rights, target) -> boolean: one of a list
--   policy.require(app, ctx, rights, target)   halts with app:unauthorized()
--     (401, or 403 with config.unauthorized_status = 403, as Canvas's
--     api_auth_error_updates flag); `rights` is one right or a list of which
--     any will do, as authorized_action takes them.
--   target: { user = u } | { course = c } | { account = a }
--   ctx is the request's ctx or a user id.
--   policy.user_rights / course_rights / account_rights (app, user_id, record)
--     -> the set of rights, for routes that test several.
--   policy.memberships, is_account_admin: the caller's account memberships.
--   policy.own_enrollments, event_right, can_enroll, can_change_enrollment:
--     what the course and enrollment routes ask besides a right.
--   policy.user_json_is_admin(app, ctx, context), policy.can_read_sis(...),
--     policy.context_can(...): lib/api/v1/user.rb's questions about the
--     context of an answer.
--
-- Account memberships are store.account_users, as Canvas keeps AccountUser:
-- {id, account_id, user_id, role_id, workflow_state}. An active one whose
-- role (store.roles) is not deleted gives the role's permissions
-- (permissions.lua: every one for the built-in AccountAdmin, a custom
-- account role's `permissions` table) on its account and every sub-account
-- and course below it. A narrower admin is a custom account role with the
-- permissions it holds and a membership naming it (the seed's Sandbox
-- Auditor; a spec or seed file adds its own the same way). An older seed's
-- `admins` set becomes AccountAdmin memberships on the root (store.lua).
local permissions = require "lcanvas.sandbox.permissions"

local M = {}

-- What a user may always do to themself (User#set_policy, `user == self`).
-- rename needs user_can_edit_name? (on by default). update_profile and
-- change_pronoun guard time_zone/locale and pronouns in UsersController#update;
-- the policy read grants neither explicitly, the sandbox gives them to the
-- user as Canvas's profile page lets users change both.
local SELF = { "read", "read_grades", "read_profile", "read_files", "read_as_admin", "manage",
  "manage_content", "manage_files", "manage_calendar", "send_messages", "update_avatar",
  "view_feature_flags", "manage_feature_flags", "api_show_user", "read_email_addresses",
  "view_user_logins", "generate_observer_pairing_code", "rename", "update_profile", "change_pronoun" }

-- AccountAdmin holds every account permission (permissions.lua).
local ALL = permissions.ALL
M.ALL = ALL

-- The course rights an enrollment gives beside its role's permissions
-- (Course#set_policy): members read the course; teachers, TAs and
-- designers read it as admins; teachers and designers (content admins)
-- update it; students participate. A concluded (completed) enrollment
-- keeps :read and the permissions that apply to concluded enrollments.
local ENROLLMENT_RIGHTS = {
  TeacherEnrollment = { "read", "read_as_admin", "update" },
  DesignerEnrollment = { "read", "read_as_admin", "update" },
  TaEnrollment = { "read", "read_as_admin" },
  StudentEnrollment = { "read", "participate_as_student" },
  ObserverEnrollment = { "read" },
}
local CONCLUDED_RIGHTS = { "read" }

-- The enrollment types that administer a course (Enrollment.of_admin_type):
-- Account's policy lets them read the account.
local ADMIN_TYPES = { TeacherEnrollment = true, TaEnrollment = true, DesignerEnrollment = true }

-- The course rights an account admin's permissions bring beside the
-- permissions themselves (Course#set_policy, account_membership_allows):
-- read_course_content or manage_courses to read the course as an admin,
-- manage_courses to change and delete it, manage_sis to read its SIS data.
local FROM_ADMIN = {
  read = { "read_course_content", "manage_courses" },
  read_as_admin = { "read_course_content", "manage_courses" },
  update = { "manage_courses" },
  delete = { "manage_courses" },
  change_course_state = { "manage_courses" },
  read_sis = { "manage_sis" },
}

-- User rights that follow from an account right over one of the user's
-- accounts (User#set_policy, check_accounts_right?). manage_user_logins
-- brings the has_subset_of_account_permissions? group too (the sandbox
-- takes the subset test as passed) and :merge (a pseudonym the caller may
-- update).
local FROM_ACCOUNT = {
  view_statistics = { "view_statistics" },
  manage_students = { "read_profile", "read_reports", "read_grades" },
  manage_user_logins = { "read", "read_reports", "read_profile", "api_show_user", "terminate_sessions",
    "read_files", "manage_user_details", "rename", "update_avatar", "remove_avatar", "manage_feature_flags",
    "view_feature_flags", "merge", "update_profile", "change_pronoun" },
  read_roster = { "read_full_profile", "api_show_user" },
  view_all_grades = { "read_grades" },
  view_user_logins = { "view_user_logins" },
  read_email_addresses = { "read_email_addresses" },
  manage_user_notes = { "create_user_notes", "read_user_notes", "delete_user_notes" },
  moderate_user_content = { "moderate_user_content" },
}

-- And from a course right in one of the user's courses (check_courses_right?).
local FROM_COURSE = {
  read_reports = { "read_profile", "remove_avatar", "read_reports" },
  read_email_addresses = { "read_email_addresses" },
  read_sis = { "read_sis" },
  manage_sis = { "manage_sis" },
  generate_observer_pairing_code = { "generate_observer_pairing_code" },
}

local function add(set, list)
  for _, r in ipairs(list) do set[r] = true end
end

local function caller_id(ctx)
  if type(ctx) == "table" then return ctx.user_id end
  return ctx
end

--- The accounts from `account` up to its root, nearest first.
function M.chain(store, account)
  local out, guard = {}, 0
  while account and guard < 100 do
    out[#out + 1] = account
    account, guard = store.accounts[account.parent_account_id], guard + 1
  end
  return out
end

--- The root account above `account`.
function M.root_of(store, account)
  local chain = M.chain(store, account)
  return chain[#chain]
end

--- The caller's account memberships that count on `account`: active ones
-- on it or on an account above it, whose role is not deleted, as
-- {membership, role} pairs (the only place store.account_users is read for
-- who may do what). Without `account`, those on any account.
function M.memberships(store, uid, account)
  local on = {}
  if account then
    for _, a in ipairs(M.chain(store, account)) do on[a.id] = true end
  end
  local out = {}
  for _, au in ipairs(store.account_users or {}) do
    if au.user_id == uid and au.workflow_state == "active" and (not account or on[au.account_id]) then
      local role = store.roles[au.role_id]
      if role and role.workflow_state ~= "deleted" then out[#out + 1] = { membership = au, role = role } end
    end
  end
  return out
end

--- The caller's admin rights on `account`, from their memberships on it
-- or above it: ALL for an AccountAdmin, the permissions of a custom
-- account role, nil for no membership at all.
function M.account_rights(app, uid, account)
  if uid == nil or account == nil then return nil end
  local found
  for _, m in ipairs(M.memberships(app.store, uid, account)) do
    local perms = permissions.of_role(m.role)
    if perms == ALL then return ALL end
    found = found or {}
    for r in pairs(perms) do found[r] = true end
  end
  return found
end

--- Is the caller an admin of `account` (membership_for_user: any role on it or above)?
function M.is_account_admin(app, uid, account)
  if uid == nil or account == nil then return false end
  return #M.memberships(app.store, uid, account) > 0
end

--- The caller's enrollments in `course` (any state).
function M.own_enrollments(app, ctx, course)
  local uid, out = caller_id(ctx), {}
  for _, e in ipairs(app.store.enrollments) do
    if e.user_id == uid and e.course_id == course.id then out[#out + 1] = e end
  end
  return out
end

-- The role an enrollment holds: its role_id's, or the built-in of its type.
local function role_of(store, e)
  local role = e.role_id and store.roles[e.role_id]
  if role and role.workflow_state ~= "deleted" then return role end
  return { name = e.type, base_role_type = e.type, workflow_state = "built_in" }
end

--- The caller's rights in `course`: their admin permissions on the course's
-- account chain (an AccountAdmin holds every right), and their own
-- enrollments: an active one its role's permissions and ENROLLMENT_RIGHTS,
-- a completed one :read and the permissions that apply when concluded.
-- Other states (invited, inactive, pending, deleted, rejected) give
-- nothing, nor does any enrollment in a deleted course.
function M.course_rights(app, uid, course)
  local store = app.store
  if uid == nil or course == nil then return {} end
  local admin = M.account_rights(app, uid, store.accounts[course.account_id])
  if admin == ALL then return ALL end
  local set = {}
  if admin then
    for r in pairs(admin) do set[r] = true end
    for right, from in pairs(FROM_ADMIN) do
      for _, p in ipairs(from) do if admin[p] then set[right] = true end end
    end
  end
  if course.workflow_state == "deleted" then return set end
  for _, e in ipairs(M.own_enrollments(app, uid, course)) do
    local concluded = e.enrollment_state == "completed"
    if e.enrollment_state == "active" or concluded then
      for r in pairs(permissions.of_role(role_of(store, e), concluded)) do set[r] = true end
      add(set, concluded and CONCLUDED_RIGHTS or ENROLLMENT_RIGHTS[e.type] or {})
    end
  end
  return set
end

--- The caller's rights on `account`: their admin permissions there, and
-- :read for its admins and for who holds an active admin-type enrollment
-- (teacher, TA, designer) in a course in it or below (Account#set_policy).
function M.account_target_rights(app, uid, account)
  local rights = M.account_rights(app, uid, account)
  if rights == ALL then return ALL end
  local set = {}
  for r in pairs(rights or {}) do set[r] = true end
  if rights then set.read = true end
  if not set.read and uid ~= nil then
    for _, e in ipairs(app.store:enrollments_of(uid)) do
      local c = app.store.courses[e.course_id]
      if c and e.enrollment_state == "active" and ADMIN_TYPES[e.type]
          and app.store:account_under(c.account_id, account.id) then
        set.read = true
        break
      end
    end
  end
  return set
end

-- A user's enrollment that ties them to a course (not deleted, not rejected).
local function live(e)
  return e.enrollment_state ~= "deleted" and e.enrollment_state ~= "rejected"
    and e.workflow_state ~= "deleted"
end

-- The accounts a user is associated with: their own account and those of
-- the courses they are enrolled in (User#associated_accounts).
local function associated_accounts(store, u)
  local out, seen = {}, {}
  local function push(id)
    local a = store.accounts[id]
    if a and not seen[a.id] then seen[a.id] = true; out[#out + 1] = a end
  end
  if u.account_id then push(u.account_id) end
  for _, e in ipairs(store.enrollments) do
    if e.user_id == u.id and live(e) then
      local c = store.courses[e.course_id]
      if c then push(c.account_id) end
    end
  end
  return out
end

local function observes(app, observer_id, student_id)
  local st = app.observee_state and app.observee_state()
  for _, l in ipairs(st and st.links or {}) do
    if l.observer_id == observer_id and l.student_id == student_id then return true end
  end
  return false
end

--- The caller's rights on user `u` (User#set_policy).
function M.user_rights(app, uid, u)
  local store = app.store
  local set = {}
  if uid == nil or u == nil then return set end
  if uid == u.id then add(set, SELF) end
  -- Through the user's courses: the caller's rights there.
  for _, e in ipairs(store.enrollments) do
    if e.user_id == u.id and live(e) then
      local c = store.courses[e.course_id]
      local cr = M.course_rights(app, uid, c)
      for right, gives in pairs(FROM_COURSE) do
        if cr[right] then add(set, gives) end
      end
      -- courses.any? { |c| c.user_is_instructor?(user) }: an active teacher or TA
      for _, mine in ipairs(M.own_enrollments(app, uid, c)) do
        if mine.enrollment_state == "active"
            and (mine.type == "TeacherEnrollment" or mine.type == "TaEnrollment") then
          set.read_profile = true
        end
      end
    end
  end
  -- Through the user's accounts: the caller's admin rights there.
  for _, a in ipairs(associated_accounts(store, u)) do
    local ar = M.account_rights(app, uid, a)
    if ar then
      for right, gives in pairs(FROM_ACCOUNT) do
        if ar[right] then add(set, gives) end
      end
    end
  end
  if uid ~= u.id and observes(app, uid, u.id) then add(set, { "read", "read_as_parent", "read_files" }) end
  return set
end

local function rights_on(app, uid, target)
  if target.user then return M.user_rights(app, uid, target.user) end
  if target.course then return M.course_rights(app, uid, target.course) end
  if target.account then return M.account_target_rights(app, uid, target.account) end
  error("policy: target must be {user=}, {course=} or {account=}", 3)
end

local function any_of(set, rights)
  for _, r in ipairs(type(rights) == "table" and rights or { rights }) do
    if set[r] == true then return true end
  end
  return false
end

--- May the caller (ctx, or a user id) hold `right` on target?
function M.can(app, ctx, right, target)
  return rights_on(app, caller_id(ctx), target)[right] == true
end

--- Does the caller hold one of `rights` (a right or a list) on target?
function M.any(app, ctx, rights, target)
  return any_of(rights_on(app, caller_id(ctx), target), rights)
end

--- Halts with Canvas's unauthorized answer unless the caller holds one of
-- `rights` (a right or a list) on target.
function M.require(app, ctx, rights, target)
  if not any_of(rights_on(app, caller_id(ctx), target), rights) then app:unauthorized() end
end

--- The course right a course event needs (courses_controller.rb
-- permission_for_event, as the sandbox reads it): offer and claim publish
-- and unpublish (change_course_state, which teachers hold); conclude,
-- delete and undelete need :delete (an admin's); anything else :update.
local EVENT_RIGHT = { offer = "change_course_state", claim = "change_course_state", conclude = "delete",
  delete = "delete", undelete = "delete" }
function M.event_right(event)
  return EVENT_RIGHT[event] or "update"
end

--- May the caller enrol someone as `type` in `course` (Enrollment's
-- can_be_created_by)? manage_admin_users adds any type; manage_students
-- adds students and observers.
local STUDENT_LIKE = { StudentEnrollment = true, ObserverEnrollment = true }
function M.can_enroll(app, ctx, course, type)
  local rights = M.course_rights(app, caller_id(ctx), course)
  if rights.manage_admin_users then return true end
  return STUDENT_LIKE[type] == true and rights.manage_students == true
end

--- Conclude, deactivate, delete or reactivate enrollment `e`: the same
-- rule as adding it.
function M.can_change_enrollment(app, ctx, course, e)
  return M.can_enroll(app, ctx, course, e.type)
end

-- The record whose rights decide an answer's context (user.rb resolves a
-- UserProfile to the domain's root account).
local function context_rights(app, uid, context)
  if context == nil then return nil end
  if context.course then return M.course_rights(app, uid, context.course), context.course end
  local account = context.account or app.store.accounts[1]
  return M.account_rights(app, uid, account) or {}, account
end

--- lib/api/v1/user.rb user_json_is_admin?: may the caller see logins and
-- SIS data of users in this context ({account=}, {course=}, {profile=true},
-- or nil for none: false)?
function M.user_json_is_admin(app, ctx, context)
  local uid = caller_id(ctx)
  local rights = context_rights(app, uid, context)
  if rights == nil then return false end
  if rights.manage_students or rights.read_sis or rights.view_user_logins then return true end
  local account = context.course and app.store.accounts[context.course.account_id]
    or context.account or app.store.accounts[1]
  if M.is_account_admin(app, uid, account) then return true end
  local root = M.account_rights(app, uid, M.root_of(app.store, account))
  return root ~= nil and root.manage_sis == true
end

--- user_can_read_sis_data?: the context grants read_sis or manage_sis.
function M.can_read_sis(app, ctx, context)
  local rights = context_rights(app, caller_id(ctx), context)
  return rights ~= nil and (rights.read_sis == true or rights.manage_sis == true)
end

--- Does the context grant `right` to the caller (for view_user_logins,
-- read_email_addresses and the like in user_json)?
function M.context_can(app, ctx, right, context)
  local rights = context_rights(app, caller_id(ctx), context)
  return rights ~= nil and rights[right] == true
end

return M
