--- Canvas's permissions and the roles that hold them by default: the
-- registry app/models/role_override.rb keeps (Permissions.register; newer
-- Canvas keeps the list in config/initializers/permissions_registry.rb and
-- role_override.rb reads it from there), abridged to the permissions the
-- sandbox asks about. policy.lua turns a role into its set of permissions
-- here and nowhere else.
--
-- Each entry: `true_for`, the base roles the permission is on for by
-- default; `concluded`, the base roles that keep it in a concluded
-- (completed) enrollment (applies_to_concluded; true for every role). A
-- permission with no course role in true_for is an account permission
-- (account_only in the registry, or on for AccountAdmin alone).
--
-- Names the newest registry splits up are kept whole, as the older
-- role_override.rb names them and as the sandbox's routes ask:
-- change_course_state (manage_courses_publish, manage_courses_conclude),
-- manage_sections (manage_sections_add/edit/delete), manage_courses
-- (manage_courses_admin, manage_courses_add, manage_courses_delete),
-- manage_content (manage_course_content_*), manage_admin_users
-- (add_teacher_to_course and the other non-student add/remove pairs);
-- manage_user_notes is only in the older file.
local M = {}

local ADMIN = "AccountAdmin"
local T, TA, D, S = "TeacherEnrollment", "TaEnrollment", "DesignerEnrollment", "StudentEnrollment"

M.PERMISSIONS = {
  -- Course permissions (and account permissions an admin holds over the
  -- account's courses).
  read_roster = { true_for = { S, TA, D, T, ADMIN }, concluded = { T, TA, D } },
  view_all_grades = { true_for = { TA, T, ADMIN }, concluded = true },
  manage_grades = { true_for = { TA, T, ADMIN } },
  read_sis = { true_for = { ADMIN, T }, concluded = { T, TA } },
  view_user_logins = { true_for = { ADMIN, T, TA }, concluded = { T, TA } },
  read_email_addresses = { true_for = { TA, T, ADMIN }, concluded = { T, TA } },
  read_reports = { true_for = { TA, D, T, ADMIN } },
  manage_students = { true_for = { TA, D, T, ADMIN } },
  manage_admin_users = { true_for = { T, ADMIN } },
  manage_content = { true_for = { TA, T, D, ADMIN } },
  manage_calendar = { true_for = { TA, D, T, ADMIN } },
  send_messages = { true_for = { S, TA, D, T, ADMIN } },
  change_course_state = { true_for = { ADMIN, T, D } },
  manage_sections = { true_for = { ADMIN, T, D } },
  manage_user_notes = { true_for = { TA, T, ADMIN } },
  generate_observer_pairing_code = { true_for = { ADMIN } },
  read_course_content = { true_for = { ADMIN } },
  -- Account permissions.
  read_course_list = { true_for = { ADMIN } },
  manage_courses = { true_for = { ADMIN } },
  undelete_courses = { true_for = { ADMIN } },
  manage_sis = { true_for = { ADMIN } },
  import_sis = { true_for = { ADMIN } },
  manage_account_settings = { true_for = { ADMIN } },
  manage_account_memberships = { true_for = { ADMIN } },
  manage_role_overrides = { true_for = { ADMIN } },
  manage_storage_quotas = { true_for = { ADMIN } },
  manage_user_logins = { true_for = { ADMIN } },
  manage_user_observers = { true_for = { ADMIN } },
  view_statistics = { true_for = { ADMIN } },
  moderate_user_content = { true_for = { ADMIN } },
  view_feature_flags = { true_for = { ADMIN } },
  manage_feature_flags = { true_for = { ADMIN } },
  become_user = { true_for = { ADMIN } },
}

--- What the built-in AccountAdmin role holds: every permission (true_for
-- names AccountAdmin for each one the sandbox asks about, and for those a
-- route added later asks about too: import_sis, read_reports...).
M.ALL = setmetatable({}, { __index = function() return true end, __newindex = function() end })

local function has(list, x)
  if list == true then return true end
  for _, v in ipairs(list or {}) do if v == x then return true end end
  return false
end

--- The base role a role's defaults come from: the built-in AccountAdmin,
-- another account role (AccountMembership: no defaults) or a course type.
local function base_of(role)
  if role.name == ADMIN and role.workflow_state == "built_in" then return ADMIN end
  return role.base_role_type or role.name
end

--- The permissions `role` holds: its base role's defaults, then the role's
-- own `permissions` table ({name = true|false}), which a custom role uses
-- as Canvas's RoleOverride rows. ALL for the built-in AccountAdmin.
-- `concluded` keeps those that apply to a concluded enrollment.
function M.of_role(role, concluded)
  local base = base_of(role)
  if base == ADMIN and not concluded then return M.ALL end
  local set = {}
  for name, p in pairs(M.PERMISSIONS) do
    if has(p.true_for, base) then set[name] = true end
  end
  for name, on in pairs(role.permissions or {}) do set[name] = on == true or nil end
  if concluded then
    for name in pairs(set) do
      local p = M.PERMISSIONS[name]
      if not (p and has(p.concluded, base)) then set[name] = nil end
    end
  end
  return set
end

--- Is `name` on for `role` (role_json's `enabled`)?
function M.enabled(role, name)
  return M.of_role(role)[name] == true
end

return M
