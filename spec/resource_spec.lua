-- User, PairingCode and the generic resource objects.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

describe("resource objects", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)

  it("exposes attributes as fields, nil when absent or null", function()
    local me = c:get_current_user()
    assert.equal("Sandbox Admin", me.name)
    assert.equal(1, me.id)
    assert.is_nil(me.no_such_field)
    assert.equal("lcanvas.User", getmetatable(me).__name)
    assert.equal("User", me:typename())
  end)

  it("prints a User as '<name> (<id>)' and compares Users by id", function()
    local me = c:get_current_user()
    assert.equal("Sandbox Admin (1)", tostring(me))
    local again = c:get_user(1)
    assert.is_true(me == again)
    assert.is_false(me == c:get_user(2))
    assert.is_false(rawequal(me, again))
  end)

  it("gives a fresh deep copy from to_table", function()
    local me = c:get_current_user()
    local t = me:to_table()
    assert.equal("table", type(t))
    assert.equal(me.name, t.name)
    t.name = "changed"
    assert.equal("Sandbox Admin", me.name)
    local n = 0
    for k, v in pairs(me) do
      n = n + 1
      local copy = me:to_table()[k]
      if type(v) == "table" then
        -- a nested field (permissions) is copied too, not shared
        assert.same(v, copy)
        assert.is_false(rawequal(v, copy))
      else
        assert.equal(v, copy)
      end
    end
    assert.is_true(n > 3)
  end)

  it("updates the receiver in place on edit", function()
    local u = c:get_user(2)
    local same = u
    local ret = u:edit({ user = { name = "Renamed Person" } })
    assert.is_true(rawequal(u, ret))
    assert.equal("Renamed Person", same.name)
    assert.equal("Renamed Person", c:get_user(2).name)
  end)

  it("parses ISO 8601 timestamps with date()", function()
    local me = c:get_current_user()
    local t = me:date("created_at")
    assert.equal("integer", math.type(t))
    local obj = lcanvas.core.object("Thing", {
      a = "2012-05-30T17:45:25Z", b = "2012-05-30T10:45:25-07:00", c = "2012-05-30T17:45:25.250Z",
      d = "2025/08/04 14:01:12 +0000", e = "not a date", f = 5, g = "2012-05-30",
    }, c)
    assert.equal(1338399925, obj:date("a"))
    assert.equal(1338399925, obj:date("b"))
    assert.equal(1338399925.25, obj:date("c"))
    assert.equal(1754316072, obj:date("d"))
    assert.is_nil(obj:date("e"))
    assert.is_nil(obj:date("f"))
    assert.is_nil(obj:date("missing"))
    assert.equal(1338336000, obj:date("g"))
  end)

  it("prints PairingCodes and generic objects sensibly", function()
    local pc = lcanvas.core.object("PairingCode",
      { user_id = 42, code = "abc123", expires_at = "2026-01-01T00:00:00Z", workflow_state = "active" }, c)
    assert.equal("42 - abc123", tostring(pc))
    assert.equal("abc123", pc.code)
    assert.equal("lcanvas.PairingCode", getmetatable(pc).__name)
    local course = lcanvas.core.object("Course", { id = 7, name = "Biology 101" }, c)
    assert.equal("Course: Biology 101 (7)", tostring(course))
    assert.equal("Folder (9)", tostring(lcanvas.core.object("Folder", { id = 9 }, c)))
  end)

  it("returns typed objects from user lists", function()
    local courses = c:get_user(3):get_courses()
    local first = courses:first()
    assert.is_true(lcanvas.is_object(first, "Course"))
    assert.matches("^Course: ", tostring(first))
  end)

  it("accepts objects where an id is expected", function()
    local u = c:get_user(2)
    local again = c:get_user(u)
    assert.is_true(u == again)
    assert.equal("/api/v1/users/2", sandbox.requests()[#sandbox.requests()].path)
  end)

  it("keeps methods ahead of attributes and refuses bad receivers", function()
    local u = c:get_user(2)
    u.extra = "local value"
    assert.equal("local value", u.extra)
    assert.is_function(u.edit)
    -- Canvas's `type` attributes stay fields; the lcanvas type is typename().
    u.type = "observer"
    assert.equal("observer", u.type)
    assert.equal("User", u:typename())
    u.edit = "shadowed?"
    assert.is_function(u.edit)
    assert.equal("shadowed?", u:get("edit"))
    assert.error_matches(function() u.get_courses({}) end, "lcanvas object expected")
    assert.error_matches(function() u:edit("x") end, "table expected")
  end)

  it("survives garbage collection of the client while objects live", function()
    local me
    do
      local c2 = lcanvas.new(sandbox.url, sandbox.tokens.admin)
      me = c2:get_current_user()
    end
    collectgarbage()
    collectgarbage()
    assert.equal(1, me:get_profile().id)
  end)

  it("releases clients, lists and objects when unreferenced", function()
    local weak = setmetatable({}, { __mode = "v" })
    do
      local c2 = lcanvas.new(sandbox.url, sandbox.tokens.admin)
      local list = c2:list("accounts/1/users", nil, { type = "User" })
      weak.client, weak.list, weak.user = c2, list, list:first()
    end
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak.client)
    assert.is_nil(weak.list)
    assert.is_nil(weak.user)
  end)

  it("closes a client explicitly, after which it refuses requests", function()
    local c2 = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    do
      local scoped <close> = c2
      assert.equal(1, scoped:get_current_user().id)
    end
    assert.equal("lcanvas.Client (closed)", tostring(c2))
    assert.error_matches(function() c2:get_current_user() end, "closed")
    c2:close()  -- idempotent
  end)
end)
