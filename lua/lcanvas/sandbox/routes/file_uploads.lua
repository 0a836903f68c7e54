--- Files API, uploading a file to a user's files (canvas-lms
-- app/controllers/users_controller.rb: create_file; the create_success step
-- is in files.lua), plus the storage origin that takes the bytes, as S3 or
-- inst-fs would.
--
-- Canvas's three steps: POST users/:id/files hands out an upload_url on
-- the "storage" origin; the storage origin takes the multipart POST (never
-- with the Canvas token), then answers as config.upload_mode says:
-- "redirect" (303 to files/:id/create_success on the main origin, default),
-- "created" (201 with the File), "created_location" (201, empty body,
-- Location of the File) or "redirect_foreign" (303 to the alt origin).
-- Downloads: file_downloads.lua.
local answers = require "lcanvas.sandbox.answers"
local multipart = require "lcanvas.sandbox.multipart"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  local function url_of(origin) return app.urls and app.urls[origin] or "" end

  app:route("POST", "/users/:user/files", function(_, ctx)
    -- Only the user (or someone masquerading as them) uploads to their files.
    if ctx.user_id ~= ctx.user.id then app:unauthorized() end
    local d, st = data.of_user(ctx.user)
    local p = ctx.params
    if type(p.name) ~= "string" or p.name == "" then app.bad_request("name is required", "name", "blank") end
    local size = p.size ~= nil and util.to_int(p.size) or nil
    if p.size ~= nil and (not size or size < 0) then app.bad_request("size must be a whole number", "size") end
    if p.on_duplicate ~= nil and p.on_duplicate ~= "overwrite" and p.on_duplicate ~= "rename" then
      app.bad_request("on_duplicate must be overwrite or rename", "on_duplicate")
    end
    local folder
    if p.parent_folder_id ~= nil then folder = data.user_folder(st, d, p.parent_folder_id)
    else folder = data.folder_by_path(st, d, ctx.user, p.parent_folder_path, true) end
    st.upload_seq = st.upload_seq + 1
    local token = string.format("%08x%04x", (ctx.user.id * 2654435761 + st.upload_seq * 40503) % 4294967296,
      st.upload_seq)
    local ctype = type(p.content_type) == "string" and p.content_type or "application/octet-stream"
    local up = { user_id = ctx.user.id, name = p.name, size = size, folder_id = folder.id,
      content_type = ctype, on_duplicate = p.on_duplicate or "overwrite",
      params = { key = string.format("users/%d/%s/%s", ctx.user.id, token, p.name),
        ["x-amz-credential"] = "SANDBOX/20240815/us-east-1/s3/aws4_request",
        ["x-amz-algorithm"] = "AWS4-HMAC-SHA256", policy = "eyJleHBpcmF0aW9uIjoi" .. token .. "In0=",
        ["x-amz-signature"] = token .. "c0ffee", ["Content-Type"] = ctype, acl = "private",
        success_action_status = "201" } }
    st.uploads[token] = up
    return { upload_url = url_of("storage") .. "/files_api/upload/" .. token,
      upload_params = util.copy(up.params), file_param = "file" }
  end)

  -- The storage origin ---------------------------------------------------------

  -- The file part of a valid form for upload `up`, or nil and an answer.
  local function check_form(req, up)
    if req.headers.authorization then
      return nil, answers.error(403, "storage does not take the Canvas token (Authorization header sent)")
    end
    local parts, err = multipart.parse(req)
    if not parts then return nil, answers.error(400, err) end
    local seen, file = {}, nil
    for i, part in ipairs(parts) do
      if part.name == "file" then
        if i ~= #parts then return nil, answers.error(400, "the file must be the last part of the form") end
        file = part
      else
        seen[part.name or ""] = part.data
      end
    end
    for k, v in pairs(up.params) do
      if seen[k] ~= v then
        return nil, answers.error(403, string.format("upload parameter '%s' missing or changed", k))
      end
    end
    if not file then return nil, answers.error(400, "no file part") end
    if up.size and #file.data ~= up.size then
      return nil, answers.error(400, string.format("size mismatch: declared %d, got %d", up.size, #file.data))
    end
    return file
  end

  -- The multipart POST to an upload_url (S3's form upload), never with the
  -- Canvas token.
  app:route("POST", "/files_api/upload/:token", function(_, req, args)
    local token = args.token
    local st = data.state()
    local up = st.uploads[token]
    if not up then return answers.error(404, "no such upload (or already used)") end
    local file, failed = check_form(req, up)
    if not file then return failed end
    st.uploads[token] = nil
    local u = store.users[up.user_id]
    local d = data.of_user(u)
    local name = up.name
    local existing
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and f.folder_id == up.folder_id and f.display_name == name and not f.pending then existing = f end
    end
    local mode = app.config.upload_mode or "redirect"
    local pending = mode == "redirect" or mode == "redirect_foreign"
    -- on_duplicate=overwrite: a new file under the same name, which deletes
    -- the old one once it is confirmed (user_data.finish_overwrite); rename:
    -- the first free "name-1.txt".
    local overwrite = existing and up.on_duplicate == "overwrite"
    if existing and not overwrite then name = data.unique_name(st, d, up.folder_id, name) end
    local f = data.new_file(st, u.id, st.folders[up.folder_id], name, up.content_type, file.data)
    f.pending = pending or nil
    if overwrite then
      f.replaces = existing.id
      if not pending then data.finish_overwrite(st, f) end
    end
    local file_url = string.format("%s/api/v1/files/%d", url_of("main"), f.id)
    if mode == "redirect" or mode == "redirect_foreign" then
      local origin = mode == "redirect" and "main" or "alt"
      return { status = 303, headers = { Location = string.format("%s/api/v1/files/%d/create_success?uuid=%s",
        url_of(origin), f.id, f.uuid) }, body = "" }
    elseif mode == "created_location" then
      return { status = 201, headers = { Location = file_url }, body = "" }
    end
    return answers.json(201, data.present_file(f), { Location = file_url })
  end, { outside = true, origins = { "storage" } })
end
