--- Users API, a user's graded submissions (canvas-lms
-- app/controllers/users_controller.rb: user_graded_submissions), newest
-- grade first. Generated from the user's courses (coursework.lua).
local coursework = require "lcanvas.sandbox.coursework"

return function(app)
  local store = app.store

  app:route("GET", "/users/:user/graded_submissions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local include = {}
    for _, v in ipairs(type(ctx.params.include) == "table" and ctx.params.include or {}) do include[v] = true end
    local out = {}
    for _, ce in ipairs(coursework.courses_of(store, ctx.user)) do
      local c, e = ce.course, ce.enrollment
      if coursework.BASE_TYPES[e.type] then
        local a = coursework.assignments(c)[1]
        local score = 6 + e.id % 5
        local sub = { id = 50000 + e.id, assignment_id = a.id, user_id = ctx.user.id, course_id = c.id,
          score = score + 0.5, grade = tostring(score + 0.5), entered_score = score + 0.5, attempt = 1,
          workflow_state = "graded", grade_matches_current_submission = true, grader_id = 2,
          submitted_at = string.format("2024-09-%02dT10:00:00Z", 10 + c.id),
          graded_at = string.format("2024-09-%02dT15:30:00Z", 12 + c.id),
          late = false, missing = false, excused = false, submission_type = "online_text_entry" }
        if include.assignment then sub.assignment = coursework.assignment_json(c, a) end
        out[#out + 1] = sub
      end
    end
    table.sort(out, function(a, b) return a.graded_at > b.graded_at end)
    return out
  end, { list = true })
end
