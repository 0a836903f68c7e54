--- lcanvas.SisImport: a SIS import (Canvas's SisBatch) of a root account,
-- and its errors (SisImportError). This file is the whole type: the entry
-- points on Account (create_sis_import, get_sis_imports, get_sis_import,
-- get_sis_imports_running, abort_sis_imports_pending, get_sis_import_errors),
-- its methods, its wait, how it prints and the examples the endpoint spec
-- runs. From app/controllers/sis_imports_api_controller.rb,
-- sis_import_errors_api_controller.rb, app/models/sis_batch.rb and
-- lib/api/v1/sis_import.rb. Canvas's JSON has no account id: every
-- SisImport lcanvas hands out keeps the account it came from.
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"
local args = require "lcanvas.args"
local jobs = require "lcanvas.jobs"

core.define_type("SisImport", { format = "SIS import {workflow_state} {progress}% ({id})", plain = { "is_ok" },
  doc = "a SIS import of a root account (a SisBatch)" })
core.define_type("SisImportError", { format = "{file} row {row}: {message}",
  doc = "one error or warning of a SIS import" })

-- The states sis_batch.rb ends a batch in. The others are initializing
-- (stuck there when a create was refused after the file was stored),
-- created (queued behind the account's other imports), importing,
-- cleanup_batch and restoring. Neither progress == 100 nor ended_at says an
-- import is over: progress starts again in cleanup_batch, and an import that
-- failed on an exception or was aborted may keep both short of the end.
local TERMINAL = { imported = true, imported_with_messages = true, failed = true, failed_with_messages = true,
  aborted = true, partially_restored = true, restored = true }

core.define_rows("Account", {
  { name = "get_sis_imports", method = "GET", path = "accounts/{id}/sis_imports", returns = "SisImport",
    list = true, root = "sis_imports", item_fields = { account_id = "{id}" },
    params = { "created_since", "created_before", "workflow_state" }, arrays = { "workflow_state" },
    source = "SisImportsApiController#index",
    doc = "The root account's SIS imports, newest first: params created_since, created_before (ISO " ..
      "8601), workflow_state = {\"imported\", ...}." },
  { name = "get_sis_import", method = "GET", path = "accounts/{id}/sis_imports/{1}", returns = "SisImport",
    item_fields = { account_id = "{id}" },
    args = { { "sis_import", ids = ids.plain, from = { SisImport = "id" } } },
    params = {}, source = "SisImportsApiController#show",
    doc = "One SIS import of the account, by id (another account's is a 404)." },
  { name = "get_sis_imports_running", method = "GET", path = "accounts/{id}/sis_imports/importing",
    returns = "SisImport", list = true, root = "sis_imports", paginated = false,
    item_fields = { account_id = "{id}" }, params = {}, source = "SisImportsApiController#importing",
    doc = "The imports running now (importing or cleaning up; not those still waiting in created)." },
  { name = "abort_sis_imports_pending", method = "PUT", path = "accounts/{id}/sis_imports/abort_all_pending",
    field = "aborted", params = {}, source = "SisImportsApiController#abort_all_pending",
    doc = "Abort every import not started yet (initializing or created); returns true." },
  { name = "get_sis_import_errors", method = "GET", path = "accounts/{id}/sis_import_errors",
    returns = "SisImportError", list = true, root = "sis_import_errors", params = { "failure" },
    source = "SisImportErrorsApiController#index",
    doc = "The errors and warnings of every import of the account (Canvas keeps them 30 days); " ..
      "params failure = true for errors only." },
})

local SisImport = core.define_rows("SisImport", {
  { name = "refresh", method = "GET", path = "accounts/{account_id}/sis_imports/{id}", returns = "self",
    params = {}, source = "SisImportsApiController#show",
    doc = "Read the import again; updated in place and returned." },
  { name = "abort", method = "PUT", path = "accounts/{account_id}/sis_imports/{id}/abort", returns = "self",
    params = {}, source = "SisImportsApiController#abort",
    doc = "Abort the import; updated in place and returned (Canvas answers 404 for one already finished)." },
  { name = "restore_states", method = "PUT", path = "accounts/{account_id}/sis_imports/{id}/restore_states",
    returns = "Progress", params = { "batch_mode", "undelete_only", "unconclude_only" },
    source = "SisImportsApiController#restore_states",
    doc = "Undo what the import changed (needs manage SIS): params batch_mode, undelete_only or " ..
      "unconclude_only (not both); returns the Progress of the restore. Wait on it, then refresh " ..
      "the import to see restored or partially_restored." },
  { name = "get_errors", method = "GET", path = "accounts/{account_id}/sis_imports/{id}/errors",
    returns = "SisImportError", list = true, root = "sis_import_errors", params = { "failure" },
    source = "SisImportErrorsApiController#index",
    doc = "Every error and warning of the import ({file, message, row, row_info, failure}), complete " ..
      "at once (processing_errors stops at 24; the errors file comes later); params failure = true " ..
      "for errors only." },
})

--- SisImport:wait([opts]): polls until the import ends (imported, imported_with_messages, failed, failed_with_messages, aborted, restored, partially_restored); opts as lcanvas.jobs.wait. Returns the import and its final state.
function SisImport.wait(self, opts) return jobs.wait(self, opts) end

--- SisImport:is_ok(): whether the import ended well (imported, or imported_with_messages: warnings only).
function SisImport.is_ok(self)
  return self.workflow_state == "imported" or self.workflow_state == "imported_with_messages"
end

jobs.kind("SisImport", { noun = "SIS import", state = "workflow_state", percent = "progress",
  terminal = TERMINAL, refresh = function(s) s:refresh() end })

-- ---------------------------------------------------------------- create

-- What sis_imports_api#create reads; the values some of them take.
local CREATE_PARAMS = { import_type = true, extension = true, batch_mode = true, batch_mode_term_id = true,
  multi_term_batch_mode = true, diffing_data_set_identifier = true, diffing_remaster_data_set = true,
  change_threshold = true, diff_row_count_threshold = true, skip_deletes = true,
  update_sis_id_if_login_claimed = true, override_sis_stickiness = true, add_sis_stickiness = true,
  clear_sis_stickiness = true, diffing_drop_status = true, diffing_user_remove_status = true,
  batch_mode_enrollment_drop_status = true }
local DROP = { deleted = true, completed = true, inactive = true }
local CHOICES = { diffing_drop_status = DROP, batch_mode_enrollment_drop_status = DROP,
  diffing_user_remove_status = { deleted = true, suspended = true } }
local MEDIA = { csv = "text/csv", zip = "application/zip" }

local argerror = args.argerror

-- The caller's params, checked as Canvas would take them, as strings.
local function create_params(params)
  local p = args.params_with(params, 2, "create_sis_import")
  for k, v in pairs(p) do
    if not CREATE_PARAMS[k] then
      argerror(2, "create_sis_import", string.format("Canvas does not read '%s' here (sis_imports_api#create)",
        tostring(k)))
    end
    if type(v) == "table" then argerror(2, "create_sis_import", k .. " must be a plain value") end
  end
  -- Anything but instructure_csv raises inside Canvas (a 500 after the file
  -- was stored).
  if p.import_type ~= nil and p.import_type ~= "instructure_csv" then
    argerror(2, "create_sis_import", string.format("import_type must be \"instructure_csv\" (Canvas " ..
      "answers 500 for \"%s\")", tostring(p.import_type)))
  end
  for k, set in pairs(CHOICES) do
    if p[k] ~= nil and not set[p[k]] then
      local known = {}
      for v in pairs(set) do known[#known + 1] = v end
      table.sort(known)
      argerror(2, "create_sis_import", string.format("%s must be %s, not \"%s\"", k,
        table.concat(known, ", "), tostring(p[k])))
    end
  end
  -- multi_term_batch_mode is tested for presence: false would switch it on.
  if p.multi_term_batch_mode == false then p.multi_term_batch_mode = nil end
  if p.multi_term_batch_mode and p.change_threshold == nil then
    argerror(2, "create_sis_import", "multi_term_batch_mode needs change_threshold (Canvas answers 400 " ..
      "and leaves the import stuck in initializing)")
  end
  if (p.batch_mode or p.multi_term_batch_mode) and p.diffing_data_set_identifier ~= nil then
    argerror(2, "create_sis_import", "diffing_data_set_identifier cannot go with batch mode (Canvas " ..
      "ignores it silently)")
  end
  if p.batch_mode and not p.multi_term_batch_mode and p.batch_mode_term_id == nil then
    argerror(2, "create_sis_import", "batch_mode needs batch_mode_term_id (the term whose data the " ..
      "file replaces)")
  end
  if p.extension ~= nil and not MEDIA[p.extension] then
    argerror(2, "create_sis_import", "extension must be \"csv\" or \"zip\"")
  end
  p.import_type = p.import_type or "instructure_csv"
  for k, v in pairs(p) do
    if v == true then p[k] = "true" elseif v == false then p[k] = "false" else p[k] = tostring(v) end
  end
  return p
end

-- "csv" or "zip" for data, by its first bytes.
local function sniff(data)
  return data:sub(1, 4) == "PK\3\4" and "zip" or "csv"
end

--- Account:create_sis_import(file_or_data [, params]): start a SIS import: a path to a CSV or zip file (sent as the multipart `attachment`, streamed from disk) or the data itself as a string (sent as the body, with its content type); params import_type ("instructure_csv"), extension, batch_mode with batch_mode_term_id, override_sis_stickiness, diffing_data_set_identifier, change_threshold, ... (checked before sending). Returns the SisImport; wait() for its end.
local Account = core.methods("Account")
function Account.create_sis_import(self, what, params)
  if type(what) ~= "string" or what == "" then
    argerror(1, "create_sis_import", "a file path or the CSV/zip data as a string expected, got " .. type(what))
  end
  local p = create_params(params)
  local c = core.client_of(self)
  local path = "accounts/" .. args.segment(self, 0, "create_sis_import") .. "/sis_imports"
  local answer
  local f = not what:find("\n", 1, true) and #what < 4096 and io.open(what, "rb")
  if f then
    local head = f:read(4) or ""
    f:close()
    local ext = p.extension or (what:lower():match("%.(zip)$") or what:lower():match("%.(csv)$")) or sniff(head)
    p.extension = nil   -- the file's name says it
    local form = {}
    for k, v in pairs(p) do form[#form + 1] = { k, v } end
    table.sort(form, function(a, b) return a[1] < b[1] end)
    local name = what:match("([^/]+)$")
    if not name:lower():match("%.[cz][si][vp]$") then name = name .. "." .. ext end
    answer = core.transfer(c, { method = "POST", url = path, form = form, file = what, file_field = "attachment",
      file_name = name, file_type = MEDIA[ext] })
    if not args.dry_run(answer) then
      local ok, decoded = pcall(core.json.decode, answer.body or "")
      if not ok or type(decoded) ~= "table" then
        error(core.error("InvalidResponse", string.format("POST %s answered %d without a SIS import (%s)", path,
          answer.status, ok and type(decoded) or tostring(decoded))), 2)
      end
      answer = decoded
    end
  elseif what:find("\n", 1, true) or what:sub(1, 4) == "PK\3\4" then
    local ext = p.extension or sniff(what)
    p.extension = ext
    answer = c:request("POST", path, p, { body = what, content_type = MEDIA[ext] .. "; charset=utf-8" })
  else
    argerror(1, "create_sis_import", string.format("cannot open '%s' (a file path, or CSV data with " ..
      "its lines)", what))
  end
  local obj = core.object("SisImport", answer, c)
  obj.account_id = self.id
  return obj
end

core.describe_hand("Account", {
  create_sis_import = { method = "POST", path = "accounts/{id}/sis_imports", args = { "file_or_data" },
    sends = { "import_type" }, params = (function()
      local l = {}
      for k in pairs(CREATE_PARAMS) do l[#l + 1] = k end
      table.sort(l)
      l[#l + 1] = "attachment"
      return l
    end)(), source = "SisImportsApiController#create" },
})
core.describe_hand("SisImport", {
  wait = { method = "GET", path = "accounts/{account_id}/sis_imports/{id}", args = {}, sends = {}, params = {},
    source = "SisImportsApiController#show (polled)" },
})

-- What the endpoint spec runs against the sandbox: an import of one user.
local USERS_CSV = "user_id,login_id,first_name,last_name,email,status\n" ..
  "SPEC-1,spec.one,Spec,One,spec.one@example.com,active\n"
local function started(w) return w.canvas:get_account(1):create_sis_import(USERS_CSV) end

core.define_type("SisImport", {
  examples = {
    receiver = started,
    args = {
      wait = { { interval = 0.01, max_interval = 0.02, timeout = 30 } },
      restore_states = function(w)
        local s = started(w)
        s:wait({ interval = 0.01, max_interval = 0.02, timeout = 30 })
        return s, {}
      end,
    },
  },
})
core.define_type("Account", { examples = { args = {
  create_sis_import = { USERS_CSV },
  get_sis_import = function(w) return w.canvas:get_account(1), { started(w).id } end,
} } })

return SisImport
