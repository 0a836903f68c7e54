-- Objects that one call returns and another type owns carry that type's
-- methods wherever Canvas returns them (issue 21): a user's courses are
-- Courses, a user's enrollments Enrollments, a course's sections Sections.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

describe("typed results across types", function()
  local canvas
  setup(function()
    sandbox.start()
    sandbox.reset()
    canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
  end)
  teardown(function() sandbox.reset() end)

  it("gives a user's courses the Course methods, and they work", function()
    local course = canvas:get_user(3):get_courses():first()
    assert.is_true(lcanvas.is_object(course, "Course"))
    local n = 0
    for u in course:get_users({ enrollment_type = { "teacher" } }) do
      assert.is_true(lcanvas.is_object(u, "User"))
      n = n + 1
    end
    assert.is_true(n >= 1)
    assert.is_true(lcanvas.is_object(course:get_sections():first(), "Section"))
  end)

  it("gives a user's enrollments the Enrollment methods, and they change Canvas", function()
    local e
    for x in canvas:get_user(5):get_enrollments() do
      if x.course_id == 1 then e = x end
    end
    assert.is_true(lcanvas.is_object(e, "Enrollment"))
    e:deactivate("inactivate")
    assert.equal("inactive", e.enrollment_state)
    local again = canvas:get_course(1):get_enrollments({ user_id = 5, state = { "inactive" } }):first()
    assert.equal(e.id, again.id)
  end)
end)
