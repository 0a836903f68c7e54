-- The client against the running sandbox: configuration, what goes on the
-- wire, ids, parameters and the error object.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local BIG_ID = 43460000000000001

local function connect(opts, token)
  return lcanvas.new(sandbox.url, token or sandbox.tokens.admin, opts)
end

local last_api_request = sandbox.last_api_request

describe("lcanvas.new", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("accepts a base URL with trailing slashes and white space", function()
    local c = lcanvas.new("  " .. sandbox.url .. "//  \n", sandbox.tokens.admin)
    assert.equal(sandbox.url .. "/", c:base_url())
    local me = c:get_current_user()
    assert.equal(1, me.id)
    assert.equal("/api/v1/users/self", last_api_request().path)
  end)

  it("rejects a base URL that already contains /api/v1", function()
    local ok, err = pcall(lcanvas.new, sandbox.url .. "/api/v1", "t")
    assert.is_false(ok)
    assert.matches("must not contain /api/v1", err)
  end)

  it("refuses plain http to a non-loopback host unless allowed", function()
    local ok, err = pcall(lcanvas.new, "http://canvas.example.edu", "t")
    assert.is_false(ok)
    assert.matches("refusing plain http://", err)
    assert.is_truthy(lcanvas.new("http://canvas.example.edu", "t", { allow_insecure = true }))
    assert.is_truthy(lcanvas.new("https://canvas.example.edu", "t"))
  end)

  it("rejects other schemes, empty tokens and unknown options with clear messages", function()
    assert.error_matches(function() lcanvas.new("ftp://x", "t") end, "https://")
    assert.error_matches(function() lcanvas.new(sandbox.url, "") end, "token is required")
    assert.error_matches(function() lcanvas.new(sandbox.url, "t", { timout = 3 }) end,
      "unknown option 'timout'")
    assert.error_matches(function() lcanvas.new(sandbox.url, "t", { timeout = "soon" }) end,
      "'timeout' must be a number")
    assert.error_matches(function() lcanvas.new(nil, "t") end, "bad argument #1")
  end)

  it("sends bearer auth, a User-Agent, Accept and Accept-Encoding on every request", function()
    connect():get_current_user()
    local h = last_api_request().headers
    assert.equal("Bearer " .. sandbox.tokens.admin, h["authorization"])
    assert.equal("lcanvas/" .. lcanvas._VERSION, h["user-agent"])
    assert.equal("application/json", h["accept"])
    -- what Canvas serves; each byte more is paid on every request (doc/performance.md)
    assert.equal("gzip", h["accept-encoding"])
  end)

  it("takes its proxy from the environment as libcurl does, no_proxy included", function()
    -- One request from a child process, so that the variables are its own.
    -- A loopback origin never goes through a proxy (the token would reach
    -- it in clear text), so the proxied cases ask for http://0.0.0.0:9
    -- (not loopback to the client's rule, hence allow_insecure; refused at
    -- once here when asked directly) through the sandbox as the proxy,
    -- which answers a request it cannot route with a 404.
    local prog = sandbox.tmpname() .. ".lua"
    local build = sandbox.root .. "/" .. (os.getenv("LCANVAS_BUILD") or "build")
    local port = sandbox.url:match(":(%d+)/?$")
    sandbox.write_file(prog, string.format("package.path = %q .. package.path\npackage.cpath = %q .. package.cpath\n",
      sandbox.root .. "/lua/?.lua;" .. sandbox.root .. "/lua/?/init.lua;", build .. "/lib/?.so;")
      .. string.format([[
local lcanvas = require "lcanvas"
local c = lcanvas.new(arg[1], %q, { max_retries = 0, allow_insecure = true, connect_timeout = 2 })
local ok, e = pcall(c.get_current_user, c)
io.write(ok and "ok" or e.kind)]], sandbox.tokens.admin))
    local function run(env, base)
      -- the sanitizer build's module needs its runtime preloaded (helper.lua drops LD_PRELOAD)
      local preload = os.getenv("LCANVAS_ASAN_PRELOAD")
      local _, out, err = sandbox.sh("env -u http_proxy -u all_proxy -u ALL_PROXY -u no_proxy -u NO_PROXY "
        .. (preload and ("ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=" .. sandbox.quote(preload) .. " ") or "")
        .. env .. " lua5.4 " .. sandbox.quote(prog) .. " " .. sandbox.quote(base or "http://0.0.0.0:9"))
      return out .. err
    end
    local proxy = sandbox.url:gsub("/$", "")
    assert.equal("ok", run("", sandbox.url))
    assert.equal("NetworkError", run(""))
    -- through the proxy: the sandbox answered
    assert.equal("ResourceDoesNotExist", run("http_proxy=" .. proxy))
    assert.equal("ResourceDoesNotExist", run("all_proxy=" .. proxy))
    assert.equal("NetworkError", run("http_proxy=" .. proxy .. " no_proxy=0.0.0.0"))
    assert.equal("NetworkError", run("all_proxy=" .. proxy .. " NO_PROXY=localhost,0.0.0.0"))
    -- libcurl ignores HTTP_PROXY (a CGI could set it from a request header)
    assert.equal("NetworkError", run("HTTP_PROXY=" .. proxy))
    -- A loopback origin bypasses every proxy (nothing listens on port 9).
    for _, base in ipairs({ sandbox.url, "http://localhost:" .. port }) do
      assert.equal("ok", run("http_proxy=http://127.0.0.1:9", base))
      assert.equal("ok", run("all_proxy=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9", base))
    end
    os.remove(prog)
  end)

  it("lets the caller override the User-Agent", function()
    connect({ user_agent = "district-sync/2.0" }):get_current_user()
    assert.equal("district-sync/2.0", last_api_request().headers["user-agent"])
  end)

  it("masquerades every request with as_user_id", function()
    local c = connect({ as_user_id = "sis_user_id:S0002" })
    local me = c:get_current_user()
    local req = last_api_request()
    assert.matches("as_user_id=sis_user_id%%3AS0002", req.query)
    assert.not_equal(1, me.id)
    c:request("PUT", "users/self", { user = { locale = "fr" } })
    assert.matches("as_user_id=", last_api_request().query)
  end)

  it("masquerades with an integer as_user_id, and refuses a non-positive one", function()
    local opts = { as_user_id = 4 }
    local c = connect(opts)
    assert.equal(4, c:get_current_user().id)
    assert.matches("as_user_id=4", last_api_request().query)
    assert.equal(4, opts.as_user_id)  -- the caller's table is left as it was
    assert.error_matches(function() connect({ as_user_id = 0 }) end, "as_user_id")
    assert.error_matches(function() connect({ as_user_id = true }) end, "as_user_id")
  end)

  it("keeps connections alive across requests", function()
    local c = connect()
    for _ = 1, 5 do c:get_current_user() end
    local log = sandbox.requests()
    local conns = {}
    for _, r in ipairs(log) do if r.conn then conns[r.conn] = true end end
    local n = 0
    for _ in pairs(conns) do n = n + 1 end
    assert.equal(1, n)
  end)

  -- The client's easy handles are pooled and keep its options between
  -- requests (xfer.c): what one request set must not leak into the next.
  it("sends each request as asked when one pooled handle serves them in turn", function()
    local c = connect()
    c:get_current_user()
    c:request("POST", "users/self/folders", { name = "Pooled" })
    pcall(c.request, c, "DELETE", "users/self/no_such_thing")
    pcall(c.request, c, "PUT", "users/self/no_such_thing")
    c:get_current_user()
    local seen = {}
    for _, r in ipairs(sandbox.api_requests()) do seen[#seen + 1] = r end
    assert.same({ "GET", "POST", "DELETE", "PUT", "GET" },
      { seen[1].method, seen[2].method, seen[3].method, seen[4].method, seen[5].method })
    assert.equal("name=Pooled", seen[2].body)
    assert.equal("application/x-www-form-urlencoded", seen[2].headers["content-type"])
    for i = 1, 5 do
      local h = seen[i].headers
      assert.equal("Bearer " .. sandbox.tokens.admin, h["authorization"])
      assert.equal("application/json", h["accept"])
      assert.matches("^lcanvas/", h["user-agent"])
      assert.is_nil(h["expect"])
    end
    for _, i in ipairs({ 1, 3, 5 }) do
      assert.equal("", seen[i].body)
      assert.is_nil(seen[i].headers["content-type"])
    end
  end)
end)

describe("ids", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("reads integral numbers as exact integers over the int64 range", function()
    local u = connect():get_user(BIG_ID)
    assert.equal("integer", math.type(u.id))
    assert.equal(BIG_ID, u.id)
    assert.equal("43460000000000001", u.id .. "")
    assert.equal("/api/v1/users/43460000000000001", last_api_request().path)
  end)

  it("round-trips a big id into paths and bodies unchanged", function()
    local c = connect()
    local u = c:get_user(BIG_ID)
    u:edit({ user = { short_name = "Shard" } })
    local req = last_api_request()
    assert.equal("PUT", req.method)
    assert.equal("/api/v1/users/43460000000000001", req.path)
    assert.equal("Shard", u.short_name)
    -- an attribute the caller may manage (UsersController#update answers 401
    -- for any other, as user[sis] was)
    c:request("PUT", "users/self", { user = { short_name = u.id } })
    assert.matches("user%[short_name%]=43460000000000001", last_api_request().body)
  end)

  it("keeps string ids from the string-ids Accept header exact too", function()
    local c = connect({ string_ids = true })
    local u = c:get_user(BIG_ID)
    assert.matches("application/json%+canvas%-string%-ids", last_api_request().headers["accept"])
    assert.equal("string", type(u.id))
    assert.equal("43460000000000001", u.id .. "")
    u:edit({ user = { short_name = "S" } })
    assert.equal("/api/v1/users/43460000000000001", last_api_request().path)
    assert.is_true(u == c:get_user(BIG_ID))
  end)

  it("never turns an integral number into a float", function()
    local c = connect()
    local me = c:get_current_user()
    assert.equal("1", tostring(me.id))
    local prof = me:get_profile()
    assert.equal("integer", math.type(prof.id))
  end)

  it("looks users up by self, sis_user_id and sis_login_id, escaping the value", function()
    local c = connect()
    local a = c:get_user("self")
    assert.equal(1, a.id)
    local b = c:get_user("S0002", "sis_user_id")
    assert.equal("/api/v1/users/sis_user_id:S0002", last_api_request().path)
    assert.equal("S0002", b.sis_user_id)
    local d = c:get_user("CS/101.1", "sis_user_id")
    assert.equal("/api/v1/users/sis_user_id:CS%2F101%2E1", last_api_request().path)
    assert.equal("CS/101.1", d.sis_user_id)
    local e = c:get_user("JDOE@example.com", "sis_login_id")
    assert.equal("/api/v1/users/sis_login_id:JDOE%40example%2Ecom", last_api_request().path)
    assert.equal("jdoe@example.com", e.login_id)
    local f = c:get_user("sis_user_id:S0002")
    assert.is_true(f == b)
  end)

  it("refuses nil, zero, negative, fractional and non-id arguments before any request", function()
    local c = connect()
    sandbox.clear_requests()
    assert.error_matches(function() c:get_user(nil) end, "id is required")
    assert.error_matches(function() c:get_user(0) end, "positive integer")
    assert.error_matches(function() c:get_user(-3) end, "positive integer")
    assert.error_matches(function() c:get_user(1.5) end, "whole number")
    assert.error_matches(function() c:get_user({}) end, "expected an id")
    assert.error_matches(function() c:get_user("") end, "must not be empty")
    assert.equal(0, #sandbox.requests())
  end)
end)

describe("core.url_origin", function()
  -- The one origin rule (the C core's lc_url_origin), used by Lua code too
  -- (the upload's relative Location).
  it("gives scheme://host:port, lowercased, without userinfo, default port filled in", function()
    local core = lcanvas.core
    assert.equal("https://school.example:443", core.url_origin("HTTPS://me@School.Example/x?y=1"))
    assert.equal("http://127.0.0.1:8080", core.url_origin("http://127.0.0.1:8080/files/1"))
    assert.equal("http://files.example:80", core.url_origin("http://files.example"))
  end)

  it("gives nil for a relative, non-http or hostless URL", function()
    local core = lcanvas.core
    assert.is_nil(core.url_origin("/api/v1/files/1"))
    assert.is_nil(core.url_origin("ftp://files.example/x"))
    assert.is_nil(core.url_origin("https:///x"))
    assert.is_nil(core.url_origin("https://" .. string.rep("a", 600) .. ".example/"))
  end)
end)

describe("parameters", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = connect()
  end)

  local function query_of(params)
    c:request("GET", "users/self", params)
    return last_api_request().query
  end

  local function body_of(params)
    c:request("PUT", "users/self", params)
    local req = last_api_request()
    return req.body, req.headers["content-type"]
  end

  it("encodes nested maps, sequences and sequences of maps Rails-style", function()
    assert.equal("user[avatar][url]=http%3A%2F%2Fx%2Fa.png&user[name]=Jo%20Ann",
      query_of({ user = { name = "Jo Ann", avatar = { url = "http://x/a.png" } } }))
    assert.equal("include[]=avatar_url&include[]=email",
      query_of({ include = { "avatar_url", "email" } }))
    assert.equal("entry[][name]=A&entry[][value]=90&entry[][name]=B&entry[][value]=80",
      query_of({ entry = { { name = "A", value = 90 }, { name = "B", value = 80 } } }))
    assert.equal("a[types][]=x&a[types][]=y", query_of({ a = { types = { "x", "y" } } }))
    assert.equal("a[b][c][d]=deep", query_of({ a = { b = { c = { d = "deep" } } } }))
  end)

  it("writes booleans, integers and floats the way Canvas reads them", function()
    assert.equal("big=43460000000000001&f=2.5&n=5&no=false&whole=3&yes=true",
      query_of({ yes = true, no = false, n = 5, big = BIG_ID, f = 2.5, whole = 3.0 }))
  end)

  it("sorts keys and sends nothing for empty tables and null", function()
    assert.equal("a=1&m=2&z=3", query_of({ z = 3, a = 1, m = 2, empty = {}, none = lcanvas.null }))
    assert.equal("", query_of({ empty = {}, nested = { inner = {} } }))
  end)

  it("percent-encodes keys and values, including UTF-8", function()
    assert.equal("q=caf%C3%A9%20%26%20cr%C3%A8me&search%20term=a%2Bb",
      query_of({ q = "café & crème", ["search term"] = "a+b" }))
  end)

  it("puts parameters of PUT, POST and DELETE in a form body", function()
    local body, ct = body_of({ user = { name = "Body Name" } })
    assert.equal("user[name]=Body%20Name", body)
    assert.equal("application/x-www-form-urlencoded", ct)
    assert.equal("", last_api_request().query)
    c:request("PUT", "users/self/custom_data", { ns = "org.example", data = "x" })
    local deleted = c:request("DELETE", "users/self/custom_data", { ns = "org.example" })
    assert.equal("x", deleted.data)
    local req = last_api_request()
    assert.equal("DELETE", req.method)
    assert.equal("ns=org.example", req.body)
  end)

  it("sends a JSON body with json = true, keeping types", function()
    c:request("PUT", "users/self/custom_data/prefs",
      { ns = "org.example", data = { n = 5, f = 1.5, ok = true, none = lcanvas.null, list = { 1, 2 } } },
      { json = true })
    local req = last_api_request()
    assert.equal("application/json", req.headers["content-type"])
    local doc = lcanvas.json.decode(req.body)
    assert.equal(5, doc.data.n)
    assert.equal("integer", math.type(doc.data.n))
    assert.equal(1.5, doc.data.f)
    assert.is_true(doc.data.ok)
    assert.matches('"none":null', req.body)
    local got = c:request("GET", "users/self/custom_data/prefs", { ns = "org.example" })
    assert.equal(5, got.data.n)
    assert.same({ 1, 2 }, got.data.list)
  end)

  it("writes JSON with sorted keys, so bodies are the same on every run", function()
    c:request("PUT", "users/self/custom_data/prefs",
      { ns = "org.example", data = { zeta = 1, alpha = { c = 1, b = 2, a = 3 }, mid = 43460000000000001 } },
      { json = true })
    assert.equal('{"data":{"alpha":{"a":3,"b":2,"c":1},"mid":43460000000000001,"zeta":1},"ns":"org.example"}',
      last_api_request().body)
    assert.equal('{"a":[{"x":1,"y":2}],"b":true}', lcanvas.json.encode({ b = true, a = { { y = 2, x = 1 } } }))
  end)

  it("raises a clear error for values that cannot be sent", function()
    assert.error_matches(function() query_of({ f = print }) end, "cannot send a function")
    assert.error_matches(function() query_of({ 1, 2 }) end, "not a list")
    assert.error_matches(function() query_of({ x = 0 / 0 }) end, "NaN")
    local t = {}
    t.self = t
    assert.error_matches(function() query_of({ t = t }) end, "too deeply")
  end)

  it("defaults lists to per_page=100 and lets the caller's per_page win", function()
    c:list("accounts/1/users"):first()
    assert.matches("per_page=100", last_api_request().query)
    c:list("accounts/1/users", { per_page = 7 }):first()
    local q = last_api_request().query
    assert.matches("per_page=7", q)
    assert.is_nil(q:find("per_page=100"))
    local _, count = q:gsub("per_page=", "")
    assert.equal(1, count)
    local c2 = connect({ per_page = 25 })
    c2:list("accounts/1/users"):first()
    assert.matches("per_page=25", last_api_request().query)
  end)
end)

describe("errors", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = connect({ backoff = 0.01, max_retries = 3 })
  end)

  local function capture(f)
    local ok, err = pcall(f)
    assert.is_false(ok, "expected an error")
    return err
  end

  it("raises ResourceDoesNotExist with every documented field", function()
    local err = capture(function() c:get_user(999999) end)
    assert.equal("lcanvas.Error", getmetatable(err).__name)
    assert.equal("ResourceDoesNotExist", err.kind)
    assert.equal(404, err.status)
    assert.equal("The specified resource does not exist.", err.message)
    assert.equal("GET", err.method)
    assert.equal(sandbox.url .. "/api/v1/users/999999", err.url)
    assert.equal("The specified resource does not exist.", err.errors[1].message)
    assert.matches("does not exist", err.body)
    assert.matches("json", err.headers["content-type"])
    assert.equal("ResourceDoesNotExist: GET /api/v1/users/999999 -> 404 The specified resource does not exist.",
      tostring(err))
    assert.is_true(err:is("ResourceDoesNotExist"))
    assert.is_true(err:is("CanvasException"))
    assert.is_false(err:is("Forbidden"))
    assert.is_true(lcanvas.is_error(err, "ResourceDoesNotExist"))
  end)

  it("tells an invalid token (InvalidAccessToken) from a missing permission (Unauthorized)", function()
    local bad = lcanvas.new(sandbox.url, "not-a-real-token")
    local e1 = capture(function() bad:get_current_user() end)
    assert.equal("InvalidAccessToken", e1.kind)
    assert.equal(401, e1.status)
    assert.matches("Bearer", e1.headers["www-authenticate"])
    local student = connect(nil, sandbox.tokens.noperm)
    -- get_user(2) would be a 404 (Canvas's api_show hides users the caller
    -- may not see): make the object without asking.
    local e2 = capture(function() lcanvas.core.object("User", { id = 2 }, student):get_profile() end)
    assert.equal("Unauthorized", e2.kind)
    assert.equal(401, e2.status)
    assert.is_nil(e2.headers["www-authenticate"])
    assert.equal("user not authorized to perform that action", e2.message)
  end)

  it("classifies 400 with its field errors", function()
    local err = capture(function() c:list("accounts/1/users", { search_term = "ab" }):first() end)
    assert.equal("BadRequest", err.kind)
    assert.equal(400, err.status)
    assert.equal("search_term", err.errors[1].field)
    assert.matches("3 or more characters", err.message)
  end)

  it("classifies 403, 409, 422 and other statuses, with error_report_id", function()
    sandbox.fault({ path = "/api/v1/users/self", status = 403, body = '{"errors":[{"message":"nope"}]}' })
    local e403 = capture(function() c:get_current_user() end)
    assert.equal("Forbidden", e403.kind)
    assert.equal("nope", e403.message)

    sandbox.fault({ path = "/api/v1/users/self", status = 422, body = '{"errors":{"base":"Unprocessable thing"}}' })
    local e422 = capture(function() c:get_current_user() end)
    assert.equal("UnprocessableEntity", e422.kind)
    assert.equal("Unprocessable thing", e422.message)

    sandbox.fault({ path = "/api/v1/users/self", method = "POST", status = 500,
      body = '{"errors":[{"message":"An error occurred."}],"error_report_id":12345}' })
    local e500 = capture(function() c:request("POST", "users/self/anything") end)
    assert.equal("CanvasException", e500.kind)
    assert.equal(500, e500.status)
    assert.equal("12345", e500.error_report_id)

    c:request("PUT", "users/self/custom_data/a", { ns = "x", data = "leaf" })
    local e409 = capture(function()
      c:request("PUT", "users/self/custom_data/a/b", { ns = "x", data = "deeper" })
    end)
    assert.equal("Conflict", e409.kind)
    assert.equal(409, e409.status)
  end)

  it("reads Canvas's plain-text throttle answer as RateLimitExceeded, also a Forbidden", function()
    local strict = connect({ max_retries = 0 })
    sandbox.fault({ path = "/api/v1/users/self", status = 403, content_type = "text/plain",
      body = "403 Forbidden (Rate Limit Exceeded)" })
    local err = capture(function() strict:get_current_user() end)
    assert.equal("RateLimitExceeded", err.kind)
    assert.is_true(err:is("Forbidden"))
    assert.equal("403 Forbidden (Rate Limit Exceeded)", err.message)
  end)

  it("never crashes on an HTML or empty error body", function()
    sandbox.fault({ path = "/api/v1/users/self", status = 502, content_type = "text/html",
      body = "<html><body>Bad gateway</body></html>", count = 10 })
    local err = capture(function() connect({ max_retries = 0 }):get_current_user() end)
    assert.equal("CanvasException", err.kind)
    assert.equal(502, err.status)
    assert.equal("HTTP 502", err.message)
    sandbox.clear_faults()
    sandbox.fault({ path = "/api/v1/users/self", status = 418, body = "" })
    local e2 = capture(function() c:get_current_user() end)
    assert.equal("CanvasException", e2.kind)
    assert.equal(418, e2.status)
  end)

  it("raises NetworkError for a refused connection", function()
    local dead = lcanvas.new("http://127.0.0.1:9", "t", { max_retries = 1, backoff = 0.01 })
    local err = capture(function() dead:get_current_user() end)
    assert.equal("NetworkError", err.kind)
    assert.equal(0, err.status)
    assert.equal(2, dead:stats().requests)
    assert.matches("NetworkError: GET /api/v1/users/self %->", tostring(err))
  end)

  it("raises NetworkError when the server drops the connection", function()
    sandbox.fault({ path = "/api/v1/users/self", reset = true, count = 10 })
    local err = capture(function() connect({ max_retries = 0 }):get_current_user() end)
    assert.equal("NetworkError", err.kind)
  end)

  it("raises Timeout when the answer takes longer than opts.timeout", function()
    sandbox.fault({ path = "/api/v1/users/self", delay_ms = 1500, count = 10 })
    local slow = connect({ timeout = 0.3, max_retries = 0 })
    local err = capture(function() slow:get_current_user() end)
    assert.equal("Timeout", err.kind)
    assert.matches("0%.3 s", err.message)
  end)

  it("raises InvalidResponse for a 2xx body that is not JSON, keeping the body", function()
    sandbox.fault({ path = "/api/v1/users/self", invalid_json = true })
    local err = capture(function() c:get_current_user() end)
    assert.equal("InvalidResponse", err.kind)
    assert.equal(200, err.status)
    assert.matches("not valid JSON", err.message)
    assert.matches('^{"id": 1', err.body)
  end)

  it("raises NetworkError or InvalidResponse for a truncated body, never a partial object", function()
    sandbox.fault({ path = "/api/v1/users/self", truncate = true, count = 10 })
    local err = capture(function() connect({ max_retries = 0 }):get_current_user() end)
    assert.is_true(err.kind == "NetworkError" or err.kind == "InvalidResponse")
  end)

  it("strips the while(1); prefix", function()
    sandbox.fault({ path = "/api/v1/users/self", while1 = true })
    local me = c:get_current_user()
    assert.equal(1, me.id)
  end)

  it("raises RequiredFieldMissing before any request", function()
    sandbox.clear_requests()
    local err = capture(function()
      lcanvas.require_fields({ name = "x" }, "create_user", "name", "unique_id")
    end)
    assert.equal("RequiredFieldMissing", err.kind)
    assert.equal("unique_id", err.field)
    assert.matches("requires 'unique_id'", tostring(err))
    assert.equal(0, #sandbox.requests())
  end)

  it("never shows the token in errors, tostring or the client", function()
    local secret = "sandbox-admin-token"
    local e1 = capture(function() c:get_user(999999) end)
    local e2 = capture(function() lcanvas.new("http://127.0.0.1:9", secret, { max_retries = 0 }):get_current_user() end)
    for _, e in ipairs({ e1, e2 }) do
      assert.is_nil(tostring(e):find(secret, 1, true))
      for k, v in pairs(e) do
        if type(v) == "string" then assert.is_nil(v:find(secret, 1, true), k) end
      end
      for k, v in pairs(e.headers) do assert.is_nil(v:find(secret, 1, true), k) end
    end
    assert.is_nil(tostring(c):find(secret, 1, true))
  end)
end)

describe("retries", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = connect({ backoff = 0.01, max_retries = 3 })
  end)

  local function count(method, path)
    local n = 0
    for _, r in ipairs(sandbox.requests()) do
      if r.method == method and r.path == path then n = n + 1 end
    end
    return n
  end

  it("retries a GET after a 503 and succeeds", function()
    sandbox.fault({ path = "/api/v1/users/self", status = 503, count = 2 })
    local me = c:get_current_user()
    assert.equal(1, me.id)
    assert.equal(3, count("GET", "/api/v1/users/self"))
    assert.equal(2, c:stats().retries)
  end)

  -- The sandbox log of one route: each attempt with the status it got.
  local function attempts(method, path)
    local out = {}
    for _, r in ipairs(sandbox.requests()) do
      if r.method == method and r.path == path then out[#out + 1] = r.status end
    end
    return out
  end

  it("retries a POST after a 429 and succeeds", function()
    sandbox.fault({ path = "/api/v1/users/self/folders", method = "POST", status = 429, count = 1,
      content_type = "text/plain", body = "Rate Limit Exceeded" })
    local folder = c:request("POST", "users/self/folders", { name = "Retried" })
    assert.equal("Retried", folder.name)
    assert.equal("integer", math.type(folder.id))
    -- exactly two attempts: the throttled one, then the one that created it
    local tries = attempts("POST", "/api/v1/users/self/folders")
    assert.equal(2, #tries)
    assert.equal(429, tries[1])
    assert.is_true(tries[2] >= 200 and tries[2] < 300, "second attempt got " .. tostring(tries[2]))
    assert.equal(1, c:stats().retries)
    -- the throttled attempt changed nothing: one folder, the one returned
    local named = {}
    for f in c:list("users/self/folders") do
      if f.name == "Retried" then named[#named + 1] = f.id end
    end
    assert.same({ folder.id }, named)
  end)

  it("retries a PUT after a 429 and succeeds", function()
    sandbox.fault({ path = "/api/v1/users/self/custom_data", method = "PUT", status = 429, count = 1,
      content_type = "text/plain", body = "403 Forbidden (Rate Limit Exceeded)" })
    local put = c:request("PUT", "users/self/custom_data/k", { ns = "n", data = "v" })
    assert.equal("v", put.data)
    local tries = attempts("PUT", "/api/v1/users/self/custom_data/k")
    assert.equal(2, #tries)
    assert.equal(429, tries[1])
    assert.is_true(tries[2] >= 200 and tries[2] < 300, "second attempt got " .. tostring(tries[2]))
    assert.equal("v", c:request("GET", "users/self/custom_data/k", { ns = "n" }).data)
  end)

  it("raises RateLimitExceeded (also a Forbidden) when a 429 persists past its retry budget", function()
    -- Throttled answers have their own budget of 12 retries whatever
    -- max_retries is (doc/pagination-and-tasks.md, "Rate limits"); max_retries = 0 turns it off.
    sandbox.fault({ path = "/api/v1/users/self/folders", method = "POST", status = 429, count = 100,
      content_type = "text/plain", body = "Rate Limit Exceeded" })
    local quick = connect({ max_retries = 1, backoff = 0.001, backoff_max = 0.005 })
    local err = sandbox.raises("RateLimitExceeded", quick.request, quick, "POST", "users/self/folders",
      { name = "Never" })
    assert.is_true(err:is("Forbidden"))
    assert.is_true(err:is("CanvasException"))
    assert.equal(429, err.status)
    assert.equal("POST", err.method)
    local tries = attempts("POST", "/api/v1/users/self/folders")
    assert.equal(13, #tries)
    for _, status in ipairs(tries) do assert.equal(429, status) end
    assert.equal(12, quick:stats().retries)

    local strict = connect({ max_retries = 0 })
    sandbox.clear_requests()
    local err0 = sandbox.raises("RateLimitExceeded", strict.request, strict, "POST", "users/self/folders",
      { name = "Never" })
    assert.is_true(err0:is("Forbidden"))
    assert.same({ 429 }, attempts("POST", "/api/v1/users/self/folders"))
    -- the fault outlived both clients: nothing ever reached the route
    sandbox.clear_faults()
    for f in c:list("users/self/folders") do assert.not_equal("Never", f.name) end
  end)

  it("does not retry a POST after a 503", function()
    sandbox.fault({ path = "/api/v1/users/self/observees", method = "POST", status = 503, count = 5 })
    local ok, err = pcall(c.request, c, "POST", "users/self/observees", { x = 1 })
    assert.is_false(ok)
    assert.equal("CanvasException", err.kind)
    assert.equal(503, err.status)
    assert.equal(1, count("POST", "/api/v1/users/self/observees"))
  end)

  it("gives up after max_retries and raises the last error", function()
    sandbox.fault({ path = "/api/v1/users/self", status = 504, count = 10 })
    local ok, err = pcall(c.get_current_user, c)
    assert.is_false(ok)
    assert.equal(504, err.status)
    assert.equal(4, count("GET", "/api/v1/users/self"))
  end)

  it("honours Retry-After", function()
    sandbox.fault({ path = "/api/v1/users/self", status = 503, headers = { ["Retry-After"] = "1" } })
    local t0 = os.time()
    local fast = connect({ backoff = 0.001 })
    local start = require("socket").gettime()
    fast:get_current_user()
    local waited = require("socket").gettime() - start
    assert.is_true(waited >= 0.9, "waited " .. waited)
    assert.is_true(os.time() - t0 < 10)
  end)

  it("reports the rate limit headers and slows down when the bucket runs low", function()
    c:get_current_user()
    local remaining, cost = c:rate_limit()
    assert.is_number(remaining)
    assert.is_number(cost)
    assert.is_true(remaining > 500)
    sandbox.config({ throttle = { hwm = 60 } })
    local low = connect({ rate_low_water = 65 })  -- 59.5 left: a ~0.55 s wait
    low:get_current_user()
    assert.equal(0, low:stats().throttle_waits)
    low:get_current_user()
    local st = low:stats()
    assert.equal(1, st.throttle_waits)
    assert.is_true(st.throttle_wait_seconds > 0)
  end)
end)
