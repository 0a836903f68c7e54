--- In-memory state, loaded from a seed and restorable by reset.
local M = {}
M.__index = M

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = deep_copy(x) end
  return setmetatable(t, getmetatable(v))
end
M.deep_copy = deep_copy

function M.new(seed)
  local self = setmetatable({ seed = seed }, M)
  self:reset()
  return self
end

function M:reset()
  local s = deep_copy(self.seed)
  self.accounts, self.courses, self.enrollments = {}, {}, s.enrollments or {}
  self.users, self.by_sis, self.by_login = {}, {}, {}
  self.user_order = {}
  for _, a in ipairs(s.accounts or {}) do self.accounts[a.id] = a end
  for _, c in ipairs(s.courses or {}) do self.courses[c.id] = c end
  for _, u in ipairs(s.users or {}) do self:add_user(u) end
  self.admins = s.admins or {}
  self.tokens = s.tokens or {}
  self.custom_data = {}   -- user id -> ns -> data
  self.next_id = 1000
  self.areas = {}         -- name -> state owned by one routes/ module
end

--- State owned by one routes module, made by init(store, seed) on first
-- use after a start or reset, so each module keeps its own tables.
function M:area(name, init)
  local a = self.areas[name]
  if a == nil then
    a = init(self, self.seed)
    self.areas[name] = a
  end
  return a
end

--- A fresh id for a new record (users, files, codes...).
function M:new_id()
  self.next_id = self.next_id + 1
  return self.next_id
end

function M:add_user(u)
  self.users[u.id] = u
  self.user_order[#self.user_order + 1] = u.id
  if u.sis_user_id then self.by_sis[u.sis_user_id] = u end
  if u.login_id then self.by_login[u.login_id:lower()] = u end
end

function M:remove_user(u)
  self.users[u.id] = nil
  if u.sis_user_id then self.by_sis[u.sis_user_id] = nil end
  if u.login_id then self.by_login[u.login_id:lower()] = nil end
  for i, id in ipairs(self.user_order) do
    if id == u.id then table.remove(self.user_order, i) break end
  end
end

--- Finds a user from a decoded path segment: 42, self, sis_user_id:X,
-- sis_login_id:X (case-insensitive), uuid:X.
function M:find_user(ref, self_id)
  if ref == "self" then return self.users[self_id] end
  local n = math.tointeger(tonumber(ref))
  if n and tostring(n) == ref then return self.users[n] end
  local kind, value = ref:match("^([%w_]+):(.+)$")
  if kind == "sis_user_id" then return self.by_sis[value] end
  if kind == "sis_login_id" then return self.by_login[value:lower()] end
  if kind == "uuid" then
    for _, u in pairs(self.users) do if u.uuid == value then return u end end
  end
  return nil
end

function M:all_users()
  local out = {}
  for _, id in ipairs(self.user_order) do out[#out + 1] = self.users[id] end
  return out
end

function M:is_admin(user_id)
  return self.admins[user_id] == true
end

function M:enrollments_of(user_id)
  local out = {}
  for _, e in ipairs(self.enrollments) do
    if e.user_id == user_id then out[#out + 1] = e end
  end
  return out
end

return M
