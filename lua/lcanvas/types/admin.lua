--- lcanvas.Admin: a user's admin role in an account ({id, role, role_id,
-- user}). Entry points: Account:get_admins, create_admin, delete_admin.
-- From app/controllers/admins_controller.rb and lib/api/v1/admin.rb.
local core = require "lcanvas.core"
local args = require "lcanvas.args"

core.define_type("Admin", { format = "{role} ({id})", doc = "a user's admin role in an account" })

core.define_rows("Account", {
  { name = "get_admins", method = "GET", path = "accounts/{id}/admins", returns = "Admin", list = true,
    params = { "user_id" }, arrays = { "user_id" }, source = "AdminsController#index",
    doc = "The account's admins: params user_id = {ids...} (SIS ids work; unknown ones are dropped " ..
      "by Canvas)." },
})

local Account = core.methods("Account")
local argerror = args.argerror

-- Canvas's require_role takes a role_id it cannot find (a typo, another
-- account's role, a name where an id belongs) as no role at all and falls
-- back to AccountAdmin: a create would make a full admin, a delete would
-- remove the AccountAdmin row. So a role is found in the account's roles
-- first, and refused when it is not there.
local function role_id_of(account, role, fname, argn)
  if role == nil then return nil end
  if core.is_object(role, "Role") then return role.id end
  if math.type(role) == "integer" or (type(role) == "string" and role:match("^%d+$")) then
    local ok, r = pcall(Account.get_role, account, role)
    if ok then return r.id end
    if core.is_object(r) or not (type(r) == "table" and r.kind == "ResourceDoesNotExist") then error(r, 0) end
    argerror(argn, fname, string.format("no role %s in account %s: Canvas would use AccountAdmin instead",
      tostring(role), tostring(account.id)), 4)
  end
  if type(role) == "string" and role ~= "" then
    for r in Account.get_roles(account, { show_inherited = true }) do
      if r.role == role or r.label == role then return r.id end
    end
    argerror(argn, fname, string.format("no role named \"%s\" in account %s: Canvas would use " ..
      "AccountAdmin instead", role, tostring(account.id)), 4)
  end
  argerror(argn, fname, "role must be a Role, a role id or a role name, got " .. type(role), 4)
end

local function admin_path(self, fname, user)
  local base = "accounts/" .. args.segment(self, 0, fname) .. "/admins"
  return user and (base .. "/" .. args.segment(user, 1, fname)) or base
end

-- Not a row: the role is looked up before anything changes (see above).
--- Account:create_admin(user [, role [, params]]): make a user (a User, an id or "sis_user_id:X") an admin of the account with role (a Role, a role id or a role name; AccountAdmin without one), checked against the account's roles before sending since Canvas makes a role it cannot find AccountAdmin; params send_confirmation. Returns the Admin.
function Account.create_admin(self, user, role, params)
  if type(role) == "table" and not core.is_object(role) and params == nil then role, params = nil, role end
  if user == nil then argerror(1, "create_admin", "a user is required (got nil)") end
  args.segment(user, 1, "create_admin")   -- a usable id, refused here if not
  local p = args.params_with(params, 3, "create_admin")
  for k in pairs(p) do
    if k ~= "send_confirmation" then
      argerror(3, "create_admin", string.format("Canvas does not read '%s' here and would ignore it: " ..
        "AdminsController#create reads user_id, role_id, send_confirmation", tostring(k)))
    end
  end
  p.user_id = user
  p.role_id = role_id_of(self, role, "create_admin", 2)
  local c = core.client_of(self)
  return core.object("Admin", c:request("POST", admin_path(self, "create_admin"), p), c)
end

-- Not a row: the same role check as create_admin.
--- Account:delete_admin(user [, role]): remove a user's admin role in the account (AccountAdmin without one; a Role, a role id or a role name, checked against the account's roles first, since Canvas would remove the AccountAdmin row for a role it cannot find). Returns the Admin, now deleted.
function Account.delete_admin(self, user, role)
  if user == nil then argerror(1, "delete_admin", "a user is required (got nil)") end
  local path = admin_path(self, "delete_admin", user)
  local rid = role_id_of(self, role, "delete_admin", 2)
  local c = core.client_of(self)
  return core.object("Admin", c:request("DELETE", path, rid and { role_id = rid } or nil), c)
end

core.describe_hand("Account", {
  create_admin = { method = "POST", path = "accounts/{id}/admins", args = { "user", "role" },
    sends = { "user_id", "role_id" }, params = { "user_id", "role_id", "role", "send_confirmation" },
    source = "AdminsController#create" },
  delete_admin = { method = "DELETE", path = "accounts/{id}/admins/{1}", args = { "user", "role" },
    sends = { "role_id" }, params = { "role_id", "role" }, unknown = "none",
    source = "AdminsController#destroy" },
})

core.define_type("Account", { examples = { args = {
  create_admin = { 11, "AccountAdmin" },
  delete_admin = function(w)
    local a = w.canvas:get_account(1)
    a:create_admin(11)
    return a, { 11 }
  end,
} } })

return Account
