--- lcanvas.script.sis_files: SIS import files checked before they go to
-- Canvas: which kind of file each CSV is (Canvas decides by its header
-- row alone, lib/sis/csv/import_refactored.rb and each importer's
-- `*_csv?`), and the rows Canvas would refuse or skip (an identifier left
-- empty, a status it does not know). Canvas reports those only after the
-- upload, as import errors; checked here, a file with problems is never
-- sent.
local csv = require "lcanvas.script.csv"

local M = {}

local function has(set, ...)
  for _, k in ipairs({ ... }) do if not set[k] then return false end end
  return true
end

-- In Canvas's order (the first match wins): each kind's header test as its
-- importer has it, the cells a row must fill, and the statuses it takes
-- (matched case-insensitively, as the importers' /\A(...)/i do).
M.KINDS = {
  { kind = "change_sis_id", test = function(h) return h.old_id or h.old_integration_id end },
  { kind = "account", test = function(h) return has(h, "account_id", "parent_account_id") end,
    needs = { "account_id" }, status = { "active", "deleted" } },
  { kind = "term", test = function(h) return has(h, "term_id", "name") end,
    needs = { "term_id", "name" }, status = { "active", "deleted" } },
  { kind = "abstract_course",
    test = function(h) return h.abstract_course_id and not h.course_id and h.short_name end },
  { kind = "course", test = function(h) return has(h, "course_id", "short_name") end,
    needs = { "course_id", "short_name", "long_name" },
    status = { "active", "deleted", "completed", "unpublished", "published" } },
  { kind = "section", test = function(h) return has(h, "section_id", "name") end,
    needs = { "section_id", "course_id", "name" }, status = { "active", "deleted" } },
  { kind = "xlist", test = function(h) return has(h, "xlist_course_id", "section_id") end,
    needs = { "xlist_course_id", "section_id" }, status = { "active", "deleted" } },
  { kind = "user", test = function(h) return has(h, "user_id", "login_id") end,
    needs = { "user_id", "login_id" }, status = { "active", "suspended", "deleted" } },
  { kind = "enrollment",
    test = function(h) return (h.section_id or h.course_id) and (h.user_id or h.user_integration_id) end,
    one_of = { { "course_id", "section_id" }, { "user_id", "user_integration_id" } },
    status = { "active", "deleted", "completed", "inactive", "deleted_last_completed" } },
  { kind = "admin", test = function(h) return has(h, "account_id", "user_id") end },
  { kind = "group_category", test = function(h) return has(h, "group_category_id", "category_name") end },
  { kind = "group", test = function(h) return has(h, "group_id", "name") end },
  { kind = "group_membership", test = function(h) return has(h, "group_id", "user_id") end },
  { kind = "grade_publishing_results",
    test = function(h) return has(h, "enrollment_id", "grade_publishing_status") end },
  { kind = "user_observer", test = function(h) return has(h, "observer_id", "student_id") end },
  { kind = "login",
    test = function(h) return h.existing_user_id or h.existing_integration_id or h.existing_canvas_user_id end },
}

--- lcanvas.script.sis_files.identify(header): the kind of SIS file a header row makes ("user", "course", ...), or nil when Canvas would not recognise it.
function M.identify(header)
  local set = {}
  for _, h in ipairs(header) do set[h:lower()] = true end
  for _, k in ipairs(M.KINDS) do
    if k.test(set) then return k.kind, k end
  end
end

local function blank(v) return v == nil or v:match("^%s*$") ~= nil end

local function status_ok(spec, v)
  v = v:lower()
  for _, s in ipairs(spec.status) do
    if v:sub(1, #s) == s then return true end
  end
  return false
end

--- lcanvas.script.sis_files.check_text(name, text): checks one CSV; returns its kind (nil if unknown), its number of rows and a list of problems ("users.csv:4: no user_id").
function M.check_text(name, text)
  local problems = {}
  local function problem(line, fmt, ...)
    problems[#problems + 1] = string.format("%s:%d: " .. fmt, name, line, ...)
  end
  if not utf8.len(text) then
    problem(1, "not valid UTF-8 (Canvas refuses the file: save it as UTF-8)")
    return nil, 0, problems
  end
  local ok, rows, lines = pcall(csv.parse, text, name)
  if not ok then
    problems[#problems + 1] = tostring(rows)
    return nil, 0, problems
  end
  local header = table.remove(rows, 1)
  table.remove(lines, 1)
  if not header then
    problem(1, "empty (Canvas skips an empty file)")
    return nil, 0, problems
  end
  for i, h in ipairs(header) do header[i] = h:match("^%s*(.-)%s*$"):lower() end
  local kind, spec = M.identify(header)
  if not kind then
    problem(1, "Canvas would not recognise this file: its header (%s) matches no SIS file kind (users " ..
      "need user_id and login_id, courses course_id and short_name, enrollments course_id or section_id " ..
      "and user_id, ...)", table.concat(header, ","))
    return nil, #rows, problems
  end
  local col = {}
  for i, h in ipairs(header) do col[h] = i end
  if spec.status and not col.status then
    problem(1, "no status column (every %s row needs one: %s)", kind, table.concat(spec.status, ", "))
  end
  for _, need in ipairs(spec.needs or {}) do
    if not col[need] then problem(1, "no %s column (every %s row needs one)", need, kind) end
  end
  for r, row in ipairs(rows) do
    local line = lines[r]
    if #row ~= #header then
      problem(line, "%d fields, but the header has %d", #row, #header)
    else
      for _, need in ipairs(spec.needs or {}) do
        if col[need] and blank(row[col[need]]) then problem(line, "no %s", need) end
      end
      for _, pair in ipairs(spec.one_of or {}) do
        local any = false
        for _, c in ipairs(pair) do
          if col[c] and not blank(row[col[c]]) then any = true end
        end
        if not any then problem(line, "neither %s", table.concat(pair, " nor ")) end
      end
      if spec.status and col.status then
        local v = row[col.status]
        if blank(v) then
          problem(line, "no status")
        elseif not status_ok(spec, v) then
          problem(line, "status \"%s\" is not one of %s", v, table.concat(spec.status, ", "))
        end
      end
    end
  end
  return kind, #rows, problems
end

return M
