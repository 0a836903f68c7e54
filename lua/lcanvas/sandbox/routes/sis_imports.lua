--- SIS Imports API (canvas-lms app/controllers/sis_imports_api_controller.rb:
-- create, index, importing, show, abort, abort_all_pending, restore_states;
-- sis_import_errors_api_controller.rb: index for an import and an account;
-- app/models/sis_batch.rb: the states, as_json and the end of an import;
-- lib/api/v1/sis_import.rb and sis_import_error.rb: the JSON).
--
-- An import is a job (jobs.lua): created -> importing -> [cleanup_batch] ->
-- imported | imported_with_messages | failed | failed_with_messages |
-- aborted, then (when it has errors) a step that writes errors_attachment,
-- as Canvas's separate delayed job does. Its rows are applied to the store
-- when it leaves importing (sis_csv.lua). One import of an account runs at a
-- time, oldest first. restore_states answers a Progress whose job restores
-- the states (restoring -> restored | partially_restored).
-- State: store:area("sis_imports") = { batches = {[id] = batch}, order = {ids} }.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local params = require "lcanvas.sandbox.params"
local paging = require "lcanvas.sandbox.paging"
local policy = require "lcanvas.sandbox.policy"
local multipart = require "lcanvas.sandbox.multipart"
local S = require "lcanvas.sandbox.serializers"
local Jobs = require "lcanvas.sandbox.jobs"
local SisCsv = require "lcanvas.sandbox.sis_csv"

local null = json.null
local function v(x) if x == nil then return null end return x end

local STATES = { "initializing", "created", "importing", "cleanup_batch", "imported", "imported_with_messages",
  "aborted", "failed", "failed_with_messages", "restoring", "partially_restored", "restored" }
local NOT_COMPLETED = { initializing = true, created = true, importing = true, cleanup_batch = true }
local ENROLLMENT_DROP = { deleted = true, completed = true, inactive = true }   -- VALID_ENROLLMENT_DROP_STATUS
local USER_REMOVE = { deleted = true, suspended = true }                          -- VALID_USER_REMOVE_STATUS
-- When a forced outcome fails an import the way an exception would.
local FORCED_FAILURE = "sandbox: config.jobs.outcome.sis_import forced this import to fail"

