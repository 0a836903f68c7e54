-- The row language (src/binding/row.c compiles, endpoint.c invokes): what a
-- row can say and what the request then carries, read from the sandbox's
-- request log. The rows here are a spec's own type, so the paths need no
-- sandbox route: the log records a request whatever its answer.
local lcanvas = require "lcanvas"
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"
local sandbox = require "helper"
local form = require "lcanvas.sandbox.params"

local capture = sandbox.capture

-- The last logged request's path and its decoded parameters.
local function last()
  local r = sandbox.last_api_request()
  return r.path, form.parse_query(r.method == "GET" and r.query or r.body), r
end

describe("the row language", function()
  local c, thing
  setup(function()
    sandbox.start()
    core.define_type("SpecRow", { doc = "a spec's own type" })
    -- Lists sized by the row: more include values and arguments than the
    -- old fixed caps allowed.
    local many = {}
    for i = 1, 40 do many[i] = "inc" .. i end
    core.define_rows("SpecRow", {
      { name = "enroll", method = "POST", path = "spec/{id}/enrollments",
        args = { { "user", param = "enrollment[user_id]", ids = ids.users },
                 { "type", param = "enrollment[type]", check = "string_or_nil",
                   values = { "StudentEnrollment", "TeacherEnrollment" } } },
        params = { "enrollment" }, source = "SpecController#create", doc = "d" },
      { name = "finish", method = "DELETE", path = "spec/{course_id}/items/{id}",
        args = { { "task", check = "string", values = { "conclude", "delete" } } },
        params = { "task" }, source = "SpecController#destroy", doc = "d" },
      { name = "remove", method = "DELETE", path = "spec/{id}", params = { "event" },
        fixed = { event = "delete" }, source = "SpecController#destroy", doc = "d" },
      { name = "search", method = "GET", path = "spec/{id}/things", list = true,
        params = { "flag", "state", "include" }, include = many, presence = { "flag" },
        arrays = { "state" }, source = "SpecController#index", doc = "d" },
      { name = "lookup", method = "GET", path = "spec/{id}/courses/{1}",
        args = { { "course", ids = ids.courses, id_type = true } },
        params = { "include" }, source = "SpecController#show", doc = "d" },
      { name = "five", method = "GET", path = "spec/{1}/{2}/{3}/{4}/{5}/{6}",
        params = {}, source = "SpecController#show", doc = "d" },
    })
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
    thing = core.object("SpecRow", { id = 7, course_id = 42 }, c)
  end)
  before_each(function() sandbox.clear_requests() end)

  it("aims a positional argument at a nested parameter, never touching the caller's table", function()
    local mine = { enrollment = { enrollment_state = "active" } }
    pcall(thing.enroll, thing, c:get_user(3), "StudentEnrollment", mine)
    local path, p = last()
    assert.equal("/api/v1/spec/7/enrollments", path)
    assert.same({ user_id = "3", type = "StudentEnrollment", enrollment_state = "active" }, p.enrollment)
    assert.same({ enrollment = { enrollment_state = "active" } }, mine)
  end)

  it("refuses a value Canvas does not know, listing the ones it does, before sending", function()
    local err = capture(function() thing:enroll(3, "StudentEnrolment") end)
    assert.matches("bad argument #2 to 'enroll' (type must be \"StudentEnrollment\" or " ..
      "\"TeacherEnrollment\", not \"StudentEnrolment\")", err, 1, true)
    err = capture(function() thing:finish("conclud") end)
    assert.matches("task must be \"conclude\" or \"delete\", not \"conclud\"", err, 1, true)
    assert.same({}, sandbox.api_requests())
  end)

  it("takes a path segment from the receiver's attributes, and says when it has none", function()
    pcall(thing.finish, thing, "conclude")
    local path, p = last()
    assert.equal("/api/v1/spec/42/items/7", path)
    assert.equal("conclude", p.task)
    local bare = core.object("SpecRow", { id = 8 }, c)
    assert.matches("calling 'finish' on bad self (this SpecRow has no course_id)",
      capture(function() bare:finish("delete") end), 1, true)
  end)

  it("sends its fixed parameters, whatever the caller gives", function()
    pcall(thing.remove, thing)
    local _, p, r = last()
    assert.equal("DELETE", r.method)
    assert.equal("delete", p.event)
    pcall(thing.remove, thing, { event = "conclude" })
    _, p = last()
    assert.equal("delete", p.event)
  end)

  it("drops a presence flag that is false, and sends a single value of a list parameter as a list", function()
    local mine = { flag = false, state = "available" }
    pcall(function() thing:search(mine):first() end)
    local r = sandbox.last_api_request()
    assert.is_nil(r.query:find("flag", 1, true))
    assert.matches("state%[%]=available", r.query)
    assert.same({ flag = false, state = "available" }, mine)
    pcall(function() thing:search({ flag = true, include = { "inc40" } }):first() end)
    local _, p = last()
    assert.equal("true", p.flag)
    assert.same({ "inc40" }, p.include)
  end)

  it("checks id types against the resource's and joins an id type given after the id", function()
    pcall(thing.lookup, thing, "BIO/101.1", "sis_course_id")
    assert.equal("/api/v1/spec/7/courses/sis_course_id:BIO%2F101%2E1", (last()))
    pcall(thing.lookup, thing, "hex:sis_course_id:42494f")
    assert.equal("/api/v1/spec/7/courses/hex:sis_course_id:42494f", (last()))
    sandbox.clear_requests()
    local err = capture(function() thing:lookup("x", "sis_user_id") end)
    assert.matches("bad argument #2 to 'lookup' (Canvas looks courses up by sis_course_id, " ..
      "sis_integration_id, lti_context_id or uuid, not 'sis_user_id' (it would answer 404))", err, 1, true)
    err = capture(function() thing:lookup("course_id:5") end)
    assert.matches("not 'course_id' (it would answer 404); a course is looked up as sis_course_id", err, 1, true)
    err = capture(function() thing:lookup("Biology") end)
    assert.matches("'Biology' is not an id Canvas can look courses up by", err, 1, true)
    -- the params after an id type are argument 3
    err = capture(function() thing:lookup(5, "sis_course_id", "oops") end)
    assert.matches("bad argument #3 to 'lookup' (table expected, got string)", err, 1, true)
    assert.same({}, sandbox.api_requests())
  end)

  it("has as many positional arguments and path pieces as the row needs", function()
    pcall(thing.five, thing, 1, 2, 3, 4, 5, 6)
    assert.equal("/api/v1/spec/1/2/3/4/5/6", (last()))
  end)

  it("shows the compiled row to Lua (core.rows), with its method", function()
    local row = core.rows("SpecRow").enroll
    assert.equal("POST", row.method)
    assert.equal("spec/{id}/enrollments", row.path)
    assert.same({ "enrollment", "user_id" }, row.args[1].param)
    assert.equal("users", row.args[1].ids)
    assert.same({ "StudentEnrollment", "TeacherEnrollment" }, row.args[2].values)
    assert.equal(core.methods("SpecRow").enroll, row.call)
    assert.same({ event = "delete" }, core.rows("SpecRow").remove.fixed)
    assert.same({ "flag" }, core.rows("SpecRow").search.presence)
    assert.is_true(core.rows("SpecRow").lookup.args[1].id_type)
    -- and the Client's own
    assert.equal("users/{1}", core.rows("Client").get_user.path)
  end)

  it("refuses, when the rows are defined, what cannot work", function()
    local function bad(row)
      local ok, err = pcall(core.define_rows, "SpecBad", { row })
      assert.is_false(ok)
      return err
    end
    local base = { name = "x", method = "GET", doc = "d", params = { "a" } }
    local function with(t)
      local r = {}
      for k, v in pairs(base) do r[k] = v end
      for k, v in pairs(t) do r[k] = v end
      return r
    end
    assert.matches("'b' %(fixed, presence or arrays%) is not in params",
      bad(with({ path = "x/{id}", fixed = { b = "1" } })))
    assert.matches("id_type needs the argument's ids",
      bad(with({ path = "x/{1}", args = { { "a", id_type = true } } })))
    assert.matches("param is a name or name%[key%]", bad(with({ path = "x", args = { { "v", param = "a[" } } })))
    assert.matches("unknown field 'valuez'", bad(with({ path = "x/{1}", args = { { "a", valuez = {} } } })))
    assert.matches("a path placeholder is", bad(with({ path = "x/{Nope}" })))
    -- a row returning a type nobody declared is found by the load-time check
    core.define_rows("SpecBad", { with({ path = "x", returns = "Nonesuch" }) })
    local ok, err = pcall(core.check_types)
    assert.is_false(ok)
    assert.matches("SpecBad:x returns 'Nonesuch', which no type file declares", err, 1, true)
    core.methods("SpecBad").x = nil
    core.endpoints("SpecBad").x = nil
    core.check_types()
  end)
end)
