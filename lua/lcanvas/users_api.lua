--- The Users API methods that need more than "verb + path + return type":
-- the calling user's activity stream, to-do list, course nicknames and the
-- like on the client, and User:split, User:merge_into, custom data and
-- dashboard updates. Loaded once by lcanvas/init.lua; it adds methods to
-- the client's and User's method tables and returns nothing of its own.
local core = require "lcanvas.core"

local Client = core.methods("Client")
local User = core.methods("User")

local args = require "lcanvas.args"
local argerror, check_params = args.argerror, args.params

-- A path segment for an id, an "sis_..:X" string or an lcanvas object (a
-- CourseNickname stands for its course).
local function segment(v, n, fname)
  if core.is_object(v, "CourseNickname") then v = v.course_id end
  return args.segment(v, n, fname)
end

-- A custom data scope: "a/b", or a list {"a", "b"}; each part escaped.
local function scope_path(scope, n, fname)
  if scope == nil then return "" end
  local parts = {}
  if type(scope) == "string" then
    for p in scope:gmatch("[^/]+") do parts[#parts + 1] = p end
  elseif type(scope) == "table" then
    for i, p in ipairs(scope) do
      if type(p) ~= "string" and math.type(p) ~= "integer" then
        argerror(n, fname, "scope part " .. i .. " must be a string")
      end
      parts[#parts + 1] = tostring(p)
    end
  else
    argerror(n, fname, "scope must be a string like \"a/b\" or a list of keys")
  end
  local out = {}
  for i, p in ipairs(parts) do out[i] = segment(p, n, fname) end
  return #out > 0 and ("/" .. table.concat(out, "/")) or ""
end

local function check_ns(ns, fname)
  if type(ns) ~= "string" or ns == "" then
    argerror(1, fname, "ns (the namespace) must be a non-empty string")
  end
end

local function user_path(user, fname)
  return "users/" .. segment(user, 1, fname)
end

-- The calling user ---------------------------------------------------------

--- Client:get_activity_stream([params]): the calling user's activity stream (GET users/self/activity_stream), a PaginatedList of tables; params only_active_courses.
function Client:get_activity_stream(params)
  return self:list("users/self/activity_stream", check_params(params, 1, "get_activity_stream"))
end

--- Client:get_activity_stream_summary(): counts per item type, a list of {type=, count=, unread_count=} (GET users/self/activity_stream/summary).
function Client:get_activity_stream_summary()
  return self:request("GET", "users/self/activity_stream/summary")
end

--- Client:get_todo_items([params]): the calling user's to-do items (GET users/self/todo), a PaginatedList of tables; include = {"ungraded_quizzes"}.
function Client:get_todo_items(params)
  return self:list("users/self/todo", check_params(params, 1, "get_todo_items"))
end

--- Client:get_todo_item_count([params]): {needs_grading_count=, assignments_needing_submitting=} (GET users/self/todo_item_count).
function Client:get_todo_item_count(params)
  return self:request("GET", "users/self/todo_item_count", check_params(params, 1, "get_todo_item_count"))
end

--- Client:get_upcoming_events([params]): the calling user's upcoming calendar events and assignments (GET users/self/upcoming_events), a PaginatedList of tables.
function Client:get_upcoming_events(params)
  return self:list("users/self/upcoming_events", check_params(params, 1, "get_upcoming_events"))
end

--- Client:hide_stream_item(item): hide one activity stream item, by id or item table (DELETE users/self/activity_stream/:id); returns {hidden = true}.
function Client:hide_stream_item(item)
  if type(item) == "table" and not core.is_object(item) then item = item.id end
  return self:request("DELETE", "users/self/activity_stream/" .. segment(item, 1, "hide_stream_item"))
end

--- Client:hide_all_stream_items(): hide every item of the activity stream (DELETE users/self/activity_stream); returns {hidden = true}.
function Client:hide_all_stream_items()
  return self:request("DELETE", "users/self/activity_stream")
end

--- Client:get_course_nicknames(): every course nickname the calling user set (GET users/self/course_nicknames), a PaginatedList of CourseNickname.
function Client:get_course_nicknames()
  return self:list("users/self/course_nicknames", nil, { type = "CourseNickname" })
end

--- Client:get_course_nickname(course): the calling user's nickname for a course, a CourseNickname whose nickname is nil when none is set (GET users/self/course_nicknames/:course_id).
function Client:get_course_nickname(course)
  local path = "users/self/course_nicknames/" .. segment(course, 1, "get_course_nickname")
  return core.object("CourseNickname", self:request("GET", path), self)
end

--- Client:set_course_nickname(course, nickname): set a nickname (non-empty, under 60 characters, checked before sending) for a course (PUT users/self/course_nicknames/:course_id); returns the CourseNickname.
function Client:set_course_nickname(course, nickname)
  local path = "users/self/course_nicknames/" .. segment(course, 1, "set_course_nickname")
  if type(nickname) ~= "string" then
    argerror(2, "set_course_nickname", "nickname must be a string, got " .. type(nickname))
  end
  if nickname == "" then
    error(core.error("RequiredFieldMissing", "set_course_nickname requires a non-empty 'nickname'",
      { field = "nickname" }), 2)
  end
  local len = utf8.len(nickname) or #nickname
  if len >= 60 then
    argerror(2, "set_course_nickname",
      string.format("nickname must be shorter than 60 characters (got %d)", len))
  end
  return core.object("CourseNickname", self:request("PUT", path, { nickname = nickname }), self)
end

--- Client:remove_course_nickname(course): remove the nickname of a course (DELETE users/self/course_nicknames/:course_id); returns the CourseNickname (nickname now nil).
function Client:remove_course_nickname(course)
  local path = "users/self/course_nicknames/" .. segment(course, 1, "remove_course_nickname")
  return core.object("CourseNickname", self:request("DELETE", path), self)
end

--- Client:clear_course_nicknames(): remove every course nickname of the calling user (DELETE users/self/course_nicknames); true when Canvas answers OK.
function Client:clear_course_nicknames()
  local answer = self:request("DELETE", "users/self/course_nicknames")
  return type(answer) == "table" and answer.message == "OK"
end

--- Client:get_pandata_events_token([params]): a Pandata events JWT, {url=, auth_token=, props_token=, expires_at=} (POST users/self/pandata_events_token); params app_key.
function Client:get_pandata_events_token(params)
  return self:request("POST", "users/self/pandata_events_token",
    check_params(params, 1, "get_pandata_events_token"))
end

-- User extras ----------------------------------------------------------------

--- User:update_dashboard_positions(positions): set dashboard card positions, e.g. {course_42 = 1} (PUT users/:id/dashboard_positions); returns {dashboard_positions = {...}} with every position.
function User:update_dashboard_positions(positions)
  if type(positions) ~= "table" then
    argerror(1, "update_dashboard_positions", "positions must be a table like {course_42 = 1}")
  end
  return core.client_of(self):request("PUT", user_path(self, "update_dashboard_positions") ..
    "/dashboard_positions", { dashboard_positions = positions })
end

--- User:split(): undo the merges into this user (POST users/:id/split); returns a sequence of Users, this one first.
function User:split()
  local canvas = core.client_of(self)
  local answer = canvas:request("POST", user_path(self, "split") .. "/split")
  if type(answer) ~= "table" then
    error(core.error("InvalidResponse", "split: expected a list of users"), 2)
  end
  local users = {}
  for i, attrs in ipairs(answer) do users[i] = core.object("User", attrs, canvas) end
  return users
end

--- User:merge_into(dest [, {destination_account_id = id}]): merge this user into dest and delete it (PUT users/:id/merge_into/:dest, or .../merge_into/accounts/:account/users/:dest); this object becomes the destination user, updated in place and returned.
function User:merge_into(dest, opts)
  check_params(opts, 2, "merge_into")
  local canvas = core.client_of(self)
  local path = user_path(self, "merge_into") .. "/merge_into/"
  local account = opts and opts.destination_account_id
  if account ~= nil then
    path = path .. "accounts/" .. segment(account, 2, "merge_into") .. "/users/"
  end
  path = path .. segment(dest, 1, "merge_into")
  local answer = canvas:request("PUT", path)
  if type(answer) == "table" and answer.dry_run == true and answer.id == nil then
    self.dry_run = true   -- a dry run sent nothing: the object stays as it was, marked
    return self
  end
  if type(answer) ~= "table" then
    error(core.error("InvalidResponse", "merge_into: expected a user object"), 2)
  end
  -- The source no longer exists: replace (not overlay) its attributes, so
  -- nothing of the deleted user lingers on the object.
  local old = {}
  for k in pairs(self) do old[#old + 1] = k end
  for _, k in ipairs(old) do self[k] = nil end
  for k, v in pairs(answer) do self[k] = v end
  return self
end

--- User:get_custom_data(ns [, scope]): the data stored under namespace ns at scope ("a/b" or {"a", "b"}) (GET users/:id/custom_data/*scope); JSON types are kept.
function User:get_custom_data(ns, scope)
  check_ns(ns, "get_custom_data")
  local path = user_path(self, "get_custom_data") .. "/custom_data" .. scope_path(scope, 2, "get_custom_data")
  local answer = core.client_of(self):request("GET", path, { ns = ns })
  return answer and answer.data
end

--- User:set_custom_data(ns, scope, data): store data (any JSON value; lcanvas.null is null) under ns at scope, nil for the whole namespace (PUT users/:id/custom_data/*scope, a JSON body); returns what was stored.
function User:set_custom_data(ns, scope, data)
  check_ns(ns, "set_custom_data")
  if data == nil then
    argerror(3, "set_custom_data", "data is required (use lcanvas.null for JSON null)")
  end
  local path = user_path(self, "set_custom_data") .. "/custom_data" .. scope_path(scope, 2, "set_custom_data")
  local answer = core.client_of(self):request("PUT", path, { ns = ns, data = data }, { json = true })
  return answer and answer.data
end

--- User:delete_custom_data(ns [, scope]): delete the data under ns at scope, all of ns without one (DELETE users/:id/custom_data/*scope); returns what was deleted.
function User:delete_custom_data(ns, scope)
  check_ns(ns, "delete_custom_data")
  local path = user_path(self, "delete_custom_data") .. "/custom_data" ..
    scope_path(scope, 2, "delete_custom_data")
  local answer = core.client_of(self):request("DELETE", path, { ns = ns })
  return answer and answer.data
end
