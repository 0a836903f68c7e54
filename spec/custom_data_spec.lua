-- User custom data (users/:id/custom_data/*scope) against the sandbox:
-- typed JSON round trips, scopes, 201/200/409/400, deletion and pruning.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local sjson = require "lcanvas.sandbox.json"   -- the sandbox's own decoder, not the client's
local form = require "lcanvas.sandbox.params"

local BIG = 43460000000000001
local NS = "org.example.app"

local api_requests = sandbox.api_requests

local last = sandbox.last_api_request

local capture = sandbox.capture

describe("User custom data", function()
  local c, u
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    u = c:get_user(3)
  end)

  it("PUTs a JSON body that keeps every type, and reads the same types back", function()
    local data = {
      count = 5, ratio = 0.25, whole_float = 2.0, big = BIG, yes = true, no = false,
      none = lcanvas.null, text = "5",
      nested = { deeper = { deepest = "ok", n = -7 } },
      list = { 1, "two", lcanvas.null, false, { x = 1 } },
    }
    local stored = u:set_custom_data(NS, "prefs", data)
    local r = last()
    assert.equal("PUT", r.method)
    assert.equal("/api/v1/users/3/custom_data/prefs", r.path)
    assert.equal("application/json", r.headers["content-type"])
    -- what the server received, read with the sandbox's own JSON decoder
    local doc = assert(sjson.decode(r.body))
    assert.equal(NS, doc.ns)
    assert.equal("integer", math.type(doc.data.count))
    assert.equal(BIG, doc.data.big)
    assert.equal("integer", math.type(doc.data.big))
    assert.equal("float", math.type(doc.data.whole_float))
    assert.equal(sjson.null, doc.data.none)
    assert.equal(sjson.null, doc.data.list[3])
    assert.is_false(doc.data.no)
    assert.equal("5", doc.data.text)
    assert.equal(5, stored.count)

    local got = u:get_custom_data(NS, "prefs")
    assert.equal("GET", last().method)
    assert.equal("/api/v1/users/3/custom_data/prefs", last().path)
    assert.equal(NS, form.parse_query(last().query).ns)
    assert.equal(5, got.count)
    assert.equal("integer", math.type(got.count))
    assert.equal(0.25, got.ratio)
    assert.equal(2.0, got.whole_float)
    assert.equal("float", math.type(got.whole_float))
    assert.equal(BIG, got.big)
    assert.equal("integer", math.type(got.big))
    assert.is_true(got.yes)
    assert.is_false(got.no)
    assert.equal("5", got.text)
    assert.is_nil(got.none)   -- JSON null inside an object reads as absent
    assert.same({ deeper = { deepest = "ok", n = -7 } }, got.nested)
    assert.equal(5, #got.list)
    assert.equal(lcanvas.null, got.list[3])
    assert.is_false(got.list[4])
    assert.same({ x = 1 }, got.list[5])
  end)

  it("walks into nested objects by scope, as a string or a list of keys", function()
    u:set_custom_data(NS, nil, { a = { b = { c = "deep" } }, n = 1 })
    assert.equal("/api/v1/users/3/custom_data", last().path)
    assert.equal("deep", u:get_custom_data(NS, "a/b/c"))
    assert.equal("/api/v1/users/3/custom_data/a/b/c", last().path)
    assert.equal("deep", u:get_custom_data(NS, { "a", "b", "c" }))
    assert.same({ c = "deep" }, u:get_custom_data(NS, "a/b"))
    assert.same({ a = { b = { c = "deep" } }, n = 1 }, u:get_custom_data(NS))
    -- scope keys are escaped one by one: "." and " " stay inside their key
    u:set_custom_data(NS, { "v1.2", "x y" }, true)
    assert.equal("/api/v1/users/3/custom_data/v1%2E2/x%20y", last().path)
    assert.is_true(u:get_custom_data(NS, "v1.2/x y"))
    assert.same({ ["x y"] = true }, u:get_custom_data(NS, "v1.2"))
  end)

  it("answers 201 for a new scope and 200 when overwriting", function()
    u:set_custom_data(NS, "k", "first")
    assert.equal(201, last().status)
    u:set_custom_data(NS, "k", "second")
    assert.equal(200, last().status)
    assert.equal("second", u:get_custom_data(NS, "k"))
    u:set_custom_data(NS, "k2/sub", 1)
    assert.equal(201, last().status)
  end)

  it("raises Conflict (409) when a write would destroy outer data, changing nothing", function()
    u:set_custom_data(NS, "fashion/hair", "blonde")
    local err = capture(function() u:set_custom_data(NS, "fashion/hair/style", "buzz") end)
    assert.equal("Conflict", err.kind)
    assert.equal(409, err.status)
    assert.equal("write conflict for custom_data hash", err.message)
    local body = assert(sjson.decode(err.body))
    assert.equal("fashion/hair", body.conflict_scope)
    assert.equal("String", body.type_at_conflict)
    assert.equal("blonde", body.value_at_conflict)
    assert.same({ hair = "blonde" }, u:get_custom_data(NS, "fashion"))
    -- a float or a list in the way conflicts too
    u:set_custom_data(NS, "f", 1.5)
    local e2 = capture(function() u:set_custom_data(NS, "f/x", 1) end)
    assert.equal("Float", assert(sjson.decode(e2.body)).type_at_conflict)
    u:set_custom_data(NS, "arr", { 1, 2 })
    local e3 = capture(function() u:set_custom_data(NS, "arr/1", 9) end)
    assert.equal("Conflict", e3.kind)
    assert.same({ 1, 2 }, u:get_custom_data(NS, "arr"))
  end)

  it("deletes a scope, returns what it held and prunes emptied parents", function()
    u:set_custom_data(NS, nil, { fruit = { apple = "so tasty", kiwi = "a bit sour" },
      veggies = { root = { onion = "tear-jerking" } } })
    assert.equal("a bit sour", u:delete_custom_data(NS, "fruit/kiwi"))
    local r = last()
    assert.equal("DELETE", r.method)
    assert.equal("/api/v1/users/3/custom_data/fruit/kiwi", r.path)
    assert.equal(NS, form.parse_query(r.body).ns)
    assert.same({ fruit = { apple = "so tasty" }, veggies = { root = { onion = "tear-jerking" } } },
      u:get_custom_data(NS))
    assert.equal("tear-jerking", u:delete_custom_data(NS, "veggies/root/onion"))
    assert.same({ fruit = { apple = "so tasty" } }, u:get_custom_data(NS))
    assert.same({ fruit = { apple = "so tasty" } }, u:delete_custom_data(NS))
    assert.equal("/api/v1/users/3/custom_data", last().path)
    assert.equal("BadRequest", capture(function() u:get_custom_data(NS) end).kind)
  end)

  it("answers 400 for empty scopes, a stored null, a missing ns or data", function()
    local e1 = capture(function() u:get_custom_data(NS, "nothing/here") end)
    assert.equal("BadRequest", e1.kind)
    assert.equal(400, e1.status)
    assert.equal("BadRequest", capture(function() u:delete_custom_data(NS, "nothing") end).kind)
    u:set_custom_data(NS, "holder", { gone = lcanvas.null, kept = 1 })
    assert.equal("BadRequest", capture(function() u:get_custom_data(NS, "holder/gone") end).kind)
    assert.same({ kept = 1 }, u:get_custom_data(NS, "holder"))
    -- what the methods never send, sent by hand
    local e2 = capture(function() c:request("GET", "users/3/custom_data") end)
    assert.equal("BadRequest", e2.kind)
    -- CustomDataController's own 400 body: {"message": "invalid namespace"}
    assert.equal("invalid namespace", e2.message)
    assert.same({ message = "invalid namespace" }, lcanvas.json.decode(e2.body))
    local e3 = capture(function() c:request("PUT", "users/3/custom_data/x", { ns = NS }, { json = true }) end)
    assert.equal("BadRequest", e3.kind)
    local e4 = capture(function() u:set_custom_data(NS, "x", lcanvas.null) end)
    assert.equal("BadRequest", e4.kind)
  end)

  it("keeps namespaces and users apart, and needs rights over the user", function()
    u:set_custom_data("one", "k", "1")
    u:set_custom_data("two", "k", "2")
    assert.equal("1", u:get_custom_data("one", "k"))
    assert.equal("2", u:get_custom_data("two", "k"))
    assert.equal("BadRequest", capture(function() c:get_user(4):get_custom_data("one", "k") end).kind)
    local student = lcanvas.new(sandbox.url, sandbox.tokens.student)
    local me = student:get_current_user()
    assert.equal("1", me:get_custom_data("one", "k"))   -- Sam reads his own
    local other = lcanvas.core.object("User", { id = 4 }, student)
    assert.equal("Unauthorized", capture(function() other:set_custom_data("one", "k", "x") end).kind)
  end)

  it("refuses a missing namespace or data before sending anything", function()
    sandbox.clear_requests()
    assert.error_matches(function() u:get_custom_data(nil) end, "bad argument #1 to 'get_custom_data' %(ns")
    assert.error_matches(function() u:set_custom_data("", "k", 1) end, "bad argument #1 to 'set_custom_data'")
    assert.error_matches(function() u:set_custom_data(NS, "k", nil) end,
      "bad argument #3 to 'set_custom_data' %(data is required")
    assert.error_matches(function() u:set_custom_data(NS, 5, "x") end, "bad argument #2")
    assert.error_matches(function() u:delete_custom_data(nil, "k") end, "bad argument #1 to 'delete_custom_data'")
    assert.error_matches(function() u:set_custom_data(NS, "k", { f = print }) end, "cannot send a function")
    assert.equal(0, #api_requests())
  end)
end)
