-- The sandbox's Enrollments API over plain HTTP, as canvas-lms
-- enrollments_api_controller.rb answers: course, section and user lists
-- (bookmark pages), an account's enrollment, enrolling into a course or a
-- section, and conclude, deactivate, delete, reactivate, accept, reject
-- seen by later reads.
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local A = require "sandbox_admin_helper"
local api = A.api

local function user_ids(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.user_id end
  table.sort(out)
  return out
end

describe("sandbox enrollments", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  describe("listing", function()
    it("pages a course's enrollments by bookmark, with user objects and no last link", function()
      local status, page, h = api("GET", "courses/1/enrollments?per_page=3")
      assert.equal(200, status)
      assert.equal(3, #page)
      local links = A.links(h)
      assert.matches("page=bookmark:", links.next, 1, true)
      assert.is_nil(links.last)
      local e = page[1]
      assert.equal(1, e.course_id)
      assert.equal("TeacherEnrollment", e.type)
      assert.equal("active", e.enrollment_state)
      assert.is_nil(e.workflow_state)
      assert.equal(3, e.role_id)
      assert.equal(1, e.course_section_id)
      assert.equal("Terry Teacher", e.user.name)
      assert.equal("BIO/101.1", e.sis_course_id)
      assert.equal("T0001", e.sis_user_id)
    end)

    it("defaults to active, invited and (for admins) inactive; filters type[], role[], role_id[], state[]", function()
      local all = A.all("courses/1/enrollments?per_page=100")
      local states = {}
      for _, e in ipairs(all) do states[e.enrollment_state] = true end
      assert.same({ active = true, inactive = true }, states)
      assert.same({ 106 }, user_ids(A.all("courses/1/enrollments?state[]=completed")))
      assert.same({ 107 }, user_ids(A.all("courses/1/enrollments?state[]=deleted")))
      assert.same({ 4 }, user_ids(A.all("courses/2/enrollments?state[]=invited")))
      assert.same({ 101, 103 }, user_ids(A.all("courses/1/enrollments?type[]=TaEnrollment")))
      assert.same({ 103 }, user_ids(A.all("courses/1/enrollments?role[]=Sandbox%20Reviewer")))
      -- a role given wins over type[]
      assert.same({ 103 }, user_ids(A.all("courses/1/enrollments?role_id[]=11&type[]=StudentEnrollment")))
      local obs = A.all("courses/1/enrollments?type[]=ObserverEnrollment&include[]=observed_users")
      assert.equal(3, obs[1].associated_user_id)
      assert.equal("Sam Student", obs[1].observed_user.name)
      -- a student sees active ones only, without SIS fields
      local seen = A.all("courses/1/enrollments?per_page=100", { token = sandbox.tokens.student })
      for _, e in ipairs(seen) do
        assert.equal("active", e.enrollment_state)
        assert.is_nil(e.sis_user_id)
      end
    end)

    it("refuses SIS filters without read_sis with 400, and outsiders with 401", function()
      local status, body = api("GET", "courses/1/enrollments?sis_user_id[]=S0001", { token = sandbox.tokens.student })
      assert.equal(400, status)
      assert.same({ message = "Insufficient permissions to filter by SIS fields" }, body)
      assert.same({ 3 }, user_ids(A.all("courses/1/enrollments?sis_user_id[]=S0001")))
      assert.equal(401, (api("GET", "courses/1/enrollments", { token = sandbox.tokens.noperm })))
      -- an observer sees themself and the student they observe
      assert.same({ 3, 7 }, user_ids(A.all("courses/1/enrollments", { token = sandbox.tokens.parent })))
    end)

    it("lists a section's enrollments, by id or SIS id", function()
      local a = A.all("sections/sis_section_id:BIO%2F101%2E1-A/enrollments?per_page=100")
      assert.is_true(#a > 0)
      for _, e in ipairs(a) do assert.equal(41, e.course_section_id) end
      assert.equal(404, (api("GET", "sections/9999/enrollments")))
      local x = A.all("sections/43/enrollments")
      assert.same({ 380, 381 }, user_ids(x))
      assert.equal(2, x[1].course_id)   -- the course the section is cross-listed into
    end)

    it("lists a user's enrollments with state[], type[] and enrollment_term_id", function()
      assert.same({ 1, 3 }, (function()
        local out = {}
        for _, e in ipairs(A.all("users/4/enrollments")) do
          if e.enrollment_state == "active" then out[#out + 1] = e.course_id end
        end
        table.sort(out)
        return out
      end)())
      assert.equal(3, #A.all("users/4/enrollments"))   -- active and invited
      assert.same({ 2 }, (function()
        local out = {}
        for _, e in ipairs(A.all("users/4/enrollments?state[]=invited")) do out[#out + 1] = e.course_id end
        return out
      end)())
      assert.equal(4, #A.all("users/2/enrollments?enrollment_term_id=sis_term_id:2026-FA") +
        #A.all("users/2/enrollments?enrollment_term_id=sis_term_id:2025-FA"))
      assert.equal(404, (api("GET", "users/2/enrollments?enrollment_term_id=sis_term_id:NOPE")))
      -- yourself: current_and_invited covers both
      assert.equal(2, #A.all("users/self/enrollments?state[]=current_and_invited", { token = sandbox.tokens.student }))
    end)

    it("shows one enrollment of the root account, without a user object", function()
      local status, e = api("GET", "accounts/1/enrollments/315")
      assert.equal(200, status)
      assert.equal("ObserverEnrollment", e.type)
      assert.equal(3, e.associated_user_id)
      assert.is_nil(e.user)
      assert.equal(200, (api("GET", "accounts/1/enrollments/315", { token = sandbox.tokens.parent })))
      assert.equal(401, (api("GET", "accounts/1/enrollments/1", { token = sandbox.tokens.student })))
      assert.equal(404, (api("GET", "accounts/2/enrollments/315")))
      assert.equal(404, (api("GET", "accounts/1/enrollments/99999")))
    end)
  end)

  describe("enrolling", function()
    it("enrolls a user by SIS id into a course's section, as invited by default", function()
      local status, e = api("POST", "courses/1/enrollments", { form = { ["enrollment[user_id]"] = "sis_user_id:U0299",
        ["enrollment[type]"] = "StudentEnrollment", ["enrollment[course_section_id]"] = "sis_section_id:BIO/101.1-B",
        ["enrollment[notify]"] = "false" } })
      assert.equal(200, status)
      assert.equal(399, e.user_id)
      assert.equal(42, e.course_section_id)
      assert.equal("invited", e.enrollment_state)
      assert.is_nil(e.user)
      local listed = A.all("courses/1/enrollments?state[]=invited")
      assert.same({ 399 }, user_ids(listed))
      -- the same section, type and role again reuses it
      local _, again = api("POST", "courses/1/enrollments", { form = { ["enrollment[user_id]"] = "399",
        ["enrollment[course_section_id]"] = "42", ["enrollment[enrollment_state]"] = "active" } })
      assert.equal(e.id, again.id)
      assert.equal("active", again.enrollment_state)
    end)

    it("enrolls into a section, with a role, an observer with its student", function()
      local status, e = api("POST", "sections/41/enrollments", { form = { ["enrollment[user_id]"] = "8",
        ["enrollment[type]"] = "ObserverEnrollment", ["enrollment[associated_user_id]"] = "3",
        ["enrollment[enrollment_state]"] = "active", ["enrollment[course_section_id]"] = "1" } })
      assert.equal(200, status)
      assert.equal(41, e.course_section_id)   -- the path's section wins
      assert.equal(3, e.associated_user_id)
      local _, r = api("POST", "courses/2/enrollments", { form = { ["enrollment[user_id]"] = "9",
        ["enrollment[role_id]"] = "11", ["enrollment[enrollment_state]"] = "active" } })
      assert.equal("TaEnrollment", r.type)
      assert.equal("Sandbox Reviewer", r.role)
      assert.equal(11, r.role_id)
    end)

    it("answers create errors as one message, 404s unknown users and sections", function()
      local status, body = api("POST", "courses/1/enrollments", { form = { x = "1" } })
      assert.equal(400, status)
      assert.same({ message = "No parameters given" }, body)
      status, body = api("POST", "courses/1/enrollments", { form = { ["enrollment[type]"] = "Wizard" } })
      assert.equal(400, status)
      assert.matches("Invalid type", body.message, 1, true)
      assert.matches("enrollment[user_id]", body.message, 1, true)
      status, body = api("POST", "courses/1/enrollments", { form = { ["enrollment[user_id]"] = "9",
        ["enrollment[role_id]"] = "12" } })
      assert.equal(400, status)
      assert.same({ message = "Cannot create an enrollment with this role because it is inactive." }, body)
      status, body = api("POST", "courses/1/enrollments", { form = { ["enrollment[user_id]"] = "9",
        ["enrollment[role_id]"] = "11", ["enrollment[type]"] = "StudentEnrollment" } })
      assert.equal(400, status)
      assert.same({ message = "The specified type must match the base type for the role" }, body)
      assert.same({ message = "Invalid role" }, select(2, api("POST", "courses/1/enrollments",
        { form = { ["enrollment[user_id]"] = "9", ["enrollment[role_id]"] = "999" } })))
      assert.equal(404, (api("POST", "courses/1/enrollments",
        { form = { ["enrollment[user_id]"] = "sis_user_id:NOPE" } })))
      assert.equal(404, (api("POST", "courses/1/enrollments", { form = { ["enrollment[user_id]"] = "9",
        ["enrollment[course_section_id]"] = "43" } })))
      status, body = api("POST", "courses/4/enrollments", { form = { ["enrollment[user_id]"] = "9" } })
      assert.equal(400, status)
      assert.same({ message = "Can't add an enrollment to a concluded course." }, body)
    end)

    -- User#can_create_enrollment_for?: manage_admin_users adds any type,
    -- manage_students students and observers; role_override.rb gives the
    -- first to teachers and admins, the second to TAs and designers too.
    it("lets a teacher add any type and a TA students and observers; refuses students", function()
      local t = { token = sandbox.tokens.teacher, form = { ["enrollment[user_id]"] = "9" } }
      assert.equal(200, (api("POST", "courses/1/enrollments", t)))
      t.form["enrollment[type]"] = "TeacherEnrollment"
      assert.equal(200, (api("POST", "courses/1/enrollments", t)))
      -- user 103 is a TA (the Sandbox Reviewer role, TA-based) in course 1
      local ta = { form = { ["enrollment[user_id]"] = "9", ["enrollment[type]"] = "TaEnrollment" } }
      assert.equal(401, (api("POST", "courses/1/enrollments?as_user_id=103", ta)))
      ta.form["enrollment[type]"] = "ObserverEnrollment"
      assert.equal(200, (api("POST", "courses/1/enrollments?as_user_id=103", ta)))
      assert.equal(401, (api("POST", "courses/1/enrollments", { token = sandbox.tokens.student,
        form = { ["enrollment[user_id]"] = "9" } })))
    end)
  end)

  describe("changing state", function()
    it("concludes, deactivates, reactivates and deletes, as later reads show", function()
      local _, e = api("DELETE", "courses/1/enrollments/5?task=conclude")
      assert.equal("completed", e.enrollment_state)
      assert.is_nil(e.user)
      _, e = api("DELETE", "courses/1/enrollments/7?task=deactivate")
      assert.equal("inactive", e.enrollment_state)
      assert.equal("inactive", select(2, api("DELETE", "courses/1/enrollments/9?task=inactivate")).enrollment_state)
      local status, body = api("PUT", "courses/1/enrollments/5/reactivate")
      assert.equal(400, status)
      assert.same({ error = "enrollment not inactive" }, body)
      _, e = api("PUT", "courses/1/enrollments/7/reactivate")
      assert.equal("active", e.enrollment_state)
      _, e = api("DELETE", "courses/1/enrollments/7?task=delete")
      assert.equal("deleted", e.enrollment_state)
      -- a deleted enrollment is gone from course.enrollments
      assert.equal(404, (api("DELETE", "courses/1/enrollments/7?task=delete")))
      assert.same({ 3, 106 }, user_ids(A.all("courses/1/enrollments?state[]=completed")))
      local ids_deleted = user_ids(A.all("courses/1/enrollments?state[]=deleted"))
      assert.same({ 4, 107 }, ids_deleted)
    end)

    it("concludes on a missing or unknown task, as Canvas does", function()
      assert.equal("completed", select(2, api("DELETE", "courses/1/enrollments/5")).enrollment_state)
      assert.equal("completed", select(2, api("DELETE", "courses/1/enrollments/7?task=remove")).enrollment_state)
    end)

    it("lets only the invited user accept or reject", function()
      assert.equal(401, (api("POST", "courses/2/enrollments/316/accept")))
      local sofia = sandbox.tokens.admin   -- masquerade as Sofia
      local status, body = api("POST", "courses/2/enrollments/316/accept?as_user_id=4", { token = sofia })
      assert.equal(200, status)
      assert.same({ success = true }, body)
      assert.same({ success = true }, select(2, api("POST", "courses/2/enrollments/316/accept?as_user_id=4")))
      status, body = api("POST", "courses/2/enrollments/316/reject?as_user_id=4")
      assert.equal(400, status)
      assert.same({ error = "no current invitation" }, body)
      sandbox.reset()
      assert.same({ success = true }, select(2, api("POST", "courses/2/enrollments/316/reject?as_user_id=4")))
      assert.same({ 4, 111 }, user_ids(A.all("courses/2/enrollments?state[]=rejected")))
      status, body = api("POST", "courses/1/enrollments/320/accept?as_user_id=105")
      assert.equal(400, status)
      assert.same({ error = "membership not activated" }, body)
    end)

    -- Enrollment#can_be_concluded_by: the right that adds the type.
    it("lets a teacher conclude a student and the TA, and a TA a student but not the teacher", function()
      local t = { token = sandbox.tokens.teacher }
      assert.equal(200, (api("DELETE", "courses/1/enrollments/5?task=conclude", t)))
      assert.equal(200, (api("DELETE", "courses/1/enrollments/317?task=conclude", t)))
      assert.equal(401, (api("DELETE", "courses/1/enrollments/1?task=conclude&as_user_id=103")))
      assert.equal(200, (api("DELETE", "courses/1/enrollments/7?task=conclude&as_user_id=103")))
      assert.equal(401, (api("DELETE", "courses/1/enrollments/9?task=conclude", { token = sandbox.tokens.student })))
    end)
  end)

  it("never sends workflow_state, only enrollment_state", function()
    local _, _, _, raw = api("GET", "courses/1/enrollments?per_page=1")
    assert.is_nil(raw:find('"workflow_state"', 1, true))
    assert.is_table(json.decode(raw))
  end)
end)
