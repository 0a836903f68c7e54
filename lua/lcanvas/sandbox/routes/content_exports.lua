--- Content Exports API of a user (canvas-lms
-- app/controllers/content_exports_api_controller.rb): list, show and
-- create a zip export (done at once). State: user_data.lua.
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("GET", "/users/:user/content_exports", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = {}
    for i = #d.exports, 1, -1 do out[#out + 1] = util.copy(d.exports[i]) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/content_exports/:export", function(self, ctx)
    local d = data.manage(self, ctx)
    local id = util.to_int(ctx.args.export)
    for _, e in ipairs(d.exports) do if e.id == id then return util.copy(e) end end
    app.not_found()
  end)

  app:route("POST", "/users/:user/content_exports", function(self, ctx)
    local d = data.manage(self, ctx)
    local t = ctx.params.export_type
    if t ~= "zip" then
      app.bad_request("export_type must be zip for a user", "export_type", "invalid")
    end
    local e = { id = store:new_id(), export_type = t, user_id = ctx.user_id, created_at = UserData.CREATED,
      workflow_state = "exported" }
    e.progress_url = "/api/v1/progress/" .. e.id
    e.attachment = { url = string.format("%s/exports/%d.zip", app.urls and app.urls.storage or "", e.id) }
    d.exports[#d.exports + 1] = e
    return util.copy(e)
  end)
end
