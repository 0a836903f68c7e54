--- User methods written in Lua: the ones that need more than "verb + path
-- template + return type" (a required argument that is a parameter, not a
-- path segment; a list whose items get the user's id; the three-step file
-- upload). The plain ones are endpoint rows in src/binding/user.c.
local core = require "lcanvas.core"

local User = core.methods("User")
-- (Not returned: error messages would then name methods "lcanvas.user.x".)

-- Helpers --------------------------------------------------------------------

local args = require "lcanvas.args"
local argerror, segment = args.argerror, args.segment

local function base(self, fname)
  return "users/" .. segment(self, 0, fname)
end

local function check_string(v, n, fname, what)
  if type(v) ~= "string" or v == "" then
    argerror(n, fname, string.format("%s must be a non-empty string, got %s", what,
      v == "" and "an empty string" or type(v)))
  end
  return v
end

local params_with = args.params_with

local function invalid(fmt, ...)
  error(core.error("InvalidResponse", string.format(fmt, ...)), 3)
end

-- An object of `type` from a decoded answer, optionally with fields it lacks.
local function object(c, type_name, v, what, extra)
  if type(v) ~= "table" then invalid("expected a %s object in the answer to %s", type_name, what) end
  for k, x in pairs(extra or {}) do v[k] = x end
  return core.object(type_name, v, c)
end

-- Methods ----------------------------------------------------------------------

--- User:create_folder(name [, params]): create a folder (POST users/:id/folders; parent_folder_path or parent_folder_id in params); returns an lcanvas.Folder.
function User.create_folder(self, name, params)
  check_string(name, 1, "create_folder", "name")
  local p = params_with(params, 2, "create_folder", { name = name })
  local c = core.client_of(self)
  local path = base(self, "create_folder") .. "/folders"
  return object(c, "Folder", c:request("POST", path, p), "POST " .. path)
end

--- User:create_content_migration(migration_type [, params]): start a content migration (POST users/:id/content_migrations); migration_type is a type string or an lcanvas.Migrator; returns an lcanvas.ContentMigration.
function User.create_content_migration(self, migration_type, params)
  if core.is_object(migration_type, "Migrator") then migration_type = migration_type:get("type") end
  check_string(migration_type, 1, "create_content_migration", "migration_type (a string or a Migrator)")
  local p = params_with(params, 2, "create_content_migration", { migration_type = migration_type })
  local c = core.client_of(self)
  local path = base(self, "create_content_migration") .. "/content_migrations"
  return object(c, "ContentMigration", c:request("POST", path, p), "POST " .. path,
    { user_id = self.id })
end

--- User:get_content_migrations([params]): the user's content migrations (GET users/:id/content_migrations), each with user_id set; a PaginatedList of lcanvas.ContentMigration.
function User.get_content_migrations(self, params)
  local p = params_with(params, 1, "get_content_migrations")
  return core.list(core.client_of(self), "ContentMigration",
    base(self, "get_content_migrations") .. "/content_migrations", p, nil, { user_id = self.id })
end

--- User:get_features([params]): the features that apply to the user (GET users/:id/features), each with user_id set; a PaginatedList of lcanvas.Feature.
function User.get_features(self, params)
  local p = params_with(params, 1, "get_features")
  return core.list(core.client_of(self), "Feature", base(self, "get_features") .. "/features", p,
    nil, { user_id = self.id })
end

--- User:get_feature_flag(feature [, params]): the flag of one feature for the user (GET users/:id/features/flags/:feature); feature is an lcanvas.Feature or a name; returns an lcanvas.FeatureFlag.
function User.get_feature_flag(self, feature, params)
  if core.is_object(feature, "Feature") then feature = feature.feature end
  check_string(feature, 1, "get_feature_flag", "feature (a name or a Feature)")
  local p = params_with(params, 2, "get_feature_flag")
  local c = core.client_of(self)
  local path = base(self, "get_feature_flag") .. "/features/flags/" .. segment(feature, 1, "get_feature_flag")
  return object(c, "FeatureFlag", c:request("GET", path, p), "GET " .. path)
end

