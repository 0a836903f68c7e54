-- "No such route" told apart from Canvas's "no such record": both answer
-- Canvas's 404, but only the first carries X-Sandbox-Route: none, logs
-- route = false and, with -v, says so on stderr. And the control API's list
-- of every route.
local http = require "socket.http"
local ltn12 = require "ltn12"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXE = sandbox.root .. "/" .. BUILD .. "/lcanvas"
local NOT_FOUND = { errors = { { message = "The specified resource does not exist." } } }

-- GET with the admin token (unless opts.token = false); returns status, headers, decoded body.
local function get(url, opts)
  opts = opts or {}
  local chunks = {}
  local headers = {}
  if opts.token ~= false then headers.authorization = "Bearer " .. (opts.token or sandbox.tokens.admin) end
  local _, status, h = http.request({ url = url, method = opts.method or "GET", headers = headers,
    sink = ltn12.sink.table(chunks), redirect = false })
  local body = table.concat(chunks)
  return status, h, json.decode(body), body
end

local function last_log(path)
  return sandbox.last_request(function(r) return r.path == path end)
end

describe("sandbox routes", function()
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    sandbox.clear_requests()
  end)

  it("answers a path it has no route for with Canvas's 404, X-Sandbox-Route: none and route = false", function()
    local status, h, doc = get(sandbox.url .. "/api/v1/courses/1/quizzes")
    assert.equal(404, status)
    assert.same(NOT_FOUND, doc)
    assert.equal("none", h["x-sandbox-route"])
    local r = last_log("/api/v1/courses/1/quizzes")
    assert.equal(false, r.route)
    assert.equal(404, r.status)
    -- a method the path has no route for is no route either
    status, h = get(sandbox.url .. "/api/v1/users/3", { method = "DELETE" })
    assert.equal(404, status)
    assert.equal("none", h["x-sandbox-route"])
    assert.equal(false, last_log("/api/v1/users/3").route)
  end)

  it("answers a missing record on a route it has with Canvas's 404 and no header, logging the route", function()
    local status, h, doc = get(sandbox.url .. "/api/v1/users/999999")
    assert.equal(404, status)
    assert.same(NOT_FOUND, doc)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal("GET /users/:user", last_log("/api/v1/users/999999").route)
    -- and a found record: the route, no header
    status, h = get(sandbox.url .. "/api/v1/users/3/profile")
    assert.equal(200, status)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal("GET /users/:user/profile", last_log("/api/v1/users/3/profile").route)
  end)

  it("names the route whatever answers: a 401 without a token, a fault, HEAD", function()
    local status, h = get(sandbox.url .. "/api/v1/users/3", { token = false })
    assert.equal(401, status)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal("GET /users/:user", last_log("/api/v1/users/3").route)
    sandbox.fault({ path = "/api/v1/users/4", status = 503 })
    status, h = get(sandbox.url .. "/api/v1/users/4")
    assert.equal(503, status)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal("GET /users/:user", last_log("/api/v1/users/4").route)
    status = get(sandbox.url .. "/api/v1/users/5", { method = "HEAD" })
    assert.equal(200, status)
    assert.equal("GET /users/:user", last_log("/api/v1/users/5").route)
  end)

  it("marks unrouted paths outside /api/v1 and on the other origins too", function()
    local status, h = get(sandbox.url .. "/nothing/here")
    assert.equal(404, status)
    assert.equal("none", h["x-sandbox-route"])
    status, h = get(sandbox.storage .. "/nothing/here", { token = false })
    assert.equal(404, status)
    assert.equal("none", h["x-sandbox-route"])
    local r = last_log("/nothing/here")
    assert.equal("storage", r.origin)
    assert.equal(false, r.route)
    -- the OAuth2 token endpoint is a route of the main origin only
    status, h = get(sandbox.url .. "/login/oauth2/token", { token = false, method = "POST" })
    assert.equal(400, status)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal("POST /login/oauth2/token", last_log("/login/oauth2/token").route)
    status, h = get(sandbox.alt .. "/login/oauth2/token", { token = false, method = "POST" })
    assert.equal(404, status)
    assert.equal("none", h["x-sandbox-route"])
    -- the Catalog origin logs its routes the same way
    status, h = get(sandbox.catalog .. "/api/v1/users/1", { token = false })
    assert.equal(401, status)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal("GET /users/:id", last_log("/api/v1/users/1").route)
    status, h = get(sandbox.catalog .. "/api/v1/orders", { token = false })
    assert.equal(401, status)   -- the Catalog checks its key first
    assert.equal("none", h["x-sandbox-route"])
    assert.equal(false, last_log("/api/v1/orders").route)
  end)

  it("lists every route with its module at GET /__sandbox/routes", function()
    local status, _, routes = get(sandbox.url .. "/__sandbox/routes", { token = false })
    assert.equal(200, status)
    local App = require "lcanvas.sandbox.app"
    local by_module, seen = {}, {}
    for _, r in ipairs(routes) do
      assert.is_string(r.method)
      assert.is_string(r.path)
      by_module[r.module] = (by_module[r.module] or 0) + 1
      seen[r.method .. " " .. r.path] = r
    end
    for _, name in ipairs(App.ROUTE_MODULES) do
      assert.is_true((by_module[name] or 0) > 0, name .. " has no route")
    end
    local user = seen["GET /users/:user"]
    assert.same({ method = "GET", path = "/users/:user", module = "users", api = true,
      origins = { "main", "alt" } }, user)
    assert.same({ method = "POST", path = "/login/oauth2/token", module = "oauth", api = false,
      origins = { "main" } }, seen["POST /login/oauth2/token"])
    assert.same({ "storage" }, seen["POST /files_api/upload/:token"].origins)
  end)

  local function start_sandbox(args, stderr_path)
    local h = assert(io.popen(string.format("exec %q sandbox --port 0 %s 2>%q", EXE, args, stderr_path), "r"))
    local line = h:read("l")
    local pid, url = (line or ""):match("pid=(%d+) url=(%S+)")
    assert(pid, "the sandbox did not start: " .. tostring(line))
    return url, function()
      os.execute("kill " .. pid)
      h:close()
    end
  end

  it("says on stderr which requests it has no route for when run with -v", function()
    local err_path = sandbox.tmpname()
    local url, stop = start_sandbox("-v", err_path)
    local ok, err = pcall(function()
      assert.equal(404, (get(url .. "/api/v1/courses/1/quizzes")))
      assert.equal(404, (get(url .. "/api/v1/users/999999")))
      assert.equal(401, (get(url .. "/api/v1/courses/2/quizzes?per_page=5", { token = false })))
    end)
    stop()
    local text = sandbox.read_file(err_path) or ""
    os.remove(err_path)
    assert(ok, err)
    assert.matches("sandbox: no route for GET /api/v1/courses/1/quizzes (answered Canvas's 404; the sandbox " ..
      "does not implement it)\n", text, 1, true)
    -- the missing record is not mentioned; the tokenless one says what it answered
    assert.is_nil(text:find("999999", 1, true))
    assert.matches("sandbox: no route for GET /api/v1/courses/2/quizzes (answered 401;", text, 1, true)

    -- without -v: nothing
    err_path = sandbox.tmpname()
    url, stop = start_sandbox("--quiet", err_path)
    ok, err = pcall(function() assert.equal(404, (get(url .. "/api/v1/courses/1/quizzes"))) end)
    stop()
    text = sandbox.read_file(err_path) or ""
    os.remove(err_path)
    assert(ok, err)
    assert.equal("", text)
  end)

  it("gets -v from `lcanvas -v --sandbox`", function()
    local code, _, err = sandbox.sh(string.format(
      "%q -v --sandbox -e 'pcall(canvas.request, canvas, \"GET\", \"courses/1/quizzes\")'", EXE))
    assert.equal(0, code, err)
    assert.matches("sandbox: no route for GET /api/v1/courses/1/quizzes (answered Canvas's 404", err, 1, true)
    code, _, err = sandbox.sh(string.format(
      "%q --sandbox -e 'pcall(canvas.request, canvas, \"GET\", \"courses/1/quizzes\")'", EXE))
    assert.equal(0, code, err)
    assert.is_nil(err:find("no route", 1, true))
  end)
end)
