--- Sandbox routes for the rest of the Users API: the calling user's activity
-- stream, to-do list, upcoming events, course nicknames and Pandata token;
-- user settings, dashboard positions and graded submissions; merging users
-- and splitting them again. Stream items, to-dos, events and submissions
-- are generated from the seed's courses and enrollments, so they follow
-- whatever the store holds (a merge moves them with the enrollments).
local json = require "lcanvas.sandbox.json"

local SETTINGS = { "manual_mark_as_read", "release_notes_badge_disabled", "collapse_global_nav",
  "collapse_course_nav", "hide_dashcard_color_overlays", "comment_library_suggestions_enabled",
  "elementary_dashboard_disabled" }

local BASE_TYPES = { StudentEnrollment = true }
local GRADER_TYPES = { TeacherEnrollment = true, TaEnrollment = true }

local function iso(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", t) end

-- Canvas's value_to_boolean, for form strings and JSON booleans.
local function truthy(v)
  return v == true or v == "true" or v == "1" or v == "on" or v == "yes" or v == 1
end

-- Two assignments per course, the same for everyone in it.
local function assignments(course)
  local due = os.time({ year = 2030, month = 1, day = 10, hour = 23, min = 59 })
  return {
    { id = course.id * 100 + 1, name = "Homework 1", points_possible = 10, due = due + course.id * 86400 },
    { id = course.id * 100 + 2, name = "Essay", points_possible = 25, due = due + (course.id + 7) * 86400 },
  }
end

local function assignment_json(course, a)
  return { id = a.id, name = a.name, description = json.null, points_possible = a.points_possible,
    due_at = iso(a.due), course_id = course.id, grading_type = "points", published = true,
    submission_types = json.array({ "online_text_entry" }), position = a.id % 100,
    html_url = string.format("https://sandbox.test/courses/%d/assignments/%d", course.id, a.id) }
end

return function(app)
  local store = app.store

  local function state()
    return store:area("users_api", function()
      return {
        settings = {},   -- user id -> { setting = boolean }
        positions = {},  -- user id -> { course_42 = 1 }
        nicknames = {},  -- user id -> { [course id] = nickname }
        hidden = {},     -- user id -> { [stream item id] = true }
        merges = {},     -- destination user id -> { merge record, ... } (for split)
      }
    end)
  end

  --- The caller's nickname for a course, or nil (users.lua shows it as the name).
  function app.course_nickname(user_id, course_id)
    local n = state().nicknames[user_id]
    return n and n[course_id]
  end

  local function me(ctx)
    return store.users[ctx.user_id] or app.not_found()
  end

  local function require_admin(self, ctx)
    if not store:is_admin(ctx.user_id) then self:require_manage(ctx, { id = -1 }) end
  end

  -- The user's enrollments with their courses, one per course (first wins).
  local function courses_of(user)
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

  local function students_in(course_id)
    local n = 0
    for _, e in ipairs(store.enrollments) do
      if e.course_id == course_id and e.type == "StudentEnrollment" then n = n + 1 end
    end
    return n
  end

  -- Activity stream ------------------------------------------------------------
  local function stream_items(user, only_active)
    local items = {}
    local function add(item, course, day, hour)
      item.created_at = string.format("2024-09-%02dT%02d:00:00Z", day, hour)
      item.updated_at = item.created_at
      item.context_type = course and "Course" or json.null
      item.course_id = course and course.id or json.null
      item.group_id = json.null
      item.message = item.message or ("Sandbox stream item " .. item.id)
      items[#items + 1] = item
    end
    for _, ce in ipairs(courses_of(user)) do
      local c, e = ce.course, ce.enrollment
      if not only_active or e.enrollment_state == "active" then
        local url = "https://sandbox.test/courses/" .. c.id
        add({ id = 10000 + c.id * 10 + 1, type = "Announcement", title = "Welcome to " .. c.name,
          announcement_id = c.id * 10 + 1, read_state = false, total_root_discussion_entries = 0,
          require_initial_post = false, user_has_posted = json.null, root_discussion_entries = json.array({}),
          html_url = url .. "/discussion_topics/" .. (c.id * 10 + 1) }, c, c.id, 9)
        add({ id = 10000 + c.id * 10 + 2, type = "DiscussionTopic", title = "Introductions",
          discussion_topic_id = c.id * 10 + 2, read_state = true, total_root_discussion_entries = 3,
          require_initial_post = true, user_has_posted = false, root_discussion_entries = json.array({}),
          html_url = url .. "/discussion_topics/" .. (c.id * 10 + 2) }, c, c.id, 10)
        if BASE_TYPES[e.type] then
          local a = assignments(c)[1]
          add({ id = 20000 + e.id, type = "Submission", title = a.name, assignment_id = a.id,
            read_state = false, grade = "9", score = 9.0, user_id = user.id,
            assignment = assignment_json(c, a), html_url = url .. "/assignments/" .. a.id }, c, c.id, 11)
        end
      end
    end
    add({ id = 30000 + user.id, type = "Conversation", title = "Welcome to the sandbox",
      conversation_id = 500 + (user.id % 1000), private = true, participant_count = 2, read_state = false,
      html_url = "https://sandbox.test/conversations/" .. (500 + user.id % 1000) }, nil, 1, 8)
    local hidden = state().hidden[user.id] or {}
    local visible = {}
    for _, it in ipairs(items) do if not hidden[it.id] then visible[#visible + 1] = it end end
    table.sort(visible, function(a, b)
      if a.created_at ~= b.created_at then return a.created_at > b.created_at end
      return a.id < b.id
    end)
    return visible
  end

  local function activity_stream(self, ctx)
    return stream_items(me(ctx), truthy(ctx.params.only_active_courses))
  end
  app:route("GET", "/users/self/activity_stream", activity_stream, { list = true })
  app.activity_stream = activity_stream   -- also GET users/activity_stream, routed in users.lua

  app:route("GET", "/users/self/activity_stream/summary", function(self, ctx)
    local by_type, order = {}, {}
    for _, it in ipairs(stream_items(me(ctx))) do
      local s = by_type[it.type]
      if not s then
        s = { type = it.type, count = 0, unread_count = 0, notification_category = json.null }
        by_type[it.type] = s
        order[#order + 1] = s
      end
      s.count = s.count + 1
      if not it.read_state then s.unread_count = s.unread_count + 1 end
    end
    table.sort(order, function(a, b) return a.type < b.type end)
    return json.array(order)
  end)

  app:route("DELETE", "/users/self/activity_stream/:item", function(self, ctx)
    local user = me(ctx)
    local id = math.tointeger(tonumber(ctx.args.item))
    local found = false
    for _, it in ipairs(stream_items(user)) do if it.id == id then found = true end end
    if not found then app.not_found() end
    local hidden = state().hidden
    hidden[user.id] = hidden[user.id] or {}
    hidden[user.id][id] = true
    return { hidden = true }
  end)

  app:route("DELETE", "/users/self/activity_stream", function(self, ctx)
    local user = me(ctx)
    local hidden = state().hidden
    hidden[user.id] = hidden[user.id] or {}
    for _, it in ipairs(stream_items(user)) do hidden[user.id][it.id] = true end
    return { hidden = true }
  end)

  -- To-do items, upcoming events, graded submissions --------------------------------
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
    for _, ce in ipairs(courses_of(user)) do
      local c, e = ce.course, ce.enrollment
      if BASE_TYPES[e.type] then
        for _, a in ipairs(assignments(c)) do
          local aj = assignment_json(c, a)
          add({ type = "submitting", assignment = aj, html_url = aj.html_url }, c, "assignment_" .. a.id,
            "submitting")
        end
        if quizzes then
          local qid = c.id * 100 + 50
          add({ type = "submitting", quiz = { id = qid, title = "Practice quiz", quiz_type = "practice_quiz",
            course_id = c.id }, html_url = string.format("https://sandbox.test/courses/%d/quizzes/%d", c.id, qid) },
            c, "quiz_" .. qid, "submitting")
        end
      elseif GRADER_TYPES[e.type] then
        local aj = assignment_json(c, assignments(c)[1])
        add({ type = "grading", assignment = aj, needs_grading_count = students_in(c.id),
          html_url = aj.html_url .. "/submissions" }, c, "assignment_" .. aj.id, "grading")
      end
    end
    return items
  end

  app:route("GET", "/users/self/todo", function(self, ctx)
    return todo_items(ctx, me(ctx))
  end, { list = true })

  app:route("GET", "/users/self/todo_item_count", function(self, ctx)
    local grading, submitting = 0, 0
    for _, it in ipairs(todo_items(ctx, me(ctx))) do
      if it.type == "grading" then grading = grading + it.needs_grading_count
      else submitting = submitting + 1 end
    end
    return { needs_grading_count = grading, assignments_needing_submitting = submitting }
  end)

  app:route("GET", "/users/self/upcoming_events", function(self, ctx)
    local user = me(ctx)
    local now = os.time()
    local events = {}
    for _, ce in ipairs(courses_of(user)) do
      local c, e = ce.course, ce.enrollment
      local start = now + c.id * 86400
      local id = 700 + c.id
      events[#events + 1] = { id = id, title = c.name .. " review session",
        description = "Attendance is correlated with passing!", start_at = iso(start), end_at = iso(start + 3600),
        location_name = "Room " .. (100 + c.id), location_address = json.null, all_day = false,
        all_day_date = json.null, created_at = "2024-09-01T12:00:00Z", updated_at = "2024-09-01T12:00:00Z",
        workflow_state = "active", context_code = "course_" .. c.id, child_events_count = 0,
        child_events = json.array({}), parent_event_id = json.null, hidden = false,
        url = "https://sandbox.test/api/v1/calendar_events/" .. id,
        html_url = "https://sandbox.test/calendar?event_id=" .. id .. "&include_contexts=course_" .. c.id }
      if BASE_TYPES[e.type] then
        for _, a in ipairs(assignments(c)) do
          local aj = assignment_json(c, a)
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

  app:route("GET", "/users/:user/graded_submissions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local include = {}
    for _, v in ipairs(type(ctx.params.include) == "table" and ctx.params.include or {}) do include[v] = true end
    local out = {}
    for _, ce in ipairs(courses_of(ctx.user)) do
      local c, e = ce.course, ce.enrollment
      if BASE_TYPES[e.type] then
        local a = assignments(c)[1]
        local score = 6 + e.id % 5
        local sub = { id = 50000 + e.id, assignment_id = a.id, user_id = ctx.user.id, course_id = c.id,
          score = score + 0.5, grade = tostring(score + 0.5), entered_score = score + 0.5, attempt = 1,
          workflow_state = "graded", grade_matches_current_submission = true, grader_id = 2,
          submitted_at = string.format("2024-09-%02dT10:00:00Z", 10 + c.id),
          graded_at = string.format("2024-09-%02dT15:30:00Z", 12 + c.id),
          late = false, missing = false, excused = false, submission_type = "online_text_entry" }
        if include.assignment then sub.assignment = assignment_json(c, a) end
        out[#out + 1] = sub
      end
    end
    table.sort(out, function(a, b) return a.graded_at > b.graded_at end)
    return out
  end, { list = true })

  -- Settings and dashboard positions --------------------------------------------------
  local function settings_of(user)
    local s = state().settings[user.id] or {}
    local out = {}
    for _, k in ipairs(SETTINGS) do out[k] = s[k] == true end
    return out
  end

  app:route("GET", "/users/:user/settings", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    return settings_of(ctx.user)
  end)

  app:route("PUT", "/users/:user/settings", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local all = state().settings
    local s = all[ctx.user.id] or {}
    all[ctx.user.id] = s
    for _, k in ipairs(SETTINGS) do
      if ctx.params[k] ~= nil then s[k] = truthy(ctx.params[k]) end
    end
    return settings_of(ctx.user)
  end)

  local function positions_of(user)
    local out = {}
    for k, v in pairs(state().positions[user.id] or {}) do out[k] = v end
    return { dashboard_positions = out }
  end

  app:route("GET", "/users/:user/dashboard_positions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    return positions_of(ctx.user)
  end)

  app:route("PUT", "/users/:user/dashboard_positions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local given = ctx.params.dashboard_positions
    if type(given) ~= "table" or given == json.null then
      app.bad_request("dashboard_positions is required", "dashboard_positions")
    end
    -- Validate everything before changing anything.
    local parsed = {}
    for k, v in pairs(given) do
      local course_id = math.tointeger(tonumber(tostring(k):match("^course_(%d+)$")))
      if not course_id or not store.courses[course_id] then
        app.not_found()
      end
      local pos = math.tointeger(tonumber(v))
      if not pos or (type(v) == "string" and not v:match("^%-?%d+$")) then
        app.bad_request("Invalid position for " .. k, "dashboard_positions", "invalid")
      end
      parsed[k] = pos
    end
    local all = state().positions
    all[ctx.user.id] = all[ctx.user.id] or {}
    for k, v in pairs(parsed) do all[ctx.user.id][k] = v end
    return positions_of(ctx.user)
  end)

  -- Course nicknames ------------------------------------------------------------
  local function can_read_course(user, course)
    if store:is_admin(user.id) then return true end
    for _, e in ipairs(store:enrollments_of(user.id)) do
      if e.course_id == course.id then return true end
    end
    return false
  end

  local function nickname_json(user, course)
    local n = state().nicknames[user.id]
    return { course_id = course.id, name = course.name, nickname = (n and n[course.id]) or json.null }
  end

  local function readable_course(self, ctx)
    local user = me(ctx)
    if not can_read_course(user, ctx.course) then self:require_manage(ctx, { id = -1 }) end
    return user
  end

  app:route("GET", "/users/self/course_nicknames", function(self, ctx)
    local user = me(ctx)
    local out = {}
    for course_id in pairs(state().nicknames[user.id] or {}) do
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
    local all = state().nicknames
    all[user.id] = all[user.id] or {}
    all[user.id][ctx.course.id] = nick
    return nickname_json(user, ctx.course)
  end)

  app:route("DELETE", "/users/self/course_nicknames/:course", function(self, ctx)
    local user = me(ctx)
    local n = state().nicknames[user.id]
    if not (n and n[ctx.course.id]) then app.not_found() end
    n[ctx.course.id] = nil
    return nickname_json(user, ctx.course)
  end)

  app:route("DELETE", "/users/self/course_nicknames", function(self, ctx)
    state().nicknames[me(ctx).id] = nil
    return { message = "OK" }
  end)

  -- Pandata ------------------------------------------------------------------------
  app:route("POST", "/users/self/pandata_events_token", function(self, ctx)
    local user = me(ctx)
    local key = ctx.params.app_key
    if type(key) ~= "string" or key == "" then app.bad_request("Invalid app key", "app_key", "invalid") end
    local hex = key:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)
    return { url = "https://sandbox.test/pandata/events",
      auth_token = string.format("sandbox.%x.%s", user.id, hex),
      props_token = string.format("sandbox-props.%x", user.id),
      expires_at = (os.time() + 86400) * 1000 }
  end)

  -- Merge and split ------------------------------------------------------------------
  local function in_account(u, id)
    local a = store.accounts[u.account_id]
    while a do
      if a.id == id then return true end
      a = store.accounts[a.parent_account_id]
    end
    return false
  end

  -- Moves what belongs to src onto dest and deletes src; the record says
  -- what moved, so split can put it back.
  local function merge(src, dest)
    local rec = { user = src, moved = {}, dropped = {}, links = {}, dropped_links = {},
      namespaces = {}, tokens = {} }
    -- Enrollments: unique ones move; a duplicate goes away with src.
    local has = {}
    for _, e in ipairs(store.enrollments) do
      if e.user_id == dest.id then has[e.course_id .. "/" .. e.type] = true end
    end
    for i = 1, #store.enrollments do
      local e = store.enrollments[i]
      if e.user_id == src.id and not has[e.course_id .. "/" .. e.type] then
        has[e.course_id .. "/" .. e.type] = true
        e.user_id = dest.id
        rec.moved[#rec.moved + 1] = e
      end
    end
    for i = #store.enrollments, 1, -1 do
      local e = store.enrollments[i]
      if e.user_id == src.id then
        rec.dropped[#rec.dropped + 1] = e
        table.remove(store.enrollments, i)
      end
    end
    -- Observer links live in the observees module's area (made from the
    -- seed on first use, so ask that module for it).
    local obs = app.observee_state and app.observee_state()
    if type(obs) == "table" and type(obs.links) == "table" then
      for i = #obs.links, 1, -1 do
        local l = obs.links[i]
        if l.observer_id == src.id or l.student_id == src.id then
          local o = l.observer_id == src.id and dest.id or l.observer_id
          local s = l.student_id == src.id and dest.id or l.student_id
          local dup = o == s
          for _, other in ipairs(obs.links) do
            if other ~= l and other.observer_id == o and other.student_id == s then dup = true end
          end
          if dup then
            rec.dropped_links[#rec.dropped_links + 1] = table.remove(obs.links, i)
          else
            rec.links[#rec.links + 1] = { link = l, observer_id = l.observer_id, student_id = l.student_id }
            l.observer_id, l.student_id = o, s
          end
        end
      end
    end
    -- Custom data: namespaces dest lacks move; the rest goes with src.
    local from = store.custom_data[src.id]
    if from then
      local to = store.custom_data[dest.id] or {}
      store.custom_data[dest.id] = to
      for ns, v in pairs(from) do
        if to[ns] == nil then
          to[ns] = v
          rec.namespaces[#rec.namespaces + 1] = ns
        end
      end
      rec.custom_data = from
      store.custom_data[src.id] = nil
    end
    -- Access tokens and logins move to the destination too.
    for token, uid in pairs(store.tokens) do
      if uid == src.id then
        store.tokens[token] = dest.id
        rec.tokens[#rec.tokens + 1] = token
      end
    end
    store:remove_user(src)
    if src.login_id then store.by_login[src.login_id:lower()] = dest end
    if src.sis_user_id then store.by_sis[src.sis_user_id] = dest end
    local merges = state().merges
    merges[dest.id] = merges[dest.id] or {}
    table.insert(merges[dest.id], rec)
  end

  local function unmerge(rec, dest)
    local src = rec.user
    store:add_user(src)
    for _, e in ipairs(rec.moved) do
      if e.user_id == dest.id then e.user_id = src.id end
    end
    for _, e in ipairs(rec.dropped) do store.enrollments[#store.enrollments + 1] = e end
    local obs = app.observee_state and app.observee_state()
    if type(obs) == "table" and type(obs.links) == "table" then
      for _, r in ipairs(rec.links) do
        for _, l in ipairs(obs.links) do
          if l == r.link then l.observer_id, l.student_id = r.observer_id, r.student_id end
        end
      end
      for _, l in ipairs(rec.dropped_links) do obs.links[#obs.links + 1] = l end
    end
    if rec.custom_data then
      local back, to = {}, store.custom_data[dest.id] or {}
      for ns, v in pairs(rec.custom_data) do back[ns] = v end
      for _, ns in ipairs(rec.namespaces) do
        back[ns] = to[ns]   -- as it is now, with changes made since the merge
        to[ns] = nil
      end
      store.custom_data[src.id] = back
    end
    for _, token in ipairs(rec.tokens) do
      if store.tokens[token] == dest.id then store.tokens[token] = src.id end
    end
  end

  local function merge_into(self, ctx)
    require_admin(self, ctx)
    local src = ctx.user
    local dest = store:find_user(ctx.args.dest, ctx.user_id)
    if not dest or (ctx.account and not in_account(dest, ctx.account.id)) then app.not_found() end
    if dest.id == src.id then
      app.bad_request("a user cannot be merged into itself", "destination_user_id", "invalid")
    end
    merge(src, dest)
    return app.present_user(dest)
  end
  app:route("PUT", "/users/:user/merge_into/:dest", merge_into)
  app:route("PUT", "/users/:user/merge_into/accounts/:account/users/:dest", merge_into)

  app:route("POST", "/users/:user/split", function(self, ctx)
    local dest = ctx.user
    local recs = state().merges[dest.id]
    if not recs or #recs == 0 then app.bad_request("Nothing to split off of this user") end
    require_admin(self, ctx)
    for i = #recs, 1, -1 do unmerge(recs[i], dest) end
    state().merges[dest.id] = nil
    local out = json.array({ app.present_user(dest) })
    for _, rec in ipairs(recs) do out[#out + 1] = app.present_user(rec.user) end
    return out
  end)
end
