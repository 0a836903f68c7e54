--- Authentications Log and Grade Change Log APIs (canvas-lms
-- app/controllers/authentication_audit_api_controller.rb and
-- grade_change_audit_api_controller.rb), for admins: a user's logins and
-- logouts, and grade changes by grader or student, newest first.
-- Both answer the compound document of lib/api/v1/authentication_event.rb
-- and grade_change_event.rb: { events = [...], linked = {...}, links = {...} },
-- each event naming its related records by id under its own `links`.
-- Authentication events (lib/api/v1/authentication_event.rb, read): linked
-- logins are pseudonym_json and users user_json on the root account
-- (serializers.lua), as in the grade change log (grade_change_event.rb,
-- read; its links name student and grader ids as strings, which the sandbox
-- leaves as numbers); links name only events.account. for_user answers the
-- user themself, or whoever holds view_statistics or manage_user_logins on
-- the accounts of the user's logins (policy.lua).
local json = require "lcanvas.sandbox.json"
local policy = require "lcanvas.sandbox.policy"
local S = require "lcanvas.sandbox.serializers"
local UserData = require "lcanvas.sandbox.user_data"

local function in_window(created, p)
  if p.start_time and created < tostring(p.start_time) then return false end
  if p.end_time and created > tostring(p.end_time) then return false end
  return true
end

-- The ids under `field` of every event's links, once each, in order.
local function ids_of(events, field)
  local seen, out = {}, {}
  for _, ev in ipairs(events or {}) do
    local id = ev.links[field]
    if id ~= nil and id ~= json.null and not seen[id] then
      seen[id] = true
      out[#out + 1] = id
    end
  end
  return out
end

return function(app)
  local store = app.store
  local data = UserData.of(app)

  -- users_json(users, ..., @domain_root_account), as both compound documents build it.
  local function linked_users(ctx, events, fields)
    local out, seen = json.array({}), {}
    for _, field in ipairs(fields) do
      for _, id in ipairs(ids_of(events, field)) do
        local u = store.users[id]
        if u and not seen[id] then
          seen[id] = true
          out[#out + 1] = S.user(app, ctx, u, {}, { account = store.accounts[1] })
        end
      end
    end
    return out
  end

  local function linked_accounts(events)
    local out = json.array({})
    for _, id in ipairs(ids_of(events, "account")) do
      local a = store.accounts[id]
      if a then out[#out + 1] = { id = a.id, name = a.name } end
    end
    return out
  end

  local function auth_linked(self, ctx, events)
    local logins = json.array({})
    local d = data.of_user(ctx.user)
    for _, id in ipairs(ids_of(events, "login")) do
      for _, l in ipairs(d.logins) do
        if l.id == id then logins[#logins + 1] = S.login(self, ctx, l) end
      end
    end
    return {
      links = { ["events.login"] = json.null, ["events.account"] = "/api/v1/accounts/{events.account}",
        ["events.user"] = json.null, ["events.page_view"] = json.null },
      linked = { logins = logins, accounts = linked_accounts(events), users = linked_users(ctx, events, { "user" }),
        page_views = json.array({}) },
    }
  end

  -- account_visible: view_statistics or manage_user_logins on the account.
  local function account_visible(ctx, account)
    return policy.can(app, ctx, "view_statistics", { account = account })
      or policy.can(app, ctx, "manage_user_logins", { account = account })
  end

  app:route("GET", "/audit/authentication/users/:user", function(self, ctx)
    local d = data.of_user(ctx.user)
    if ctx.user.id ~= ctx.user_id then
      local visible = false
      for _, l in ipairs(d.logins) do
        if account_visible(ctx, store.accounts[l.account_id]) then visible = true end
      end
      if not visible then self:unauthorized() end
    end
    local out = {}
    for i = 15, 1, -1 do  -- newest first, as Canvas orders them
      local created = string.format("2024-09-%02dT%02d:00:00Z", i, i % 2 == 1 and 8 or 17)
      if in_window(created, ctx.params) then
        out[#out + 1] = { id = string.format("auth-%d-%02d", ctx.user.id, i), created_at = created,
          event_type = i % 2 == 1 and "login" or "logout",
          links = { login = d.logins[1].id, account = ctx.user.account_id or 1, user = ctx.user.id,
            page_view = json.null } }
      end
    end
    return out
  end, { list = true, root = "events", linked = auth_linked })

  local function grade_linked(_, ctx, events)
    local assignments, courses = json.array({}), json.array({})
    for _, id in ipairs(ids_of(events, "assignment")) do
      assignments[#assignments + 1] = { id = id, course_id = id // 1000, name = "Assignment " .. id % 1000 }
    end
    for _, id in ipairs(ids_of(events, "course")) do
      local c = store.courses[id]
      if c then courses[#courses + 1] = { id = c.id, name = c.name, course_code = c.course_code } end
    end
    return {
      links = { ["events.assignment"] = "/api/v1/courses/{events.course}/assignments/{events.assignment}",
        ["events.course"] = "/api/v1/courses/{events.course}",
        -- links_json: users have no single-object endpoint, so no href
        ["events.student"] = { href = json.null, type = "user" },
        ["events.grader"] = { href = json.null, type = "user" }, ["events.page_view"] = json.null },
      linked = { assignments = assignments, courses = courses,
        users = linked_users(ctx, events, { "student", "grader" }), page_views = json.array({}) },
    }
  end

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
            request_id = string.format("req-gc-%d-%d", e.id, k),
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
    end, { list = true, root = "events", linked = grade_linked })
  end
end
