-- canvasapi's User methods (all but observees, merge_into and settings)
-- against the sandbox: what was sent, what came back, and state changes seen
-- through a second call.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local params = require "lcanvas.sandbox.params"

local api_requests = sandbox.api_requests

local last_api = sandbox.last_api_request

local function form(r) return params.parse_query(r.body) end
local function query(r) return params.parse_query(r.query) end

local raises = sandbox.raises

local function plain_error(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok)
  assert.equal("string", type(err), "expected a plain Lua error, got " .. tostring(err))
  return err
end

describe("User methods", function()
  local c, u
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    u = c:get_user(3)
    sandbox.clear_requests()
  end)

  -- Every endpoint row: verb, path, and the type of what comes back.
  describe("endpoint rows", function()
    -- name -> { verb, path for user 3, args, result type ("dict", "raw", "self" or a
    -- resource type), list, prepare(user) before the call, path when prepare changed it }
    local expected = {
      edit = { "PUT", "/api/v1/users/3", { { user = { short_name = "Sammy" } } }, "self" },
      get_profile = { "GET", "/api/v1/users/3/profile", {}, "dict" },
      get_courses = { "GET", "/api/v1/users/3/courses", {}, "Course", true },
      get_page_views = { "GET", "/api/v1/users/3/page_views", {}, "PageView", true },
      create_communication_channel = { "POST", "/api/v1/users/3/communication_channels",
        { { communication_channel = { address = "sam@example.com", type = "email" } } }, "CommunicationChannel" },
      get_communication_channels = { "GET", "/api/v1/users/3/communication_channels", {}, "CommunicationChannel",
        true },
      get_assignments = { "GET", "/api/v1/users/3/courses/1/assignments", { 1 }, "Assignment", true },
      get_authentication_events = { "GET", "/api/v1/audit/authentication/users/3", {}, "AuthenticationEvent", true },
      get_avatars = { "GET", "/api/v1/users/3/avatars", {}, "Avatar", true },
      get_calendar_events_for_user = { "GET", "/api/v1/users/3/calendar_events", {}, "CalendarEvent", true },
      get_closed_poll_sessions = { "GET", "/api/v1/poll_sessions/closed", {}, "PollSession", true },
      get_open_poll_sessions = { "GET", "/api/v1/poll_sessions/opened", {}, "PollSession", true },
      -- Canvas answers 404 for a colour never set: set one first.
      get_color = { "GET", "/api/v1/users/3/colors/course_1", { "course_1" }, "dict",
        nil, function(user) user:update_color("course_1", "#123456") end },
      get_colors = { "GET", "/api/v1/users/3/colors", {}, "dict" },
      get_content_exports = { "GET", "/api/v1/users/3/content_exports", {}, "ContentExport", true,
        function(user) user:export_content("zip") end },
      get_migration_systems = { "GET", "/api/v1/users/3/content_migrations/migrators", {}, "Migrator", true },
      get_enabled_features = { "GET", "/api/v1/users/3/features/enabled", {}, "raw" },
      get_enrollments = { "GET", "/api/v1/users/3/enrollments", {}, "Enrollment", true },
      get_eportfolios = { "GET", "/api/v1/users/3/eportfolios", {}, "EPortfolio", true },
      get_file_quota = { "GET", "/api/v1/users/3/files/quota", {}, "dict" },
      get_files = { "GET", "/api/v1/users/3/files", {}, "File", true },
      get_folders = { "GET", "/api/v1/users/3/folders", {}, "Folder", true },
      get_grade_change_events_for_grader = { "GET", "/api/v1/audit/grade_change/graders/3", {}, "GradeChangeEvent",
        true, function(user) user.id = 2 end, "/api/v1/audit/grade_change/graders/2" },
      get_grade_change_events_for_student = { "GET", "/api/v1/audit/grade_change/students/3", {}, "GradeChangeEvent",
        true },
      get_licenses = { "GET", "/api/v1/users/3/content_licenses", {}, "License", true },
      get_missing_submissions = { "GET", "/api/v1/users/3/missing_submissions", {}, "Assignment", true },
      get_user_logins = { "GET", "/api/v1/users/3/logins", {}, "Login", true },
    }

    it("has a row with a doc string for every plain method", function()
      local rows = lcanvas.core.endpoints("User")
      for name, e in pairs(expected) do
        local row = rows[name]
        assert.is_table(row, name)
        assert.equal(e[1], row.method, name)
        assert.equal(e[5] == true, row.list, name)
        assert.is_string(row.doc, name)
        assert.is_true(#row.doc > 10, name)
      end
      for name, row in pairs(rows) do
        assert.is_string(row.doc, name .. " has no doc string")
        assert.is_string(row.path, name)
      end
      for _, name in ipairs({ "get_content_export", "get_content_migration", "get_file", "get_folder",
        "set_usage_rights", "remove_usage_rights" }) do
        assert.is_table(rows[name], name)
      end
    end)

    for name, e in pairs(expected) do
      it(name .. " sends " .. e[1] .. " " .. e[2] .. " and returns " .. e[4], function()
        if e[6] then
          e[6](u)
          sandbox.clear_requests()
        end
        local got = u[name](u, table.unpack(e[3]))
        if e[5] then
          assert.equal("lcanvas.PaginatedList", getmetatable(got).__name)
          assert.equal(0, #api_requests())  -- lazy
          local first = got:first()
          assert.is_true(lcanvas.is_object(first, e[4]), name .. " item is " .. tostring(first))
        elseif e[4] == "self" then
          assert.is_true(rawequal(u, got))
        elseif e[4] == "dict" or e[4] == "raw" then
          assert.equal("table", type(got))
          assert.is_false(lcanvas.is_object(got))
        end
        local r = last_api()
        assert.equal(e[1], r.method)
        assert.equal(e[7] or e[2], r.path)
      end)
    end

    it("has every hand-written method too, documented in lua/lcanvas/types/user.lua", function()
      local src = assert(io.open(sandbox.root .. "/lua/lcanvas/types/user.lua")):read("a")
      for _, name in ipairs({ "moderate_all_eportfolios", "terminate_sessions", "upload" }) do
        assert.is_function(u[name], name)
        assert.is_nil(lcanvas.core.endpoints("User")[name], name .. " is hand-written, not a row")
        assert.matches("%-%-%- User:" .. name .. "%(", src)
      end
      -- Once hand-written, now rows (a parameter argument, items given the
      -- user's id): each with its doc, in the same file.
      for _, name in ipairs({ "create_folder", "create_content_migration", "get_content_migrations",
        "get_features", "get_feature_flag", "export_content", "update_color", "resolve_path" }) do
        assert.is_function(u[name], name)
        local row = lcanvas.core.endpoints("User")[name]
        assert.is_table(row, name .. " is a row")
        assert.is_string(row.doc, name)
        assert.matches('name = "' .. name .. '"', src, 1, true)
      end
    end)

    it("takes objects or ids for positional arguments, and refuses nil before any request", function()
      local course = c:get_user(3):get_courses():first()
      assert.equal(course.id, u:get_assignments(course):first().course_id)
      assert.equal("/api/v1/users/3/courses/" .. course.id .. "/assignments", last_api().path)
      sandbox.clear_requests()
      local err = plain_error(function() return u:get_assignments(nil) end)
      assert.matches("bad argument #1 to 'get_assignments' %(an id is required", err)
      err = plain_error(function() return u:create_folder(nil) end)
      assert.matches("bad argument #1 to 'create_folder' %(name must be", err)
      plain_error(u.get_file, u, {})
      plain_error(u.get_folder, u, 0)
      assert.equal(0, #api_requests())
    end)

    it("prints objects by their template, or generically when its fields are missing", function()
      local folder = lcanvas.core.object("Folder", { id = 9, full_name = "my files/a" }, c)
      assert.equal("my files/a (9)", tostring(folder))
      assert.equal("Folder (9)", tostring(lcanvas.core.object("Folder", { id = 9 }, c)))
      assert.equal("Folder: Labs (9)", tostring(lcanvas.core.object("Folder", { id = 9, name = "Labs" }, c)))
    end)

    it("sends optional parameters as a trailing table", function()
      u:get_courses({ enrollment_state = "active" }):first()
      assert.equal("active", query(last_api()).enrollment_state)
      -- (get_content_exports served here until its row was read from the
      -- controller: ContentExportsApiController#index reads no include)
      u:get_files({ per_page = 3, include = { "user" } }):all()
      local q = query(last_api())
      assert.equal("3", q.per_page)
      assert.same({ "user" }, q.include)
      assert.error_matches(function() u:get_content_exports({ include = { "attachment" } }) end,
        "Canvas does not read 'include' here", 1, true)
    end)
  end)

  describe("folders and files", function()
    it("creates a folder that then shows in lists, by id and by path", function()
      local f = u:create_folder("Lab Work", { parent_folder_path = "Documents/x y" })
      local r = last_api()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/users/3/folders", r.path)
      assert.same({ name = "Lab Work", parent_folder_path = "Documents/x y" }, form(r))
      assert.is_true(lcanvas.is_object(f, "Folder"))
      assert.equal("my files/Documents/x y/Lab Work", f.full_name)
      assert.equal("my files/Documents/x y/Lab Work (" .. f.id .. ")", tostring(f))

      assert.equal(f, u:get_folder(f))
      assert.equal("/api/v1/users/3/folders/" .. f.id, last_api().path)
      assert.equal("Lab Work", u:get_folder(f.id).name)
      local names = {}
      for x in u:get_folders() do names[x.full_name] = true end
      assert.is_true(names["my files/Documents/x y/Lab Work"])

      local chain = u:resolve_path("Documents/x y/Lab Work"):all()
      assert.equal("/api/v1/users/3/folders/by_path/Documents/x%20y/Lab%20Work", last_api().path)
      assert.equal(4, #chain)
      assert.equal("my files", chain[1].name)
      assert.equal(f, chain[4])
      local root = u:resolve_path():all()
      assert.equal("/api/v1/users/3/folders/by_path", last_api().path)
      assert.equal(1, #root)
      assert.equal("my files", root[1].full_name)
    end)

    it("refuses a folder without a name before any request, and a duplicate with BadRequest", function()
      plain_error(u.create_folder, u, nil)
      plain_error(u.create_folder, u, "")
      plain_error(u.create_folder, u, "x", "not a table")
      assert.equal(0, #api_requests())
      u:create_folder("Once")
      local err = raises("BadRequest", u.create_folder, u, "Once")
      assert.equal(400, err.status)
      local n = 0
      for x in u:get_folders() do if x.name == "Once" then n = n + 1 end end
      assert.equal(1, n)
    end)

    it("404s a path that does not exist and another user's folder", function()
      raises("ResourceDoesNotExist", function() return u:resolve_path("Nope/Not here"):all() end)
      local other = c:get_user(4):get_folders():first()
      raises("ResourceDoesNotExist", u.get_folder, u, other.id)
    end)

    it("lists files over several pages and fetches one by object or id", function()
      local list = u:get_files({ per_page = 5 })
      local all = list:all()
      assert.equal(12, #all)
      local reqs = api_requests()
      assert.equal(3, #reqs)
      assert.matches("page=3", reqs[3].query)
      local f = all[2]
      assert.is_true(lcanvas.is_object(f, "File"))
      assert.equal(f.display_name .. " (" .. f.id .. ")", tostring(f))
      assert.equal(f, u:get_file(f))
      assert.equal("/api/v1/users/3/files/" .. f.id, last_api().path)
      assert.equal(f.size, u:get_file(f.id).size)
      local quota = u:get_file_quota()
      local used = 0
      for _, x in ipairs(all) do used = used + x.size end
      assert.equal(used, quota.quota_used)
      assert.is_true(quota.quota > used)
    end)

    it("sets and removes usage rights, changing the files", function()
      local files = u:get_files():take(2)
      local ids = { files[1].id, files[2].id }
      local rights = u:set_usage_rights({ file_ids = ids,
        usage_rights = { use_justification = "creative_commons", license = "cc_by_sa", legal_copyright = "(c) Sam" } })
      local r = last_api()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/usage_rights", r.path)
      local body = form(r)
      assert.same({ tostring(ids[1]), tostring(ids[2]) }, body.file_ids)
      assert.equal("creative_commons", body.usage_rights.use_justification)
      assert.is_true(lcanvas.is_object(rights, "UsageRights"))
      assert.equal("cc_by_sa", rights.license)
      assert.equal("2 files updated", rights.message)
      assert.equal("cc_by_sa", u:get_file(ids[1]).usage_rights.license)
      assert.equal("(c) Sam", u:get_file(ids[2]).usage_rights.legal_copyright)

      local removed = u:remove_usage_rights({ file_ids = { ids[1] } })
      r = last_api()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/3/usage_rights", r.path)
      assert.same({ tostring(ids[1]) }, form(r).file_ids)
      assert.is_false(lcanvas.is_object(removed))
      assert.equal("Usage rights removed from 1 file", removed.message)
      assert.is_nil(u:get_file(ids[1]).usage_rights)
      assert.equal("cc_by_sa", u:get_file(ids[2]).usage_rights.license)
    end)

    it("rejects bad usage rights without changing anything", function()
      local f = u:get_files():first()
      raises("BadRequest", u.set_usage_rights, u,
        { file_ids = { f.id }, usage_rights = { use_justification = "mine" } })
      raises("BadRequest", u.set_usage_rights, u, { usage_rights = { use_justification = "fair_use" } })
      assert.is_nil(u:get_file(f).usage_rights)
    end)

    it("lists the licenses", function()
      local ids = {}
      for l in u:get_licenses() do ids[#ids + 1] = l.id end
      assert.equal("private", ids[1])
      assert.is_true(#ids >= 8)
      assert.equal("CC Attribution (cc_by)", tostring(u:get_licenses()[3]))
    end)
  end)

  describe("colours", function()
    it("saves a colour and reads it back", function()
      local res = u:update_color("course_1", "ff0000")
      local r = last_api()
      assert.equal("PUT", r.method)
      assert.equal("/api/v1/users/3/colors/course_1", r.path)
      assert.same({ hexcode = "ff0000" }, form(r))
      assert.same({ hexcode = "#ff0000" }, res)
      assert.same({ hexcode = "#ff0000" }, u:get_color("course_1"))
      u:update_color("course_2", "#0f0")
      assert.same({ course_1 = "#ff0000", course_2 = "#0f0" }, u:get_colors().custom_colors)
      -- another user's colours are their own: none set is a 404, as on Canvas
      raises("ResourceDoesNotExist", function() return c:get_user(4):get_color("course_1") end)
    end)

    it("rejects an invalid hexcode or asset, keeping the old colour", function()
      u:update_color("course_1", "abcdef")
      raises("BadRequest", u.update_color, u, "course_1", "red")
      raises("BadRequest", u.update_color, u, "course_1", "#12345")
      raises("ResourceDoesNotExist", u.update_color, u, "course_999", "#123")
      assert.equal("#abcdef", u:get_color("course_1").hexcode)
      plain_error(u.update_color, u, "course_1")
      plain_error(u.update_color, u, nil, "#fff")
    end)

    it("is limited to the user and admins", function()
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      local other = student:get_current_user()
      other:update_color("course_1", "#111111")
      assert.equal("#111111", other:get_color("course_1").hexcode)
      local sofia = c:get_user(4)
      local as_student = lcanvas.core.object("User", { id = sofia.id }, student)
      raises("Unauthorized", as_student.update_color, as_student, "course_1", "#222222")
      raises("ResourceDoesNotExist", sofia.get_color, sofia, "course_1")
    end)
  end)

  describe("communication channels", function()
    it("creates a channel that then shows in the list", function()
      local before = u:get_communication_channels():count()
      local cc = u:create_communication_channel({
        communication_channel = { address = "sam@example.com", type = "email" },
        skip_confirmation = true })
      local body = form(last_api())
      assert.equal("sam@example.com", body.communication_channel.address)
      assert.equal("email", body.communication_channel.type)
      assert.is_true(lcanvas.is_object(cc, "CommunicationChannel"))
      assert.equal("sam@example.com (" .. cc.id .. ")", tostring(cc))
      assert.equal("active", cc.workflow_state)
      local list = u:get_communication_channels():all()
      assert.equal(before + 1, #list)
      assert.equal(cc, list[#list])
      assert.equal(#list, list[#list].position)
    end)

    it("rejects a bad channel and keeps the list", function()
      raises("BadRequest", u.create_communication_channel, u,
        { communication_channel = { address = "not-an-email", type = "email" } })
      raises("BadRequest", u.create_communication_channel, u,
        { communication_channel = { address = "x@y.z", type = "pigeon" } })
      assert.equal(1, u:get_communication_channels():count())
    end)
  end)

  describe("content migrations and exports", function()
    it("creates a migration from a type string or a Migrator, lists and fetches it", function()
      local migrator = u:get_migration_systems():first()
      assert.is_true(lcanvas.is_object(migrator, "Migrator"))
      assert.equal("zip_file_importer", migrator.type)
      local m1 = u:create_content_migration("zip_file_importer", { settings = { file_url = "https://x.test/a.zip" } })
      local r = last_api()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/users/3/content_migrations", r.path)
      assert.same({ migration_type = "zip_file_importer", settings = { file_url = "https://x.test/a.zip" } }, form(r))
      assert.is_true(lcanvas.is_object(m1, "ContentMigration"))
      assert.equal(3, m1.user_id)  -- the user's id, though the admin started it
      local m2 = u:create_content_migration(migrator, { pre_attachment = { name = "b.zip" } })
      assert.equal("zip_file_importer", form(last_api()).migration_type)
      assert.is_string(m2.pre_attachment.upload_url)

      assert.equal(m1, u:get_content_migration(m1))
      assert.equal("/api/v1/users/3/content_migrations/" .. m1.id, last_api().path)
      assert.equal("running", u:get_content_migration(m1.id).workflow_state)
      local list = u:get_content_migrations():all()
      assert.equal(2, #list)
      for _, m in ipairs(list) do assert.equal(3, m.user_id) end
      assert.equal(m2, list[1])
      assert.equal("Unzip .zip file into folder (" .. m1.id .. ")", tostring(m1))
    end)

    it("gives listed migrations the user's id, whatever Canvas sends", function()
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      local me = student:get_current_user()
      local m = me:create_content_migration("zip_file_importer", { settings = { file_url = "https://x.test/a.zip" } })
      assert.equal(3, m.user_id)
      -- Canvas may leave user_id out: the object still knows its user.
      local list = lcanvas.core.list(c, "ContentMigration", "users/3/content_migrations", nil, nil, { user_id = 3 })
      assert.equal(3, list:first().user_id)
      local missing = lcanvas.core.list(c, "Feature", "users/3/features", nil, nil, { user_id = 3, extra = "x" })
      assert.equal("x", missing:first().extra)
      local overridden = lcanvas.core.list(c, "ContentMigration", "users/3/content_migrations", nil, nil,
        { user_id = 99 })
      assert.equal(99, overridden:first().user_id)
    end)

    it("refuses a bad migration type: before any request for nil, BadRequest for an unknown one", function()
      plain_error(u.create_content_migration, u, nil)
      plain_error(u.create_content_migration, u, 5)
      assert.equal(0, #api_requests())
      raises("BadRequest", u.create_content_migration, u, "course_copy_importer")
      raises("BadRequest", u.create_content_migration, u, "zip_file_importer")  -- no file
      assert.equal(0, u:get_content_migrations():count())
    end)

    it("starts an export, lists and fetches it", function()
      local e = u:export_content("zip", { skip_notifications = true })
      local r = last_api()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/users/3/content_exports", r.path)
      assert.same({ export_type = "zip", skip_notifications = "true" }, form(r))
      assert.is_true(lcanvas.is_object(e, "ContentExport"))
      assert.equal("zip export (" .. e.id .. ")", tostring(e))
      assert.equal(e, u:get_content_export(e))
      assert.equal("/api/v1/users/3/content_exports/" .. e.id, last_api().path)
      assert.equal("exported", u:get_content_export(e.id).workflow_state)
      local e2 = u:export_content("zip")
      local list = u:get_content_exports():all()
      assert.equal(2, #list)
      assert.equal(e2, list[1])
      raises("BadRequest", u.export_content, u, "qti")
      assert.equal(2, u:get_content_exports():count())
      raises("ResourceDoesNotExist", u.get_content_export, u, 999999)
    end)
  end)

  describe("features", function()
    it("lists features with the user's id and their flags", function()
      local features = u:get_features():all()
      assert.equal(5, #features)
      for _, f in ipairs(features) do
        assert.is_true(lcanvas.is_object(f, "Feature"))
        assert.equal(3, f.user_id)
      end
      local hc = features[1]
      assert.equal("high_contrast", hc.feature)
      local flag = u:get_feature_flag(hc)
      assert.equal("/api/v1/users/3/features/flags/high_contrast", last_api().path)
      assert.is_true(lcanvas.is_object(flag, "FeatureFlag"))
      assert.equal("off", flag.state)
      assert.equal("high_contrast: off", tostring(flag))
      assert.equal("on", u:get_feature_flag("auto_show_cc").state)
      raises("ResourceDoesNotExist", u.get_feature_flag, u, "no_such_feature")
      plain_error(u.get_feature_flag, u, nil)
    end)

    it("reports enabled features as strings, following flag changes", function()
      local enabled = u:get_enabled_features()
      table.sort(enabled)
      assert.same({ "auto_show_cc", "new_user_tutorial_on_off" }, enabled)
      c:request("PUT", "users/3/features/flags/high_contrast", { state = "on" })
      enabled = u:get_enabled_features()
      table.sort(enabled)
      assert.same({ "auto_show_cc", "high_contrast", "new_user_tutorial_on_off" }, enabled)
      assert.equal("on", u:get_feature_flag("high_contrast").state)
    end)
  end)

  describe("sessions", function()
    it("terminates sessions: 'ok', and the user's token stops working", function()
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      assert.equal(3, student:get_current_user().id)
      assert.equal("ok", u:terminate_sessions())
      local r = last_api()
      assert.equal("DELETE", r.method)
      assert.equal("/api/v1/users/3/sessions", r.path)
      raises("InvalidAccessToken", student.get_current_user, student)
      -- the admin's own token still works
      assert.equal(1, c:get_current_user().id)
    end)

    it("is refused for someone else's sessions", function()
      local teacher = lcanvas.new(sandbox.url, sandbox.tokens.teacher)
      local target = lcanvas.core.object("User", { id = 3 }, teacher)
      raises("Unauthorized", target.terminate_sessions, target)
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      assert.equal(3, student:get_current_user().id)
    end)
  end)

  describe("ePortfolios", function()
    it("moderates all portfolios at the call, and the list shows the new state", function()
      local before = u:get_eportfolios():all()
      assert.equal(3, #before)
      assert.is_nil(before[1].spam_status)
      sandbox.clear_requests()
      local list = u:moderate_all_eportfolios({ spam_status = "marked_as_spam" })
      local r = last_api()
      assert.equal("PUT", r.method)  -- sent before anything was iterated
      assert.equal("/api/v1/users/3/eportfolios", r.path)
      assert.same({ spam_status = "marked_as_spam" }, form(r))
      assert.equal("lcanvas.PaginatedList", getmetatable(list).__name)
      local items = list:all()
      assert.equal(3, #items)
      for _, e in ipairs(items) do
        assert.is_true(lcanvas.is_object(e, "EPortfolio"))
        assert.equal("marked_as_spam", e.spam_status)
      end
      assert.equal("marked_as_spam", u:get_eportfolios():first().spam_status)
      -- the deleted one is untouched; an admin's list is ordered by
      -- updated_at, which moderation set on the others, so it comes first
      local all = u:get_eportfolios({ include = { "deleted" } }):all()
      assert.equal(4, #all)
      assert.equal("deleted", all[1].workflow_state)
      assert.is_nil(all[1].spam_status)
    end)

    it("needs an admin and a valid status, changing nothing otherwise", function()
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      local me = student:get_current_user()
      raises("Unauthorized", me.moderate_all_eportfolios, me, { spam_status = "marked_as_safe" })
      raises("BadRequest", u.moderate_all_eportfolios, u, { spam_status = "spammy" })
      for e in u:get_eportfolios() do assert.is_nil(e.spam_status) end
    end)
  end)

  describe("lists", function()
    it("paginates authentication events under the 'events' key, for admins and the user themself", function()
      local list = u:get_authentication_events({ per_page = 4 })
      local all = list:all()
      assert.equal(15, #all)
      assert.equal(4, #api_requests())
      assert.equal("login", all[1].event_type)
      assert.equal(3, all[1].links.user)   -- Canvas names the user under links
      assert.is_true(all[1].created_at > all[2].created_at)
      local window = u:get_authentication_events({ start_time = "2024-09-10T00:00:00Z" }):all()
      assert.equal(6, #window)
      assert.equal("2024-09-10T00:00:00Z", query(last_api()).start_time)
      -- for_user lets users read their own events (the sandbox used to
      -- refuse them); someone else's stay an admin's
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      local me = student:get_current_user()
      assert.equal(15, #me:get_authentication_events({ per_page = 50 }):all())
      local other = lcanvas.core.object("User", { id = 4 }, student)
      raises("Unauthorized", function() return other:get_authentication_events():first() end)
    end)

    it("separates grade changes by grader and by student", function()
      local teacher = c:get_user(2)
      local as_grader = teacher:get_grade_change_events_for_grader({ per_page = 50 })
      local n = 0
      for ev in as_grader do
        n = n + 1
        assert.equal(2, ev.links.grader)
      end
      assert.is_true(n > 50)
      assert.equal(0, u:get_grade_change_events_for_grader():count())
      local mine = u:get_grade_change_events_for_student():all()
      assert.equal(6, #mine)
      for _, ev in ipairs(mine) do assert.equal(3, ev.links.student) end
      assert.equal("grade_change (" .. mine[1].id .. ")", tostring(mine[1]))
    end)

    it("lists poll sessions under 'poll_sessions'", function()
      local open = u:get_open_poll_sessions():all()
      assert.equal(2, #open)
      for _, p in ipairs(open) do assert.is_true(p.is_published) end
      local closed = u:get_closed_poll_sessions():all()
      assert.equal(1, #closed)
      assert.equal(3, closed[1].id)
    end)

    it("lists enrollments from the store, with filters as parameters", function()
      local all = u:get_enrollments():all()
      assert.equal(2, #all)
      for _, e in ipairs(all) do
        assert.equal(3, e.user_id)
        assert.equal("StudentEnrollment", e.type)
      end
      assert.equal("StudentEnrollment (" .. all[1].id .. ")", tostring(all[1]))
      local teacher = c:get_user(2)
      assert.equal(0, teacher:get_enrollments({ type = { "StudentEnrollment" } }):count())
      assert.same({ "StudentEnrollment" }, query(last_api()).type)
      assert.equal(4, teacher:get_enrollments({ state = { "active" }, type = { "TeacherEnrollment" } }):count())
    end)

    it("lists assignments per course and the missing ones", function()
      local a = u:get_assignments(1):all()
      assert.equal(12, #a)
      for _, x in ipairs(a) do assert.equal(1, x.course_id) end
      raises("ResourceDoesNotExist", function() return u:get_assignments(3):first() end)
      local missing = u:get_missing_submissions():all()
      assert.is_true(#missing > 0)
      for _, x in ipairs(missing) do
        assert.is_true(lcanvas.is_object(x, "Assignment"))
        assert.is_true(x.due_at < "2025-01-01")
      end
      local only1 = u:get_missing_submissions({ course_ids = { 1 } }):all()
      assert.same({ "1" }, query(last_api()).course_ids)
      assert.is_true(#only1 > 0 and #only1 < #missing)
    end)

    it("lists calendar events with date filters", function()
      local all = u:get_calendar_events_for_user({ all_events = true }):all()
      assert.equal(14, #all)
      local some = u:get_calendar_events_for_user({ start_date = "2024-10-01", end_date = "2024-10-09" }):all()
      local q = query(last_api())
      assert.equal("2024-10-01", q.start_date)
      assert.is_true(#some > 0 and #some < #all)
      for _, e in ipairs(some) do assert.is_true(e.start_at < "2024-10-10") end
      local due = u:get_calendar_events_for_user({ type = "assignment" }):first()
      assert.equal("assignment", due.type)
    end)

    it("lists avatars, logins and page views", function()
      local avatars = u:get_avatars():all()
      assert.equal("gravatar", avatars[1].type)
      assert.equal("no_pic", avatars[#avatars].type)
      assert.equal("gravatar pic (gravatar)", tostring(avatars[1]))
      local logins = u:get_user_logins():all()
      assert.equal(1, #logins)
      assert.equal("sam.student", logins[1].unique_id)
      assert.equal("sam.student (" .. logins[1].id .. ")", tostring(logins[1]))
      assert.equal(2, c:get_current_user():get_user_logins():count())
      local views = u:get_page_views({ per_page = 20 })
      assert.equal(45, views:count())
    end)
  end)

  it("keeps edit updating the receiver in place", function()
    local same = u
    u:edit({ user = { short_name = "Sammy" } })
    assert.equal("Sammy", same.short_name)
    assert.same({ user = { short_name = "Sammy" } }, form(last_api()))
    assert.equal("Sammy", c:get_user(3).short_name)
  end)
end)
