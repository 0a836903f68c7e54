--- Users API, custom colours of a user's courses, groups and accounts
-- (canvas-lms app/controllers/users_controller.rb: get_custom_colors,
-- get_custom_color, set_custom_color). Reading needs :read on the user,
-- setting [:manage, :manage_user_details] (policy.lua). A bad hexcode is a
-- 400 {message: "Invalid Hexcode Provided"}; an unknown asset raises
-- RecordNotFound (the usual 404). State: user_data.lua.
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  -- "course_1", "user_3", "group_7", "account_2": it must name something.
  local function check_asset(asset)
    local kind, id = (asset or ""):match("^(%l+)_(%d+)$")
    id = util.to_int(id)
    local exists = (kind == "course" and store.courses[id]) or (kind == "user" and store.users[id])
      or (kind == "group" and id) or (kind == "account" and store.accounts[id])
    if not exists then app.not_found() end
  end

  local function readable(self, ctx)
    self:require(ctx, "read", { user = ctx.user })
    return data.of_user(ctx.user)
  end

  app:route("GET", "/users/:user/colors", function(self, ctx)
    local d = readable(self, ctx)
    return { custom_colors = util.copy(d.colors) }
  end)

  -- get_custom_color raises RecordNotFound ("Asset does not have an
  -- associated color.") for a colour never set, which the API answers with
  -- its usual 404 body; there is no 200 with a null hexcode.
  app:route("GET", "/users/:user/colors/:asset", function(self, ctx)
    local d = readable(self, ctx)
    local hex = d.colors[ctx.args.asset]
    if hex == nil then app.not_found() end
    return { hexcode = hex }
  end)

  app:route("PUT", "/users/:user/colors/:asset", function(self, ctx)
    local d = data.manage(self, ctx)
    check_asset(ctx.args.asset)
    local hex = ctx.params.hexcode
    if type(hex) ~= "string" or not (hex:match("^#?%x%x%x$") or hex:match("^#?%x%x%x%x%x%x$")) then
      app.halt(400, { message = "Invalid Hexcode Provided" })
    end
    if hex:sub(1, 1) ~= "#" then hex = "#" .. hex end
    d.colors[ctx.args.asset] = hex
    return { hexcode = hex }
  end)
end
