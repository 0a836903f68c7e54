--- The sandbox Canvas application: everything between a parsed HTTP request
-- and its response. Auth, masquerading, the leaky-bucket throttle, faults,
-- the request log and the /__sandbox control API live here once; endpoints
-- are declared in routes/*.lua (one module per API area) as small tables,
-- answers come from answers.lua and pagination from paging.lua.
local json = require "lcanvas.sandbox.json"
local http = require "lcanvas.sandbox.http"
local params = require "lcanvas.sandbox.params"
local answers = require "lcanvas.sandbox.answers"
local paging = require "lcanvas.sandbox.paging"
local policy = require "lcanvas.sandbox.policy"

local App = {}
App.__index = App

local JSON_TYPE = answers.JSON_TYPE
-- The request log keeps the last LOG_MAX requests, each body cut to
-- LOG_BODY_MAX bytes and each header value to LOG_HEADER_MAX, and drops
-- the oldest while it holds more than LOG_BYTES_MAX bytes of them: what a
-- client sends must not pile up in the server (its true size stays in
-- body_size).
local LOG_MAX = 5000
local LOG_BODY_MAX = 64 * 1024
local LOG_HEADER_MAX = 2048
local LOG_BYTES_MAX = 32 * 1024 * 1024

-- Routes reach the shared answers through the app they are given.
App.halt, App.not_found, App.bad_request = answers.halt, answers.not_found, answers.bad_request

-- Throttling and header names follow Canvas Cloud since 2025-10: 429, the
-- bucket reported empty on the throttled answer, lowercase header names.
-- The older forms stay as options: throttle.status = 403,
-- throttle.report_level = true (the bucket's level on the throttled answer)
-- and lowercase_headers = false.
-- unauthorized_status: what render_json_unauthorized (lib/authentication_methods.rb)
-- answers a signed-in caller without the right: 401, or 403 where the site
-- admin feature api_auth_error_updates is on.
local DEFAULT_CONFIG = {
  throttle = { enabled = true, hwm = 600, drain = 10, reserve = 50, status = 429, report_level = false },
  lowercase_headers = true,
  unauthorized_status = 401,
  pairing_code_ttl = 24 * 3600,
  access_token_ttl = 3600,   -- seconds an access token from /login/oauth2/token lives
  -- How a File's url (files/:id/download) answers (routes/file_downloads.lua):
  -- "redirect" (302 to the storage origin, as Canvas with S3 or inst-fs),
  -- "direct" (the Canvas origin sends the bytes) or "redirect_foreign" (302
  -- to the alt origin, which redirects on to storage). download_delay_ms:
  -- the origin sending the bytes waits this long first (interrupt specs).
  download_mode = "redirect",
  download_delay_ms = 0,
  -- What one client may cost the server (http.lua's LIMITS, which apply
  -- where this leaves a field out): max_headers, max_header_bytes,
  -- max_body, header_timeout, body_timeout, idle_timeout.
  http = {},
  -- The sandbox's today for dated things (which term is "current", whether
  -- a course has concluded): fixed, so that the demo data reads the same
  -- every day; a spec may move it.
  today = "2026-10-15T12:00:00Z",
  -- How the long-running jobs (jobs.lua) move: "poll" (a step per read of
  -- the job), "time" (a step per step_seconds) or "manual" (POST
  -- /__sandbox/jobs/advance); outcome and stuck, per kind of job, force the
  -- terminal state of those made afterwards or keep them in their first.
  jobs = { advance = "poll", step_seconds = 1 },
}

local function merge(dst, src)
  for k, v in pairs(src) do
    -- json.null is a table too: test it first, or a null meant to remove a
    -- table-valued key would merge into it and remove nothing
    if v == json.null then dst[k] = nil
    elseif type(v) == "table" and type(dst[k]) == "table" then merge(dst[k], v)
    elseif type(v) == "table" then dst[k] = merge({}, v)  -- never share a caller's table
    else dst[k] = v end
  end
  return dst
end

--- The route modules under routes/, one per Canvas API area, registered in
-- this order. The first route that matches a request answers it, so
-- activity_stream (GET /users/activity_stream) comes before users
-- (GET /users/:user).
App.ROUTE_MODULES = {
  -- Users API: the user record and what hangs off it
  "activity_stream", "users", "user_settings", "todo", "graded_submissions", "course_nicknames",
  "pandata", "user_merge", "custom_data", "page_views", "colors", "sessions", "avatars",
  -- Files API and other things a user owns (state: user_data.lua)
  "folders", "files", "file_uploads", "file_downloads", "usage_rights", "content_migrations",
  "content_exports", "features", "communication_channels", "eportfolios", "logins",
  -- Courses, enrollments, assignments, calendar
  "courses", "enrollments", "sections", "assignments", "calendar_events",
  -- Accounts, terms, admins and roles, audit logs, observers, polls
  "accounts", "terms", "admins", "roles", "audit_events", "observees", "poll_sessions",
  -- Canvas's long-running jobs (jobs.lua moves them): SIS imports, account
  -- reports, and their Progress
  "sis_imports", "reports", "progress",
  -- Not Canvas API areas: a pagination fixture, and the OAuth2 token endpoint
  "meta_list", "oauth",
}
-- Hooks route modules set on the app for one another (each owned by one
-- module): course_nickname (course_nicknames),
-- observee_state (observees), issued_token_user (oauth), new_progress,
-- progress, present_progress and progress_job (progress).

function App.new(store)
  local self = setmetatable({ store = store, routes = {}, log = {}, seq = 0, faults = {},
    buckets = {}, controls = {} }, App)
  self.config = merge({}, DEFAULT_CONFIG)
  for _, name in ipairs(App.ROUTE_MODULES) do
    self.loading = name   -- the module each route and control endpoint comes from
    require("lcanvas.sandbox.routes." .. name)(self)
  end
  self.loading = nil
  return self
end

--- Declares an endpoint. `path` uses :name for resolved segments
-- (:user, :account, :course) and *name for a greedy tail.
-- opts: list=true, pagination="numeric"|"bookmark", no_last, root, meta;
-- linked(self, ctx, page) adds the top-level keys of an audit answer;
-- public=true answers a request without a token too.
-- outside=true: `path` is the whole request path, not one under /api/v1
-- (the OAuth2 token endpoint, file downloads, the storage origin); the
-- handler(app, req, args, origin) does its own auth and returns a whole
-- response. origins: the origins that serve it (default: main and alt for
-- API routes, main for outside ones).
function App:route(method, path, handler, opts)
  opts = opts or {}
  local names = {}
  local pattern = "^" .. path:gsub("[%-%.]", "%%%0"):gsub("([:*])([%w_]+)", function(kind, name)
    table.insert(names, { kind = kind, name = name })
    return kind == "*" and "(.*)" or "([^/]+)"
  end) .. "$"
  local origins = {}
  for _, o in ipairs(opts.origins or (opts.outside and { "main" } or { "main", "alt" })) do origins[o] = true end
  self.routes[#self.routes + 1] = { method = method, pattern = pattern, names = names,
    handler = handler, opts = opts, path = path, origins = origins, module = self.loading }
end

--- The route answering `req` on `origin` and its captured segments, or
-- nil. HEAD is answered by GET routes.
function App:match(req, origin)
  local api = req.path:match("^/api/v1(/.*)$")
  for _, r in ipairs(self.routes) do
    if r.origins[origin] and (r.method == req.method or (req.method == "HEAD" and r.method == "GET")) then
      local path = r.opts.outside and req.path or api
      if path then
        local caps = { path:match(r.pattern) }
        if caps[1] ~= nil then return r, caps end
      end
    end
  end
end

--- How the request log and the verbose line name a route: "GET /users/:user".
function App.route_text(r)
  return r.method .. " " .. r.path
end

--- Declares a control endpoint /__sandbox/<what> for specs, answered by
-- handler(app, req, body) where body is the decoded JSON body ({} when empty).
function App:control_endpoint(method, what, handler)
  self.controls[method .. " " .. what] = { handler = handler, module = self.loading }
end

function App:reset()
  self.store:reset()
  self.log, self.faults, self.buckets, self.log_bytes = {}, {}, {}, 0
  self.config = merge({}, DEFAULT_CONFIG)
end

-- Request log --------------------------------------------------------------

function App:record(req, origin)
  self.seq = self.seq + 1
  -- Big bodies (uploads) are logged by their head and size only.
  local body = req.body
  if body and #body > LOG_BODY_MAX then body = body:sub(1, LOG_BODY_MAX) end
  local headers, bytes = {}, #(body or "") + #(req.path or "") + #(req.query or "")
  for k, v in pairs(req.headers) do
    if #v > LOG_HEADER_MAX then v = v:sub(1, LOG_HEADER_MAX) end
    headers[k] = v
    bytes = bytes + #k + #v
  end
  local entry = { seq = self.seq, origin = origin, method = req.method, path = req.path,
    query = req.query, headers = headers, body = body, body_size = req.body and #req.body, conn = req.conn,
    t_in = http.now() }  -- with t_out: when the server held the request (concurrency specs)
  self.log[#self.log + 1] = entry
  self.log_bytes = (self.log_bytes or 0) + bytes
  self.log_sizes = self.log_sizes or setmetatable({}, { __mode = "k" })
  self.log_sizes[entry] = bytes
  while #self.log > LOG_MAX or (self.log_bytes > LOG_BYTES_MAX and #self.log > 1) do
    local old = table.remove(self.log, 1)
    self.log_bytes = self.log_bytes - (self.log_sizes[old] or 0)
  end
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

--- The answer a fault with a status gives instead of the real one (the
-- Catalog origin's faults too).
function App.fault_answer(fault)
  local headers = { ["Content-Type"] = fault.content_type or JSON_TYPE }
  for k, v in pairs(fault.headers or {}) do headers[k] = v end
  return { status = fault.status, headers = headers, body = fault.body or "" }
end

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
  local function ok(v, status) return answers.json(status or 200, v) end
  local function body_json()
    local v, err = json.decode(req.body ~= "" and req.body or "{}")
    if v == nil then answers.halt(400, answers.errors("bad JSON: " .. tostring(err))) end
    return v
  end
  if what == "requests" and req.method == "GET" then
    local since = tonumber(params.parse_query(req.query).since) or 0
    local out = json.array({})
    for _, e in ipairs(self.log) do if e.seq > since then out[#out + 1] = e end end
    return ok(out)
  elseif what == "requests" and req.method == "DELETE" then
    self.log, self.log_bytes = {}, 0
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
  elseif what == "routes" and req.method == "GET" then
    -- Every registered route, in matching order, with its module: what the
    -- sandbox implements (API paths are under /api/v1; outside ones are not).
    local out = json.array({})
    for _, r in ipairs(self.routes) do
      local origins = json.array({})
      for _, o in ipairs({ "main", "alt", "storage" }) do
        if r.origins[o] then origins[#origins + 1] = o end
      end
      out[#out + 1] = { method = r.method, path = r.path, module = r.module, api = not r.opts.outside,
        origins = origins }
    end
    return ok(out)
  end
  local c = self.controls[req.method .. " " .. (what or "")]
  if c then return c.handler(self, req, body_json()) end
  return ok({ errors = { { message = "unknown control endpoint" } } }, 404)
end

-- The request pipeline ---------------------------------------------------------

-- The decoded path segments a route captured, by name.
local function args_of(r, caps)
  local args = {}
  for i, n in ipairs(r.names) do args[n.name] = params.unescape(caps[i]) end
  return args
end

--- Calls the API route App:answer matched (req.route) and makes its
-- answer: Canvas's 404 when no route matched.
function App:dispatch(req, ctx)
  local r = req.route
  if not r then answers.not_found() end
  ctx.args = args_of(r, req.route_caps)
  for _, n in ipairs(r.names) do
    if n.kind == ":" and self.resolvers[n.name] then
      ctx[n.name] = self.resolvers[n.name](self, ctx, ctx.args[n.name])
    end
  end
  local value, status, headers = r.handler(self, ctx)
  if r.opts.list then
    -- A handler may switch this request to bookmarks (ctx.pagination), as
    -- api_index does for sort=id.
    local opts = r.opts
    if ctx.pagination then
      opts = setmetatable({ pagination = ctx.pagination }, { __index = r.opts })
    end
    local page, link_headers = paging.paginate(req, value, opts)
    for k, v in pairs(headers or {}) do link_headers[k] = v end
    if r.opts.linked then
      for k, v in pairs(r.opts.linked(self, ctx, page[r.opts.root])) do page[k] = v end
    end
    return answers.json(status or 200, page, link_headers, ctx.string_ids)
  end
  if type(value) == "table" and value.__raw_response then return value end
  return answers.json(status or 200, value, headers, ctx.string_ids)
end

--- Resolvers turn a path segment into a record (or a 404).
-- Ids as lib/api.rb reads them (sis_*:, hex:sis_*:, lti_*:, uuid:); get_context
-- finds only courses not deleted and active accounts.
App.resolvers = {
  user = function(self, ctx, raw) return self:find_user(ctx, raw) end,
  account = function(self, _, raw)
    local a = self.store:find_account(raw)
    if not a or a.workflow_state == "deleted" then answers.not_found() end
    return a
  end,
  course = function(self, _, raw)
    local c = self.store:lookup("courses", raw)
    if not c or c.workflow_state == "deleted" then answers.not_found() end
    return c
  end,
}

--- The user a bearer token authenticates: a seeded token, or an unexpired
-- one issued by the OAuth2 token endpoint (routes/oauth.lua).
function App:token_user(token)
  local id = self.store.tokens[token]
  if id == nil and self.issued_token_user then id = self:issued_token_user(token) end
  return id
end

--- The calling (or masqueraded) user, or a 404.
function App:me(ctx)
  return self.store.users[ctx.user_id] or answers.not_found()
end

--- The user a path segment or parameter names (42, self, sis_user_id:X...), or a 404.
function App:find_user(ctx, raw)
  return self.store:find_user(raw, ctx.user_id) or answers.not_found()
end

--- Canvas's answer to a caller without the right: render_unauthorized_action
-- (401, or config.unauthorized_status), or the status a controller renders
-- itself where it does (`status`).
function App:unauthorized(status)
  answers.halt(status or self.config.unauthorized_status, { status = "unauthorized",
    errors = { { message = answers.UNAUTHORIZED } } })
end

--- May the caller do `rights` (one, or a list of which any will do) to
-- target ({user=}, {course=}, {account=})? policy.lua answers, from
-- Canvas's policies; app:require halts with app:unauthorized() otherwise.
function App:can(ctx, right, target)
  return policy.can(self, ctx, right, target)
end

function App:require(ctx, rights, target)
  policy.require(self, ctx, rights, target)
end

--- The pair most of UsersController's own actions authorize with
-- ([:manage, :manage_user_details]): the user themself, or an admin who
-- may manage their details.
function App:can_manage(ctx, user)
  return policy.can(self, ctx, "manage", { user = user })
    or policy.can(self, ctx, "manage_user_details", { user = user })
end

function App:require_manage(ctx, user)
  self:require(ctx, { "manage", "manage_user_details" }, { user = user })
end

--- An admin of the root account (the domain's root account in the sandbox).
function App:require_admin(ctx)
  if not policy.is_account_admin(self, ctx.user_id, self.store.accounts[1]) then self:unauthorized() end
end

--- The request's token: `Authorization: Bearer` first, else an
-- access_token query (or form) parameter; nil without either.
function App.request_token(req)
  local auth = req.headers.authorization
  if auth then return auth:match("^Bearer%s+(.+)$") or "" end
  local p = params.parse_query(req.query)
  if p.access_token == nil and req.body ~= "" and
      (req.headers["content-type"] or ""):lower():find("x-www-form-urlencoded", 1, true) then
    p = params.parse_query(req.body)
  end
  local t = p.access_token
  return type(t) == "string" and t ~= "" and t or nil
end

--- Marks an answer to a request no route matched: the X-Sandbox-Route
-- header, and with --verbose a line on stderr, so "the sandbox does not
-- implement this" is never mistaken for Canvas's "no such record" (both 404).
function App:no_route(req, origin, res)
  if res.headers then res.headers["X-Sandbox-Route"] = "none" end
  if self.verbose then
    local answered = res.status == 404 and "Canvas's 404" or tostring(res.status or "a reset")
    io.stderr:write(string.format("sandbox: no route for %s %s%s (answered %s; the sandbox does not implement it)\n",
      req.method, req.path, origin == "main" and "" or (" on the " .. origin .. " origin"), answered))
    io.stderr:flush()
  end
end

function App:handle(req, origin)
  if origin == "main" and req.path:find("^/__sandbox/") then
    return answers.catch(self.control, self, req)
  end
  local entry = self:record(req, origin)
  local res = self:answer(req, origin)
  entry.status = res.status
  entry.t_out = http.now()
  entry.route = req.route and App.route_text(req.route) or false
  if not req.route then self:no_route(req, origin, res) end
  res.lowercase_headers = self.config.lowercase_headers
  return res
end

function App:answer(req, origin)
  -- Routing comes first: the log names the route (or none) whatever then
  -- answers, a fault or a 401 included.
  req.route, req.route_caps = self:match(req, origin)
  local fault = self:take_fault(req, origin)
  -- A fault that replaces the answer acts before auth; a bare delay acts
  -- like a slow handler instead (below), holding its throttle reservation.
  local replaces = fault and (fault.status or fault.reset or fault.invalid_json)
  if fault then
    if replaces and fault.delay_ms then http.sleep(fault.delay_ms / 1000) end
    if fault.reset then return { reset = true } end
    if fault.status then return App.fault_answer(fault) end
    if fault.invalid_json then
      return { status = 200, headers = { ["Content-Type"] = JSON_TYPE }, body = '{"id": 1, "name": ' }
    end
  end
  local r = req.route
  if r and r.opts.outside then
    -- Outside /api/v1 (the OAuth2 token endpoint, file downloads, the
    -- storage origin): no bearer token needed, the handler checks its own.
    -- A bare delay still holds it, like a slow store.
    if fault and fault.delay_ms and not replaces then http.sleep(fault.delay_ms / 1000) end
    return answers.catch(r.handler, self, req, args_of(r, req.route_caps), origin)
  end
  if origin == "storage" or not req.path:find("^/api/v1/") then return answers.error(404, answers.NOT_FOUND) end

  -- Authentication: a bearer token the seed knows, from the Authorization
  -- header or else an access_token parameter, as Canvas's
  -- AuthenticationMethods.access_token reads it.
  local token = App.request_token(req)
  if token == nil then
    -- No token at all: the few public routes answer, the rest say so the
    -- way render_json_unauthorized does for a caller nobody signed in.
    if r and r.opts.public then
      local public = { req = req, params = params.request_params(req) or {}, string_ids = false }
      return answers.catch(self.dispatch, self, req, public)
    end
    return answers.json(401, { status = "unauthenticated", errors = { { message = answers.UNAUTHENTICATED } } },
      { ["WWW-Authenticate"] = 'Bearer realm="canvas-lms"' })
  end
  local user_id = self:token_user(token)
  if not user_id then
    return answers.json(401, answers.errors("Invalid access token."),
      { ["WWW-Authenticate"] = 'Bearer realm="canvas-lms"' })
  end

  -- Throttle: reserve up front, charge the real cost at the end.
  local cfg = self.config.throttle
  local bucket
  if cfg.enabled then
    bucket = self:bucket(token)
    if bucket.level < cfg.reserve then
      local remaining = cfg.report_level and bucket.level or 0
      local res = { status = cfg.status, headers = { ["Content-Type"] = "text/plain",
        ["X-Request-Cost"] = "0", ["X-Rate-Limit-Remaining"] = string.format("%.3f", remaining) },
        body = "403 Forbidden (Rate Limit Exceeded)" }
      return res
    end
    bucket.level = bucket.level - cfg.reserve
  end
  local started = http.now()
  if fault and fault.delay_ms and not replaces then http.sleep(fault.delay_ms / 1000) end

  local ctx = { req = req, token = token, real_user_id = user_id, user_id = user_id,
    string_ids = (req.headers.accept or ""):find("application/json+canvas-string-ids", 1, true) ~= nil }
  local res = answers.catch(function()
    local perr
    ctx.params, perr = params.request_params(req)
    if not ctx.params then answers.bad_request(perr) end
    local as = ctx.params.as_user_id
    if as ~= nil then
      local target = self.store:find_user(tostring(as), user_id)
      if not target or not policy.is_account_admin(self, user_id, self.store.accounts[1]) then
        answers.halt(401, { errors = "Invalid as_user_id" })
      end
      ctx.user_id = target.id
    end
    return self:dispatch(req, ctx)
  end)
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
