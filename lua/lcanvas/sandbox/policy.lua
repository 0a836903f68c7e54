--- Who may do what in the sandbox: one answer to "may this caller do this
-- to that user, course or account", written from Canvas's policies.
--
-- Read from canvas-lms (newest versions in the search index):
--   app/models/user.rb       User#set_policy: the rights a caller holds on a
--                            user, as themself, through the user's courses
--                            (check_courses_right?), their accounts
--                            (check_accounts_right?) or an observer link
--   app/models/role_override.rb  each permission's default roles (true_for)
--   app/models/account.rb, app/models/course.rb  rights from account admin
--                            roles (up the account chain) and enrollments
--   app/controllers/user_observees_controller.rb  manage_user_observers
--
-- API (every route asks here; none decides on its own):
--   policy.can(app, ctx, right, target) -> boolean
--   policy.require(app, ctx, rights, target)   halts with app:unauthorized()
--     (401, or 403 with config.unauthorized_status = 403, as Canvas's
--     api_auth_error_updates flag); `rights` is one right or a list of which
--     any will do, as authorized_action takes them.
--   target: { user = u } | { course = c } | { account = a }
--   policy.user_rights / course_rights / account_rights (app, user_id, record)
--     -> the set of rights, for routes that test several.
--   policy.user_json_is_admin(app, ctx, context), policy.can_read_sis(...):
--     lib/api/v1/user.rb's two questions about the context of an answer.
--
-- Account admins: the seed's `admins` ({[user_id] = true}) are AccountAdmin
-- on the root account; store.account_users (optional, a list of {user_id=,
-- account_id=, rights = {right = true} or nil for AccountAdmin}) adds others,
-- on any account. An admin of an account holds its rights on every
-- sub-account and course below it.
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

--- Course-level rights of each base role by default (role_override.rb
-- true_for), for the permissions the sandbox's routes ask about.
M.ROLE_RIGHTS = {
  TeacherEnrollment = { "read", "read_roster", "read_as_admin", "read_reports", "view_all_grades",
    "manage_grades", "view_user_logins", "read_email_addresses", "read_sis", "manage_students",
    "manage_content", "manage_calendar", "send_messages" },
  TaEnrollment = { "read", "read_roster", "read_as_admin", "read_reports", "view_all_grades",
    "manage_grades", "view_user_logins", "read_email_addresses", "read_sis", "manage_students",
    "manage_content", "manage_calendar", "send_messages" },
  DesignerEnrollment = { "read", "read_roster", "read_as_admin", "read_reports", "manage_content",
    "manage_calendar" },
  StudentEnrollment = { "read", "read_roster", "participate_as_student", "send_messages" },
  ObserverEnrollment = { "read" },
}

-- AccountAdmin holds every account permission (true_for AccountAdmin).
local ALL = setmetatable({}, { __index = function() return true end })

-- User rights that follow from an account right over one of the user's
-- accounts (User#set_policy, check_accounts_right?). manage_user_logins
-- brings the has_subset_of_account_permissions? group too (the sandbox's
-- admins hold every permission, so the subset test always passes) and
-- :merge (a pseudonym the caller may update).
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

--- The caller's admin rights on `account`: from a role on it or on an
-- account above it. ALL for an AccountAdmin, a set for a custom role, nil
-- for none.
function M.account_rights(app, uid, account)
  local store = app.store
  if uid == nil or account == nil then return nil end
  local found
  for _, a in ipairs(M.chain(store, account)) do
    if a.parent_account_id == nil and store.admins and store.admins[uid] then return ALL end
    for _, au in ipairs(store.account_users or {}) do
      if au.user_id == uid and au.account_id == a.id then
        if au.rights == nil then return ALL end
        found = found or {}
        for r in pairs(au.rights) do found[r] = true end
      end
    end
  end
  return found
end

--- Is the caller an admin of `account` (membership_for_user: any role on it or above)?
function M.is_account_admin(app, uid, account)
  return M.account_rights(app, uid, account) ~= nil
end

local function live(e)
  return e.enrollment_state ~= "deleted" and e.enrollment_state ~= "rejected"
    and e.workflow_state ~= "deleted"
end

--- The caller's rights in `course`: their enrollments' roles, and their
-- admin roles on the course's account chain (an admin reads every course).
function M.course_rights(app, uid, course)
  local store = app.store
  if uid == nil or course == nil then return {} end
  local admin = M.account_rights(app, uid, store.accounts[course.account_id])
  if admin == ALL then return ALL end
  local set = {}
  if admin then for r in pairs(admin) do set[r] = true end end
  for _, e in ipairs(store.enrollments) do
    if e.user_id == uid and e.course_id == course.id and live(e) then
      add(set, M.ROLE_RIGHTS[e.type] or {})
    end
  end
  return set
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
      local cr = M.course_rights(app, uid, store.courses[e.course_id])
      for right, gives in pairs(FROM_COURSE) do
        if cr[right] then add(set, gives) end
      end
      -- courses.any? { |c| c.user_is_instructor?(user) }: a teacher or TA
      for _, mine in ipairs(store.enrollments) do
        if mine.user_id == uid and mine.course_id == e.course_id and live(mine)
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
  if target.account then return M.account_rights(app, uid, target.account) or {} end
  error("policy: target must be {user=}, {course=} or {account=}", 3)
end

--- May the caller (ctx, or a user id) hold `right` on target?
function M.can(app, ctx, right, target)
  return rights_on(app, caller_id(ctx), target)[right] == true
end

--- Halts with Canvas's unauthorized answer unless the caller holds one of
-- `rights` (a right or a list) on target.
function M.require(app, ctx, rights, target)
  local set = rights_on(app, caller_id(ctx), target)
  for _, r in ipairs(type(rights) == "table" and rights or { rights }) do
    if set[r] then return end
  end
  app:unauthorized()
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
