--- Communication Channels API of a user (canvas-lms
-- app/controllers/communication_channels_controller.rb): list and create.
-- State: user_data.lua (every user starts with their email channel).
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("GET", "/users/:user/communication_channels", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = {}
    for _, c in ipairs(d.channels) do out[#out + 1] = util.copy(c) end
    table.sort(out, function(a, b) return a.position < b.position end)
    return out
  end, { list = true })

  app:route("POST", "/users/:user/communication_channels", function(self, ctx)
    local d = data.manage(self, ctx)
    local cc = ctx.params.communication_channel
    if type(cc) ~= "table" then app.bad_request("communication_channel is required", "communication_channel") end
    local kind, address = cc.type, cc.address
    if kind ~= "email" and kind ~= "sms" and kind ~= "push" then
      app.bad_request("type must be email, sms or push", "type", "invalid")
    end
    if kind ~= "push" and (type(address) ~= "string" or address == "") then
      app.bad_request("address can't be blank", "address", "blank")
    end
    if kind == "email" and not address:match("^[^@%s]+@[^@%s]+$") then
      app.bad_request("address is not a valid email address", "address", "invalid")
    end
    if kind == "push" then address = type(cc.token) == "string" and cc.token or "push" end
    for _, c in ipairs(d.channels) do
      if c.type == kind and c.address == address then
        app.bad_request("address already exists", "address", "taken")
      end
    end
    -- skip_confirmation counts for callers who may manage students on the
    -- domain's root account (policy.lua)
    local skip = util.is_true(ctx.params.skip_confirmation)
      and self:can(ctx, "manage_students", { account = store.accounts[1] })
    local c = { id = store:new_id(), address = address, type = kind, position = #d.channels + 1,
      user_id = ctx.user.id, workflow_state = skip and "active" or "unconfirmed", created_at = UserData.CREATED }
    d.channels[#d.channels + 1] = c
    return util.copy(c)
  end)
end
