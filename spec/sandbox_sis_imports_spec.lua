-- The sandbox's SIS Imports API over plain HTTP, as canvas-lms's
-- sis_imports_api_controller.rb, sis_import_errors_api_controller.rb and
-- SisBatch answer: imports posted as a raw body or a multipart attachment,
-- one CSV or a zip of them, whose rows then show in the sandbox's reads; the
-- per-row warnings and file failures (processing_* capped at 24, the error
-- lists, the errors file); every terminal state, by the data and by the
-- jobs.outcome control; abort, abort_all_pending, importing, restore_states;
-- batch mode; create's 400s.
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local A = require "sandbox_admin_helper"
local J = require "sandbox_jobs_helper"
local api, raw = A.api, J.raw

local TERMINAL = { imported = true, imported_with_messages = true, failed = true, failed_with_messages = true,
  aborted = true, restored = true, partially_restored = true }

-- POSTs `csv` as the raw body (text/csv); the new SisImport.
local function post_csv(csv, query)
  local status, b = raw("POST", "accounts/1/sis_imports" .. (query or ""), { content_type = "text/csv", body = csv })
  assert(status == 200, "POST sis_imports answered " .. tostring(status))
  return b
end

-- POSTs a zip as the multipart attachment; the new SisImport.
local function post_zip(entries, fields)
  local body, ctype = J.multipart(fields or { import_type = "instructure_csv" },
    { { name = "attachment", filename = "sis.zip", data = J.zip(entries), content_type = "application/zip" } })
  local status, b = raw("POST", "accounts/1/sis_imports", { content_type = ctype, body = body })
  assert(status == 200, "POST sis_imports answered " .. tostring(status))
  return b
end

-- Reads the import until it is in a terminal state.
local function finish(b)
  return (J.until_done("accounts/1/sis_imports/" .. b.id, function(d) return TERMINAL[d.workflow_state] end))
end

