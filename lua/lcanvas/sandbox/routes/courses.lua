--- Courses API, a user's courses and a course's users (canvas-lms
-- app/controllers/courses_controller.rb: user_index, users). The roster
-- takes Canvas's enrollment_type[] filter (what scripts/pairing-codes.lua reads).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"

return function(app)
  local store = app.store

  app:route("GET", "/users/:user/courses", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      local c = store.courses[e.course_id]
      if c then
        local copy = store.deep_copy(c)
        -- The caller's own nickname replaces the name (course_nicknames.lua keeps them).
        local nick = app.course_nickname and app.course_nickname(ctx.user_id, c.id)
        if nick then copy.original_name, copy.name = c.name, nick end
        copy.enrollments = json.array({ { type = e.type:gsub("Enrollment$", ""):lower(),
          role = e.role, enrollment_state = e.enrollment_state, user_id = e.user_id } })
        out[#out + 1] = copy
      end
    end
    return out
  end, { list = true })

  app:route("GET", "/courses/:course/users", function(self, ctx)
    -- Teachers of the course and admins may read its roster.
    local allowed = store:is_admin(ctx.user_id)
    local wanted, any = {}, false
    local et = ctx.params.enrollment_type
    if type(et) == "string" then et = { et } end
    for _, t in ipairs(type(et) == "table" and et or {}) do
      local name = util.ENROLLMENT_TYPES[tostring(t):lower()]
      if not name then app.bad_request("invalid enrollment_type " .. tostring(t), "enrollment_type") end
      wanted[name], any = true, true
    end
    -- courses_controller.rb users: optional user fields only as include[] asks.
    local includes = {}
    for _, v in ipairs(util.array_of(ctx.params.include)) do
      if v == "email" or v == "avatar_url" or v == "bio" or v == "uuid" then includes[v] = true end
    end
    local out, seen = {}, {}
    for _, e in ipairs(store.enrollments) do
      if e.course_id == ctx.course.id then
        if e.user_id == ctx.user_id and e.type == "TeacherEnrollment" then allowed = true end
        if (not any or wanted[e.type]) and not seen[e.user_id] and e.enrollment_state == "active" then
          local u = store:find_user(tostring(e.user_id), ctx.user_id)
          if u then
            seen[e.user_id] = true
            out[#out + 1] = app.present_user(u, includes)
          end
        end
      end
    end
    if not allowed then self:unauthorized() end
    table.sort(out, function(a, b) return a.id < b.id end)
    return out
  end, { list = true })
end
