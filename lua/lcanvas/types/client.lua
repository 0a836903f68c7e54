--- lcanvas.Client: the connection to one Canvas (src/binding/client.c makes
-- it and holds request, list, stats, close, ...). Here: its endpoint rows
-- (the calling user's account, activity stream, to-do list, course
-- nicknames) and the few methods a row cannot express.
local core = require "lcanvas.core"
local args = require "lcanvas.args"
local ids = require "lcanvas.ids"
local download = require "lcanvas.download"

local Client = core.define_rows("Client", {
  -- api_show always returns email, locale, avatar_url, first/last name and
  -- permissions; include[] adds only these (the last two for admins).
  { name = "get_user", method = "GET", path = "users/{1}", returns = "User",
    args = { { "id", ids = ids.users, id_type = true } },
    params = { "include" }, include = { "uuid", "last_login", "avatar_state", "confirmation_url" },
    source = "UsersController#api_show",
    doc = "The User with this id (an integer, \"self\", \"sis_user_id:X\" or an object); with " ..
      "id_type (\"sis_user_id\", \"sis_login_id\", \"lti_user_id\", ...; Canvas knows no " ..
      "\"login_id\") the id is looked up as id_type:id; params include = {\"uuid\", \"last_login\"}." },
  { name = "get_current_user", method = "GET", path = "users/self", returns = "User",
    params = { "include" }, include = { "uuid", "last_login", "avatar_state", "confirmation_url" },
    source = "UsersController#api_show",
    doc = "The User the token belongs to; params include = {\"uuid\", \"last_login\"}." },
  { name = "get_account", method = "GET", path = "accounts/{1}", returns = "Account",
    args = { { "id", ids = ids.accounts, id_type = true } },
    -- show reads params[:includes] (plural), not include[]
    params = { "includes" }, source = "AccountsController#show",
    doc = "The account with this id, \"self\", or \"sis_account_id:X\"; params includes = {...} " ..
      "(Canvas reads `includes`, not `include`)." },

  -- The calling user (Users API)
  { name = "get_activity_stream", method = "GET", path = "users/self/activity_stream", list = true,
    params = { "only_active_courses", "asset_type", "context_code", "submission_user_id",
               "notification_categories" },
    source = "UsersController#activity_stream",
    doc = "The calling user's activity stream; params only_active_courses." },
  { name = "get_activity_stream_summary", method = "GET", path = "users/self/activity_stream/summary",
    params = { "only_active_courses" }, source = "UsersController#activity_stream_summary",
    doc = "Counts per item type, a list of {type=, count=, unread_count=}; params only_active_courses." },
  { name = "get_todo_items", method = "GET", path = "users/self/todo", list = true,
    params = { "include" }, include = { "ungraded_quizzes" }, source = "UsersController#todo_items",
    doc = "The calling user's to-do items; include = {\"ungraded_quizzes\"}." },
  { name = "get_todo_item_count", method = "GET", path = "users/self/todo_item_count",
    params = { "include" }, include = { "ungraded_quizzes" }, source = "UsersController#todo_item_count",
    doc = "{needs_grading_count=, assignments_needing_submitting=}." },
  -- Not paginated: Canvas renders every cached upcoming event in one answer.
  { name = "get_upcoming_events", method = "GET", path = "users/self/upcoming_events", list = true,
    paginated = false, params = {}, source = "UsersController#upcoming_events",
    doc = "The calling user's upcoming calendar events and assignments (one page; Canvas reads " ..
      "no parameters)." },
  { name = "hide_stream_item", method = "DELETE", path = "users/self/activity_stream/{1}",
    args = { { "item", from = { table = "id" } } },
    params = {}, source = "UsersController#ignore_stream_item",
    doc = "Hide one activity stream item, by id or item table; returns {hidden = true}." },
  { name = "hide_all_stream_items", method = "DELETE", path = "users/self/activity_stream",
    params = {}, source = "UsersController#ignore_all_stream_items",
    doc = "Hide every item of the activity stream; returns {hidden = true}." },
  { name = "get_pandata_events_token", method = "POST", path = "users/self/pandata_events_token",
    params = { "app_key" }, source = "UsersController#pandata_events_token",
    doc = "A Pandata events JWT, {url=, auth_token=, props_token=, expires_at=}; params app_key." },

  -- Course nicknames: a CourseNickname stands for its course.
  { name = "get_course_nicknames", method = "GET", path = "users/self/course_nicknames",
    returns = "CourseNickname", list = true,
    params = {}, source = "CourseNicknamesController#index",
    doc = "Every course nickname the calling user set." },
  { name = "get_course_nickname", method = "GET", path = "users/self/course_nicknames/{1}",
    returns = "CourseNickname", args = { { "course", from = { CourseNickname = "course_id" } } },
    params = {}, source = "CourseNicknamesController#show",
    doc = "The calling user's nickname for a course (its nickname is nil when none is set)." },
  { name = "remove_course_nickname", method = "DELETE", path = "users/self/course_nicknames/{1}",
    returns = "CourseNickname", args = { { "course", from = { CourseNickname = "course_id" } } },
    params = {}, source = "CourseNicknamesController#delete",
    doc = "Remove the nickname of a course; returns the CourseNickname (nickname now nil)." },
})

