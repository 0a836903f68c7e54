--- lcanvas.Enrollment: a user's enrollment in a course section, with its
-- type (StudentEnrollment, TeacherEnrollment...) and enrollment_state. This
-- file is the whole type: its methods, the entry points that make
-- Enrollments (Course:enroll_user, get_enrollments; Section:enroll_user,
-- get_enrollments; Account:get_enrollment; User:get_enrollments is the
-- user's), how it prints and the examples the endpoint spec runs. From
-- app/controllers/enrollments_api_controller.rb and lib/api/v1/user.rb
-- (enrollment_json).
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"

core.define_type("Enrollment", { format = "{type} ({id})",
  doc = "an enrollment of a user in a course section" })

-- include[] enrollment_json honours (the list routes always add user).
local INCLUDES = { "user", "avatar_url", "group_ids", "uuid", "email", "locked", "observed_users",
  "can_be_removed", "current_points" }
-- What enrollments_api#index reads on a course or a section.
local LIST_PARAMS = { "type", "role", "role_id", "state", "user_id", "sis_user_id", "created_for_sis_id",
  "sis_section_id", "sis_account_id", "sis_course_id", "grading_period_id", "include" }
local LIST_ARRAYS = { "type", "role", "role_id", "state", "sis_user_id", "sis_section_id",
  "sis_account_id", "sis_course_id", "include" }
-- enrollment[...] keys enrollments_api#create keeps (it slices the rest away).
local CREATE_PARAMS = { "enrollment" }
local TYPES = { "StudentEnrollment", "TeacherEnrollment", "TaEnrollment", "ObserverEnrollment",
  "DesignerEnrollment" }

local function enroll_row(receiver_path, source)
  return { name = "enroll_user", method = "POST", path = receiver_path .. "/enrollments",
    returns = "Enrollment",
    args = { { "user", param = "enrollment[user_id]", ids = ids.users, check = "present",
               what = "user (a User, an id or \"sis_user_id:X\")" },
             { "type", param = "enrollment[type]", check = "string_or_nil", values = TYPES } },
    params = CREATE_PARAMS, source = source,
    doc = "Enroll a user (a User, an id, \"sis_user_id:X\"...) as type (\"StudentEnrollment\", " ..
      "\"TeacherEnrollment\", \"TaEnrollment\", \"ObserverEnrollment\", \"DesignerEnrollment\"; nil " ..
      "with enrollment = {role_id = ...}); params enrollment = {enrollment_state = \"active\", " ..
      "course_section_id =, notify = true, limit_privileges_to_course_section =, ...}." }
end

core.define_rows("Course", {
  { name = "get_enrollments", method = "GET", path = "courses/{id}/enrollments", returns = "Enrollment",
    list = true, params = LIST_PARAMS, include = INCLUDES, arrays = LIST_ARRAYS,
    source = "EnrollmentsApiController#index",
    doc = "The course's enrollments: params type = {\"StudentEnrollment\", ...}, state = " ..
      "{\"active\", \"invited\", \"completed\", \"inactive\", ...}, role_id, user_id, include = " ..
      "{\"avatar_url\", ...}. Bookmark pages." },
  enroll_row("courses/{id}", "EnrollmentsApiController#create"),
})

core.define_rows("Section", {
  { name = "get_enrollments", method = "GET", path = "sections/{id}/enrollments", returns = "Enrollment",
    list = true, params = LIST_PARAMS, include = INCLUDES, arrays = LIST_ARRAYS,
    source = "EnrollmentsApiController#index",
    doc = "The section's enrollments (params as Course:get_enrollments)." },
  enroll_row("sections/{id}", "EnrollmentsApiController#create"),
})

core.define_rows("Account", {
  { name = "get_enrollment", method = "GET", path = "accounts/{id}/enrollments/{1}", returns = "Enrollment",
    args = { { "enrollment", ids = ids.plain } },
    params = {}, source = "EnrollmentsApiController#show",
    doc = "One enrollment of the account's courses, by id (no user object in it)." },
})

-- enrollments_api#destroy turns any task but these (a typo, none) into
-- conclude: only these are sent.
local TASKS = { "conclude", "delete", "inactivate", "deactivate" }

local Enrollment = core.define_rows("Enrollment", {
  { name = "deactivate", method = "DELETE", path = "courses/{course_id}/enrollments/{id}",
    returns = "self",
    args = { { "task", check = "string", values = TASKS } },
    params = { "task" }, source = "EnrollmentsApiController#destroy",
    doc = "End the enrollment: task \"conclude\", \"delete\", \"inactivate\" or \"deactivate\" " ..
      "(checked before sending: Canvas would conclude on any other); the enrollment is updated " ..
      "in place and returned." },
  { name = "reactivate", method = "PUT", path = "courses/{course_id}/enrollments/{id}/reactivate",
    returns = "self", params = {}, source = "EnrollmentsApiController#reactivate",
    doc = "Reactivate an inactive enrollment (Canvas refuses any other state with 400); updated in place." },
  { name = "accept", method = "POST", path = "courses/{course_id}/enrollments/{id}/accept",
    field = "success", params = {}, source = "EnrollmentsApiController#accept",
    doc = "Accept the invitation (its own user only); returns true." },
  { name = "reject", method = "POST", path = "courses/{course_id}/enrollments/{id}/reject",
    field = "success", params = {}, source = "EnrollmentsApiController#reject",
    doc = "Reject the invitation (its own user only); returns true." },
})

-- What the endpoint spec runs against the sandbox's demo data: Sam
-- Student's (user 3) enrollment in course 1, Sofia's (user 4) invitation to
-- course 2.
local function enrollment_of(w, user, course)
  return w.canvas:get_course(course):get_enrollments({ user_id = user,
    state = { "active", "invited", "inactive", "completed" } }):first()
end

local function invitation(w)
  for e in w.as_user(4):get_user("self"):get_enrollments({ state = { "invited" } }) do
    if e.course_id == 2 then return e end
  end
end

core.define_type("Enrollment", {
  examples = {
    receiver = function(w) return enrollment_of(w, 3, 1) end,
    args = {
      deactivate = { "inactivate" },
      reactivate = function(w)
        local e = enrollment_of(w, 3, 1)
        e:deactivate("inactivate")
        return e, {}
      end,
      -- Sofia (user 4) accepts or rejects her invitation to course 2 herself
      -- (an invitee may not read the course yet, only her own enrollments).
      accept = function(w) return invitation(w), {} end,
      reject = function(w) return invitation(w), {} end,
    },
  },
})
core.define_type("Course", { examples = { args = { enroll_user = { 5, "StudentEnrollment" } } } })
core.define_type("Account", { examples = { args = {
  get_enrollment = function(w) return w.canvas:get_account(1), { enrollment_of(w, 3, 1).id } end,
} } })

return Enrollment
