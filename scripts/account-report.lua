-- account-report.lua: run an account report, wait for it, download its file.
local script = require "lcanvas.script"
local ids = require "lcanvas.ids"

local USAGE = [[
usage: lcanvas [--sandbox] scripts/account-report.lua REPORT [NAME=VALUE...] [options]
       lcanvas [--sandbox] scripts/account-report.lua --list

Runs an account report (POST accounts/:id/reports/:report), waits for it
with a progress line and downloads its file (a CSV, or a zip when the
report makes several) through Canvas's redirect to its file store.
NAME=VALUE pairs are the report's parameters, e.g.
  provisioning_csv users=true courses=true enrollment_term_id=sis_term_id:2026-FA
The report and its parameters are checked against the account's list of
reports first (Canvas checks neither: a typo would only give a wrong or
failed report).

options:
  --account ID       the account (default: 1)
  --output FILE      where the file goes (default: the name Canvas gives it)
  --timeout SECONDS  stop waiting after this long (default: 6 hours; the
                     report goes on in Canvas)
  --poll SECONDS     ask Canvas this often (default: every 1 s, then less
                     often up to every 3 s)
  --list             the reports the account can run, with their parameters

The file appears complete when the download ends, or not at all.
Exit status: 0 downloaded, 1 the report ended in error or was aborted, the
wait timed out or the download failed, 2 bad usage (an unknown report or
parameter), 130 interrupted (the report goes on in Canvas).
]]

local opts, pos = script.options(USAGE, { account = "value", output = "value", timeout = "value", poll = "value",
  list = "flag" }, arg)
local timeout = opts.timeout and tonumber(opts.timeout)
if opts.timeout and not (timeout and timeout > 0) then
  script.fail("account-report: --timeout must be a number of seconds (got '%s')", opts.timeout)
end

local poll = opts.poll and tonumber(opts.poll)
if opts.poll and not (poll and poll > 0) then
  script.fail("account-report: --poll must be a number of seconds (got '%s')", opts.poll)
end

local ok, account = script.try(canvas.get_account, canvas, script.ref(opts.account or "1", ids.accounts,
  "sis_account_id"))
if not ok then
  if script.is_not_found(account) then script.fail("account-report: no account %s", opts.account or "1") end
  io.stderr:write("account-report: cannot read the account: ", script.message(account), "\n")
  os.exit(script.ROW_FAILED)
end

-- The reports this account can run, by name.
local available, order = {}, {}
for r in account:get_reports() do
  available[r.report] = r
  order[#order + 1] = r.report
end
table.sort(order)

local function describe(r)
  local lines = { string.format("%s: %s", r.report, tostring(r.title)) }
  local names = {}
  for name in pairs(type(r.parameters) == "table" and r.parameters or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local p = r.parameters[name]
    lines[#lines + 1] = string.format("    %s%s  %s", name, type(p) == "table" and p.required and " (required)" or "",
      type(p) == "table" and tostring(p.description or "") or "")
  end
  return table.concat(lines, "\n")
end

if opts.list then
  for _, name in ipairs(order) do io.write(describe(available[name]), "\n") end
  return 0
end

local report = pos[1] or script.fail("account-report: which report? (--list shows them; see --help)")
local spec = available[report]
if not spec then
  script.fail("account-report: account %s has no report '%s'; it has: %s", tostring(account.id), report,
    table.concat(order, ", "))
end
local params, known = {}, type(spec.parameters) == "table" and spec.parameters or {}
for i = 2, #pos do
  local name, value = pos[i]:match("^([%w_]+)=(.*)$")
  if not name then script.fail("account-report: '%s' is not NAME=VALUE", pos[i]) end
  if known[name] == nil then
    local names = {}
    for n in pairs(known) do names[#names + 1] = n end
    table.sort(names)
    script.fail("account-report: %s has no parameter '%s' (it takes: %s)", report, name,
      #names > 0 and table.concat(names, ", ") or "none")
  end
  params[name] = value
end
for name, p in pairs(known) do
  if type(p) == "table" and p.required and params[name] == nil then
    script.fail("account-report: %s needs %s=... (%s)", report, name, tostring(p.description or ""))
  end
end
if opts.output then script.check_writable(opts.output) end

-- Run, wait, download.
local run = account:create_report(report, { parameters = params })
script.wait(run, { timeout = timeout, interval = poll, max_interval = poll })
if run.dry_run then
  io.stderr:write("account-report: dry run: the report and its parameters were checked; nothing was started\n")
  return 0
end
if run.status ~= "complete" then
  local why = type(run.parameters) == "table" and run.parameters.extra_text
  io.stderr:write(string.format("account-report: report %s %s ended %s%s\n", report, tostring(run.id),
    tostring(run.status), why and (": " .. tostring(why)) or ""))
  return script.ROW_FAILED
end
local output = opts.output
  or (type(run.attachment) == "table" and type(run.attachment.filename) == "string"
    and run.attachment.filename:match("^%w[%w._-]*$") and run.attachment.filename)
  or string.format("%s-%s.%s", report, tostring(run.id), "csv")
local dl_ok, written, size = script.try(run.download, run, output)
if not dl_ok then
  io.stderr:write(string.format("account-report: report %s %s is complete, but the download failed: %s\n",
    report, tostring(run.id), script.message(written)))
  return script.ROW_FAILED
end
io.stderr:write(string.format("account-report: report %s %s: %d bytes in %s\n", report, tostring(run.id), size,
  written))
return 0
