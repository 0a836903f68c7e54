--- Logins API, a user's logins (canvas-lms
-- app/controllers/pseudonyms_controller.rb: index). State: user_data.lua.
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local data = UserData.of(app)

  app:route("GET", "/users/:user/logins", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = {}
    for _, l in ipairs(d.logins) do out[#out + 1] = util.copy(l) end
    return out
  end, { list = true })
end
