--- lcanvas.Section: a course section. This file is the whole type: its
-- methods, the entry points that make Sections (Client:get_section,
-- Course:get_sections, get_section, create_course_section), how it prints
-- and the examples the endpoint spec runs. From
-- app/controllers/sections_controller.rb and lib/api/v1/section.rb.
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"

core.define_type("Section", { format = "{name} ({id})", doc = "a section of a course" })

-- include[] section_json honours (students, and enrollments with it...).
local INCLUDES = { "students", "enrollments", "total_students", "passback_status", "user_count",
  "permissions" }

core.define_rows("Client", {
  { name = "get_section", method = "GET", path = "sections/{1}", returns = "Section",
    args = { { "id", ids = ids.course_sections, id_type = true } },
    params = { "include" }, include = INCLUDES, source = "SectionsController#show",
    doc = "The section with this id (a number, \"sis_section_id:X\" or a Section); with id_type " ..
      "(\"sis_section_id\", \"sis_integration_id\") the id is looked up as id_type:id." },
})

core.define_rows("Course", {
  { name = "get_sections", method = "GET", path = "courses/{id}/sections", returns = "Section", list = true,
    params = { "include", "search_term", "all" }, include = INCLUDES, presence = { "all" },
    arrays = { "include" }, source = "SectionsController#index",
    doc = "The course's sections: params include = {\"students\", \"total_students\", ...} (dropped " ..
      "by Canvas for callers who may not read the roster), search_term." },
  { name = "get_section", method = "GET", path = "courses/{id}/sections/{1}", returns = "Section",
    args = { { "section", ids = ids.course_sections } },
    params = { "include" }, include = INCLUDES, source = "SectionsController#show",
    doc = "One of the course's sections (an id, \"sis_section_id:X\" or a Section)." },
  { name = "create_course_section", method = "POST", path = "courses/{id}/sections", returns = "Section",
    params = { "course_section", "enable_sis_reactivation", "override_sis_stickiness" },
    source = "SectionsController#create",
    doc = "Create a section: params course_section = {name =, start_at =, end_at =, " ..
      "restrict_enrollments_to_section_dates =, sis_section_id = (needs manage SIS; Canvas " ..
      "ignores it otherwise)}." },
})

local Section = core.define_rows("Section", {
  { name = "edit", method = "PUT", path = "sections/{id}", returns = "self",
    params = { "course_section", "override_sis_stickiness" }, source = "SectionsController#update",
    doc = "Change the section: params course_section = {name =, start_at =, end_at =, ...} " ..
      "(sis_section_id without manage SIS is a 401 here); updated in place and returned." },
  { name = "delete", method = "DELETE", path = "sections/{id}", returns = "self",
    params = {}, source = "SectionsController#destroy",
    doc = "Delete the section (Canvas refuses one with enrollments: 400); returns it." },
  { name = "cross_list_section", method = "POST", path = "sections/{id}/crosslist/{1}", returns = "self",
    args = { { "course", ids = ids.courses, what = "course (a Course, an id or \"sis_course_id:X\")" } },
    params = { "override_sis_stickiness" }, source = "SectionsController#crosslist",
    doc = "Move the section into another course (a Course, an id or \"sis_course_id:X\"); the " ..
      "section is updated in place (course_id the new course, nonxlist_course_id the old)." },
  { name = "decross_list_section", method = "DELETE", path = "sections/{id}/crosslist", returns = "self",
    params = { "override_sis_stickiness" }, source = "SectionsController#uncrosslist",
    doc = "Move a cross-listed section back to its course (400 when it is not cross-listed); " ..
      "updated in place." },
})

-- What the endpoint spec runs against the sandbox's demo data: course 1's
-- Section A (SIS id "BIO/101.1-A"), and the section of course 4 cross-listed
-- into course 2.
local function crosslisted(w)
  for s in w.canvas:get_course(2):get_sections() do
    if s.nonxlist_course_id then return s end
  end
end

core.define_type("Section", {
  examples = {
    receiver = function(w) return w.canvas:get_section("BIO/101.1-A", "sis_section_id") end,
    args = {
      edit = { { course_section = { name = "Section A" } } },
      delete = function(w)
        return w.canvas:get_course(1):create_course_section({ course_section = { name = "Spec" } }), {}
      end,
      cross_list_section = { 3 },
      decross_list_section = function(w) return crosslisted(w), {} end,
      enroll_user = { 6, "StudentEnrollment" },
    },
  },
})
core.define_type("Client", { examples = { args = { get_section = { "BIO/101.1-A", "sis_section_id" } } } })
core.define_type("Course", { examples = { args = {
  get_section = { "sis_section_id:BIO/101.1-B" },
  create_course_section = { { course_section = { name = "Spec section" } } },
} } })

return Section
