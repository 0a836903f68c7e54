-- Canvas's long-running jobs through lcanvas against the sandbox's job
-- engine (issue 22): every terminal state of each job kind, stuck jobs
-- ending in Timeout, cancel, many waits at once in tasks, dry runs, SIS
-- imports whose rows show up in reads and whose errors are listed, report
-- files downloaded byte-exact without the token at the file store, course
-- copies. The sandbox advances a job one state per read unless told
-- otherwise (sandbox.config{jobs = ...}).
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local FAST = { interval = 0.01, max_interval = 0.02, timeout = 20 }

local USERS = "user_id,login_id,first_name,last_name,email,status\n" ..
  "JOB-1,job.one,Jo,One,job.one@example.com,active\n" ..
  "JOB-2,job.two,Jo,Two,job.two@example.com,active\n"

describe("long-running jobs", function()
  local canvas, account
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
    account = canvas:get_account(1)
  end)
  after_each(function() sandbox.reset() end)

  describe("Progress", function()
    it("is found by id or by the progress_url other objects carry, and waits to completed", function()
      local p = account:update_courses({ 35, 36 }, "offer")
      assert.is_true(lcanvas.is_object(p, "Progress"))
      local again = canvas:get_progress(sandbox.url .. "/api/v1/progress/" .. p.id)
      assert.equal(p.id, again.id)
      local seen = {}
      local _, state = p:wait({ interval = 0.01, max_interval = 0.02, timeout = 20,
        on_update = function(x) seen[#seen + 1] = x.workflow_state end })
      assert.equal("completed", state)
      assert.equal("completed", seen[#seen])
      assert.is_true(#seen >= 2, "on_update saw " .. table.concat(seen, ","))
      assert.equal("available", canvas:get_course(36).workflow_state)
      assert.has_error(function() canvas:get_progress("https://elsewhere.example/api/v1/users/3") end)
    end)

    it("ends failed when the job fails, and a stuck one in Timeout naming its state", function()
      sandbox.config({ jobs = { outcome = { progress = "failed" } } })
      local _, state = account:update_courses({ 35 }, "offer"):wait(FAST)
      assert.equal("failed", state)
      sandbox.config({ jobs = { outcome = {}, stuck = { progress = true } } })
      local p = account:update_courses({ 35 }, "offer")
      local t0 = lcanvas.clock()
      local err = sandbox.raises("Timeout", p.wait, p, { interval = 0.01, max_interval = 0.05, timeout = 0.3 })
      assert.is_true(lcanvas.clock() - t0 < 2)
      assert.matches("Progress " .. p.id .. " did not finish within 0.3s; its last state was queued", err.message)
      assert.equal("queued", err.state)
    end)

    it("is cancelled by the user who started it only, with a message", function()
      sandbox.config({ jobs = { stuck = { progress = true } } })
      local p = account:update_courses({ 35 }, "offer")
      local other = lcanvas.new(sandbox.url, sandbox.tokens.teacher, { max_retries = 0 })
      sandbox.raises("Unauthorized", function() other:get_progress(p.id):cancel() end)
      p:cancel({ message = "not today" })
      assert.equal("failed", p.workflow_state)
      assert.equal("not today", p.message)
      assert.equal("failed", canvas:get_progress(p.id).workflow_state)
    end)
  end)

  describe("SIS imports", function()
    it("uploads a file as multipart and data as a raw body; the rows show up in reads", function()
      local path = sandbox.tmpname() .. ".csv"
      sandbox.write_file(path, USERS)
      local imp = account:create_sis_import(path)
      os.remove(path)
      local post = sandbox.last_api_request()
      assert.matches("^multipart/form%-data", post.headers["content-type"])
      assert.matches('name="attachment"; filename="[^"]+%.csv"', post.body)
      assert.matches('name="import_type"\r\n\r\ninstructure_csv', post.body)
      assert.equal(1, imp.account_id)
      local _, state = imp:wait(FAST)
      assert.equal("imported", state)
      assert.is_true(imp:is_ok())
      assert.equal("Jo One", canvas:get_user("JOB-1", "sis_user_id").name)

      local raw = account:create_sis_import("course_id,short_name,long_name,status\n" ..
        "JOB/101.1,JOB101,Jobs 101,active\n")
      post = sandbox.last_api_request()
      assert.matches("^text/csv", post.headers["content-type"])
      assert.matches("extension=csv", post.query)
      assert.matches("import_type=instructure_csv", post.query)
      assert.equal("imported", select(2, raw:wait(FAST)))
      assert.equal("Jobs 101", canvas:get_course("JOB/101.1", "sis_course_id").name)
    end)

    it("lists the errors of bad rows, every one, and ends with messages", function()
      local rows = { "user_id,login_id,first_name,last_name,status" }
      for i = 1, 30 do rows[#rows + 1] = string.format("BAD-%d,,Bad,Row,active", i) end
      rows[#rows + 1] = "GOOD-1,good.one,Good,One,active"
      local imp = account:create_sis_import(table.concat(rows, "\n") .. "\n")
      assert.equal("imported_with_messages", select(2, imp:wait(FAST)))
      assert.is_true(imp:is_ok())
      local errs = {}
      for e in imp:get_errors() do errs[#errs + 1] = e end
      assert.equal(30, #errs)
      assert.matches("login_id", errs[1].message)
      -- processing_errors or warnings stop at 24 plus the "and N more" pair
      local listed = imp.processing_warnings or imp.processing_errors
      assert.equal(25, #listed)
      assert.equal("Good One", canvas:get_user("GOOD-1", "sis_user_id").name)
    end)

    it("reaches failed, failed_with_messages and aborted, and waits through created", function()
      for _, outcome in ipairs({ "failed", "failed_with_messages", "aborted" }) do
        sandbox.config({ jobs = { outcome = { sis_import = outcome } } })
        local imp = account:create_sis_import(USERS)
        assert.equal(outcome, select(2, imp:wait(FAST)))
        assert.is_false(imp:is_ok())
      end
    end)

    it("aborts one import, and every pending one", function()
      sandbox.config({ jobs = { stuck = { sis_import = true } } })
      local a = account:create_sis_import(USERS)
      local b = account:create_sis_import(USERS)
      a:abort()
      assert.equal("aborted", a.workflow_state)
      assert.is_true(account:abort_sis_imports_pending())
      assert.equal("aborted", b:refresh().workflow_state)
      local ids = {}
      for s in account:get_sis_imports({ workflow_state = { "aborted" } }) do ids[s.id] = s.account_id end
      assert.equal(1, ids[a.id])
      assert.equal(1, ids[b.id])
    end)

    it("restores the states an import changed, through a Progress", function()
      local imp = account:create_sis_import(USERS)
      imp:wait(FAST)
      local p = imp:restore_states()
      assert.is_true(lcanvas.is_object(p, "Progress"))
      assert.equal("completed", select(2, p:wait(FAST)))
      local state = imp:refresh().workflow_state
      assert.is_true(state == "restored" or state == "partially_restored", state)
    end)

    it("says so when the upload's answer is no SIS import", function()
      local path = sandbox.tmpname() .. ".csv"
      sandbox.write_file(path, USERS)
      sandbox.fault({ path = "/api/v1/accounts/1/sis_imports", status = 200, count = 1,
        body = "<html>maintenance</html>" })
      local err = sandbox.raises("InvalidResponse", account.create_sis_import, account, path)
      os.remove(path)
      assert.matches("without a SIS import", err.message)
    end)

    it("refuses what Canvas would take wrongly, before sending", function()
      sandbox.clear_requests()
      for _, bad in ipairs({
        { { import_type = "ims_xml" }, "import_type must be \"instructure_csv\"" },
        { { diffing_drop_status = "gone" }, "diffing_drop_status must be completed, deleted, inactive" },
        { { multi_term_batch_mode = true }, "multi_term_batch_mode needs change_threshold" },
        { { batch_mode = true }, "batch_mode needs batch_mode_term_id" },
        { { batch_mode = true, batch_mode_term_id = 2, diffing_data_set_identifier = "x" }, "cannot go with" },
        { { colour = "red" }, "Canvas does not read 'colour'" },
      }) do
        local ok, err = pcall(account.create_sis_import, account, USERS, bad[1])
        assert.is_false(ok)
        assert.matches(bad[2], tostring(err), 1, true)
      end
      assert.same({}, sandbox.api_requests())
    end)

    it("finishes an import queued behind another when only the later one is waited on", function()
      local first = account:create_sis_import(USERS)
      local second = account:create_sis_import(USERS)
      assert.equal("imported", select(2, second:wait(FAST)))
      -- Canvas runs an account's imports one at a time, oldest first
      assert.equal("imported", first:refresh().workflow_state)
      assert.is_true(first.ended_at <= second.started_at)
    end)

    it("waits for many imports at once in tasks", function()
      local t0 = lcanvas.clock()
      local states = canvas:map({ 1, 2, 3, 4, 5, 6 }, function()
        local imp = account:create_sis_import(USERS)
        return select(2, imp:wait(FAST))
      end)
      for i = 1, 6 do assert.equal("imported", states[i]) end
      assert.is_true(lcanvas.clock() - t0 < 10)
    end)
  end)

  describe("account reports", function()
    it("lists the reports with their parameters, not paginated", function()
      sandbox.clear_requests()
      local names = {}
      for r in account:get_reports() do names[r.report] = r end
      assert.is_true(lcanvas.is_object(names.provisioning_csv, "ReportType"))
      assert.is_true(lcanvas.is_object(names.last_user_access_csv, "ReportType"))
      assert.is_table(names.provisioning_csv.parameters.users)
      -- one request, no per_page: Canvas renders the whole list
      local lists = sandbox.api_requests(function(r) return r.path == "/api/v1/accounts/1/reports" end)
      assert.equal(1, #lists)
    end)

    it("runs, waits and downloads a report byte-exact, with no token at the file store", function()
      sandbox.clear_requests()
      local r = account:create_report("provisioning_csv", { parameters = { users = true } })
      assert.equal(1, r.account_id)
      assert.equal("complete", select(2, r:wait(FAST)))
      local path = sandbox.tmpname() .. ".csv"
      local written, size = r:download(path)
      assert.equal(path, written)
      local text = sandbox.read_file(path)
      os.remove(path)
      assert.equal(#text, size)
      assert.equal(r.attachment.size, size)
      assert.matches("^canvas_user_id,user_id,", text)
      -- the file store got the request, without the token
      local storage = sandbox.by_origin("storage")
      assert.equal(1, #storage)
      assert.is_nil(storage[1].headers.authorization)
      assert.equal(200, storage[1].status)
      -- the same bytes as a plain HTTP client gets them (luasocket: the url
      -- with the token, then its redirect without)
      local http, ltn12 = require "socket.http", require "ltn12"
      local _, code, headers = http.request({ url = r.attachment.url, redirect = false,
        headers = { authorization = "Bearer " .. sandbox.tokens.admin } })
      assert.equal(302, code)
      local chunks = {}
      _, code = http.request({ url = headers.location, sink = ltn12.sink.table(chunks) })
      assert.equal(200, code)
      assert.equal(table.concat(chunks), text)
      assert.matches("\n3,S0001,", text)
      -- listed, shown, deleted
      local ids = {}
      for x in account:get_index_of_reports("provisioning_csv") do ids[#ids + 1] = x.id end
      assert.equal(r.id, ids[1])
      assert.equal(r.id, account:get_report("provisioning_csv", r.id).id)
      r:delete()
      assert.equal("deleted", r.status)
      sandbox.raises("ResourceDoesNotExist", account.get_report, account, "provisioning_csv", r.id)
    end)

    it("ends in error or aborted on demand, and then has nothing to download", function()
      for _, outcome in ipairs({ "error", "aborted" }) do
        sandbox.config({ jobs = { outcome = { report = outcome } } })
        local r = account:create_report("last_user_access_csv", {})
        assert.equal(outcome, select(2, r:wait(FAST)))
        local err = sandbox.raises("InvalidArgument", r.download, r, sandbox.tmpname())
        assert.matches("not complete", err.message)
      end
    end)
  end)

  describe("course copies", function()
    it("copies a course by SIS id and waits to completed", function()
      -- A course's assignments as one of its students sees them (user 300 is
      -- in course 5, Sam in course 1).
      local function assignments(user, course)
        return canvas:list(string.format("users/%d/courses/%d/assignments", user, course)):count()
      end
      local before = assignments(300, 5)
      local m = canvas:get_course(5):create_content_migration("course_copy_importer",
        { settings = { source_course_id = "sis_course_id:BIO/101.1" } })
      assert.equal(5, m.course_id)
      assert.equal("completed", select(2, m:wait(FAST)))
      assert.is_true(lcanvas.is_object(m:get_progress(), "Progress"))
      local source = assignments(3, 1)
      assert.is_true(source > 0)
      assert.equal(before + source, assignments(300, 5))
      sandbox.config({ jobs = { outcome = { content_migration = "failed" } } })
      local failed = canvas:get_course(6):create_content_migration("course_copy_importer",
        { settings = { source_course_id = 1 } })
      assert.equal("failed", select(2, failed:wait(FAST)))
      sandbox.raises("RequiredFieldMissing", function()
        canvas:get_course(5):create_content_migration("course_copy_importer", {})
      end)
    end)
  end)

  describe("dry runs", function()
    it("start nothing, and wait returns at once saying so", function()
      local dry = lcanvas.new(sandbox.url, sandbox.tokens.admin, { dry_run = true })
      sandbox.clear_requests()
      local imp = dry:get_account(1):create_sis_import(USERS)
      local _, state = imp:wait()
      assert.equal("dry_run", state)
      local r = dry:get_account(1):create_report("provisioning_csv", { parameters = { users = true } })
      assert.equal("dry_run", select(2, r:wait()))
      for _, req in ipairs(sandbox.api_requests()) do assert.equal("GET", req.method) end
    end)
  end)
end)
