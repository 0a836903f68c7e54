-- The sandbox's Courses API over plain HTTP: show (by id and SIS id, with
-- include[]), an account's course list with its filters and paging,
-- create, update with events, batch update with its Progress, delete and
-- conclude, and a course's users, each as canvas-lms's courses_controller.rb
-- and accounts_controller.rb courses_api answer.
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local A = require "sandbox_admin_helper"
local api, ids = A.api, A.ids

describe("sandbox courses", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  describe("GET courses/:id", function()
    it("answers a course by id, SIS id (escaped or hex) and uuid", function()
      local status, c = api("GET", "courses/1")
      assert.equal(200, status)
      assert.equal("Biology 101", c.name)
      assert.equal("BIO/101.1", c.sis_course_id)
      assert.equal("available", c.workflow_state)
      assert.equal(2, c.enrollment_term_id)
      assert.equal(1, c.account_id)
      assert.equal(1, c.root_account_id)
      assert.same({}, c.enrollments)   -- the admin has none in it
      assert.is_string(c.calendar.ics)
      local _, by_sis = api("GET", "courses/sis_course_id:BIO%2F101%2E1")
      assert.equal(1, by_sis.id)
      -- hex:sis_course_id: for ids with / and . in them
      local hex = ("BIO/101.1"):gsub(".", function(ch) return string.format("%02x", ch:byte()) end)
      assert.equal(1, select(2, api("GET", "courses/hex:sis_course_id:" .. hex)).id)
      assert.equal(2, select(2, api("GET", "courses/sis_course_id:CHEM.201")).id)
      assert.equal(1, select(2, api("GET", "courses/uuid:" .. c.uuid)).id)
      local st, body = api("GET", "courses/sis_course_id:NOPE")
      assert.equal(404, st)
      assert.same(A.NOT_FOUND, body)
    end)

    it("honours include[]: term, teachers, total_students, sections, account, concluded", function()
      local _, c = api("GET", "courses/1?include[]=term&include[]=teachers&include[]=total_students" ..
        "&include[]=sections&include[]=account&include[]=concluded")
      assert.equal("Fall 2026", c.term.name)
      assert.equal("2026-FA", c.term.sis_term_id)
      assert.same({ 2 }, ids(c.teachers))
      assert.equal("Terry", c.teachers[1].display_name)
      -- active and invited students: the four named, the shard student and 75 generated
      assert.equal(80, c.total_students)
      assert.same({ 1, 41, 42 }, ids(c.sections))
      assert.equal("Sandbox University", c.account.name)
      assert.is_false(c.concluded)
      local _, plain = api("GET", "courses/1")
      assert.is_nil(plain.term)
      assert.is_nil(plain.teachers)
    end)

    it("shows the caller's own enrollments and sections; students see no SIS id", function()
      local status, c = api("GET", "courses/1?include[]=sections", { token = sandbox.tokens.student })
      assert.equal(200, status)
      assert.is_nil(c.sis_course_id)
      assert.equal(1, #c.enrollments)
      assert.equal("student", c.enrollments[1].type)
      assert.equal("StudentEnrollment", c.enrollments[1].role)
      assert.same({ 1 }, ids(c.sections))
      assert.equal("StudentEnrollment", c.sections[1].enrollment_role)
      local _, t = api("GET", "courses/1", { token = sandbox.tokens.teacher })
      assert.equal("BIO/101.1", t.sis_course_id)
    end)

    it("refuses outsiders and hides deleted courses without include[]=all_courses", function()
      local status, body = api("GET", "courses/1", { token = sandbox.tokens.noperm })
      assert.equal(401, status)
      assert.same(A.UNAUTHORIZED, body)
      sandbox.config({ unauthorized_status = 403 })
      assert.equal(403, (api("GET", "courses/1", { token = sandbox.tokens.noperm })))
      assert.equal(404, (api("GET", "courses/13")))
      local st, c = api("GET", "courses/13?include[]=all_courses")
      assert.equal(200, st)
      assert.equal("deleted", c.workflow_state)
    end)

    it("answers under an account only for its courses (C2)", function()
      assert.equal(200, (api("GET", "accounts/1/courses/3")))   -- account 2 is under 1
      assert.equal(200, (api("GET", "accounts/2/courses/3")))
      assert.equal(404, (api("GET", "accounts/2/courses/1")))
      assert.equal(3, select(2, api("GET", "accounts/sis_account_id:SCI/courses/sis_course_id:HIST110")).id)
    end)
  end)

  describe("GET accounts/:account_id/courses", function()
    it("lists the account's courses, deleted ones left out, paged without a last link", function()
      local status, page, h = api("GET", "accounts/1/courses?per_page=5")
      assert.equal(200, status)
      assert.same({ 1, 2, 3, 4, 5 }, ids(page))
      local links = A.links(h)
      assert.is_string(links.next)
      assert.is_nil(links.last)
      assert.matches("page=2&per_page=5", links.next, 1, true)
      local all = A.all("accounts/1/courses?per_page=50")
      assert.equal(38, #all)
      for _, c in ipairs(all) do assert.is_true(c.id ~= 13 and c.id ~= 29) end
      local with_deleted = A.all("accounts/1/courses?per_page=50&state[]=all")
      assert.equal(40, #with_deleted)
    end)

    it("filters by term (id, SIS id, current), state, published, completed, blueprint", function()
      local fall = A.all("accounts/1/courses?per_page=50&enrollment_term_id=sis_term_id:2026-FA")
      local current = A.all("accounts/1/courses?per_page=50&enrollment_term_id=current")
      assert.same(ids(fall), ids(current))
      for _, c in ipairs(fall) do assert.equal(2, c.enrollment_term_id) end
      assert.equal(404, (api("GET", "accounts/1/courses?enrollment_term_id=sis_term_id:1999-XX")))
      -- today moves: no term is current in a gap between terms, which is a 404
      sandbox.config({ today = "2027-01-05T00:00:00Z" })
      assert.equal(404, (api("GET", "accounts/1/courses?enrollment_term_id=current")))
      sandbox.config({ today = "2026-10-15T12:00:00Z" })
      local unpublished = A.all("accounts/1/courses?per_page=50&published=false")
      for _, c in ipairs(unpublished) do assert.equal("unpublished", c.workflow_state) end
      assert.is_true(#unpublished > 0)
      local completed = A.all("accounts/1/courses?per_page=50&completed=true")
      assert.is_true(#completed > 0)
      for _, c in ipairs(completed) do assert.equal(4, c.enrollment_term_id) end
      local only = A.all("accounts/1/courses?per_page=50&state[]=completed")
      for _, c in ipairs(only) do assert.equal("completed", c.workflow_state) end
      assert.same({ 20 }, ids(A.all("accounts/1/courses?blueprint=true")))
    end)

    it("filters by teachers, sub-accounts, enrollments and search term, and sorts", function()
      assert.same({ 1, 2, 3, 4 }, ids(A.all("accounts/1/courses?by_teachers[]=sis_user_id:T0001")))
      -- an SIS id it cannot find is dropped (Api.map_ids), leaving no teacher to match
      assert.same({}, A.all("accounts/1/courses?by_teachers[]=sis_user_id:NOBODY"))
      for _, c in ipairs(A.all("accounts/1/courses?per_page=50&by_subaccounts[]=2")) do
        assert.is_true(c.account_id == 2 or c.account_id == 4)
      end
      local with = A.all("accounts/1/courses?per_page=50&with_enrollments=true")
      local without = A.all("accounts/1/courses?per_page=50&with_enrollments=false")
      assert.equal(38, #with + #without)
      assert.is_true(#without > 0)
      assert.same({ 1 }, ids(A.all("accounts/1/courses?search_term=biology")))
      assert.same({ 1 }, ids(A.all("accounts/1/courses?search_term=bio%2F101")))   -- SIS id, for an admin
      local status, body = api("GET", "accounts/1/courses?search_term=b")
      assert.equal(400, status)
      assert.equal("search_term", body.errors[1].field)
      local sorted = A.all("accounts/1/courses?per_page=50&sort=course_name&order=desc")
      for i = 2, #sorted do assert.is_true(sorted[i - 1].name:lower() >= sorted[i].name:lower()) end
    end)

    it("honours include[] but drops sections, and takes teacher_limit", function()
      local _, page = api("GET", "accounts/1/courses?per_page=2&include[]=teachers&include[]=sections" ..
        "&include[]=total_students&include[]=term")
      assert.same({ 2 }, ids(page[1].teachers))
      assert.is_nil(page[1].sections)
      assert.equal(80, page[1].total_students)
      assert.equal("Fall 2026", page[1].term.name)
      local _, limited = api("GET", "accounts/1/courses?per_page=1&include[]=teachers&teacher_limit=0")
      assert.equal(1, limited[1].teacher_count)
      assert.is_nil(limited[1].teachers)
    end)

    it("lists a sub-account's courses to its admin and refuses a teacher", function()
      local page = A.all("accounts/2/courses?per_page=50&as_user_id=100")
      assert.is_true(#page > 0)
      for _, c in ipairs(page) do assert.is_true(c.account_id == 2 or c.account_id == 4) end
      assert.equal(401, (api("GET", "accounts/1/courses?as_user_id=100")))
      local status, body = api("GET", "accounts/1/courses", { token = sandbox.tokens.teacher })
      assert.equal(401, status)
      assert.same(A.UNAUTHORIZED, body)
    end)
  end)

  describe("POST accounts/:account_id/courses", function()
    it("creates an unpublished course with a default section, in a sub-account and term", function()
      local status, c = api("POST", "accounts/1/courses", { form = { ["course[name]"] = "Geometry",
        ["course[course_code]"] = "GEO1", ["course[sis_course_id]"] = "GEO/1", ["course[account_id]"] = "3",
        ["course[term_id]"] = "sis_term_id:2027-SP" } })
      assert.equal(200, status)
      assert.equal("Geometry", c.name)
      assert.equal("unpublished", c.workflow_state)
      assert.equal(3, c.account_id)
      assert.equal(3, c.enrollment_term_id)
      assert.equal("GEO/1", c.sis_course_id)
      local _, again = api("GET", "courses/sis_course_id:GEO%2F1?include[]=sections")
      assert.equal(c.id, again.id)
      assert.equal(1, #again.sections)
      assert.equal("Geometry", again.sections[1].name)
      -- offer=true publishes it; enroll_me=true makes the caller its teacher
      local _, offered = api("POST", "accounts/1/courses", { form = { ["course[name]"] = "Live", offer = "true",
        enroll_me = "true" } })
      assert.equal("available", offered.workflow_state)
      local _, mine = api("GET", "courses/" .. offered.id)
      assert.equal("teacher", mine.enrollments[1].type)
    end)

    it("drops a SIS id it may not set, refuses a duplicate, 404s an unknown term", function()
      local status, body = api("POST", "accounts/1/courses", { form = { ["course[sis_course_id]"] = "CHEM.201" } })
      assert.equal(400, status)
      assert.is_table(body.errors.sis_source_id)
      assert.equal(404, (api("POST", "accounts/1/courses", { form = { ["course[term_id]"] = "999" } })))
      -- a sub-account admin has no manage_sis on the root: the SIS id goes
      local _, c = api("POST", "accounts/2/courses?as_user_id=100", { form = { ["course[name]"] = "Sub",
        ["course[sis_course_id]"] = "SUB-1" } })
      assert.equal("Unnamed Course", select(2, api("POST", "accounts/2/courses", { form = {} })).name)
      local _, seen = api("GET", "courses/" .. c.id)
      assert.equal(json.null, seen.sis_course_id)
      assert.equal(401, (api("POST", "accounts/1/courses", { token = sandbox.tokens.teacher,
        form = { ["course[name]"] = "X" } })))
    end)
  end)

  describe("PUT courses/:id", function()
    it("changes fields and answers the whole course", function()
      local status, c = api("PUT", "courses/2", { form = { ["course[name]"] = "Chemistry 202",
        ["course[term_id]"] = "sis_term_id:2027-SP" } })
      assert.equal(200, status)
      assert.equal("Chemistry 202", c.name)
      assert.equal(3, c.enrollment_term_id)
      assert.equal(false, c.hide_final_grades)
      assert.equal("Chemistry 202", select(2, api("GET", "courses/2")).name)
    end)

    it("runs course[event]: claim, offer, conclude (completing enrollments), delete, undelete", function()
      local _, c = api("PUT", "courses/2", { form = { ["course[event]"] = "claim" } })
      assert.equal("unpublished", c.workflow_state)
      _, c = api("PUT", "courses/2", { form = { offer = "true" } })
      assert.equal("available", c.workflow_state)
      _, c = api("PUT", "courses/2", { form = { ["course[event]"] = "conclude" } })
      assert.equal("completed", c.workflow_state)
      local _, es = api("GET", "courses/2/enrollments?state[]=completed&per_page=100")
      assert.is_true(#es > 0)
      _, c = api("PUT", "courses/2", { form = { ["course[event]"] = "delete" } })
      assert.equal("deleted", c.workflow_state)
      assert.equal(404, (api("GET", "courses/2")))
      _, c = api("PUT", "courses/2", { form = { ["course[event]"] = "undelete" } })
      assert.equal("unpublished", c.workflow_state)
    end)

    it("lets a teacher publish and rename, not conclude; refuses a student", function()
      local t = { token = sandbox.tokens.teacher }
      t.form = { ["course[event]"] = "claim" }
      assert.equal(200, (api("PUT", "courses/1", t)))
      t.form = { ["course[name]"] = "Bio" }
      local _, c = api("PUT", "courses/1", t)
      assert.equal("Bio", c.name)
      t.form = { ["course[event]"] = "conclude" }
      assert.equal(401, (api("PUT", "courses/1", t)))
      assert.equal(401, (api("PUT", "courses/1",
        { token = sandbox.tokens.student, form = { ["course[name]"] = "X" } })))
      -- a teacher's term change is dropped silently
      t.form = { ["course[term_id]"] = "3" }
      assert.equal(2, select(2, api("PUT", "courses/1", t)).enrollment_term_id)
    end)
  end)

  describe("DELETE courses/:id", function()
    it("deletes or concludes, answering a JSON boolean", function()
      local status, body, _, raw = api("DELETE", "courses/5?event=conclude")
      assert.equal(200, status)
      assert.same({ conclude = true }, body)
      assert.equal('{"conclude":true}', raw)
      assert.equal("completed", select(2, api("GET", "courses/5")).workflow_state)
      status, body = api("DELETE", "courses/sis_course_id:GEN-006?event=delete")
      assert.equal(200, status)
      assert.same({ delete = true }, body)
      assert.equal(404, (api("GET", "courses/6")))
    end)

    it("needs event=delete or conclude first, then the right", function()
      local status, body = api("DELETE", "courses/1")
      assert.equal(400, status)
      assert.same({ message = 'Only "delete" and "conclude" events are allowed.' }, body)
      assert.equal(400, (api("DELETE", "courses/1?event=remove")))
      assert.equal(400, (api("DELETE", "courses/1", { token = sandbox.tokens.noperm })))
      assert.equal(401, (api("DELETE", "courses/1?event=delete", { token = sandbox.tokens.teacher })))
      assert.equal(404, (api("DELETE", "courses/999?event=delete")))
    end)
  end)

  describe("PUT accounts/:account_id/courses (batch)", function()
    it("changes the courses and answers a Progress that a later GET shows done", function()
      local status, p = api("PUT", "accounts/1/courses", { form = { event = "offer",
        ["course_ids[]"] = { "7", "sis_course_id:GEN-011", "sis_course_id:MISSING" } } })
      assert.equal(200, status)
      assert.equal("course_batch_update", p.tag)
      assert.equal("Account", p.context_type)
      assert.equal(1, p.context_id)
      assert.equal("queued", p.workflow_state)
      assert.matches("/api/v1/progress/" .. p.id .. "$", p.url)
      local _, later = api("GET", "progress/" .. p.id)
      assert.equal("completed", later.workflow_state)
      assert.equal(100, later.completion)
      assert.matches("^2 courses processed", later.message)
      assert.equal("available", select(2, api("GET", "courses/7")).workflow_state)
      assert.equal("available", select(2, api("GET", "courses/11")).workflow_state)
      -- conclude, delete and undelete too
      api("PUT", "accounts/1/courses", { form = { event = "delete", ["course_ids[]"] = { "7" } } })
      assert.equal(404, (api("GET", "courses/7")))
      api("PUT", "accounts/1/courses", { form = { event = "undelete", ["course_ids[]"] = { "7" } } })
      assert.equal("unpublished", select(2, api("GET", "courses/7")).workflow_state)
    end)

    it("answers the action's errors, 403 for over 500 courses", function()
      local status, body = api("PUT", "accounts/1/courses", { form = { event = "offer" } })
      assert.equal(400, status)
      assert.same({ message = "must specify course_ids[]" }, body)
      -- a scalar course_ids is not an Array
      status, body = api("PUT", "accounts/1/courses", { form = { event = "offer", course_ids = "1" } })
      assert.equal(400, status)
      assert.same({ message = "must specify course_ids[]" }, body)
      status, body = api("PUT", "accounts/1/courses", { form = { ["course_ids[]"] = { "1" } } })
      assert.equal(400, status)
      assert.same({ message = "need to specify event" }, body)
      status, body = api("PUT", "accounts/1/courses", { form = { event = "claim", ["course_ids[]"] = { "1" } } })
      assert.equal(400, status)
      assert.same({ message = "invalid event" }, body)
      local many = {}
      for i = 1, 501 do many[i] = tostring(i) end
      status, body = api("PUT", "accounts/1/courses", { form = { event = "offer", ["course_ids[]"] = many } })
      assert.equal(403, status)
      assert.same({ message = "course batch size limit (500) exceeded" }, body)
      assert.equal(401, (api("PUT", "accounts/1/courses", { token = sandbox.tokens.teacher,
        form = { event = "offer", ["course_ids[]"] = { "1" } } })))
    end)
  end)

  describe("GET courses/:course_id/users", function()
    it("lists active and invited users by sortable name, without a last link", function()
      local status, page, h = api("GET", "courses/2/users?per_page=5")
      assert.equal(200, status)
      assert.equal(5, #page)
      for i = 2, #page do assert.is_true(page[i - 1].sortable_name <= page[i].sortable_name) end
      assert.is_nil(A.links(h).last)
      assert.is_string(A.links(h).next)
      local all = A.all("courses/2/users?per_page=100")
      local seen = {}
      for _, u in ipairs(all) do seen[u.id] = true end
      assert.is_true(seen[4])        -- Sofia, invited
      assert.is_nil(seen[111])       -- a rejected invitation
      assert.is_true(seen[380])      -- in the section cross-listed into course 2
    end)

    it("filters by enrollment_type[], enrollment_state[], user_ids[] and search_term", function()
      assert.same({ 2 }, ids(A.all("courses/1/users?enrollment_type[]=teacher")))
      assert.same({ 101, 103 }, ids(A.all("courses/1/users?enrollment_type[]=ta")))
      assert.same({ 7 }, ids(A.all("courses/1/users?enrollment_type[]=observer")))
      assert.same({ 106 }, ids(A.all("courses/1/users?enrollment_state[]=completed")))
      assert.same({ 105 }, ids(A.all("courses/1/users?enrollment_state[]=inactive")))
      assert.same({ 3, 4 }, ids(A.all("courses/1/users?user_ids[]=3&user_ids[]=4&user_ids[]=9")))
      assert.same({ 3, 4 }, ids(A.all("courses/1/users?user_ids=3,4")))
      assert.same({ 3 }, ids(A.all("courses/1/users?search_term=sam.student")))
      local _, with = api("GET", "courses/1/users?user_ids[]=3&include[]=enrollments")
      assert.equal("StudentEnrollment", with[1].enrollments[1].type)
      -- the search_users alias answers the same
      assert.same({ 2 }, ids(A.all("courses/1/search_users?enrollment_type[]=teacher")))
    end)

    it("refuses those who may not read the roster", function()
      assert.equal(401, (api("GET", "courses/1/users", { token = sandbox.tokens.noperm })))
      assert.equal(200, (api("GET", "courses/1/users", { token = sandbox.tokens.student })))
    end)
  end)

  describe("GET users/:user_id/courses", function()
    it("lists current and invited enrollments' courses, with the enrollments", function()
      local _, mine = api("GET", "users/4/courses")
      assert.same({ 1, 3, 2 }, ids(mine))
      assert.equal("invited", mine[3].enrollments[1].enrollment_state)
      local _, pat = api("GET", "users/7/courses")
      assert.same({ 1 }, ids(pat))
      assert.equal("observer", pat[1].enrollments[1].type)
      assert.equal(3, pat[1].enrollments[1].associated_user_id)
    end)
  end)
end)
