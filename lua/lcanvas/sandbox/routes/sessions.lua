--- Users API, ending a user's sessions (canvas-lms
-- app/controllers/users_controller.rb: terminate_sessions).
local answers = require "lcanvas.sandbox.answers"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("DELETE", "/users/:user/sessions", function(self, ctx)
    local d = data.manage(self, ctx)
    -- Every access token of the user stops working, as on Canvas.
    for token, uid in pairs(store.tokens) do
      if uid == ctx.user.id then store.tokens[token] = nil end
    end
    d.sessions_terminated_at = util.iso()
    -- Canvas renders a bare `ok` (not valid JSON) here.
    return { __raw_response = true, status = 200,
      headers = { ["Content-Type"] = answers.JSON_TYPE }, body = "ok" }
  end)
end
