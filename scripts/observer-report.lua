-- observer-report.lua: every observer in an account with their observees.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"

local USAGE = [[
usage: lcanvas [--sandbox] scripts/observer-report.lua [options]

Lists every user of an account who observes someone, one row per
observer and observee (GET accounts/:id/users, then each user's
GET users/:id/observees).

options:
  --account ID          the account (default: 1)
  --search TERM         only look at users matching TERM
  --enrollment-type T   only look at users with this enrollment type in a
                        course (student, teacher, ta, observer, designer).
                        Not a shortcut: `observer` keeps only users with an
                        observer enrollment in some course and misses
                        parents linked to a student directly (as
                        link-observers.lua does); leave it out for a
                        complete report
  --output FILE         the CSV to write (default: observers.csv)

Columns: observer_id, observer_name, observer_login, observee_id,
observee_name, observee_login.
Exit status: 0 done, 1 some users could not be read (listed) or Canvas
could not be reached, 2 bad usage or no such account.
]]

local opts = script.options(USAGE, { account = "value", search = "value",
  enrollment_type = "value", output = "value" }, arg)
local output = opts.output or "observers.csv"
local account = opts.account or "1"
if not account:match("^%d+$") then script.fail("observer-report: --account must be an id (got '%s')", account) end
local ENROLLMENT_TYPES = { student = true, teacher = true, ta = true, observer = true, designer = true }
if opts.enrollment_type and not ENROLLMENT_TYPES[opts.enrollment_type] then
  script.fail("observer-report: --enrollment-type must be one of student, teacher, ta, observer, designer (got '%s')",
    opts.enrollment_type)
end
script.check_writable(output)

local users = canvas:list("accounts/" .. account .. "/users",
  { search_term = opts.search, enrollment_type = opts.enrollment_type }, { type = "User" })
local ok, total = script.try(function() return users:count() end)
if not ok then
  if script.is_not_found(total) then script.fail("observer-report: no account %s", account) end
  io.stderr:write("observer-report: cannot list the users of account ", account, ": ",
    script.message(total), "\n")
  os.exit(script.ROW_FAILED)
end
local run = script.run("observer-report", total)
local out <close> = lcanvas.csv.writer(output, { "observer_id", "observer_name", "observer_login",
  "observee_id", "observee_name", "observee_login" })
local observers, links = 0, 0
for user in users do
  local done, err = script.try(function()
    local n = 0
    for o in user:get_observees() do
      out:write({ user.id, user.name, user.login_id, o.id, o.name, o.login_id })
      n = n + 1
    end
    if n > 0 then observers, links = observers + 1, links + n end
  end)
  run:record(done and "read" or "failed", "user " .. tostring(user.id), not done and script.message(err) or nil)
end
out:close()
io.stderr:write(string.format("observer-report: %d observers, %d links\n", observers, links))
return run:finish(output)
