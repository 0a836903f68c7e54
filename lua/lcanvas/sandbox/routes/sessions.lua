--- Users API, ending a user's sessions (canvas-lms
-- app/controllers/users_controller.rb: terminate_sessions,
-- expire_mobile_sessions). terminate_sessions asks for :terminate_sessions,
-- which only admins who manage the user's logins hold, not the user
-- themself (User#set_policy, policy.lua).
local answers = require "lcanvas.sandbox.answers"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

-- Canvas renders a bare `ok` (not valid JSON) for both.
local function ok()
  return { __raw_response = true, status = 200, headers = { ["Content-Type"] = answers.JSON_TYPE }, body = "ok" }
end

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("DELETE", "/users/:user/sessions", function(self, ctx)
    self:require(ctx, "terminate_sessions", { user = ctx.user })
    local d = data.of_user(ctx.user)
    -- Every access token of the user stops working, as on Canvas.
    for token, uid in pairs(store.tokens) do
      if uid == ctx.user.id then store.tokens[token] = nil end
    end
    d.sessions_terminated_at = util.iso()
    return ok()
  end)

  -- expire_mobile_sessions: the right (manage_user_logins on the domain's
  -- root account: an admin here) is checked before the user is looked up,
  -- so :id has no resolver. AccessToken.invalidate_mobile_tokens! expires
  -- the tokens of mobile apps' developer keys; the sandbox's tokens are no
  -- mobile app's, so every one keeps working, and only the time is kept
  -- (per user, or for everyone on the route without an id).
  app:route("DELETE", "/users/mobile_sessions", function(self, ctx)
    self:require_admin(ctx)
    data.state().mobile_sessions_expired_at = util.iso()
    return ok()
  end)

  app:route("DELETE", "/users/:id/mobile_sessions", function(self, ctx)
    self:require_admin(ctx)
    local d = data.of_user(self:find_user(ctx, ctx.args.id))
    d.mobile_sessions_expired_at = util.iso()
    return ok()
  end)
end