return function(app)
  local store = app.store
  local jobs = Jobs.of(app)

  local function state()
    return store:area("sis_imports", function() return { batches = {}, order = {} } end)
  end

  -- check_account (both controllers), before anything else.
  local function check_account(ctx)
    local a = ctx.account
    if a.parent_account_id then
      app.halt(400, { errors = { "SIS imports can only be executed on root accounts" } })
    end
    if a.allow_sis_import == false then
      app.halt(403, { errors = { "SIS imports are not enabled for this account" } })
    end
  end

  local function require_any(self, ctx, rights)
    for _, r in ipairs(rights) do
      if policy.can(self, ctx, r, { account = ctx.account }) then return end
    end
    self:unauthorized()
  end

  local function batch_of(ctx, raw)
    local b = state().batches[util.to_int(raw) or -1]
    if not b or b.account_id ~= ctx.account.id then app.not_found() end
    return b
  end

  -- SisBatch's policy: manage_sis or import_sis on its account reads its Progress.
  jobs.contexts.SisBatch = function(ctx, id)
    local b = state().batches[id]
    local a = b and store.accounts[b.account_id]
    return a ~= nil and (policy.can(app, ctx, "import_sis", { account = a })
      or policy.can(app, ctx, "manage_sis", { account = a }))
  end

  -- JSON ---------------------------------------------------------------------

  local function file_json(id)
    local f = require("lcanvas.sandbox.user_data").of(app).state().files[id]
    return f and jobs.present_file(f)
  end

  -- SisBatch#as_json, then sis_import_json's additions.
  local function present(b, ctx)
    local o = b.options
    local out = {
      id = b.id, created_at = b.created_at, started_at = v(b.started_at), ended_at = v(b.ended_at),
      updated_at = b.updated_at, progress = b.progress, workflow_state = b.workflow_state, data = b.data,
      batch_mode = v(b.batch_mode), batch_mode_term_id = v(b.batch_mode_term_id),
      multi_term_batch_mode = v(o.multi_term_batch_mode), override_sis_stickiness = v(o.override_sis_stickiness),
      add_sis_stickiness = v(o.add_sis_stickiness),
      update_sis_id_if_login_claimed = v(o.update_sis_id_if_login_claimed),
      clear_sis_stickiness = v(o.clear_sis_stickiness), diffing_data_set_identifier = v(b.diffing_data_set_identifier),
      diffing_remaster = v(b.diffing_remaster), diffed_against_import_id = v(o.diffed_against_sis_batch_id),
      diffing_drop_status = v(o.diffing_drop_status), diffing_user_remove_status = v(o.diffing_user_remove_status),
      skip_deletes = v(o.skip_deletes), change_threshold = v(b.change_threshold),
      diff_row_count_threshold = v(o.diff_row_count_threshold),
    }
    if b.processing_errors and #b.processing_errors > 0 then out.processing_errors = b.processing_errors end
    if b.processing_warnings and #b.processing_warnings > 0 then out.processing_warnings = b.processing_warnings end
    if b.diffing_data_set_identifier then out.diffing_threshold_exceeded = v(b.diffing_threshold_exceeded) end
    if b.errors_attachment_id then out.errors_attachment = file_json(b.errors_attachment_id) end
    local u = store.users[b.user_id]
    if u then out.user = S.user(app, ctx, u, {}, { account = store.accounts[b.account_id] }) end
    if #b.csv_attachment_ids > 0 then
      local list = json.array({})
      for _, id in ipairs(b.csv_attachment_ids) do list[#list + 1] = file_json(id) end
      out.csv_attachments = list
    end
    return out
  end

  -- The end of an import -----------------------------------------------------

  -- populate_old_warnings_and_errors: 24 of each, then a line for the rest.
  local function populate(b)
    local failed, warnings = {}, {}
    for _, e in ipairs(b.errors) do
      local list = e.failure and failed or warnings
      list[#list + 1] = e
    end
    local function first24(list, what)
      local out = json.array({})
      for i = 1, math.min(24, #list) do out[i] = json.array({ v(list[i].file), list[i].message }) end
      if #list > 24 then
        out[#out + 1] = json.array({ string.format("and %d more %s that were not included", #list - 24, what),
          "Download the error file to see all " .. what .. "." })
      end
      return out
    end
    if #b.errors > 0 then
      b.processing_errors, b.processing_warnings = first24(failed, "errors"), first24(warnings, "warnings")
    end
    b.data.counts = b.data.counts or {}
    b.data.counts.error_count, b.data.counts.warning_count = #failed, #warnings
  end

  -- write_errors_to_file: every error as a CSV, attached to the import.
  local function write_errors_file(b)
    local rows = { { "sis_import_id", "file", "message", "row" } }
    for _, e in ipairs(b.errors) do rows[#rows + 1] = { b.id, e.file, e.message, e.row, n = 4 } end
    local f = jobs.attach({ account_id = b.account_id, context_type = "SisBatch", context_id = b.id,
      user_id = b.user_id, name = string.format("sis_errors_attachment_%d.csv", b.id), content_type = "text/csv",
      content = require("lcanvas.sandbox.csv").format(rows) })
    b.errors_attachment_id = f.id
    b.updated_at = util.iso()
  end

  -- The batch's terms for its cleanup (batch_mode_terms): its term, or the
  -- terms it imported itself (multi_term_batch_mode).
  local function batch_terms(b)
    local set, any = {}, false
    if b.options.multi_term_batch_mode ~= nil then
      for _, t in pairs(store.terms) do
        if t.sis_import_id == b.id then set[t.id], any = true, true end
      end
    elseif b.batch_mode_term_id then
      set[b.batch_mode_term_id], any = true, true
    end
    return set, any
  end

  -- remove_previous_imports: what earlier SIS imports made in the batch's
  -- terms and this one left out is deleted (enrollments: dropped to
  -- batch_mode_enrollment_drop_status), unless that passes change_threshold
  -- percent of a kind, which aborts the import instead.
  local function cleanup(b, importer)
    local supplied = {}
    for _, k in ipairs(b.data.supplied_batches) do supplied[k] = true end
    if not (supplied.course or supplied.section or supplied.enrollment) then return end
    local terms, any = batch_terms(b)
    if not any then
      if b.options.multi_term_batch_mode ~= nil then
        b.workflow_state = "aborted"
        importer.add_error(nil, "Terms not found. Terms must be included with multi_term_batch_mode")
      end
      return
    end
    local function in_terms(course_id)
      local c = store.courses[course_id]
      return c and terms[c.enrollment_term_id]
    end
    local lists = { courses = {}, sections = {}, enrollments = {} }
    local totals = { courses = 0, sections = 0, enrollments = 0 }
    if supplied.course then
      for _, c in pairs(store.courses) do
        if c.workflow_state ~= "deleted" and c.sis_import_id and c.sis_course_id and terms[c.enrollment_term_id] then
          totals.courses = totals.courses + 1
          if c.sis_import_id ~= b.id then table.insert(lists.courses, c) end
        end
      end
    end
    if supplied.section then
      for _, s in pairs(store.sections) do
        if s.workflow_state ~= "deleted" and s.sis_import_id and s.sis_section_id and in_terms(s.course_id) then
          totals.sections = totals.sections + 1
          if s.sis_import_id ~= b.id then table.insert(lists.sections, s) end
        end
      end
    end
    local drop = b.options.batch_mode_enrollment_drop_status or "deleted"
    if supplied.enrollment then
      for _, e in ipairs(store.enrollments) do
        if e.enrollment_state ~= "deleted" and e.enrollment_state ~= b.options.batch_mode_enrollment_drop_status
            and e.sis_import_id and in_terms(e.course_id) then
          totals.enrollments = totals.enrollments + 1
          if e.sis_import_id ~= b.id then table.insert(lists.enrollments, e) end
        end
      end
    end
    for _, kind in ipairs({ "courses", "sections", "enrollments" }) do
      local n, all = #lists[kind], totals[kind]
      if b.change_threshold and all > 0 and n / all * 100 > b.change_threshold then
        b.workflow_state = "aborted"
        importer.add_error(nil, string.format("%d %s would be deleted and exceeds the set threshold of %d%%", n,
          kind, b.change_threshold))
        return
      end
    end
    local now = util.iso()
    table.sort(lists.enrollments, function(x, y) return x.id < y.id end)
    for _, e in ipairs(lists.enrollments) do
      importer.note("Enrollment", e, "enrollment_state", e.enrollment_state, drop, true)
      e.enrollment_state, e.updated_at = drop, now
    end
    for _, s in ipairs(lists.sections) do
      importer.note("CourseSection", s, "workflow_state", s.workflow_state, "deleted", true)
      s.workflow_state = "deleted"
      importer.delete_section_enrollments(s, true)
    end
    for _, c in ipairs(lists.courses) do
      importer.note("Course", c, "workflow_state", c.workflow_state, "deleted", true)
      c.workflow_state, c.updated_at = "deleted", now
      importer.course_state_changed(c, true)
    end
    if supplied.enrollment then b.data.counts.batch_enrollments_deleted = #lists.enrollments end
    if supplied.section then b.data.counts.batch_sections_deleted = #lists.sections end
    if supplied.course then b.data.counts.batch_courses_deleted = #lists.courses end
  end

  -- do_batch_end_work: the state an import ends in, its messages and statistics.
  local function finish(job, b, importer, import_finished)
    if b.workflow_state == "aborted" then return end
    if b.batch_mode and import_finished then cleanup(b, importer) end
    local has_errors, failure = #b.errors > 0, false
    for _, e in ipairs(b.errors) do failure = failure or e.failure end
    if import_finished then import_finished = not (has_errors and failure) end
    local forced = job.forced
    if forced == "imported" or forced == "imported_with_messages" then import_finished = true end
    if b.workflow_state ~= "aborted" then
      if import_finished then
        b.workflow_state = has_errors and "imported_with_messages" or "imported"
      else
        b.workflow_state = has_errors and "failed_with_messages" or "failed"
      end
      if forced and forced ~= "aborted" and forced ~= "failed" then b.workflow_state = forced end
    end
    if has_errors then job.steps[#job.steps + 1] = function() write_errors_file(b) end end
    populate(b)
    b.data.statistics = SisCsv.statistics(b)
    if import_finished then b.progress = 100 end
    b.ended_at = util.iso()
    b.updated_at = b.ended_at
  end

  -- The job of one import.
  local function start_job(b, files, root)
    local importer
    local job = { kind = "sis_import", id = b.id, state = function() return b.workflow_state end }
    -- Imports of an account run one at a time, oldest first.
    job.blocked = function()
      if b.workflow_state ~= "created" then return false end
      for _, id in ipairs(state().order) do
        local o = state().batches[id]
        if id < b.id and o.account_id == b.account_id and (o.workflow_state == "importing"
            or o.workflow_state == "cleanup_batch" or (o.workflow_state == "created" and not o.job.stuck)) then
          return true
        end
      end
      return false
    end
    local function run()
      local attach = function(name, data)
        local f = jobs.attach({ account_id = b.account_id, context_type = "SisBatch", context_id = b.id,
          user_id = b.user_id, name = name, content_type = "text/csv", content = data })
        b.csv_attachment_ids[#b.csv_attachment_ids + 1] = f.id
        b.data.downloadable_attachment_ids[#b.data.downloadable_attachment_ids + 1] = f.id
        return f
      end
      importer = SisCsv.new(app, b, root, attach)
      b.data.counts, b.data.completed_importers = {}, json.array({})
      b.data.downloadable_attachment_ids = json.array({})
      importer.prepare(files)
      b.data.supplied_batches = json.array(SisCsv.supplied(importer))
      for _, k in ipairs(SisCsv.IMPORTERS) do b.data.counts[SisCsv.COUNT_KEY[k]] = 0 end
      b.data.running_immediately = importer.total_rows <= 50
      importer.run()
    end
    job.steps = {
      -- process_without_send_later: the job takes the import up.
      function()
        if b.workflow_state ~= "created" then jobs.close(job) return end
        b.workflow_state, b.progress, b.started_at = "importing", 0, util.iso()
        b.updated_at = b.started_at
      end,
      function()
        if b.workflow_state ~= "importing" then jobs.close(job) return end
        b.updated_at = util.iso()
        if job.forced == "aborted" then
          b.workflow_state = "aborted"
          return
        elseif job.forced == "failed" then
          -- as an exception in the import would: only the message and the trace
          b.data.error_message, b.data.stack_trace = FORCED_FAILURE, FORCED_FAILURE .. "\n(sandbox)"
          b.workflow_state = "failed"
          return
        elseif job.forced == "failed_with_messages" then
          -- fail_with_error!: a failure row, and the import ends unfinished
          b.errors[#b.errors + 1] = { file = nil, message = "Error while importing CSV. Please contact support. "
            .. "(Error report )", failure = true, created_at = b.updated_at }
          importer = SisCsv.new(app, b, root, nil)
          finish(job, b, importer, false)
          return
        end
        local ok, err = pcall(run)
        if not ok then
          if type(err) == "table" then error(err, 0) end   -- a halt
          b.data.error_message = tostring(err)
          b.data.stack_trace = tostring(err) .. "\n(sandbox: sis_csv.lua)"
          b.workflow_state = "failed"
          return
        end
        if b.batch_mode and not b.data.running_immediately then
          -- the cleanup runs in its own delayed job: cleanup_batch, progress from 0
          job.steps[#job.steps + 1] = function()
            if b.workflow_state ~= "importing" then return end
            b.workflow_state, b.progress, b.updated_at = "cleanup_batch", 0, util.iso()
          end
          job.steps[#job.steps + 1] = function()
            if b.workflow_state ~= "cleanup_batch" then return end
            finish(job, b, importer, true)
          end
        else
          finish(job, b, importer, true)
        end
      end,
    }
    b.job = jobs.start(job)
  end

  -- create -------------------------------------------------------------------

  -- Rails's multipart params: the form fields join the query's, the file parts
  -- are kept apart.
  local function multipart_params(ctx)
    local parts = multipart.parse(ctx.req)
    if not parts then return {} end
    local files = {}
    local pairs_ = {}
    for _, part in ipairs(parts) do
      if part.filename then files[part.name or ""] = part
      elseif part.name then
        pairs_[#pairs_ + 1] = util.hex(part.name) .. "=" .. util.hex(part.data)
      end
    end
    local q = table.concat(pairs_, "&"):gsub("(%x%x)", "%%%1")
    for k, x in pairs(params.parse_query(q)) do ctx.params[k] = x end
    return files
  end

  local function bool(x) return util.truthy(x) end

  app:route("POST", "/accounts/:account/sis_imports", function(self, ctx)
    check_account(ctx)
    require_any(self, ctx, { "import_sis" })
    local req = ctx.req
    local ctype = req.headers["content-type"] or ""
    local media = ctype:match("^%s*([^;%s]+)") or ""
    local files = media:lower() == "multipart/form-data" and multipart_params(ctx) or {}
    local p = ctx.params
    local import_type = p.import_type or "instructure_csv"
    if import_type ~= "instructure_csv" then
      -- `raise "invalid import type parameter"`: an unhandled exception
      app.halt(500, { errors = { { message = "An error occurred." } }, error_report_id = 1 })
    end
    local file
    if files.attachment then
      file = { name = files.attachment.filename ~= "" and files.attachment.filename or "attachment",
        data = files.attachment.data }
    elseif p.attachment ~= nil then
      file = { name = "attachment", data = tostring(p.attachment) }
    elseif ctype == "multipart/form-data" then
      -- request.content_type is the whole header: only a bare
      -- multipart/form-data (no boundary) gets here
      app.halt(400, { error = true, error_message = "Missing attachment" })
    else
      local ext = p.extension
      if ext == nil then
        local charset = ctype:match(";%s*charset=\"?([^;\"%s]+)")
        if charset and charset:lower() ~= "utf-8" then
          app.halt(400, { error = "Invalid content type, UTF-8 required" })
        end
        ext = ({ ["application/zip"] = "zip", ["text/xml"] = "xml", ["text/plain"] = "csv",
          ["text/csv"] = "csv" })[media:lower()] or "zip"
      end
      file = { name = "sis_import." .. tostring(ext), data = req.body }
    end
    local term
    if bool(p.batch_mode) then
      if p.batch_mode_term_id ~= nil and tostring(p.batch_mode_term_id):match("%S") then
        -- api_find over the account's active terms: an unknown one is a 404
        term = store:find_term(ctx.account.id, tostring(p.batch_mode_term_id), app.config.today)
        if not term or term.workflow_state ~= "active" then app.not_found() end
      end
      if not term and p.multi_term_batch_mode == nil then
        app.halt(400, { message = "Batch mode specified, but the given batch_mode_term_id cannot be found." })
      end
    end
    -- create_with_attachment saves the batch (initializing) before the block
    -- checks the rest: a 400 from there leaves it so, never processed.
    local now = util.iso()
    local st = state()
    local b = { id = store:new_id(), account_id = ctx.account.id, user_id = ctx.user_id, progress = 0,
      workflow_state = "initializing", created_at = now, updated_at = now,
      data = { import_type = import_type },
      options = {}, errors = {}, rollback = {}, csv_attachment_ids = {} }
    st.batches[b.id] = b
    st.order[#st.order + 1] = b.id
    local function refuse(message) app.halt(400, { message = message }) end
    local threshold = p.change_threshold
    if threshold ~= nil and tostring(threshold) ~= "" then
      b.change_threshold = math.tointeger(tonumber(tostring(threshold):match("^%s*(-?%d+)") or "0"))
    end
    local rows = util.to_int(p.diff_row_count_threshold)
    if rows and rows > 0 then b.options.diff_row_count_threshold = rows end
    if term then
      b.batch_mode, b.batch_mode_term_id = true, term.id
    elseif p.multi_term_batch_mode ~= nil then
      -- a presence test: even "false" takes this branch
      b.batch_mode = true
      b.options.multi_term_batch_mode = bool(p.multi_term_batch_mode)
      if not b.change_threshold then refuse("change_threshold is required to use multi term_batch mode.") end
    elseif p.diffing_data_set_identifier ~= nil and tostring(p.diffing_data_set_identifier):match("%S") then
      b.diffing_data_set_identifier = tostring(p.diffing_data_set_identifier)
      b.diffing_remaster = bool(p.diffing_remaster_data_set)
    end
    b.options.skip_deletes = bool(p.skip_deletes)
    b.options.update_sis_id_if_login_claimed = bool(p.update_sis_id_if_login_claimed)
    if bool(p.override_sis_stickiness) then
      b.options.override_sis_stickiness = true
      if bool(p.add_sis_stickiness) then b.options.add_sis_stickiness = true end
      if bool(p.clear_sis_stickiness) then b.options.clear_sis_stickiness = true end
    end
    local function pick(value, valid, name)
      if value == nil or not tostring(value):match("%S") then return nil end
      for _, x in ipairs(util.array_of(value)) do
        if valid[x] then return x end
      end
      refuse("Invalid " .. name)
    end
    b.options.diffing_drop_status = pick(p.diffing_drop_status, ENROLLMENT_DROP, "diffing_drop_status")
    b.options.diffing_user_remove_status = pick(p.diffing_user_remove_status, USER_REMOVE, "diffing_user_remove_status")
    b.options.batch_mode_enrollment_drop_status = pick(p.batch_mode_enrollment_drop_status, ENROLLMENT_DROP,
      "batch_mode_enrollment_drop_status")
    b.workflow_state = "created"
    start_job(b, { file }, ctx.account)
    return present(b, ctx)
  end)

  -- Reads ----------------------------------------------------------------------

  local function read_sis(self, ctx)
    check_account(ctx)
    require_any(self, ctx, { "import_sis", "manage_sis" })
  end

  local function newest_first(filter)
    local out = {}
    local order = state().order
    for i = #order, 1, -1 do
      local b = state().batches[order[i]]
      if not filter or filter(b) then out[#out + 1] = b end
    end
    return out
  end

  -- CanvasTime.try_parse: a time it cannot read is no filter.
  local function time_param(x)
    if type(x) ~= "string" then return nil end
    local iso, ok = SisCsv.parse_date(x)
    return ok and iso or nil
  end

  app:route("GET", "/accounts/:account/sis_imports/importing", function(self, ctx)
    read_sis(self, ctx)
    jobs.sync()
    local list = json.array({})
    for _, b in ipairs(newest_first(function(b)
      return b.account_id == ctx.account.id and (b.workflow_state == "importing" or b.workflow_state == "cleanup_batch")
    end)) do
      list[#list + 1] = present(b, ctx)
    end
    return { sis_imports = list }
  end)

  app:route("GET", "/accounts/:account/sis_imports", function(self, ctx)
    read_sis(self, ctx)
    jobs.sync()
    local p = ctx.params
    local since, before = time_param(p.created_since), time_param(p.created_before)
    local wanted = {}
    for _, s in ipairs(util.array_of(p.workflow_state)) do wanted[s] = true end
    local states = {}
    for _, s in ipairs(STATES) do if wanted[s] then states[s] = true end end
    local any = next(states) ~= nil
    local list = newest_first(function(b)
      return b.account_id == ctx.account.id and (not since or b.created_at > since)
        and (not before or b.created_at < before) and (not any or states[b.workflow_state])
    end)
    local page, headers = paging.paginate(ctx.req, list, { root = "sis_imports", no_last = true })
    for i, b in ipairs(page.sis_imports) do page.sis_imports[i] = present(b, ctx) end
    return page, 200, headers
  end)

  app:route("GET", "/accounts/:account/sis_imports/:id", function(self, ctx)
    read_sis(self, ctx)
    local b = batch_of(ctx, ctx.args.id)
    local job = (b.job and not jobs.finished(b.job) and b.job) or b.restore_job or b.job
    if job then jobs.read(job) else jobs.sync() end
    return present(b, ctx)
  end)

  -- Abort ------------------------------------------------------------------------

  app:route("PUT", "/accounts/:account/sis_imports/abort_all_pending", function(self, ctx)
    read_sis(self, ctx)
    jobs.sync()
    for _, b in pairs(state().batches) do
      if b.account_id == ctx.account.id and (b.workflow_state == "initializing" or b.workflow_state == "created") then
        b.workflow_state, b.progress = "aborted", 100
        if b.job then jobs.close(b.job) end
      end
    end
    return { aborted = true }
  end)

  -- abort: only an import not completed (else 404); the import stops where
  -- it is, its progress and ended_at as they were.
  app:route("PUT", "/accounts/:account/sis_imports/:id/abort", function(self, ctx)
    read_sis(self, ctx)
    jobs.sync()
    local b = batch_of(ctx, ctx.args.id)
    if not NOT_COMPLETED[b.workflow_state] then app.not_found() end
    b.workflow_state, b.updated_at = "aborted", util.iso()
    if b.job then jobs.close(b.job) end
    return present(b, ctx)
  end)

  -- restore_states: manage_sis only; answers the restore's Progress (no
  -- user: nobody may cancel it).
  app:route("PUT", "/accounts/:account/sis_imports/:id/restore_states", function(self, ctx)
    check_account(ctx)
    require_any(self, ctx, { "manage_sis" })
    local b = batch_of(ctx, ctx.args.id)
    local p = ctx.params
    local opts = { batch_mode = bool(p.batch_mode), undelete_only = bool(p.undelete_only),
      unconclude_only = bool(p.unconclude_only) }
    if opts.undelete_only and opts.unconclude_only then
      app.halt(400, "cannot set both undelete_only and unconclude_only")
    end
    local progress = app.new_progress({ context_type = "SisBatch", context_id = b.id, tag = "sis_batch_state_restore",
      completion = 0.0, workflow_state = "queued" })
    b.restore_job = app.progress_job(progress, {
      function()
        if progress.workflow_state == "queued" then progress.workflow_state = "running" end
        progress.updated_at = util.iso()
        b.workflow_state, b.updated_at = "restoring", progress.updated_at
      end,
      function(job)
        progress.updated_at = util.iso()
        if job.forced == "failed" then
          -- Progress::Work#on_permanent_failure; the import stays restoring
          progress.workflow_state, progress.message = "failed", "Unexpected error, ID: unknown"
          return
        end
        SisCsv.restore(b, opts)
        if progress.workflow_state == "running" then
          progress.workflow_state, progress.completion = "completed", 100.0
        end
        b.workflow_state = (opts.undelete_only or opts.unconclude_only or opts.batch_mode) and "partially_restored"
          or "restored"
        b.updated_at = progress.updated_at
      end,
    })
    return app.present_progress(progress, ctx.req)
  end)

  -- Errors -----------------------------------------------------------------------

  local function error_list(self, ctx, only)
    check_account(ctx)
    require_any(self, ctx, { "import_sis", "manage_sis" })
    local b = only and batch_of(ctx, only)
    jobs.sync()
    local failure = bool(ctx.params.failure)
    local out = {}
    for _, bb in ipairs(newest_first(function(x) return x.account_id == ctx.account.id and (not b or x == b) end)) do
      for i = #bb.errors, 1, -1 do
        local e = bb.errors[i]
        if not failure or e.failure then
          out[#out + 1] = { sis_import_id = bb.id, file = v(e.file), message = e.message, row = v(e.row) }
        end
      end
    end
    local page, headers = paging.paginate(ctx.req, out, { root = "sis_import_errors" })
    return page, 200, headers
  end

  app:route("GET", "/accounts/:account/sis_imports/:id/errors", function(self, ctx)
    return error_list(self, ctx, ctx.args.id)
  end)
  app:route("GET", "/accounts/:account/sis_import_errors", function(self, ctx)
    return error_list(self, ctx, nil)
  end)
end
