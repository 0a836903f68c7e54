--- lcanvas.Course: a course. This file is the whole type: its methods, the
-- entry points that make Courses (Client:get_course, Account:get_courses,
-- create_course, update_courses), how it prints and the examples the
-- endpoint spec runs. Every row says what Canvas's controller reads
-- (app/controllers/courses_controller.rb, accounts_controller.rb; the
-- reference sheet /work's ADMIN_API.md §1 was checked against them).
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"
local args = require "lcanvas.args"

core.define_type("Course", { doc = "a course" })

-- include[] of a course's JSON, as lib/api/v1/course.rb course_json and
-- courses_controller#show honour them (CourseJson's older list too).
local COURSE_INCLUDES = { "term", "grading_periods", "course_progress", "sections", "total_students",
  "passback_status", "favorites", "teachers", "active_teachers", "tabs", "account", "subaccount",
  "course_image", "banner_image", "concluded", "templated_accounts", "grading_scheme",
  "restrict_quantitative_data", "observed_users", "all_courses", "needs_grading_count",
  "syllabus_body", "html_url", "public_description", "permissions", "total_scores",
  "storage_quota_used_mb", "lti_context_id" }

-- accounts#courses_api removes permissions, sections, needs_grading_count and
-- total_scores on purpose, and reads ui_invoked (total counting).
local LIST_INCLUDES = { "ui_invoked" }
for _, v in ipairs(COURSE_INCLUDES) do
  if v ~= "permissions" and v ~= "sections" and v ~= "needs_grading_count" and v ~= "total_scores" then
    LIST_INCLUDES[#LIST_INCLUDES + 1] = v
  end
end

core.define_rows("Client", {
  { name = "get_course", method = "GET", path = "courses/{1}", returns = "Course",
    args = { { "id", ids = ids.courses, id_type = true } },
    params = { "include" }, include = COURSE_INCLUDES, source = "CoursesController#show",
    doc = "The course with this id (a number, \"sis_course_id:X\" or a Course); with id_type " ..
      "(\"sis_course_id\", \"sis_integration_id\", \"lti_context_id\", \"uuid\") the id is looked up " ..
      "as id_type:id; params include = {\"term\", \"teachers\", \"total_students\", ...}. A deleted " ..
      "course is found only with include = {\"all_courses\"}." },
})

core.define_rows("Account", {
  { name = "get_courses", method = "GET", path = "accounts/{id}/courses", returns = "Course", list = true,
    params = { "state", "published", "completed", "blueprint", "blueprint_associated", "public", "homeroom",
      "with_enrollments", "hide_enrollmentless_courses", "enrollment_type", "by_teachers", "by_subaccounts",
      "enrollment_term_id", "search_term", "search_by", "starts_before", "ends_after", "sort", "order",
      "include_crosslisted_courses", "teacher_limit", "include" },
    include = LIST_INCLUDES,
    -- accounts#courses_api tests these two for presence (false would act as
    -- true) and reads these as lists only (a single value is ignored).
    presence = { "hide_enrollmentless_courses", "with_enrollments" },
    arrays = { "state", "enrollment_type", "by_teachers", "by_subaccounts", "include" },
    source = "AccountsController#courses_api",
    doc = "The account's courses (and its sub-accounts'); params enrollment_term_id (an id, " ..
      "\"sis_term_id:X\" or \"current\"), search_term, state = {\"available\", ...}, by_subaccounts, " ..
      "by_teachers, with_enrollments, published, sort, order, include = {\"term\", \"teachers\", " ..
      "\"total_students\", ...}. Single values of the list parameters are sent as lists." },
  { name = "get_course", method = "GET", path = "accounts/{id}/courses/{1}", returns = "Course",
    args = { { "course", ids = ids.courses } },
    params = { "include" }, include = COURSE_INCLUDES, source = "CoursesController#show",
    doc = "One of the account's courses (its sub-accounts' too): 404 for a course elsewhere." },
  { name = "create_course", method = "POST", path = "accounts/{id}/courses", returns = "Course",
    params = { "course", "offer", "enroll_me", "enable_sis_reactivation" },
    source = "CoursesController#create",
    doc = "Create a course in the account: params course = {name =, course_code =, term_id =, " ..
      "sis_course_id = (needs manage SIS, dropped otherwise), start_at =, end_at =, ...}, offer, " ..
      "enroll_me." },
})

local Course = core.define_rows("Course", {
  { name = "update", method = "PUT", path = "courses/{id}", returns = "self",
    params = { "course", "offer", "override_sis_stickiness" }, source = "CoursesController#update",
    doc = "Change the course: params course = {name =, course_code =, event = \"offer\" | " ..
      "\"claim\" | \"conclude\" | \"delete\" | \"undelete\", ...}; the course is updated in place " ..
      "with Canvas's answer and returned." },
  { name = "delete", method = "DELETE", path = "courses/{id}", field = "delete",
    params = { "event" }, fixed = { event = "delete" }, source = "CoursesController#destroy",
    doc = "Delete the course (DELETE courses/:id, event=delete); returns true." },
  { name = "conclude", method = "DELETE", path = "courses/{id}", field = "conclude",
    params = { "event" }, fixed = { event = "conclude" }, source = "CoursesController#destroy",
    doc = "Conclude the course (DELETE courses/:id, event=conclude); returns true." },
  { name = "get_users", method = "GET", path = "courses/{id}/users", returns = "User", list = true,
    params = { "search_term", "enrollment_type", "enrollment_role", "enrollment_role_id", "enrollment_state",
      "sort", "include_inactive", "user_id", "user_ids", "user_uuids", "include" },
    include = { "enrollments", "locked", "avatar_url", "test_student", "bio", "custom_links",
      "current_grading_period_scores", "uuid", "lti_id", "group_ids", "email", "sis_user_id" },
    arrays = { "enrollment_type", "enrollment_state", "include" },
    source = "CoursesController#users",
    doc = "The course's users: params enrollment_type = {\"student\", ...}, enrollment_state = " ..
      "{\"active\", \"invited\", ...}, search_term, user_ids, include = {\"enrollments\", " ..
      "\"avatar_url\", ...} (Canvas adds sis_user_id and email)." },
})

local Account = core.methods("Account")

-- Not a row: one request per 500 courses (Canvas refuses a larger batch
-- with 403), each answering its own Progress.
local EVENTS = { offer = true, conclude = true, delete = true, undelete = true }
local BATCH = 500

--- Account:update_courses(courses, event): change many courses at once (PUT accounts/:id/courses, Canvas's batch update): courses is a list of ids, "sis_course_id:X" or Courses, event "offer", "conclude", "delete" or "undelete" (checked before sending); more than 500 go in batches of 500. Returns one Progress per batch (usually one); wait for them (Progress:refresh) to know when the courses changed.
function Account.update_courses(self, courses, event)
  if type(courses) ~= "table" or core.is_object(courses) or #courses == 0 then
    args.argerror(1, "update_courses", "a non-empty list of courses (ids or Courses) expected")
  end
  if type(event) ~= "string" or not EVENTS[event] then
    args.argerror(2, "update_courses", "event must be \"offer\", \"conclude\", \"delete\" or " ..
      "\"undelete\", not " .. (type(event) == "string" and ("\"" .. event .. "\"") or type(event)) ..
      " (Canvas's batch update takes no \"claim\")")
  end
  local c = core.client_of(self)
  local path = "accounts/" .. args.segment(self, 0, "update_courses") .. "/courses"
  local ids_of = {}
  for i, v in ipairs(courses) do
    if core.is_object(v) then v = v.id end
    if v == nil or (type(v) ~= "number" and type(v) ~= "string") then
      args.argerror(1, "update_courses", "course " .. i .. " is not an id or a Course")
    end
    ids_of[i] = v
  end
  local out = {}
  for first = 1, #ids_of, BATCH do
    local batch = table.move(ids_of, first, math.min(first + BATCH - 1, #ids_of), 1, {})
    local answer = c:request("PUT", path, { course_ids = batch, event = event })
    out[#out + 1] = core.object("Progress", answer, c)
  end
  return table.unpack(out)
end

core.describe_hand("Account", {
  update_courses = { method = "PUT", path = "accounts/{id}/courses", args = { "courses", "event" },
    sends = { "course_ids", "event" }, params = { "course_ids", "event" }, unknown = "none",
    source = "CoursesController#batch_update" },
})

-- What the endpoint spec (spec/endpoints_spec.lua) runs against the sandbox's
-- demo data: course 1, Biology 101 (SIS id "BIO/101.1"), seen by the admin.
core.define_type("Client", { examples = { args = { get_course = { "BIO/101.1", "sis_course_id" } } } })
core.define_type("Account", { examples = { args = { get_course = { "sis_course_id:CHEM.201" },
  update_courses = { { 36, "sis_course_id:GEN-035" }, "offer" } } } })
core.define_type("Course", {
  examples = {
    receiver = function(w) return w.canvas:get_course(1) end,
    args = {
      update = { { course = { name = "Biology 101" } } },
      delete = function(w) return w.canvas:get_course(40), {} end,
      conclude = function(w) return w.canvas:get_course(39), {} end,
    },
  },
})

return Course