--- User:export_content(export_type [, params]): start a content export (POST users/:id/content_exports, export_type "zip" for users); returns an lcanvas.ContentExport.
function User.export_content(self, export_type, params)
  check_string(export_type, 1, "export_content", "export_type")
  local p = params_with(params, 2, "export_content", { export_type = export_type })
  local c = core.client_of(self)
  local path = base(self, "export_content") .. "/content_exports"
  return object(c, "ContentExport", c:request("POST", path, p), "POST " .. path)
end

--- User:update_color(asset_string, hexcode [, params]): save a custom colour for an asset such as "course_42" (PUT users/:id/colors/:asset_string; the "#" is optional); returns a table {hexcode=...}.
function User.update_color(self, asset_string, hexcode, params)
  check_string(asset_string, 1, "update_color", "asset_string")
  check_string(hexcode, 2, "update_color", "hexcode")
  local p = params_with(params, 3, "update_color", { hexcode = hexcode })
  local c = core.client_of(self)
  local path = base(self, "update_color") .. "/colors/" .. segment(asset_string, 1, "update_color")
  return c:request("PUT", path, p)
end

--- User:resolve_path([full_path [, params]]): the folders from the user's root down to full_path ("a b/c"; each segment escaped), or the root folder alone (GET users/:id/folders/by_path/*full_path); a PaginatedList of lcanvas.Folder.
function User.resolve_path(self, full_path, params)
  if full_path ~= nil and type(full_path) ~= "string" then
    argerror(1, "resolve_path", "full_path must be a string or nil, got " .. type(full_path))
  end
  local p = params_with(params, 2, "resolve_path")
  local path = base(self, "resolve_path") .. "/folders/by_path"
  for part in (full_path or ""):gmatch("[^/]+") do
    path = path .. "/" .. segment(part, 1, "resolve_path")
  end
  return core.list(core.client_of(self), "Folder", path, p)
end

--- User:moderate_all_eportfolios(params): set spam_status ("marked_as_spam", "marked_as_safe") on all the user's active ePortfolios now (PUT users/:id/eportfolios); returns a PaginatedList of the user's lcanvas.EPortfolio.
function User.moderate_all_eportfolios(self, params)
  local p = params_with(params, 1, "moderate_all_eportfolios")
  local c = core.client_of(self)
  local path = base(self, "moderate_all_eportfolios") .. "/eportfolios"
  -- Sent at once (a PUT must not wait for someone to iterate); the list
  -- then reads the moderated portfolios back lazily.
  c:request("PUT", path, p)
  return core.list(c, "EPortfolio", path)
end

--- User:terminate_sessions([params]): end all the user's browser sessions and revoke their access tokens (DELETE users/:id/sessions); returns "ok".
function User.terminate_sessions(self, params)
  local p = params_with(params, 1, "terminate_sessions")
  local c = core.client_of(self)
  local path = base(self, "terminate_sessions") .. "/sessions"
  -- Canvas answers with a bare `ok`, which is not JSON.
  local ok, res = pcall(c.request, c, "DELETE", path, p)
  if ok then return res == nil and "ok" or res end
  local is_err = type(res) == "table" and getmetatable(res) == getmetatable(core.error("CanvasException", ""))
  if is_err and res.kind == "InvalidResponse" and res.status >= 200 and res.status < 300 then
    local body = (res.body or ""):match("^%s*(.-)%s*$")
    if body == "ok" then return "ok" end
  end
  error(res, 0)
end

-- Upload ---------------------------------------------------------------------------

local function basename(path) return path:match("([^/]+)/*$") or path end

-- Size of a path or file handle; raises (before any request) when unreadable.
local function file_info(file, fname)
  if io.type(file) == "file" then
    local pos = file:seek("cur")
    local size = pos and file:seek("end")
    if not size then argerror(1, fname, "the file handle cannot seek (not a regular file?)") end
    file:seek("set", pos)
    local _, rerr = file:read(0)  -- a directory opens fine but cannot be read
    if rerr then argerror(1, fname, "the file handle is not a regular file: " .. tostring(rerr)) end
    return size, nil
  elseif io.type(file) == "closed file" then
    argerror(1, fname, "attempt to use a closed file")
  elseif type(file) == "string" and file ~= "" then
    local f, err = io.open(file, "rb")
    if not f then argerror(1, fname, "cannot open file: " .. tostring(err)) end
    local _, rerr = f:read(0)  -- a directory opens fine but cannot be read
    local size = not rerr and f:seek("end")
    f:close()
    if not size then argerror(1, fname, "'" .. file .. "' is not a regular file") end
    return size, basename(file)
  end
  argerror(1, fname, "expected a file path or an open file handle, got " .. type(file))
