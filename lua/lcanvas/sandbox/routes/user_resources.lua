--- Sandbox routes: what a user owns or sees besides the user record itself
-- (folders and files, uploads, colours, communication channels, content
-- migrations and exports, feature flags, usage rights, sessions, avatars,
-- calendar events, enrollments, assignments, ePortfolios, logins, audit
-- events). State lives in store:area("user_resources"); per-user data is
-- made on first use, so a reset starts every user over.
--
-- Uploads follow Canvas's three steps: POST users/:id/files hands out an
-- upload_url on the "storage" origin; the storage origin takes the multipart
-- POST (never with the Canvas token), then answers as config.upload_mode
-- says: "redirect" (303 to files/:id/create_success on the main origin,
-- default), "created" (201 with the File), "created_location" (201, empty
-- body, Location of the File) or "redirect_foreign" (303 to the alt origin).
local json = require "lcanvas.sandbox.json"
local params = require "lcanvas.sandbox.params"

local CREATED = "2024-08-15T12:00:00Z"
local QUOTA = 50 * 1024 * 1024

local FEATURES = {
  { feature = "high_contrast", display_name = "High Contrast UI", default = "off" },
  { feature = "underline_all_links", display_name = "Underline Links", default = "off" },
  { feature = "disable_celebrations", display_name = "Disable Celebration Animations", default = "off" },
  { feature = "new_user_tutorial_on_off", display_name = "Course Set-up Tutorial", default = "on" },
  { feature = "auto_show_cc", display_name = "Auto Show Closed Captions", default = "on" },
}

local LICENSES = {
  { id = "private", name = "Private (Copyrighted)", url = "http://en.wikipedia.org/wiki/Copyright" },
  { id = "public_domain", name = "Public Domain", url = "http://en.wikipedia.org/wiki/Public_domain" },
  { id = "cc_by", name = "CC Attribution", url = "http://creativecommons.org/licenses/by/4.0" },
  { id = "cc_by_sa", name = "CC Attribution Share Alike", url = "http://creativecommons.org/licenses/by-sa/4.0" },
  { id = "cc_by_nc", name = "CC Attribution Non-Commercial", url = "http://creativecommons.org/licenses/by-nc/4.0" },
  { id = "cc_by_nc_sa", name = "CC Attribution Non-Commercial Share Alike",
    url = "http://creativecommons.org/licenses/by-nc-sa/4.0" },
  { id = "cc_by_nd", name = "CC Attribution No Derivatives", url = "http://creativecommons.org/licenses/by-nd/4.0" },
  { id = "cc_by_nc_nd", name = "CC Attribution Non-Commercial No Derivatives",
    url = "http://creativecommons.org/licenses/by-nc-nd/4.0" },
}
local JUSTIFICATIONS = { own_copyright = "private", used_by_permission = "private", fair_use = "private",
  public_domain = "public_domain", creative_commons = "cc_by" }

local MIGRATORS = {
  { type = "zip_file_importer", requires_file_upload = true, name = "Unzip .zip file into folder",
    required_settings = { "folder_id" } },
}

local SEED_FILES = {
  { "syllabus.pdf", "application/pdf", "" }, { "notes.txt", "text/plain", "" },
  { "photo.png", "image/png", "" }, { "reading-list.txt", "text/plain", "" },
  { "budget.csv", "text/csv", "" }, { "poster.png", "image/png", "" },
  { "essay-draft.txt", "text/plain", "Documents" }, { "essay-final.txt", "text/plain", "Documents" },
  { "lab-report.pdf", "application/pdf", "Documents" }, { "outline.txt", "text/plain", "Documents/Essays" },
  { "sources.txt", "text/plain", "Documents/Essays" }, { "cover.png", "image/png", "Documents/Essays" },
}

local function copy(v) -- shallow
  local t = {}
  for k, x in pairs(v) do t[k] = x end
  return t
end

local function array_of(v)
  if v == nil then return {} end
  if type(v) == "table" then return v end
  return { v }
end

local function to_int(v)
  return math.tointeger(tonumber(v))
end

local function truthy(v) return v == true or v == "true" or v == "1" end

