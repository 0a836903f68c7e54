--- lcanvas.script.users: users named in a script's input: a CSV cell as a
-- user reference, each distinct user looked up once, and the rows that
-- name no user, an unknown one or the same users as an earlier row.
local files = require "lcanvas.script.files"
local refs = require "lcanvas.script.refs"
local idsets = require "lcanvas.ids"

local M = {}

--- lcanvas.script.user_ref(cell): a user reference for a path: a Canvas id (digits), `type:value` (sis_user_id:X, sis_login_id:Y, ...) as given, anything else a login id (sis_login_id:).
function M.user_ref(cell)
  return refs.ref(cell, idsets.users, "sis_login_id")
end

--- lcanvas.script.resolve_users(refs): looks up every distinct user once; returns the users by reference and the references Canvas does not know. Any other error (network, token, permission) stops the script at once with exit status 1, nothing changed.
function M.resolve_users(user_refs)
  return refs.resolve(user_refs, function(ref) return canvas:get_user(ref) end, "user")
end

--- lcanvas.script.read_user_csv(path, columns): reads a CSV whose `columns` hold users (login ids or `sis_user_id:` ids), looks each user up once; returns the rows (each with `<column>_ref`), their line numbers, the users by reference and a list of problems, one line each (empty or unknown users, and rows naming the same users as an earlier row, however spelled).
function M.read_user_csv(path, columns)
  local rows, _, lines = files.read_csv(path, columns)
  local user_refs, problems = {}, {}
  for _, row in ipairs(rows) do
    for _, col in ipairs(columns) do
      row[col .. "_ref"] = M.user_ref(row[col])
      user_refs[#user_refs + 1] = row[col .. "_ref"]
    end
  end
  local users, unknown = M.resolve_users(user_refs)
  local first_line = {}  -- resolved ids of a row -> the line they first appear on
  for i, row in ipairs(rows) do
    local ids, complete = {}, true
    for _, col in ipairs(columns) do
      local ref = row[col .. "_ref"]
      if not ref then
        problems[#problems + 1] = string.format("line %d: the %s is empty", lines[i], col)
        complete = false
      elseif unknown[ref] then
        problems[#problems + 1] = string.format("line %d: %s '%s': %s", lines[i], col, row[col], unknown[ref])
        complete = false
      else
        ids[#ids + 1] = tostring(users[ref].id)
      end
    end
    if complete then
      -- Compared by Canvas id: a login and a sis_user_id of one user match.
      local key = table.concat(ids, ",")
      if first_line[key] then
        problems[#problems + 1] = string.format("line %d: same %s as line %d", lines[i],
          table.concat(columns, " and "), first_line[key])
      else
        first_line[key] = lines[i]
      end
    end
  end
  return rows, lines, users, problems
end

return M
