--- Files API, a user's files (canvas-lms app/controllers/files_controller.rb:
-- api_quota, api_index, api_show, api_create_success): quota, list and
-- search, show, and Canvas's own files/:id with the create_success step of
-- an upload. Uploading itself: file_uploads.lua.
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

local QUOTA = 50 * 1024 * 1024

return function(app)
  local store = app.store
  local data = UserData.of(app)

  app:route("GET", "/users/:user/files/quota", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local used = 0
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and not f.pending then used = used + f.size end
    end
    return { quota = QUOTA, quota_used = used }
  end)

  app:route("GET", "/users/:user/files", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local term = ctx.params.search_term
    if term ~= nil and (type(term) ~= "string" or #term < 2) then
      app.bad_request("search_term of 2 or more characters is required", "search_term", "invalid_length")
    end
    local types = {}
    for _, t in ipairs(util.array_of(ctx.params.content_types)) do types[t] = true end
    local out = {}
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and not f.pending and (not term or f.display_name:lower():find(term:lower(), 1, true))
          and (next(types) == nil or types[f.content_type] or types[f.content_type:match("^[^/]+")]) then
        out[#out + 1] = data.present_file(f)
      end
    end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/files/:file", function(self, ctx)
    local d, st = data.manage(self, ctx)
    return data.present_file(data.user_file(st, d, ctx.args.file))
  end)

  -- Canvas's own file endpoint: where an upload's Location may point.
  app:route("GET", "/files/:file", function(self, ctx)
    local f = data.state().files[util.to_int(ctx.args.file) or -1]
    if not f or f.pending then app.not_found() end
    self:require_manage(ctx, store.users[f.user_id] or { id = f.user_id })
    return data.present_file(f)
  end)

  -- files_controller.rb api_create_success finds the attachment by id and
  -- uuid and checks no token or right: the uuid is the credential, so the
  -- confirmation works without a token too (opts.public).
  app:route("GET", "/files/:file/create_success", function(_, ctx)
    local f = data.state().files[util.to_int(ctx.args.file) or -1]
    if not f or f.uuid ~= ctx.params.uuid then app.not_found() end
    f.pending = nil
    return data.present_file(f)
  end, { public = true })
end
