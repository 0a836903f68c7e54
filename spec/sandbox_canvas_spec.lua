-- The sandbox answers as Canvas's code does (issue 13, the sandbox's items),
-- over plain HTTP (luasocket, curl and a raw socket), independent of the
-- lcanvas client. Each block names the canvas-lms code it follows.
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

-- opts.token = false sends no Authorization header at all.
local function request(method, path, opts)
  opts = opts or {}
  local chunks = {}
  local headers = {}
  if opts.token ~= false then headers.authorization = "Bearer " .. (opts.token or sandbox.tokens.admin) end
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if opts.body then headers["content-length"] = #opts.body end
  local _, status, res_headers = http.request({
    url = (opts.origin or sandbox.url) .. path, method = method, headers = headers,
    source = opts.body and ltn12.source.string(opts.body) or nil,
    sink = ltn12.sink.table(chunks),
  })
  local body = table.concat(chunks)
  return status, body, res_headers, json.decode(body)
end

local FORM = { ["content-type"] = "application/x-www-form-urlencoded" }

-- The response head as sent (status line and header lines, names as the
-- server spelled them): luasocket lowercases names, so read them raw.
local function raw_head(path, token)
  local host, port = sandbox.url:match("^http://([^:]+):(%d+)$")
  local c = assert(socket.connect(host, tonumber(port)))
  c:settimeout(5)
  c:send(string.format("GET %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n",
    path, host, port, token or sandbox.tokens.admin))
  local lines = {}
  while true do
    local line = c:receive("*l")
    if not line or line == "" then break end
    lines[#lines + 1] = line
  end
  c:close()
  return lines
end

local function has_key(t, k) return rawget(t, k) ~= nil end

describe("sandbox answers as Canvas's code does", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  -- users_controller.rb get_custom_color: RecordNotFound for a colour never set.
  describe("colours (item 1)", function()
    it("answers 404 for a colour never set, 200 once set", function()
      local status, _, _, doc = request("GET", "/api/v1/users/3/colors/course_1")
      assert.equal(404, status)
      assert.equal("The specified resource does not exist.", doc.errors[1].message)
      status = request("PUT", "/api/v1/users/3/colors/course_1", { body = "hexcode=abc123", headers = FORM })
      assert.equal(200, status)
      local _, _, _, got = request("GET", "/api/v1/users/3/colors/course_1")
      assert.equal("#abc123", got.hexcode)
      -- an asset that does not exist has no colour either
      assert.equal(404, (request("GET", "/api/v1/users/3/colors/course_999")))
    end)
  end)

  -- files_controller.rb api_create_success: the file is found by id and uuid.
  describe("upload confirmation (item 2)", function()
    it("confirms an upload without a token, by id and uuid", function()
      local _, _, _, start = request("POST", "/api/v1/users/self/files",
        { body = "name=hello.txt&size=5&content_type=text%2Fplain", headers = FORM })
      assert.is_string(start.upload_url)
      local args = {}
      for k, v in pairs(start.upload_params) do args[#args + 1] = string.format("-F %q", k .. "=" .. v) end
      local tmp = os.tmpname()
      local f = assert(io.open(tmp, "wb"))
      f:write("hello")
      f:close()
      local h = io.popen(string.format("curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' %s -F 'file=@%s' '%s'",
        table.concat(args, " "), tmp, start.upload_url))
      local out = h:read("a")
      h:close()
      os.remove(tmp)
      local code, location = out:match("^(%d+) (%S+)$")
      assert.equal("303", code)
      local path = location:match("^https?://[^/]+(/api/v1/files/%d+/create_success%?uuid=.+)$")
      assert.is_string(path, location)
      local status, _, _, file = request("GET", path, { token = false })
      assert.equal(200, status)
      assert.equal("hello.txt", file.display_name)
      assert.equal(5, file.size)
      -- the uuid is the credential: a wrong one is a 404, a bad token still a 401
      assert.equal(404, (request("GET", path:gsub("uuid=.*$", "uuid=nope"), { token = false })))
      assert.equal(401, (request("GET", path, { token = "not-a-token" })))
      -- other routes still need a token
      assert.equal(401, (request("GET", "/api/v1/users/self", { token = false })))
    end)
  end)

  -- users_controller.rb api_index / api_show / update / create_user and
  -- lib/api/v1/user.rb user_json: optional fields only in the includes.
  describe("include[] (item 3)", function()
    local OPTIONAL = { "email", "last_login", "avatar_url", "time_zone", "uuid", "locale", "bio" }

    it("lists an account's users without optional fields unless asked", function()
      local _, _, _, page = request("GET", "/api/v1/accounts/1/users?search_term=sam.student")
      assert.equal(1, #page)
      local u = page[1]
      assert.equal(3, u.id)
      for _, k in ipairs({ "id", "name", "sortable_name", "short_name", "created_at", "login_id", "sis_user_id" }) do
        assert.is_true(has_key(u, k), k)
      end
      for _, k in ipairs(OPTIONAL) do assert.is_false(has_key(u, k), k .. " sent unasked") end
      _, _, _, page = request("GET", "/api/v1/accounts/1/users?search_term=sam.student" ..
        "&include[]=email&include[]=last_login&include[]=avatar_url&include[]=time_zone&include[]=uuid&include[]=bio")
      u = page[1]
      assert.equal("sam.student@sandbox.test", u.email)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT", u.last_login)
      assert.matches("/avatars/3%.png$", u.avatar_url)
      assert.equal("America/Denver", u.time_zone)
      assert.equal("SbxUserUuid00000000000000000000000000003", u.uuid)
      assert.is_false(has_key(u, "bio"), "bio is not in api_index's list")
      -- sorting by last_login brings it along (api_index adds it)
      _, _, _, page = request("GET", "/api/v1/accounts/1/users?search_term=student&sort=last_login")
      for _, x in ipairs(page) do assert.is_true(has_key(x, "last_login")) end
    end)

    it("shows one user with locale, avatar_url and email always, uuid and last_login when asked", function()
      local _, _, _, u = request("GET", "/api/v1/users/3")
      assert.equal("en", u.locale)
      assert.equal("sam.student@sandbox.test", u.email)
      assert.is_string(u.avatar_url)
      for _, k in ipairs({ "uuid", "last_login", "time_zone" }) do assert.is_false(has_key(u, k), k) end
      _, _, _, u = request("GET", "/api/v1/users/3?include[]=uuid&include[]=last_login&include[]=time_zone")
      assert.equal("SbxUserUuid00000000000000000000000000003", u.uuid)
      assert.is_string(u.last_login)
      assert.is_false(has_key(u, "time_zone"), "time_zone is not in api_show's list")
      -- a user who never logged in has a null last_login when asked
      local _, body = request("GET", "/api/v1/users/9?include[]=last_login")
      assert.matches('"last_login":null', body, 1, true)
    end)

    it("sends login and SIS fields to admins only, as user_json_is_admin? decides", function()
      local _, _, _, me = request("GET", "/api/v1/users/self", { token = sandbox.tokens.student })
      assert.equal(3, me.id)
      for _, k in ipairs({ "login_id", "sis_user_id", "integration_id", "sis_import_id" }) do
        assert.is_false(has_key(me, k), k)
      end
      local _, _, _, u = request("GET", "/api/v1/users/3")
      assert.equal("sam.student", u.login_id)
      assert.equal("S0001", u.sis_user_id)
    end)

    it("answers create and update with their fixed includes", function()
      local _, _, _, made = request("POST", "/api/v1/accounts/1/users",
        { body = "user[name]=Ada%20Lovelace&pseudonym[unique_id]=ada%40example.com", headers = FORM })
      assert.equal("en", made.locale)
      assert.is_string(made.uuid)
      assert.is_false(has_key(made, "email"))
      local _, _, _, upd = request("PUT", "/api/v1/users/5", { body = "user[short_name]=Om", headers = FORM })
      assert.equal("Om", upd.short_name)
      for _, k in ipairs({ "locale", "avatar_url", "email", "time_zone" }) do assert.is_true(has_key(upd, k), k) end
      assert.is_false(has_key(upd, "uuid"))
    end)

    -- courses_controller.rb users pushes sis_user_id and email onto
    -- include[] itself: email shows to those who may read addresses.
    it("lists a course's users with email for a teacher, asked or not, and never for a student", function()
      local _, _, _, page = request("GET", "/api/v1/courses/1/users", { token = sandbox.tokens.teacher })
      assert.is_true(#page > 0)
      assert.is_string(page[1].email)
      _, _, _, page = request("GET", "/api/v1/courses/1/users?include[]=email", { token = sandbox.tokens.teacher })
      assert.is_string(page[1].email)
      _, _, _, page = request("GET", "/api/v1/courses/1/users?include[]=email", { token = sandbox.tokens.student })
      assert.is_true(#page > 0)
      assert.is_false(has_key(page[1], "email"))
    end)
  end)

  -- lib/request_throttle.rb on Canvas Cloud since 2025-10.
  describe("throttling (item 4)", function()
    it("answers 429 with X-Rate-Limit-Remaining at 0 and lowercase header names by default", function()
      sandbox.config({ throttle = { hwm = 40 } })   -- below one reservation: throttled at once
      local status, body, h = request("GET", "/api/v1/users/self")
      assert.equal(429, status)
      assert.equal("403 Forbidden (Rate Limit Exceeded)", body)
      assert.equal(0, tonumber(h["x-rate-limit-remaining"]))
      local head = raw_head("/api/v1/users/self")
      assert.matches("^HTTP/1%.1 429", head[1])
      local names = {}
      for i = 2, #head do names[#names + 1] = head[i]:match("^([^:]+):") end
      assert.is_true(#names > 2)
      for _, n in ipairs(names) do assert.equal(n:lower(), n) end
    end)

    it("keeps the older answer as options: 403, the bucket's level, capitalised names", function()
      sandbox.config({ throttle = { hwm = 40, status = 403, report_level = true }, lowercase_headers = false })
      local status, _, h = request("GET", "/api/v1/users/self")
      assert.equal(403, status)
      local level = tonumber(h["x-rate-limit-remaining"])
      assert.is_true(level > 30 and level <= 40, "the bucket's level, got " .. tostring(level))
      local head = raw_head("/api/v1/users/self")
      local seen = false
      for i = 2, #head do
        if head[i]:match("^X%-Rate%-Limit%-Remaining:") then seen = true end
      end
      assert.is_true(seen, table.concat(head, "\n"))
    end)

    it("sends the bucket's level on answers that were not throttled", function()
      local status, _, h = request("GET", "/api/v1/users/self")
      assert.equal(200, status)
      assert.is_true(tonumber(h["x-rate-limit-remaining"]) > 500)
    end)
  end)

  describe("every field of Canvas's objects (item 5)", function()
    -- app/serializers/polling/poll_session_serializer.rb
    it("sends whole poll sessions", function()
      local _, _, _, doc = request("GET", "/api/v1/poll_sessions/opened")
      local s = doc.poll_sessions[1]
      for _, k in ipairs({ "id", "poll_id", "course_id", "course_section_id", "is_published", "has_public_results",
          "created_at", "results", "poll_submissions" }) do
        assert.is_true(has_key(s, k), k)
      end
      assert.equal(3, s.results["1"])
    end)

    -- lib/api/v1/page_view.rb: the user under links, no top-level user_id.
    it("sends whole page views, the user under links", function()
      local _, _, _, views = request("GET", "/api/v1/users/3/page_views?per_page=3")
      local v = views[1]
      for _, k in ipairs({ "id", "app_name", "url", "context_type", "asset_type", "controller", "action",
          "contributed", "interaction_seconds", "created_at", "user_request", "render_time", "user_agent",
          "participated", "http_method", "remote_ip", "links" }) do
        assert.is_true(has_key(v, k), k)
      end
      assert.is_false(has_key(v, "user_id"))
      assert.equal(3, v.links.user)
      for _, k in ipairs({ "context", "asset", "real_user", "account" }) do assert.is_true(has_key(v.links, k), k) end
    end)

    -- The object definitions of the Users and User Observees API documents
    -- (non-optional fields), as an admin sees them.
    it("sends every field of User, PairingCode, Avatar and CourseNickname", function()
      local _, _, _, u = request("GET", "/api/v1/users/3")
      for _, k in ipairs({ "id", "name", "sortable_name", "short_name", "sis_user_id", "sis_import_id",
          "integration_id", "login_id", "avatar_url" }) do
        assert.is_true(has_key(u, k), "User." .. k)
      end
      local _, _, _, pc = request("POST", "/api/v1/users/3/observer_pairing_codes", { body = "", headers = FORM })
      for _, k in ipairs({ "user_id", "code", "expires_at", "workflow_state" }) do
        assert.is_true(has_key(pc, k), "PairingCode." .. k)
      end
      local _, _, _, avatars = request("GET", "/api/v1/users/3/avatars")
      for _, k in ipairs({ "type", "url", "token", "display_name" }) do
        assert.is_true(has_key(avatars[1], k), "Avatar." .. k)
      end
      local _, _, _, nick = request("GET", "/api/v1/users/self/course_nicknames/1", { token = sandbox.tokens.student })
      for _, k in ipairs({ "course_id", "name", "nickname" }) do
        assert.is_true(has_key(nick, k), "CourseNickname." .. k)
      end
    end)

    it("sends an assignment's description", function()
      local _, _, _, list = request("GET", "/api/v1/users/3/courses/1/assignments")
      assert.is_string(list[1].description)
    end)

    -- lib/api/v1/pseudonym.rb
    it("names a login's authentication provider", function()
      local _, _, _, logins = request("GET", "/api/v1/users/self/logins")
      assert.equal(2, #logins)
      assert.is_true(has_key(logins[1], "authentication_provider_id"))
      assert.is_true(has_key(logins[1], "authentication_provider_type"))
      assert.equal("ldap", logins[2].authentication_provider_type)
      assert.is_number(logins[2].authentication_provider_id)
    end)

    -- profile_controller.rb settings (user_profile_json)
    -- The calendar feed, LTI id and effective locale come only to the user
    -- themself (the spec used to expect them in an admin's read of another
    -- user's profile, which Canvas never sends).
    it("sends every field of the Profile object", function()
      local _, _, _, p = request("GET", "/api/v1/users/self/profile", { token = sandbox.tokens.student })
      for _, k in ipairs({ "id", "name", "short_name", "sortable_name", "title", "bio", "primary_email", "login_id",
          "integration_id", "lti_user_id", "avatar_url", "calendar", "time_zone", "locale", "effective_locale" }) do
        assert.is_true(has_key(p, k), k)
      end
      assert.matches("%.ics$", p.calendar.ics)
      local _, _, _, other = request("GET", "/api/v1/users/3/profile")
      for _, k in ipairs({ "id", "name", "sis_user_id", "integration_id", "login_id", "primary_email", "time_zone" }) do
        assert.is_true(has_key(other, k), "admin's view: " .. k)
      end
      for _, k in ipairs({ "calendar", "lti_user_id", "effective_locale", "k5_user" }) do
        assert.is_false(has_key(other, k), "admin's view: " .. k)
      end
    end)

    -- lib/api/v1/authentication_event.rb and grade_change_event.rb
    it("answers audit logs as compound documents with links and linked", function()
      local _, body, _, doc = request("GET", "/api/v1/audit/authentication/users/3?per_page=4")
      assert.equal(4, #doc.events)
      local ev = doc.events[1]
      assert.is_false(has_key(ev, "user_id"))
      assert.is_false(has_key(ev, "pseudonym_id"))
      assert.equal(3, ev.links.user)
      assert.is_number(ev.links.login)
      assert.equal(1, ev.links.account)
      -- links_json templates only events.account; the rest are null (the
      -- sandbox used to template events.login and events.user)
      assert.equal("/api/v1/accounts/{events.account}", doc.links["events.account"])
      assert.matches('"events.login":null', body, 1, true)
      assert.matches('"events.user":null', body, 1, true)
      assert.equal(3, doc.linked.users[1].id)
      assert.equal(ev.links.login, doc.linked.logins[1].id)
      assert.equal(1, doc.linked.accounts[1].id)
      _, _, _, doc = request("GET", "/api/v1/audit/grade_change/students/3")
      assert.is_true(#doc.events > 0)
      assert.is_string(doc.links["events.assignment"])
      assert.is_true(#doc.linked.courses > 0)
      assert.is_true(#doc.linked.users > 0)
    end)
  end)

  -- lib/api.rb per_page_for and build_links_hash; lib/authentication_methods.rb.
  describe("paging and authentication (item 6)", function()
    it("gives one item for a per_page of 0, negative or not a number", function()
      for _, pp in ipairs({ "0", "-5", "abc", "" }) do
        local _, _, _, page = request("GET", "/api/v1/accounts/1/users?per_page=" .. pp)
        assert.equal(1, #page, "per_page=" .. pp)
      end
      local _, _, _, page = request("GET", "/api/v1/accounts/1/users")
      assert.equal(10, #page)
    end)

    it("accepts an access_token parameter and leaves it out of Link URLs", function()
      local status, _, h, page = request("GET", "/api/v1/accounts/1/users?per_page=2&access_token=" ..
        sandbox.tokens.admin, { token = false })
      assert.equal(200, status)
      assert.equal(2, #page)
      assert.matches('rel="next"', h.link)
      assert.is_nil(h.link:find("access_token", 1, true))
      assert.is_nil(h.link:find(sandbox.tokens.admin, 1, true))
      -- a wrong one is an invalid token, as a header would be
      status = request("GET", "/api/v1/users/self?access_token=nope", { token = false })
      assert.equal(401, status)
    end)

    it("tells a request with no token that authorization is required", function()
      local status, _, h, doc = request("GET", "/api/v1/users/self", { token = false })
      assert.equal(401, status)
      assert.equal("unauthenticated", doc.status)
      assert.equal("user authorization required", doc.errors[1].message)
      assert.matches("Bearer", h["www-authenticate"])
    end)
  end)

  describe("401, 403 or 404 per route (item 7)", function()
    -- users_controller.rb api_show raises RecordNotFound without the right.
    it("answers 404 for a user the caller may not see", function()
      local status, _, _, doc = request("GET", "/api/v1/users/4", { token = sandbox.tokens.student })
      assert.equal(404, status)
      assert.equal("The specified resource does not exist.", doc.errors[1].message)
    end)

    -- render_unauthorized_action: 401, or 403 with api_auth_error_updates on.
    it("answers render_unauthorized_action with 401, or 403 when configured as newer Canvas does", function()
      local status, _, h, doc = request("GET", "/api/v1/users/4/profile", { token = sandbox.tokens.student })
      assert.equal(401, status)
      assert.equal("unauthorized", doc.status)
      assert.is_nil(h["www-authenticate"])
      sandbox.config({ unauthorized_status = 403 })
      status = request("GET", "/api/v1/users/4/profile", { token = sandbox.tokens.student })
      assert.equal(403, status)
    end)
  end)
end)

-- Issue 15, item 7: the demo data links observers, so the observer scripts
-- show something under `lcanvas --sandbox`.
describe("sandbox demo data", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("links observers to students", function()
    local _, _, _, list = request("GET", "/api/v1/users/121/observees")
    local ids = {}
    for i, u in ipairs(list) do ids[i] = u.id end
    assert.same({ 122, 123 }, ids)
    assert.same({ 1 }, list[1].observation_link_root_account_ids)
    _, _, _, list = request("GET", "/api/v1/users/142/observers")
    assert.equal(141, list[1].id)
  end)
end)
