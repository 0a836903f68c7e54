-- term-report.lua: the courses of a term, with their teachers and student
-- counts, to CSV.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"
local ids = require "lcanvas.ids"

local USAGE = [[
usage: lcanvas [--sandbox] scripts/term-report.lua TERM [options]

Writes one row per course of a term (GET accounts/:id/courses with
enrollment_term_id) with its teachers' names and its number of students.
TERM is a term's Canvas id (digits), its SIS id ("2026-FA", or
"sis_term_id:2026-FA"), "current" or "default". The term is looked up
first: an unknown one stops the run and lists the account's terms.

options:
  --account ID     the account whose courses are listed, sub-accounts
                   included (default: 1); its root account holds the terms
  --state LIST     comma-separated course states: created, claimed,
                   available, completed, deleted, all (default: Canvas's,
                   every state but deleted)
  --output FILE    where to write (default: term-<TERM>.csv)

Columns: course_id, sis_course_id, course_code, name, state, subaccount,
teachers (names joined by "; "), students (active and invited students).
The file appears complete when the report ends, or not at all.
Exit status: 0 done, 1 the listing failed, 2 bad usage or unknown term.
]]

local STATES = { created = true, claimed = true, available = true, completed = true, deleted = true,
  all = true }
local COLUMNS = { "course_id", "sis_course_id", "course_code", "name", "state", "subaccount", "teachers",
  "students" }

local opts, pos = script.options(USAGE, { account = "value", state = "value", output = "value" }, arg)
local term_arg = pos[1] or script.fail("term-report: which term? (an id, a SIS id, \"current\"; see --help)")
if pos[2] then script.fail("term-report: one term at a time (got '%s' too)", pos[2]) end
local states
if opts.state then
  states = {}
  for s in opts.state:gmatch("[^,%s]+") do
    if not STATES[s] then
      script.fail("term-report: unknown course state '%s' in --state (known: created, claimed, available, " ..
        "completed, deleted, all)", s)
    end
    states[#states + 1] = s
  end
  if #states == 0 then script.fail("term-report: --state names no state") end
end
local output = opts.output or ("term-" .. term_arg:gsub("[^%w._-]", "_") .. ".csv")
script.check_writable(output)

-- 1. The account and its term, or a clear reason to stop.
local account = script.account(opts.account)
-- Terms belong to the root account (terms_api_controller answers 400 for a
-- sub-account), while the courses are listed under the account asked for.
local root = account.root_account_id and canvas:get_account(account.root_account_id) or account
local ok, term = script.try(root.get_enrollment_term, root, script.ref(term_arg, ids.enrollment_terms, "sis_term_id"))
if not ok then
  if not script.is_not_found(term) then
    io.stderr:write("term-report: cannot read term ", term_arg, ": ", script.message(term), "\n")
    os.exit(script.ROW_FAILED)
  end
  local known = {}
  for t in root:get_enrollment_terms() do
    known[#known + 1] = string.format("%s (id %s%s)", tostring(t.name), tostring(t.id),
      t.sis_term_id and (", SIS id " .. t.sis_term_id) or "")
  end
  script.fail("term-report: account %s has no term '%s'; its terms: %s", tostring(root.id), term_arg,
    #known > 0 and table.concat(known, "; ") or "none")
end

-- 2. The courses, one row each.
local courses = account:get_courses({ enrollment_term_id = term.id, state = states,
  include = { "teachers", "total_students", "subaccount" } })
local run = script.run("term-report")
local out <close> = lcanvas.csv.writer(output, COLUMNS)
for course in courses do
  local teachers = {}
  for _, t in ipairs(course.teachers or {}) do teachers[#teachers + 1] = t.display_name or t.name end
  out:write({ course_id = course.id, sis_course_id = course.sis_course_id, course_code = course.course_code,
    name = course.name, state = course.workflow_state, subaccount = course.subaccount_name,
    teachers = table.concat(teachers, "; "), students = course.total_students })
  run:record("listed")
end
out:close()
io.stderr:write(string.format("term-report: term %s (%s)\n", tostring(term.name), tostring(term.id)))
return run:finish(output)