end

-- Origin (scheme://host:port) of an absolute URL, lowercased, default ports.
local function origin_of(url)
  local scheme, host = url:match("^(%a[%w+.-]*)://([^/?#]+)")
  if not scheme then return nil end
  scheme = scheme:lower()
  host = host:gsub("^.*@", ""):lower()
  if not host:find(":%d+$") then host = host .. (scheme == "https" and ":443" or ":80") end
  return scheme .. "://" .. host
end

local function file_table(v, what)
  if type(v) ~= "table" or v.id == nil then invalid("expected the File JSON in the answer to %s", what) end
  return v
end

local function decode_file(text, what)
  local ok, v = pcall(core.json.decode, text)
  return file_table(ok and v or nil, what)
end

-- An authenticated GET of the Location; refused (ForeignOrigin) unless it
-- is on Canvas's origin, so the token never follows a redirect elsewhere.
local function fetch_location(c, location)
  return file_table(c:request("GET", location), "GET " .. location:gsub("%?.*$", ""))
end

--- User:upload(file [, params]): upload a file (a path or an open file handle) to the user's files in Canvas's three steps (POST users/:id/files with name and size, a multipart POST to upload_url that never gets the token, then the File from a 3xx Location or the 201 answer); params: name, content_type, parent_folder_path, parent_folder_id, on_duplicate. Returns true and the File as a plain table (under a dry run, true and `{dry_run = true, ...}` after printing step 1).
function User.upload(self, file, params)
  local size, name = file_info(file, "upload")
  local p = params_with(params, 2, "upload")
  p.name = p.name or name
  if p.name == nil or p.name == "" then
    error(core.error("RequiredFieldMissing", "User:upload from a file handle requires 'name' in params",
      { field = "name" }), 2)
  end
  p.size = size
  local c = core.client_of(self)
  local path = base(self, "upload") .. "/files"

  -- 1. Tell Canvas about the file.
  local ticket = c:request("POST", path, p)
  if type(ticket) == "table" and ticket.dry_run == true and ticket.upload_url == nil then
    -- A dry run: step 1 was printed, not sent, so there is nowhere to upload to.
    return true, { dry_run = true, display_name = p.name, size = size }
  end
  if type(ticket) ~= "table" or type(ticket.upload_url) ~= "string" then
    invalid("expected upload_url in the answer to POST %s", path)
  end
  local fields, upload_params = {}, ticket.upload_params or {}
  if type(upload_params) ~= "table" then invalid("upload_params must be an object") end
  for k, v in pairs(upload_params) do
    if type(v) == "table" and v ~= core.null then invalid("upload_params.%s is not a plain value", tostring(k)) end
    if v ~= core.null then fields[#fields + 1] = { tostring(k), tostring(v) } end
  end
  table.sort(fields, function(a, b) return a[1] < b[1] end)  -- deterministic requests

  -- 2. Send the bytes to the storage URL, without the token.
  local status, body, headers = core.upload_form(c, ticket.upload_url, fields, file,
    type(ticket.file_param) == "string" and ticket.file_param or "file", p.name,
    type(p.content_type) == "string" and p.content_type or nil)

  -- 3. Confirm and get the File.
  local location = headers.location
  if location and location:sub(1, 1) == "/" then
    location = (origin_of(ticket.upload_url) or "") .. location
  end
  local what = "POST " .. ticket.upload_url:gsub("%?.*$", "")
  if status >= 300 and status < 400 then
    if not location then invalid("the upload answered %d without a Location", status) end
    return true, fetch_location(c, location)
  end
  if body:match("%S") then
    local ok, v = pcall(core.json.decode, body)
    if ok and type(v) == "table" and v.id ~= nil then return true, v end
  end
  if location then return true, fetch_location(c, location) end
  if body:match("%S") then return true, decode_file(body, what) end
  invalid("the upload answered %d with neither a File nor a Location", status)
end

return true