local argerror = args.argerror

-- Hand-written: a length limit in characters, checked before sending.
--- Client:set_course_nickname(course, nickname): set a nickname (non-empty, under 60 characters, checked before sending) for a course (PUT users/self/course_nicknames/:course_id); returns the CourseNickname.
function Client:set_course_nickname(course, nickname)
  if core.is_object(course, "CourseNickname") then course = course.course_id end
  local path = "users/self/course_nicknames/" .. args.segment(course, 1, "set_course_nickname")
  if type(nickname) ~= "string" then
    argerror(2, "set_course_nickname", "nickname must be a string, got " .. type(nickname))
  end
  if nickname == "" then
    core.missing_field("set_course_nickname", "nickname", nil, "a non-empty ")
  end
  local len = utf8.len(nickname) or #nickname
  if len >= 60 then
    argerror(2, "set_course_nickname",
      string.format("nickname must be shorter than 60 characters (got %d)", len))
  end
  return core.object("CourseNickname", self:request("PUT", path, { nickname = nickname }), self)
end

-- Hand-written: the answer is turned into a boolean.
--- Client:clear_course_nicknames(): remove every course nickname of the calling user (DELETE users/self/course_nicknames); true when Canvas answers OK.
function Client:clear_course_nicknames()
  local answer = self:request("DELETE", "users/self/course_nicknames")
  return type(answer) == "table" and answer.message == "OK"
end

-- Not rows: a file's url answers with redirects to the file store, which
-- lua/lcanvas/download.lua follows, keeping the token on Canvas's origin.
--- Client:download(what, path [, opts]): download a File, a table with a url, or a url into the file `path`, following Canvas's redirect to its file store without the token; written whole or not at all (a dry run writes the dry-run name); opts.max_size (the max_download_size option by default), opts.progress = false hides the status line. Returns the path written and its size in bytes.
function Client:download(what, path, opts)
  return download.to_file(self, what, path, opts)
end

--- Client:download_to_string(what): download a small File (or url) into a string (at most max_response_size bytes).
function Client:download_to_string(what)
  return download.to_string(self, what)
end

-- What the endpoint spec (spec/endpoints_spec.lua) runs against the sandbox
-- for each method that takes arguments; `w.canvas` is the sandbox admin's
-- client. The client's own methods that send nothing of theirs are plain.
core.define_type("Client", {
  doc = "the connection to one Canvas",
  plain = { "request", "list", "map", "download", "download_to_string", "rate_limit", "stats",
    "token_expires_at", "base_url",
    "is_dry_run", "dry_run_counts", "on_page", "close", "pollfd", "events", "timeout", "step" },
  examples = {
    receiver = function(w) return w.canvas end,
    args = {
      get_user = { 3 },
      get_account = { 1 },
      get_course_nickname = { 1 },
      set_course_nickname = { 1, "Bio" },
      remove_course_nickname = function(w)
        w.canvas:set_course_nickname(1, "Bio")
        return w.canvas, { 1 }
      end,
      hide_stream_item = function(w)
        return w.canvas, { w.canvas:get_activity_stream():first() }
      end,
      get_pandata_events_token = { { app_key = "spec-app" } },
      get_progress = { 1 },
    },
  },
})

core.describe_hand("Client", {
  set_course_nickname = { method = "PUT", path = "users/self/course_nicknames/{1}",
    args = { "course" }, sends = { "nickname" }, params = { "nickname" }, unknown = "none",
    source = "CourseNicknamesController#update" },
  clear_course_nicknames = { method = "DELETE", path = "users/self/course_nicknames", params = {},
    unknown = "none", source = "CourseNicknamesController#clear" },
})

return Client
