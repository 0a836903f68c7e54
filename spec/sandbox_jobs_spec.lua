-- The sandbox's job engine over plain HTTP: the three ways jobs advance
-- (config.jobs.advance poll, time and manual, POST /__sandbox/jobs/advance),
-- forced outcomes and stuck jobs of every kind, GET /__sandbox/jobs and the
-- reset; Progress (show and cancel, as ProgressController and Progress's
-- policy answer); and course copies (content_migrations_controller.rb with
-- course_copy_importer), whose copy brings the source's assignments.
-- SIS imports and account reports have their own spec files.
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local A = require "sandbox_admin_helper"
local J = require "sandbox_jobs_helper"
local api, raw = A.api, J.raw

-- A CSV of one user, posted as a raw body; the new SisImport.
local function small_import(login)
  local status, b = raw("POST", "accounts/1/sis_imports?extension=csv", { content_type = "text/csv",
    body = "user_id,login_id,first_name,last_name,status\nJOB-" .. login .. "," .. login .. ",Job,Runner,active\n" })
  assert(status == 200, "the import was not created: " .. tostring(status))
  return b
end

local function batch_update()
  local status, p = api("PUT", "accounts/1/courses", { form = { event = "offer", ["course_ids[]"] = { "7" } } })
  assert(status == 200)
  return p
end

local function course_copy(token)
  return api("POST", "courses/2/content_migrations", { token = token, form = {
    migration_type = "course_copy_importer", ["settings[source_course_id]"] = "1" } })
end

local function report()
  local status, r = api("POST", "accounts/1/reports/provisioning_csv", { form = { ["parameters[users]"] = "true" } })
  assert(status == 200)
  return r
end

