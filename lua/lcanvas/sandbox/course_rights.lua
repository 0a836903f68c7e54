--- Who may do what to courses, sections, enrollments, terms and accounts:
-- the sandbox's abridged form of Canvas's policies (app/models/course.rb,
-- account.rb and enrollment.rb `set_policy`, with RoleOverride's default
-- permissions). All course-level checks live here, so that one permission
-- model can take them over later.
--
-- An account right comes from an active account membership (AccountUser)
-- on the account or an account above it: AccountAdmin holds every right, a
-- custom account role the rights its `permissions` set names. A course
-- right comes from such an account right over the course's account, or
-- from the caller's own enrollment in the course (COURSE_ROLE_RIGHTS).
local M = {}

-- RoleOverride's defaults for the course-level base roles, abridged to the
-- rights these routes ask about. An active enrollment grants them; a
-- concluded (completed) one only `read` and `read_roster`.
local COURSE_ROLE_RIGHTS = {
  TeacherEnrollment = { read = true, read_roster = true, read_as_admin = true, read_sis = true, update = true,
    change_course_state = true, manage_students = true, manage_sections = true, view_all_grades = true },
  TaEnrollment = { read = true, read_roster = true, read_as_admin = true, read_sis = true,
    manage_students = true, view_all_grades = true },
  DesignerEnrollment = { read = true, read_roster = true, read_as_admin = true, update = true },
  StudentEnrollment = { read = true, read_roster = true },
  ObserverEnrollment = { read = true },
}
local CONCLUDED_RIGHTS = { read = true, read_roster = true }

-- Course rights an account right brings with it (an admin of the account
-- may act in its courses).
local FROM_ACCOUNT = {
  read = { "read_course_content", "manage_courses" }, read_roster = { "read_roster", "manage_courses" },
  read_as_admin = { "read_course_content", "manage_courses" }, read_sis = { "read_sis", "manage_sis" },
  update = { "manage_courses" }, change_course_state = { "manage_courses" }, delete = { "manage_courses" },
  manage_students = { "manage_courses" }, manage_admin_users = { "manage_courses" },
  manage_sections = { "manage_courses" }, view_all_grades = { "view_all_grades", "manage_courses" },
  manage_sis = { "manage_sis" },
}

--- The roles the user holds on account `account_id` through an active
-- membership there or above it.
function M.account_roles(app, user_id, account_id)
  local store, out = app.store, {}
  for _, au in ipairs(store.account_users) do
    if au.user_id == user_id and au.workflow_state == "active" and store:account_under(account_id, au.account_id) then
      local role = store.roles[au.role_id]
      if role and role.workflow_state ~= "deleted" then out[#out + 1] = role end
    end
  end
  return out
end

--- Does the caller hold `right` on account `account_id`?
function M.account_can(app, ctx, account_id, right)
  for _, role in ipairs(M.account_roles(app, ctx.user_id, account_id)) do
    if role.name == "AccountAdmin" or (role.permissions and role.permissions[right]) then return true end
  end
  return false
end

--- Is the caller an admin (any membership) of the account or above it?
function M.account_member(app, ctx, account_id)
  return #M.account_roles(app, ctx.user_id, account_id) > 0
end

--- The caller's enrollments in a course.
function M.own_enrollments(app, ctx, course)
  local out = {}
  for _, e in ipairs(app.store:enrollments_of(ctx.user_id)) do
    if e.course_id == course.id then out[#out + 1] = e end
  end
  return out
end

--- Does the caller hold `right` on `course`, through the account or an enrollment?
function M.course_can(app, ctx, course, right)
  for _, r in ipairs(FROM_ACCOUNT[right] or {}) do
    if M.account_can(app, ctx, course.account_id, r) then return true end
  end
  if course.workflow_state == "deleted" then return false end
  for _, e in ipairs(M.own_enrollments(app, ctx, course)) do
    local rights = (e.enrollment_state == "active" and COURSE_ROLE_RIGHTS[e.type])
      or (e.enrollment_state == "completed" and CONCLUDED_RIGHTS) or {}
    if rights[right] then return true end
  end
  return false
end

function M.may_read_course(app, ctx, course) return M.course_can(app, ctx, course, "read") end
function M.may_manage_course(app, ctx, course) return M.course_can(app, ctx, course, "update") end
function M.may_read_roster(app, ctx, course)
  return M.course_can(app, ctx, course, "read_roster") or M.course_can(app, ctx, course, "view_all_grades")
end
function M.read_sis(app, ctx, course) return M.course_can(app, ctx, course, "read_sis") end
function M.manage_sis(app, ctx, course) return M.course_can(app, ctx, course, "manage_sis") end

--- courses_controller.rb permission_for_event: the right each event needs.
-- offer and claim publish and unpublish (change_course_state, which
-- teachers hold); conclude and delete need an admin here; undelete is an
-- account right.
local EVENT_RIGHT = { offer = "change_course_state", claim = "change_course_state", conclude = "delete",
  delete = "delete", undelete = "delete" }
function M.may_run_event(app, ctx, course, event)
  return M.course_can(app, ctx, course, EVENT_RIGHT[event] or "update")
end

--- Enrollment#can_be_created_by / the enrollments API: admins add any
-- type; teachers and TAs students and observers (manage_students).
local STUDENT_LIKE = { StudentEnrollment = true, ObserverEnrollment = true }
function M.may_enroll(app, ctx, course, type)
  if M.course_can(app, ctx, course, "manage_admin_users") then return true end
  return STUDENT_LIKE[type] == true and M.course_can(app, ctx, course, "manage_students")
end

--- Conclude, deactivate, delete or reactivate an enrollment: the same rule as adding it.
function M.may_change_enrollment(app, ctx, course, e)
  return M.may_enroll(app, ctx, course, e.type)
end

function M.may_manage_sections(app, ctx, course) return M.course_can(app, ctx, course, "manage_sections") end

--- Account :read (accounts_controller show, sub_accounts): members of the
-- account or above, and the holders of an active teaching enrollment in
-- one of its courses (Account's policy for course admins).
function M.may_read_account(app, ctx, account)
  if M.account_member(app, ctx, account.id) then return true end
  for _, e in ipairs(app.store:enrollments_of(ctx.user_id)) do
    local c = app.store.courses[e.course_id]
    if c and e.enrollment_state == "active" and COURSE_ROLE_RIGHTS[e.type] and COURSE_ROLE_RIGHTS[e.type].read_as_admin
        and app.store:account_under(c.account_id, account.id) then
      return true
    end
  end
  return false
end

--- app:unauthorized() unless `ok`.
function M.require(app, ok)
  if not ok then app:unauthorized() end
end

return M
