-- export-users.lua: an account's users to CSV or JSON lines.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"

local USAGE = [[
usage: lcanvas [--sandbox] scripts/export-users.lua [options]

Writes the users of an account (GET accounts/:id/users) to a file.

options:
  --account ID          the account (default: 1)
  --search TERM         only users matching TERM (name, login, SIS id, email;
                        3 characters or more)
  --enrollment-type T   only users with this enrollment type in a course
                        (student, teacher, ta, observer, designer)
  --fields LIST         comma-separated fields (default:
                        id,name,sortable_name,login_id,sis_user_id,email;
                        also short_name, first_name, last_name,
                        integration_id, sis_import_id, avatar_url, locale,
                        time_zone, last_login, uuid, created_at, bio, pronouns)
  --format csv|jsonl    file format (default: from the output's extension,
                        else csv)
  --output FILE         where to write (default: users.csv)

The file appears complete when the export ends, or not at all.
Exit status: 0 done, 1 the export failed, 2 bad usage.
]]

local opts = script.options(USAGE, { account = "value", search = "value",
  enrollment_type = "value", fields = "value", format = "value", output = "value" }, arg)
local output = opts.output or "users.csv"
-- What Canvas's enrollment_type accepts, and the User fields an export can
-- hold (an unknown name would only give an empty column).
local ENROLLMENT_TYPES = { "student", "teacher", "ta", "observer", "designer" }
local FIELDS = { "id", "name", "sortable_name", "short_name", "first_name", "last_name", "login_id",
  "sis_user_id", "integration_id", "sis_import_id", "email", "avatar_url", "locale", "time_zone",
  "last_login", "uuid", "created_at", "bio", "pronouns" }
-- Fields Canvas sends only when asked with include[] (UsersController#api_index
-- keeps avatar_url, email, last_login, time_zone and uuid of what it is asked).
local INCLUDE = { email = true, last_login = true, avatar_url = true, time_zone = true, uuid = true }
local function member(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end
local format = opts.format or (output:match("%.jsonl$") and "jsonl") or "csv"
if format ~= "csv" and format ~= "jsonl" then
  script.fail("export-users: --format must be csv or jsonl (got '%s')", format)
end
local fields = {}
for f in (opts.fields or "id,name,sortable_name,login_id,sis_user_id,email"):gmatch("[^,%s]+") do
  fields[#fields + 1] = f
end
if #fields == 0 then script.fail("export-users: --fields names no field") end
for _, f in ipairs(fields) do
  if not member(FIELDS, f) then
    script.fail("export-users: unknown field '%s' in --fields (known: %s)", f, table.concat(FIELDS, ", "))
  end
end
if opts.enrollment_type and not member(ENROLLMENT_TYPES, opts.enrollment_type) then
  script.fail("export-users: --enrollment-type must be one of %s (got '%s')",
    table.concat(ENROLLMENT_TYPES, ", "), opts.enrollment_type)
end
if opts.search and #opts.search < 3 then
  script.fail("export-users: --search needs 3 characters or more (Canvas refuses shorter terms)")
end
local account = opts.account or "1"
if not account:match("^%d+$") and not account:match("^[%w_]+:.+") then
  script.fail("export-users: --account must be an id (got '%s')", account)
end

script.check_writable(output)

local include = {}
for _, f in ipairs(fields) do
  if INCLUDE[f] then include[#include + 1] = f end
end
local params = { search_term = opts.search, enrollment_type = opts.enrollment_type, include = include }
local users = canvas:list("accounts/" .. account .. "/users", params, { type = "User" })
-- The first page before any file is opened: a wrong account is a clear
-- one-line answer, not a traceback.
local ok, err = script.try(users.first, users)
if not ok then
  if script.is_not_found(err) then script.fail("export-users: no account %s", account) end
  io.stderr:write("export-users: cannot list the users of account ", account, ": ", script.message(err), "\n")
  os.exit(script.ROW_FAILED)
end

local out <close> = format == "csv" and lcanvas.csv.writer(output, fields) or lcanvas.jsonl.writer(output)
local n = 0
for user in users do
  local rec = {}
  for _, f in ipairs(fields) do rec[f] = user[f] end
  if format == "csv" then out:write(rec) else out:write(rec) end
  n = n + 1
end
out:close()
io.stderr:write(string.format("export-users: %d users written to %s\n", n, output))
return 0
