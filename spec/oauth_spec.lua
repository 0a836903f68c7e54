-- OAuth2 access-token refresh: the `refresh` client option against the
-- sandbox's POST /login/oauth2/token (developer key sandbox-client /
-- sandbox-secret, refresh token sandbox-refresh-token for the admin).
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local CLIENT_ID, SECRET, REFRESH = "sandbox-client", "sandbox-secret", "sandbox-refresh-token"
local EXPIRED = "sandbox-expired-token"
local TOKEN_PATH = "/login/oauth2/token"

local function refresh_opts(over)
  local r = { client_id = CLIENT_ID, client_secret = SECRET, refresh_token = REFRESH }
  for k, v in pairs(over or {}) do r[k] = v end
  return r
end

local function connect(token, over, opts)
  opts = opts or {}
  opts.refresh = refresh_opts(over)
  return lcanvas.new(sandbox.url, token, opts)
end

local function token_posts()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if r.path == TOKEN_PATH then out[#out + 1] = r end
  end
  return out
end

local function api_requests()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if r.path:find("^/api/v1/") then out[#out + 1] = r end
  end
  return out
end

local function bearer(r) return (r.headers.authorization or ""):match("^Bearer (.+)$") end

local function form(body)
  local out = {}
  for k, v in body:gmatch("([^&=]+)=([^&]*)") do out[k] = v end
  return out
end

-- Every string field of an error, for "no secret anywhere" checks.
local function error_texts(e)
  return { tostring(e), e.message or "", e.url or "", e.body or "", e.method or "" }
end

local function assert_no_secrets(texts, extra)
  local secrets = { SECRET, REFRESH, EXPIRED }
  for _, s in ipairs(extra or {}) do secrets[#secrets + 1] = s end
  for _, t in ipairs(texts) do
    for _, s in ipairs(secrets) do
      assert.is_nil(t:find(s, 1, true), "secret '" .. s .. "' leaked into: " .. t)
    end
  end
end

describe("OAuth2 token refresh", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("refreshes an expired token once, retries with the new one, and keeps it", function()
    local c = connect(EXPIRED)
    assert.is_nil(c:token_expires_at())
    local before = os.time()
    local me = c:get_current_user()
    assert.equal(1, me.id)

    local posts = token_posts()
    assert.equal(1, #posts)
    local p = posts[1]
    assert.equal("POST", p.method)
    assert.equal("main", p.origin)
    assert.is_nil(p.headers.authorization)   -- the expired token is not sent along
    assert.matches("x%-www%-form%-urlencoded", p.headers["content-type"])
    assert.same({ grant_type = "refresh_token", client_id = CLIENT_ID, client_secret = SECRET,
      refresh_token = REFRESH }, form(p.body))
    assert.equal(200, p.status)

    local api = api_requests()
    assert.equal(2, #api)
    assert.equal(EXPIRED, bearer(api[1]))
    assert.equal(401, api[1].status)
    local fresh = bearer(api[2])
    assert.is_string(fresh)
    assert.are_not.equal(EXPIRED, fresh)
    assert.equal(200, api[2].status)
    assert.is_true(api[2].seq > p.seq)

    -- the token endpoint said 3600 s
    local exp = c:token_expires_at()
    assert.is_true(exp >= before + 3599 and exp <= os.time() + 3601)

    -- later requests use the new token without another refresh
    assert.equal("Sam Student", c:get_user(3).name)
    api = api_requests()
    assert.equal(fresh, bearer(api[#api]))
    assert.equal(200, api[#api].status)
    assert.equal(1, #token_posts())
    assert.equal(1, c:stats().token_refreshes)
  end)

  it("refreshes before the first request when no token is given", function()
    local c = connect(nil)
    assert.equal(1, c:get_current_user().id)
    local api = api_requests()
    assert.equal(1, #api)                     -- no 401 first: the refresh came first
    assert.equal(200, api[1].status)
    assert.equal(1, #token_posts())
    assert.is_true(token_posts()[1].seq < api[1].seq)
  end)

  it("retries a request with a body unchanged after the refresh", function()
    local c = connect(EXPIRED)
    c:request("PUT", "users/3", { user = { short_name = "Sammy" } })
    local puts = {}
    for _, r in ipairs(api_requests()) do if r.method == "PUT" then puts[#puts + 1] = r end end
    assert.equal(2, #puts)
    assert.equal(401, puts[1].status)
    assert.equal(200, puts[2].status)
    assert.equal(puts[1].body, puts[2].body)
    assert.equal("Sammy", c:get_user(3).short_name)
  end)

  it("refreshes once more when the new token expires too", function()
    sandbox.config({ access_token_ttl = 1 })
    local c = connect(EXPIRED)
    c:get_current_user()
    assert.equal(1, #token_posts())
    local first = bearer(api_requests()[2])
    local exp = c:token_expires_at()
    assert.is_true(exp <= os.time() + 2)
    os.execute("sleep 1.3")
    -- the sandbox refuses the first new token now
    local probe = lcanvas.new(sandbox.url, first)
    sandbox.raises("InvalidAccessToken", probe.get_current_user, probe)
    assert.equal(3, c:get_user(3).id)
    local posts = token_posts()
    assert.equal(2, #posts)
    local api = api_requests()
    local last = api[#api]
    assert.equal(200, last.status)
    assert.are_not.equal(first, bearer(last))
    assert.are_not.equal(EXPIRED, bearer(last))
    assert.equal(2, c:stats().token_refreshes)
  end)

  it("makes one refresh for 8 concurrent requests that all hit the expired token", function()
    local c = connect(EXPIRED)
    local ids = { 101, 102, 103, 104, 105, 106, 107, 108 }
    local got = c:map(ids, function(id) return c:get_user(id).id end, { concurrency = 8 })
    for i, id in ipairs(ids) do assert.equal(id, got[i]) end
    local posts = token_posts()
    assert.equal(1, #posts)
    local ok, refused, fresh = 0, 0, nil
    for _, r in ipairs(api_requests()) do
      if r.status == 401 then
        refused = refused + 1
        assert.equal(EXPIRED, bearer(r))
        -- (sent before the refresh, though the server may log one after it)
      else
        assert.equal(200, r.status)
        ok = ok + 1
        fresh = fresh or bearer(r)
        assert.equal(fresh, bearer(r))       -- all retries share the one new token
        assert.is_true(r.seq > posts[1].seq)
      end
    end
    assert.equal(8, ok)
    -- all 8 were in flight with the expired token before the first 401 came back
    assert.equal(8, refused)
    assert.equal(1, c:stats().token_refreshes)
  end)

  it("raises InvalidAccessToken naming the refresh when the refresh is refused, and sends nothing else", function()
    for _, over in ipairs({ { client_secret = "wrong-secret-value" }, { refresh_token = "revoked-refresh-token" } }) do
      sandbox.reset()
      local c = connect(EXPIRED, over)
      local e = sandbox.raises("InvalidAccessToken", c.get_current_user, c)
      assert.matches("refresh", e.message)
      assert.matches("invalid_grant", e.message)
      assert.equal(400, e.status)
      assert.equal("POST", e.method)
      assert.equal(sandbox.url .. TOKEN_PATH, e.url)
      assert_no_secrets(error_texts(e), { over.client_secret or over.refresh_token })
      local log = sandbox.requests()
      assert.equal(2, #log)                   -- the 401 and the refresh, no retry
      assert.equal(401, log[1].status)
      assert.equal(TOKEN_PATH, log[2].path)
      assert.equal(400, log[2].status)
    end
  end)

  it("fails every waiting task with the refresh error after one refused refresh", function()
    local c = connect(EXPIRED, { client_secret = "wrong-secret-value" })
    local errs = c:map({ 101, 102, 103, 104 }, function(id)
      local ok, e = pcall(c.get_user, c, id)
      return ok and "ok" or e
    end, { concurrency = 4 })
    for _, e in ipairs(errs) do
      assert.is_true(lcanvas.is_error(e, "InvalidAccessToken"))
      assert.matches("refresh", e.message)
    end
    assert.equal(1, #token_posts())
    for _, r in ipairs(api_requests()) do assert.equal(401, r.status) end
  end)

  it("treats a 401 from the token endpoint as a failed refresh", function()
    sandbox.fault({ path = TOKEN_PATH, status = 401,
      body = '{"error":"invalid_client","error_description":"unknown client"}' })
    local c = connect(EXPIRED)
    local e = sandbox.raises("InvalidAccessToken", c.get_current_user, c)
    assert.matches("refresh", e.message)
    assert.equal(401, e.status)
    assert.equal(1, #token_posts())
    assert.equal(1, #api_requests())
  end)

  it("raises InvalidAccessToken when the retried request is refused again, without a second refresh", function()
    local c = connect(EXPIRED)
    -- both the first attempt and the retry answer 401 + WWW-Authenticate
    sandbox.fault({ path = "/api/v1/users/self", status = 401, count = 2,
      headers = { ["WWW-Authenticate"] = 'Bearer realm="canvas-lms"' },
      body = '{"errors":[{"message":"Invalid access token."}]}' })
    local e = sandbox.raises("InvalidAccessToken", c.get_current_user, c)
    assert.equal(401, e.status)
    assert.equal("Invalid access token.", e.message)
    assert.equal(1, #token_posts())
    assert.equal(2, #api_requests())
    local fresh = bearer(api_requests()[2])
    assert_no_secrets(error_texts(e), { fresh })
  end)

  it("never refreshes on a 401 without WWW-Authenticate (Unauthorized)", function()
    local c = connect(sandbox.tokens.admin)
    sandbox.fault({ path = "/api/v1/users/self", status = 401,
      body = '{"status":"unauthorized","errors":[{"message":"user not authorized to perform that action"}]}' })
    sandbox.raises("Unauthorized", c.get_current_user, c)
    assert.equal(0, #token_posts())
    assert.equal(1, #api_requests())
    -- the sandbox's own permission 401 (a student reading another user's profile)
    local s = lcanvas.new(sandbox.url, sandbox.tokens.student, { refresh = refresh_opts() })
    sandbox.raises("Unauthorized", s.request, s, "GET", "users/4/profile")
    assert.equal(0, #token_posts())
  end)

  it("sends the refresh to the configured origin only", function()
    local c = connect(EXPIRED)
    c:get_current_user()
    for _, r in ipairs(sandbox.requests()) do assert.equal("main", r.origin) end
    local posts = token_posts()
    assert.equal(1, #posts)
    assert.equal(sandbox.url:match("^http://(.*)$"), posts[1].headers.host)
    -- a client configured for another origin refreshes there, not on main
    sandbox.clear_requests()
    local alt = lcanvas.new(sandbox.alt, EXPIRED, { refresh = refresh_opts() })
    sandbox.raises("InvalidAccessToken", alt.get_current_user, alt)
    for _, r in ipairs(sandbox.requests()) do assert.equal("alt", r.origin) end
  end)

  it("keeps the secret and tokens out of -v output", function()
    local exe = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build") .. "/lcanvas"
    local script = string.format([[
      local lcanvas = require "lcanvas"
      local c = lcanvas.new(%q, %q, { verbose = 2, refresh = { client_id = %q, client_secret = %q, refresh_token = %q } })
      print(c:get_current_user().id)
      local bad = lcanvas.new(%q, %q, { verbose = 2, refresh = { client_id = %q, client_secret = "wrong-secret-value", refresh_token = %q } })
      local ok, e = pcall(bad.get_current_user, bad)
      print(tostring(e))
    ]], sandbox.url, EXPIRED, CLIENT_ID, SECRET, REFRESH, sandbox.url, EXPIRED, CLIENT_ID, REFRESH)
    local path = sandbox.tmpname()
    sandbox.write_file(path, script)
    local code, out, err = sandbox.sh(string.format(
      "env -u CANVAS_API_URL -u CANVAS_API_TOKEN XDG_CONFIG_HOME=/nonexistent %q %q", exe, path))
    os.remove(path)
    assert.equal(0, code, err)
    assert.matches("^1\n", out)
    assert.matches("refresh", out)
    assert.matches("POST /login/oauth2/token %-> 200", err)
    assert.matches("POST /login/oauth2/token %-> 400", err)
    assert.matches("client_secret=%[REDACTED%]", err)
    local fresh
    for _, r in ipairs(api_requests()) do
      if r.status == 200 then fresh = bearer(r) end
    end
    assert.is_string(fresh)
    assert_no_secrets({ out, err }, { fresh, "wrong-secret-value" })
  end)

  it("refuses bad refresh options with a message naming the field", function()
    local function fails(pattern, token, opts)
      local ok, e = pcall(lcanvas.new, sandbox.url, token, opts)
      assert.is_false(ok)
      assert.matches(pattern, tostring(e))
      assert_no_secrets({ tostring(e) })
    end
    fails("option 'refresh' must be a table", EXPIRED, { refresh = "x" })
    fails("'refresh%.client_secret' must be a non%-empty string %(got nil%)", EXPIRED,
      { refresh = { client_id = CLIENT_ID, refresh_token = REFRESH } })
    fails("'refresh%.client_id' must be a non%-empty string %(got number%)", EXPIRED,
      { refresh = { client_id = 5, client_secret = SECRET, refresh_token = REFRESH } })
    fails("'refresh%.refresh_token' must be a non%-empty string %(got an empty string%)", EXPIRED,
      { refresh = { client_id = CLIENT_ID, client_secret = SECRET, refresh_token = "" } })
    fails("unknown field 'secret'", EXPIRED,
      { refresh = { client_id = CLIENT_ID, secret = SECRET, refresh_token = REFRESH } })
    fails("a token is required", nil, {})
    fails("a token is required", nil)
    fails("Bearer tokens only", EXPIRED, { auth = "catalog", refresh = refresh_opts() })
    assert.equal(0, #sandbox.requests())
  end)
end)

describe("lcanvas --refresh-file", function()
  local BUILD = os.getenv("LCANVAS_BUILD") or "build"
  local EXE = sandbox.root .. "/" .. BUILD .. "/lcanvas"
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  local function run(args, token, config_home)
    local env = string.format("env -u CANVAS_API_TOKEN -u CANVAS_CATALOG_URL -u CANVAS_CATALOG_TOKEN " ..
      "CANVAS_API_URL=%q XDG_CONFIG_HOME=%q ", sandbox.url, config_home or "/nonexistent")
    if token then env = env .. string.format("CANVAS_API_TOKEN=%q ", token) end
    return sandbox.sh(env .. string.format("%q ", EXE) .. args)
  end

  local function refresh_file(text, mode)
    local path = sandbox.tmpname()
    sandbox.write_file(path, text)
    os.execute(string.format("chmod %s %q", mode or "600", path))
    return path
  end

  it("refreshes the expired token from a JSON or Lua file, or fetches the first one", function()
    local json_file = refresh_file(string.format(
      '{"client_id": %q, "client_secret": %q, "refresh_token": %q}', CLIENT_ID, SECRET, REFRESH))
    local code, out, err = run("--refresh-file " .. sandbox.quote(json_file) ..
      " -e 'print(canvas:get_current_user().id)'", EXPIRED)
    assert.equal(0, code, err)
    assert.equal("1\n", out)
    assert.equal(1, #token_posts())

    local lua_file = refresh_file(string.format(
      '{ client_id = %q, client_secret = %q, refresh_token = %q }', CLIENT_ID, SECRET, REFRESH))
    code, out, err = run("--refresh-file=" .. sandbox.quote(lua_file) ..
      " -e 'print(canvas:get_current_user().id)'", nil)
    assert.equal(0, code, err)
    assert.equal("1\n", out)
    assert.equal(2, #token_posts())
    os.remove(json_file)
    os.remove(lua_file)
  end)

  it("takes refresh_file from the profile that names the URL", function()
    local dir = sandbox.tmpname()
    os.execute(string.format("mkdir -p %q", dir .. "/lcanvas"))
    local rf = refresh_file(string.format(
      '{"client_id": %q, "client_secret": %q, "refresh_token": %q}', CLIENT_ID, SECRET, REFRESH))
    sandbox.write_file(dir .. "/lcanvas/config.lua", string.format(
      '{ default = "p", profiles = { p = { url = %q, refresh_file = %q } } }', sandbox.url, rf))
    local code, out, err = sandbox.sh(string.format(
      "env -u CANVAS_API_URL -u CANVAS_API_TOKEN XDG_CONFIG_HOME=%q %q -e 'print(canvas:get_current_user().id)'",
      dir, EXE))
    assert.equal(0, code, err)
    assert.equal("1\n", out)
    assert.equal(1, #token_posts())
    -- another URL from the environment: the profile's secret is not sent there
    sandbox.clear_requests()
    code = sandbox.sh(string.format(
      "env -u CANVAS_API_TOKEN CANVAS_API_URL=%q XDG_CONFIG_HOME=%q %q -e 'print(canvas:get_current_user().id)'",
      sandbox.alt, dir, EXE))
    assert.are_not.equal(0, code)
    assert.equal(0, #sandbox.requests())
    os.execute(string.format("rm -rf %q", dir))
    os.remove(rf)
  end)

  it("refuses a refresh file readable by others or incomplete, without showing its values", function()
    local loose = refresh_file(string.format(
      '{"client_id": %q, "client_secret": %q, "refresh_token": %q}', CLIENT_ID, SECRET, REFRESH), "644")
    local code, out, err = run("--refresh-file " .. sandbox.quote(loose) .. " -e 'print(1)'", EXPIRED)
    assert.equal(2, code)
    assert.matches("readable by others", err)
    assert_no_secrets({ out, err })
    local partial = refresh_file(string.format('{"client_id": %q, "refresh_token": %q}', CLIENT_ID, REFRESH))
    code, out, err = run("--refresh-file " .. sandbox.quote(partial) .. " -e 'print(1)'", EXPIRED)
    assert.equal(2, code)
    assert.matches("'client_secret' must be a non%-empty string", err)
    assert_no_secrets({ out, err })
    assert.equal(0, #sandbox.requests())
    os.remove(loose)
    os.remove(partial)
  end)

  it("keeps the secret out of the error when the refresh is refused", function()
    local bad = refresh_file(string.format(
      '{"client_id": %q, "client_secret": "wrong-secret-value", "refresh_token": %q}', CLIENT_ID, REFRESH))
    local code, out, err = run("-v --refresh-file " .. sandbox.quote(bad) ..
      " -e 'print(canvas:get_current_user().id)'", EXPIRED)
    assert.equal(1, code)
    assert.matches("InvalidAccessToken: POST /login/oauth2/token %-> 400 refreshing the access token failed", err)
    assert_no_secrets({ out, err }, { "wrong-secret-value" })
    os.remove(bad)
  end)
end)
