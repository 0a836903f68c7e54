-- lcanvas.Account: canvas:get_account, listing and searching the account's
-- users, creating users and self registration, against the sandbox.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local form = require "lcanvas.sandbox.params"   -- the sandbox's own decoder, not the client's

local api_requests = sandbox.api_requests

local last = sandbox.last_api_request

local capture = sandbox.capture

local function names(list)
  local out = {}
  for u in list:iter() do out[#out + 1] = u.name end
  return out
end

describe("Account", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)

  describe("canvas:get_account", function()
    it("GETs accounts/:id and returns an lcanvas.Account", function()
      local a = c:get_account(2)
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/accounts/2", r.path)
      assert.equal("lcanvas.Account", getmetatable(a).__name)
      assert.equal("Account", a:typename())
      assert.equal(2, a.id)
      assert.equal("integer", math.type(a.id))
      assert.equal("School of Sandbox Science", a.name)
      assert.equal(1, a.parent_account_id)
      assert.equal("School of Sandbox Science (2)", tostring(a))
    end)

    it("accepts self and objects, and raises typed errors", function()
      assert.equal(1, c:get_account("self").id)
      assert.equal("/api/v1/accounts/self", last().path)
      local a = c:get_account(2)
      assert.is_true(c:get_account(a) == a)
      assert.equal("/api/v1/accounts/2", last().path)
      local e404 = capture(function() c:get_account(99) end)
      assert.equal("ResourceDoesNotExist", e404.kind)
      local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
      local e401 = capture(function() student:get_account(1) end)
      assert.equal("Unauthorized", e401.kind)
    end)

    it("refuses a missing id before sending anything", function()
      sandbox.clear_requests()
      assert.error_matches(function() c:get_account(nil) end, "bad argument #1 to 'get_account' %(an id is required")
      assert.error_matches(function() c:get_account(0) end, "positive integer")
      assert.equal(0, #api_requests())
    end)
  end)

  describe("get_users", function()
    it("lists users as a lazy PaginatedList of User, with the query sent", function()
      local a = c:get_account(1)
      sandbox.clear_requests()
      local list = a:get_users({ search_term = "student", sort = "username", order = "asc" })
      assert.equal(0, #api_requests())
      local first = list:first()
      local r = last()
      assert.equal("GET", r.method)
      assert.equal("/api/v1/accounts/1/users", r.path)
      local q = form.parse_query(r.query)
      assert.equal("student", q.search_term)
      assert.equal("username", q.sort)
      assert.equal("asc", q.order)
      assert.equal("lcanvas.User", getmetatable(first).__name)
      assert.same({ "Lena Student", "Omar Student", "Sam Student", "Shard Student", "Sofia Student" }, names(list))
    end)

    it("matches name, login, SIS id and email, and a numeric id first", function()
      local a = c:get_account(1)
      assert.same({ "Jo Doe" }, names(a:get_users({ search_term = "jo doe" })))
      assert.same({ "Terry Teacher" }, names(a:get_users({ search_term = "terry.teach" })))
      assert.same({ "Casey Slash" }, names(a:get_users({ search_term = "cs/101" })))
      assert.same({ "Jo Doe" }, names(a:get_users({ search_term = "jdoe@example" })))
      -- "100" is user 100's id: that match wins over logins containing 100
      assert.same({ "Avery Adams" }, names(a:get_users({ search_term = "100" })))
      local shard = a:get_users({ search_term = "43460000000000001" }):all()
      assert.equal(1, #shard)
      assert.equal(43460000000000001, shard[1].id)
    end)

    it("sorts by sis_id in either order and filters by enrollment_type", function()
      local a = c:get_account(1)
      local asc = a:get_users({ search_term = "student", sort = "sis_id" }):all()
      local desc = a:get_users({ search_term = "student", sort = "sis_id", order = "desc" }):all()
      assert.same({ "S0001", "S0002", "S0003", "S0004", "SHARD1" },
        { asc[1].sis_user_id, asc[2].sis_user_id, asc[3].sis_user_id, asc[4].sis_user_id, asc[5].sis_user_id })
      assert.equal("SHARD1", desc[1].sis_user_id)
      assert.equal("S0001", desc[5].sis_user_id)
      assert.same({ "Terry Teacher" }, names(a:get_users({ enrollment_type = "teacher" })))
      assert.equal("teacher", form.parse_query(last().query).enrollment_type)
    end)

    it("raises BadRequest for a search term under 3 characters", function()
      local err = capture(function() c:get_account(1):get_users({ search_term = "ab" }):first() end)
      assert.equal("BadRequest", err.kind)
      assert.equal("search_term", err.errors[1].field)
    end)
  end)

  describe("create_user", function()
    it("POSTs the pseudonym and params and returns the new User", function()
      local a = c:get_account(1)
      local params = { user = { name = "Nova Newcomer" }, communication_channel = { type = "email",
        address = "nova@example.com" } }
      local u = a:create_user({ unique_id = "nova.n", sis_user_id = "N0001", password = "s3cret-pass" }, params)
      local r = last()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/accounts/1/users", r.path)
      local body = form.parse_query(r.body)
      assert.equal("nova.n", body.pseudonym.unique_id)
      assert.equal("N0001", body.pseudonym.sis_user_id)
      assert.equal("Nova Newcomer", body.user.name)
      assert.equal("nova@example.com", body.communication_channel.address)
      assert.is_nil(params.pseudonym, "the caller's params table is left alone")
      assert.equal("lcanvas.User", getmetatable(u).__name)
      assert.equal("integer", math.type(u.id))
      assert.equal("Nova Newcomer", u.name)
      assert.equal("Newcomer, Nova", u.sortable_name)
      assert.equal("nova.n", u.login_id)
      -- now a real user: gettable, by SIS id too, and searchable
      assert.equal("Nova Newcomer", c:get_user(u.id).name)
      assert.equal(u.id, c:get_user("N0001", "sis_user_id").id)
      assert.same({ "Nova Newcomer" }, names(a:get_users({ search_term = "nova" })))
      assert.same({ "Nova Newcomer" }, names(a:get_users({ search_term = "nova@example" })))
    end)

    it("raises RequiredFieldMissing without unique_id, sending nothing", function()
      local a = c:get_account(1)
      sandbox.clear_requests()
      local err = capture(function() a:create_user({ sis_user_id = "X" }, { user = { name = "No Login" } }) end)
      assert.equal("RequiredFieldMissing", err.kind)
      assert.is_true(lcanvas.is_error(err, "RequiredFieldMissing"))
      assert.equal("pseudonym.unique_id", err.field)
      assert.matches("unique_id", tostring(err))
      local err2 = capture(function() a:create_user({ unique_id = "" }) end)
      assert.equal("RequiredFieldMissing", err2.kind)
      assert.equal(0, #api_requests())
      assert.error_matches(function() a:create_user(nil) end, "bad argument #1 to 'create_user'")
      assert.error_matches(function() a:create_user({ unique_id = "x" }, "params") end, "bad argument #2")
      assert.equal(0, #api_requests())
    end)

    it("answers a taken login or SIS id with Canvas's 400 and creates nothing", function()
      local a = c:get_account(1)
      local before = #a:get_users({ search_term = "sam" }):all()
      local err = capture(function()
        a:create_user({ unique_id = "SAM.STUDENT" }, { user = { name = "Sam Again" } })
      end)
      assert.equal("BadRequest", err.kind)
      assert.equal(400, err.status)
      -- The message skips Canvas's empty "user": {} and names the field.
      assert.matches("^pseudonym: unique_id: .*already in use", err.message)
      local taken = err.errors.pseudonym.unique_id[1]
      assert.equal("unique_id", taken.attribute)
      assert.equal("taken", taken.type)
      assert.matches("already in use", taken.message)
      local err2 = capture(function() a:create_user({ unique_id = "fresh.login", sis_user_id = "S0001" }) end)
      assert.equal("taken", err2.errors.pseudonym.sis_user_id[1].type)
      assert.equal(before, #a:get_users({ search_term = "sam" }):all())
      assert.equal(0, #a:get_users({ search_term = "fresh.login" }):all())
    end)

    it("has the sandbox refuse a missing unique_id too (400), and non-admins (401)", function()
      local err = capture(function() c:request("POST", "accounts/1/users", { user = { name = "X Y" } }) end)
      assert.equal("BadRequest", err.kind)
      assert.equal("too_short", err.errors.pseudonym.unique_id[1].type)
      local teacher = lcanvas.new(sandbox.url, sandbox.tokens.teacher)
      local account = lcanvas.core.object("Account", { id = 1 }, teacher)
      local e401 = capture(function() account:create_user({ unique_id = "t.made" }) end)
      assert.equal("Unauthorized", e401.kind)
    end)
  end)

  describe("create_self_registered_user", function()
    it("POSTs to self_registration and returns a searchable User", function()
      local a = c:get_account(1)
      local u = a:create_self_registered_user({ name = "Selma Self", terms_of_use = true },
        { unique_id = "selma@example.com" },
        { communication_channel = { type = "email", address = "selma@example.com" } })
      local r = last()
      assert.equal("POST", r.method)
      assert.equal("/api/v1/accounts/1/self_registration", r.path)
      local body = form.parse_query(r.body)
      assert.equal("Selma Self", body.user.name)
      assert.equal("true", body.user.terms_of_use)
      assert.equal("selma@example.com", body.pseudonym.unique_id)
      assert.equal("email", body.communication_channel.type)
      assert.equal("User", u:typename())
      assert.equal("Selma Self", u.name)
      assert.equal("selma@example.com", u.login_id)
      assert.equal("Selma Self", c:get_user(u.id).name)
      assert.same({ "Selma Self" }, names(a:get_users({ search_term = "selma" })))
    end)

    it("checks name, terms_of_use and unique_id before sending", function()
      local a = c:get_account(1)
      sandbox.clear_requests()
      local cases = {
        { { terms_of_use = true }, { unique_id = "a@b.co" }, "user.name" },
        { { name = "N M" }, { unique_id = "a@b.co" }, "user.terms_of_use" },
        { { name = "N M", terms_of_use = true }, {}, "pseudonym.unique_id" },
        { { name = "", terms_of_use = true }, { unique_id = "a@b.co" }, "user.name" },
      }
      for _, case in ipairs(cases) do
        local err = capture(function() a:create_self_registered_user(case[1], case[2]) end)
        assert.equal("RequiredFieldMissing", err.kind)
        assert.equal(case[3], err.field)
      end
      assert.error_matches(function() a:create_self_registered_user({ name = "x" }) end, "bad argument #2")
      assert.equal(0, #api_requests())
    end)

    it("has the sandbox validate like Canvas: terms accepted, an email login, not taken", function()
      local err = capture(function()
        c:request("POST", "accounts/1/self_registration",
          { user = { name = "Tess Terms", terms_of_use = false }, pseudonym = { unique_id = "tess@example.com" } })
      end)
      assert.equal("BadRequest", err.kind)
      assert.equal("accepted", err.errors.user.terms_of_use[1].type)
      local a = c:get_account(1)
      local e2 = capture(function()
        a:create_self_registered_user({ name = "Not Email", terms_of_use = true }, { unique_id = "not-an-email" })
      end)
      assert.equal("invalid", e2.errors.pseudonym.unique_id[1].type)
      local e3 = capture(function()
        a:create_self_registered_user({ name = "Jo Again", terms_of_use = true }, { unique_id = "jdoe@example.com" })
      end)
      assert.equal("taken", e3.errors.pseudonym.unique_id[1].type)
      assert.equal(0, #a:get_users({ search_term = "tess" }):all())
      assert.equal(0, #a:get_users({ search_term = "not-an-email" }):all())
    end)
  end)
end)
