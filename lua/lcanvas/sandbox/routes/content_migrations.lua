--- Content Migrations API of a user (canvas-lms
-- app/controllers/content_migrations_controller.rb): migrators, list, show
-- and create (with a pre_attachment upload URL). State: user_data.lua.
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

local MIGRATORS = {
  { type = "zip_file_importer", requires_file_upload = true, name = "Unzip .zip file into folder",
    required_settings = { "folder_id" } },
}

local function present(m)
  local out = util.copy(m)
  out.settings = util.copy(m.settings or {})
  return out
end

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("GET", "/users/:user/content_migrations/migrators", function(self, ctx)
    data.manage(self, ctx)
    return store.deep_copy(MIGRATORS)
  end, { list = true })

  app:route("GET", "/users/:user/content_migrations", function(self, ctx)
    local d = data.manage(self, ctx)
    local out = {}
    for i = #d.migrations, 1, -1 do out[#out + 1] = present(d.migrations[i]) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/content_migrations/:migration", function(self, ctx)
    local d = data.manage(self, ctx)
    local id = util.to_int(ctx.args.migration)
    for _, m in ipairs(d.migrations) do if m.id == id then return present(m) end end
    app.not_found()
  end)

  app:route("POST", "/users/:user/content_migrations", function(self, ctx)
    local d = data.manage(self, ctx)
    local p = ctx.params
    local mig
    for _, m in ipairs(MIGRATORS) do if m.type == p.migration_type then mig = m end end
    if not mig then app.bad_request("Invalid migration_type", "migration_type", "invalid") end
    local settings = type(p.settings) == "table" and p.settings or {}
    local pre = type(p.pre_attachment) == "table" and p.pre_attachment or nil
    if mig.requires_file_upload and not settings.file_url and not (pre and pre.name) then
      app.bad_request("File upload or url is required", "pre_attachment", "required")
    end
    local created = UserData.CREATED
    local m = { id = store:new_id(), migration_type = mig.type, migration_type_title = mig.name,
      user_id = ctx.user_id, workflow_state = pre and "pre_processing" or "running", created_at = created,
      started_at = created, settings = { file_url = settings.file_url, folder_id = settings.folder_id } }
    m.progress_url = "/api/v1/progress/" .. m.id
    m.migration_issues_url = string.format("/api/v1/users/%d/content_migrations/%d/migration_issues",
      ctx.user.id, m.id)
    d.migrations[#d.migrations + 1] = m
    local out = present(m)
    if pre then
      out.pre_attachment = { upload_url = (app.urls and app.urls.storage or "") .. "/files_api/migration/" .. m.id,
        upload_params = {}, file_param = "file" }
    end
    return out
  end)
end