local function rows(header, n, fn)
  local out = { header }
  for i = 1, n do out[#out + 1] = fn(i) end
  return table.concat(out, "\n") .. "\n"
end

describe("sandbox SIS imports", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("imports a CSV posted as the raw body; its users then show in reads", function()
    local b = post_csv("user_id,login_id,first_name,last_name,full_name,email,status\n"
      .. "NEW-1,new.one,Nina,New,,nina@sandbox.test,active\n"
      .. "NEW-2,new.two,,,Ole Other,,active\n", "?extension=csv")
    assert.equal("created", b.workflow_state)
    assert.equal(0, b.progress)
    assert.same({ import_type = "instructure_csv" }, b.data)
    assert.equal(json.null, b.started_at)
    assert.equal(json.null, b.ended_at)
    assert.equal(1, b.user.id)
    assert.is_nil(b.account_id)
    assert.is_false(b.skip_deletes)
    assert.is_nil(b.processing_errors)
    assert.is_nil(b.diffing_threshold_exceeded)
    local _, during = api("GET", "accounts/1/sis_imports/" .. b.id)
    assert.equal("importing", during.workflow_state)
    assert.is_string(during.started_at)
    assert.equal(404, (api("GET", "users/sis_user_id:NEW-1")))   -- not applied yet
    local _, done = api("GET", "accounts/1/sis_imports/" .. b.id)
    assert.equal("imported", done.workflow_state)
    assert.equal(100, done.progress)
    assert.is_string(done.ended_at)
    assert.same({ "user" }, done.data.supplied_batches)
    assert.equal(2, done.data.counts.users)
    assert.equal(0, done.data.counts.courses)
    assert.equal(0, done.data.counts.error_count)
    assert.equal(0, done.data.counts.warning_count)
    assert.is_true(done.data.running_immediately)
    assert.equal(2, done.data.statistics.Pseudonym.created)
    assert.equal(2, done.data.statistics.total_state_changes)
    assert.equal("sis_import.csv", done.csv_attachments[1].display_name)
    assert.is_nil(done.errors_attachment)
    local _, u = api("GET", "users/sis_user_id:NEW-1")
    assert.equal("Nina New", u.name)
    assert.equal("New, Nina", u.sortable_name)
    assert.equal("new.one", u.login_id)
    assert.equal(b.id, u.sis_import_id)
    local _, o = api("GET", "users/sis_user_id:NEW-2")
    assert.equal("Ole Other", o.name)
    assert.equal("Other, Ole", o.sortable_name)
    local found = A.all("accounts/1/users?search_term=new.one")
    assert.same({ u.id }, A.ids(found))
    -- the file it imported downloads as posted
    assert.matches("^user_id,login_id", (J.download(done.csv_attachments[1])))
  end)

  it("reads a raw body's kind from its Content-Type when no extension is given, a zip by default", function()
    local csv = "user_id,login_id,status\nRAW-1,raw.one,active\n"
    local done = finish(post_csv(csv))   -- text/csv
    assert.equal("imported", done.workflow_state)
    assert.equal("sis_import.csv", done.csv_attachments[1].display_name)
    local status, b = raw("POST", "accounts/1/sis_imports", { content_type = "text/plain; charset=utf-8",
      body = "user_id,login_id,status\nRAW-2,raw.two,active\n" })
    assert.equal(200, status)
    assert.equal(1, finish(b).data.counts.users)
    -- anything else is taken for a zip
    status, b = raw("POST", "accounts/1/sis_imports", { content_type = "application/octet-stream",
      body = J.zip({ { name = "people/users.csv", data = "user_id,login_id,status\nRAW-3,raw.three,active\n" } }) })
    assert.equal(200, status)
    done = finish(b)
    assert.equal("imported", done.workflow_state)
    assert.equal("users.csv", done.csv_attachments[1].display_name)
    for _, id in ipairs({ "RAW-1", "RAW-2", "RAW-3" }) do
      assert.equal(200, (api("GET", "users/sis_user_id:" .. id)))
    end
  end)

  it("imports a zip of CSVs posted as a multipart attachment; every kind shows in reads", function()
    local b = post_zip({
      { name = "accounts.csv", data = "account_id,parent_account_id,name,status\nZ-ACC,SCI,Zip Department,active\n" },
      { name = "terms.csv", stored = true,
        data = "term_id,name,status,start_date,end_date\nZ-2028,Zip Term,active,2028-01-10,2028-05-15T00:00:00Z\n" },
      { name = "courses.csv", data = "course_id,short_name,long_name,account_id,term_id,status\n"
        .. "Z-C1,ZIP101,Zip Course,Z-ACC,Z-2028,active\nZ-C2,ZIP102,Zip Course Two,,Z-2028,active\n" },
      { name = "sections.csv", data = "section_id,course_id,name,status\nZ-S1,Z-C1,Zip Section,active\n" },
      { name = "users.csv", data = "user_id,login_id,first_name,last_name,status\nZ-U1,zip.user,Zed,Zip,active\n" },
      { name = "enrollments.csv", data = "course_id,user_id,role,section_id,status\n"
        .. "Z-C1,Z-U1,student,Z-S1,active\nZ-C1,T0001,teacher,,active\n,S0001,student,Z-S1,inactive\n" },
    })
    local done = finish(b)
    assert.equal("imported", done.workflow_state)
    assert.same({ "account", "term", "course", "section", "user", "enrollment" }, done.data.supplied_batches)
    local c = done.data.counts
    assert.same({ 1, 1, 2, 1, 1, 3 }, { c.accounts, c.terms, c.courses, c.sections, c.users, c.enrollments })
    assert.same({ "accounts.csv", "terms.csv", "courses.csv", "sections.csv", "users.csv", "enrollments.csv" },
      (function() local n = {} for i, f in ipairs(done.csv_attachments) do n[i] = f.display_name end return n end)())
    local _, acc = api("GET", "accounts/sis_account_id:Z-ACC")
    assert.equal("Zip Department", acc.name)
    assert.equal(2, acc.parent_account_id)
    local _, term = api("GET", "accounts/1/terms/sis_term_id:Z-2028")
    assert.equal("Zip Term", term.name)
    assert.equal("2028-01-10T00:00:00Z", term.start_at)
    assert.equal("2028-05-15T00:00:00Z", term.end_at)
    local _, course = api("GET", "courses/sis_course_id:Z-C1")
    assert.equal("Zip Course", course.name)
    assert.equal("ZIP101", course.course_code)
    assert.equal(acc.id, course.account_id)
    assert.equal(term.id, course.enrollment_term_id)
    assert.equal("unpublished", course.workflow_state)   -- a new SIS course is claimed
    assert.equal(1, select(2, api("GET", "courses/sis_course_id:Z-C2")).account_id)
    local sections = A.all("courses/sis_course_id:Z-C1/sections")
    assert.equal(2, #sections)   -- its default section and Z-S1
    assert.equal("Zip Section", sections[2].name)
    assert.equal("Z-S1", sections[2].sis_section_id)
    local by_user = {}
    for _, e in ipairs(A.all("courses/sis_course_id:Z-C1/enrollments?per_page=50&state[]=active&state[]=inactive")) do
      by_user[e.user_id] = e
    end
    local zed = select(2, api("GET", "users/sis_user_id:Z-U1"))
    assert.equal("StudentEnrollment", by_user[zed.id].type)
    assert.equal(sections[2].id, by_user[zed.id].course_section_id)
    assert.equal("TeacherEnrollment", by_user[2].type)
    assert.equal(sections[1].id, by_user[2].course_section_id)   -- no section: the default one
    assert.equal("inactive", by_user[3].enrollment_state)          -- a section alone names the course
  end)

  describe("messages", function()
    it("keeps bad rows as warnings (imported_with_messages), capped at 24 in processing_warnings", function()
      local csv = rows("user_id,login_id,first_name,last_name,status", 30, function(i)
        return string.format("BAD-%02d,,Bad,Row%d,active", i, i)
      end)
      local done = finish(post_csv(csv, "?extension=csv"))
      assert.equal("imported_with_messages", done.workflow_state)
      assert.equal(30, done.data.counts.warning_count)
      assert.equal(0, done.data.counts.error_count)
      assert.equal(0, done.data.counts.users)
      assert.is_nil(done.processing_errors)
      assert.equal(25, #done.processing_warnings)
      assert.same({ "sis_import.csv", "No login_id given for user BAD-01" }, done.processing_warnings[1])
      assert.same({ "and 6 more warnings that were not included", "Download the error file to see all warnings." },
        done.processing_warnings[25])
      -- the errors of the import: newest first, paginated with a last link
      local status, page, h = api("GET", "accounts/1/sis_imports/" .. done.id .. "/errors?per_page=5")
      assert.equal(200, status)
      assert.equal(5, #page.sis_import_errors)
      assert.same({ sis_import_id = done.id, file = "sis_import.csv", message = "No login_id given for user BAD-30",
        row = 31 }, page.sis_import_errors[1])
      assert.is_string(A.links(h).last)
      assert.equal(30, #A.all("accounts/1/sis_imports/" .. done.id .. "/errors?per_page=7", nil, "sis_import_errors"))
      assert.equal(0, #A.all("accounts/1/sis_imports/" .. done.id .. "/errors?failure=true", nil, "sis_import_errors"))
    end)

    it("fails files it cannot read (failed_with_messages), capped at 24 in processing_errors", function()
      local entries = { { name = "users.csv", data = "user_id,login_id,status\nOK-1,ok.one,active\n" },
        { name = "notes/readme.txt", data = "not a CSV" }, { name = "__MACOSX/._users.csv", data = "junk" } }
      for i = 1, 27 do entries[#entries + 1] = { name = string.format("bad%02d.csv", i), data = "foo,bar\n1,2\n" } end
      local b = post_zip(entries)
      local done = finish(b)
      assert.equal("failed_with_messages", done.workflow_state)
      assert.equal(0, done.progress)              -- the import did not finish
      assert.is_string(done.ended_at)
      assert.equal(27, done.data.counts.error_count)
      assert.equal(1, done.data.counts.warning_count)
      assert.same({ { "notes/readme.txt", "Skipping unknown file type" } }, done.processing_warnings)
      assert.equal(25, #done.processing_errors)
      assert.same({ "bad01.csv", "Couldn't find Canvas CSV import headers" }, done.processing_errors[1])
      assert.same({ "and 3 more errors that were not included", "Download the error file to see all errors." },
        done.processing_errors[25])
      -- the good file still went in
      assert.equal(200, (api("GET", "users/sis_user_id:OK-1")))
      local failures = A.all("accounts/1/sis_imports/" .. b.id .. "/errors?failure=true&per_page=50", nil,
        "sis_import_errors")
      assert.equal(27, #failures)
      for _, e in ipairs(failures) do assert.equal(json.null, e.row) end
      -- errors_attachment: written by a later step, every error in it
      assert.is_nil(done.errors_attachment)
      local _, later = api("GET", "accounts/1/sis_imports/" .. b.id)
      assert.equal(string.format("sis_errors_attachment_%d.csv", b.id), later.errors_attachment.display_name)
      local text = J.download(later.errors_attachment)
      assert.matches("^sis_import_id,file,message,row\n", text)
      assert.matches(b.id .. ",bad27.csv,Couldn't find Canvas CSV import headers,\n", text, 1, true)
      assert.matches(b.id .. ",notes/readme.txt,Skipping unknown file type,\n", text, 1, true)
      -- the account's errors hold every import's
      finish(post_csv("user_id,login_id,status\nX-1,,active\n", "?extension=csv"))
      local all = A.all("accounts/1/sis_import_errors?per_page=50", nil, "sis_import_errors")
      assert.equal(29, #all)
      assert.equal("No login_id given for user X-1", all[1].message)   -- newest first
      assert.equal(27, #A.all("accounts/1/sis_import_errors?failure=1&per_page=50", nil, "sis_import_errors"))
    end)

    it("ends failed with data.error_message when the file cannot be opened", function()
      local done = finish(post_csv("this is not a zip", "?extension=zip"))
      assert.equal("failed", done.workflow_state)
      assert.matches("not a zip file", done.data.error_message)
      assert.is_string(done.data.stack_trace)
      assert.equal(json.null, done.ended_at)
      assert.equal(0, done.progress)
      assert.is_nil(done.processing_errors)
    end)
  end)

  describe("jobs.outcome.sis_import", function()
    local csv = "user_id,login_id,status\nFORCED-1,forced.one,active\nFORCED-2,,active\n"
    local function forced(state)
      sandbox.config({ jobs = { outcome = { sis_import = state } } })
      return finish(post_csv(csv, "?extension=csv"))
    end

    it("forces imported and imported_with_messages: the rows go in", function()
      local done = forced("imported")
      assert.equal("imported", done.workflow_state)
      assert.equal(1, #done.processing_warnings)
      assert.equal(200, (api("GET", "users/sis_user_id:FORCED-1")))
      assert.equal("imported_with_messages", forced("imported_with_messages").workflow_state)
    end)

    it("forces failed, failed_with_messages and aborted: nothing goes in", function()
      local failed = forced("failed")
      assert.equal("failed", failed.workflow_state)
      assert.matches("jobs.outcome", failed.data.error_message)
      assert.equal(json.null, failed.ended_at)
      local fwm = forced("failed_with_messages")
      assert.equal("failed_with_messages", fwm.workflow_state)
      assert.same({ { json.null, "Error while importing CSV. Please contact support. (Error report )" } },
        fwm.processing_errors)
      local aborted = forced("aborted")
      assert.equal("aborted", aborted.workflow_state)
      assert.equal(json.null, aborted.ended_at)
      assert.equal(404, (api("GET", "users/sis_user_id:FORCED-1")))
    end)
  end)

  describe("abort, abort_all_pending and importing", function()
    it("runs one import of an account at a time; aborts the unfinished ones", function()
      sandbox.config({ jobs = { advance = "manual" } })
      local a = post_csv("user_id,login_id,status\nAB-1,ab.one,active\n", "?extension=csv")
      local b = post_csv("user_id,login_id,status\nAB-2,ab.two,active\n", "?extension=csv")
      assert.same({ sis_imports = {} }, select(2, api("GET", "accounts/1/sis_imports/importing")))
      assert.same({ advanced = 1 }, J.advance())   -- b waits for a
      local _, importing = api("GET", "accounts/1/sis_imports/importing")
      assert.same({ a.id }, A.ids(importing.sis_imports))
      assert.equal("created", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      local status, aborted = api("PUT", "accounts/1/sis_imports/" .. a.id .. "/abort")
      assert.equal(200, status)
      assert.equal("aborted", aborted.workflow_state)
      assert.equal(0, aborted.progress)
      assert.equal(json.null, aborted.ended_at)
      -- an import no longer running is not found
      assert.equal(404, (api("PUT", "accounts/1/sis_imports/" .. a.id .. "/abort")))
      assert.same({ advanced = 1 }, J.advance())
      assert.equal("importing", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      -- abort_all_pending: the ones not started yet, at progress 100
      local c = post_csv("user_id,login_id,status\nAB-3,ab.three,active\n", "?extension=csv")
      status, aborted = api("PUT", "accounts/1/sis_imports/abort_all_pending")
      assert.equal(200, status)
      assert.same({ aborted = true }, aborted)
      local _, cc = api("GET", "accounts/1/sis_imports/" .. c.id)
      assert.equal("aborted", cc.workflow_state)
      assert.equal(100, cc.progress)
      assert.equal("importing", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      J.advance()
      assert.equal("imported", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      assert.equal(404, (api("GET", "users/sis_user_id:AB-1")))
      assert.equal(404, (api("GET", "users/sis_user_id:AB-3")))
      assert.equal(200, (api("GET", "users/sis_user_id:AB-2")))
    end)
  end)

  describe("restore_states", function()
    it("answers a Progress whose job puts back what an import changed", function()
      finish(post_csv("course_id,short_name,long_name,status\nRS-C1,RS1,Restore Me,active\n", "?extension=csv"))
      finish(post_csv("course_id,user_id,role,status\nRS-C1,S0001,student,active\n", "?extension=csv"))
      local drop = finish(post_csv("course_id,user_id,role,status\nRS-C1,S0001,student,deleted\n", "?extension=csv"))
      assert.equal(1, drop.data.statistics.Enrollment.deleted)
      local function sam_state()
        for _, e in ipairs(A.all("courses/sis_course_id:RS-C1/enrollments?state[]=deleted&state[]=active")) do
          if e.user_id == 3 then return e.enrollment_state end
        end
      end
      assert.equal("deleted", sam_state())
      -- both narrowing flags: a bare JSON string
      local status, _, _, body = raw("PUT", "accounts/1/sis_imports/" .. drop.id .. "/restore_states?undelete_only=1"
        .. "&unconclude_only=1")
      assert.equal(400, status)
      assert.equal('"cannot set both undelete_only and unconclude_only"', body)
      local p
      status, p = api("PUT", "accounts/1/sis_imports/" .. drop.id .. "/restore_states",
        { form = { undelete_only = "true" } })
      assert.equal(200, status)
      assert.equal("SisBatch", p.context_type)
      assert.equal(drop.id, p.context_id)
      assert.equal("sis_batch_state_restore", p.tag)
      assert.equal(json.null, p.user_id)
      assert.equal("queued", p.workflow_state)
      assert.equal(0.0, p.completion)
      -- nobody started it: nobody may cancel it
      assert.equal(401, (api("POST", "progress/" .. p.id .. "/cancel")))
      -- reading the import, or its Progress, moves the restore on
      assert.equal("restoring", select(2, api("GET", "accounts/1/sis_imports/" .. drop.id)).workflow_state)
      local listed = J.jobs()
      assert.same({ kind = "progress", id = p.id, state = "running", done = false, stuck = false }, listed[#listed])
      local _, done = api("GET", "progress/" .. p.id)
      assert.equal("completed", done.workflow_state)
      assert.equal(100.0, done.completion)
      local _, restored = api("GET", "accounts/1/sis_imports/" .. drop.id)
      assert.equal("partially_restored", restored.workflow_state)
      assert.equal(1, restored.data.statistics.Enrollment.restored)
      assert.equal("active", sam_state())
      -- restoring the first import removes the course it made
      local _, list = api("GET", "accounts/1/sis_imports?per_page=10")
      local first = list.sis_imports[3]
      local _, p2 = api("PUT", "accounts/1/sis_imports/" .. first.id .. "/restore_states")
      J.poll("progress/" .. p2.id, 2)
      assert.equal("restored", select(2, api("GET", "accounts/1/sis_imports/" .. first.id)).workflow_state)
      assert.equal(404, (api("GET", "courses/sis_course_id:RS-C1")))
      -- manage_sis only
      assert.equal(401, (api("PUT", "accounts/1/sis_imports/" .. first.id .. "/restore_states",
        { token = sandbox.tokens.teacher })))
      assert.equal(404, (api("PUT", "accounts/1/sis_imports/999999/restore_states")))
    end)

    it("leaves the import restoring when jobs.outcome.progress fails the restore", function()
      local b = finish(post_csv("user_id,login_id,status\nRF-1,rf.one,active\n", "?extension=csv"))
      sandbox.config({ jobs = { outcome = { progress = "failed" } } })
      local _, p = api("PUT", "accounts/1/sis_imports/" .. b.id .. "/restore_states")
      local _, done = J.poll("progress/" .. p.id, 2)
      assert.equal("failed", done.workflow_state)
      assert.equal("Unexpected error, ID: unknown", done.message)
      assert.equal("restoring", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
    end)
  end)

  describe("batch mode", function()
    local courses = "course_id,short_name,long_name,term_id,status\n"

    it("deletes what earlier SIS imports made in the term and this one left out", function()
      finish(post_csv(courses .. "BM-1,BM1,Batch One,2027-SP,active\nBM-2,BM2,Batch Two,2027-SP,active\n"
        .. "BM-3,BM3,Other Term,2026-FA,active\n", "?extension=csv"))
      local b = post_csv(courses .. "BM-1,BM1,Batch One,2027-SP,active\n",
        "?extension=csv&batch_mode=1&batch_mode_term_id=sis_term_id:2027-SP")
      assert.is_true(b.batch_mode)
      assert.equal(3, b.batch_mode_term_id)
      local done = finish(b)
      assert.equal("imported", done.workflow_state)
      assert.equal(1, done.data.counts.batch_courses_deleted)
      assert.equal(1, done.data.statistics.Course.deleted)
      assert.equal(404, (api("GET", "courses/sis_course_id:BM-2")))
      assert.equal(200, (api("GET", "courses/sis_course_id:BM-1")))
      assert.equal(200, (api("GET", "courses/sis_course_id:BM-3")))   -- another term
      -- the seeded courses of the term were not made by SIS: untouched
      assert.equal(200, (api("GET", "courses/7")))
    end)

    it("shows cleanup_batch for an import too big to run at once, and aborts past change_threshold", function()
      local csv = rows(courses:sub(1, -2), 60, function(i)
        return string.format("BIG-%02d,B%02d,Big %d,2027-SP,active", i, i, i)
      end)
      finish(post_csv(csv, "?extension=csv"))
      local b = post_csv(csv, "?extension=csv&batch_mode=1&batch_mode_term_id=sis_term_id:2027-SP")
      local seen = {}
      for _ = 1, 4 do seen[#seen + 1] = select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state end
      assert.same({ "importing", "importing", "cleanup_batch", "imported" }, seen)
      -- 59 of 60 would go: over a 10% threshold the import aborts and deletes nothing
      local ab = finish(post_csv(courses .. "BIG-01,B01,Big 1,2027-SP,active\n",
        "?extension=csv&batch_mode=1&batch_mode_term_id=sis_term_id:2027-SP&change_threshold=10"))
      assert.equal("aborted", ab.workflow_state)
      assert.equal(100, ab.progress)
      assert.same({ { json.null, "59 courses would be deleted and exceeds the set threshold of 10%" } },
        ab.processing_warnings)
      assert.equal(200, (api("GET", "courses/sis_course_id:BIG-60")))
    end)
  end)

  describe("create", function()
    it("answers the controller's 400s, 403s, 404s and 500s", function()
      local function post(query, opts)
        opts = opts or {}
        return raw("POST", "accounts/" .. (opts.account or "1") .. "/sis_imports" .. (query or ""),
          { content_type = opts.content_type or "text/csv", body = opts.body or "user_id,login_id\n",
            token = opts.token })
      end
      -- check_account comes first: a sub-account is a 400 for anyone
      local status, body = post("", { account = 2 })
      assert.equal(400, status)
      assert.same({ errors = { "SIS imports can only be executed on root accounts" } }, body)
      assert.equal(400, (post("", { account = 2, token = sandbox.tokens.teacher })))
      assert.equal(401, (post("", { token = sandbox.tokens.teacher })))
      status, body = post("?import_type=bogus")
      assert.equal(500, status)   -- `raise`: an unhandled exception
      assert.same({ "An error occurred." }, { body.errors[1].message })
      status, body = post("", { content_type = "text/csv; charset=iso-8859-1" })
      assert.equal(400, status)
      assert.same({ error = "Invalid content type, UTF-8 required" }, body)
      status, body = post("", { content_type = "multipart/form-data" })
      assert.equal(400, status)
      assert.same({ error = true, error_message = "Missing attachment" }, body)
      status, body = post("?batch_mode=1")
      assert.equal(400, status)
      assert.same({ message = "Batch mode specified, but the given batch_mode_term_id cannot be found." }, body)
      assert.equal(404, (post("?batch_mode=1&batch_mode_term_id=sis_term_id:NOPE")))
      local _, list = api("GET", "accounts/1/sis_imports")
      assert.same({}, list.sis_imports)
      -- from inside create_with_attachment: the batch was saved first, and stays initializing
      status, body = post("?multi_term_batch_mode=false")
      assert.equal(400, status)
      assert.same({ message = "change_threshold is required to use multi term_batch mode." }, body)
      status, body = post("?diffing_drop_status=gone")
      assert.equal(400, status)
      assert.same({ message = "Invalid diffing_drop_status" }, body)
      local _, orphans = api("GET", "accounts/1/sis_imports?workflow_state[]=initializing")
      assert.equal(2, #orphans.sis_imports)
      for _, o in ipairs(orphans.sis_imports) do assert.equal("initializing", o.workflow_state) end
      assert.same({ advanced = 0 }, J.advance())
    end)

    it("takes a multipart post without attachment as the raw body, as the code reads request.content_type", function()
      local body, ctype = J.multipart({ batch_mode = "0" }, {})
      local status, b = raw("POST", "accounts/1/sis_imports", { content_type = ctype, body = body })
      assert.equal(200, status)
      local done = finish(b)
      assert.equal("failed", done.workflow_state)
      assert.matches("not a zip file", done.data.error_message)
    end)

    it("keeps the options it reads in the JSON", function()
      local b = post_csv("user_id,login_id\n", "?extension=csv&override_sis_stickiness=true&add_sis_stickiness=1"
        .. "&clear_sis_stickiness=0&skip_deletes=true&change_threshold=5&diff_row_count_threshold=0"
        .. "&diffing_data_set_identifier=nightly&diffing_drop_status=inactive")
      assert.is_true(b.override_sis_stickiness)
      assert.is_true(b.add_sis_stickiness)
      assert.equal(json.null, b.clear_sis_stickiness)
      assert.is_true(b.skip_deletes)
      assert.equal(5, b.change_threshold)
      assert.equal(json.null, b.diff_row_count_threshold)
      assert.equal("nightly", b.diffing_data_set_identifier)
      assert.is_false(b.diffing_remaster)
      assert.equal(json.null, b.diffing_threshold_exceeded)
      assert.equal("inactive", b.diffing_drop_status)
      assert.equal(json.null, b.batch_mode)
    end)
  end)

  describe("reads", function()
    it("lists an account's imports newest first, without a last link, filtered", function()
      local ids = {}
      for i = 1, 3 do
        ids[i] = post_csv("user_id,login_id,status\nL-" .. i .. ",l" .. i .. ",active\n", "?extension=csv").id
      end
      finish({ id = ids[1] })
      local status, page, h = api("GET", "accounts/1/sis_imports?per_page=2")
      assert.equal(200, status)
      assert.same({ ids[3], ids[2] }, A.ids(page.sis_imports))
      local links = A.links(h)
      assert.is_string(links.next)
      assert.is_nil(links.last)
      assert.same({ ids[3], ids[2], ids[1] }, A.ids(A.all("accounts/1/sis_imports?per_page=2", nil, "sis_imports")))
      local _, only = api("GET", "accounts/1/sis_imports?workflow_state[]=imported&workflow_state[]=nonsense")
      assert.same({ ids[1] }, A.ids(only.sis_imports))
      assert.same({}, select(2, api("GET", "accounts/1/sis_imports?created_since=2999-01-01T00:00:00Z")).sis_imports)
      assert.equal(3, #select(2, api("GET", "accounts/1/sis_imports?created_since=junk")).sis_imports)
      -- import_sis or manage_sis on the root account
      assert.equal(401, (api("GET", "accounts/1/sis_imports", { token = sandbox.tokens.teacher })))
      assert.equal(404, (api("GET", "accounts/1/sis_imports/999999")))
      assert.equal(404, (api("GET", "accounts/1/sis_imports/abc")))
    end)
  end)
end)
