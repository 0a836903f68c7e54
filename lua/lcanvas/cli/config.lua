--- lcanvas.cli.config: where the run's Canvas and Catalog URL and token
-- come from: flags > an explicit --profile > environment > the config
-- file's default profile, with a token bound to the URL given with it.
local credentials = require "lcanvas.cli.credentials"
local report = require "lcanvas.cli.report"
local shell = require "lcanvas.cli.shell"

local usage_error = report.usage_error

local M = {}

--- lcanvas.cli.config.config_path(): the config file's path ($XDG_CONFIG_HOME/lcanvas/config.lua, else ~/.config/lcanvas/config.lua).
function M.config_path()
  local xdg = os.getenv("XDG_CONFIG_HOME")
  if xdg and xdg ~= "" then return xdg .. "/lcanvas/config.lua" end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.config/lcanvas/config.lua" end
end

local PROFILE_KEYS = { url = true, token_file = true, token = true, catalog_url = true,
  catalog_token_file = true, catalog_token = true, refresh_file = true }

-- Loads the config file (a Lua table, evaluated with no globals at all) and
-- returns the chosen profile, its name and the file's path (or nil).
local function load_profile(name)
  local path = M.config_path()
  local f = path and io.open(path, "r")
  if not f then
    if name then usage_error("profile '%s' asked for, but there is no config file (%s)", name, tostring(path)) end
    return nil
  end
  local text = f:read("a")
  f:close()
  -- The file chooses where a token is sent (url next to token_file): one
  -- that others may change could send the token to their server, as a
  -- token file others may read would hand it over.
  local writable, wmode = credentials.writable_by_others(path)
  if writable then
    usage_error("config file %s is writable by others (mode %s), and it chooses where the token " ..
      "is sent; run: chmod go-w %s", path, tostring(wmode), shell.word(path))
  end
  local chunk, err = load("return " .. text, "@" .. path, "t", {})
  if not chunk then chunk, err = load(text, "@" .. path, "t", {}) end
  if not chunk then usage_error("config file: %s", err) end
  local ok, cfg = pcall(chunk)
  if not ok then usage_error("config file %s: %s", path, tostring(cfg)) end
  if type(cfg) ~= "table" then usage_error("config file %s must be a Lua table", path) end
  local profiles = cfg.profiles
  if profiles ~= nil and type(profiles) ~= "table" then
    usage_error("config file %s: 'profiles' must be a table of named profiles", path)
  end
  profiles = profiles or {}
  local chosen = name or cfg.default
  if chosen == nil then return nil end
  local p = profiles[chosen]
  if type(p) ~= "table" then
    local names = {}
    for k in pairs(profiles) do names[#names + 1] = tostring(k) end
    table.sort(names)
    usage_error("config file %s has no profile '%s' (profiles: %s)", path, tostring(chosen),
      #names > 0 and table.concat(names, ", ") or "none")
  end
  for k, v in pairs(p) do
    if not PROFILE_KEYS[k] then
      usage_error("config file %s: profile '%s' has an unknown key '%s'", path, chosen, tostring(k))
    end
    if type(v) ~= "string" then
      usage_error("config file %s: profile '%s': '%s' must be a string", path, chosen, tostring(k))
    end
  end
  if p.token or p.catalog_token then
    -- A token written in the config is only as safe as the file's mode.
    local private, mode = credentials.is_private(path)
    if not private then
      usage_error("config file %s holds a token but is readable by others (mode %s); " ..
        "run: chmod 600 %s, or use token_file", path, tostring(mode), shell.word(path))
    end
  end
  local function expand(v)  -- "~/x" in token_file
    if v and v:sub(1, 2) == "~/" then return (os.getenv("HOME") or "") .. v:sub(2) end
    return v
  end
  p.token_file, p.catalog_token_file = expand(p.token_file), expand(p.catalog_token_file)
  p.refresh_file = expand(p.refresh_file)
  return p, chosen, path
end

local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

-- URLs compared for "is this token meant for this URL": scheme and host
-- are case-insensitive, a trailing slash does not matter.
local function same_url(a, b)
  local function norm(u)
    u = u:gsub("/+$", "")
    local origin, rest = u:match("^(%a[%w+.-]*://[^/]*)(.*)$")
    if origin then return origin:lower() .. rest end
    return u
  end
  return norm(a) == norm(b)
end

-- A base URL is the site's origin: Canvas serves its API at the root of
-- its host (canvas-lms config/routes.rb scopes every API route under
-- /api/v1 from the root), so a URL copied from the browser with a page's
-- path would turn every call into a 404. Refused at start, with the
-- origin to use instead.
local function check_origin(url, what, where)
  local origin, rest = url:match("^(%a[%w+.-]*://[^/?#]+)(.*)$")
  if not origin or rest == "" or rest == "/" then return end
  if rest:match("^/api/v1/?$") then
    usage_error("the %s URL %s (from %s) must not contain /api/v1: use %s", what, url, where, origin)
  end
  usage_error("the %s URL %s (from %s) is not a site's address: it has the path %s; use the origin %s " ..
    "(for instance --url %s)", what, url, where, rest, origin, origin)
end

--- lcanvas.cli.config.resolve(o): the Canvas and Catalog URL and token (and refresh credentials) for the parsed options o.
-- Each is taken from the
-- highest level that has it: flags > an explicit --profile > environment >
-- the config file's default profile. A token belongs to the URL of its own
-- level: one from a level that names another URL than the one in use is
-- refused, so that a token is never sent to a host it was not given for.
function M.resolve(o)
  local p, pname, ppath = load_profile(o.profile)
  p = p or {}
  local explicit = o.profile ~= nil
  local profile_where = string.format("profile '%s' of %s", tostring(pname), tostring(ppath))
  local function endpoint(k)
    local levels = {
      { where = k.url_flag, url = o[k.url_key],
        token_where = k.token_flag, token_from = k.token_flag .. " " .. tostring(o[k.token_file_key]),
        token = o[k.token_file_key] and function()
          return credentials.read_token_file(o[k.token_file_key], k.file_what) end },
    }
    local prof = { where = profile_where, url = p[k.url_key],
      token_where = profile_where .. " (" .. (p[k.token_key] and k.token_key or k.token_file_key) .. ")",
      token = (p[k.token_key] or p[k.token_file_key]) and function()
        return p[k.token_key] or credentials.read_token_file(p[k.token_file_key], k.file_what) end }
    if explicit then levels[#levels + 1] = prof end
    levels[#levels + 1] = { where = k.url_env, url = env(k.url_env),
      token_where = k.token_env, token_from = "the environment (" .. k.token_env .. ")",
      token = env(k.token_env) and function() return env(k.token_env) end }
    if not explicit then levels[#levels + 1] = prof end
    local url_level, token_level
    for _, l in ipairs(levels) do
      if l.url and not url_level then url_level = l end
      if l.token and not token_level then token_level = l end
    end
    local url = url_level and url_level.url
    if url and token_level and token_level.url and not same_url(token_level.url, url) then
      usage_error("the %s token from %s is meant for %s (the URL given there), but the URL in use is %s " ..
        "(from %s); refusing to send the token there. Give the token for %s with %s FILE or %s, " ..
        "or choose one complete set with --profile NAME",
        k.what, token_level.token_where, token_level.url, url, url_level.where, url, k.token_flag, k.token_env)
    end
    if url then check_origin(url, k.what, url_level.where) end
    return url, token_level and token_level.token(),
      token_level and (token_level.token_from or token_level.token_where)
  end
  local c = {}
  c.url, c.token, c.token_from = endpoint({ what = "Canvas", url_key = "url", token_key = "token",
    token_file_key = "token_file", url_flag = "--url", token_flag = "--token-file",
    url_env = "CANVAS_API_URL", token_env = "CANVAS_API_TOKEN", file_what = "token file" })
  -- A profile's refresh credentials only go with that profile's own URL:
  -- never send its client secret to a Canvas named elsewhere.
  if o.refresh_file then c.refresh = credentials.read_refresh_file(o.refresh_file)
  elseif p.refresh_file and p.url and c.url and same_url(c.url, p.url) then
    c.refresh = credentials.read_refresh_file(p.refresh_file)
  end
  c.catalog_url, c.catalog_token, c.catalog_token_from = endpoint({ what = "Catalog", url_key = "catalog_url",
    token_key = "catalog_token", token_file_key = "catalog_token_file", url_flag = "--catalog-url",
    token_flag = "--catalog-token-file", url_env = "CANVAS_CATALOG_URL", token_env = "CANVAS_CATALOG_TOKEN",
    file_what = "Catalog token file" })
  return c
end

return M
