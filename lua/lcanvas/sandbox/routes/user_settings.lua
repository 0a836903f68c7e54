--- Users API, a user's settings, dashboard card positions and editor and
-- files UI preferences (canvas-lms app/controllers/users_controller.rb:
-- settings, get_dashboard_positions, set_dashboard_positions,
-- set_text_editor_preference, set_files_ui_version_preference). Reading
-- needs :read on the user, changing [:manage, :manage_user_details]
-- (policy.lua); a dashboard position must name a course the caller may
-- read and be an integer of at most 1,000 either way, else 400 {message}.
-- State: store:area("user_settings").
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"

local SETTINGS = { "manual_mark_as_read", "release_notes_badge_disabled", "collapse_global_nav",
  "collapse_course_nav", "hide_dashcard_color_overlays", "comment_library_suggestions_enabled",
  "elementary_dashboard_disabled", "default_to_block_editor" }

return function(app)
  local store = app.store

  local function state()
    return store:area("user_settings", function()
      return {
        settings = {},   -- user id -> { setting = boolean }
        positions = {},  -- user id -> { course_42 = 1 }
        -- user id -> { text_editor_preference=, files_ui_version= }: kept,
        -- though no API answer shows them again (settings lists only its
        -- boolean preferences).
        preferences = {},
      }
    end)
  end

  local function settings_of(user)
    local s = state().settings[user.id] or {}
    local out = {}
    for _, k in ipairs(SETTINGS) do out[k] = s[k] == true end
    return out
  end

  app:route("GET", "/users/:user/settings", function(self, ctx)
    self:require(ctx, "read", { user = ctx.user })
    return settings_of(ctx.user)
  end)

  app:route("PUT", "/users/:user/settings", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local all = state().settings
    local s = all[ctx.user.id] or {}
    all[ctx.user.id] = s
    for _, k in ipairs(SETTINGS) do
      if ctx.params[k] ~= nil then s[k] = util.truthy(ctx.params[k]) end
    end
    return settings_of(ctx.user)
  end)

  local function positions_of(user)
    local out = {}
    for k, v in pairs(state().positions[user.id] or {}) do out[k] = v end
    return { dashboard_positions = out }
  end

  app:route("GET", "/users/:user/dashboard_positions", function(self, ctx)
    self:require(ctx, "read", { user = ctx.user })
    return positions_of(ctx.user)
  end)

  app:route("PUT", "/users/:user/dashboard_positions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local given = ctx.params.dashboard_positions
    if type(given) ~= "table" or given == json.null then
      app.bad_request("dashboard_positions is required", "dashboard_positions")
    end
    -- Each key in turn, as the controller: the course exists (else
    -- RecordNotFound), the caller may read it (else 401), the value is an
    -- integer (Integer(val)) no larger than 1,000 either way; nothing
    -- changes unless every one passes.
    local parsed = {}
    local keys = {}
    for k in pairs(given) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local v = given[k]
      local course = store.courses[util.to_int(k:match("^course_(%d+)$")) or -1]
      if not course then app.not_found() end
      self:require(ctx, "read", { course = course })
      local pos = (math.type(v) == "integer" and v) or (type(v) == "string" and v:match("^%s*[+-]?%d+%s*$")
        and util.to_int(v:match("[+-]?%d+")))
      if not pos then app.halt(400, { message = "Invalid position provided" }) end
      if math.abs(pos) > 1000 then
        app.halt(400, { message = string.format("Position %d is too high. Your dashboard cards can probably " ..
          "be sorted with numbers 1-5, you could even use a 0.", pos) })
      end
      parsed[k] = pos
    end
    local all = state().positions
    all[ctx.user.id] = all[ctx.user.id] or {}
    for k, v in pairs(parsed) do all[ctx.user.id][k] = v end
    return positions_of(ctx.user)
  end)

  local function preferences_of(user)
    local all = state().preferences
    all[user.id] = all[user.id] or {}
    return all[user.id]
  end

  -- set_text_editor_preference raises ActiveRecord::RecordInvalid without a
  -- record for a value outside rce, block_editor and "" (absent too);
  -- api_error_json then fails on its nil record and rescue_action_in_public
  -- falls back to render_optional_error_file: `head 422`, an empty body (no
  -- public/422 file).
  app:route("PUT", "/users/:user/text_editor_preference", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local v = ctx.params.text_editor_preference
    if v ~= "rce" and v ~= "block_editor" and v ~= "" then
      app.halt(422)
    end
    if v == "" then v = nil end   -- "" clears it
    preferences_of(ctx.user).text_editor_preference = v
    return { text_editor_preference = v == nil and json.null or v }
  end)

  app:route("PUT", "/users/:user/files_ui_version_preference", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local v = ctx.params.files_ui_version
    if v ~= "v1" and v ~= "v2" then app.halt(400, { message = "Invalid files_ui_version provided" }) end
    preferences_of(ctx.user).files_ui_version = v
    return { files_ui_version = v }
  end)
end
