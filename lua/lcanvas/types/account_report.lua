--- lcanvas.AccountReport: one run of an account report (provisioning,
-- last user access, grade export...), and ReportType, a report the account
-- can run with its parameters. This file is the whole type: the entry
-- points on Account (get_reports, create_report, get_index_of_reports,
-- get_report), its methods, its wait and download, how it prints and the
-- examples the endpoint spec runs. From
-- app/controllers/account_reports_controller.rb, app/models/account_report.rb
-- and lib/api/v1/account_report.rb. The JSON has no account id: every
-- AccountReport lcanvas hands out keeps the account it came from.
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"
local jobs = require "lcanvas.jobs"
local download = require "lcanvas.download"

core.define_type("AccountReport", { format = "{report} {status} {progress}% ({id})",
  doc = "one run of an account report", plain = { "download" } })
core.define_type("ReportType", { format = "{report}: {title}",
  doc = "a report an account can run, with its parameters" })

local REPORT = { "report", check = "string", what = "report type (\"provisioning_csv\", ...)" }

core.define_rows("Account", {
  { name = "get_reports", method = "GET", path = "accounts/{id}/reports", returns = "ReportType", list = true,
    paginated = false, params = {}, source = "AccountReportsController#available_reports",
    doc = "The reports the account can run: {report, title, parameters = {name = {required, " ..
      "description}}, last_run}. One answer, not paginated (whatever the docs say)." },
  { name = "create_report", method = "POST", path = "accounts/{id}/reports/{1}", returns = "AccountReport",
    item_fields = { account_id = "{id}" }, args = { REPORT }, params = { "parameters" },
    source = "AccountReportsController#create",
    doc = "Start a report: params parameters = {enrollment_term_id =, users = true, ...} (Canvas " ..
      "checks none of them here: a missing one ends the report in error). Returns the AccountReport; " ..
      "wait() for its end. An unknown report type is a 404." },
  { name = "get_index_of_reports", method = "GET", path = "accounts/{id}/reports/{1}",
    returns = "AccountReport", list = true, item_fields = { account_id = "{id}" }, args = { REPORT },
    params = {}, source = "AccountReportsController#index",
    doc = "The runs of one report type, newest first (deleted ones left out)." },
  { name = "get_report", method = "GET", path = "accounts/{id}/reports/{1}/{2}", returns = "AccountReport",
    item_fields = { account_id = "{id}" },
    args = { REPORT, { "id", ids = ids.plain, from = { AccountReport = "id" } } },
    params = {}, source = "AccountReportsController#show",
    doc = "One run, by report type and id (404 when deleted or of another type)." },
})

local Report = core.define_rows("AccountReport", {
  { name = "refresh", method = "GET", path = "accounts/{account_id}/reports/{report}/{id}", returns = "self",
    params = {}, source = "AccountReportsController#show",
    doc = "Read the report again; updated in place and returned." },
  { name = "delete", method = "DELETE", path = "accounts/{account_id}/reports/{report}/{id}", returns = "self",
    params = {}, source = "AccountReportsController#destroy",
    doc = "Delete the report (status deleted); updated in place and returned." },
})

--- AccountReport:wait([opts]): polls until complete, error, aborted or deleted (compiling is not an end, whatever Canvas's own in_progress? says); opts as lcanvas.jobs.wait. Returns the report and its final status.
function Report.wait(self, opts) return jobs.wait(self, opts) end

--- AccountReport:download(path [, opts]): the complete report's file (a CSV, or a zip for several) into `path`, through its attachment's url and the redirect to the file store (no token there), written whole or not at all; opts as Client:download. Returns the path written and its size.
function Report.download(self, path, opts)
  if self.status ~= "complete" then
    error(core.error("InvalidArgument", string.format("report %s %s is %s, not complete: there is no file " ..
      "to download%s", tostring(self.report), tostring(self.id), tostring(self.status),
      self.status == "error" and type(self.parameters) == "table" and self.parameters.extra_text
        and (" (" .. tostring(self.parameters.extra_text) .. ")") or "")), 2)
  end
  local att = self.attachment
  if type(att) ~= "table" or type(att.url) ~= "string" then
    error(core.error("InvalidResponse", string.format("report %s %s is complete but has no attachment url",
      tostring(self.report), tostring(self.id))), 2)
  end
  return download.to_file(core.client_of(self), att, path, opts)
end

jobs.kind("AccountReport", { noun = "report", state = "status", percent = "progress",
  terminal = { complete = true, error = true, aborted = true, deleted = true },
  refresh = function(r) r:refresh() end })

core.describe_hand("AccountReport", {
  wait = { method = "GET", path = "accounts/{account_id}/reports/{report}/{id}", args = {}, sends = {},
    params = {}, source = "AccountReportsController#show (polled)" },
})

-- What the endpoint spec runs against the sandbox: a provisioning report
-- of the users.
local function started(w)
  return w.canvas:get_account(1):create_report("provisioning_csv", { parameters = { users = true } })
end
local WAIT = { interval = 0.01, max_interval = 0.02, timeout = 30 }

core.define_type("AccountReport", {
  examples = {
    receiver = started,
    args = {
      wait = { WAIT },
      delete = function(w)
        local r = started(w)
        r:wait(WAIT)
        return r, {}
      end,
    },
  },
})
core.define_type("Account", { examples = { args = {
  create_report = { "provisioning_csv", { parameters = { users = true } } },
  get_index_of_reports = { "provisioning_csv" },
  get_report = function(w)
    local r = started(w)
    return w.canvas:get_account(1), { "provisioning_csv", r.id }
  end,
} } })

return Report
