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

-- Built-in roles (Role.built_in_roles), for seeds that name none.
local BUILT_IN_ROLES = { "AccountAdmin", "StudentEnrollment", "TeacherEnrollment", "TaEnrollment",
  "DesignerEnrollment", "ObserverEnrollment" }

function M:reset()
  local s = deep_copy(self.seed)
  self.accounts, self.courses, self.enrollments = {}, {}, s.enrollments or {}
  self.users, self.by_sis, self.by_login = {}, {}, {}
  self.user_order = {}
  for _, a in ipairs(s.accounts or {}) do self.accounts[a.id] = a end
  for _, c in ipairs(s.courses or {}) do self.courses[c.id] = c end
  for _, u in ipairs(s.users or {}) do self:add_user(u) end
  self.tokens = s.tokens or {}
  self.custom_data = {}   -- user id -> ns -> data
  self.next_id = 1000
  self.areas = {}         -- name -> state owned by one routes/ module
  self:load_admin_types(s)
end

-- Terms, sections, roles and account memberships, with the fields an older
-- seed (accounts, courses, enrollments and an `admins` set) leaves out
-- filled in as Canvas would have them: a default term per root account, a
-- default section per course, built-in roles, AccountAdmin memberships.
function M:load_admin_types(s)
  self.terms, self.sections, self.roles, self.account_users = {}, {}, {}, {}
  for _, a in pairs(self.accounts) do
    a.workflow_state = a.workflow_state or "active"
    if a.parent_account_id == nil then a.root_account_id = nil end
    a.uuid = a.uuid or string.format("SbxAccountUuid%026d", a.id)
  end
  local roles = s.roles
  if not roles then
    roles = {}
    for i, name in ipairs(BUILT_IN_ROLES) do
      roles[i] = { id = i, name = name, workflow_state = "built_in",
        base_role_type = i == 1 and "AccountMembership" or name }
    end
  end
  for _, r in ipairs(roles) do self.roles[r.id] = r end
  local terms = s.terms or {}
  for _, t in ipairs(terms) do self.terms[t.id] = t end
  for _, root in ipairs(self:root_accounts()) do
    if not self:default_term(root.id) then
      local t = { id = self:new_id(), name = "Default Term", root_account_id = root.id, workflow_state = "active",
        default = true }
      self.terms[t.id] = t
    end
  end
  for _, c in pairs(self.courses) do
    c.root_account_id = c.root_account_id or self:root_of(c.account_id)
    c.enrollment_term_id = c.enrollment_term_id or self:default_term(c.root_account_id).id
    c.workflow_state = c.workflow_state or "available"
    c.uuid = c.uuid or string.format("SbxCourseUuid%027d", c.id)
  end
  for _, x in ipairs(s.sections or {}) do
    x.workflow_state = x.workflow_state or "active"
    self.sections[x.id] = x
  end
  local default_of = {}
  for _, x in pairs(self.sections) do
    if x.default_section then default_of[x.nonxlist_course_id or x.course_id] = x end
  end
  for _, c in pairs(self.courses) do
    if not default_of[c.id] then
      local x = { id = self:new_id(), course_id = c.id, name = c.name, default_section = true,
        workflow_state = "active" }
      self.sections[x.id], default_of[c.id] = x, x
    end
  end
  local role_by_name = {}
  for _, r in pairs(self.roles) do role_by_name[r.name] = r end
  for _, e in ipairs(self.enrollments) do
    e.role = e.role or e.type
    e.role_id = e.role_id or (role_by_name[e.role] or {}).id
    e.course_section_id = e.course_section_id or (default_of[e.course_id] or {}).id
    e.root_account_id = e.root_account_id or (self.courses[e.course_id] or {}).root_account_id
  end
  for _, au in ipairs(s.account_users or {}) do self.account_users[#self.account_users + 1] = au end
  if not s.account_users then
    -- The older seed shape: a set of user ids with admin rights on the root.
    local ids = {}
    for uid, yes in pairs(s.admins or {}) do if yes then ids[#ids + 1] = uid end end
    table.sort(ids)
    for i, uid in ipairs(ids) do
      self.account_users[i] = { id = i, account_id = self:root_accounts()[1].id, user_id = uid,
        role_id = role_by_name.AccountAdmin.id, workflow_state = "active" }
    end
  end
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

--- A new account membership (AccountUser), active: what AdminsController
-- creates, and how a spec or script gives someone a role on an account.
function M:add_account_user(account_id, user_id, role_id)
  local au = { id = self:new_id(), account_id = account_id, user_id = user_id, role_id = role_id,
    workflow_state = "active" }
  self.account_users[#self.account_users + 1] = au
  return au
end

--- A new custom role: `fields` has name, base_role_type (AccountMembership
-- for an account role, or a course type), account_id and, optionally,
-- permissions ({name = true|false}, over the base role's defaults).
function M:add_role(fields)
  local role = { id = self:new_id(), workflow_state = "active" }
  for k, v in pairs(fields) do role[k] = v end
  self.roles[role.id] = role
  return role
end

-- Accounts, terms, courses and sections --------------------------------------

--- The root accounts, by id.
function M:root_accounts()
  local out = {}
  for _, a in pairs(self.accounts) do if not a.parent_account_id then out[#out + 1] = a end end
  table.sort(out, function(x, y) return x.id < y.id end)
  return out
end

--- The id of the root account above account `id` (itself for a root).
function M:root_of(id)
  local a, guard = self.accounts[id], 0
  while a and a.parent_account_id and guard < 100 do a, guard = self.accounts[a.parent_account_id], guard + 1 end
  return a and a.id
end

--- Is account `id` the account `ancestor` or below it?
function M:account_under(id, ancestor)
  local a, guard = self.accounts[id], 0
  while a and guard < 100 do
    if a.id == ancestor then return true end
    a, guard = self.accounts[a.parent_account_id], guard + 1
  end
  return false
end

--- The default term of a root account.
function M:default_term(root_id)
  for _, t in pairs(self.terms) do
    if t.root_account_id == root_id and t.default then return t end
  end
end

--- Splits an API id the way lib/api.rb sis_parse_id does: "42" gives
-- ("id", 42); "sis_course_id:X" and "lti_context_id:X" give the column and
-- X; "hex:sis_course_id:4142" the column and the decoded bytes; "uuid:X"
-- (40 or more word characters) gives ("uuid", X). Anything else: nil.
function M.parse_api_id(ref)
  if math.type(ref) == "integer" then return "id", ref end
  ref = tostring(ref or ""):match("^%s*(.-)%s*$")
  local function sis_or_lti(col) return col:find("^sis_") or col:find("^lti_") end
  local col, hex = ref:match("^hex:([%w_]+):(%x+)$")
  if col then
    if not sis_or_lti(col) or #hex % 2 == 1 then return nil end
    return col, (hex:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
  end
  local k, v = ref:match("^([%w_]+):(.+)$")
  if k and sis_or_lti(k) then return k, v end
  if ref:match("^%d+$") and #ref <= 19 then return "id", math.tointeger(tonumber(ref)) end
  local uuid = ref:match("^uuid:([%w_]+)$")
  if uuid and #uuid >= 40 then return "uuid", uuid end
  return nil
end

-- Which record field each SIS_MAPPINGS lookup reads, per collection.
local LOOKUPS = {
  courses = { id = "id", sis_course_id = "sis_course_id", sis_integration_id = "integration_id",
    lti_context_id = "lti_context_id", uuid = "uuid" },
  sections = { id = "id", sis_section_id = "sis_section_id", sis_integration_id = "integration_id" },
  terms = { id = "id", sis_term_id = "sis_term_id", sis_integration_id = "integration_id" },
  accounts = { id = "id", sis_account_id = "sis_account_id", sis_integration_id = "integration_id",
    lti_context_id = "lti_context_id", uuid = "uuid" },
}

--- The record of collection `name` ("courses", "sections", "terms",
-- "accounts") an API id names, or nil (api_find's RecordNotFound).
function M:lookup(name, ref)
  local col, value = M.parse_api_id(ref)
  local field = col and LOOKUPS[name][col]
  if not field then return nil end
  local records = self[name]
  if field == "id" then return records[value] end
  for _, r in pairs(records) do
    if r[field] ~= nil and tostring(r[field]) == value then return r end
  end
end

--- Api.map_ids: the ids of the records a list of API ids names, unknown
-- SIS ids silently dropped (plain ids are kept whether or not they exist).
function M:map_ids(name, refs)
  local out, seen = {}, {}
  for _, ref in ipairs(refs) do
    local col, value = M.parse_api_id(ref)
    local id
    if col == "id" then id = value
    else
      local r = col and self:lookup(name, ref)
      id = r and r.id
    end
    if id and not seen[id] then seen[id], out[#out + 1] = true, id end
  end
  return out
end

--- An account by API id: also self and default (the domain root, 1 here).
-- site_admin names Canvas's site admin account, which the sandbox has not.
function M:find_account(ref)
  if ref == "self" or ref == "default" then return self:root_accounts()[1] end
  return self:lookup("accounts", ref)
end

--- A term of root account `root_id` by API id: also default, and current
-- (the one active dated term running at `now`, ISO 8601; none when two are,
-- as lib/api.rb api_find_all resolves it).
function M:find_term(root_id, ref, now)
  local t
  if ref == "default" then t = self:default_term(root_id)
  elseif ref == "current" then
    local found = {}
    for _, x in pairs(self.terms) do
      if x.root_account_id == root_id and x.workflow_state == "active" and (x.start_at or x.end_at)
          and (not x.start_at or x.start_at <= now) and (not x.end_at or x.end_at >= now) then
        found[#found + 1] = x
      end
    end
    t = #found == 1 and found[1] or nil
  else t = self:lookup("terms", ref) end
  if t and t.root_account_id == root_id then return t end
end

--- The sections of a course (cross-listed ones count for the course they are in now).
function M:sections_of(course_id)
  local out = {}
  for _, x in pairs(self.sections) do
    if x.course_id == course_id and x.workflow_state ~= "deleted" then out[#out + 1] = x end
  end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

--- The enrollments of a course, in id order.
function M:enrollments_in(course_id)
  local out = {}
  for _, e in ipairs(self.enrollments) do
    if e.course_id == course_id then out[#out + 1] = e end
  end
  return out
end

function M:enrollments_of(user_id)
  local out = {}
  for _, e in ipairs(self.enrollments) do
    if e.user_id == user_id then out[#out + 1] = e end
  end
  return out
end

return M
