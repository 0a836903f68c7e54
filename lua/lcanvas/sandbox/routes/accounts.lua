--- Accounts API, one account (canvas-lms app/controllers/accounts_controller.rb: show), for admins.
local json = require "lcanvas.sandbox.json"

return function(app)
  app:route("GET", "/accounts/:account", function(self, ctx)
    self:require_admin(ctx)
    local a = ctx.account
    return { id = a.id, name = a.name, parent_account_id = a.parent_account_id or json.null,
      root_account_id = a.root_account_id or json.null, workflow_state = "active",
      uuid = string.format("sandbox-account-%d", a.id), default_time_zone = "America/Denver" }
  end)
end
