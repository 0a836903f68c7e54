--- Users API, the calling user's activity stream (canvas-lms
-- app/controllers/users_controller.rb: activity_stream,
-- activity_stream_summary, ignore_stream_item, ignore_all_stream_items).
-- Items are generated from the user's courses (coursework.lua); hidden
-- ones are the only state (store:area("activity_stream")).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local coursework = require "lcanvas.sandbox.coursework"

return function(app)
  local store = app.store

  local function hidden()   -- user id -> { [stream item id] = true }
    return store:area("activity_stream", function() return {} end)
  end

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
    for _, ce in ipairs(coursework.courses_of(store, user)) do
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
        if coursework.BASE_TYPES[e.type] then
          local a = coursework.assignments(c)[1]
          add({ id = 20000 + e.id, type = "Submission", title = a.name, assignment_id = a.id,
            read_state = false, grade = "9", score = 9.0, user_id = user.id,
            assignment = coursework.assignment_json(c, a), html_url = url .. "/assignments/" .. a.id }, c, c.id, 11)
        end
      end
    end
    add({ id = 30000 + user.id, type = "Conversation", title = "Welcome to the sandbox",
      conversation_id = 500 + (user.id % 1000), private = true, participant_count = 2, read_state = false,
      html_url = "https://sandbox.test/conversations/" .. (500 + user.id % 1000) }, nil, 1, 8)
    local gone = hidden()[user.id] or {}
    local visible = {}
    for _, it in ipairs(items) do if not gone[it.id] then visible[#visible + 1] = it end end
    table.sort(visible, function(a, b)
      if a.created_at ~= b.created_at then return a.created_at > b.created_at end
      return a.id < b.id
    end)
    return visible
  end

  local function activity_stream(_, ctx)
    return stream_items(app:me(ctx), util.truthy(ctx.params.only_active_courses))
  end
  -- Canvas's two spellings. This module is registered before users.lua so
  -- that "/users/:user" does not take "activity_stream" for a user id.
  app:route("GET", "/users/activity_stream", activity_stream, { list = true })
  app:route("GET", "/users/self/activity_stream", activity_stream, { list = true })

  app:route("GET", "/users/self/activity_stream/summary", function(_, ctx)
    local by_type, order = {}, {}
    for _, it in ipairs(stream_items(app:me(ctx))) do
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

  local function hide(user, items)
    local all = hidden()
    all[user.id] = all[user.id] or {}
    for _, it in ipairs(items) do all[user.id][it.id] = true end
    return { hidden = true }
  end

  app:route("DELETE", "/users/self/activity_stream/:item", function(_, ctx)
    local user = app:me(ctx)
    local id = util.to_int(ctx.args.item)
    for _, it in ipairs(stream_items(user)) do
      if it.id == id then return hide(user, { it }) end
    end
    app.not_found()
  end)

  app:route("DELETE", "/users/self/activity_stream", function(_, ctx)
    local user = app:me(ctx)
    return hide(user, stream_items(user))
  end)
end
