-- "Canvas's code is the truth", round two (issue 23): who may do what, which
-- fields come back and in which shape, checked against the sandbox as
-- canvas-lms's controllers, User#set_policy and lib/api/v1 serializers
-- decide them. Each case failed on the sandbox before policy.lua and
-- serializers.lua; the comment above each names the Canvas code.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local form = require "lcanvas.sandbox.params"
local http = require "socket.http"
local ltn12 = require "ltn12"

local last = sandbox.last_api_request
local capture = sandbox.capture

local FORM = { ["content-type"] = "application/x-www-form-urlencoded" }

-- A User object of `client` without fetching it (GET users/:id needs
-- api_show_user, which a teacher does not hold on a student).
local function user_of(client, id) return lcanvas.core.object("User", { id = id }, client) end

-- A raw request: status, body text, headers and the decoded body.
local function request(method, path, opts)
  opts = opts or {}
  local chunks, headers = {}, {}
  if opts.token ~= false then headers.authorization = "Bearer " .. (opts.token or sandbox.tokens.admin) end
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if opts.body then headers["content-length"] = #opts.body end
  local _, status, res_headers = http.request({
    url = sandbox.url .. path, method = method, headers = headers,
    source = opts.body and ltn12.source.string(opts.body) or nil,
    sink = ltn12.sink.table(chunks),
  })
  local body = table.concat(chunks)
  return status, body, res_headers, json.decode(body)
end

local function has_key(t, k)
  for key in pairs(t) do if key == k then return true end end
  return false
end

