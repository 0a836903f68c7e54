--- lcanvas.Account: account-level Users API (listing, creating and
-- self-registering users). Client:get_account is a row in types/client.lua.
-- Every method is a row.
local core = require "lcanvas.core"

core.define_type("Account", { format = "{name} ({id})", doc = "an account or sub-account",
  -- What the endpoint spec runs against the sandbox (its root account).
  examples = {
    receiver = function(w) return w.canvas:get_account(1) end,
    args = {
      create_user = { { unique_id = "spec.endpoints" } },
      create_self_registered_user = { { name = "Spec Self", terms_of_use = true },
        { unique_id = "spec.self@example.com" } },
    },
  },
})

core.define_rows("Client", {
  { name = "get_accounts", method = "GET", path = "accounts", returns = "Account", list = true,
    params = { "include", "includes" }, include = { "lti_guid", "registration_settings", "services" },
    source = "AccountsController#index",
    doc = "The accounts the caller administers (empty for others); params include = " ..
      "{\"lti_guid\", \"registration_settings\", \"services\"}." },
})

core.define_rows("Account", {
  { name = "update", method = "PUT", path = "accounts/{id}", returns = "self",
    params = { "account", "includes" }, source = "AccountsController#update (update_api)",
    doc = "Change the account: params account = {name =, default_time_zone =, sis_account_id =, " ..
      "settings = {...}, ...}; updated in place and returned. Canvas answers a change the caller " ..
      "may not make with 401 and the account's errors." },
  { name = "get_subaccounts", method = "GET", path = "accounts/{id}/sub_accounts", returns = "Account",
    list = true, params = { "recursive" }, source = "AccountsController#sub_accounts",
    doc = "The account's sub-accounts; params recursive = true for every level." },
})

core.define_type("Account", { examples = { args = {
  update = { { account = { name = "Sandbox University" } } },
  get_subaccounts = { { recursive = true } },
} } })

return core.define_rows("Account", {
  -- Optional fields come only when asked: include[] filtered by the
  -- controller to avatar_url, email, last_login, time_zone, uuid.
  { name = "get_users", method = "GET", path = "accounts/{id}/users", returns = "User", list = true,
    params = { "search_term", "enrollment_type", "sort", "order", "include", "include_deleted_users",
               "role_filter_id", "temporary_enrollment_recipients", "temporary_enrollment_providers" },
    include = { "avatar_url", "email", "last_login", "time_zone", "uuid", "ui_invoked" },
    source = "UsersController#api_index",
    doc = "Users in this account; params search_term (3+ characters), enrollment_type, sort, order, " ..
      "include = {\"email\", \"last_login\", \"avatar_url\", \"time_zone\", \"uuid\"} (Canvas " ..
      "sends these fields only when asked)." },
  -- The positional tables become params.pseudonym / params.user (they win
  -- over the same keys in params).
  { name = "create_user", method = "POST", path = "accounts/{id}/users", returns = "User",
    args = { { "pseudonym", check = "table" } }, required = { "pseudonym.unique_id" },
    params = { "pseudonym", "user", "communication_channel", "force_validations",
               "enable_sis_reactivation", "destination", "initial_enrollment_type", "pairing_code" },
    source = "UsersController#create (create_user)",
    doc = "Create a user with a login; pseudonym.unique_id is required (params: user, " ..
      "communication_channel, ...)." },
  { name = "create_self_registered_user", method = "POST", path = "accounts/{id}/self_registration",
    returns = "User", args = { { "user", check = "table" }, { "pseudonym", check = "table" } },
    required = { "user.name", "user.terms_of_use", "pseudonym.unique_id" },
    params = { "user", "pseudonym", "communication_channel" },
    source = "UsersController#create_self_registered_user (create_user)",
    doc = "Self-register a user; user.name, user.terms_of_use and pseudonym.unique_id are required." },
})
