--- Feature Flags API of a user (canvas-lms
-- app/controllers/feature_flags_controller.rb): features, enabled
-- features, and a flag's show, set and delete. State: user_data.lua.
local json = require "lcanvas.sandbox.json"
local UserData = require "lcanvas.sandbox.user_data"

local FEATURES = {
  { feature = "high_contrast", display_name = "High Contrast UI", default = "off" },
  { feature = "underline_all_links", display_name = "Underline Links", default = "off" },
  { feature = "disable_celebrations", display_name = "Disable Celebration Animations", default = "off" },
  { feature = "new_user_tutorial_on_off", display_name = "Course Set-up Tutorial", default = "on" },
  { feature = "auto_show_cc", display_name = "Auto Show Closed Captions", default = "on" },
}

local function flag_of(d, u, f)
  return { context_type = "User", context_id = u.id, feature = f.feature,
    state = d.flags[f.feature] or f.default, locked = false }
end

local function present(d, u, f)
  return { feature = f.feature, display_name = f.display_name, applies_to = "User", root_opt_in = false,
    beta = false, feature_flag = flag_of(d, u, f) }
end

return function(app)
  local data = UserData.of(app)

  local function find_feature(name)
    for _, f in ipairs(FEATURES) do if f.feature == name then return f end end
    app.not_found()
  end

  app:route("GET", "/users/:user/features", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = {}
    for i, f in ipairs(FEATURES) do out[i] = present(d, ctx.user, f) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/features/enabled", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = json.array({})
    for _, f in ipairs(FEATURES) do
      if (d.flags[f.feature] or f.default) == "on" then out[#out + 1] = f.feature end
    end
    return out
  end)

  app:route("GET", "/users/:user/features/flags/:feature", function(self, ctx)
    local d = data.manage(self, ctx)
    return flag_of(d, ctx.user, find_feature(ctx.args.feature))
  end)

  app:route("PUT", "/users/:user/features/flags/:feature", function(self, ctx)
    local d = data.manage(self, ctx)
    local f = find_feature(ctx.args.feature)
    local s = ctx.params.state
    if s ~= "on" and s ~= "off" then app.bad_request("state must be on or off", "state", "invalid") end
    d.flags[f.feature] = s
    return flag_of(d, ctx.user, f)
  end)

  app:route("DELETE", "/users/:user/features/flags/:feature", function(self, ctx)
    local d = data.manage(self, ctx)
    local f = find_feature(ctx.args.feature)
    d.flags[f.feature] = nil
    return flag_of(d, ctx.user, f)
  end)
end
