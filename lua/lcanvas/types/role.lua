--- lcanvas.Role: a role of an account, built in (AccountAdmin,
-- StudentEnrollment...) or custom. Entry points: Account:get_roles,
-- get_role. From app/controllers/role_overrides_controller.rb (api_index,
-- show).
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"

core.define_type("Role", { format = "{label} ({id})", doc = "a role of an account" })

local Role = core.define_rows("Account", {
  { name = "get_roles", method = "GET", path = "accounts/{id}/roles", returns = "Role", list = true,
    params = { "state", "show_inherited" }, arrays = { "state" },
    source = "RoleOverridesController#api_index",
    doc = "The account's roles: params state = {\"active\"} (default; built-in roles come only with " ..
      "it) or {\"inactive\"}, show_inherited = true adds the parent accounts' custom roles." },
  { name = "get_role", method = "GET", path = "accounts/{id}/roles/{1}", returns = "Role",
    args = { { "role", ids = ids.plain, from = { Role = "id" } } },
    params = {}, source = "RoleOverridesController#show",
    doc = "One role, by id or Role." },
})

core.define_type("Account", { examples = { args = {
  get_role = function(w)
    local role = w.canvas:get_account(1):get_roles():first()
    return w.canvas:get_account(1), { role.id }
  end,
} } })

return Role