describe("Canvas's policies and serializers in the sandbox", function()
  local admin, teacher, student, parent
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    admin = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    teacher = lcanvas.new(sandbox.url, sandbox.tokens.teacher)   -- Terry (2), teaches courses 1-4
    student = lcanvas.new(sandbox.url, sandbox.tokens.student)   -- Sam (3), courses 1 and 2
    parent = lcanvas.new(sandbox.url, sandbox.tokens.parent)     -- Pat (7)
  end)

  describe("who may do what (User#set_policy)", function()
    -- PageViewsController#index asks for :view_statistics, which account
    -- admins hold and users do not hold on themselves.
    it("keeps a student out of their own page views", function()
      local me = student:get_current_user()
      local err = capture(function() me:get_page_views():first() end)
      assert.equal("Unauthorized", err.kind)
      assert.equal(401, err.status)
      assert.equal("/api/v1/users/3/page_views", last().path)
      assert.equal(45, admin:get_user(3):get_page_views({ per_page = 50 }):count())
      -- the 401/403 choice stays switchable
      sandbox.config({ unauthorized_status = 403 })
      assert.equal(403, (request("GET", "/api/v1/users/self/page_views", { token = sandbox.tokens.student })))
    end)

    -- UsersController#update: 401 when any sent attribute is outside what
    -- the caller may manage (email needs manage_user_details; foo nobody).
    it("refuses an update that sends an attribute the caller may not manage", function()
      local me = student:get_current_user()
      local err = capture(function() me:edit({ user = { email = "sam@elsewhere.test" } }) end)
      assert.equal("Unauthorized", err.kind)
      assert.same({ user = { email = "sam@elsewhere.test" } }, form.parse_query(last().body))
      assert.equal("sam.student@sandbox.test", admin:get_user(3):get_profile().primary_email)
      -- with one allowed attribute beside it, still all or nothing
      err = capture(function() me:edit({ user = { short_name = "Sammy", email = "x@y.test" } }) end)
      assert.equal("Unauthorized", err.kind)
      assert.equal("Sam", admin:get_user(3).short_name)
      -- what a user may change of themself
      me:edit({ user = { short_name = "Sammy", time_zone = "Europe/Paris" } })
      assert.equal("Sammy", admin:get_user(3).short_name)
      -- an admin may set email, but no attribute Canvas does not know
      local status, _, _, body = request("PUT", "/api/v1/users/3",
        { body = "user[short_name]=Sam&user[foo]=bar", headers = FORM })
      assert.equal(401, status)
      assert.equal("unauthorized", body.status)
      assert.equal("Sammy", admin:get_user(3).short_name)
      local u = admin:get_user(3)
      u:edit({ user = { email = "sam@school.test" } })
      assert.equal("sam@school.test", u.email)
      -- another student may change nothing
      err = capture(function() user_of(student, 4):edit({ user = { short_name = "x" } }) end)
      assert.equal("Unauthorized", err.kind)
    end)

    -- UsersController#terminate_sessions asks for :terminate_sessions, an
    -- admin's right (manage_user_logins) that users lack on themselves.
    it("lets only an admin terminate a user's sessions", function()
      local me = student:get_current_user()
      assert.equal("Unauthorized", capture(function() me:terminate_sessions() end).kind)
      assert.equal("/api/v1/users/3/sessions", last().path)
      assert.equal(3, student:get_current_user().id)   -- the token still works
      assert.equal("ok", admin:get_user(3):terminate_sessions())
    end)

    -- AuthenticationAuditApiController#for_user: the user themself, or who
    -- may see the accounts of their logins (view_statistics, manage_user_logins).
    it("lets users read their own authentication events", function()
      local events = student:get_current_user():get_authentication_events():all()
      assert.equal("/api/v1/audit/authentication/users/3", last().path)
      assert.is_true(#events > 0)
      local err = capture(function() user_of(student, 4):get_authentication_events():first() end)
      assert.equal("Unauthorized", err.kind)
      -- the linked login is pseudonym_json, the linked user user_json
      local _, _, _, doc = request("GET", "/api/v1/audit/authentication/users/3?per_page=1")
      assert.equal(3, doc.linked.logins[1].user_id)
      assert.equal("sam.student", doc.linked.logins[1].unique_id)
      assert.equal("S0001", doc.linked.users[1].sis_user_id)
    end)

    -- ProfileController#settings asks for :read_profile, which a teacher
    -- holds through read_reports in the student's course.
    it("lets a teacher read their student's profile, and no one else's", function()
      -- api_show is not the profile: GET users/3 is a 404 for the teacher
      assert.equal("ResourceDoesNotExist", capture(function() teacher:get_user(3) end).kind)
      local p = user_of(teacher, 3):get_profile()
      assert.equal("/api/v1/users/3/profile", last().path)
      assert.equal(3, p.id)
      assert.equal("sam.student@sandbox.test", p.primary_email)   -- read_email_addresses in the course
      assert.equal("sam.student", p.login_id)
      assert.is_nil(p.calendar)
      local err = capture(function() user_of(teacher, 9):get_profile() end)   -- Nico: in none of Terry's courses
      assert.equal("Unauthorized", err.kind)
      err = capture(function() user_of(student, 4):get_profile() end)        -- a classmate
      assert.equal("Unauthorized", err.kind)
    end)

    -- EportfoliosApiController#index: include[]=deleted is for admins
    -- (moderate_user_content); the owner never sees deleted portfolios.
    it("never shows an owner their deleted ePortfolios", function()
      local mine = student:get_current_user():get_eportfolios({ include = { "deleted" } }):all()
      assert.same({ "deleted" }, form.parse_query(last().query).include)
      assert.equal(3, #mine)
      for _, e in ipairs(mine) do assert.equal("active", e.workflow_state) end
      assert.equal(4, admin:get_user(3):get_eportfolios({ include = { "deleted" } }):count())
      assert.equal(3, admin:get_user(3):get_eportfolios():count())
      assert.equal("Unauthorized", capture(function() user_of(teacher, 3):get_eportfolios():first() end).kind)
    end)

    -- UserObserveesController: the user themself, or manage_user_observers
    -- on the root account; a parent may not look at someone else's links.
    it("lets users manage their own observees and admins anyone's", function()
      local err = capture(function() user_of(parent, 121):get_observees():first() end)
      assert.equal("Unauthorized", err.kind)
      assert.equal(2, admin:get_user(121):get_observees():count())
      local pat = parent:get_current_user()
      pat:add_observee_with_credentials({ observee = { unique_id = "sam.student", password = "pass-sam.student" } })
      assert.equal(3, pat:get_observees():first().id)
      -- adding by id needs the admin right even for your own observees
      assert.equal("Unauthorized", capture(function() pat:add_observee(4) end).kind)
    end)
  end)

  describe("which fields come back (lib/api/v1)", function()
    -- api_show_includes: first_name, last_name, locale, avatar_url,
    -- permissions, email and effective_locale always; avatar_state and
    -- confirmation_url only for who may see them.
    it("sends api_show's fixed fields, effective_locale to yourself only", function()
      local _, _, _, u = request("GET", "/api/v1/users/3")
      assert.equal("Sam", u.first_name)
      assert.equal("Student", u.last_name)
      assert.same({ can_update_name = true, can_update_avatar = true, limit_parent_app_web_access = false },
        u.permissions)
      assert.is_false(has_key(u, "effective_locale"))
      local _, _, _, me = request("GET", "/api/v1/users/self", { token = sandbox.tokens.student })
      assert.equal("en", me.effective_locale)
      assert.equal("Sam", me.first_name)
      assert.is_table(me.permissions)
      -- a student's own record has no login or SIS fields, nor email
      -- (read_email_addresses on the root account is an admin's)
      for _, k in ipairs({ "login_id", "sis_user_id", "integration_id", "email" }) do
        assert.is_false(has_key(me, k), k)
      end
    end)

    it("honours include[]=avatar_state and confirmation_url for admins only", function()
      local u = admin:get_user(3, { include = { "avatar_state", "confirmation_url" } })
      assert.same({ "avatar_state", "confirmation_url" }, form.parse_query(last().query).include)
      assert.equal("approved", u.avatar_state)
      assert.matches("^http://.*/register/", u.confirmation_url)
      local _, _, _, me = request("GET", "/api/v1/users/self?include[]=avatar_state&include[]=confirmation_url",
        { token = sandbox.tokens.student })
      assert.is_false(has_key(me, "avatar_state"))
      assert.is_false(has_key(me, "confirmation_url"))
    end)

    -- user_json for an admin of the context: sis_user_id and integration_id
    -- (read_sis), sis_import_id (manage_sis), login_id (view_user_logins).
    it("sends integration_id beside the SIS id, null when there is none", function()
      local _, body, _, u = request("GET", "/api/v1/users/3")
      assert.equal("S0001", u.sis_user_id)
      assert.matches('"integration_id":null', body, 1, true)
      assert.equal(1, u.sis_import_id)
      assert.equal("sam.student", u.login_id)
      local _, body9 = request("GET", "/api/v1/users/9")   -- Nico: a login without a SIS id
      assert.matches('"sis_user_id":null', body9, 1, true)
      assert.matches('"login_id":"nico.nobody"', body9, 1, true)
    end)

    -- user_profile_json: calendar, lti_user_id, effective_locale and the K-5
    -- flags for yourself; sis_user_id only for who may read SIS data.
    it("keeps the self-only profile fields to yourself, and SIS ids to admins", function()
      local _, _, _, mine = request("GET", "/api/v1/users/self/profile", { token = sandbox.tokens.student })
      assert.matches("%.ics$", mine.calendar.ics)
      assert.is_string(mine.lti_user_id)
      assert.equal("en", mine.effective_locale)
      assert.is_false(has_key(mine, "sis_user_id"))
      assert.equal("sam.student", mine.login_id)
      local _, _, _, seen = request("GET", "/api/v1/users/3/profile")
      for _, k in ipairs({ "calendar", "lti_user_id", "effective_locale" }) do assert.is_false(has_key(seen, k), k) end
      assert.equal("S0001", seen.sis_user_id)
    end)

    -- render_student_json: user_json without a context (no login or SIS
    -- fields for anyone); index: users_json on the root account (all four).
    it("sends observee answers the way the controller builds them", function()
      local pat = admin:get_user(7)
      local added = pat:add_observee(3)
      for _, k in ipairs({ "sis_user_id", "login_id", "integration_id", "sis_import_id" }) do
        assert.is_nil(added[k], "add: " .. k)
      end
      assert.same({ 1 }, added.observation_link_root_account_ids)
      local shown = pat:show_observee(3)
      assert.is_nil(shown.sis_user_id)
      assert.is_nil(shown.login_id)
      local listed = pat:get_observees({ include = { "avatar_url", "uuid" } }):first()
      assert.same({ "avatar_url", "uuid" }, form.parse_query(last().query).include)
      assert.equal("S0001", listed.sis_user_id)
      assert.equal("sam.student", listed.login_id)
      assert.equal(1, listed.sis_import_id)
      assert.is_true(listed.integration_id == lcanvas.null or listed.integration_id == nil)
      local _, body = request("GET", "/api/v1/users/7/observees")
      assert.matches('"integration_id":null', body, 1, true)
      assert.is_string(listed.uuid)      -- any include[] passes through
      assert.is_string(listed.avatar_url)
      local removed = pat:remove_observee(3)
      assert.is_nil(removed.sis_user_id)
      assert.is_nil(removed.login_id)
    end)

    -- lib/api/v1/grade_change_event.rb: users have no href in links_json;
    -- linked users are users_json on the root account.
    it("answers the grade change log's links and linked users as grade_change_event.rb builds them", function()
      local status, body, _, doc = request("GET", "/api/v1/audit/grade_change/students/3")
      assert.equal(200, status)
      for _, k in ipairs({ "events.student", "events.grader" }) do
        assert.equal("user", doc.links[k].type)
        assert.is_true(has_key(doc.links[k], "href"), k)   -- sent as null
      end
      assert.matches('"href":null', body, 1, true)
      local by_id = {}
      for _, u in ipairs(doc.linked.users) do by_id[u.id] = u end
      assert.equal("S0001", by_id[3].sis_user_id)
      assert.equal("sam.student", by_id[3].login_id)
    end)

    -- user_json on the course (CoursesController#users, enrollment_json,
    -- section_json's students): login_id for view_user_logins, SIS ids for
    -- read_sis, sis_import_id only with manage_sis on the root account. TAs
    -- do not read SIS data (role_override.rb: read_sis is true for
    -- AccountAdmin and TeacherEnrollment).
    it("sends course users' login and SIS fields as the caller's course rights allow", function()
      local function sam(path, token)
        for _, u in ipairs(select(4, request("GET", path, { token = token }))) do
          if u.id == 3 then return u end
        end
      end
      local seen = sam("/api/v1/courses/1/users?per_page=100&search_term=sam")
      assert.equal("S0001", seen.sis_user_id)
      assert.equal("sam.student", seen.login_id)
      assert.equal(1, seen.sis_import_id)
      seen = sam("/api/v1/courses/1/users?per_page=100&search_term=sam", sandbox.tokens.teacher)
      assert.equal("S0001", seen.sis_user_id)
      assert.equal("sam.student", seen.login_id)
      assert.is_false(has_key(seen, "sis_import_id"))
      seen = sam("/api/v1/courses/1/users?per_page=100&search_term=sam&as_user_id=101")   -- a TA
      assert.equal("sam.student", seen.login_id)
      assert.is_false(has_key(seen, "sis_user_id"))
      local _, _, _, course = request("GET", "/api/v1/courses/1?as_user_id=101")
      assert.is_false(has_key(course, "sis_course_id"))
      local _, _, _, role = request("GET", "/api/v1/accounts/1/roles/4")
      assert.equal("TaEnrollment", role.role)
      assert.is_false(role.permissions.read_sis.enabled)
      seen = sam("/api/v1/courses/1/users?per_page=100&search_term=sam", sandbox.tokens.student)
      for _, k in ipairs({ "sis_user_id", "login_id", "sis_import_id", "email" }) do
        assert.is_false(has_key(seen, k), k)
      end
    end)

    -- admin_json: user_json(admin.user, current_user, session) on the
    -- controller's @context, the account: its admins see logins and SIS ids.
    it("sends an account's admins with the login a sub-account admin may see", function()
      local _, _, _, list = request("GET", "/api/v1/accounts/2/admins?as_user_id=100")
      assert.equal(115, list[2].user.id)
      assert.equal("U0015", list[2].user.sis_user_id)
      assert.is_string(list[2].user.login_id)
      assert.is_false(has_key(list[2].user, "sis_import_id"))   -- manage_sis on the root: not theirs
    end)

    it("lists default_to_block_editor among the settings", function()
      local s = student:get_current_user():get_settings()
      assert.is_false(s.default_to_block_editor)
      s = student:get_current_user():update_settings({ default_to_block_editor = true })
      assert.same({ default_to_block_editor = "true" }, form.parse_query(last().body))
      assert.is_true(s.default_to_block_editor)
    end)

    -- merge_into renders user_json(into_user, ..., %w[locale], destination_account).
    it("answers merge_into with the locale", function()
      local u = admin:get_user(301)
      u:merge_into(302)
      assert.equal(302, u.id)
      assert.equal("en", u.locale)
    end)

    -- create_user adds terms_of_use to the includes when user[terms_of_use] is sent.
    it("answers create_user with terms_of_use when it was sent", function()
      local a = admin:get_account(1)
      local u = a:create_user({ unique_id = "terms.yes" }, { user = { name = "Terms Yes", terms_of_use = true } })
      assert.is_true(u.terms_of_use)
      local v = a:create_user({ unique_id = "terms.unsent" }, { user = { name = "Terms Unsent" } })
      assert.is_nil(v.terms_of_use)
    end)
  end)

  describe("answers and errors in Canvas's shape", function()
    -- moderate_all: render json: :success
    it("answers moderating every ePortfolio with the JSON string \"success\"", function()
      local status, body = request("PUT", "/api/v1/users/3/eportfolios",
        { body = "spam_status=marked_as_spam", headers = FORM })
      assert.equal(200, status)
      assert.equal('"success"', body)
      status, body = request("PUT", "/api/v1/users/3/eportfolios", { body = "spam_status=spammy", headers = FORM })
      assert.equal(400, status)
      assert.same({ error = 'spam_status must be one of ["marked_as_safe", "marked_as_spam"]' }, json.decode(body))
      local err = capture(function() admin:get_user(3):moderate_all_eportfolios({ spam_status = "spammy" }) end)
      assert.equal("BadRequest", err.kind)
    end)

    it("answers a bad colour with {message}", function()
      local status, _, _, body = request("PUT", "/api/v1/users/3/colors/course_1",
        { body = "hexcode=nothex", headers = FORM })
      assert.equal(400, status)
      assert.same({ message = "Invalid Hexcode Provided" }, body)
      local err = capture(function() admin:get_user(3):update_color("course_1", "zz") end)
      assert.equal("BadRequest", err.kind)
      assert.matches("Invalid Hexcode Provided", err.message, 1, true)
      -- an asset that does not exist is Canvas's usual 404
      status, _, _, body = request("PUT", "/api/v1/users/3/colors/course_99", { body = "hexcode=fff", headers = FORM })
      assert.equal(404, status)
      assert.equal("The specified resource does not exist.", body.errors[1].message)
    end)

    -- set_dashboard_positions: Integer(val), at most 1,000 either way.
    it("refuses a dashboard position over 1,000 or not a number, with {message}", function()
      local me = student:get_current_user()
      local err = capture(function() me:update_dashboard_positions({ course_1 = 1001 }) end)
      assert.equal("BadRequest", err.kind)
      local status, _, _, body = request("PUT", "/api/v1/users/self/dashboard_positions",
        { body = "dashboard_positions[course_1]=-1001", headers = FORM, token = sandbox.tokens.student })
      assert.equal(400, status)
      assert.same({ message = "Position -1001 is too high. Your dashboard cards can probably be sorted with " ..
        "numbers 1-5, you could even use a 0." }, body)
      status, _, _, body = request("PUT", "/api/v1/users/self/dashboard_positions",
        { body = "dashboard_positions[course_1]=first", headers = FORM, token = sandbox.tokens.student })
      assert.equal(400, status)
      assert.same({ message = "Invalid position provided" }, body)
      assert.same({}, me:get_dashboard_positions().dashboard_positions)
      assert.equal(1000, me:update_dashboard_positions({ course_1 = 1000 }).dashboard_positions.course_1)
      -- a course the caller cannot read: 401
      assert.equal("Unauthorized", capture(function() me:update_dashboard_positions({ course_3 = 2 }) end).kind)
    end)

    -- PseudonymsController#index and api_index with sort=id page with bookmarks.
    it("pages logins and sort=id user lists by bookmark", function()
      local _, _, h = request("GET", "/api/v1/users/1/logins?per_page=1")
      assert.matches("page=bookmark:", h.link, 1, true)
      assert.matches("page=first", h.link, 1, true)
      assert.equal(2, admin:get_user(1):get_user_logins({ per_page = 1 }):count())
      _, _, h = request("GET", "/api/v1/accounts/1/users?sort=id&per_page=5")
      assert.matches("page=bookmark:", h.link, 1, true)
      local ids = {}
      for u in admin:get_account(1):get_users({ sort = "id", per_page = 50 }):iter() do ids[#ids + 1] = u.id end
      assert.equal(312, #ids)
      for i = 2, #ids do assert.is_true(ids[i - 1] < ids[i]) end
      _, _, h = request("GET", "/api/v1/accounts/1/users?sort=username&per_page=5")
      assert.matches("page=2", h.link, 1, true)
    end)
  end)
end)

-- policy.lua's own answers, on an in-process sandbox: what the course and
-- account routes ask it for.
describe("policy.lua", function()
  local App = require "lcanvas.sandbox.app"
  local Store = require "lcanvas.sandbox.store"
  local policy = require "lcanvas.sandbox.policy"
  local app
  before_each(function() app = App.new(Store.new(require "lcanvas.sandbox.seed")) end)

  it("gives course rights by enrollment role and to admins up the account chain", function()
    local bio, hist = app.store.courses[1], app.store.courses[3]   -- hist is in sub-account 2
    local teacher = policy.course_rights(app, 2, bio)
    assert.is_true(teacher.read_as_admin and teacher.read_reports and teacher.view_user_logins)
    local student = policy.course_rights(app, 3, bio)
    assert.is_true(student.read and student.participate_as_student)
    assert.is_nil(student.read_as_admin)
    assert.same({}, policy.course_rights(app, 9, bio))            -- Nico: not in the course
    assert.is_true(policy.course_rights(app, 1, hist).manage_grades)  -- the root admin, below
    assert.is_true(policy.can(app, 1, "manage_sis", { account = app.store.accounts[2] }))
    assert.is_false(policy.can(app, 2, "read_roster", { account = app.store.accounts[1] }))
  end)

  -- A narrower admin is a custom account role with the permissions it
  -- holds and a membership naming it, as Canvas keeps AccountUser and Role.
  it("takes narrower admins from a custom account role, on their account and below only", function()
    local store = app.store
    local role = store:add_role({ name = "Roster Reader", base_role_type = "AccountMembership", account_id = 1,
      permissions = { read_roster = true } })
    store.account_users = {}
    local au = store:add_account_user(2, 2, role.id)   -- Terry, on School of Sandbox Science
    assert.is_true(policy.can(app, 2, "read_roster", { account = store.accounts[2] }))
    assert.is_true(policy.can(app, 2, "read_roster", { account = store.accounts[4] }))   -- below it
    assert.is_false(policy.can(app, 2, "read_roster", { account = store.accounts[1] }))
    assert.is_false(policy.can(app, 2, "manage_user_logins", { account = store.accounts[2] }))
    -- read_roster on a user's account gives api_show_user on the user (user 100 is in account 2)
    assert.is_true(policy.can(app, 2, "api_show_user", { user = store.users[100] }))
    assert.is_false(policy.can(app, 2, "api_show_user", { user = store.users[101] }))
    -- a membership counts while it is active and its role is not deleted
    au.workflow_state = "deleted"
    assert.is_false(policy.can(app, 2, "read_roster", { account = store.accounts[2] }))
    assert.is_false(policy.is_account_admin(app, 2, store.accounts[2]))
    au.workflow_state = "active"
    role.workflow_state = "deleted"
    assert.is_false(policy.can(app, 2, "read_roster", { account = store.accounts[2] }))
  end)

  it("reads the seed's memberships: AccountAdmins hold everything, the Sandbox Auditor what its role names", function()
    local store = app.store
    local sci, hist = store.accounts[2], store.courses[3]          -- course 3 is in account 2
    assert.is_true(policy.can(app, 100, "manage_courses", { account = sci }))       -- AccountAdmin on 2
    assert.is_true(policy.can(app, 100, "import_sis", { account = sci }))           -- every permission
    assert.is_false(policy.can(app, 100, "manage_courses", { account = store.accounts[1] }))
    assert.is_true(policy.can(app, 115, "read_sis", { account = sci }))             -- Sandbox Auditor
    assert.is_false(policy.can(app, 115, "manage_courses", { account = sci }))
    assert.is_false(policy.can(app, 115, "manage_account_memberships", { account = sci }))
    local auditor = policy.course_rights(app, 115, hist)
    assert.is_true(auditor.read and auditor.read_as_admin and auditor.read_roster and auditor.read_sis)
    assert.is_nil(auditor.update)
    assert.is_nil(auditor.manage_students)
    assert.is_true(policy.is_account_admin(app, 115, sci))
    assert.is_false(policy.is_account_admin(app, 115, store.accounts[1]))
    -- an admin the Admins API removes is no admin any more
    for _, au in ipairs(store.account_users) do
      if au.user_id == 100 then au.workflow_state = "deleted" end
    end
    assert.is_false(policy.can(app, 100, "manage_courses", { account = sci }))
  end)

  -- role_override.rb's true_for and applies_to_concluded, by enrollment.
  it("gives each course role its default permissions, and a concluded enrollment only those that last", function()
    local bio = app.store.courses[1]
    local ta = policy.course_rights(app, 101, bio)
    assert.is_true(ta.read_as_admin and ta.view_user_logins and ta.read_email_addresses and ta.manage_students)
    assert.is_nil(ta.read_sis)                     -- true_for AccountAdmin and TeacherEnrollment only
    assert.is_nil(ta.manage_admin_users)
    assert.same(ta, policy.course_rights(app, 103, bio))   -- Sandbox Reviewer: a TA-based role
    local designer = policy.course_rights(app, 102, bio)
    assert.is_true(designer.manage_students and designer.manage_sections and designer.update)
    assert.is_nil(designer.view_all_grades)
    local concluded = policy.course_rights(app, 106, bio)  -- a completed student enrollment
    assert.is_true(concluded.read)
    assert.is_nil(concluded.read_roster)           -- applies_to_concluded: teachers, TAs, designers
    assert.same({}, policy.course_rights(app, 105, bio))   -- inactive
    -- a custom course role turns its base role's defaults on and off
    local role = app.store:add_role({ name = "Quiet TA", base_role_type = "TaEnrollment", account_id = 1,
      permissions = { send_messages = false, read_sis = true } })
    app.store.enrollments[#app.store.enrollments + 1] = { id = 9001, user_id = 9, course_id = 1,
      type = "TaEnrollment", role_id = role.id, enrollment_state = "active" }
    local quiet = policy.course_rights(app, 9, bio)   -- Nico, in no other course
    assert.is_true(quiet.read_sis and quiet.manage_grades)
    assert.is_nil(quiet.send_messages)
  end)

  it("gives user rights to the user, their teachers, admins and observers", function()
    local sam = app.store.users[3]
    assert.is_true(policy.can(app, 3, "manage", { user = sam }))
    assert.is_false(policy.can(app, 3, "view_statistics", { user = sam }))
    assert.is_true(policy.can(app, 2, "read_profile", { user = sam }))
    assert.is_false(policy.can(app, 2, "read", { user = sam }))
    assert.is_true(policy.can(app, 1, "view_statistics", { user = sam }))
    assert.is_false(policy.can(app, 122, "read", { user = app.store.users[121] }))
    assert.is_true(policy.can(app, 121, "read", { user = app.store.users[122] }))   -- an observer link
    assert.error_matches(function() policy.can(app, 1, "read", {}) end, "target must be")
  end)
end)
