-- Observers, observees and pairing codes: the flows a parent-portal script
-- runs, against the sandbox's real link state, asserting what the sandbox
-- received and what each side sees after every step.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local socket = require "socket"

local SAM, PAT, ROBIN, SOFIA = 3, 7, 8, 4

local function client(who) return lcanvas.new(sandbox.url, sandbox.tokens[who]) end

-- A User object for an id, without asking Canvas (which may refuse).
local function user_of(c, id) return lcanvas.core.object("User", { id = id }, c) end

local last_api_request = sandbox.last_api_request

local function ids(list)
  local out = {}
  for _, u in ipairs(list) do out[#out + 1] = u.id end
  return out
end

local raises = sandbox.raises

local function api_count()
  local n = 0
  for _, r in ipairs(sandbox.requests()) do
    if r.path:find("^/api/v1/") then n = n + 1 end
  end
  return n
end

describe("observers and pairing codes", function()
  local admin, student, parent, sam, pat
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    admin, student, parent = client("admin"), client("student"), client("parent")
    sam, pat = student:get_current_user(), parent:get_current_user()
  end)

  it("links a parent to a student with a pairing code, end to end", function()
    -- The student makes a code.
    local pc = sam:create_pairing_code()
    local req = last_api_request()
    assert.equal("POST", req.method)
    assert.equal("/api/v1/users/3/observer_pairing_codes", req.path)
    assert.equal("PairingCode", pc:typename())
    assert.equal(SAM, pc.user_id)
    assert.matches("^%w%w%w%w%w%w$", pc.code)
    assert.equal("active", pc.workflow_state)
    assert.equal("3 - " .. pc.code, tostring(pc))
    local ttl = pc:date("expires_at") - os.time()
    assert.is_true(ttl > 24 * 3600 - 120 and ttl <= 24 * 3600 + 2, "expires in a day, got " .. ttl)
    assert.equal(0, pat:get_observees():count())

    -- The parent redeems it.
    local linked = pat:add_observee_with_credentials({ pairing_code = pc.code })
    req = last_api_request()
    assert.equal("POST", req.method)
    assert.equal("/api/v1/users/7/observees", req.path)
    assert.equal("pairing_code=" .. pc.code, req.body)
    assert.equal("User", linked:typename())
    assert.equal(SAM, linked.id)
    assert.same({ 1 }, linked.observation_link_root_account_ids)

    -- The parent sees the student, with the avatar asked for.
    local observees = pat:get_observees({ include = { "avatar_url" } }):all()
    req = last_api_request()
    assert.equal("/api/v1/users/7/observees", req.path)
    assert.matches("include%[%]=avatar_url", req.query)
    assert.same({ SAM }, ids(observees))
    assert.equal("Sam Student", observees[1].name)
    assert.matches("/avatars/3%.png$", observees[1].avatar_url)
    assert.same({ 1 }, observees[1].observation_link_root_account_ids)
    assert.is_nil(pat:get_observees():first().avatar_url)

    -- The student sees the parent.
    local observers = sam:get_observers():all()
    assert.equal("/api/v1/users/3/observers", last_api_request().path)
    assert.same({ PAT }, ids(observers))
    assert.same({ 1 }, observers[1].observation_link_root_account_ids)
    assert.equal("Pat Parent", pat:show_observee(SAM) and sam:show_observer(pat).name)
    assert.equal("/api/v1/users/3/observers/7", last_api_request().path)

    -- Unlinking empties both sides.
    local removed = pat:remove_observee(sam)
    req = last_api_request()
    assert.equal("DELETE", req.method)
    assert.equal("/api/v1/users/7/observees/3", req.path)
    assert.equal(SAM, removed.id)
    assert.same({}, removed.observation_link_root_account_ids)
    assert.equal(0, pat:get_observees():count())
    assert.equal(0, sam:get_observers():count())
    raises("ResourceDoesNotExist", pat.show_observee, pat, SAM)
    raises("ResourceDoesNotExist", sam.show_observer, sam, PAT)
    raises("ResourceDoesNotExist", pat.remove_observee, pat, SAM)
  end)

  it("accepts a code once: a reused code is Invalid pairing code and links nobody", function()
    local pc = sam:create_pairing_code()
    pat:add_observee_with_credentials({ pairing_code = pc.code })
    local robin = user_of(admin, ROBIN)
    local err = raises("UnprocessableEntity", robin.add_observee_with_credentials, robin,
      { pairing_code = pc.code })
    assert.equal(422, err.status)
    assert.equal("Invalid pairing code.", err.message)
    assert.equal("/api/v1/users/8/observees", last_api_request().path)
    assert.equal(0, robin:get_observees():count())
    assert.same({ PAT }, ids(sam:get_observers():all()))
    -- An unknown code is refused the same way.
    raises("UnprocessableEntity", robin.add_observee_with_credentials, robin, { pairing_code = "zzzzzz" })
  end)

  it("refuses an expired code (pairing_code_ttl) and still accepts a fresh one", function()
    sandbox.config({ pairing_code_ttl = 0.3 })
    local pc = sam:create_pairing_code()
    assert.is_true(pc:date("expires_at") - os.time() <= 2)
    socket.sleep(0.5)
    local err = raises("UnprocessableEntity", pat.add_observee_with_credentials, pat,
      { pairing_code = pc.code })
    assert.equal("Invalid pairing code.", err.message)
    assert.equal(0, pat:get_observees():count())
    sandbox.config({ pairing_code_ttl = 3600 })
    local fresh = sam:create_pairing_code()
    assert.are_not.equal(pc.code, fresh.code)
    assert.equal(SAM, pat:add_observee_with_credentials({ pairing_code = fresh.code }).id)
    assert.same({ SAM }, ids(pat:get_observees():all()))
  end)

  it("lets only students (or an admin for a student) create pairing codes", function()
    for _, who in ipairs({ "parent", "teacher", "noperm" }) do
      local c = client(who)
      local me = c:get_current_user()
      local err = raises("Unauthorized", me.create_pairing_code, me)
      assert.equal(401, err.status)
      assert.equal("user not authorized to perform that action", err.message)
    end
    -- A student cannot make one for another student.
    local sofia = user_of(student, SOFIA)
    raises("Unauthorized", sofia.create_pairing_code, sofia)
    -- An admin can, for a student.
    local pc = user_of(admin, SOFIA):create_pairing_code()
    assert.equal(SOFIA, pc.user_id)
    assert.equal("/api/v1/users/4/observer_pairing_codes", last_api_request().path)
  end)

  it("links with the student's credentials, and a wrong password links nothing", function()
    local err = raises("Unauthorized", pat.add_observee_with_credentials, pat,
      { observee = { unique_id = "sam.student", password = "wrong" } })
    assert.equal(401, err.status)
    assert.equal("Invalid credentials provided.", err.message)
    local req = last_api_request()
    assert.equal("POST", req.method)
    assert.equal("/api/v1/users/7/observees", req.path)
    assert.equal("observee[password]=wrong&observee[unique_id]=sam.student", req.body)
    assert.equal(0, pat:get_observees():count())
    assert.equal(0, sam:get_observers():count())

    err = raises("UnprocessableEntity", pat.add_observee_with_credentials, pat,
      { observee = { unique_id = "nobody.here", password = "x" } })
    assert.equal("Unknown observee.", err.message)
    assert.equal(0, pat:get_observees():count())

    local u = pat:add_observee_with_credentials({
      observee = { unique_id = "SAM.STUDENT", password = "pass-sam.student" } })
    assert.equal(SAM, u.id)
    assert.same({ SAM }, ids(pat:get_observees():all()))
  end)

  it("links with the student's access token", function()
    local u = pat:add_observee_with_credentials({ access_token = sandbox.tokens.student })
    assert.equal(SAM, u.id)
    assert.equal("access_token=" .. sandbox.tokens.student, last_api_request().body)
    assert.same({ PAT }, ids(sam:get_observers():all()))
    raises("UnprocessableEntity", pat.add_observee_with_credentials, pat, { access_token = "bogus" })
  end)

  it("checks the credentials fields before sending anything", function()
    local before = api_count()
    for _, params in ipairs({ {}, { observee = { unique_id = "sam.student" } },
        { observee = { password = "x" } }, { pairing_code = "" } }) do
      local err = raises("RequiredFieldMissing", pat.add_observee_with_credentials, pat, params)
      assert.matches("observee%[", err.message)
    end
    raises("RequiredFieldMissing", pat.add_observee_with_credentials, pat)
    assert.error_matches(function() pat:add_observee_with_credentials("code") end, "table expected")
    assert.error_matches(function() pat:add_observee_with_credentials({ observee = "sam" }) end,
      "observee must be a table")
    assert.equal(before, api_count())
    assert.equal(0, pat:get_observees():count())
  end)

  it("lets nobody but an admin see or change another user's links", function()
    pat:add_observee_with_credentials({ pairing_code = sam:create_pairing_code().code })
    local other = user_of(parent, SAM)      -- Pat looking at Sam's lists
    raises("Unauthorized", function() return other:get_observees():all() end)
    raises("Unauthorized", function() return other:get_observers():all() end)
    local noperm = client("noperm")
    local pat_as_noperm = user_of(noperm, PAT)
    raises("Unauthorized", function() return pat_as_noperm:get_observees():all() end)
    raises("Unauthorized", pat_as_noperm.remove_observee, pat_as_noperm, SAM)
    raises("Unauthorized", pat_as_noperm.show_observee, pat_as_noperm, SAM)
    -- Nothing changed, and an admin sees both sides.
    assert.same({ SAM }, ids(user_of(admin, PAT):get_observees():all()))
    assert.same({ PAT }, ids(user_of(admin, SAM):get_observers():all()))
    assert.equal("/api/v1/users/3/observers", last_api_request().path)
  end)

  it("refuses self-observation without consuming the code", function()
    local pc = sam:create_pairing_code()
    local err = raises("BadRequest", sam.add_observee_with_credentials, sam, { pairing_code = pc.code })
    assert.equal(400, err.status)
    assert.matches("yourself", err.message)
    raises("BadRequest", pat.add_observee_with_credentials, pat,
      { observee = { unique_id = "pat.parent", password = "pass-pat.parent" } })
    local me = admin:get_current_user()
    raises("BadRequest", me.add_observee, me, 1)
    assert.equal(0, sam:get_observees():count())
    assert.equal(0, pat:get_observees():count())
    -- The code is still good for someone else.
    assert.equal(SAM, pat:add_observee_with_credentials({ pairing_code = pc.code }).id)
  end)

  it("adds and removes links by id with root_account_id (admins only)", function()
    local robin = user_of(admin, ROBIN)
    local u = robin:add_observee(SOFIA, { root_account_id = 1 })
    local req = last_api_request()
    assert.equal("PUT", req.method)
    assert.equal("/api/v1/users/8/observees/4", req.path)
    assert.equal("root_account_id=1", req.body)
    assert.equal(SOFIA, u.id)
    assert.same({ 1 }, u.observation_link_root_account_ids)
    assert.same({ 1 }, robin:show_observee(SOFIA).observation_link_root_account_ids)
    assert.equal("/api/v1/users/8/observees/4", last_api_request().path)
    -- Adding again is idempotent: still one link.
    robin:add_observee(user_of(admin, SOFIA))
    assert.same({ 1 }, robin:show_observee(SOFIA).observation_link_root_account_ids)
    -- A sub-account is not a root account the two share.
    raises("ResourceDoesNotExist", robin.add_observee, robin, SAM, { root_account_id = 2 })
    assert.equal(1, robin:get_observees():count())
    -- Parents cannot link by id, not even for themselves.
    raises("Unauthorized", pat.add_observee, pat, SAM)
    assert.equal(0, pat:get_observees():count())
    -- Canvas's destroy reads no root_account_id (UserObserveesController#destroy):
    -- the link goes for every root account, whatever is sent.
    local removed = robin:remove_observee(SOFIA, { root_account_id = 99 })
    req = last_api_request()
    assert.equal("DELETE", req.method)
    assert.equal("/api/v1/users/8/observees/4", req.path)
    assert.equal("root_account_id=99", req.body)
    assert.same({}, removed.observation_link_root_account_ids)
    raises("ResourceDoesNotExist", robin.remove_observee, robin, SOFIA)
    assert.equal(0, robin:get_observees():count())
    assert.equal(0, user_of(admin, SOFIA):get_observers():count())
  end)

  it("describes the observer methods as endpoint rows", function()
    local eps = lcanvas.core.endpoints("User")
    local want = {
      get_observees = { "GET", "users/{id}/observees", true },
      get_observers = { "GET", "users/{id}/observers", true },
      add_observee_with_credentials = { "POST", "users/{id}/observees", false },
      show_observee = { "GET", "users/{id}/observees/{1}", false },
      show_observer = { "GET", "users/{id}/observers/{1}", false },
      add_observee = { "PUT", "users/{id}/observees/{1}", false },
      remove_observee = { "DELETE", "users/{id}/observees/{1}", false },
      create_pairing_code = { "POST", "users/{id}/observer_pairing_codes", false },
    }
    for name, w in pairs(want) do
      assert.is_table(eps[name], name)
      assert.equal(w[1], eps[name].method, name)
      assert.equal(w[2], eps[name].path, name)
      assert.equal(w[3], eps[name].list, name)
      assert.is_string(eps[name].doc, name)
    end
    assert.error_matches(function() pat:show_observee(nil) end, "id is required")
    assert.error_matches(function() pat:show_observee() end, "id is required")
  end)
end)

