--- lcanvas.cli.credentials: the files secrets come from (a token file, an
-- OAuth2 refresh file, a config file holding a token): refused unless
-- private to their owner, then read and checked. Every problem is a usage
-- error naming the file or a field, never a secret.
local lcanvas = require "lcanvas"
local report = require "lcanvas.cli.report"
local shell = require "lcanvas.cli.shell"

local usage_error = report.usage_error

local M = {}

--- lcanvas.cli.credentials.is_private(path): whether the file at path can be seen and has no group or other permission bits, and its mode as octal text ("600"; nil when it cannot be seen).
function M.is_private(path)
  -- stat(2) in the host: the path is never handed to a shell.
  local host = package.loaded["lcanvas.host"]
  if not (host and host.file_mode) then error("lcanvas.cli.credentials needs the lcanvas executable", 2) end
  local mode = host.file_mode(path)
  if not mode then return false, nil end
  return mode & 0x3F == 0, string.format("%03o", mode)  -- no bits in 0077
end

--- lcanvas.cli.credentials.writable_by_others(path): whether group or others may write the file at path (a config file is refused then), and its mode as octal text.
function M.writable_by_others(path)
  local host = package.loaded["lcanvas.host"]
  if not (host and host.file_mode) then error("lcanvas.cli.credentials needs the lcanvas executable", 2) end
  local mode = host.file_mode(path)
  if not mode then return false, nil end
  return mode & 0x12 ~= 0, string.format("%03o", mode)  -- bits in 0022
end

--- lcanvas.cli.credentials.read_token_file(path [, what]): the token in a private file, trimmed.
function M.read_token_file(path, what)
  what = what or "token file"
  local private, mode = M.is_private(path)
  if not mode then usage_error("cannot read %s '%s'", what, path) end
  if not private then
    usage_error("%s '%s' is readable by others (mode %s); run: chmod 600 %s",
      what, path, mode, shell.word(path))  -- safe to paste, whatever the name
  end
  local f, err = io.open(path, "r")
  if not f then usage_error("cannot read %s: %s", what, err) end
  local token = (f:read("a") or ""):gsub("^%s+", ""):gsub("%s+$", "")
  f:close()
  if token == "" then usage_error("%s '%s' is empty", what, path) end
  return token
end

local REFRESH_FIELDS = { "client_id", "client_secret", "refresh_token" }

--- lcanvas.cli.credentials.read_refresh_file(path): OAuth2 refresh credentials from a private file holding a JSON object or a Lua table (evaluated with no globals).
function M.read_refresh_file(path)
  local text = M.read_token_file(path, "refresh file")
  local ok, t = pcall(lcanvas.json.decode, text)
  if not ok or type(t) ~= "table" then
    local chunk = load("return " .. text, "=refresh file", "t", {})
    local cok, v = false, nil
    if chunk then cok, v = pcall(chunk) end
    if not cok or type(v) ~= "table" then
      usage_error("refresh file '%s' must hold a JSON object or a Lua table with client_id, " ..
        "client_secret and refresh_token", path)
    end
    t = v
  end
  local known = {}
  for _, k in ipairs(REFRESH_FIELDS) do
    known[k] = true
    if type(t[k]) ~= "string" or t[k] == "" then
      usage_error("refresh file '%s': '%s' must be a non-empty string", path, k)
    end
  end
  for k in pairs(t) do
    if not known[k] then usage_error("refresh file '%s' has an unknown key '%s'", path, tostring(k)) end
  end
  return { client_id = t.client_id, client_secret = t.client_secret, refresh_token = t.refresh_token }
end

return M
