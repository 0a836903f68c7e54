--- ePortfolios API of a user (canvas-lms
-- app/controllers/eportfolios_api_controller.rb): list (include[]=deleted)
-- and moderation (mark as spam or safe, admins). State: user_data.lua.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

local function present(e)
  local out = util.copy(e)
  out.spam_status = e.spam_status or json.null
  out.deleted_at = e.deleted_at or json.null
  return out
end

return function(app)
  local data = UserData.of(app)

  app:route("GET", "/users/:user/eportfolios", function(self, ctx)
    local d = data.manage(self, ctx)
    local deleted = false
    for _, inc in ipairs(util.array_of(ctx.params.include)) do if inc == "deleted" then deleted = true end end
    local out = {}
    for _, e in ipairs(d.eportfolios) do
      if e.workflow_state == "active" or deleted then out[#out + 1] = present(e) end
    end
    return out
  end, { list = true })

  app:route("PUT", "/users/:user/eportfolios", function(self, ctx)
    self:require_admin(ctx)  -- moderate_user_content
    local d = data.of_user(ctx.user)
    local s = ctx.params.spam_status
    if s ~= "marked_as_spam" and s ~= "marked_as_safe" then
      app.bad_request("spam_status must be marked_as_spam or marked_as_safe", "spam_status", "invalid")
    end
    local out = json.array({})
    for _, e in ipairs(d.eportfolios) do
      if e.workflow_state == "active" then
        e.spam_status = s
        out[#out + 1] = present(e)
      end
    end
    return out
  end)
end