return function(app)
  local store = app.store

  local function state()
    return store:area("user_resources", function()
      return { users = {}, folders = {}, files = {}, uploads = {}, assignments = {}, upload_seq = 0 }
    end)
  end

  local function unauthorized()
    app.halt(app.config.unauthorized_status, { status = "unauthorized",
      errors = { { message = "user not authorized to perform that action" } } })
  end

  local function require_admin(ctx)
    if not store:is_admin(ctx.user_id) then unauthorized() end
  end

  -- Folders and files ----------------------------------------------------------

  local function new_folder(st, uid, name, parent)
    local f = { id = store:new_id(), name = name, user_id = uid, parent_folder_id = parent and parent.id,
      full_name = parent and (parent.full_name .. "/" .. name) or name, created_at = CREATED,
      updated_at = CREATED, position = 1 }
    st.folders[f.id] = f
    local d = st.users[uid]
    d.folders[#d.folders + 1] = f.id
    return f
  end

  local function new_file(st, uid, folder, name, ctype, content, extra)
    local f = { id = store:new_id(), user_id = uid, folder_id = folder.id, display_name = name,
      filename = name, content_type = ctype or "application/octet-stream", content = content,
      size = #content, created_at = CREATED, updated_at = CREATED, uuid = string.format("u%08x", store.next_id * 2654435761 % 4294967296) }
    for k, v in pairs(extra or {}) do f[k] = v end
    st.files[f.id] = f
    local d = st.users[uid]
    d.files[#d.files + 1] = f.id
    return f
  end

  -- Everything a user owns, made on first use.
  local function udata(u)
    local st = state()
    local d = st.users[u.id]
    if d then return d, st end
    d = { colors = {}, folders = {}, files = {}, flags = {}, migrations = {}, exports = {},
      channels = {}, eportfolios = {}, logins = {} }
    st.users[u.id] = d
    local root = new_folder(st, u.id, "my files", nil)
    d.root = root.id
    local docs = new_folder(st, u.id, "Documents", root)
    local essays = new_folder(st, u.id, "Essays", docs)
    local by = { [""] = root, Documents = docs, ["Documents/Essays"] = essays }
    for i, sf in ipairs(SEED_FILES) do
      new_file(st, u.id, by[sf[3]], sf[1], sf[2], string.rep(string.char(96 + i), 100 * i))
    end
    d.channels[1] = { id = store:new_id(), address = u.email, type = "email", position = 1,
      user_id = u.id, workflow_state = "active", created_at = CREATED }
    for i, name in ipairs({ (u.short_name or "My") .. "'s Portfolio", "Reflections", "Capstone", "Old Drafts" }) do
      d.eportfolios[i] = { id = store:new_id(), user_id = u.id, name = name, public = i % 2 == 1,
        created_at = CREATED, updated_at = CREATED, workflow_state = i == 4 and "deleted" or "active",
        deleted_at = i == 4 and CREATED or nil, spam_status = nil }
    end
    d.logins[1] = { id = store:new_id(), user_id = u.id, account_id = u.account_id or 1,
      unique_id = u.login_id, sis_user_id = u.sis_user_id, created_at = CREATED, workflow_state = "active" }
    if store:is_admin(u.id) then
      d.logins[2] = { id = store:new_id(), user_id = u.id, account_id = 2, unique_id = u.login_id .. "-ldap",
        created_at = CREATED, workflow_state = "active", authentication_provider_type = "ldap" }
    end
    return d, st
  end

  local function count_in(st, d, folder_id, kind)
    local n = 0
    for _, id in ipairs(kind == "files" and d.files or d.folders) do
      local x = kind == "files" and st.files[id] or st.folders[id]
      if x and not x.pending and (kind == "files" and x.folder_id or x.parent_folder_id) == folder_id then n = n + 1 end
    end
    return n
  end

  local function present_folder(st, f)
    local d = st.users[f.user_id]
    return { id = f.id, name = f.name, full_name = f.full_name, context_type = "User", context_id = f.user_id,
      parent_folder_id = f.parent_folder_id or json.null, created_at = f.created_at, updated_at = f.updated_at,
      position = f.position, locked = false, hidden = false, locked_for_user = false, hidden_for_user = false,
      for_submissions = false, can_upload = true,
      files_count = count_in(st, d, f.id, "files"), folders_count = count_in(st, d, f.id, "folders"),
      folders_url = "/api/v1/folders/" .. f.id .. "/folders", files_url = "/api/v1/folders/" .. f.id .. "/files" }
  end

  local function mime_class(ct)
    if ct:find("^image/") then return "image" elseif ct == "application/pdf" then return "pdf"
    elseif ct:find("^text/") then return "text" end
    return "file"
  end

  local function present_file(f)
    local out = { id = f.id, uuid = f.uuid, folder_id = f.folder_id, display_name = f.display_name,
      filename = f.filename, ["content-type"] = f.content_type, size = f.size, created_at = f.created_at,
      updated_at = f.updated_at, modified_at = f.updated_at, locked = false, hidden = false,
      locked_for_user = false, hidden_for_user = false, mime_class = mime_class(f.content_type),
      thumbnail_url = json.null, media_entry_id = json.null, upload_status = "success",
      url = (app.urls and app.urls.storage or "") .. "/files/" .. f.id .. "/download?verifier=" .. f.uuid,
      usage_rights = f.usage_rights or json.null }
    return out
  end

  local function user_folder(st, d, raw)
    local f = st.folders[to_int(raw) or -1]
    if not f or st.users[f.user_id] ~= d then app.not_found() end
    return f
  end

  local function user_file(st, d, raw)
    local f = st.files[to_int(raw) or -1]
    if not f or st.users[f.user_id] ~= d or f.pending then app.not_found() end
    return f
  end

  -- Walks (and with create, makes) a folder path under the user's root.
  local function folder_by_path(st, d, u, path, create)
    local f = st.folders[d.root]
    for name in (path or ""):gmatch("[^/]+") do
      local found
      for _, id in ipairs(d.folders) do
        local x = st.folders[id]
        if x.parent_folder_id == f.id and x.name == name then found = x break end
      end
      if not found then
        if not create then return nil end
        found = new_folder(st, u.id, name, f)
      end
      f = found
    end
    return f
  end

  local function manage(self, ctx)
    self:require_manage(ctx, ctx.user)
    return udata(ctx.user)
  end

  app:route("GET", "/users/:user/folders", function(self, ctx)
    local d, st = manage(self, ctx)
    local out = {}
    for _, id in ipairs(d.folders) do out[#out + 1] = present_folder(st, st.folders[id]) end
    return out
  end, { list = true })

  local function by_path(self, ctx)
    local d, st = manage(self, ctx)
    -- Split the raw path before unescaping, so "a%2Fb" stays one name.
    local raw = ctx.req.path:match("/folders/by_path/(.*)$") or ""
    local chain = { st.folders[d.root] }
    for part in raw:gmatch("[^/]+") do
      local name = params.unescape(part)
      local found
      for _, id in ipairs(d.folders) do
        local x = st.folders[id]
        if x.parent_folder_id == chain[#chain].id and x.name == name then found = x break end
      end
      if not found then app.not_found() end
      chain[#chain + 1] = found
    end
    local out = {}
    for i, f in ipairs(chain) do out[i] = present_folder(st, f) end
    return out
  end
  app:route("GET", "/users/:user/folders/by_path", by_path, { list = true })
  app:route("GET", "/users/:user/folders/by_path/*path", by_path, { list = true })

  app:route("GET", "/users/:user/folders/:folder", function(self, ctx)
    local d, st = manage(self, ctx)
    return present_folder(st, user_folder(st, d, ctx.args.folder))
  end)

  app:route("POST", "/users/:user/folders", function(self, ctx)
    local d, st = manage(self, ctx)
    local p = ctx.params
    if type(p.name) ~= "string" or p.name == "" then app.bad_request("name is required", "name", "blank") end
    if p.name:find("/", 1, true) then app.bad_request("name must not contain /", "name", "invalid") end
    local parent
    if p.parent_folder_id ~= nil then parent = user_folder(st, d, p.parent_folder_id)
    else parent = folder_by_path(st, d, ctx.user, p.parent_folder_path, true) end
    for _, id in ipairs(d.folders) do
      local x = st.folders[id]
      if x.parent_folder_id == parent.id and x.name == p.name then
        app.bad_request("a folder with that name already exists", "name", "taken")
      end
    end
    local f = new_folder(st, ctx.user.id, p.name, parent)
    if p.position then f.position = to_int(p.position) or 1 end
    return present_folder(st, f)
  end)

  app:route("GET", "/users/:user/files/quota", function(self, ctx)
    local d, st = manage(self, ctx)
    local used = 0
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and not f.pending then used = used + f.size end
    end
    return { quota = QUOTA, quota_used = used }
  end)

  app:route("GET", "/users/:user/files", function(self, ctx)
    local d, st = manage(self, ctx)
    local term = ctx.params.search_term
    if term ~= nil and (type(term) ~= "string" or #term < 2) then
      app.bad_request("search_term of 2 or more characters is required", "search_term", "invalid_length")
    end
    local types = {}
    for _, t in ipairs(array_of(ctx.params.content_types)) do types[t] = true end
    local out = {}
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and not f.pending and (not term or f.display_name:lower():find(term:lower(), 1, true))
          and (next(types) == nil or types[f.content_type] or types[f.content_type:match("^[^/]+")]) then
        out[#out + 1] = present_file(f)
      end
    end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/files/:file", function(self, ctx)
    local d, st = manage(self, ctx)
    return present_file(user_file(st, d, ctx.args.file))
  end)

  -- Canvas's own file endpoint: where an upload's Location may point.
  app:route("GET", "/files/:file", function(self, ctx)
    local st = state()
    local f = st.files[to_int(ctx.args.file) or -1]
    if not f or f.pending then app.not_found() end
    self:require_manage(ctx, store.users[f.user_id] or { id = f.user_id })
    return present_file(f)
  end)

  app:route("GET", "/files/:file/create_success", function(self, ctx)
    local st = state()
    local f = st.files[to_int(ctx.args.file) or -1]
    if not f or f.uuid ~= ctx.params.uuid then app.not_found() end
    self:require_manage(ctx, store.users[f.user_id] or { id = f.user_id })
    f.pending = nil
    return present_file(f)
  end)

  -- Usage rights and licenses ---------------------------------------------------

  local function files_from(st, d, p)
    local ids = array_of(p.file_ids)
    if #ids == 0 then app.bad_request("file_ids is required", "file_ids", "required") end
    local out = {}
    for _, raw in ipairs(ids) do out[#out + 1] = user_file(st, d, raw) end
    return out
  end

  app:route("PUT", "/users/:user/usage_rights", function(self, ctx)
    local d, st = manage(self, ctx)
    local files = files_from(st, d, ctx.params)
    local ur = ctx.params.usage_rights
    local just = type(ur) == "table" and ur.use_justification
    if not JUSTIFICATIONS[just or ""] then
      app.bad_request("use_justification must be one of own_copyright, used_by_permission, fair_use, "
        .. "public_domain, creative_commons", "use_justification", "invalid")
    end
    local license = ur.license or JUSTIFICATIONS[just]
    local lic_name
    for _, l in ipairs(LICENSES) do if l.id == license then lic_name = l.name end end
    if not lic_name then app.bad_request("unknown license", "license", "invalid") end
    local rights = { use_justification = just, license = license, license_name = lic_name,
      legal_copyright = ur.legal_copyright }
    local ids = json.array({})
    for _, f in ipairs(files) do
      f.usage_rights = copy(rights)
      ids[#ids + 1] = f.id
    end
    local out = copy(rights)
    out.message = string.format("%d file%s updated", #files, #files == 1 and "" or "s")
    out.file_ids = ids
    return out
  end)

  app:route("DELETE", "/users/:user/usage_rights", function(self, ctx)
    local d, st = manage(self, ctx)
    local files = files_from(st, d, ctx.params)
    local ids = json.array({})
    for _, f in ipairs(files) do
      f.usage_rights = nil
      ids[#ids + 1] = f.id
    end
    return { message = string.format("Usage rights removed from %d file%s", #files, #files == 1 and "" or "s"),
      file_ids = ids }
  end)

  app:route("GET", "/users/:user/content_licenses", function(self, ctx)
    manage(self, ctx)
    return store.deep_copy(LICENSES)
  end, { list = true })

  -- Uploads ------------------------------------------------------------------------

  app:route("POST", "/users/:user/files", function(self, ctx)
    -- Only the user (or someone masquerading as them) uploads to their files.
    if ctx.user_id ~= ctx.user.id then unauthorized() end
    local d, st = udata(ctx.user)
    local p = ctx.params
    if type(p.name) ~= "string" or p.name == "" then app.bad_request("name is required", "name", "blank") end
    local size = p.size ~= nil and to_int(p.size) or nil
    if p.size ~= nil and (not size or size < 0) then app.bad_request("size must be a whole number", "size") end
    if p.on_duplicate ~= nil and p.on_duplicate ~= "overwrite" and p.on_duplicate ~= "rename" then
      app.bad_request("on_duplicate must be overwrite or rename", "on_duplicate")
    end
    local folder
    if p.parent_folder_id ~= nil then folder = user_folder(st, d, p.parent_folder_id)
    else folder = folder_by_path(st, d, ctx.user, p.parent_folder_path, true) end
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
    return { upload_url = (app.urls and app.urls.storage or "") .. "/files_api/upload/" .. token,
      upload_params = copy(up.params), file_param = "file" }
  end)

  -- Multipart form-data: parts in order, {name=, filename=, headers=, data=}.
  local function parse_multipart(req)
    local ctype = req.headers["content-type"] or ""
    local boundary = ctype:match("boundary=\"([^\"]+)\"") or ctype:match("boundary=([^;%s]+)")
    if not ctype:lower():find("^multipart/form%-data") or not boundary then return nil, "expected multipart/form-data" end
    local body, delim = req.body, "--" .. boundary
    local parts = {}
    local pos = body:find(delim, 1, true)
    if not pos then return nil, "no multipart boundary in the body" end
    pos = pos + #delim
    while true do
      if body:sub(pos, pos + 1) == "--" then break end
      local head_start = pos + 2  -- skip CRLF after the delimiter
      local head_end = body:find("\r\n\r\n", head_start, true)
      if not head_end then return nil, "malformed part headers" end
      local nxt = body:find("\r\n" .. delim, head_end + 4, true)
      if not nxt then return nil, "unterminated part" end
      local part = { headers = {}, data = body:sub(head_end + 4, nxt - 1) }
      for line in body:sub(head_start, head_end - 1):gmatch("[^\r\n]+") do
        local k, v = line:match("^([^:]+):%s*(.*)$")
        if k then part.headers[k:lower()] = v end
      end
      local cd = part.headers["content-disposition"] or ""
      part.name = cd:match('[; ]name="([^"]*)"')
      part.filename = cd:match('filename="([^"]*)"')
      parts[#parts + 1] = part
      pos = nxt + 2 + #delim
    end
    return parts
  end

  local function storage_json(status, value, headers)
    headers = headers or {}
    headers["Content-Type"] = "application/json; charset=utf-8"
    return { status = status, headers = headers, body = value == nil and "" or json.encode(value) }
  end

  local function storage_error(status, message)
    return storage_json(status, { errors = { { message = message } } })
  end

  local function unique_name(st, d, folder_id, name)
    local taken = {}
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and f.folder_id == folder_id and not f.pending then taken[f.display_name] = f end
    end
    if not taken[name] then return name end
    local stem, ext = name:match("^(.-)(%.[^.]*)$")
    stem, ext = stem or name, ext or ""
    for i = 1, math.huge do
      local candidate = string.format("%s-%d%s", stem, i, ext)
      if not taken[candidate] then return candidate end
    end
  end

  local function storage_upload(req, token)
    local st = state()
    local up = st.uploads[token]
    if not up then return storage_error(404, "no such upload (or already used)") end
    if req.headers.authorization then
      return storage_error(403, "storage does not take the Canvas token (Authorization header sent)")
    end
    local parts, err = parse_multipart(req)
    if not parts then return storage_error(400, err) end
    local seen, file = {}, nil
    for i, part in ipairs(parts) do
      if part.name == "file" then
        if i ~= #parts then return storage_error(400, "the file must be the last part of the form") end
        file = part
      else
        seen[part.name or ""] = part.data
      end
    end
    for k, v in pairs(up.params) do
      if seen[k] ~= v then
        return storage_error(403, string.format("upload parameter '%s' missing or changed", k))
      end
    end
    if not file then return storage_error(400, "no file part") end
    if up.size and #file.data ~= up.size then
      return storage_error(400, string.format("size mismatch: declared %d, got %d", up.size, #file.data))
    end
    st.uploads[token] = nil
    local u = store.users[up.user_id]
    local d = udata(u)
    local name = up.name
    local existing
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and f.folder_id == up.folder_id and f.display_name == name and not f.pending then existing = f end
    end
    local mode = app.config.upload_mode or "redirect"
    local pending = mode == "redirect" or mode == "redirect_foreign"
    local f
    if existing and up.on_duplicate == "overwrite" then
      f = existing
      f.content, f.size, f.content_type = file.data, #file.data, up.content_type
      f.updated_at = "2024-09-02T12:00:00Z"
    else
      if existing then name = unique_name(st, d, up.folder_id, name) end
      f = new_file(st, u.id, st.folders[up.folder_id], name, up.content_type, file.data)
      f.pending = pending or nil
    end
    local main = app.urls and app.urls.main or ""
    if mode == "redirect" then
      return { status = 303, headers = { Location = string.format("%s/api/v1/files/%d/create_success?uuid=%s",
        main, f.id, f.uuid) }, body = "" }
    elseif mode == "redirect_foreign" then
      return { status = 303, headers = { Location = string.format("%s/api/v1/files/%d/create_success?uuid=%s",
        app.urls and app.urls.alt or "", f.id, f.uuid) }, body = "" }
    elseif mode == "created_location" then
      return { status = 201, headers = { Location = string.format("%s/api/v1/files/%d", main, f.id) }, body = "" }
    end
    return storage_json(201, present_file(f), { Location = string.format("%s/api/v1/files/%d", main, f.id) })
  end

  --- The storage origin: uploads, and downloads by verifier (no token).
  app.storage_handler = function(_, req)
    local token = req.path:match("^/files_api/upload/([%w]+)$")
    if token and req.method == "POST" then return storage_upload(req, token) end
    local id = to_int(req.path:match("^/files/(%d+)/download$"))
    if id and (req.method == "GET" or req.method == "HEAD") then
      local f = state().files[id]
      if f and not f.pending and params.parse_query(req.query).verifier == f.uuid then
        return { status = 200, headers = { ["Content-Type"] = f.content_type }, body = f.content }
      end
    end
    return storage_error(404, "The specified resource does not exist.")
  end

  -- Colours --------------------------------------------------------------------------

  local function check_asset(asset)
    local kind, id = (asset or ""):match("^(%l+)_(%d+)$")
    id = to_int(id)
    local exists = (kind == "course" and store.courses[id]) or (kind == "user" and store.users[id])
      or (kind == "group" and id) or (kind == "account" and store.accounts[id])
    if not exists then app.halt(404, { errors = { { message = "Asset does not exist" } } }) end
  end

  app:route("GET", "/users/:user/colors", function(self, ctx)
    local d = manage(self, ctx)
    return { custom_colors = copy(d.colors) }
  end)

  app:route("GET", "/users/:user/colors/:asset", function(self, ctx)
    local d = manage(self, ctx)
    return { hexcode = d.colors[ctx.args.asset] or json.null }
  end)

  app:route("PUT", "/users/:user/colors/:asset", function(self, ctx)
    local d = manage(self, ctx)
    check_asset(ctx.args.asset)
    local hex = ctx.params.hexcode
    if type(hex) ~= "string" or not (hex:match("^#?%x%x%x$") or hex:match("^#?%x%x%x%x%x%x$")) then
      app.bad_request("Invalid hexcode provided", "hexcode", "invalid")
    end
    if hex:sub(1, 1) ~= "#" then hex = "#" .. hex end
    d.colors[ctx.args.asset] = hex
    return { hexcode = hex }
  end)

  -- Communication channels ---------------------------------------------------------

  app:route("GET", "/users/:user/communication_channels", function(self, ctx)
    local d = manage(self, ctx)
    local out = {}
    for _, c in ipairs(d.channels) do out[#out + 1] = copy(c) end
    table.sort(out, function(a, b) return a.position < b.position end)
    return out
  end, { list = true })

  app:route("POST", "/users/:user/communication_channels", function(self, ctx)
    local d = manage(self, ctx)
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
    local skip = truthy(ctx.params.skip_confirmation) and store:is_admin(ctx.user_id)
    local c = { id = store:new_id(), address = address, type = kind, position = #d.channels + 1,
      user_id = ctx.user.id, workflow_state = skip and "active" or "unconfirmed", created_at = CREATED }
    d.channels[#d.channels + 1] = c
    return copy(c)
  end)

  -- Content migrations and exports -------------------------------------------------

  local function present_migration(m)
    local out = copy(m)
    out.settings = copy(m.settings or {})
    return out
  end

  app:route("GET", "/users/:user/content_migrations/migrators", function(self, ctx)
    manage(self, ctx)
    return store.deep_copy(MIGRATORS)
  end, { list = true })

  app:route("GET", "/users/:user/content_migrations", function(self, ctx)
    local d = manage(self, ctx)
    local out = {}
    for i = #d.migrations, 1, -1 do out[#out + 1] = present_migration(d.migrations[i]) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/content_migrations/:migration", function(self, ctx)
    local d = manage(self, ctx)
    local id = to_int(ctx.args.migration)
    for _, m in ipairs(d.migrations) do if m.id == id then return present_migration(m) end end
    app.not_found()
  end)

  app:route("POST", "/users/:user/content_migrations", function(self, ctx)
    local d = manage(self, ctx)
    local p = ctx.params
    local mig
    for _, m in ipairs(MIGRATORS) do if m.type == p.migration_type then mig = m end end
    if not mig then app.bad_request("Invalid migration_type", "migration_type", "invalid") end
    local settings = type(p.settings) == "table" and p.settings or {}
    local pre = type(p.pre_attachment) == "table" and p.pre_attachment or nil
    if mig.requires_file_upload and not settings.file_url and not (pre and pre.name) then
      app.bad_request("File upload or url is required", "pre_attachment", "required")
    end
    local m = { id = store:new_id(), migration_type = mig.type, migration_type_title = mig.name,
      user_id = ctx.user_id, workflow_state = pre and "pre_processing" or "running", created_at = CREATED,
      started_at = CREATED, settings = { file_url = settings.file_url, folder_id = settings.folder_id } }
    m.progress_url = "/api/v1/progress/" .. m.id
    m.migration_issues_url = string.format("/api/v1/users/%d/content_migrations/%d/migration_issues",
      ctx.user.id, m.id)
    d.migrations[#d.migrations + 1] = m
    local out = present_migration(m)
    if pre then
      out.pre_attachment = { upload_url = (app.urls and app.urls.storage or "") .. "/files_api/migration/" .. m.id,
        upload_params = {}, file_param = "file" }
    end
    return out
  end)

  app:route("GET", "/users/:user/content_exports", function(self, ctx)
    local d = manage(self, ctx)
    local out = {}
    for i = #d.exports, 1, -1 do out[#out + 1] = copy(d.exports[i]) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/content_exports/:export", function(self, ctx)
    local d = manage(self, ctx)
    local id = to_int(ctx.args.export)
    for _, e in ipairs(d.exports) do if e.id == id then return copy(e) end end
    app.not_found()
  end)

  app:route("POST", "/users/:user/content_exports", function(self, ctx)
    local d = manage(self, ctx)
    local t = ctx.params.export_type
    if t ~= "zip" then
      app.bad_request("export_type must be zip for a user", "export_type", "invalid")
    end
    local e = { id = store:new_id(), export_type = t, user_id = ctx.user_id, created_at = CREATED,
      workflow_state = "exported" }
    e.progress_url = "/api/v1/progress/" .. e.id
    e.attachment = { url = string.format("%s/exports/%d.zip", app.urls and app.urls.storage or "", e.id) }
    d.exports[#d.exports + 1] = e
    return copy(e)
  end)

  -- Features -------------------------------------------------------------------------

  local function flag_of(d, u, f)
    return { context_type = "User", context_id = u.id, feature = f.feature,
      state = d.flags[f.feature] or f.default, locked = false }
  end

  local function present_feature(d, u, f)
    return { feature = f.feature, display_name = f.display_name, applies_to = "User", root_opt_in = false,
      beta = false, feature_flag = flag_of(d, u, f) }
  end

  local function find_feature(name)
    for _, f in ipairs(FEATURES) do if f.feature == name then return f end end
    app.not_found()
  end

  app:route("GET", "/users/:user/features", function(self, ctx)
    local d = manage(self, ctx)
    local out = {}
    for i, f in ipairs(FEATURES) do out[i] = present_feature(d, ctx.user, f) end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/features/enabled", function(self, ctx)
    local d = manage(self, ctx)
    local out = json.array({})
    for _, f in ipairs(FEATURES) do
      if (d.flags[f.feature] or f.default) == "on" then out[#out + 1] = f.feature end
    end
    return out
  end)

  app:route("GET", "/users/:user/features/flags/:feature", function(self, ctx)
    local d = manage(self, ctx)
    return flag_of(d, ctx.user, find_feature(ctx.args.feature))
  end)

  app:route("PUT", "/users/:user/features/flags/:feature", function(self, ctx)
    local d = manage(self, ctx)
    local f = find_feature(ctx.args.feature)
    local s = ctx.params.state
    if s ~= "on" and s ~= "off" then app.bad_request("state must be on or off", "state", "invalid") end
    d.flags[f.feature] = s
    return flag_of(d, ctx.user, f)
  end)

  app:route("DELETE", "/users/:user/features/flags/:feature", function(self, ctx)
    local d = manage(self, ctx)
    local f = find_feature(ctx.args.feature)
    d.flags[f.feature] = nil
    return flag_of(d, ctx.user, f)
  end)

  -- Sessions -------------------------------------------------------------------------

  app:route("DELETE", "/users/:user/sessions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local d = udata(ctx.user)
    -- Every access token of the user stops working, as on Canvas.
    for token, uid in pairs(store.tokens) do
      if uid == ctx.user.id then store.tokens[token] = nil end
    end
    d.sessions_terminated_at = os.date("!%Y-%m-%dT%H:%M:%SZ")
    -- Canvas renders a bare `ok` (not valid JSON) here.
    return { __raw_response = true, status = 200,
      headers = { ["Content-Type"] = "application/json; charset=utf-8" }, body = "ok" }
  end)

  -- Avatars, calendar, enrollments, assignments ----------------------------------------

  app:route("GET", "/users/:user/avatars", function(self, ctx)
    local d, st = manage(self, ctx)
    local u = ctx.user
    local out = { { type = "gravatar", display_name = "gravatar pic", token = "gravatar-" .. u.id,
      url = "https://secure.gravatar.com/avatar/" .. u.id .. "?s=128&d=identicon" } }
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and not f.pending and f.content_type:find("^image/") then
        out[#out + 1] = { type = "attachment", display_name = f.display_name, token = "attachment-" .. f.id,
          url = present_file(f).url, id = f.id, ["content-type"] = f.content_type, filename = f.filename,
          size = f.size }
      end
    end
    out[#out + 1] = { type = "no_pic", display_name = "no pic", token = "no_pic",
      url = "https://sandbox.test/images/messages/avatar-50.png" }
    return out
  end, { list = true })

  local function course_assignments(course_id)
    local st = state()
    local list = st.assignments[course_id]
    if list then return list end
    list = {}
    for n = 1, 12 do
      list[n] = { id = course_id * 1000 + n, course_id = course_id, name = string.format("Assignment %d.%02d", course_id, n),
        due_at = n % 2 == 1 and string.format("2024-09-%02dT23:59:00Z", n) or string.format("2031-05-%02dT23:59:00Z", n),
        points_possible = 10, submission_types = json.array({ "online_upload" }), published = true,
        position = n, html_url = string.format("https://sandbox.test/courses/%d/assignments/%d", course_id,
          course_id * 1000 + n) }
    end
    st.assignments[course_id] = list
    return list
  end

  local function submitted(user_id, a) return (user_id + a.id) % 3 == 0 end

  app:route("GET", "/users/:user/calendar_events", function(self, ctx)
    manage(self, ctx)
    local u, p = ctx.user, ctx.params
    local want_type = p.type or "event"
    local codes = {}
    for _, c in ipairs(array_of(p.context_codes)) do codes[c] = true end
    local out = {}
    local function add(e)
      local day = e.start_at:sub(1, 10)
      if next(codes) and not codes[e.context_code] then return end
      if not truthy(p.all_events) then
        if p.start_date and day < tostring(p.start_date):sub(1, 10) then return end
        if p.end_date and day > tostring(p.end_date):sub(1, 10) then return end
      end
      out[#out + 1] = e
    end
    if want_type == "event" then
      for i = 1, 6 do
        add({ id = u.id * 100 + i, title = "Personal reminder " .. i, context_code = "user_" .. u.id,
          start_at = string.format("2024-10-%02dT15:00:00Z", i * 3), end_at = string.format("2024-10-%02dT16:00:00Z", i * 3),
          workflow_state = "active", type = "event", all_day = false })
      end
      for _, e in ipairs(store:enrollments_of(u.id)) do
        for i = 1, 4 do
          add({ id = 5000000 + e.course_id * 100 + i, title = string.format("Course %d session %d", e.course_id, i),
            context_code = "course_" .. e.course_id, start_at = string.format("2024-10-%02dT09:00:00Z", i * 5 + e.course_id),
            end_at = string.format("2024-10-%02dT10:00:00Z", i * 5 + e.course_id), workflow_state = "active",
            type = "event", all_day = false })
        end
      end
    elseif want_type == "assignment" then
      for _, e in ipairs(store:enrollments_of(u.id)) do
        for _, a in ipairs(course_assignments(e.course_id)) do
          add({ id = "assignment_" .. a.id, title = a.name, context_code = "course_" .. e.course_id,
            start_at = a.due_at, end_at = a.due_at, type = "assignment", workflow_state = "published",
            assignment = copy(a) })
        end
      end
    else
      app.bad_request("type must be event or assignment", "type", "invalid")
    end
    table.sort(out, function(a, b)
      if a.start_at == b.start_at then return tostring(a.id) < tostring(b.id) end
      return a.start_at < b.start_at
    end)
    return out
  end, { list = true })

  app:route("GET", "/users/:user/enrollments", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local states, types = {}, {}
    for _, s in ipairs(array_of(ctx.params.state)) do states[s] = true end
    for _, t in ipairs(array_of(ctx.params.type)) do types[t] = true end
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      if (next(states) == nil or states[e.enrollment_state]) and (next(types) == nil or types[e.type]) then
        local x = copy(e)
        x.root_account_id = 1
        x.course_section_id = e.course_id
        x.html_url = string.format("https://sandbox.test/courses/%d/users/%d", e.course_id, e.user_id)
        out[#out + 1] = x
      end
    end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/courses/:course/assignments", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local enrolled = false
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      if e.course_id == ctx.course.id then enrolled = true end
    end
    if not enrolled then app.not_found() end
    local out = {}
    for _, a in ipairs(course_assignments(ctx.course.id)) do
      local x = copy(a)
      x.has_submitted_submissions = submitted(ctx.user.id, a)
      out[#out + 1] = x
    end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/missing_submissions", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local only = {}
    for _, c in ipairs(array_of(ctx.params.course_ids)) do only[to_int(c) or -1] = true end
    local now = "2025-01-01T00:00:00Z"
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      if e.type == "StudentEnrollment" and (next(only) == nil or only[e.course_id]) then
        for _, a in ipairs(course_assignments(e.course_id)) do
          if a.due_at < now and not submitted(ctx.user.id, a) then out[#out + 1] = copy(a) end
        end
      end
    end
    return out
  end, { list = true })

  -- ePortfolios and logins -------------------------------------------------------------

  local function present_portfolio(e)
    local out = copy(e)
    out.spam_status = e.spam_status or json.null
    out.deleted_at = e.deleted_at or json.null
    return out
  end

  app:route("GET", "/users/:user/eportfolios", function(self, ctx)
    local d = manage(self, ctx)
    local deleted = false
    for _, inc in ipairs(array_of(ctx.params.include)) do if inc == "deleted" then deleted = true end end
    local out = {}
    for _, e in ipairs(d.eportfolios) do
      if e.workflow_state == "active" or deleted then out[#out + 1] = present_portfolio(e) end
    end
    return out
  end, { list = true })

  app:route("PUT", "/users/:user/eportfolios", function(_, ctx)
    require_admin(ctx)  -- moderate_user_content
    local d = udata(ctx.user)
    local s = ctx.params.spam_status
    if s ~= "marked_as_spam" and s ~= "marked_as_safe" then
      app.bad_request("spam_status must be marked_as_spam or marked_as_safe", "spam_status", "invalid")
    end
    local out = json.array({})
    for _, e in ipairs(d.eportfolios) do
      if e.workflow_state == "active" then
        e.spam_status = s
        out[#out + 1] = present_portfolio(e)
      end
    end
    return out
  end)

  app:route("GET", "/users/:user/logins", function(self, ctx)
    local d = manage(self, ctx)
    local out = {}
    for _, l in ipairs(d.logins) do out[#out + 1] = copy(l) end
    return out
  end, { list = true })

  -- Audit logs (admins) -------------------------------------------------------------------

  local function in_window(created, p)
    if p.start_time and created < tostring(p.start_time) then return false end
    if p.end_time and created > tostring(p.end_time) then return false end
    return true
  end

  app:route("GET", "/audit/authentication/users/:user", function(_, ctx)
    require_admin(ctx)
    local d = udata(ctx.user)
    local out = {}
    for i = 15, 1, -1 do  -- newest first, as Canvas orders them
      local created = string.format("2024-09-%02dT%02d:00:00Z", i, i % 2 == 1 and 8 or 17)
      if in_window(created, ctx.params) then
        out[#out + 1] = { id = string.format("auth-%d-%02d", ctx.user.id, i), created_at = created,
          event_type = i % 2 == 1 and "login" or "logout", pseudonym_id = d.logins[1].id,
          account_id = ctx.user.account_id or 1, user_id = ctx.user.id }
      end
    end
    return out
  end, { list = true, root = "events" })

  local function grade_events(match)
    local out = {}
    for _, e in ipairs(store.enrollments) do
      if e.type == "StudentEnrollment" then
        for k = 1, 3 do
          local ev = { id = string.format("gc-%d-%d", e.id, k), event_type = "grade_change",
            created_at = string.format("2024-09-%02dT12:%02d:00Z", 10 + k, e.id % 60),
            grade_before = k == 1 and json.null or tostring(5 + k), grade_after = tostring(6 + k),
            excused_before = false, excused_after = false, graded_anonymously = false, version_number = k,
            links = { assignment = e.course_id * 1000 + k, course = e.course_id, student = e.user_id, grader = 2,
              page_view = json.null } }
          if match(ev) then out[#out + 1] = ev end
        end
      end
    end
    table.sort(out, function(a, b)
      if a.created_at == b.created_at then return a.id < b.id end
      return a.created_at > b.created_at
    end)
    return out
  end

  app:route("GET", "/audit/grade_change/graders/:user", function(_, ctx)
    require_admin(ctx)
    return grade_events(function(ev) return ev.links.grader == ctx.user.id and in_window(ev.created_at, ctx.params) end)
  end, { list = true, root = "events" })

  app:route("GET", "/audit/grade_change/students/:user", function(_, ctx)
    require_admin(ctx)
    return grade_events(function(ev) return ev.links.student == ctx.user.id and in_window(ev.created_at, ctx.params) end)
  end, { list = true, root = "events" })
end
