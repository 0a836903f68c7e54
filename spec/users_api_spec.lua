-- The rest of the Users API against the sandbox: the calling user's activity
-- stream, to-do list, upcoming events, course nicknames and Pandata token on
-- the client; settings, dashboard positions, graded submissions, merge_into
-- and split on User.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local form = require "lcanvas.sandbox.params"   -- the sandbox's own decoder, not the client's

local api_requests = sandbox.api_requests

local last = sandbox.last_api_request

local capture = sandbox.capture

local function course_ids(user)
  local ids = {}
  for course in user:get_courses():iter() do ids[#ids + 1] = course.id end
  table.sort(ids)
  return ids
end

describe("Users API", function()
  local admin, student, teacher
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    admin = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    student = lcanvas.new(sandbox.url, sandbox.tokens.student)   -- Sam Student (3), courses 1 and 2
    teacher = lcanvas.new(sandbox.url, sandbox.tokens.teacher)   -- Terry Teacher (2), courses 1-4
  end)

  describe("activity stream", function()
    it("lists the calling user's stream items as a PaginatedList", function()
      local list = student:get_activity_stream({ only_active_courses = true })
      local items = list:all()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/users/self/activity_stream", r.path)
      assert.equal("true", form.parse_query(r.query).only_active_courses)
      assert.equal("lcanvas.PaginatedList", getmetatable(list).__name)
      assert.equal(7, #items)   -- per course an announcement and a topic, one submission each, a conversation
      local types = {}
      for _, it in ipairs(items) do
        assert.equal("table", type(it))
        assert.equal("integer", math.type(it.id))
        types[it.type] = (types[it.type] or 0) + 1
      end
      assert.same({ Announcement = 2, DiscussionTopic = 2, Submission = 2, Conversation = 1 }, types)
      assert.is_true(items[1].created_at >= items[#items].created_at)
      -- Canvas's other spelling of the same list
      assert.equal(#items, #student:request("GET", "users/activity_stream", { per_page = 50 }))
    end)

    it("summarises the stream per type", function()
      local summary = student:get_activity_stream_summary()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/users/self/activity_stream/summary", r.path)
      local by = {}
      for _, s in ipairs(summary) do by[s.type] = s end
      assert.equal(2, by.DiscussionTopic.count)
      assert.equal(0, by.DiscussionTopic.unread_count)
      assert.equal(2, by.Announcement.unread_count)
      assert.equal(1, by.Conversation.count)
    end)

    it("hides one item for good (DELETE), by id or item table", function()
      local items = student:get_activity_stream():all()
      local victim = items[2]
      local answer = student:hide_stream_item(victim)
      local r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/self/activity_stream/" .. victim.id, r.path)
      assert.is_true(answer.hidden)
      -- a fresh client (a new session) still does not see it
      local again = lcanvas.new(sandbox.url, sandbox.tokens.student):get_activity_stream():all()
      assert.equal(#items - 1, #again)
      for _, it in ipairs(again) do assert.are_not.equal(victim.id, it.id) end
      student:hide_stream_item(items[1].id)
      assert.equal(#items - 2, #student:get_activity_stream():all())
      -- other users' streams are untouched
      assert.equal(4 + 4 + 1, #teacher:get_activity_stream():all())
    end)

    it("raises ResourceDoesNotExist for an unknown item and hides everything at once", function()
      local err = capture(function() student:hide_stream_item(424242) end)
      assert.equal("ResourceDoesNotExist", err.kind)
      local answer = student:hide_all_stream_items()
      local r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/self/activity_stream", r.path)
      assert.is_true(answer.hidden)
      assert.equal(0, #student:get_activity_stream():all())
      local total = 0
      for _, s in ipairs(student:get_activity_stream_summary()) do total = total + s.count end
      assert.equal(0, total)
      assert.error_matches(function() student:hide_stream_item(nil) end, "bad argument #1 to 'hide_stream_item'")
    end)
  end)

  describe("to-do items and upcoming events", function()
    it("lists what a student must submit, with ungraded quizzes on request", function()
      local items = student:get_todo_items():all()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/users/self/todo", r.path)
      assert.equal(4, #items)
      for _, it in ipairs(items) do
        assert.equal("submitting", it.type)
        assert.equal("integer", math.type(it.assignment.id))
        assert.matches("^http://.*/api/v1/users/self/todo/assignment_%d+/submitting", it.ignore)
      end
      local with_quizzes = student:get_todo_items({ include = { "ungraded_quizzes" } }):all()
      assert.same({ "ungraded_quizzes" }, form.parse_query(last().query).include)
      assert.equal(6, #with_quizzes)
      local quizzes = 0
      for _, it in ipairs(with_quizzes) do if it.quiz then quizzes = quizzes + 1 end end
      assert.equal(2, quizzes)
    end)

    it("counts to-dos: grading for a teacher, submitting for a student", function()
      local tc = teacher:get_todo_item_count()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/users/self/todo_item_count", r.path)
      local grading = 0
      for _, it in ipairs(teacher:get_todo_items():all()) do
        assert.equal("grading", it.type)
        grading = grading + it.needs_grading_count
      end
      assert.equal(grading, tc.needs_grading_count)
      assert.is_true(grading > 0)
      assert.equal(0, tc.assignments_needing_submitting)
      local sc = student:get_todo_item_count({ include = { "ungraded_quizzes" } })
      assert.same({ "ungraded_quizzes" }, form.parse_query(last().query).include)
      assert.equal(6, sc.assignments_needing_submitting)
      assert.equal(0, sc.needs_grading_count)
    end)

    it("lists upcoming events and assignments in start order", function()
      local events = student:get_upcoming_events():all()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/users/self/upcoming_events", r.path)
      assert.equal(2 + 4, #events)
      local assignments = 0
      for i, ev in ipairs(events) do
        if i > 1 then assert.is_true(events[i - 1].start_at <= ev.start_at) end
        if type(ev.id) == "string" then
          assert.matches("^assignment_%d+$", ev.id)
          assert.equal(ev.id, "assignment_" .. ev.assignment.id)
          assignments = assignments + 1
        else
          assert.equal("integer", math.type(ev.id))
        end
      end
      assert.equal(4, assignments)
    end)
  end)

  describe("course nicknames", function()
    it("sets, reads, lists, shows and removes a nickname", function()
      local set = student:set_course_nickname(1, "Bio")
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/self/course_nicknames/1", r.path)
      assert.equal("nickname=Bio", r.body)
      assert.equal("CourseNickname", set:typename())
      assert.equal(1, set.course_id)
      assert.equal("Biology 101", set.name)
      assert.equal("Bio", set.nickname)

      local got = student:get_course_nickname(1)
      assert.equal("GET", last().method)
      assert.equal("/api/v1/users/self/course_nicknames/1", last().path)
      assert.equal("Bio", got.nickname)
      -- the nickname replaces the course name for this user only
      local names = {}
      for course in student:get_current_user():get_courses():iter() do names[course.id] = course.name end
      assert.equal("Bio", names[1])
      assert.equal("Chemistry 201", names[2])
      local others = {}
      for course in teacher:get_current_user():get_courses():iter() do others[course.id] = course.name end
      assert.equal("Biology 101", others[1])

      student:set_course_nickname(got, "Chem")   -- a CourseNickname object names its course
      local list = student:get_course_nicknames():all()
      assert.equal("GET", last().method)
      assert.equal("/api/v1/users/self/course_nicknames", last().path)
      assert.equal(1, #list)
      assert.equal("CourseNickname", list[1]:typename())
      assert.equal("Chem", list[1].nickname)

      local removed = student:remove_course_nickname(1)
      assert.equal("DELETE", last().method)
      assert.equal("/api/v1/users/self/course_nicknames/1", last().path)
      assert.equal(1, removed.course_id)
      assert.is_nil(removed.nickname)
      assert.is_nil(student:get_course_nickname(1).nickname)
      assert.equal(0, #student:get_course_nicknames():all())
      local err = capture(function() student:remove_course_nickname(1) end)
      assert.equal("ResourceDoesNotExist", err.kind)
    end)

    it("clears every nickname", function()
      student:set_course_nickname(1, "One")
      student:set_course_nickname(2, "Two")
      assert.equal(2, #student:get_course_nicknames():all())
      assert.is_true(student:clear_course_nicknames())
      local r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/self/course_nicknames", r.path)
      assert.equal(0, #student:get_course_nicknames():all())
    end)

    it("checks the nickname before sending: non-empty and under 60 characters", function()
      sandbox.clear_requests()
      local err = capture(function() student:set_course_nickname(1, "") end)
      assert.equal("RequiredFieldMissing", err.kind)
      assert.equal("nickname", err.field)
      assert.error_matches(function() student:set_course_nickname(1, string.rep("x", 60)) end,
        "bad argument #2 to 'set_course_nickname' %(nickname must be shorter than 60 characters %(got 60%)%)")
      assert.error_matches(function() student:set_course_nickname(1, nil) end, "nickname must be a string")
      assert.error_matches(function() student:set_course_nickname(nil, "x") end, "bad argument #1")
      assert.equal(0, #api_requests())
      -- 59 characters is fine, counted as characters, not bytes
      local long = string.rep("é", 59)
      assert.equal(long, student:set_course_nickname(2, long).nickname)
      assert.equal(long, student:get_course_nickname(2).nickname)
    end)

    it("has the sandbox refuse bad nicknames and courses the caller cannot read", function()
      local err = capture(function()
        student:request("PUT", "users/self/course_nicknames/1", { nickname = string.rep("y", 60) })
      end)
      assert.equal("BadRequest", err.kind)
      assert.is_nil(student:get_course_nickname(1).nickname)
      local e401 = capture(function() student:set_course_nickname(4, "Algebra") end)
      assert.equal("Unauthorized", e401.kind)
      local e404 = capture(function() student:get_course_nickname(99) end)
      assert.equal("ResourceDoesNotExist", e404.kind)
    end)
  end)

  describe("Pandata events token", function()
    it("POSTs the app key and returns the token", function()
      local t = student:get_pandata_events_token({ app_key = "MOBILE_APPS_KEY" })
      local r = last()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/users/self/pandata_events_token", r.path)
      assert.equal("app_key=MOBILE_APPS_KEY", r.body)
      assert.equal("string", type(t.auth_token))
      assert.equal("string", type(t.props_token))
      assert.matches("^https://", t.url)
      assert.equal("integer", math.type(t.expires_at))
      assert.is_true(t.expires_at > os.time() * 1000)
      local err = capture(function() student:get_pandata_events_token() end)
      assert.equal("BadRequest", err.kind)
    end)
  end)

  describe("User settings and dashboard positions", function()
    it("reads and updates settings (PUT users/:id/settings), kept per user", function()
      local me = student:get_current_user()
      local s = me:get_settings()
      assert.equal("GET", last().method)
      assert.equal("/api/v1/users/3/settings", last().path)
      assert.is_false(s.manual_mark_as_read)
      assert.is_false(s.collapse_global_nav)
      local updated = me:update_settings({ manual_mark_as_read = true, collapse_global_nav = false })
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/settings", r.path)
      assert.same({ collapse_global_nav = "false", manual_mark_as_read = "true" }, form.parse_query(r.body))
      assert.is_true(updated.manual_mark_as_read)
      assert.is_true(admin:get_user(3):get_settings().manual_mark_as_read)
      assert.is_false(admin:get_user(4):get_settings().manual_mark_as_read)
      local sofia_as_student = lcanvas.core.object("User", { id = 4 }, student)
      assert.equal("Unauthorized", capture(function() sofia_as_student:get_settings() end).kind)
      assert.equal("Unauthorized",
        capture(function() sofia_as_student:update_settings({ collapse_global_nav = true }) end).kind)
      assert.is_false(admin:get_user(4):get_settings().collapse_global_nav)
    end)

    it("merges dashboard positions (PUT users/:id/dashboard_positions) and refuses bad ones", function()
      local me = student:get_current_user()
      assert.same({}, me:get_dashboard_positions().dashboard_positions)
      assert.equal("GET", last().method)
      assert.equal("/api/v1/users/3/dashboard_positions", last().path)
      local answer = me:update_dashboard_positions({ course_1 = 2, course_2 = 1 })
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/dashboard_positions", r.path)
      assert.same({ dashboard_positions = { course_1 = "2", course_2 = "1" } }, form.parse_query(r.body))
      assert.same({ course_1 = 2, course_2 = 1 }, answer.dashboard_positions)
      me:update_dashboard_positions({ course_2 = 3 })
      assert.same({ course_1 = 2, course_2 = 3 }, me:get_dashboard_positions().dashboard_positions)
      local e400 = capture(function() me:update_dashboard_positions({ course_1 = "first" }) end)
      assert.equal("BadRequest", e400.kind)
      local e404 = capture(function() me:update_dashboard_positions({ course_1 = 9, course_77 = 1 }) end)
      assert.equal("ResourceDoesNotExist", e404.kind)
      assert.same({ course_1 = 2, course_2 = 3 }, me:get_dashboard_positions().dashboard_positions)
      assert.error_matches(function() me:update_dashboard_positions() end,
        "bad argument #1 to 'update_dashboard_positions'")
    end)
  end)

  describe("graded submissions", function()
    it("lists a user's graded submissions as Submission objects", function()
      local subs = admin:get_user(5):get_graded_submissions({ include = { "assignment" } }):all()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/users/5/graded_submissions", r.path)
      assert.same({ "assignment" }, form.parse_query(r.query).include)
      assert.equal(2, #subs)
      for _, s in ipairs(subs) do
        assert.equal("Submission", s:typename())
        assert.equal(5, s.user_id)
        assert.equal("graded", s.workflow_state)
        assert.equal("float", math.type(s.score))
        assert.equal(s.assignment_id, s.assignment.id)
      end
      assert.is_true(subs[1].graded_at >= subs[2].graded_at)
      assert.equal(0, #admin:get_user(2):get_graded_submissions():all())
    end)
  end)

  describe("merge_into and split", function()
    it("leaves both users as they were under a dry run, the receiver only marked", function()
      local dry = lcanvas.new(sandbox.url, sandbox.tokens.admin, { dry_run = true })
      local sofia = dry:get_user(4)
      local before = sofia:to_table()
      assert.equal(sofia, sofia:merge_into(dry:get_user(3)))
      assert.is_true(sofia.dry_run)
      sofia.dry_run = nil
      assert.same(before, sofia:to_table())
      assert.equal(4, admin:get_user(4).id)      -- nothing was merged
      for _, r in ipairs(api_requests()) do assert.equal("GET", r.method) end
    end)

    it("merges a user into another: PUT, receiver updated in place, source gone, enrollments moved", function()
      -- Sofia (4): courses 1 and 3, invited to 2; Sam (3): courses 1 and 2
      local sofia = admin:get_user(4)
      local same = sofia
      sofia:set_custom_data("org.sofia", nil, { color = "teal" })
      local ret = sofia:merge_into(admin:get_user(3))
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/4/merge_into/3", r.path)
      assert.is_true(rawequal(same, ret))
      assert.equal(3, sofia.id)
      assert.equal("Sam Student", sofia.name)
      assert.equal("S0001", sofia.sis_user_id)
      local err = capture(function() admin:get_user(4) end)
      assert.equal("ResourceDoesNotExist", err.kind)
      assert.same({ 1, 2, 3 }, course_ids(admin:get_user(3)))
      assert.same({ color = "teal" }, admin:get_user(3):get_custom_data("org.sofia"))
      -- the merged login now signs in as the destination, is listed among
      -- its logins and finds it in an account search (UserMerge moves the
      -- pseudonym; the sandbox used to find nobody there)
      assert.equal(3, admin:get_user("sofia.student", "sis_login_id").id)
      local found = admin:get_account(1):get_users({ search_term = "sofia" }):all()
      assert.equal(1, #found)
      assert.equal(3, found[1].id)
      assert.equal(3, admin:get_account(1):get_users({ search_term = "S0002" }):first().id)
      local logins = {}
      for l in admin:get_user(3):get_user_logins():iter() do
        logins[#logins + 1] = l.unique_id
        assert.equal(3, l.user_id)
      end
      assert.same({ "sam.student", "sofia.student" }, logins)
    end)

    it("takes the account path when destination_account_id is given", function()
      local omar = admin:get_user(5)     -- courses 1 and 4
      local err = capture(function() omar:merge_into("sis_user_id:S0004", { destination_account_id = 2 }) end)
      assert.equal("ResourceDoesNotExist", err.kind)   -- Lena is not in account 2
      assert.equal("/api/v1/users/5/merge_into/accounts/2/users/sis_user_id:S0004", last().path)
      omar:merge_into("sis_user_id:S0004", { destination_account_id = 1 })
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/5/merge_into/accounts/1/users/sis_user_id:S0004", r.path)
      assert.equal(6, omar.id)
      assert.equal("Lena Student", omar.name)
      assert.equal("ResourceDoesNotExist", capture(function() admin:get_user(5) end).kind)
      assert.same({ 1, 2, 4 }, course_ids(admin:get_user(6)))
    end)

    it("splits merged users back, restoring enrollments and custom data", function()
      local sam = admin:get_user(3)
      local sofia = admin:get_user(4)
      sofia:set_custom_data("org.sofia", "k", 1)
      sofia:merge_into(sam)
      admin:get_user(5):merge_into(sam)
      assert.same({ 1, 2, 3, 4 }, course_ids(admin:get_user(3)))
      local users = admin:get_user(3):split()
      local r = last()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/users/3/split", r.path)
      -- Canvas renders the users sorted by short name (Omar, Sam, Sofia),
      -- not the split user first
      assert.equal(3, #users)
      assert.equal("User", users[1]:typename())
      assert.same({ 5, 3, 4 }, { users[1].id, users[2].id, users[3].id })
      assert.equal("Sofia Student", admin:get_user(4).name)
      assert.equal("Omar Student", admin:get_user(5).name)
      assert.same({ 1, 2 }, course_ids(admin:get_user(3)))
      -- Sofia's seeded invitation to course 2 (a duplicate of Sam's
      -- enrollment there, so dropped by the merge) comes back too.
      assert.same({ 1, 2, 3 }, course_ids(admin:get_user(4)))
      assert.same({ 1, 4 }, course_ids(admin:get_user(5)))
      assert.equal(1, admin:get_user(4):get_custom_data("org.sofia", "k"))
      assert.equal("BadRequest", capture(function() admin:get_user(3):get_custom_data("org.sofia") end).kind)
      assert.equal(4, admin:get_user("sofia.student", "sis_login_id").id)
      -- the logins went back with their users
      assert.equal(1, admin:get_user(3):get_user_logins():count())
      assert.equal("sofia.student", admin:get_user(4):get_user_logins():first().unique_id)
      local again = admin:get_account(1):get_users({ search_term = "sofia.student" }):all()
      assert.same({ 4 }, { again[1].id, again[2] and again[2].id })
      -- nothing left to split
      local err = capture(function() admin:get_user(3):split() end)
      assert.equal("BadRequest", err.kind)
    end)

    it("refuses merging into oneself, unknown users and callers without rights", function()
      local sam = admin:get_user(3)
      assert.equal("BadRequest", capture(function() sam:merge_into(3) end).kind)
      assert.equal("ResourceDoesNotExist", capture(function() sam:merge_into(99999) end).kind)
      local as_student = lcanvas.core.object("User", { id = 4 }, student)
      assert.equal("Unauthorized", capture(function() as_student:merge_into(3) end).kind)
      assert.equal("Sofia Student", admin:get_user(4).name)
      assert.equal(3, sam.id)
      assert.equal("Sam Student", sam.name)
      sandbox.clear_requests()
      assert.error_matches(function() sam:merge_into(nil) end, "bad argument #1 to 'merge_into'")
      assert.error_matches(function() sam:merge_into(4, "acct") end, "bad argument #2 to 'merge_into'")
      assert.equal(0, #api_requests())
    end)
  end)
end)

-- Observer links belong to the observees routes (store area "observees",
-- shape in COMMON.md). A merge must carry them along even though another
-- module owns them: checked on an in-process sandbox whose area is filled
-- in directly, since that is the shared contract between the modules.
describe("sandbox merge_into and observer links", function()
  it("rewrites links to the destination, drops self and duplicate links, and split restores them", function()
    local sjson = require "lcanvas.sandbox.json"
    local App = require "lcanvas.sandbox.app"
    local Store = require "lcanvas.sandbox.store"
    local app = App.new(Store.new(require "lcanvas.sandbox.seed"))
    local function call(method, path)
      local res = app:handle({ method = method, path = "/api/v1/" .. path, query = "", body = "",
        headers = { authorization = "Bearer " .. sandbox.tokens.admin, host = "127.0.0.1" } }, "main")
      return res.status, sjson.decode(res.body)
    end
    local function pairs_of(links)
      local out = {}
      for _, l in ipairs(links) do out[#out + 1] = l.observer_id .. ">" .. l.student_id end
      table.sort(out)
      return out
    end
    app.store.areas.observees = { codes = {}, links = {
      { observer_id = 7, student_id = 4, root_account_id = 1 },   -- Pat observes Sofia: duplicate after
      { observer_id = 7, student_id = 3, root_account_id = 1 },   -- Pat observes Sam
      { observer_id = 4, student_id = 3, root_account_id = 1 },   -- Sofia observes Sam: a self link after
      { observer_id = 4, student_id = 6, root_account_id = 1 },   -- Sofia observes Lena: moves to Sam
      { observer_id = 8, student_id = 5, root_account_id = 1 },   -- unrelated
    } }
    local status, dest = call("PUT", "users/4/merge_into/3")
    assert.equal(200, status)
    assert.equal(3, dest.id)
    assert.same({ "3>6", "7>3", "8>5" }, pairs_of(app.store.areas.observees.links))
    assert.equal(404, (call("GET", "users/4")))
    local split_status, users = call("POST", "users/3/split")
    assert.equal(200, split_status)
    assert.same({ 3, 4 }, { users[1].id, users[2].id })
    assert.same({ "4>3", "4>6", "7>3", "7>4", "8>5" }, pairs_of(app.store.areas.observees.links))
    assert.equal(200, (call("GET", "users/4")))
  end)

  it("moves seeded links even when nothing has touched the observees area yet", function()
    local sjson = require "lcanvas.sandbox.json"
    local App = require "lcanvas.sandbox.app"
    local Store = require "lcanvas.sandbox.store"
    local seed = Store.deep_copy(require "lcanvas.sandbox.seed")
    seed.observer_links = { { observer_id = 7, student_id = 4, root_account_id = 1 } }
    local app = App.new(Store.new(seed))
    local function call(method, path)
      local res = app:handle({ method = method, path = "/api/v1/" .. path, query = "", body = "",
        headers = { authorization = "Bearer " .. sandbox.tokens.admin, host = "127.0.0.1" } }, "main")
      return res.status, sjson.decode(res.body)
    end
    assert.is_nil(app.store.areas.observees)
    assert.equal(200, (call("PUT", "users/4/merge_into/3")))
    assert.is_nil(app.store.users[4])
    local status, observees = call("GET", "users/7/observees")
    assert.equal(200, status)
    assert.same({ 3 }, { observees[1].id, observees[2] and observees[2].id })
  end)

  it("carries a link made through the API along with a merge (end to end)", function()
    sandbox.start()
    sandbox.reset()
    local c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    local pat = c:get_user(7)
    pat:add_observee(5)
    c:get_user(5):merge_into(c:get_user(6))
    local ids = {}
    for u in pat:get_observees() do ids[#ids + 1] = u.id end
    assert.same({ 6 }, ids)
    local observers = {}
    for u in c:get_user(6):get_observers() do observers[#observers + 1] = u.id end
    assert.same({ 7 }, observers)
  end)
end)
