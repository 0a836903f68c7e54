--- lcanvas.Account: account-level Users API (listing, creating and
-- self-registering users). Client:get_account is a row in types/client.lua.
-- Every method is a row.
local core = require "lcanvas.core"

core.format("Account", "{name} ({id})")

return core.define_rows("Account", {
  { name = "get_users", method = "GET", path = "accounts/{id}/users", returns = "User", list = true,
    doc = "Users in this account; params search_term (3+ characters), enrollment_type, sort, order." },
  -- The positional tables become params.pseudonym / params.user (they win
  -- over the same keys in params).
  { name = "create_user", method = "POST", path = "accounts/{id}/users", returns = "User",
    args = { { "pseudonym", check = "table" } }, required = { "pseudonym.unique_id" },
    doc = "Create a user with a login; pseudonym.unique_id is required (params: user, " ..
      "communication_channel, ...)." },
  { name = "create_self_registered_user", method = "POST", path = "accounts/{id}/self_registration",
    returns = "User", args = { { "user", check = "table" }, { "pseudonym", check = "table" } },
    required = { "user.name", "user.terms_of_use", "pseudonym.unique_id" },
    doc = "Self-register a user; user.name, user.terms_of_use and pseudonym.unique_id are required." },
})
