--- Users API, a Pandata events token for the calling user (canvas-lms
-- app/controllers/users_controller.rb: pandata_events_token).
local util = require "lcanvas.sandbox.util"

return function(app)
  app:route("POST", "/users/self/pandata_events_token", function(self, ctx)
    local user = self:me(ctx)
    local key = ctx.params.app_key
    if type(key) ~= "string" or key == "" then app.bad_request("Invalid app key", "app_key", "invalid") end
    return { url = "https://sandbox.test/pandata/events",
      auth_token = string.format("sandbox.%x.%s", user.id, util.hex(key)),
      props_token = string.format("sandbox-props.%x", user.id),
      expires_at = (os.time() + 86400) * 1000 }
  end)
end
