--- Users API, the calling user's course nicknames (canvas-lms
-- app/controllers/course_nicknames_controller.rb): list, show, set,
-- remove, clear. State: store:area("course_nicknames"); GET
-- users/:user/courses (courses.lua) shows a nickname as the course name.
local json = require "lcanvas.sandbox.json"

return function(app)
  local store = app.store

  local function nicknames()   -- user id -> { [course id] = nickname }
    return store:area("course_nicknames", function() return {} end)
  end

  --- The caller's nickname for a course, or nil.
  function app.course_nickname(user_id, course_id)
    local n = nicknames()[user_id]
    return n and n[course_id]
  end


  local function nickname_json(user, course)
    local n = nicknames()[user.id]
    return { course_id = course.id, name = course.name, nickname = (n and n[course.id]) or json.null }
  end

  -- show and update: authorized_action(course, :read) (policy.lua).
  local function readable_course(self, ctx)
    local user = self:me(ctx)
    self:require(ctx, "read", { course = ctx.course })
    return user
  end

  app:route("GET", "/users/self/course_nicknames", function(self, ctx)
    local user = self:me(ctx)
    local out = {}
    for course_id in pairs(nicknames()[user.id] or {}) do
      local c = store.courses[course_id]
      if c then out[#out + 1] = nickname_json(user, c) end
    end
    table.sort(out, function(a, b) return a.course_id < b.course_id end)
    return out
  end, { list = true })

  app:route("GET", "/users/self/course_nicknames/:course", function(self, ctx)
    return nickname_json(readable_course(self, ctx), ctx.course)
  end)

  app:route("PUT", "/users/self/course_nicknames/:course", function(self, ctx)
    local user = readable_course(self, ctx)
    local nick = ctx.params.nickname
    if type(nick) ~= "string" or nick == "" then app.bad_request("missing nickname", "nickname", "blank") end
    if (utf8.len(nick) or #nick) >= 60 then app.bad_request("nickname too long", "nickname", "too_long") end
    local all = nicknames()
    all[user.id] = all[user.id] or {}
    all[user.id][ctx.course.id] = nick
    return nickname_json(user, ctx.course)
  end)

  app:route("DELETE", "/users/self/course_nicknames/:course", function(self, ctx)
    local user = self:me(ctx)
    local n = nicknames()[user.id]
    if not (n and n[ctx.course.id]) then app.not_found() end
    n[ctx.course.id] = nil
    return nickname_json(user, ctx.course)
  end)

  app:route("DELETE", "/users/self/course_nicknames", function(self, ctx)
    nicknames()[self:me(ctx).id] = nil
    return { message = "OK" }
  end)
end