describe("sandbox jobs", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  describe("advance modes", function()
    it("poll (the default): each read of a job moves it one step, and lists do not", function()
      local b = small_import("poll")
      assert.equal("created", b.workflow_state)
      -- a list read is not a read of the job
      local _, list = api("GET", "accounts/1/sis_imports")
      assert.equal("created", list.sis_imports[1].workflow_state)
      assert.equal("importing", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      assert.equal("imported", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      assert.equal("imported", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      -- a batch update's Progress: queued, then done on the next read
      local p = batch_update()
      assert.equal("queued", p.workflow_state)
      assert.equal("completed", select(2, api("GET", "progress/" .. p.id)).workflow_state)
    end)

    it("manual: reads change nothing; POST /__sandbox/jobs/advance moves every job one step", function()
      sandbox.config({ jobs = { advance = "manual" } })
      local b = small_import("manual")
      local p = batch_update()
      for _ = 1, 3 do
        assert.equal("created", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      end
      assert.equal("queued", select(2, api("GET", "progress/" .. p.id)).workflow_state)
      assert.same({ advanced = 2 }, J.advance())
      assert.equal("importing", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      assert.equal("completed", select(2, api("GET", "progress/" .. p.id)).workflow_state)
      assert.same({ advanced = 1 }, J.advance())
      assert.equal("imported", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
      assert.same({ advanced = 0 }, J.advance())
    end)

    it("time: one step per step_seconds of wall-clock time", function()
      sandbox.config({ jobs = { advance = "time", step_seconds = 0.5 } })
      local b = small_import("timed")
      local path = "accounts/1/sis_imports/" .. b.id
      assert.equal("created", select(2, api("GET", path)).workflow_state)
      require("socket").sleep(0.7)
      assert.equal("importing", select(2, api("GET", path)).workflow_state)
      -- list reads catch up too
      require("socket").sleep(0.5)
      local _, list = api("GET", "accounts/1/sis_imports")
      assert.equal("imported", list.sis_imports[1].workflow_state)
    end)

    it("answers an unknown mode or outcome with a 500 that says so", function()
      sandbox.config({ jobs = { advance = "sometimes" } })
      local b = small_import("bad-mode")
      local status, doc = api("GET", "accounts/1/sis_imports/" .. b.id)
      assert.equal(500, status)
      assert.matches("config.jobs.advance must be poll, time or manual", doc.errors[1].message, 1, true)
      sandbox.config({ jobs = { advance = "poll", outcome = { report = "finished" } } })
      status, doc = api("POST", "accounts/1/reports/provisioning_csv")
      assert.equal(500, status)
      assert.matches("config.jobs.outcome.report must be one of aborted, complete, error", doc.errors[1].message, 1,
        true)
    end)
  end)

  describe("GET /__sandbox/jobs and the reset", function()
    it("lists every job with its kind, id and state; a reset empties the list", function()
      local b = small_import("listed")
      local p = batch_update()
      local r = report()
      local _, m = course_copy()
      local jobs = J.jobs()
      assert.same({
        { kind = "sis_import", id = b.id, state = "created", done = false, stuck = false },
        { kind = "progress", id = p.id, state = "queued", done = false, stuck = false },
        { kind = "report", id = r.id, state = "created", done = false, stuck = false },
        { kind = "content_migration", id = m.id, state = "running", done = false, stuck = false },
      }, jobs)
      api("GET", "progress/" .. p.id)
      assert.same({ kind = "progress", id = p.id, state = "completed", done = true, stuck = false }, J.jobs()[2])
      sandbox.reset()
      assert.same({}, J.jobs())
      assert.equal(404, (api("GET", "accounts/1/sis_imports/" .. b.id)))
      assert.equal(404, (api("GET", "progress/" .. p.id)))
    end)
  end)

  describe("stuck jobs", function()
    it("never leave their first state, for each kind, while other jobs go on", function()
      sandbox.config({ jobs = { stuck = { sis_import = true, report = true, progress = true,
        content_migration = true } } })
      local b = small_import("stuck")
      local p = batch_update()
      local r = report()
      local _, m = course_copy()
      for _ = 1, 4 do
        assert.equal("created", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
        assert.equal("queued", select(2, api("GET", "progress/" .. p.id)).workflow_state)
        assert.equal("created", select(2, api("GET", "accounts/1/reports/provisioning_csv/" .. r.id)).status)
        assert.equal("running", select(2, api("GET", "courses/2/content_migrations/" .. m.id)).workflow_state)
        assert.equal("queued", select(2, raw("GET", m.progress_url)).workflow_state)
      end
      assert.same({ advanced = 0 }, J.advance())
      for _, job in ipairs(J.jobs()) do assert.is_true(job.stuck) end
      -- only jobs made afterwards: unstuck, a new one runs
      sandbox.config({ jobs = { stuck = json.null } })
      local b2 = small_import("free")
      assert.equal("imported", select(2, J.poll("accounts/1/sis_imports/" .. b2.id, 2)).workflow_state)
      assert.equal("created", select(2, api("GET", "accounts/1/sis_imports/" .. b.id)).workflow_state)
    end)
  end)

  describe("forced outcomes", function()
    it("end a batch update's Progress completed or failed", function()
      sandbox.config({ jobs = { outcome = { progress = "failed" } } })
      local p = batch_update()
      local _, done = api("GET", "progress/" .. p.id)
      assert.equal("failed", done.workflow_state)
      assert.equal(100.0, done.completion)
      sandbox.config({ jobs = { outcome = { progress = "completed" } } })
      -- every course id unknown: the data would fail it, the control completes it
      local _, p2 = api("PUT", "accounts/1/courses", { form = { event = "offer", ["course_ids[]"] = { "999999" } } })
      assert.equal("completed", select(2, api("GET", "progress/" .. p2.id)).workflow_state)
      sandbox.config({ jobs = { outcome = json.null } })
      local _, p3 = api("PUT", "accounts/1/courses", { form = { event = "offer", ["course_ids[]"] = { "999999" } } })
      assert.equal("failed", select(2, api("GET", "progress/" .. p3.id)).workflow_state)
    end)

    it("end a course copy completed or failed (its Progress too)", function()
      sandbox.config({ jobs = { outcome = { content_migration = "failed" } } })
      local _, m = course_copy()
      local done = J.until_done("courses/2/content_migrations/" .. m.id, function(d)
        return d.workflow_state == "completed" or d.workflow_state == "failed" end)
      assert.equal("failed", done.workflow_state)
      assert.is_string(done.finished_at)
      assert.equal("failed", select(2, raw("GET", m.progress_url)).workflow_state)
      -- nothing was copied
      assert.equal(12, #A.all("users/2/courses/2/assignments?per_page=100", { token = sandbox.tokens.teacher }))
      sandbox.config({ jobs = { outcome = { content_migration = "completed" } } })
      _, m = course_copy()
      done = J.until_done("courses/2/content_migrations/" .. m.id,
        function(d) return d.workflow_state == "completed" end)
      assert.equal("completed", done.workflow_state)
      assert.equal("completed", select(2, raw("GET", m.progress_url)).workflow_state)
    end)
  end)

  describe("Progress", function()
    it("shows a job's Progress to whoever may read its context", function()
      local _, m = course_copy()
      local status, p = raw("GET", m.progress_url)
      assert.equal(200, status)
      assert.equal("ContentMigration", p.context_type)
      assert.equal(m.id, p.context_id)
      assert.equal("content_migration", p.tag)
      assert.equal(1, p.user_id)
      assert.equal(m.progress_url, p.url)
      -- the course's teacher may; a student of it, or an outsider, may not
      assert.equal(200, (raw("GET", m.progress_url, { token = sandbox.tokens.teacher })))
      assert.equal(401, (raw("GET", m.progress_url, { token = sandbox.tokens.student })))
      assert.equal(401, (raw("GET", m.progress_url, { token = sandbox.tokens.noperm })))
    end)

    describe("POST progress/:id/cancel", function()
      it("lets the user who started the job cancel it: failed, with their message", function()
        local p = batch_update()
        local status, doc = api("POST", "progress/" .. p.id .. "/cancel", { form = { message = "not now" } })
        assert.equal(200, status)
        assert.equal("failed", doc.workflow_state)
        assert.equal("not now", doc.message)
        assert.equal(p.id, doc.id)
        assert.equal(p.url, doc.url)
        -- the job behind it leaves a cancelled Progress alone
        local _, later = api("GET", "progress/" .. p.id)
        assert.equal("failed", later.workflow_state)
        assert.equal("not now", later.message)
        assert.is_nil(later.results)
        -- the work itself was done: the course was offered
        assert.equal("available", select(2, api("GET", "courses/7")).workflow_state)
      end)

      it("cancels from any state, a finished job too, and without a message clears it", function()
        local _, done = api("GET", "progress/1")
        assert.equal("completed", done.workflow_state)
        local status, doc = api("POST", "progress/1/cancel")
        assert.equal(200, status)
        assert.equal("failed", doc.workflow_state)
        assert.equal(json.null, doc.message)
      end)

      it("refuses anyone else, an admin included, and a Progress nobody started", function()
        local p = batch_update()   -- the admin's
        local status, body = api("POST", "progress/" .. p.id .. "/cancel", { token = sandbox.tokens.teacher })
        assert.equal(401, status)
        assert.same(A.UNAUTHORIZED, body)
        sandbox.config({ unauthorized_status = 403 })
        assert.equal(403, (api("POST", "progress/" .. p.id .. "/cancel", { token = sandbox.tokens.teacher })))
        -- a teacher's own copy: the admin may read it but not cancel it
        local _, m = course_copy(sandbox.tokens.teacher)
        local pid = m.progress_url:match("(%d+)$")
        assert.equal(200, (api("GET", "progress/" .. pid)))
        assert.equal(403, (api("POST", "progress/" .. pid .. "/cancel")))
        assert.equal(200, (api("POST", "progress/" .. pid .. "/cancel", { token = sandbox.tokens.teacher })))
        -- masquerading as the starter is being the starter
        local p2 = batch_update()
        assert.equal(403, (api("POST", "progress/" .. p2.id .. "/cancel?as_user_id=2")))
        assert.equal(404, (api("POST", "progress/999999/cancel")))
      end)

      it("does not stop the work: a cancelled course copy still copies", function()
        local _, m = course_copy()
        local pid = m.progress_url:match("(%d+)$")
        assert.equal("failed", select(2, api("POST", "progress/" .. pid .. "/cancel")).workflow_state)
        local done = J.until_done("courses/2/content_migrations/" .. m.id,
          function(d) return d.workflow_state == "completed" end)
        assert.equal("completed", done.workflow_state)
        assert.equal("failed", select(2, api("GET", "progress/" .. pid)).workflow_state)
        assert.equal(24, #A.all("users/2/courses/2/assignments?per_page=100", { token = sandbox.tokens.teacher }))
      end)
    end)
  end)

  describe("course copy (content migrations of a course)", function()
    it("copies the source course's assignments once the migration completes", function()
      local teacher = { token = sandbox.tokens.teacher }
      local before = A.all("users/2/courses/2/assignments?per_page=100", teacher)
      local source = A.all("users/2/courses/1/assignments?per_page=100", teacher)
      assert.equal(12, #before)
      local status, m = api("POST", "courses/2/content_migrations", { form = {
        migration_type = "course_copy_importer", ["settings[source_course_id]"] = "sis_course_id:BIO/101.1" } })
      assert.equal(200, status)
      local host = sandbox.url
      assert.same({ id = m.id, user_id = 1, workflow_state = "running", started_at = m.started_at,
        finished_at = json.null, migration_type = "course_copy_importer", created_at = m.created_at,
        migration_issues_url = host .. "/api/v1/courses/2/content_migrations/" .. m.id .. "/migration_issues",
        migration_issues_count = 0, migration_type_title = "Course Copy",
        settings = { source_course_id = 1, source_course_name = "Biology 101",
          source_course_html_url = host .. "/courses/1" },
        progress_url = m.progress_url }, m)
      assert.matches("^" .. host:gsub("%p", "%%%0") .. "/api/v1/progress/%d+$", m.progress_url)
      -- nothing copied while it runs; the states as content_migration_json names them
      assert.equal("running", select(2, api("GET", "courses/2/content_migrations"))[1].workflow_state)
      assert.equal("pre_processing", select(2, api("GET", "courses/2/content_migrations/" .. m.id)).workflow_state)
      local _, p = raw("GET", m.progress_url)   -- reading its Progress moves it on too
      assert.equal("running", p.workflow_state)
      assert.equal(20.0, p.completion)
      assert.equal(12, #A.all("users/2/courses/2/assignments?per_page=100", teacher))
      local done = J.until_done("courses/2/content_migrations/" .. m.id,
        function(d) return d.workflow_state == "completed" end)
      assert.is_string(done.finished_at)
      local _, fin = raw("GET", m.progress_url)
      assert.equal("completed", fin.workflow_state)
      assert.equal(100.0, fin.completion)
      local after = A.all("users/2/courses/2/assignments?per_page=100", teacher)
      assert.equal(24, #after)
      for i = 1, 12 do
        local copy = after[12 + i]
        assert.equal(source[i].name, copy.name)
        assert.equal(source[i].due_at, copy.due_at)
        assert.equal(source[i].points_possible, copy.points_possible)
        assert.equal(2, copy.course_id)
        assert.equal(2000 + 12 + i, copy.id)
      end
      -- the list, newest first; show
      local _, m2 = api("POST", "courses/2/content_migrations", { form = {
        migration_type = "course_copy_importer", ["settings[source_course_id]"] = "3" } })
      assert.same({ m2.id, m.id }, A.ids(A.all("courses/2/content_migrations")))
      assert.equal("completed", select(2, api("GET", "courses/2/content_migrations/" .. m.id)).workflow_state)
      assert.equal(404, (api("GET", "courses/3/content_migrations/" .. m.id)))
      local _, migrators = api("GET", "courses/2/content_migrations/migrators")
      assert.same({ { type = "course_copy_importer", requires_file_upload = false, name = "Copy a Canvas Course",
        required_settings = { "source_course_id" } } }, migrators)
    end)

    it("answers create's errors as the controller and the copy validator do", function()
      local function create(form, token)
        return api("POST", "courses/2/content_migrations", { form = form, token = token })
      end
      local status, body = create({ migration_type = "nonsense" })
      assert.equal(400, status)
      assert.same({ message = "Invalid migration_type" }, body)
      status, body = create({ migration_type = "zip_file_importer" })
      assert.equal(400, status)
      assert.same({ message = "Unsupported migration_type for context" }, body)
      status, body = create({ migration_type = "course_copy_importer" })
      assert.equal(400, status)
      assert.same({ message = "A course copy requires a source course." }, body)
      -- an unknown source is api_find's 404
      status, body = create({ migration_type = "course_copy_importer", ["settings[source_course_id]"] = "999999" })
      assert.equal(404, status)
      assert.same(A.NOT_FOUND, body)
      -- Terry teaches course 2 but not course 5: may not copy it
      status, body = create({ migration_type = "course_copy_importer", ["settings[source_course_id]"] = "5" },
        sandbox.tokens.teacher)
      assert.equal(400, status)
      assert.same({ message = "You are not allowed to copy the source course." }, body)
      -- manage_content on the course: not a student, not an outsider
      assert.equal(401, (create({ migration_type = "course_copy_importer", ["settings[source_course_id]"] = "1" },
        sandbox.tokens.student)))
      assert.equal(401, (api("GET", "courses/2/content_migrations", { token = sandbox.tokens.noperm })))
      assert.equal(0, #A.all("courses/2/content_migrations"))
    end)
  end)
end)
