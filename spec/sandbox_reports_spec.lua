-- The sandbox's Account Reports API over plain HTTP, as canvas-lms's
-- account_reports_controller.rb, lib/api/v1/account_report.rb and the
-- account_reports plugin answer: the available reports, a report's runs
-- (created -> running -> complete | error | aborted, deleted by DELETE), and
-- the files they make from the sandbox's data, downloaded as a client does:
-- the File's url, a redirect to the storage origin, no token there.
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local csv = require "lcanvas.sandbox.csv"
local zip = require "lcanvas.sandbox.zip"
local A = require "sandbox_admin_helper"
local J = require "sandbox_jobs_helper"
local api, raw = A.api, J.raw

local DONE = { complete = true, error = true, aborted = true }

-- Starts a report with form parameters; the new Report.
local function start(report, params)
  local form = {}
  for k, v in pairs(params or {}) do form["parameters[" .. k .. "]"] = v end
  local status, r = api("POST", "accounts/1/reports/" .. report, { form = form })
  assert(status == 200, "POST reports answered " .. tostring(status))
  return r
end

local function finish(r)
  return (J.until_done("accounts/1/reports/" .. r.report .. "/" .. r.id, function(d) return DONE[d.status] end))
end

-- A CSV's rows as maps by header.
local function records(text)
  local rows = assert(csv.parse(text))
  local out, head = {}, {}
  for k, h in ipairs(rows[1]) do head[k] = h end
  for i = 2, #rows do
    local rec = {}
    for k, h in ipairs(rows[1]) do rec[h] = rows[i][k] end
    out[#out + 1] = rec
  end
  return out, head
end

describe("sandbox account reports", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("lists the available reports with their parameters and last run, unpaginated", function()
    local status, list, h = api("GET", "accounts/1/reports")
    assert.equal(200, status)
    assert.is_nil(h.link)
    local names = {}
    for i, r in ipairs(list) do names[i] = r.report end
    assert.same({ "last_user_access_csv", "provisioning_csv", "sis_export_csv" }, names)
    assert.equal("Provisioning", list[2].title)
    assert.same({ required = false, description = "Get the Provisioning file for users" }, list[2].parameters.users)
    assert.same({ required = false, description = "The canvas id of the term of courses to report on" },
      list[2].parameters.enrollment_term_id)
    assert.equal(json.null, list[2].last_run)
    local r = finish(start("provisioning_csv", { users = "true" }))
    local _, again = api("GET", "accounts/1/reports")
    assert.equal(r.id, again[2].last_run.id)
    assert.equal("complete", again[2].last_run.status)
    -- read_reports on the account
    assert.equal(401, (api("GET", "accounts/1/reports", { token = sandbox.tokens.teacher })))
    assert.equal(401, (api("POST", "accounts/1/reports/provisioning_csv", { token = sandbox.tokens.teacher })))
    assert.equal(404, (api("POST", "accounts/1/reports/no_such_report")))
  end)

  it("runs provisioning_csv for several files into a zip whose CSVs match the store", function()
    local r = start("provisioning_csv", { users = "true", courses = "true", sections = "1", terms = "false" })
    assert.same({ id = r.id, progress = 0, parameters = { users = "true", courses = "true", sections = "1",
      terms = "false" }, current_line = json.null, status = "created", report = "provisioning_csv",
      created_at = r.created_at, started_at = json.null, ended_at = json.null, file_url = json.null }, r)
    local _, running = api("GET", "accounts/1/reports/provisioning_csv/" .. r.id)
    assert.equal("running", running.status)
    assert.is_string(running.started_at)
    assert.equal("en", running.parameters.locale)
    local _, done = api("GET", "accounts/1/reports/provisioning_csv/" .. r.id)
    assert.equal("complete", done.status)
    assert.equal(100, done.progress)
    assert.is_string(done.ended_at)
    assert.equal("Term: All Terms; Reports: users courses sections ", done.parameters.extra_text)
    local name = string.format("provisioning_csv_15_Oct_2026_%d.zip", r.id)
    assert.equal(name, done.attachment.display_name)
    assert.equal("application/zip", done.attachment["content-type"])
    assert.equal(sandbox.url .. "/accounts/1/files/" .. done.attachment.id .. "/download", done.file_url)
    local bytes = J.download(done.attachment)
    local entries = assert(zip.read(bytes))
    local files = {}
    for i, e in ipairs(entries) do files[i] = e.name end
    assert.same({ "users.csv", "courses.csv", "sections.csv" }, files)

    -- users: one row per login, as the account's users list has them
    local users, head = records(entries[1].data)
    assert.same({ "canvas_user_id", "user_id", "integration_id", "authentication_provider_id", "login_id",
      "first_name", "last_name", "full_name", "sortable_name", "short_name", "email", "status", "created_by_sis",
      "pronouns" }, head)
    local listed = A.all("accounts/1/users?per_page=100&include[]=email")
    assert.equal(#listed, #users)
    local by_id = {}
    for _, u in ipairs(users) do by_id[u.canvas_user_id] = u end
    for _, u in ipairs(listed) do
      local row = by_id[tostring(u.id)]
      assert.equal(u.login_id, row.login_id)
      assert.equal(u.sis_user_id ~= json.null and u.sis_user_id or "", row.user_id)
      assert.equal(u.name, row.full_name)
      assert.equal(u.sortable_name, row.sortable_name)
      assert.equal(u.email, row.email)
    end
    assert.same({ canvas_user_id = "3", user_id = "S0001", integration_id = "", authentication_provider_id = "",
      login_id = "sam.student", first_name = "Sam", last_name = "Student", full_name = "Sam Student",
      sortable_name = "Student, Sam", short_name = "Sam", email = "sam.student@sandbox.test", status = "active",
      created_by_sis = "true", pronouns = "" }, by_id["3"])

    -- courses: those neither deleted nor concluded, with the API's states renamed
    local courses = records(entries[2].data)
    local expected = {}
    for _, c in ipairs(A.all("accounts/1/courses?per_page=100&state[]=all")) do
      if c.workflow_state ~= "deleted" and c.workflow_state ~= "completed" then expected[#expected + 1] = c end
    end
    assert.equal(#expected, #courses)
    for i, c in ipairs(expected) do
      assert.equal(tostring(c.id), courses[i].canvas_course_id)
      assert.equal(c.name, courses[i].long_name)
      assert.equal(c.course_code, courses[i].short_name)
      assert.equal(c.workflow_state == "unpublished" and "unpublished" or "active", courses[i].status)
    end
    assert.same({ canvas_course_id = "1", course_id = "BIO/101.1", integration_id = "", short_name = "BIO101",
      long_name = "Biology 101", canvas_account_id = "1", account_id = "ROOT", canvas_term_id = "2",
      term_id = "2026-FA", status = "active", start_date = "", end_date = "", course_format = "",
      canvas_blueprint_course_id = "", blueprint_course_id = "", created_by_sis = "false" }, courses[1])

    -- sections: Biology's three, as its sections list has them
    local sections = records(entries[3].data)
    local bio = {}
    for _, s in ipairs(sections) do if s.canvas_course_id == "1" then bio[#bio + 1] = s.canvas_section_id end end
    assert.same({ "1", "41", "42" }, bio)
  end)

  it("writes one CSV for one file, to the chosen term, and the SIS export's headers", function()
    local done = finish(start("provisioning_csv", { enrollments = "true", enrollment_term_id = "sis_term_id:2025-FA" }))
    assert.equal("complete", done.status)
    assert.equal("Term: Fall 2025; Reports: enrollments ", done.parameters.extra_text)
    assert.equal("text/csv", done.attachment["content-type"])
    local text = J.download(done.attachment)
    local list, head = records(text)
    assert.equal("canvas_course_id", head[1])
    assert.equal(#list + 1, done.current_line)
    -- Fall 2025 courses are concluded: their enrollments are completed, which the report leaves out
    for _, e in ipairs(list) do assert.equal("4", e.canvas_course_id) end
    assert.equal(#A.all("courses/4/enrollments?per_page=100&type[]=StudentEnrollment&type[]=TeacherEnrollment"), #list)
    local sis = finish(start("sis_export_csv", { terms = "true" }))
    local terms, thead = records(J.download(sis.attachment))
    assert.same({ "term_id", "name", "status", "start_date", "end_date" }, thead)
    -- the default term has no SIS id: not in the SIS format
    assert.same({ term_id = "2026-FA", name = "Fall 2026", status = "active", start_date = "2026-08-19T18:00:00-06:00",
      end_date = "2026-12-19T17:00:00-07:00" }, terms[1])
    assert.equal(3, #terms)
  end)

  it("runs last_user_access_csv: each login's last access in the account's time zone", function()
    local done = finish(start("last_user_access_csv", { course_id = "2" }))
    assert.equal("complete", done.status)
    assert.equal("Term: All Terms; For Course: 2;", done.parameters.extra_text)
    local list, head = records(J.download(done.attachment))
    assert.same({ "user id", "user sis id", "user name", "last access at", "last ip" }, head)
    local members = {}
    for _, u in ipairs(A.all("courses/2/users?per_page=100&enrollment_state[]=active&enrollment_state[]=invited"
      .. "&enrollment_state[]=rejected")) do
      members[tostring(u.id)] = u
    end
    local n = 0
    for _ in pairs(members) do n = n + 1 end
    assert.equal(n, #list)
    for _, row in ipairs(list) do assert.is_table(members[row["user id"]]) end
    local _, sam = api("GET", "users/3?include[]=last_login")
    for _, row in ipairs(list) do
      if row["user id"] == "3" then
        assert.equal("S0001", row["user sis id"])
        assert.equal("Student, Sam", row["user name"])
        -- 2024-09-04T03:03:00Z in America/Denver (daylight time)
        assert.equal("2024-09-03T21:03:00-06:00", row["last access at"])
        assert.equal("2024-09-04T03:03:00Z", sam.last_login)
      end
    end
  end)

  it("ends in error for an unknown term or course, and when no file was chosen", function()
    local bad = finish(start("provisioning_csv", { users = "true", enrollment_term_id = "999999" }))
    assert.equal("error", bad.status)
    assert.equal(100, bad.progress)
    assert.equal("Failed, the report failed to generate a file. Please try again.", bad.parameters.extra_text)
    assert.is_nil(bad.attachment)
    assert.equal(json.null, bad.file_url)
    assert.equal("error", finish(start("last_user_access_csv", { course_id = "sis_course_id:NOPE" })).status)
    local none = finish(start("provisioning_csv"))
    assert.equal("error", none.status)
    assert.equal("Failed, the report failed to generate a file. Please try again.", none.parameters.extra_text)
  end)

  it("forces complete, error or aborted with jobs.outcome.report", function()
    sandbox.config({ jobs = { outcome = { report = "aborted" } } })
    local ab = finish(start("provisioning_csv", { users = "true" }))
    assert.equal("aborted", ab.status)
    assert.equal(100, ab.progress)
    assert.equal("Report has been aborted", ab.parameters.extra_text)
    assert.is_nil(ab.attachment)
    sandbox.config({ jobs = { outcome = { report = "error" } } })
    assert.equal("error", finish(start("provisioning_csv", { users = "true" })).status)
    sandbox.config({ jobs = { outcome = { report = "complete" } } })
    assert.equal("complete", finish(start("provisioning_csv", { users = "true" })).status)
  end)

  it("lists a report's runs newest first, shows one, deletes one", function()
    local r1 = finish(start("provisioning_csv", { users = "true" }))
    local r2 = start("provisioning_csv", { terms = "true" })
    local r3 = start("last_user_access_csv")
    local status, list, h = api("GET", "accounts/1/reports/provisioning_csv")
    assert.equal(200, status)
    assert.same({ r2.id, r1.id }, A.ids(list))
    assert.is_string(A.links(h).current)
    -- another type's id, or a deleted one, is not found
    assert.equal(404, (api("GET", "accounts/1/reports/provisioning_csv/" .. r3.id)))
    local _, deleted = api("DELETE", "accounts/1/reports/provisioning_csv/" .. r2.id)
    assert.equal("deleted", deleted.status)
    assert.equal(404, (api("GET", "accounts/1/reports/provisioning_csv/" .. r2.id)))
    assert.equal(404, (api("DELETE", "accounts/1/reports/provisioning_csv/" .. r2.id)))
    assert.same({ r1.id }, A.ids(A.all("accounts/1/reports/provisioning_csv")))
    -- a deleted report's job goes no further
    assert.equal("deleted", (function()
      for _, j in ipairs(J.jobs()) do if j.id == r2.id then return j.state end end
    end)())
  end)

  it("serves the file at the attachment's url through storage, and file_url with its verifier", function()
    local done = finish(start("provisioning_csv", { terms = "true" }))
    local bytes, location = J.download(done.attachment)
    assert.matches("^canvas_term_id,term_id,name", bytes)
    assert.matches("/files/" .. done.attachment.id .. "/download%?verifier=", location)
    -- storage refuses the Canvas token
    assert.equal(403, (raw("GET", location)))
    -- file_url is the account's download route: without the verifier, the login page
    local status, _, h = raw("GET", done.file_url, { token = false })
    assert.equal(302, status)
    assert.matches("/login$", h.location)
    local verifier = done.attachment.url:match("verifier=([%w]+)")
    status, _, h = raw("GET", done.file_url .. "?verifier=" .. verifier, { token = false })
    assert.equal(302, status)
    assert.equal(location, h.location)
    -- the File itself, for the account's admins
    local st, file = api("GET", "files/" .. done.attachment.id)
    assert.equal(200, st)
    assert.equal(done.attachment.display_name, file.display_name)
    assert.equal(401, (api("GET", "files/" .. done.attachment.id, { token = sandbox.tokens.teacher })))
  end)
end)
