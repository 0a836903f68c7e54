--- ePortfolios API of a user (canvas-lms
-- app/controllers/eportfolios_api_controller.rb: index, moderate_all).
-- index: the user themself, or an admin with moderate_user_content; only an
-- admin's include[]=deleted shows deleted portfolios (the owner never sees
-- them); ordered by updated_at. moderate_all answers the JSON string
-- "success", and a bad spam_status with {error: ...}. Each portfolio is
-- eportfolio_json (serializers.eportfolio). State: user_data.lua.
local S = require "lcanvas.sandbox.serializers"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

-- Eportfolio::SPAM_MODERATIONS, as Ruby prints the array in the error.
local SPAM_MODERATIONS = { "marked_as_safe", "marked_as_spam" }

return function(app)
  local data = UserData.of(app)

  app:route("GET", "/users/:user/eportfolios", function(self, ctx)
    local u = ctx.user
    if u.id ~= ctx.user_id then self:require(ctx, "moderate_user_content", { user = u }) end
    local deleted = u.id ~= ctx.user_id and S.includes(ctx.params.include).deleted
    local list = {}
    for i, e in ipairs(data.of_user(u).eportfolios) do
      if e.workflow_state == "active" or deleted then list[#list + 1] = { e = e, i = i } end
    end
    table.sort(list, function(a, b)
      if a.e.updated_at == b.e.updated_at then return a.i < b.i end
      return a.e.updated_at < b.e.updated_at
    end)
    local out = {}
    for i, x in ipairs(list) do out[i] = S.eportfolio(x.e) end
    return out
  end, { list = true })

  app:route("PUT", "/users/:user/eportfolios", function(self, ctx)
    self:require(ctx, "moderate_user_content", { user = ctx.user })
    local s = ctx.params.spam_status
    if s ~= SPAM_MODERATIONS[1] and s ~= SPAM_MODERATIONS[2] then
      app.halt(400, { error = string.format('spam_status must be one of ["%s", "%s"]', SPAM_MODERATIONS[1],
        SPAM_MODERATIONS[2]) })
    end
    for _, e in ipairs(data.of_user(ctx.user).eportfolios) do
      if e.workflow_state == "active" then
        e.spam_status = s
        e.updated_at = util.iso()
      end
    end
    return "success"
  end)
end
