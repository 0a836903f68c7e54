-- link-observers.lua: link observers to students from a CSV.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"

local USAGE = [[
usage: lcanvas [--sandbox] [--dry-run] scripts/link-observers.lua PAIRS.csv [options]

Links each observer to a student (PUT users/:observer/observees/:student).
PAIRS.csv has the columns `observer` and `student`; a cell is a login id
(looked up as sis_login_id:), `sis_user_id:X` (or another id type), or a
Canvas id (digits). Every user is looked up before anything changes: an
unknown user, a malformed file or a pair that appears twice (however its
users are spelled) stops the run with nothing changed. Existing links
are reported as such and not re-created.

options:
  --results FILE         results CSV (default: PAIRS.results.csv)
  --root-account-id ID   link in this root account only (default: Canvas's)

Writes one row per input row: line, observer, student, observer_id,
student_id, status (linked, already linked, would link, failed), message.
Exit status: 0 all rows done, 1 some rows failed (listed on stderr),
2 bad usage or input (nothing changed).
]]

local opts, pos = script.options(USAGE, { results = "value", root_account_id = "value" }, arg)
local input = pos[1] or script.fail("link-observers: a CSV file of observer,student pairs is needed (see --help)")
local results_path = opts.results or script.default_results(input, "results.csv")
script.check_writable(results_path)

-- 1. Validate everything before changing anything.
local rows, lines, users, problems = script.read_user_csv(input, { "observer", "student" })
if #problems > 0 then
  script.fail("link-observers: %s has problems; nothing was changed:\n  %s", input,
    table.concat(problems, "\n  "))
end

-- 2. Link, reading each observer's current observees once.
local params = opts.root_account_id and { root_account_id = opts.root_account_id } or nil
local observees_of = {}
local run = script.run("link-observers", #rows)
local out <close> = lcanvas.csv.writer(results_path,
  { "line", "observer", "student", "observer_id", "student_id", "status", "message" })
for i, row in ipairs(rows) do
  local observer, student = users[row.observer_ref], users[row.student_ref]
  local result = { line = lines[i], observer = row.observer, student = row.student,
    observer_id = observer.id, student_id = student.id }
  local ok, err = script.try(function()
    local linked = observees_of[observer.id]
    if not linked then
      linked = {}
      for o in observer:get_observees() do linked[o.id] = true end
      observees_of[observer.id] = linked
    end
    if linked[student.id] then
      result.status = "already linked"
    else
      observer:add_observee(student.id, params)
      linked[student.id] = true
      result.status = canvas:is_dry_run() and "would link" or "linked"
    end
  end)
  run:write(out, result, not ok and err or nil)
end
out:close()
return run:finish(results_path)
