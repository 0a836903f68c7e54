-- pairing-codes.lua: observer pairing codes for students, to a CSV.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"

local USAGE = [[
usage: lcanvas [--sandbox] [--dry-run] scripts/pairing-codes.lua --course ID [options]
       lcanvas [--sandbox] [--dry-run] scripts/pairing-codes.lua --students FILE.csv [options]

Creates an observer pairing code for each student (POST
users/:id/observer_pairing_codes), for the students of a course or for a
CSV with a `student` column (login id, sis_user_id:X or Canvas id). CSV
students are all looked up first: an unknown one, or one listed twice
(however spelled), stops the run with nothing created.

options:
  --course ID        the course whose active students get codes
  --students FILE    a CSV of students instead
  --output FILE      the CSV to write (default: pairing-codes.csv)

Columns: student (as given, or the login id), student_id, name, code,
expires_at, status (created, would create, failed), message.
Exit status: 0 all done, 1 some students failed (listed), 2 bad usage or input.
]]

local opts = script.options(USAGE, { course = "value", students = "value", output = "value" }, arg)
if (opts.course == nil) == (opts.students == nil) then
  script.fail("pairing-codes: give either --course ID or --students FILE (see --help)")
end
local output = opts.output or "pairing-codes.csv"
script.check_writable(output)

-- Who gets a code: { {label=, user=, line=} }, all known before any change.
local targets = {}
if opts.course then
  if not opts.course:match("^%d+$") and not opts.course:match("^[%w_]+:.+") then
    script.fail("pairing-codes: --course must be a course id (got '%s')", opts.course)
  end
  local ok, err = script.try(function()
    local list = canvas:list("courses/" .. opts.course .. "/users",
      { enrollment_type = { "student" } }, { type = "User" })
    for u in list do targets[#targets + 1] = { label = u.login_id or tostring(u.id), user = u } end
  end)
  if not ok then
    if script.is_not_found(err) then script.fail("pairing-codes: no course %s", opts.course) end
    io.stderr:write(string.format("pairing-codes: cannot list the students of course %s: %s\n" ..
      "pairing-codes: stopped before any change; no code was created\n", opts.course, script.message(err)))
    os.exit(script.ROW_FAILED)
  end
else
  local rows, lines, users, problems = script.read_user_csv(opts.students, { "student" })
  for i, row in ipairs(rows) do
    local u = row.student_ref and users[row.student_ref]
    if u then targets[#targets + 1] = { label = row.student, user = u, line = lines[i] } end
  end
  if #problems > 0 then
    script.fail("pairing-codes: %s has problems; no code was created:\n  %s", opts.students,
      table.concat(problems, "\n  "))
  end
end

local run = script.run("pairing-codes", #targets)
local out <close> = lcanvas.csv.writer(output,
  { "student", "student_id", "name", "code", "expires_at", "status", "message" })
for _, t in ipairs(targets) do
  local row = { student = t.label, student_id = t.user.id, name = t.user.name }
  local ok, err = script.try(function()
    local pc = t.user:create_pairing_code()
    if canvas:is_dry_run() then
      row.status = "would create"
    else
      row.code, row.expires_at, row.status = pc.code, pc.expires_at, "created"
    end
  end)
  if not ok then row.status, row.message = "failed", script.message(err) end
  out:write(row)
  run:record(row.status, t.line or ("student " .. tostring(t.user.id)), row.message)
end
out:close()
return run:finish(output)
