--- Facts about courses the routes and the JSON shapes share: a course's
-- API state, whether it has concluded, its teachers and students, the
-- sandbox's today. The shapes themselves (course_json, enrollment_json,
-- section_json, term_json, account_json, admin_json, role_json) are in
-- serializers.lua.
local M = {}

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

return M
