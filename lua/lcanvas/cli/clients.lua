--- lcanvas.cli.clients: the `canvas` and `catalog` globals a script gets:
-- clients connected from the resolved configuration (or stand-ins that
-- explain what to configure), and the dry-run summary over them.
local lcanvas = require "lcanvas"
local statusline = require "lcanvas.script.statusline"
local report = require "lcanvas.cli.report"
local config = require "lcanvas.cli.config"

local M = {}

-- Stands in for `canvas`/`catalog` when nothing is configured: any use is
-- a configuration error (exit status 2, the one-line message, no traceback).
-- `help` and the prompt show the same message rather than a bare table.
local function unconfigured(what, how)
  local message = "no " .. what .. " configured: " .. how
  return setmetatable({}, {
    __index = function() report.usage_error("%s", message) end,
    __tostring = function() return "(" .. message .. ")" end,
    __unconfigured = message,
  })
end

--- lcanvas.cli.clients.connect(conf, o, redact): sets the globals `canvas` and `catalog`; returns the clients made and, after reporting why one could not be made, exit status 2.
function M.connect(conf, o, redact)
  local clients = {}
  local opts = { dry_run = o.dry_run or nil, verbose = o.verbose > 0 and o.verbose or nil }
  if conf.url and (conf.token or conf.refresh) then
    local copts = { refresh = conf.refresh }  -- the Canvas client only, not the Catalog's
    for k, v in pairs(opts) do copts[k] = v end
    local cok, client = pcall(lcanvas.new, conf.url, conf.token, copts)
    if not cok then
      report.say(client, redact)
      return clients, 2
    end
    statusline.attach(client)
    _G.canvas = client
    clients[#clients + 1] = client
  else
    _G.canvas = unconfigured("Canvas", "set CANVAS_API_URL and CANVAS_API_TOKEN " ..
      "(or --url and --token-file, or a profile in " .. tostring(config.config_path()) ..
      "), or run with --sandbox")
  end
  local catalog_api = rawget(lcanvas, "catalog")
  if conf.catalog_url and conf.catalog_token and type(catalog_api) == "table"
      and type(catalog_api.new) == "function" then
    local cok, client = pcall(catalog_api.new, conf.catalog_url, conf.catalog_token, opts)
    if not cok then
      report.say(client, redact)
      return clients, 2
    end
    if type(client) == "table" and client.client then statusline.attach(client.client) end
    _G.catalog = client
    clients[#clients + 1] = client
  else
    _G.catalog = unconfigured("Catalog", "set CANVAS_CATALOG_URL and CANVAS_CATALOG_TOKEN " ..
      "(or --catalog-url and --catalog-token-file, or a profile), or run with --sandbox")
  end
  return clients
end

local ORDER = { "POST", "PUT", "PATCH", "DELETE" }

--- lcanvas.cli.clients.dry_run_summary(clients): prints on stderr how many changes the clients did not send, per method.
function M.dry_run_summary(clients)
  local counts, total = {}, 0
  for _, c in ipairs(clients) do
    -- A Catalog client is a Lua table around a core client.
    local ok, t = pcall(function() return (type(c) == "table" and c.client or c):dry_run_counts() end)
    if ok and type(t) == "table" then
      for m, n in pairs(t) do counts[m] = (counts[m] or 0) + n; total = total + n end
    end
  end
  local parts = {}
  for _, m in ipairs(ORDER) do
    if counts[m] then parts[#parts + 1] = counts[m] .. " " .. m end
  end
  io.stderr:write(string.format("dry run: %d change%s not sent%s\n", total, total == 1 and "" or "s",
    #parts > 0 and (" (" .. table.concat(parts, ", ") .. ")") or ""))
end

return M
