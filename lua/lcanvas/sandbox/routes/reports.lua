--- Account Reports API (canvas-lms app/controllers/account_reports_controller.rb:
-- available_reports, create, index, show, destroy; lib/api/v1/account_report.rb:
-- the Report JSON; app/models/account_report.rb and the account_reports
-- plugin's account_reports.rb: how a report runs and ends).
--
-- A report is a job (jobs.lua): created -> running -> complete | error |
-- aborted (DELETE makes it deleted). Its file is made from the store when it
-- completes (report_csvs.lua): one CSV, or a zip of several, attached as a
-- File of the account whose url downloads through files/:id/download.
-- State: store:area("account_reports") = { reports = {[id] = report}, order = {ids} }.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local policy = require "lcanvas.sandbox.policy"
local Jobs = require "lcanvas.sandbox.jobs"
local Reports = require "lcanvas.sandbox.report_csvs"

local null = json.null
local function v(x) if x == nil then return null end return x end

local FAILED = "Failed, the report failed to generate a file. Please try again."
local ABORTED = "Report has been aborted"
local MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }

local BY_TYPE = {}
for _, r in ipairs(Reports.REPORTS) do BY_TYPE[r.report] = r end

return function(app)
  local store = app.store
  local jobs = Jobs.of(app)

  local function state()
    return store:area("account_reports", function() return { reports = {}, order = {} } end)
  end

  local function require_reports(self, ctx)
    if not policy.can(self, ctx, "read_reports", { account = ctx.account }) then self:unauthorized() end
  end

  local function host(ctx) return "http://" .. (ctx.req.headers.host or "127.0.0.1") end

  -- account_report_json
  local function present(r, ctx)
    local out = { id = r.id, progress = r.progress, parameters = r.parameters, current_line = v(r.current_line),
      status = r.workflow_state, report = r.report_type, created_at = r.created_at, started_at = v(r.start_at),
      ended_at = v(r.end_at), file_url = null }
    local f = r.attachment_id and require("lcanvas.sandbox.user_data").of(app).state().files[r.attachment_id]
    if f then
      out.file_url = string.format("%s/accounts/%d/files/%d/download", host(ctx), r.account_id, f.id)
      out.attachment = jobs.present_file(f)
    end
    return out
  end

  -- generate_file_name: the report, the day and its id.
  local function file_name(r, ext)
    local y, m, d = app.config.today:match("^(%d+)-(%d+)-(%d+)")
    return string.format("%s_%s_%s_%s_%d.%s", r.report_type, d, MONTHS[tonumber(m)], y, r.id, ext)
  end

  -- finalize_report: the file (or none: error), the notes, progress 100.
  local function finalize(r, files)
    local p = r.parameters
    if files and #files > 0 then
      local content, ext = Reports.render(files)
      local f = jobs.attach({ account_id = r.account_id, context_type = "Account", context_id = r.account_id,
        user_id = r.user_id, name = file_name(r, ext), content = content,
        content_type = ext == "zip" and "application/zip" or "text/csv" })
      r.attachment_id = f.id
      r.current_line = #files[#files].rows
    else
      p.extra_text = FAILED
    end
    if r.workflow_state == "aborted" then p.extra_text = ABORTED
    else r.workflow_state = r.attachment_id and "complete" or "error" end
    r.progress = 100
    r.end_at = r.end_at or util.iso()
    r.updated_at = r.end_at
  end

  local function start_job(r)
    local job = { kind = "report", id = r.id, state = function() return r.workflow_state end }
    job.steps = {
      -- run_report, then generate_report: running, with the locale noted
      function()
        if r.workflow_state ~= "created" then jobs.close(job) return end
        r.parameters.locale = "en"
        r.workflow_state, r.start_at = "running", util.iso()
        r.updated_at = r.start_at
      end,
      function()
        if r.workflow_state ~= "running" then return end
        if job.forced == "aborted" then
          r.workflow_state = "aborted"
          finalize(r, nil)
          return
        elseif job.forced == "error" then
          finalize(r, nil)
          return
        end
        local def = BY_TYPE[r.report_type]
        local account = store.accounts[r.account_id]
        local ok, files = pcall(def.run, { app = app, account = account,
          root = store.accounts[store:root_of(account.id)], parameters = r.parameters })
        if not ok then
          if type(files) == "table" then error(files, 0) end
          files = nil   -- an exception: the report errors without a file
        end
        finalize(r, files)
      end,
    }
    r.job = jobs.start(job)
  end

  -- available_reports: every report with its parameters and last run; not paginated.
  app:route("GET", "/accounts/:account/reports", function(self, ctx)
    require_reports(self, ctx)
    jobs.sync()
    local out = json.array({})
    for _, def in ipairs(Reports.REPORTS) do
      local last
      local order = state().order
      for i = #order, 1, -1 do
        local r = state().reports[order[i]]
        if r.account_id == ctx.account.id and r.report_type == def.report and r.workflow_state ~= "deleted" then
          last = r
          break
        end
      end
      local parameters = {}
      for _, p in ipairs(def.parameters) do parameters[p[1]] = { required = p[3] == true, description = p[2] } end
      out[#out + 1] = { title = def.title, parameters = next(parameters) and parameters or null, report = def.report,
        last_run = last and present(last, ctx) or null }
    end
    return out
  end)

  -- create: an unknown report is a 404; parameters are taken as sent.
  app:route("POST", "/accounts/:account/reports/:report", function(self, ctx)
    require_reports(self, ctx)
    if not BY_TYPE[ctx.args.report] then app.not_found() end
    local parameters = ctx.params.parameters
    if parameters ~= nil and type(parameters) ~= "table" then
      -- params[:parameters]&.to_unsafe_h on a string: an unhandled exception
      app.halt(500, { errors = { { message = "An error occurred." } }, error_report_id = 1 })
    end
    local now = util.iso()
    local r = { id = store:new_id(), account_id = ctx.account.id, user_id = ctx.user_id, report_type = ctx.args.report,
      parameters = util.copy(parameters or {}), workflow_state = "created", progress = 0, created_at = now,
      updated_at = now }
    state().reports[r.id] = r
    table.insert(state().order, r.id)
    start_job(r)
    return present(r, ctx)
  end)

  local function of_type(ctx)
    local out = {}
    local order = state().order
    for i = #order, 1, -1 do
      local r = state().reports[order[i]]
      if r.account_id == ctx.account.id and r.report_type == ctx.args.report and r.workflow_state ~= "deleted" then
        out[#out + 1] = r
      end
    end
    return out
  end

  -- index: the runs of one report, newest first.
  app:route("GET", "/accounts/:account/reports/:report", function(self, ctx)
    require_reports(self, ctx)
    jobs.sync()
    local page, headers = paging.paginate(ctx.req, of_type(ctx), {})
    for i, r in ipairs(page) do page[i] = present(r, ctx) end
    return page, 200, headers
  end)

  -- type_scope.active.find: a deleted report, or one of another type, is a 404.
  local function find(ctx)
    local id = util.to_int(ctx.args.id)
    for _, r in ipairs(of_type(ctx)) do
      if r.id == id then return r end
    end
    app.not_found()
  end

  app:route("GET", "/accounts/:account/reports/:report/:id", function(self, ctx)
    require_reports(self, ctx)
    local r = find(ctx)
    jobs.read(r.job)
    return present(r, ctx)
  end)

  -- destroy: a soft delete; a report still running stops there.
  app:route("DELETE", "/accounts/:account/reports/:report/:id", function(self, ctx)
    require_reports(self, ctx)
    jobs.sync()
    local r = find(ctx)
    r.workflow_state, r.updated_at = "deleted", util.iso()
    jobs.close(r.job)
    return present(r, ctx)
  end)
end
