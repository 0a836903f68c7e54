-- custom-data-backup.lua: save a custom data namespace of users to a JSON
-- file, and put it back.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"

local USAGE = [[
usage: lcanvas [--sandbox] scripts/custom-data-backup.lua backup --ns NS --users USERS.csv [--output FILE.json]
       lcanvas [--sandbox] [--dry-run] scripts/custom-data-backup.lua restore FILE.json [--ns NS] [--results FILE]

backup   reads the custom data stored under namespace NS (GET
         users/:id/custom_data?ns=NS) of every user in USERS.csv (a `user`
         column: login id, sis_user_id:X or Canvas id) and writes one JSON
         file (default: custom-data-NS.json). Users without data are listed
         with "data": null. Every user is looked up first; an unknown user
         or one listed twice (however spelled) stops the run with no file
         written.
restore  stores each user's data from such a file back (PUT
         users/:id/custom_data, a JSON body; exact integers and types are
         kept). --ns overrides the file's namespace. Users without data in
         the file are skipped; a user with two entries stops the run with
         nothing restored. Results go to FILE.restore-results.csv.

Exit status: 0 all done, 1 some users failed (listed), 2 bad usage or input.
]]

local opts, pos = script.options(USAGE, { ns = "value", users = "value", output = "value",
  results = "value" }, arg)
local mode = pos[1]
if mode ~= "backup" and mode ~= "restore" then
  script.fail("custom-data-backup: say backup or restore (see --help)")
end

if mode == "backup" then
  local ns = opts.ns or script.fail("custom-data-backup: backup needs --ns NAMESPACE")
  local users_csv = opts.users or script.fail("custom-data-backup: backup needs --users FILE.csv")
  local output = opts.output or ("custom-data-" .. ns:gsub("[^%w._-]", "_") .. ".json")
  script.check_writable(output)
  local rows, lines, users, problems = script.read_user_csv(users_csv, { "user" })
  if #problems > 0 then
    script.fail("custom-data-backup: %s has problems; nothing was written:\n  %s", users_csv,
      table.concat(problems, "\n  "))
  end
  local run = script.run("custom-data-backup", #rows)
  local entries = {}
  for i, row in ipairs(rows) do
    local u = users[row.user_ref]
    local ok, data = script.try(u.get_custom_data, u, ns)
    local status
    if ok then
      status = "saved"
    elseif lcanvas.is_error(data, "BadRequest") then
      -- Canvas answers 400 when nothing is stored under the namespace.
      ok, data, status = true, nil, "no data"
    end
    if ok then
      entries[#entries + 1] = { user = row.user, id = u.id, data = data == nil and lcanvas.null or data }
      run:record(status, lines[i])
    else
      run:record("failed", lines[i], script.message(data))
    end
  end
  if #run.failures == 0 then
    local out <close> = lcanvas.outfile.open(output)
    out:write(lcanvas.json.encode({ ns = ns, users = entries }), "\n")
  end
  return run:finish(#run.failures == 0 and output or nil)
end

-- restore
local input = pos[2] or script.fail("custom-data-backup: restore needs the backup FILE.json")
local results = opts.results or (input:gsub("%.json$", "") .. ".restore-results.csv")
script.check_writable(results)
local f = io.open(input, "rb") or script.fail("custom-data-backup: cannot read %s", input)
local text = f:read("a")
f:close()
local backup, why = lcanvas.json.decode(text)
if type(backup) ~= "table" or type(backup.users) ~= "table" then
  script.fail("custom-data-backup: %s is not a backup file (%s)", input, why or "no users list")
end
local ns = opts.ns or backup.ns
if type(ns) ~= "string" or ns == "" then script.fail("custom-data-backup: %s names no namespace; give --ns", input) end
local refs, problems = {}, {}
for i, e in ipairs(backup.users) do
  if type(e) ~= "table" or (e.id == nil and e.user == nil) then
    problems[#problems + 1] = string.format("entry %d: no user id", i)
  else
    e.ref = e.id or script.user_ref(e.user)
    refs[#refs + 1] = e.ref
  end
end
local users, unknown = script.resolve_users(refs)
local first_entry = {}  -- Canvas id -> the entry it first appears in
for i, e in ipairs(backup.users) do
  if e.ref and unknown[e.ref] then
    problems[#problems + 1] = string.format("entry %d: user %s: %s", i, tostring(e.user or e.id), unknown[e.ref])
  elseif e.ref then
    local id = tostring(users[e.ref].id)
    if first_entry[id] then
      problems[#problems + 1] = string.format("entry %d: same user as entry %d", i, first_entry[id])
    else
      first_entry[id] = i
    end
  end
end
if #problems > 0 then
  script.fail("custom-data-backup: %s has problems; nothing was restored:\n  %s", input,
    table.concat(problems, "\n  "))
end
local run = script.run("custom-data-backup", #backup.users)
local out <close> = lcanvas.csv.writer(results, { "entry", "user", "user_id", "status", "message" })
for i, e in ipairs(backup.users) do
  local u = users[e.ref]
  local row = { entry = i, user = e.user or e.id, user_id = u.id }
  if e.data == nil or e.data == lcanvas.null then
    row.status = "no data"
  else
    local ok, err = script.try(u.set_custom_data, u, ns, nil, e.data)
    if ok then row.status = canvas:is_dry_run() and "would restore" or "restored"
    else row.status, row.message = "failed", script.message(err) end
  end
  out:write(row)
  run:record(row.status, "entry " .. i, row.message)
end
out:close()
return run:finish(results)
