-- The sandbox's Progress API (ProgressController#show, progress_json):
-- the seeded records over HTTP, who may read them, and the module's
-- new_progress for the jobs later issues add.
local http = require "socket.http"
local ltn12 = require "ltn12"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

local function get(path, token, headers)
  local chunks = {}
  local h = { authorization = "Bearer " .. (token or sandbox.tokens.admin) }
  for k, v in pairs(headers or {}) do h[k] = v end
  local _, status, res_headers = http.request({ url = sandbox.url .. path, headers = h,
    sink = ltn12.sink.table(chunks) })
  local body = table.concat(chunks)
  return status, json.decode(body), res_headers, body
end

describe("sandbox progress", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("answers the seeded completed and running records as progress_json does", function()
    local host = sandbox.url:match("^http://(.*)$")
    local status, p = get("/api/v1/progress/1")
    assert.equal(200, status)
    assert.same({ id = 1, context_id = 1, context_type = "Account", user_id = 1, tag = "course_batch_update",
      completion = 100.0, workflow_state = "completed", message = "4 courses processed",
      created_at = "2024-08-15T12:00:00Z", updated_at = "2024-08-15T12:01:30Z",
      url = "http://" .. host .. "/api/v1/progress/1" }, p)
    assert.equal("float", math.type(p.completion))   -- a float column: 100.0
    status, p = get("/api/v1/progress/2")
    assert.equal(200, status)
    assert.equal("running", p.workflow_state)
    assert.equal(40.0, p.completion)
    assert.equal(json.null, p.message)
    assert.is_nil(p.results)
    assert.equal("GET /progress/:id", sandbox.last_request().route)
  end)

  it("sends string ids when asked", function()
    local _, _, _, body = get("/api/v1/progress/2", nil, { accept = "application/json+canvas-string-ids" })
    assert.matches('"id":"2"', body, 1, true)
    assert.matches('"context_id":"1"', body, 1, true)
    assert.matches('"user_id":"1"', body, 1, true)
    assert.matches('"completion":40.0', body, 1, true)
  end)

  it("lets whoever may read the account read it: admins and its courses' teachers", function()
    assert.equal(200, (get("/api/v1/progress/1", sandbox.tokens.teacher)))
    local status, doc = get("/api/v1/progress/1", sandbox.tokens.student)
    assert.equal(401, status)
    assert.same({ status = "unauthorized", errors = { { message = "user not authorized to perform that action" } } },
      doc)
    assert.equal(401, (get("/api/v1/progress/2", sandbox.tokens.noperm)))
    -- masquerading: the masqueraded user's rights
    assert.equal(401, (get("/api/v1/progress/1?as_user_id=3")))
  end)

  it("answers Canvas's 404 for a record it does not have, on a route it has", function()
    local status, doc, h = get("/api/v1/progress/999")
    assert.equal(404, status)
    assert.same({ errors = { { message = "The specified resource does not exist." } } }, doc)
    assert.is_nil(h["x-sandbox-route"])
    assert.equal(404, (get("/api/v1/progress/abc")))
  end)

  describe("new_progress (in process)", function()
    local App = require "lcanvas.sandbox.app"
    local Store = require "lcanvas.sandbox.store"

    local function show(app, id, token)
      local res = app:handle({ method = "GET", path = "/api/v1/progress/" .. id, query = "", body = "",
        headers = { authorization = "Bearer " .. (token or "sandbox-admin-token"), host = "canvas.test" } }, "main")
      return res.status, json.decode(res.body)
    end

    it("stores a record the route answers, with results only once the job is no longer pending", function()
      local app = App.new(Store.new(require "lcanvas.sandbox.seed"))
      local p = app.new_progress({ context_type = "User", context_id = 3, user_id = 3, tag = "upload_via_url",
        workflow_state = "running", completion = 10.0, results = { id = 77 } })
      assert.is_true(p.id > 2)
      assert.equal(p, app.progress(p.id))
      local status, doc = show(app, p.id)
      assert.equal(200, status)
      assert.equal("upload_via_url", doc.tag)
      assert.equal("http://canvas.test/api/v1/progress/" .. p.id, doc.url)
      assert.is_nil(doc.results)
      p.workflow_state, p.completion = "completed", 100.0
      status, doc = show(app, p.id)
      assert.equal(200, status)
      assert.same({ id = 77 }, doc.results)
      -- a User context: the user and admins
      assert.equal(200, (show(app, p.id, "sandbox-student-token")))
      assert.equal(401, (show(app, p.id, "sandbox-teacher-token")))
      -- defaults: queued, now, no completion yet
      local q = app.new_progress({ context_type = "Account", context_id = 1, tag = "x" })
      status, doc = show(app, q.id)
      assert.equal(200, status)
      assert.equal("queued", doc.workflow_state)
      assert.equal(json.null, doc.completion)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", doc.created_at)
      assert.has_error(function() app.new_progress({ tag = "x" }) end)
      -- a reset starts over from the seed
      app:reset()
      assert.is_nil(app.progress(p.id))
      assert.equal("completed", app.progress(1).workflow_state)
    end)
  end)
end)
