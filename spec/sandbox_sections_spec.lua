-- The sandbox's Sections API over plain HTTP, as canvas-lms
-- sections_controller.rb answers: list with include[], show by course or
-- alone (SIS ids too), create, update (SIS ids need manage_sis), delete,
-- cross-list and de-cross-list seen by later reads.
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local A = require "sandbox_admin_helper"
local api, ids = A.api, A.ids

describe("sandbox sections", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("lists a course's sections, numbered with a last link, or all at once", function()
    local status, page, h = api("GET", "courses/1/sections?per_page=2")
    assert.equal(200, status)
    assert.same({ 1, 41 }, ids(page))
    local links = A.links(h)
    assert.matches("page=2&per_page=2", links.last, 1, true)
    assert.matches("page=2&per_page=2", links.next, 1, true)
    local _, all, h2 = api("GET", "courses/1/sections?per_page=1&all=false")   -- presence counts
    assert.same({ 1, 41, 42 }, ids(all))
    assert.is_nil(h2.link)
    assert.equal("BIO/101.1-A", all[2].sis_section_id)
    assert.equal("BIO/101.1", all[2].sis_course_id)
    assert.equal(json.null, all[1].nonxlist_course_id)
    assert.same({ 42 }, ids(select(2, api("GET", "courses/1/sections?search_term=ion%20B"))))
  end)

  it("honours include[] students, enrollments and total_students; null students when none", function()
    local _, page = api("GET", "courses/1/sections?include[]=students&include[]=total_students&include[]=enrollments")
    local a = page[2]
    assert.equal(38, a.total_students)
    assert.equal(38, #a.students)
    assert.equal(41, a.students[1].enrollments[1].course_section_id)
    local _, sec = api("GET", "courses/3/sections/3?include[]=students")
    assert.is_table(sec.students)
    local _, empty = api("GET", "courses/35/sections?include[]=students")
    assert.equal(json.null, empty[1].students)
    -- an observer may read the course, not its roster: include[] is dropped
    local _, seen = api("GET", "courses/1/sections?include[]=total_students", { token = sandbox.tokens.parent })
    assert.is_nil(seen[1].total_students)
    assert.is_nil(seen[1].sis_section_id)
  end)

  it("shows a section by course or alone, by id or SIS id", function()
    local status, s = api("GET", "courses/1/sections/sis_section_id:BIO%2F101%2E1-B")
    assert.equal(200, status)
    assert.equal(42, s.id)
    assert.equal("Section B", s.name)
    assert.equal(42, select(2, api("GET", "sections/sis_section_id:BIO%2F101%2E1-B")).id)
    assert.equal(404, (api("GET", "courses/2/sections/42")))
    assert.equal(404, (api("GET", "sections/999")))
    assert.equal(401, (api("GET", "sections/42", { token = sandbox.tokens.noperm })))
  end)

  it("creates a section, with a SIS id only for those with manage_sis", function()
    local status, s = api("POST", "courses/1/sections", { form = { ["course_section[name]"] = "Section C",
      ["course_section[sis_section_id]"] = "BIO-C", ["course_section[start_at]"] = "2026-09-01T00:00:00Z" } })
    assert.equal(200, status)
    assert.equal("Section C", s.name)
    assert.equal("BIO-C", s.sis_section_id)
    assert.equal("2026-09-01T00:00:00Z", s.start_at)
    assert.same({ 1, 41, 42, s.id }, ids(A.all("courses/1/sections")))
    -- the teacher may add one; a SIS id from them is ignored
    local _, t = api("POST", "courses/1/sections", { token = sandbox.tokens.teacher,
      form = { ["course_section[name]"] = "D", ["course_section[sis_section_id]"] = "BIO-D" } })
    assert.equal(json.null, select(2, api("GET", "sections/" .. t.id)).sis_section_id)
    assert.equal(401, (api("POST", "courses/1/sections", { token = sandbox.tokens.student,
      form = { ["course_section[name]"] = "E" } })))
  end)

  it("updates a section; SIS ids without manage_sis are a 401", function()
    local _, s = api("PUT", "sections/41", { form = { ["course_section[name]"] = "Section A1",
      ["course_section[sis_section_id]"] = "BIO-A1" } })
    assert.equal("Section A1", s.name)
    assert.equal("BIO-A1", s.sis_section_id)
    assert.equal(41, select(2, api("GET", "sections/sis_section_id:BIO-A1")).id)
    local status, body = api("PUT", "sections/41", { token = sandbox.tokens.teacher,
      form = { ["course_section[sis_section_id]"] = "X" } })
    assert.equal(401, status)
    assert.same({ message = "You must have manage_sis permission to update sis attributes" }, body)
    assert.equal("Renamed", select(2, api("PUT", "sections/41", { token = sandbox.tokens.teacher,
      form = { ["course_section[name]"] = "Renamed" } })).name)
  end)

  it("deletes only a section without enrollments", function()
    local status, body = api("DELETE", "sections/41")
    assert.equal(400, status)
    assert.same({ message = "You can't delete a section that has enrollments" }, body)
    local _, s = api("POST", "courses/1/sections", { form = { ["course_section[name]"] = "Empty" } })
    local st, gone = api("DELETE", "sections/" .. s.id)
    assert.equal(200, st)
    assert.equal(s.id, gone.id)
    assert.equal(404, (api("GET", "sections/" .. s.id)))
    assert.same({ 1, 41, 42 }, ids(A.all("courses/1/sections")))
  end)

  it("cross-lists a section into another course by SIS id, and back", function()
    local status, s = api("POST", "sections/42/crosslist/sis_course_id:CHEM.201")
    assert.equal(200, status)
    assert.equal(2, s.course_id)
    assert.equal(1, s.nonxlist_course_id)
    assert.same({ 1, 41 }, ids(A.all("courses/1/sections")))
    local in_chem = ids(A.all("courses/2/sections"))
    assert.same({ 2, 42, 43 }, in_chem)
    -- its enrollments went along
    for _, e in ipairs(A.all("sections/42/enrollments?per_page=100")) do assert.equal(2, e.course_id) end
    local _, back = api("DELETE", "sections/42/crosslist")
    assert.equal(1, back.course_id)
    assert.equal(json.null, back.nonxlist_course_id)
    for _, e in ipairs(A.all("sections/42/enrollments?per_page=100")) do assert.equal(1, e.course_id) end
    local st, body = api("DELETE", "sections/42/crosslist")
    assert.equal(400, st)
    assert.same({ message = "section is not cross-listed" }, body)
  end)

  it("de-cross-lists the seeded section 43 back into Algebra I", function()
    local _, s = api("GET", "sections/sis_section_id:MATH100-EVE")
    assert.equal(2, s.course_id)
    assert.equal(4, s.nonxlist_course_id)
    local _, back = api("DELETE", "sections/43/crosslist")
    assert.equal(4, back.course_id)
    assert.same({ 4, 43 }, ids(A.all("courses/4/sections")))
  end)

  it("answers cross-list errors and the override_sis_stickiness=false no-op", function()
    assert.equal(404, (api("POST", "sections/42/crosslist/sis_course_id:NOPE")))
    assert.equal(404, (api("POST", "sections/42/crosslist/13")))   -- deleted
    local status, s = api("POST", "sections/42/crosslist/2?override_sis_stickiness=false",
      { token = sandbox.tokens.noperm })
    assert.equal(200, status)
    assert.equal(1, s.course_id)
    -- Terry teaches both: manage on the target is what counts
    assert.equal(200, (api("POST", "sections/42/crosslist/3", { token = sandbox.tokens.teacher })))
    assert.equal(401, (api("POST", "sections/41/crosslist/5", { token = sandbox.tokens.teacher })))
  end)
end)
