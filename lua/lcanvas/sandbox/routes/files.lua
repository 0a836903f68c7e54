--- Files API, a user's files (canvas-lms app/controllers/files_controller.rb:
-- api_quota, api_index, api_show, api_create_success): quota, list and
-- search, show, and Canvas's own files/:id with the create_success step of
-- an upload. Uploading itself: file_uploads.lua; downloading:
-- file_downloads.lua. Specs make files without uploading through the
-- control endpoint POST /__sandbox/files.
local answers = require "lcanvas.sandbox.answers"
local util = require "lcanvas.sandbox.util"
local policy = require "lcanvas.sandbox.policy"
local UserData = require "lcanvas.sandbox.user_data"

local QUOTA = 50 * 1024 * 1024

-- Deterministic content for POST /__sandbox/files {size=}: byte i (from 0)
-- is (i * 31 + 7) % 256, a pattern of period 256, so whole blocks repeat.
local BLOCK = (function()
  local t = {}
  for i = 0, 255 do t[i + 1] = string.char((i * 31 + 7) % 256) end
  return table.concat(t)
end)()

local function pattern_bytes(n)
  return BLOCK:rep(n // 256) .. BLOCK:sub(1, n % 256)
end

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
    if f.account_id then
      -- a file a job made (a report's, a SIS import's): the account's admins
      if not policy.is_account_admin(self, ctx.user_id, store.accounts[f.account_id]) then self:unauthorized() end
      return data.present_file(f)
    end
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
    data.finish_overwrite(data.state(), f)
    return data.present_file(f)
  end, { public = true })

  -- POST /__sandbox/files {user_id=, name=, size= or content=, content_type=}:
  -- a File in the user's root folder (a taken name gets "-1"...), answered
  -- with its File JSON, so specs get big files without uploading them.
  app:control_endpoint("POST", "files", function(_, _, b)
    local u = store.users[util.to_int(b.user_id) or -1]
    if not u then return answers.error(404, "no such user_id") end
    if type(b.name) ~= "string" or b.name == "" or b.name:find("/", 1, true) then
      return answers.error(400, "name must be a file name")
    end
    local size = b.size ~= nil and util.to_int(b.size)
    if (b.content == nil) == (b.size == nil) or (b.content ~= nil and type(b.content) ~= "string")
        or (b.size ~= nil and (not size or size < 0)) then
      return answers.error(400, "give either size (a whole number of bytes) or content (a string)")
    end
    local d, st = data.of_user(u)
    local root = st.folders[d.root]
    local ctype = type(b.content_type) == "string" and b.content_type or "application/octet-stream"
    local f = data.new_file(st, u.id, root, data.unique_name(st, d, root.id, b.name), ctype,
      b.content or pattern_bytes(size))
    return answers.json(200, data.present_file(f))
  end)
end