-- A second sandbox with two root accounts, to show that links are scoped by
-- root account. Pat and Sam are both associated with root accounts 1 and 3
-- (Sam through a course in 3, Pat through an observer enrollment there).
local TWO_ROOTS_SEED = [[
local function user(id, name, login)
  return { id = id, name = name, short_name = name, sortable_name = name, login_id = login,
    password = "pass-" .. login, account_id = 1, created_at = "2024-08-15T12:00:00Z" }
end
return {
  accounts = { { id = 1, name = "Sandbox University" }, { id = 3, name = "Partner Academy" } },
  users = { user(1, "Sandbox Admin", "admin"), user(3, "Sam Student", "sam.student"),
    user(7, "Pat Parent", "pat.parent") },
  courses = { { id = 1, name = "Biology 101", account_id = 1 }, { id = 9, name = "Art", account_id = 3 } },
  enrollments = {
    { id = 1, user_id = 3, course_id = 1, type = "StudentEnrollment", enrollment_state = "active" },
    { id = 2, user_id = 3, course_id = 9, type = "StudentEnrollment", enrollment_state = "active" },
    { id = 3, user_id = 7, course_id = 9, type = "ObserverEnrollment", enrollment_state = "active" },
  },
  admins = { [1] = true },
  tokens = { ["sandbox-admin-token"] = 1, ["sandbox-student-token"] = 3, ["sandbox-parent-token"] = 7 },
}
]]

