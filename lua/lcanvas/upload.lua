--- Canvas's file upload, for any context that takes files (a user's files
-- today; a course's, a folder's, a group's or a SIS import's attachment
-- all use the same three steps, lib/api/v1/attachment.rb
-- api_attachment_preflight):
--   1. POST <context>/files with name, size and the caller's params; Canvas
--      answers {upload_url, upload_params, file_param};
--   2. a multipart POST to upload_url with every upload_params pair
--      unchanged (in key order) and the file part last. upload_url is
--      usually another host (S3, inst-fs): it never gets the token, an
--      as_user_id or a retry;
--   3. a 3xx: GET its Location with the token (it must be on Canvas's
--      origin); a 201: the File is its body, or a GET of its Location.
-- Step 2 goes through the request path like any request (core.transfer),
-- so inside a task it yields and the other tasks go on.
local core = require "lcanvas.core"
local args = require "lcanvas.args"

local M = {}

local argerror = args.argerror

local function invalid(fmt, ...)
  error(core.error("InvalidResponse", string.format(fmt, ...)), 3)
end

local function basename(path) return path:match("([^/]+)/*$") or path end

-- Size of a path or file handle; raises (before any request) when unreadable.
local function file_info(file, fname, argn)
  if io.type(file) == "file" then
    local pos = file:seek("cur")
    local size = pos and file:seek("end")
    if not size then argerror(argn, fname, "the file handle cannot seek (not a regular file?)", 4) end
    file:seek("set", pos)
    local _, rerr = file:read(0)  -- a directory opens fine but cannot be read
    if rerr then argerror(argn, fname, "the file handle is not a regular file: " .. tostring(rerr), 4) end
    return size, nil
  elseif io.type(file) == "closed file" then
    argerror(argn, fname, "attempt to use a closed file", 4)
  elseif type(file) == "string" and file ~= "" then
    local f, err = io.open(file, "rb")
    if not f then argerror(argn, fname, "cannot open file: " .. tostring(err), 4) end
    local _, rerr = f:read(0)  -- a directory opens fine but cannot be read
    local size = not rerr and f:seek("end")
    f:close()
    if not size then argerror(argn, fname, "'" .. file .. "' is not a regular file", 4) end
    return size, basename(file)
  end
  argerror(argn, fname, "expected a file path or an open file handle, got " .. type(file), 4)
end

local function file_table(v, what)
  if type(v) ~= "table" or v.id == nil then invalid("expected the File JSON in the answer to %s", what) end
  return v
end

-- An authenticated GET of the Location; refused (ForeignOrigin) unless it
-- is on Canvas's origin, so the token never follows a redirect elsewhere.
local function fetch_location(c, location)
  return file_table(c:request("GET", location), "GET " .. location:gsub("%?.*$", ""))
end

-- upload_params as the form's {name, value} pairs, in key order (the same
-- request every run).
local function form_fields(ticket)
  local fields, upload_params = {}, ticket.upload_params or {}
  if type(upload_params) ~= "table" then invalid("upload_params must be an object") end
  for k, v in pairs(upload_params) do
    if type(v) == "table" and v ~= core.null then invalid("upload_params.%s is not a plain value", tostring(k)) end
    if v ~= core.null then fields[#fields + 1] = { tostring(k), tostring(v) } end
  end
  table.sort(fields, function(a, b) return a[1] < b[1] end)
  return fields
end

--- lcanvas.upload.run(client, path, file, params, fname, argn): Canvas's three upload steps into the context whose files endpoint is `path` ("users/3/files"); `file` is a path or an open file handle (argument argn of method fname, for errors). Returns true and the File as a plain table (under a dry run, true and `{dry_run = true, ...}` after printing step 1).
function M.run(c, path, file, params, fname, argn)
  local size, name = file_info(file, fname, argn)
  local p = args.params_with(params, argn + 1, fname)
  p.name = p.name or name
  if p.name == nil or p.name == "" then
    core.missing_field(fname .. " from a file handle", "name", " in params")
  end
  p.size = size

  -- 1. Tell Canvas about the file.
  local ticket = c:request("POST", path, p)
  if args.dry_run(ticket) then
    -- A dry run: step 1 was printed, not sent, so there is nowhere to upload to.
    return true, { dry_run = true, display_name = p.name, size = size }
  end
  if type(ticket) ~= "table" or type(ticket.upload_url) ~= "string" then
    invalid("expected upload_url in the answer to POST %s", path)
  end

  -- 2. Send the bytes to the storage URL, without the token.
  local answer = core.transfer(c, { method = "POST", url = ticket.upload_url, token = false,
    form = form_fields(ticket), file = file,
    file_field = type(ticket.file_param) == "string" and ticket.file_param or "file",
    file_name = p.name, file_type = type(p.content_type) == "string" and p.content_type or nil })
  local status, body, headers = answer.status, answer.body or "", answer.headers

  -- 3. Confirm and get the File.
  local location = headers.location
  if location and location:sub(1, 1) == "/" then
    location = (core.url_origin(ticket.upload_url) or "") .. location
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
  if body:match("%S") then
    local ok, v = pcall(core.json.decode, body)
    return true, file_table(ok and v or nil, what)
  end
  invalid("the upload answered %d with neither a File nor a Location", status)
end

return M
