--- Authentications Log and Grade Change Log APIs (canvas-lms
-- app/controllers/authentication_audit_api_controller.rb and
-- grade_change_audit_api_controller.rb), for admins: a user's logins and
-- logouts, and grade changes by grader or student, newest first.
local json = require "lcanvas.sandbox.json"
local UserData = require "lcanvas.sandbox.user_data"

local function in_window(created, p)
  if p.start_time and created < tostring(p.start_time) then return false end
  if p.end_time and created > tostring(p.end_time) then return false end
  return true
end

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("GET", "/audit/authentication/users/:user", function(self, ctx)
    self:require_admin(ctx)
    local d = data.of_user(ctx.user)
    local out = {}
    for i = 15, 1, -1 do  -- newest first, as Canvas orders them
      local created = string.format("2024-09-%02dT%02d:00:00Z", i, i % 2 == 1 and 8 or 17)
      if in_window(created, ctx.params) then
        out[#out + 1] = { id = string.format("auth-%d-%02d", ctx.user.id, i), created_at = created,
          event_type = i % 2 == 1 and "login" or "logout", pseudonym_id = d.logins[1].id,
          account_id = ctx.user.account_id or 1, user_id = ctx.user.id }
      end
    end
    return out
  end, { list = true, root = "events" })

  -- Three grade changes per student enrollment; `match` picks the ones asked for.
  local function grade_events(match)
    local out = {}
    for _, e in ipairs(store.enrollments) do
      if e.type == "StudentEnrollment" then
        for k = 1, 3 do
          local ev = { id = string.format("gc-%d-%d", e.id, k), event_type = "grade_change",
            created_at = string.format("2024-09-%02dT12:%02d:00Z", 10 + k, e.id % 60),
            grade_before = k == 1 and json.null or tostring(5 + k), grade_after = tostring(6 + k),
            excused_before = false, excused_after = false, graded_anonymously = false, version_number = k,
            links = { assignment = e.course_id * 1000 + k, course = e.course_id, student = e.user_id, grader = 2,
              page_view = json.null } }
          if match(ev) then out[#out + 1] = ev end
        end
      end
    end
    table.sort(out, function(a, b)
      if a.created_at == b.created_at then return a.id < b.id end
      return a.created_at > b.created_at
    end)
    return out
  end

  for _, role in ipairs({ "grader", "student" }) do
    app:route("GET", "/audit/grade_change/" .. role .. "s/:user", function(self, ctx)
      self:require_admin(ctx)
      return grade_events(function(ev)
        return ev.links[role] == ctx.user.id and in_window(ev.created_at, ctx.params)
      end)
    end, { list = true, root = "events" })
  end
end
