--- Enrollments API, a user's enrollments (canvas-lms
-- app/controllers/enrollments_api_controller.rb: index for a user),
-- filtered by state[] and type[].
local util = require "lcanvas.sandbox.util"

return function(app)
  local store = app.store

  app:route("GET", "/users/:user/enrollments", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local states, types = {}, {}
    for _, s in ipairs(util.array_of(ctx.params.state)) do states[s] = true end
    for _, t in ipairs(util.array_of(ctx.params.type)) do types[t] = true end
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      if (next(states) == nil or states[e.enrollment_state]) and (next(types) == nil or types[e.type]) then
        local x = util.copy(e)
        x.root_account_id = 1
        x.course_section_id = e.course_id
        x.html_url = string.format("https://sandbox.test/courses/%d/users/%d", e.course_id, e.user_id)
        out[#out + 1] = x
      end
    end
    return out
  end, { list = true })
end
