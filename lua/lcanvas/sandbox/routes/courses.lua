--- Sandbox routes for course rosters: GET courses/:course/users with
-- Canvas's enrollment_type[] filter (what scripts/pairing-codes.lua reads).
local TYPES = { student = "StudentEnrollment", teacher = "TeacherEnrollment", ta = "TaEnrollment",
  observer = "ObserverEnrollment", designer = "DesignerEnrollment" }

return function(app)
  local store = app.store

  app:route("GET", "/courses/:course/users", function(self, ctx)
    -- Teachers of the course and admins may read its roster.
    local allowed = store:is_admin(ctx.user_id)
    local wanted, any = {}, false
    local et = ctx.params.enrollment_type
    if type(et) == "string" then et = { et } end
    for _, t in ipairs(type(et) == "table" and et or {}) do
      local name = TYPES[tostring(t):lower()]
      if not name then app.bad_request("invalid enrollment_type " .. tostring(t), "enrollment_type") end
      wanted[name], any = true, true
    end
    local out, seen = {}, {}
    for _, e in ipairs(store.enrollments) do
      if e.course_id == ctx.course.id then
        if e.user_id == ctx.user_id and e.type == "TeacherEnrollment" then allowed = true end
        if (not any or wanted[e.type]) and not seen[e.user_id] and e.enrollment_state == "active" then
          local u = store:find_user(tostring(e.user_id), ctx.user_id)
          if u then
            seen[e.user_id] = true
            out[#out + 1] = app.present_user(u)
          end
        end
      end
    end
    if not allowed then self:require_manage(ctx, { id = -1 }) end
    table.sort(out, function(a, b) return a.id < b.id end)
    return out
  end, { list = true })
end
