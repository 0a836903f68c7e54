--- Users API, the calling user's dashboard lists (canvas-lms
-- app/controllers/users_controller.rb: todo_items, todo_item_count,
-- upcoming_events). Generated from the user's courses (coursework.lua).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local coursework = require "lcanvas.sandbox.coursework"

return function(app)
  local store = app.store

  local function todo_items(ctx, user)
    local include = ctx.params.include
    local quizzes = false
    for _, v in ipairs(type(include) == "table" and include or {}) do
      if v == "ungraded_quizzes" then quizzes = true end
    end
    local api = string.format("http://%s/api/v1/users/self/todo/", ctx.req.headers.host or "127.0.0.1")
    local items = {}
    local function add(item, c, asset, purpose)
      item.ignore = api .. asset .. "/" .. purpose .. "?permanent=0"
      item.ignore_permanently = api .. asset .. "/" .. purpose .. "?permanent=1"
      item.context_type, item.course_id, item.group_id = "course", c.id, json.null
      items[#items + 1] = item
    end
    for _, ce in ipairs(coursework.courses_of(store, user)) do
      local c, e = ce.course, ce.enrollment
      if coursework.BASE_TYPES[e.type] then
        for _, a in ipairs(coursework.assignments(c)) do
          local aj = coursework.assignment_json(c, a)
          add({ type = "submitting", assignment = aj, html_url = aj.html_url }, c, "assignment_" .. a.id,
            "submitting")
        end
        if quizzes then
          local qid = c.id * 100 + 50
          add({ type = "submitting", quiz = { id = qid, title = "Practice quiz", quiz_type = "practice_quiz",
            course_id = c.id }, html_url = string.format("https://sandbox.test/courses/%d/quizzes/%d", c.id, qid) },
            c, "quiz_" .. qid, "submitting")
        end
      elseif coursework.GRADER_TYPES[e.type] then
        local aj = coursework.assignment_json(c, coursework.assignments(c)[1])
        add({ type = "grading", assignment = aj, needs_grading_count = coursework.students_in(store, c.id),
          html_url = aj.html_url .. "/submissions" }, c, "assignment_" .. aj.id, "grading")
      end
    end
    return items
  end

  app:route("GET", "/users/self/todo", function(_, ctx)
    return todo_items(ctx, app:me(ctx))
  end, { list = true })

  app:route("GET", "/users/self/todo_item_count", function(_, ctx)
    local grading, submitting = 0, 0
    for _, it in ipairs(todo_items(ctx, app:me(ctx))) do
      if it.type == "grading" then grading = grading + it.needs_grading_count
      else submitting = submitting + 1 end
    end
    return { needs_grading_count = grading, assignments_needing_submitting = submitting }
  end)

  app:route("GET", "/users/self/upcoming_events", function(_, ctx)
    local user = app:me(ctx)
    local now = os.time()
    local events = {}
    for _, ce in ipairs(coursework.courses_of(store, user)) do
      local c, e = ce.course, ce.enrollment
      local start = now + c.id * 86400
      local id = 700 + c.id
      events[#events + 1] = { id = id, title = c.name .. " review session",
        description = "Attendance is correlated with passing!", start_at = util.iso(start),
        end_at = util.iso(start + 3600), location_name = "Room " .. (100 + c.id), location_address = json.null,
        all_day = false, all_day_date = json.null, created_at = "2024-09-01T12:00:00Z",
        updated_at = "2024-09-01T12:00:00Z", workflow_state = "active", context_code = "course_" .. c.id,
        child_events_count = 0, child_events = json.array({}), parent_event_id = json.null, hidden = false,
        url = "https://sandbox.test/api/v1/calendar_events/" .. id,
        html_url = "https://sandbox.test/calendar?event_id=" .. id .. "&include_contexts=course_" .. c.id }
      if coursework.BASE_TYPES[e.type] then
        for _, a in ipairs(coursework.assignments(c)) do
          local aj = coursework.assignment_json(c, a)
          events[#events + 1] = { id = "assignment_" .. a.id, title = a.name, description = json.null,
            start_at = aj.due_at, end_at = aj.due_at, all_day = false, all_day_date = aj.due_at:sub(1, 10),
            created_at = "2024-09-01T12:00:00Z", updated_at = "2024-09-01T12:00:00Z",
            workflow_state = "published", context_code = "course_" .. c.id, assignment = aj,
            url = "https://sandbox.test/api/v1/calendar_events/assignment_" .. a.id, html_url = aj.html_url }
        end
      end
    end
    table.sort(events, function(a, b)
      if a.start_at ~= b.start_at then return a.start_at < b.start_at end
      return tostring(a.id) < tostring(b.id)
    end)
    return events
  end, { list = true })
end
