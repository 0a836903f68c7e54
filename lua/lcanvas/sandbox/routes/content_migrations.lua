--- Content Migrations API (canvas-lms
-- app/controllers/content_migrations_controller.rb): migrators, list, show
-- and create, for a user (zip_file_importer, with a pre_attachment upload
-- URL; state: user_data.lua) and for a course (course_copy_importer: a
-- course copy, with lib/api/v1/content_migration.rb's JSON and
-- app/models/content_migration.rb's states; the copy is a job of jobs.lua
-- that copies the source course's assignments when it completes).
-- Course state: store:area("course_migrations") = { migrations = {[id] = m}, order = {ids} }.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local policy = require "lcanvas.sandbox.policy"
local coursework = require "lcanvas.sandbox.coursework"
local UserData = require "lcanvas.sandbox.user_data"
local Jobs = require "lcanvas.sandbox.jobs"

local MIGRATORS = {
  { type = "zip_file_importer", requires_file_upload = true, name = "Unzip .zip file into folder",
    required_settings = { "folder_id" } },
}

local function present(m)
  local out = util.copy(m)
  out.settings = util.copy(m.settings or {})
  return out
end

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("GET", "/users/:user/content_migrations/migrators", function(self, ctx)
    data.manage(self, ctx)
    return store.deep_copy(MIGRATORS)
  end, { list = true })

  app:route("GET", "/users/:user/content_migrations", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = {}
    for i = #d.migrations, 1, -1 do out[#out + 1] = present(d.migrations[i]) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/content_migrations/:migration", function(self, ctx)
    local d = data.manage(self, ctx)
    local id = util.to_int(ctx.args.migration)
    for _, m in ipairs(d.migrations) do if m.id == id then return present(m) end end
    app.not_found()
  end)

  app:route("POST", "/users/:user/content_migrations", function(self, ctx)
    local d = data.manage(self, ctx)
    local p = ctx.params
    local mig
    for _, m in ipairs(MIGRATORS) do if m.type == p.migration_type then mig = m end end
    if not mig then app.bad_request("Invalid migration_type", "migration_type", "invalid") end
    local settings = type(p.settings) == "table" and p.settings or {}
    local pre = type(p.pre_attachment) == "table" and p.pre_attachment or nil
    if mig.requires_file_upload and not settings.file_url and not (pre and pre.name) then
      app.bad_request("File upload or url is required", "pre_attachment", "required")
    end
    local created = UserData.CREATED
    local m = { id = store:new_id(), migration_type = mig.type, migration_type_title = mig.name,
      user_id = ctx.user_id, workflow_state = pre and "pre_processing" or "running", created_at = created,
      started_at = created, settings = { file_url = settings.file_url, folder_id = settings.folder_id } }
    m.progress_url = "/api/v1/progress/" .. m.id
    m.migration_issues_url = string.format("/api/v1/users/%d/content_migrations/%d/migration_issues",
      ctx.user.id, m.id)
    d.migrations[#d.migrations + 1] = m
    local out = present(m)
    if pre then
      out.pre_attachment = { upload_url = (app.urls and app.urls.storage or "") .. "/files_api/migration/" .. m.id,
        upload_params = {}, file_param = "file" }
    end
    return out
  end)

  -- Course copies ---------------------------------------------------------------

  local jobs = Jobs.of(app)
  local null = json.null
  local function v(x) if x == nil then return null end return x end

  -- The course_copy_importer plugin (lib/canvas/plugins/default_plugins.rb).
  local COURSE_MIGRATORS = {
    { type = "course_copy_importer", requires_file_upload = false, name = "Copy a Canvas Course",
      required_settings = json.array({ "source_course_id" }) },
  }
  -- content_migration_json shows raw states under these names.
  local SHOWN = { created = "pre_processing", pre_process_error = "failed", exporting = "running",
    importing = "running", exported = "running", imported = "completed" }

  local function cstate()
    return store:area("course_migrations", function() return { migrations = {}, order = {} } end)
  end

  -- require_auth: manage_content on the course, for every action.
  local function require_auth(self, ctx)
    if not policy.can(self, ctx, "manage_content", { course = ctx.course }) then self:unauthorized() end
  end

  -- ContentMigration's policy lets whoever holds file rights in its course
  -- read it (and its Progress): the course's teachers, TAs, designers and
  -- admins, who are those with manage_content here.
  jobs.contexts.ContentMigration = function(ctx, id)
    local m = cstate().migrations[id]
    local c = m and store.courses[m.course_id]
    return c ~= nil and policy.can(app, ctx, "manage_content", { course = c })
  end

  local function host(ctx) return "http://" .. (ctx.req.headers.host or "127.0.0.1") end

  local function present_course(m, ctx)
    local out = { id = m.id, user_id = m.user_id, workflow_state = SHOWN[m.workflow_state] or m.workflow_state,
      started_at = v(m.started_at), finished_at = v(m.finished_at), migration_type = m.migration_type,
      created_at = m.created_at, migration_issues_count = 0, migration_type_title = "Course Copy",
      migration_issues_url = string.format("%s/api/v1/courses/%d/content_migrations/%d/migration_issues", host(ctx),
        m.course_id, m.id) }
    local source = store.courses[m.source_course_id]
    if source then
      out.settings = { source_course_id = source.id, source_course_name = source.name,
        source_course_html_url = string.format("%s/courses/%d", host(ctx), source.id) }
    end
    if m.progress_id then out.progress_url = string.format("%s/api/v1/progress/%d", host(ctx), m.progress_id) end
    return out
  end

  -- The copy itself: the source's assignments join the course's, numbered on
  -- from its own (course_id * 1000 + n, as coursework.lua numbers them).
  local function copy_assignments(m)
    local target = coursework.course_assignments(store, m.course_id)
    local source = coursework.course_assignments(store, m.source_course_id)
    local copies = {}
    for _, a in ipairs(source) do
      local x = util.copy(a)
      local n = #target + #copies + 1
      x.id, x.course_id, x.position = m.course_id * 1000 + n, m.course_id, n
      x.html_url = string.format("https://sandbox.test/courses/%d/assignments/%d", m.course_id, x.id)
      copies[#copies + 1] = x
    end
    for _, x in ipairs(copies) do target[#target + 1] = x end
  end

  -- queue_migration, then CourseCopyWorker and import_content: exporting
  -- (Progress queued) -> pre_processing (Progress running) -> importing ->
  -- imported (Progress completed) | failed.
  local function start_copy(m, p)
    local function set(state)
      m.workflow_state = state
      m.updated_at = util.iso()
      if state == "pre_processing" or state == "exporting" or state == "importing" then
        m.started_at = m.started_at or m.updated_at
      end
      if state == "failed" or state == "imported" then m.finished_at = m.finished_at or m.updated_at end
    end
    local function progress(state, completion)
      -- a Progress someone cancelled (failed) stays so
      if p.workflow_state == "failed" then return end
      p.workflow_state, p.completion, p.updated_at = state, completion, util.iso()
    end
    set("exporting")
    m.job = jobs.start({ kind = "content_migration", id = m.id,
      state = function() return SHOWN[m.workflow_state] or m.workflow_state end,
      steps = {
        function() set("pre_processing"); progress("running", 0.0) end,
        function() set("importing"); progress("running", 20.0) end,
        function(job)
          if job.forced == "failed" then
            -- fail_with_error!: the migration and its Progress fail
            set("failed")
            m.last_error = "sandbox: config.jobs.outcome.content_migration forced this copy to fail"
            progress("failed", p.completion)
            return
          end
          copy_assignments(m)
          set("imported")
          progress("completed", 100.0)
        end,
      } })
    p.job = m.job
  end

  app:route("GET", "/courses/:course/content_migrations/migrators", function(self, ctx)
    require_auth(self, ctx)
    return store.deep_copy(COURSE_MIGRATORS)
  end, { list = true })

  app:route("GET", "/courses/:course/content_migrations", function(self, ctx)
    require_auth(self, ctx)
    jobs.sync()
    local out = {}
    local order = cstate().order
    for i = #order, 1, -1 do
      local m = cstate().migrations[order[i]]
      if m.course_id == ctx.course.id then out[#out + 1] = m end
    end
    local page, headers = paging.paginate(ctx.req, out, {})
    for i, m in ipairs(page) do page[i] = present_course(m, ctx) end
    return page, 200, headers
  end)

  app:route("GET", "/courses/:course/content_migrations/:migration", function(self, ctx)
    require_auth(self, ctx)
    local m = cstate().migrations[util.to_int(ctx.args.migration) or -1]
    if not m or m.course_id ~= ctx.course.id then app.not_found() end
    jobs.read(m.job)
    return present_course(m, ctx)
  end)

  -- create: the plugin (400 for an unknown type or one courses do not
  -- take), the source course (lookup_sis_source_course: an unknown one is a
  -- 404), the plugin's validator (400 with its message), then the copy starts.
  app:route("POST", "/courses/:course/content_migrations", function(self, ctx)
    require_auth(self, ctx)
    local p = ctx.params
    local known = p.migration_type == "course_copy_importer"
    for _, mig in ipairs(MIGRATORS) do known = known or mig.type == p.migration_type end
    if not known then app.halt(400, { message = "Invalid migration_type" }) end
    if p.migration_type ~= "course_copy_importer" then
      app.halt(400, { message = "Unsupported migration_type for context" })
    end
    local settings = type(p.settings) == "table" and p.settings or nil
    local source
    if settings and settings.source_course_id ~= nil then
      source = store:lookup("courses", tostring(settings.source_course_id)) or app.not_found()
    end
    if not source then app.halt(400, { message = "A course copy requires a source course." }) end
    if not (policy.can(self, ctx, "read_as_admin", { course = source })
        and policy.can(self, ctx, "read", { course = source })) then
      app.halt(400, { message = "You are not allowed to copy the source course." })
    end
    local now = util.iso()
    local m = { id = store:new_id(), course_id = ctx.course.id, user_id = ctx.user_id,
      migration_type = "course_copy_importer", source_course_id = source.id, workflow_state = "created",
      created_at = now, updated_at = now }
    local progress = app.new_progress({ context_type = "ContentMigration", context_id = m.id, user_id = ctx.user_id,
      tag = "content_migration", workflow_state = "queued", completion = 0.0 })
    m.progress_id = progress.id
    cstate().migrations[m.id] = m
    table.insert(cstate().order, m.id)
    start_copy(m, progress)
    return present_course(m, ctx)
  end)
end