describe("observer links across root accounts", function()
  local proc, seed_file, student, parent, sam, pat
  setup(function()
    seed_file = os.tmpname()
    local f = assert(io.open(seed_file, "w"))
    f:write(TWO_ROOTS_SEED)
    f:close()
    local h = assert(io.popen(string.format("exec env -u LD_PRELOAD lua5.4 %q --port 0 --quiet --seed %q",
      sandbox.root .. "/lua/lcanvas/sandbox/cli.lua", seed_file)))
    local line = h:read("l") or ""
    local pid, url = line:match("pid=(%d+) url=(%S+)")
    assert(pid, "second sandbox did not start: " .. line)
    proc = { pid = pid, url = url, handle = h }
    student = lcanvas.new(url, sandbox.tokens.student)
    parent = lcanvas.new(url, sandbox.tokens.parent)
    sam, pat = student:get_current_user(), parent:get_current_user()
  end)
  teardown(function()
    if proc then
      os.execute("kill " .. proc.pid)
      proc.handle:close()
    end
    os.remove(seed_file)
  end)

  it("links on the domain root account by default, on every common one with 'all'", function()
    local u = pat:add_observee_with_credentials({ pairing_code = sam:create_pairing_code().code })
    assert.same({ 1 }, u.observation_link_root_account_ids)
    u = pat:add_observee_with_credentials({ pairing_code = sam:create_pairing_code().code,
      root_account_id = "all" })
    assert.same({ 1, 3 }, u.observation_link_root_account_ids)
    assert.same({ 1, 3 }, sam:get_observers():first().observation_link_root_account_ids)
    -- Removing names no root account: every link between the two goes.
    u = pat:remove_observee(SAM, { root_account_id = 3 })
    assert.same({}, u.observation_link_root_account_ids)
    assert.equal(0, pat:get_observees():count())
    u = pat:add_observee_with_credentials({ observee = { unique_id = "sam.student",
      password = "pass-sam.student" }, root_account_id = 3 })
    assert.same({ 3 }, u.observation_link_root_account_ids)
    pat:remove_observee(SAM)
    assert.equal(0, pat:get_observees():count())
    -- An account that does not exist is not found.
    raises("ResourceDoesNotExist", pat.add_observee_with_credentials, pat,
      { pairing_code = sam:create_pairing_code().code, root_account_id = 42 })
    assert.equal(0, pat:get_observees():count())
  end)
end)
