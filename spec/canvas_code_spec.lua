-- Where Canvas's code differs from its docs, the client follows the code
-- (issue 13, client items 1-6, and the endpoints of the same controllers
-- lcanvas had no method for). Each spec asserts what the client SENDS (the
-- sandbox's request log, which records a request even when it answers 404)
-- and what it refuses or warns about, not the sandbox's answer.
local lcanvas = require "lcanvas"
local core = require "lcanvas.core"
local sandbox = require "helper"
local form = require "lcanvas.sandbox.params"   -- the sandbox's own decoder, not the client's

local capture = sandbox.capture

local function last() return sandbox.last_api_request() end

local function query(r) return form.parse_query(r.query) end

local function body(r) return form.parse_query(r.body) end

-- Runs fn, which may fail with Canvas's answer; the request is what counts.
local function send(fn, ...) pcall(fn, ...) return last() end

describe("following Canvas's code", function()
  local admin, student, me, warnings, prev
  setup(function()
    sandbox.start()
    prev = core.on_warning(function(msg) warnings[#warnings + 1] = msg end)
  end)
  teardown(function() core.on_warning(prev) end)
  before_each(function()
    sandbox.reset()
    sandbox.clear_requests()
    warnings = {}
    admin = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
    student = lcanvas.new(sandbox.url, sandbox.tokens.student, { max_retries = 0 })
    me = admin:get_user(3)   -- Sam Student, as the admin sees him
    sandbox.clear_requests()
  end)

  describe("1. optional fields of account user lists", function()
    it("asks include[] for them, and warns about a field Canvas's api_index never returns", function()
      admin:get_account(1):get_users({ search_term = "adams", include = { "email", "last_login" } }):first()
      assert.same({ "email", "last_login" }, query(last()).include)
      assert.same({}, warnings)
      admin:get_account(1):get_users({ include = { "locale" } }):first()
      assert.same({ "locale" }, query(last()).include)
      assert.same({ "Account:get_users asks include[]=locale, which Canvas's UsersController#api_index " ..
        "does not return (it returns: avatar_url, email, last_login, time_zone, uuid, ui_invoked); " ..
        "the field will be missing" }, warnings)
    end)

    it("refuses a filter Canvas's api_index does not read, before sending", function()
      local account = admin:get_account(1)
      sandbox.clear_requests()
      local err = capture(function() account:get_users({ name = "Avery" }) end)
      assert.matches("bad argument #1 to 'get_users' (Canvas does not read 'name' here", err, 1, true)
      assert.same({}, sandbox.api_requests())
    end)
  end)

  describe("2. parameters Canvas reads that could not be passed", function()
    it("get_user and get_current_user take include[]", function()
      admin:get_user(3, { include = { "uuid", "last_login" } })
      local r = last()
      assert.equal("/api/v1/users/3", r.path)
      assert.same({ "uuid", "last_login" }, query(r).include)
      admin:get_user("S0001", "sis_user_id", { include = { "uuid" } })
      assert.same({ "uuid" }, query(last()).include)
      admin:get_current_user({ include = { "last_login" } })
      r = last()
      assert.equal("/api/v1/users/self", r.path)
      assert.same({ "last_login" }, query(r).include)
      assert.same({}, warnings)
    end)

    it("get_activity_stream_summary takes only_active_courses and nothing else", function()
      student:get_activity_stream_summary({ only_active_courses = true })
      local r = last()
      assert.equal("/api/v1/users/self/activity_stream/summary", r.path)
      assert.equal("true", query(r).only_active_courses)
      sandbox.clear_requests()
      assert.matches("Canvas does not read 'context_code' here",
        capture(function() student:get_activity_stream_summary({ context_code = "course_1" }) end), 1, true)
      assert.same({}, sandbox.api_requests())
    end)
  end)

  describe("3. user ids", function()
    it("refuses an id type Canvas's Api.sis_parse_id does not know, before sending", function()
      local err = capture(function() admin:get_user("sam.student", "login_id") end)
      assert.matches("bad argument #2 to 'get_user'", err, 1, true)
      assert.matches("not 'login_id' (it would answer 404); a login is looked up as sis_login_id", err, 1, true)
      err = capture(function() admin:get_user("login_id:sam.student") end)
      assert.matches("bad argument #1 to 'get_user'", err, 1, true)
      assert.same({}, sandbox.api_requests())
    end)

    it("sends the ones Canvas knows", function()
      local u = admin:get_user("sam.student", "sis_login_id")
      assert.equal("/api/v1/users/sis_login_id:sam%2Estudent", last().path)
      assert.equal(3, u.id)
      for _, t in ipairs({ "sis_user_id", "sis_integration_id", "lti_user_id", "lti_context_id",
                           "lti_1_1_id", "lti_1_3_id", "uuid" }) do
        send(admin.get_user, admin, "x", t)
        assert.equal("/api/v1/users/" .. t .. ":x", last().path)
      end
      send(admin.get_user, admin, "hex:sis_user_id:4142")
      assert.equal("/api/v1/users/hex:sis_user_id:4142", last().path)
    end)
  end)

  describe("4. custom data", function()
    it("refuses a bare null before sending, as the BadRequest Canvas answers", function()
      local err = capture(function() me:set_custom_data("org.example.x", "k", lcanvas.null) end)
      assert.is_true(lcanvas.is_error(err, "BadRequest"))
      assert.equal("data", err.field)
      assert.matches('Canvas answers 400 "no data specified"', err.message, 1, true)
      assert.same({}, sandbox.api_requests())
      -- null inside a value is still sent as JSON null
      me:set_custom_data("org.example.x", "k", { gone = lcanvas.null, kept = 1 })
      assert.equal('{"data":{"gone":null,"kept":1},"ns":"org.example.x"}', last().body)
    end)
  end)

  describe("5. observer links", function()
    it("remove_observee sends root_account_id with a warning: Canvas's destroy never reads it", function()
      local robin = admin:get_user(8)
      robin:add_observee(4, { root_account_id = 1 })
      send(robin.remove_observee, robin, 4, { root_account_id = 1 })
      local r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/8/observees/4", r.path)
      assert.equal("root_account_id=1", r.body)
      assert.same({ "User:remove_observee sends 'root_account_id', which Canvas ignores: " ..
        "UserObserveesController#destroy never reads it and removes the link for every root account" },
        warnings)
    end)

    it("add_observee sends root_account_id (\"all\" too) and refuses anything else", function()
      local robin = admin:get_user(8)
      send(robin.add_observee, robin, 4, { root_account_id = "all" })
      assert.equal("root_account_id=all", last().body)
      sandbox.clear_requests()
      assert.matches("Canvas does not read 'root_account' here",
        capture(function() robin:add_observee(4, { root_account = 1 }) end), 1, true)
      assert.same({}, sandbox.api_requests())
    end)
  end)

  describe("6. parameters Canvas ignores without an error", function()
    it("are refused before sending where the controller reads none", function()
      local sam = student:get_current_user()
      sandbox.clear_requests()
      local cases = {
        { "create_pairing_code", function() sam:create_pairing_code({ expires_in = 60 }) end },
        { "get_upcoming_events", function() student:get_upcoming_events({ per_page = 5 }) end },
        { "get_color", function() sam:get_color("course_1", { default = "#fff" }) end },
        { "get_colors", function() sam:get_colors({ context = "course_1" }) end },
        { "get_dashboard_positions", function() sam:get_dashboard_positions({ course = 1 }) end },
      }
      for _, c in ipairs(cases) do
        local err = capture(c[2])
        assert.matches("to '" .. c[1] .. "' (Canvas does not read '", err, 1, true)
        assert.matches("reads no parameters)", err, 1, true)
      end
      assert.same({}, sandbox.api_requests())
    end)

    it("get_upcoming_events is not paginated: no per_page is sent", function()
      local events = student:get_upcoming_events():all()
      assert.is_table(events)
      local r = last()
      assert.equal("/api/v1/users/self/upcoming_events", r.path)
      assert.equal("", r.query)
      assert.equal(1, #sandbox.api_requests())
    end)

    it("settings keys outside Canvas's BOOLEAN_PREFS are refused; its own go through", function()
      local sam = student:get_current_user()
      sandbox.clear_requests()
      assert.matches("Canvas does not read 'dark_mode' here and would ignore it: UsersController#settings " ..
        "(PUT, BOOLEAN_PREFS) reads manual_mark_as_read, ",
        capture(function() sam:update_settings({ dark_mode = true }) end), 1, true)
      assert.same({}, sandbox.api_requests())
      send(sam.update_settings, sam, { collapse_course_nav = true, release_notes_badge_disabled = true,
        elementary_dashboard_disabled = false })
      assert.same({ collapse_course_nav = "true", elementary_dashboard_disabled = "false",
        release_notes_badge_disabled = "true" }, body(last()))
    end)

    it("edit without the user = {...} wrapper is refused (Canvas answers 200 and changes nothing)", function()
      local err = capture(function() me:edit({ short_name = "Sam" }) end)
      assert.matches("bad argument #1 to 'edit' (Canvas does not read 'short_name' here and would ignore " ..
        "it: UsersController#update reads user, override_sis_stickiness)", err, 1, true)
      assert.same({}, sandbox.api_requests())
      me:edit({ user = { short_name = "Sam" } })
      assert.same({ user = { short_name = "Sam" } }, body(last()))
    end)

    it("terminate_sessions and expire_mobile_sessions take no parameters", function()
      local err = capture(function() me:terminate_sessions({ keep = "browser" }) end)
      assert.matches("Canvas does not read 'keep' here and would ignore it: " ..
        "UsersController#terminate_sessions reads no parameters", err, 1, true)
      assert.same({}, sandbox.api_requests())
    end)
  end)

  describe("endpoints of the same controllers", function()
    it("update_text_editor_preference: PUT users/:id/text_editor_preference", function()
      send(me.update_text_editor_preference, me, "block_editor")
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/text_editor_preference", r.path)
      assert.equal("text_editor_preference=block_editor", r.body)
      send(me.update_text_editor_preference, me, "")
      assert.equal("text_editor_preference=", last().body)
      assert.error_matches(function() me:update_text_editor_preference(1) end,
        "text_editor_preference %(\"rce\", \"block_editor\" or \"\"%) must be a string or nil")
    end)

    it("update_files_ui_version_preference: PUT users/:id/files_ui_version_preference", function()
      send(me.update_files_ui_version_preference, me, "v2")
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/files_ui_version_preference", r.path)
      assert.equal("files_ui_version=v2", r.body)
      assert.error_matches(function() me:update_files_ui_version_preference() end, "files_ui_version")
    end)

    it("expire_mobile_sessions: DELETE users/:id/mobile_sessions, nothing else sent", function()
      send(me.expire_mobile_sessions, me)
      local r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/3/mobile_sessions", r.path)
      assert.equal("", r.body)
      assert.equal("", r.query)
    end)

    it("set_feature_flag and remove_feature_flag: PUT and DELETE users/:id/features/flags/:feature", function()
      send(me.set_feature_flag, me, "high_contrast", "on")
      local r = last()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/features/flags/high_contrast", r.path)
      assert.equal("state=on", r.body)
      send(me.remove_feature_flag, me, "high_contrast")
      r = last()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/3/features/flags/high_contrast", r.path)
      assert.equal("", r.body)
      assert.error_matches(function() me:set_feature_flag("high_contrast") end, "state")
      -- A Feature stands for its name.
      local feature = me:get_features():first()
      if feature then
        send(me.set_feature_flag, me, feature, "off")
        assert.equal("/api/v1/users/3/features/flags/" .. feature.feature, last().path)
      end
    end)
  end)

  it("a warning goes to stderr once when no handler is set", function()
    -- Through the lcanvas executable (linked like the build under test).
    local build = os.getenv("LCANVAS_BUILD") or "build"
    local exe = build:sub(1, 1) == "/" and (build .. "/lcanvas") or (sandbox.root .. "/" .. build .. "/lcanvas")
    local token = sandbox.tmpname()
    sandbox.write_file(token, sandbox.tokens.admin)
    os.execute("chmod 600 " .. token)
    local code, out, err = sandbox.sh(string.format("%q --url %q --token-file %q -e %q", exe, sandbox.url,
      token, "local u = canvas:get_user(8) for _ = 1, 3 do pcall(u.remove_observee, u, 4, " ..
      "{root_account_id = 1}) end"))
    os.remove(token)
    assert.equal(0, code, out .. err)
    local _, n = err:gsub("lcanvas: warning: User:remove_observee sends 'root_account_id'", "")
    assert.equal(1, n, err)
  end)
end)
