--- Calendar Events API, a user's events (canvas-lms
-- app/controllers/calendar_events_api_controller.rb: user_index): personal
-- and course events, or assignments by due date, filtered by context and
-- date. Generated from the enrollments (coursework.lua).
local util = require "lcanvas.sandbox.util"
local coursework = require "lcanvas.sandbox.coursework"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  local function events_of(u, add)
    for i = 1, 6 do
      add({ id = u.id * 100 + i, title = "Personal reminder " .. i, context_code = "user_" .. u.id,
        start_at = string.format("2024-10-%02dT15:00:00Z", i * 3),
        end_at = string.format("2024-10-%02dT16:00:00Z", i * 3),
        workflow_state = "active", type = "event", all_day = false })
    end
    for _, e in ipairs(store:enrollments_of(u.id)) do
      for i = 1, 4 do
        add({ id = 5000000 + e.course_id * 100 + i, title = string.format("Course %d session %d", e.course_id, i),
          context_code = "course_" .. e.course_id,
          start_at = string.format("2024-10-%02dT09:00:00Z", i * 5 + e.course_id),
          end_at = string.format("2024-10-%02dT10:00:00Z", i * 5 + e.course_id), workflow_state = "active",
          type = "event", all_day = false })
      end
    end
  end

  local function assignments_of(u, add)
    for _, e in ipairs(store:enrollments_of(u.id)) do
      for _, a in ipairs(coursework.course_assignments(store, e.course_id)) do
        add({ id = "assignment_" .. a.id, title = a.name, context_code = "course_" .. e.course_id,
          start_at = a.due_at, end_at = a.due_at, type = "assignment", workflow_state = "published",
          assignment = util.copy(a) })
      end
    end
  end

  app:route("GET", "/users/:user/calendar_events", function(self, ctx)
    data.manage(self, ctx)
    local u, p = ctx.user, ctx.params
    local want_type = p.type or "event"
    local codes = {}
    for _, c in ipairs(util.array_of(p.context_codes)) do codes[c] = true end
    local out = {}
    local function add(e)
      local day = e.start_at:sub(1, 10)
      if next(codes) and not codes[e.context_code] then return end
      if not util.is_true(p.all_events) then
        if p.start_date and day < tostring(p.start_date):sub(1, 10) then return end
        if p.end_date and day > tostring(p.end_date):sub(1, 10) then return end
      end
      out[#out + 1] = e
    end
    if want_type == "event" then events_of(u, add)
    elseif want_type == "assignment" then assignments_of(u, add)
    else app.bad_request("type must be event or assignment", "type", "invalid") end
    table.sort(out, function(a, b)
      if a.start_at == b.start_at then return tostring(a.id) < tostring(b.id) end
      return a.start_at < b.start_at
    end)
    return out
  end, { list = true })
end
