-- catalog-sync.lua: make Catalog users' custom fields match a CSV.
local lcanvas = require "lcanvas"
local script = require "lcanvas.script"

local USAGE = [[
usage: lcanvas [--sandbox] [--dry-run] scripts/catalog-sync.lua FIELDS.csv [options]

Reconciles the custom_fields of Canvas Catalog users with FIELDS.csv. The
CSV has a key column, `canvas_user_id` (the user's Canvas id) or
`catalog_id` (the Catalog id), and one column per custom field. A field
whose value differs is set (PUT users/:id in Catalog); an empty cell
leaves the field alone, unless --clear-empty removes it. Every user is
found in Catalog before anything changes: an unknown user stops the run
with nothing changed. The diff per user is printed on stdout, so
`--dry-run` shows exactly what a real run would change.

options:
  --results FILE   results CSV (default: FIELDS.results.csv)
  --clear-empty    an empty cell deletes the custom field

Needs a Catalog: CANVAS_CATALOG_URL and CANVAS_CATALOG_TOKEN, a profile
with catalog_url and catalog_token_file, or --sandbox.
Columns written: line, key, catalog_id, status (updated, would update,
unchanged, failed), changes, message.
Exit status: 0 all rows done, 1 some rows failed (listed), 2 bad usage or input.
]]

local opts, pos = script.options(USAGE, { results = "value", clear_empty = "flag" }, arg)
local input = pos[1] or script.fail("catalog-sync: a CSV file is needed (see --help)")
local results_path = opts.results or script.default_results(input, "results.csv")
script.check_writable(results_path)
local ok_catalog = pcall(function() return catalog.client end)
if not ok_catalog then script.fail("catalog-sync: no Catalog configured (see --help)") end

local rows, header, lines = script.read_csv(input)
local key
for _, h in ipairs(header) do
  if h == "canvas_user_id" or h == "catalog_id" then
    if key then script.fail("catalog-sync: %s has both canvas_user_id and catalog_id columns; keep one", input) end
    key = h
  end
end
if not key then script.fail("catalog-sync: %s needs a canvas_user_id or a catalog_id column", input) end
local fields = {}
for _, h in ipairs(header) do if h ~= key then fields[#fields + 1] = h end end
if #fields == 0 then script.fail("catalog-sync: %s has no custom field columns", input) end

-- Every Catalog user, by the key column's value (one pass over the list).
local index = {}
for u in catalog:get_users() do
  local k = key == "canvas_user_id" and u.canvas_user_id or u.id
  if k ~= nil and k ~= lcanvas.null then index[tostring(k)] = u end
end
local problems, seen = {}, {}
for i, row in ipairs(rows) do
  local k = (row[key] or ""):match("^%s*(.-)%s*$")
  row.key = k
  if k == "" then
    problems[#problems + 1] = string.format("line %d: the %s is empty", lines[i], key)
  elseif not index[k] then
    problems[#problems + 1] = string.format("line %d: no Catalog user with %s %s", lines[i], key, k)
  elseif seen[k] then
    problems[#problems + 1] = string.format("line %d: %s %s already appears on line %d", lines[i], key, k, seen[k])
  end
  seen[k] = seen[k] or lines[i]
end
if #problems > 0 then
  script.fail("catalog-sync: %s has problems; nothing was changed:\n  %s", input, table.concat(problems, "\n  "))
end

local function show(v) return v == nil and "(none)" or string.format("%q", v) end

local dry = catalog.client:is_dry_run()
local run = script.run("catalog-sync", #rows)
local out <close> = lcanvas.csv.writer(results_path,
  { "line", "key", "catalog_id", "status", "changes", "message" })
for i, row in ipairs(rows) do
  local u = index[row.key]
  local current = u.custom_fields or {}
  local changes, described = {}, {}
  for _, f in ipairs(fields) do
    local want = row[f]
    if want == "" then want = nil end
    local have = current[f]
    if have == lcanvas.null then have = nil end
    if want ~= nil and want ~= have then
      changes[f] = want
    elseif want == nil and opts.clear_empty and have ~= nil then
      changes[f] = lcanvas.null
    end
    if changes[f] ~= nil then
      described[#described + 1] = string.format("%s: %s -> %s", f, show(have), show(want))
    end
  end
  local result = { line = lines[i], key = row.key, catalog_id = u.id, changes = table.concat(described, "; ") }
  local failure
  if #described == 0 then
    result.status = "unchanged"
  else
    io.stdout:write(string.format("%s %s (%s): %s\n", key, row.key, tostring(u.user_name or u.id),
      result.changes))
    local ok, err = script.try(function()
      -- Under --dry-run the PUT is printed and counted, not sent.
      u:edit({ custom_fields = changes })
      result.status = dry and "would update" or "updated"
    end)
    if not ok then failure = err end
  end
  run:write(out, result, failure)
end
out:close()
return run:finish(results_path)
