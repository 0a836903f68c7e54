--- Small value helpers the sandbox's routes share.
local M = {}

--- Enrollment types by the course-level base role a parameter names.
M.ENROLLMENT_TYPES = { student = "StudentEnrollment", teacher = "TeacherEnrollment", ta = "TaEnrollment",
  observer = "ObserverEnrollment", designer = "DesignerEnrollment" }

--- A shallow copy.
function M.copy(v)
  local t = {}
  for k, x in pairs(v) do t[k] = x end
  return t
end

--- A parameter that may be one value or a list (include[]=a or include=a), as a list.
function M.array_of(v)
  if v == nil then return {} end
  if type(v) == "table" then return v end
  return { v }
end

--- A parameter's values (one, or a list) as a set of strings.
function M.set_of(list)
  local s = {}
  for _, x in ipairs(M.array_of(list)) do s[tostring(x)] = true end
  return s
end

function M.to_int(v)
  return math.tointeger(tonumber(v))
end

--- Canvas's value_to_boolean, for form strings and JSON booleans.
function M.truthy(v)
  return v == true or v == "true" or v == "1" or v == "on" or v == "yes" or v == 1
end

--- The narrower flag test some endpoints were written with (only true,
-- "true" and "1"); kept apart from truthy so their answers stay the same.
function M.is_true(v)
  return v == true or v == "true" or v == "1"
end

--- UTC time in Canvas's ISO 8601 form; `t` defaults to now.
function M.iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

--- Lower-case hex of every byte of `s`.
function M.hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

--- Is account `id` the user's account or one of its ancestors?
function M.in_account(store, u, id)
  local a = store.accounts[u.account_id]
  while a do
    if a.id == id then return true end
    a = store.accounts[a.parent_account_id]
  end
  return false
end

return M
