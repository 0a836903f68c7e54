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
  --enrollment-type T   only look at users with this enrollment type (on a
                        large account, `observer` saves a request per user)
  --output FILE         the CSV to write (default: observers.csv)

Columns: observer_id, observer_name, observer_login, observee_id,
observee_name, observee_login.
Exit status: 0 done, 1 some users could not be read (listed), 2 bad usage.
]]

local opts = script.options(USAGE, { account = "value", search = "value",
  enrollment_type = "value", output = "value" }, arg)
local output = opts.output or "observers.csv"
local account = opts.account or "1"
if not account:match("^%d+$") then script.fail("observer-report: --account must be an id (got '%s')", account) end

local users = canvas:list("accounts/" .. account .. "/users",
  { search_term = opts.search, enrollment_type = opts.enrollment_type }, { type = "User" })
local total = users:count()
local run = script.run("observer-report", total)
local out <close> = lcanvas.csv.writer(output, { "observer_id", "observer_name", "observer_login",
  "observee_id", "observee_name", "observee_login" })
local observers, links = 0, 0
for user in users do
  local ok, err = script.try(function()
    local n = 0
    for o in user:get_observees() do
      out:write({ user.id, user.name, user.login_id, o.id, o.name, o.login_id })
      n = n + 1
    end
    if n > 0 then observers, links = observers + 1, links + n end
  end)
  run:record(ok and "read" or "failed", "user " .. tostring(user.id), not ok and script.message(err) or nil)
end
out:close()
io.stderr:write(string.format("observer-report: %d observers, %d links\n", observers, links))
return run:finish(output)
