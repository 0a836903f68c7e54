-- sis-import.lua: upload SIS data, wait for Canvas to import it, and keep
-- its errors.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"
local ids = require "lcanvas.ids"
local sis_files = require "lcanvas.script.sis_files"
local zip = require "lcanvas.script.zip"

local USAGE = [[
usage: lcanvas [--sandbox] [--dry-run] scripts/sis-import.lua FILE [options]

Uploads FILE, a SIS CSV file (users.csv, courses.csv, enrollments.csv...)
or a zip of them, to a root account as a SIS import (POST
accounts/:id/sis_imports), waits for Canvas to import it with a progress
line, prints what it counted, and writes every error and warning to a CSV.

Every CSV (those in a zip too) is checked first, as Canvas would read it:
its kind from its header row, identifiers that must be filled, statuses
Canvas knows. A file with problems is not sent. With lcanvas --dry-run
the files are checked and nothing is sent.

options:
  --account ID               the root account (default: 1)
  --errors FILE              errors and warnings (default: FILE.errors.csv)
  --batch-term TERM          batch mode for a term (an id or its SIS id):
                             what the term has that the file lacks is
                             deleted
  --override-sis-stickiness  let the file overwrite changes made in Canvas
  --diffing ID               diffing_data_set_identifier (send only what
                             changed since the last import of this set)
  --change-threshold N       refuse to delete more than N% (batch, diffing)
  --timeout SECONDS          stop waiting after this long (default: 6 hours;
                             the import goes on in Canvas)
  --poll SECONDS             ask Canvas this often (default: every 1 s,
                             then less often up to every 3 s)
  --no-wait                  start the import, print its id and stop

The errors file has one row per error or warning: sis_import_id, file,
row, message, failure (true for an error, false for a warning).
Exit status: 0 imported, 3 imported with warnings or errors in some rows
(see the errors file), 1 failed, aborted or still running at the timeout,
2 bad usage or a file with problems (nothing sent), 130 interrupted (the
import goes on in Canvas; its id is printed).
]]

local WITH_MESSAGES = 3

local opts, pos = script.options(USAGE, { account = "value", errors = "value", batch_term = "value",
  override_sis_stickiness = "flag", diffing = "value", change_threshold = "value", timeout = "value",
  poll = "value", no_wait = "flag" }, arg)
local path = pos[1] or script.fail("sis-import: which file? (a SIS CSV or a zip of them; see --help)")
if pos[2] then script.fail("sis-import: one file per import (zip several CSVs into one; got '%s' too)", pos[2]) end
local timeout, poll = script.seconds(opts, "timeout"), script.seconds(opts, "poll")
if opts.change_threshold and not opts.change_threshold:match("^%d+$") then
  script.fail("sis-import: --change-threshold must be a whole percentage (got '%s')", opts.change_threshold)
end
if opts.batch_term and opts.diffing then
  script.fail("sis-import: --batch-term and --diffing cannot go together (Canvas would ignore --diffing)")
end

-- 1. Check the files as Canvas will read them.
local f, err = io.open(path, "rb")
if not f then script.fail("sis-import: cannot read %s: %s", path, tostring(err)) end
local data = f:read("a")
f:close()
local summary, problems = {}, {}
local function check(name, text)
  local kind, n, found = sis_files.check_text(name, text)
  for _, p in ipairs(found) do problems[#problems + 1] = p end
  if kind then summary[#summary + 1] = string.format("%s: %d %s row%s", name, n, kind, n == 1 and "" or "s") end
end
if data:sub(1, 4) == "PK\3\4" then
  local ok, entries = pcall(zip.read, data)
  if not ok then script.fail("sis-import: %s is not a readable zip: %s", path, tostring(entries)) end
  local csvs = 0
  for _, e in ipairs(entries) do
    if e.name:lower():match("%.csv$") and not zip.ignored(e.name) then
      csvs = csvs + 1
      check(e.name, e.data)
    elseif not e.dir and not zip.ignored(e.name) then
      io.stderr:write(string.format("sis-import: %s: Canvas skips %s (not a .csv file)\n", path, e.name))
    end
  end
  if csvs == 0 then problems[#problems + 1] = path .. ": the zip holds no .csv file" end
else
  check((path:match("([^/]+)$")), data)
end
if #problems > 0 then
  script.fail("sis-import: %s has problems; nothing was sent:\n  %s", path, table.concat(problems, "\n  "))
end
for _, s in ipairs(summary) do io.stderr:write("sis-import: ", s, "\n") end

local errors_path = opts.errors or (path:gsub("%.[%w]+$", "") .. ".errors.csv")
if not opts.no_wait then script.check_writable(errors_path) end

-- 2. The account (a root one) and the import.
local account = script.account(opts.account)
if account.root_account_id then
  script.fail("sis-import: account %s is a sub-account (of %s); SIS imports run on a root account",
    tostring(account.id), tostring(account.root_account_id))
end
local params = { override_sis_stickiness = opts.override_sis_stickiness or nil,
  diffing_data_set_identifier = opts.diffing, change_threshold = opts.change_threshold }
if opts.batch_term then
  params.batch_mode = true
  params.batch_mode_term_id = script.ref(opts.batch_term, ids.enrollment_terms, "sis_term_id")
end
local import = account:create_sis_import(path, params)
if opts.no_wait then
  io.stdout:write(string.format("%s\n", tostring(import.id)))
  io.stderr:write(string.format("sis-import: started SIS import %s; not waiting\n", tostring(import.id)))
  return 0
end

-- 3. Wait, then say what happened.
script.wait(import, { timeout = timeout, interval = poll, max_interval = poll })
if import.dry_run then
  io.stderr:write("sis-import: dry run: the files were checked; nothing was sent\n")
  return 0
end
local state = import.workflow_state
local counts = {}
local c = type(import.data) == "table" and import.data.counts or {}
for k, v in pairs(type(c) == "table" and c or {}) do
  if type(v) == "number" and v > 0 then counts[#counts + 1] = string.format("%d %s", v, k) end
end
table.sort(counts)
io.stderr:write(string.format("sis-import: SIS import %s %s%s\n", tostring(import.id), state,
  #counts > 0 and (": " .. table.concat(counts, ", ")) or ""))
if type(import.data) == "table" and type(import.data.error_message) == "string" then
  io.stderr:write("sis-import: Canvas says: ", import.data.error_message, "\n")
end

local n = 0
local out <close> = lcanvas.csv.writer(errors_path, { "sis_import_id", "file", "row", "message", "failure" })
for e in import:get_errors() do
  out:write({ sis_import_id = import.id, file = e.file, row = e.row, message = e.message,
    failure = e.failure == true and "true" or "false" })
  n = n + 1
end
out:close()
io.stderr:write(string.format("sis-import: %d error%s and warning%s in %s\n", n, n == 1 and "" or "s",
  n == 1 and "" or "s", lcanvas.outfile.target(errors_path)))
if state == "imported" then return 0 end
if state == "imported_with_messages" then return WITH_MESSAGES end
return script.ROW_FAILED
