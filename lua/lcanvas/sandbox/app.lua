--- The sandbox Canvas application: everything between a parsed HTTP request
-- and its response. Auth, masquerading, the leaky-bucket throttle, faults,
-- pagination, string ids, the request log and the /__sandbox control API
-- live here once; endpoints are declared in routes/*.lua as small tables.
local json = require "lcanvas.sandbox.json"
local http = require "lcanvas.sandbox.http"
local params = require "lcanvas.sandbox.params"

local App = {}
App.__index = App

local JSON_TYPE = "application/json; charset=utf-8"
local LOG_MAX = 5000
local LOG_BODY_MAX = 256 * 1024

-- An answer that ends the handling early (404, 401, validation errors).
local Halt = {}
Halt.__index = Halt

local function halt(status, body, headers)
  error(setmetatable({ status = status, body = body, headers = headers }, Halt), 0)
end
App.halt = halt

function App.not_found()
  halt(404, { errors = { { message = "The specified resource does not exist." } } })
end

function App.bad_request(message, field, code)
  if field then
    halt(400, { errors = { { field = field, message = message, error_code = code } } })
  end
  halt(400, { errors = { { message = message } } })
end

local DEFAULT_CONFIG = {
  throttle = { enabled = true, hwm = 600, drain = 10, reserve = 50, status = 403 },
  lowercase_headers = false,
  unauthorized_status = 401,
  pairing_code_ttl = 24 * 3600,
  access_token_ttl = 3600,   -- seconds an access token from /login/oauth2/token lives
}

local function merge(dst, src)
  for k, v in pairs(src) do
    if type(v) == "table" and type(dst[k]) == "table" then merge(dst[k], v)
    elseif v == json.null then dst[k] = nil
    elseif type(v) == "table" then dst[k] = merge({}, v)  -- never share a caller's table
    else dst[k] = v end
  end
  return dst
end

--- The route modules under routes/, one per API area.
App.ROUTE_MODULES = { "users", "user_resources", "users_api", "observees", "courses", "oauth" }

function App.new(store)
  local self = setmetatable({ store = store, routes = {}, log = {}, seq = 0, faults = {},
    buckets = {} }, App)
  self.config = merge({}, DEFAULT_CONFIG)
  for _, name in ipairs(App.ROUTE_MODULES) do
    require("lcanvas.sandbox.routes." .. name)(self)
  end
  return self
end

--- Declares an endpoint. `path` uses :name for resolved segments
-- (:user, :account, :course) and *name for a greedy tail.
-- opts: list=true, pagination="numeric"|"bookmark", no_last, root, meta.
function App:route(method, path, handler, opts)
  local names = {}
  local pattern = "^" .. path:gsub("[%-%.]", "%%%0"):gsub("([:*])([%w_]+)", function(kind, name)
    table.insert(names, { kind = kind, name = name })
    return kind == "*" and "(.*)" or "([^/]+)"
  end) .. "$"
  self.routes[#self.routes + 1] = { method = method, pattern = pattern, names = names,
    handler = handler, opts = opts or {}, path = path }
end

function App:reset()
  self.store:reset()
  self.log, self.faults, self.buckets = {}, {}, {}
  self.config = merge({}, DEFAULT_CONFIG)
end

-- Request log --------------------------------------------------------------

function App:record(req, origin)
  self.seq = self.seq + 1
  -- Big bodies (uploads) are logged by their head and size only.
  local body = req.body
  if body and #body > LOG_BODY_MAX then body = body:sub(1, LOG_BODY_MAX) end
  local entry = { seq = self.seq, origin = origin, method = req.method, path = req.path,
    query = req.query, headers = req.headers, body = body, body_size = req.body and #req.body, conn = req.conn }
  self.log[#self.log + 1] = entry
  if #self.log > LOG_MAX then table.remove(self.log, 1) end
  return entry
end

-- Throttle: a leaky bucket per token ------------------------------------------

function App:bucket(token)
  local cfg = self.config.throttle
  local b = self.buckets[token]
  local now = http.now()
  if not b then
    b = { level = cfg.hwm, t = now }
    self.buckets[token] = b
  end
  b.level = math.min(cfg.hwm, b.level + cfg.drain * (now - b.t))
  b.t = now
  return b
end

-- Faults ---------------------------------------------------------------------

function App:take_fault(req, origin)
  for i, f in ipairs(self.faults) do
    local match = (f.origin or "main") == origin
      and (not f.method or f.method == req.method)
      and (not f.path or req.path:sub(1, #f.path) == f.path)
    if match then
      f.count = (f.count or 1) - 1
      if f.count <= 0 then table.remove(self.faults, i) end
      return f
    end
  end
end

-- Control API ----------------------------------------------------------------

function App:control(req)
  local what = req.path:match("^/__sandbox/(.*)$")
  local function ok(v, status)
    return { status = status or 200, headers = { ["Content-Type"] = JSON_TYPE }, body = json.encode(v) }
  end
  local function body_json()
    local v, err = json.decode(req.body ~= "" and req.body or "{}")
    if v == nil then halt(400, { errors = { { message = "bad JSON: " .. tostring(err) } } }) end
    return v
  end
  if what == "requests" and req.method == "GET" then
    local since = tonumber(params.parse_query(req.query).since) or 0
    local out = json.array({})
    for _, e in ipairs(self.log) do if e.seq > since then out[#out + 1] = e end end
    return ok(out)
  elseif what == "requests" and req.method == "DELETE" then
    self.log = {}
    return ok({ cleared = true })
  elseif what == "reset" and req.method == "POST" then
    self:reset()
    return ok({ reset = true })
  elseif what == "config" and req.method == "POST" then
    merge(self.config, body_json())
    return ok(self.config)
  elseif what == "config" and req.method == "GET" then
    return ok(self.config)
  elseif what == "faults" and req.method == "POST" then
    local v = body_json()
    if v[1] == nil then v = { v } end
    for _, f in ipairs(v) do self.faults[#self.faults + 1] = f end
    return ok({ queued = #v })
  elseif what == "faults" and req.method == "DELETE" then
    self.faults = {}
    return ok({ cleared = true })
  elseif what == "faults" and req.method == "GET" then
    return ok(json.array(self.faults))
  elseif what == "state" and req.method == "GET" then
    return ok({ users = #self.store.user_order })
  end
  return ok({ errors = { { message = "unknown control endpoint" } } }, 404)
end

-- Pagination -----------------------------------------------------------------

-- Bookmarks are opaque to clients; hex of a JSON array keeps them URL-safe.
local function to_hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function from_hex(s)
  if not s:match("^%x*$") or #s % 2 == 1 then return "" end
  return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

local function page_url(req, page, per_page)
  local kept = {}
  for _, pair in ipairs(params.raw_pairs(req.query)) do
    if pair[1] ~= "page" and pair[1] ~= "per_page" then
      kept[#kept + 1] = pair[1] .. "=" .. pair[2]
    end
  end
  kept[#kept + 1] = "page=" .. page
  kept[#kept + 1] = "per_page=" .. per_page
  return string.format("http://%s%s?%s", req.headers.host or "127.0.0.1", req.path,
    table.concat(kept, "&"))
end

-- Slices `items` for this request; returns the page and extra headers.
function App:paginate(req, items, opts)
  local q = params.parse_query(req.query)
  local per_page = math.tointeger(tonumber(q.per_page)) or 10
  if per_page < 1 then per_page = 10 end
  if per_page > 100 then per_page = 100 end  -- Canvas clamps silently
  local offset = 0
  local page_token = q.page
  local bookmark = opts.pagination == "bookmark"
  if bookmark then
    if page_token and page_token ~= "first" then
      local raw = page_token:match("^bookmark:(.+)$")
      local decoded = raw and json.decode(from_hex(raw))
      if type(decoded) ~= "table" or math.type(decoded[1]) ~= "integer" then
        halt(400, { errors = { { message = "invalid bookmark" } } })
      end
      offset = decoded[1]
    end
  else
    local page = math.tointeger(tonumber(page_token)) or 1
    if page < 1 then page = 1 end
    offset = (page - 1) * per_page
  end
  local slice = json.array({})
  for i = offset + 1, math.min(offset + per_page, #items) do slice[#slice + 1] = items[i] end
  local links = {}
  local function link(url, rel) links[#links + 1] = "<" .. url .. ">; rel=\"" .. rel .. "\"" end
  if bookmark then
    local function token(off) return off == 0 and "first" or "bookmark:" .. to_hex(json.encode({ off })) end
    link(page_url(req, token(offset), per_page), "current")
    if offset + per_page < #items then link(page_url(req, token(offset + per_page), per_page), "next") end
    if offset > 0 then link(page_url(req, token(math.max(0, offset - per_page)), per_page), "prev") end
    link(page_url(req, "first", per_page), "first")
  else
    local page = offset // per_page + 1
    local last = math.max(1, (#items + per_page - 1) // per_page)
    link(page_url(req, page, per_page), "current")
    if page < last then link(page_url(req, page + 1, per_page), "next") end
    if page > 1 then link(page_url(req, page - 1, per_page), "prev") end
    link(page_url(req, 1, per_page), "first")
    if not opts.no_last then link(page_url(req, last, per_page), "last") end
  end
  if opts.meta then
    local next_url
    for _, l in ipairs(links) do
      if l:find('rel="next"', 1, true) then next_url = l:match("^<(.-)>") end
    end
    return { [opts.root] = slice, meta = { pagination = { next = next_url or json.null } } }, {}
  end
  if opts.root then return { [opts.root] = slice }, { Link = table.concat(links, ",") } end
  return slice, { Link = table.concat(links, ",") }
end

-- The request pipeline ---------------------------------------------------------

local function json_response(status, value, headers, string_ids)
  headers = headers or {}
  headers["Content-Type"] = headers["Content-Type"] or JSON_TYPE
  return { status = status, headers = headers,
    body = value == nil and "" or json.encode(value, { string_ids = string_ids }) }
end

local function unauthorized(self)
  return json_response(self.config.unauthorized_status, { status = "unauthorized",
    errors = { { message = "user not authorized to perform that action" } } })
end

function App:dispatch(req, ctx)
  local path = req.path:sub(#"/api/v1" + 1)
  for _, r in ipairs(self.routes) do
    if r.method == req.method or (req.method == "HEAD" and r.method == "GET") then
      local caps = { path:match(r.pattern) }
      if caps[1] ~= nil then
        ctx.args = {}
        for i, n in ipairs(r.names) do
          local raw = params.unescape(caps[i])
          ctx.args[n.name] = raw
          if n.kind == ":" and self.resolvers[n.name] then
            ctx[n.name] = self.resolvers[n.name](self, ctx, raw)
          end
        end
        local value, status, headers = r.handler(self, ctx)
        if r.opts.list then
          local page, link_headers = self:paginate(req, value, r.opts)
          for k, v in pairs(headers or {}) do link_headers[k] = v end
          return json_response(status or 200, page, link_headers, ctx.string_ids)
        end
        if type(value) == "table" and value.__raw_response then return value end
        return json_response(status or 200, value, headers, ctx.string_ids)
      end
    end
  end
  App.not_found()
end

--- Resolvers turn a path segment into a record (or a 404).
App.resolvers = {
  user = function(self, ctx, raw)
    return self.store:find_user(raw, ctx.user_id) or App.not_found()
  end,
  account = function(self, ctx, raw)
    local id = raw == "self" and 1 or math.tointeger(tonumber(raw))
    return self.store.accounts[id] or App.not_found()
  end,
  course = function(self, ctx, raw)
    return self.store.courses[math.tointeger(tonumber(raw))] or App.not_found()
  end,
}

--- The user a bearer token authenticates: a seeded token, or an unexpired
-- one issued by the OAuth2 token endpoint (routes/oauth.lua).
function App:token_user(token)
  local id = self.store.tokens[token]
  if id == nil and self.issued_token_user then id = self:issued_token_user(token) end
  return id
end

--- The permission most user endpoints use: yourself, or an admin.
function App:can_manage(ctx, user)
  return ctx.user_id == user.id or self.store:is_admin(ctx.user_id)
end

function App:require_manage(ctx, user)
  if not self:can_manage(ctx, user) then
    halt(self.config.unauthorized_status, { status = "unauthorized",
      errors = { { message = "user not authorized to perform that action" } } })
  end
end

function App:handle(req, origin)
  if origin == "main" and req.path:find("^/__sandbox/") then
    local ok, res = pcall(self.control, self, req)
    if ok then return res end
    if getmetatable(res) == Halt then return json_response(res.status, res.body) end
    error(res, 0)
  end
  local entry = self:record(req, origin)
  local res = self:answer(req, origin)
  entry.status = res.status
  res.lowercase_headers = self.config.lowercase_headers
  return res
end

function App:answer(req, origin)
  local fault = self:take_fault(req, origin)
  -- A fault that replaces the answer acts before auth; a bare delay acts
  -- like a slow handler instead (below), holding its throttle reservation.
  local replaces = fault and (fault.status or fault.reset or fault.invalid_json)
  if fault then
    if replaces and fault.delay_ms then http.sleep(fault.delay_ms / 1000) end
    if fault.reset then return { reset = true } end
    if fault.status then
      local headers = { ["Content-Type"] = fault.content_type or JSON_TYPE }
      for k, v in pairs(fault.headers or {}) do headers[k] = v end
      return { status = fault.status, headers = headers, body = fault.body or "" }
    end
    if fault.invalid_json then
      return { status = 200, headers = { ["Content-Type"] = JSON_TYPE }, body = '{"id": 1, "name": ' }
    end
  end
  if origin == "storage" then
    -- Uploads and downloads: routes/user_resources.lua sets the handler.
    if self.storage_handler then return self:storage_handler(req) end
    return json_response(404, { errors = { { message = "The specified resource does not exist." } } })
  end
  -- The OAuth2 token endpoint lives outside /api/v1 and needs no bearer token.
  if origin == "main" and req.path == "/login/oauth2/token" and self.oauth_token_handler then
    return self:oauth_token_handler(req)
  end
  if not req.path:find("^/api/v1/") then
    return json_response(404, { errors = { { message = "The specified resource does not exist." } } })
  end

  -- Authentication: a bearer token the seed knows.
  local token = (req.headers.authorization or ""):match("^Bearer%s+(.+)$")
  local user_id = token and self:token_user(token)
  if not user_id then
    return json_response(401, { errors = { { message = "Invalid access token." } } },
      { ["WWW-Authenticate"] = 'Bearer realm="canvas-lms"' })
  end

  -- Throttle: reserve up front, charge the real cost at the end.
  local cfg = self.config.throttle
  local bucket
  if cfg.enabled then
    bucket = self:bucket(token)
    if bucket.level < cfg.reserve then
      local res = { status = cfg.status, headers = { ["Content-Type"] = "text/plain",
        ["X-Request-Cost"] = "0", ["X-Rate-Limit-Remaining"] = string.format("%.3f", bucket.level) },
        body = "403 Forbidden (Rate Limit Exceeded)" }
      return res
    end
    bucket.level = bucket.level - cfg.reserve
  end
  local started = http.now()
  if fault and fault.delay_ms and not replaces then http.sleep(fault.delay_ms / 1000) end

  local ctx = { req = req, token = token, real_user_id = user_id, user_id = user_id,
    string_ids = (req.headers.accept or ""):find("application/json+canvas-string-ids", 1, true) ~= nil }
  local ok, res = pcall(function()
    local perr
    ctx.params, perr = params.request_params(req)
    if not ctx.params then App.bad_request(perr) end
    local as = ctx.params.as_user_id
    if as ~= nil then
      local target = self.store:find_user(tostring(as), user_id)
      if not target or not self.store:is_admin(user_id) then
        halt(401, { errors = "Invalid as_user_id" })
      end
      ctx.user_id = target.id
    end
    return self:dispatch(req, ctx)
  end)
  if not ok then
    if getmetatable(res) ~= Halt then error(res, 0) end
    if res.status == self.config.unauthorized_status and res.body and res.body.status == "unauthorized" then
      res = unauthorized(self)
    else
      res = json_response(res.status, res.body, res.headers)
    end
  end
  if fault and fault.while1 then res.body = "while(1);" .. res.body end
  if fault and fault.truncate then res.truncate = true end
  if bucket then
    local cost = 0.5 + (http.now() - started)
    bucket.level = bucket.level + cfg.reserve - cost
    res.headers["X-Request-Cost"] = string.format("%.4f", cost)
    res.headers["X-Rate-Limit-Remaining"] = string.format("%.3f", bucket.level)
  end
  return res
end

return App
