--- Logins API, a user's logins (canvas-lms
-- app/controllers/pseudonyms_controller.rb: index). Canvas asks for :read
-- on the user (themself, an observer, admins who manage logins) and pages
-- the user's active logins by id with a bookmark (ShardedBookmarkedCollection);
-- each is pseudonym_json (serializers.login). State: user_data.lua.
local S = require "lcanvas.sandbox.serializers"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local data = UserData.of(app)

  app:route("GET", "/users/:user/logins", function(self, ctx)
    self:require(ctx, "read", { user = ctx.user })
    local d = data.of_user(ctx.user)
    local logins = {}
    for _, l in ipairs(d.logins) do
      if l.workflow_state ~= "deleted" then logins[#logins + 1] = l end
    end
    table.sort(logins, function(a, b) return a.id < b.id end)
    local out = {}
    for i, l in ipairs(logins) do out[i] = S.login(self, ctx, l) end
    return out
  end, { list = true, pagination = "bookmark" })
end
