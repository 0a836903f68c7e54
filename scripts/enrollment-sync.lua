-- enrollment-sync.lua: enroll, conclude, deactivate or delete enrollments
-- listed in a CSV, checked in full before anything changes.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"
local ids = require "lcanvas.ids"

local USAGE = [[
usage: lcanvas [--sandbox] [--dry-run] scripts/enrollment-sync.lua ROWS.csv [options]

Applies one enrollment change per row. ROWS.csv has the columns
  action   enroll, conclude, deactivate or delete
  user     a login id, sis_user_id:X (or another id type) or a Canvas id
  course   a course's SIS id ("BIO/101.1"), sis_course_id:X or a Canvas id
and may have
  section  a section's SIS id, sis_section_id:X or a Canvas id: enroll into
           it, or change only the enrollments in it
  type     student, teacher, ta, observer, designer (or StudentEnrollment,
           ...): needed to enroll; otherwise only enrollments of this type
  state    for enroll: active (default), invited or inactive

Every user, course and section is looked up, and the current enrollments
read, before anything changes: an unknown value, a section of another
course, a missing type or two rows about the same enrollment stop the run
with nothing changed. A row already in effect is reported as such and not
sent again, so a second run changes nothing.

options:
  --results FILE   results CSV (default: ROWS.results.csv)
  --notify         tell newly enrolled users (Canvas's enrollment[notify])

Writes one row per input row: line, action, user, course, section, type,
user_id, course_id, enrollment_ids, status (enrolled, concluded,
deactivated, deleted, already ..., not enrolled, would ... in a dry run,
failed), message.
Exit status: 0 all rows done, 1 some rows failed (listed on stderr),
2 bad usage or input (nothing changed).
]]

local ACTIONS = { enroll = true, conclude = true, deactivate = true, delete = true }
local COLUMNS = { action = true, user = true, course = true, section = true, type = true, state = true }
local TYPES = { student = "StudentEnrollment", teacher = "TeacherEnrollment", ta = "TaEnrollment",
  observer = "ObserverEnrollment", designer = "DesignerEnrollment" }
for _, t in ipairs({ "StudentEnrollment", "TeacherEnrollment", "TaEnrollment", "ObserverEnrollment",
  "DesignerEnrollment" }) do
  TYPES[t:lower()] = t
end
-- enrollments_api#create takes these as enrollment[enrollment_state].
local ENROLL_STATES = { active = true, invited = true, inactive = true }
-- Every workflow_state an enrollment can be in (enrollments_api#index
-- filters by state[], and without it leaves out completed and deleted ones).
local ALL_STATES = { "active", "invited", "creation_pending", "inactive", "completed", "rejected", "deleted" }

-- What each action does to an enrollment in a given state: nil leaves it
-- alone; the task is enrollments_api#destroy's.
local CHANGES = {
  conclude = { task = "conclude", done = "concluded", from = { active = true, invited = true,
    creation_pending = true, inactive = true } },
  deactivate = { task = "deactivate", done = "deactivated", from = { active = true, invited = true,
    creation_pending = true } },
  delete = { task = "delete", done = "deleted", from = { active = true, invited = true,
    creation_pending = true, inactive = true, completed = true, rejected = true } },
}
-- An enrollment in none of `from` but in one of these says the action
-- has been done already.
local ALREADY = {
  conclude = { completed = "already concluded" },
  deactivate = { inactive = "already inactive", completed = "already concluded" },
  delete = { deleted = "already deleted" },
}

local opts, pos = script.options(USAGE, { results = "value", notify = "flag" }, arg)
local input = pos[1] or script.fail("enrollment-sync: a CSV file of enrollment changes is needed (see --help)")
local results_path = opts.results or script.default_results(input, "results.csv")
script.check_writable(results_path)

-- 1. Read and check every row, then look every user, course and section up.
local rows, header, lines = script.read_csv(input, { "action", "user", "course" })
for _, col in ipairs(header) do
  if not COLUMNS[col] then
    script.fail("enrollment-sync: %s has a column '%s' this script does not read (columns: action, user, " ..
      "course, section, type, state); nothing was changed", input, col)
  end
end
local problems = {}
local function problem(i, fmt, ...)
  problems[#problems + 1] = string.format("line %d: " .. fmt, lines[i], ...)
end
local function blank(s) return s == nil or s:match("^%s*$") ~= nil end
local user_refs, course_refs, section_refs = {}, {}, {}
for i, row in ipairs(rows) do
  row.action = (row.action or ""):match("^%s*(.-)%s*$"):lower()
  if not ACTIONS[row.action] then
    problem(i, "action '%s' is not enroll, conclude, deactivate or delete", row.action)
  end
  if not blank(row.type) then
    row.enrollment_type = TYPES[row.type:match("^%s*(.-)%s*$"):lower()]
    if not row.enrollment_type then
      problem(i, "type '%s' is not student, teacher, ta, observer or designer", row.type)
    end
  elseif row.action == "enroll" then
    problem(i, "enroll needs a type (student, teacher, ta, observer or designer)")
  end
  if row.action == "enroll" then
    row.enroll_state = blank(row.state) and "active" or row.state:match("^%s*(.-)%s*$"):lower()
    if not ENROLL_STATES[row.enroll_state] then
      problem(i, "state '%s' is not active, invited or inactive", row.state)
    end
  elseif not blank(row.state) then
    problem(i, "state is read for enroll only (this row is %s)", row.action)
  end
  row.user_ref = script.user_ref(row.user)
  row.course_ref = script.ref(row.course, ids.courses, "sis_course_id")
  row.section_ref = script.ref(row.section, ids.course_sections, "sis_section_id")
  if row.user_ref then user_refs[#user_refs + 1] = row.user_ref else problem(i, "the user is empty") end
  if row.course_ref then course_refs[#course_refs + 1] = row.course_ref else problem(i, "the course is empty") end
  if row.section_ref then section_refs[#section_refs + 1] = row.section_ref end
end
if #problems == 0 then
  local users, bad_users = script.resolve(user_refs, function(r) return canvas:get_user(r) end, "user")
  local courses, bad_courses = script.resolve(course_refs, function(r) return canvas:get_course(r) end, "course")
  local sections, bad_sections = script.resolve(section_refs, function(r) return canvas:get_section(r) end,
    "section")
  local first_line = {}
  for i, row in ipairs(rows) do
    row.u, row.c = users[row.user_ref], courses[row.course_ref]
    row.s = row.section_ref and sections[row.section_ref]
    if bad_users[row.user_ref] then problem(i, "user '%s': %s", row.user, bad_users[row.user_ref]) end
    if bad_courses[row.course_ref] then problem(i, "course '%s': %s", row.course, bad_courses[row.course_ref]) end
    if row.section_ref and bad_sections[row.section_ref] then
      problem(i, "section '%s': %s", row.section, bad_sections[row.section_ref])
    end
    if row.s and row.c and row.s.course_id ~= row.c.id then
      problem(i, "section '%s' belongs to course %s, not to '%s' (%s)", row.section, tostring(row.s.course_id),
        row.course, tostring(row.c.id))
    end
    if row.u and row.c and (row.s or not row.section_ref) then
      -- Compared by Canvas ids: a login and a sis_user_id of one user match.
      local key = table.concat({ tostring(row.u.id), tostring(row.c.id), row.s and tostring(row.s.id) or "",
        row.enrollment_type or "" }, ",")
      if first_line[key] then
        problem(i, "same user, course, section and type as line %d", first_line[key])
      else
        first_line[key] = lines[i]
      end
    end
  end
end
if #problems > 0 then
  script.fail("enrollment-sync: %s has problems; nothing was changed:\n  %s", input, table.concat(problems, "\n  "))
end

-- 2. The current enrollments of each user in each course, read at once.
local pairs_list, pair_of = {}, {}
for _, row in ipairs(rows) do
  local key = tostring(row.u.id) .. "," .. tostring(row.c.id)
  if not pair_of[key] then
    pair_of[key] = { user = row.u, course = row.c }
    pairs_list[#pairs_list + 1] = pair_of[key]
  end
  row.pair = pair_of[key]
end
local ok, err = script.try(canvas.map, canvas, pairs_list, function(p)
  p.enrollments = p.course:get_enrollments({ user_id = p.user.id, state = ALL_STATES }):all()
end)
if not ok then
  io.stderr:write("enrollment-sync: cannot read the current enrollments: ", script.message(err),
    "\nenrollment-sync: stopped before any change; nothing was changed\n")
  os.exit(script.ROW_FAILED)
end

-- The row's enrollments: its user's in its course, of its type and in its
-- section when the row names them.
local function matching(row)
  local found = {}
  for _, e in ipairs(row.pair.enrollments) do
    if (not row.enrollment_type or e.type == row.enrollment_type)
      and (not row.s or e.course_section_id == row.s.id) then
      found[#found + 1] = e
    end
  end
  return found
end

local function enroll(row)
  for _, e in ipairs(matching(row)) do
    if e.enrollment_state == row.enroll_state then return "already enrolled", { e } end
  end
  local target = row.s or row.c
  local e = target:enroll_user(row.u, row.enrollment_type, { enrollment = {
    enrollment_state = row.enroll_state, notify = opts.notify or nil } })
  if canvas:is_dry_run() then return "would enroll", {} end
  row.pair.enrollments[#row.pair.enrollments + 1] = e
  return "enrolled", { e }
end

local function change(row)
  local how, targets, already, done = CHANGES[row.action], {}, nil, {}
  for _, e in ipairs(matching(row)) do
    if how.from[e.enrollment_state] then
      targets[#targets + 1] = e
    elseif ALREADY[row.action][e.enrollment_state] then
      already = already or ALREADY[row.action][e.enrollment_state]
      done[#done + 1] = e
    end
  end
  if #targets == 0 then return already or "not enrolled", done end
  for _, e in ipairs(targets) do e:deactivate(how.task) end
  return canvas:is_dry_run() and ("would " .. row.action) or how.done, targets
end

-- 3. Apply the rows in order.
local run = script.run("enrollment-sync", #rows)
local out <close> = lcanvas.csv.writer(results_path, { "line", "action", "user", "course", "section", "type",
  "user_id", "course_id", "enrollment_ids", "status", "message" })
for i, row in ipairs(rows) do
  local result = { line = lines[i], action = row.action, user = row.user, course = row.course,
    section = row.section, type = row.enrollment_type, user_id = row.u.id, course_id = row.c.id }
  local done, status, touched = script.try(function()
    if row.action == "enroll" then return enroll(row) end
    return change(row)
  end)
  if done then
    local e_ids = {}
    for _, e in ipairs(touched) do e_ids[#e_ids + 1] = tostring(e.id) end
    result.status, result.enrollment_ids = status, table.concat(e_ids, ";")
  end
  run:write(out, result, not done and status or nil)
end
out:close()
return run:finish(results_path)
