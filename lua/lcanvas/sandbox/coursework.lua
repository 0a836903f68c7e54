--- Generated coursework the sandbox's course-related answers share, made
-- from the seed's courses and enrollments so it follows whatever the store
-- holds (a merge moves it with the enrollments). Two fixtures exist, each
-- pinned by its specs: the dashboard's two assignments per course (activity
-- stream, to-do list, upcoming events, graded submissions) and a
-- twelve-assignment course calendar (calendar events, a user's assignments,
-- missing submissions).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"

local M = {}

M.BASE_TYPES = { StudentEnrollment = true }
M.GRADER_TYPES = { TeacherEnrollment = true, TaEnrollment = true }

-- The dashboard fixture ------------------------------------------------------

--- Two assignments per course, the same for everyone in it.
function M.assignments(course)
  local due = os.time({ year = 2030, month = 1, day = 10, hour = 23, min = 59 })
  return {
    { id = course.id * 100 + 1, name = "Homework 1", points_possible = 10, due = due + course.id * 86400 },
    { id = course.id * 100 + 2, name = "Essay", points_possible = 25, due = due + (course.id + 7) * 86400 },
  }
end

function M.assignment_json(course, a)
  return { id = a.id, name = a.name, description = json.null, points_possible = a.points_possible,
    due_at = util.iso(a.due), course_id = course.id, grading_type = "points", published = true,
    submission_types = json.array({ "online_text_entry" }), position = a.id % 100,
    html_url = string.format("https://sandbox.test/courses/%d/assignments/%d", course.id, a.id) }
end

--- The user's enrollments with their courses, one per course (first wins).
function M.courses_of(store, user)
  local out, seen = {}, {}
  for _, e in ipairs(store:enrollments_of(user.id)) do
    local c = store.courses[e.course_id]
    if c and not seen[c.id] then
      seen[c.id] = true
      out[#out + 1] = { course = c, enrollment = e }
    end
  end
  return out
end

function M.students_in(store, course_id)
  local n = 0
  for _, e in ipairs(store.enrollments) do
    if e.course_id == course_id and e.type == "StudentEnrollment" then n = n + 1 end
  end
  return n
end

-- The course calendar fixture -------------------------------------------------

--- Twelve assignments of a course, odd ones due in the past.
function M.course_assignments(store, course_id)
  local st = store:area("course_assignments", function() return {} end)
  local list = st[course_id]
  if list then return list end
  list = {}
  for n = 1, 12 do
    list[n] = { id = course_id * 1000 + n, course_id = course_id,
      name = string.format("Assignment %d.%02d", course_id, n),
      due_at = n % 2 == 1 and string.format("2024-09-%02dT23:59:00Z", n) or string.format("2031-05-%02dT23:59:00Z", n),
      -- assignment_json always sends the description (HTML, or null).
      description = string.format("<p>Hand in assignment %d of this course.</p>", n),
      points_possible = 10, submission_types = json.array({ "online_upload" }), published = true,
      position = n, html_url = string.format("https://sandbox.test/courses/%d/assignments/%d", course_id,
        course_id * 1000 + n) }
  end
  st[course_id] = list
  return list
end

--- Whether the user handed in assignment `a` (a fixed third of them).
function M.submitted(user_id, a) return (user_id + a.id) % 3 == 0 end

return M
