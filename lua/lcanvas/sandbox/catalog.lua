--- The sandbox's Canvas Catalog: a second product on its own origin with its
-- own API key (`Authorization: Token token="sandbox-catalog-key"`), serving
-- the Catalog Users API. It shares the app's store (state in
-- store:area("catalog"), rebuilt on /__sandbox/reset), request log (entries
-- have origin = "catalog") and faults (those with origin = "catalog").
local json = require "lcanvas.sandbox.json"
local http = require "lcanvas.sandbox.http"
local params = require "lcanvas.sandbox.params"
local answers = require "lcanvas.sandbox.answers"
local paging = require "lcanvas.sandbox.paging"
local util = require "lcanvas.sandbox.util"

local M = {}

M.API_KEY = "sandbox-catalog-key"
M.SEED_USERS = 60
M.DEFAULT_PER_PAGE, M.MAX_PER_PAGE = 20, 100

local ROOT_UUID = "SbxRootAccountUuid0000000000000000000001"

-- Time ---------------------------------------------------------------------

local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- Seconds since the epoch of "2024-04-11T15:33:45.503Z", "...+02:00",
-- "2025/08/04 14:01:12 +0000" or "2024-04-11"; nil for anything else.
function M.parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, _, mo, d, rest = s:match("^(%d%d%d%d)([%-/])(%d%d)%2(%d%d)(.*)$")
  if not y then return nil end
  local t = days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400
  if rest == "" then return t end
  local h, mi, sec, frac, zone = rest:match("^[T ](%d%d):(%d%d):(%d%d)([%.,]?%d*)%s*(.*)$")
  if not h then return nil end
  t = t + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec)
  if #frac > 1 then t = t + tonumber("0." .. frac:sub(2)) end
  if zone == "Z" or zone == "z" or zone == "" then return t end
  local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
  if not sign then return nil end
  local off = tonumber(oh) * 3600 + tonumber(om) * 60
  return sign == "+" and t - off or t + off
end

local function iso_frac(t)
  local whole = math.floor(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", whole) .. string.format(".%06dZ", math.floor((t - whole) * 1e6 + 0.5) % 1000000)
end

-- The other form Catalog uses: "2025/08/04 14:01:12 +0000".
local function slash(t) return os.date("!%Y/%m/%d %H:%M:%S +0000", math.floor(t)) end

local function now() return os.time() + (http.now() % 1) end

-- State --------------------------------------------------------------------

-- Seed: Catalog users 1..60 linked to Canvas users 100..159. Odd ids
-- registered through Catalog (timestamps like 2024-01-01T00:00:00.503000Z),
-- even ids through Canvas (timestamps like 2024/01/02 00:00:00 +0000).
-- Catalog user i was created on day i of 2024; every 20th was merged into
-- the one before it; every 4th has custom fields.
local function seed_state(store)
  local st = { users = {}, order = {}, next_id = M.SEED_USERS + 1 }
  local base = days_from_civil(2024, 1, 1) * 86400
  for i = 1, M.SEED_USERS do
    local cu = store.users[99 + i] or { id = 99 + i, name = "Catalog Person " .. i }
    local first, last = (cu.name or ""):match("^(%S+)%s+(.+)$")
    local created = base + (i - 1) * 86400 + (i % 2 == 1 and 0.503 or 0)
    local updated = created + (i % 3 == 0 and 30 or 1) * 86400 + 0.25
    local u = {
      id = i, root_account_id = 1, canvas_user_id = cu.id, registered_account_id = 1,
      canvas_root_account_uuid = ROOT_UUID,
      canvas_user_uuid = string.format("SbxUserUuid%029d", cu.id),
      user_name = cu.name, first_name = first or cu.name, last_name = last or "",
      email_address = cu.email or string.format("catalog%d@sandbox.test", i),
      custom_fields = i % 4 == 0 and { favorite_color = "#BADA55", code_of_conduct = "1" } or {},
      merged_into_user_id = i % 20 == 0 and i - 1 or nil,
      time_zone = "Etc/UTC",
      _registered_in_catalog = i % 2 == 1, _created = created, _updated = updated,
      _orders = { { id = i, state = "complete" } }, _enrollments = { { course_id = (i % 4) + 1 } },
    }
    st.users[i] = u
    st.order[#st.order + 1] = i
  end
  return st
end

local function present(u)
  local out = {}
  for k, v in pairs(u) do
    if k:sub(1, 1) ~= "_" then out[k] = v end
  end
  local fmt = u._registered_in_catalog and iso_frac or slash
  out.created_at, out.updated_at = fmt(u._created), fmt(u._updated)
  out.merged_into_user_id = u.merged_into_user_id or json.null
  out.custom_fields = u.custom_fields
  return out
end

-- Parameters ----------------------------------------------------------------

local bad_request, respond = answers.bad_request, answers.json

local function bool_param(v, name)
  if v == nil then return nil end
  if v == true or v == "true" or v == "1" then return true end
  if v == false or v == "false" or v == "0" then return false end
  bad_request(name .. " must be true or false", name)
end

local function time_param(v, name)
  if v == nil or v == "" then return nil end
  local t = M.parse_time(v)
  if not t then bad_request(name .. " must be a time like 2018-01-01T00:00:00Z", name) end
  return t
end

-- custom_fields: string values set a key, null deletes it, anything else
-- is refused (before anything changes).
local function check_custom_fields(cf)
  if cf == nil then return nil end
  if type(cf) ~= "table" or json.null == cf then bad_request("custom_fields must be a hash", "custom_fields") end
  for k, v in pairs(cf) do
    if type(k) ~= "string" or (type(v) ~= "string" and v ~= json.null) then
      bad_request("custom_fields values must be strings (or null to delete a field)", "custom_fields")
    end
  end
  return cf
end

local function apply_custom_fields(u, cf)
  if not cf then return end
  local fields = {}
  for k, v in pairs(u.custom_fields or {}) do fields[k] = v end
  for k, v in pairs(cf) do
    if v == json.null then fields[k] = nil else fields[k] = v end
  end
  u.custom_fields = fields
end

-- Routes --------------------------------------------------------------------

local function list_users(st, req, p)
  local reg = bool_param(p.registered_in_catalog, "registered_in_catalog")
  local canvas_id
  if p.canvas_user_id ~= nil and p.canvas_user_id ~= "" then
    canvas_id = math.tointeger(tonumber(p.canvas_user_id))
    if not canvas_id then bad_request("canvas_user_id must be an integer", "canvas_user_id") end
  end
  local cf, ct = time_param(p.created_at_from, "created_at_from"), time_param(p.created_at_to, "created_at_to")
  local uf, ut = time_param(p.updated_at_from, "updated_at_from"), time_param(p.updated_at_to, "updated_at_to")
  local matches = {}
  for _, id in ipairs(st.order) do
    local u = st.users[id]
    if (reg == nil or u._registered_in_catalog == reg)
        and (not canvas_id or u.canvas_user_id == canvas_id)
        and (not cf or u._created >= cf) and (not ct or u._created <= ct)
        and (not uf or u._updated >= uf) and (not ut or u._updated <= ut) then
      matches[#matches + 1] = u
    end
  end
  local per_page = paging.per_page(p.per_page, M.DEFAULT_PER_PAGE, M.MAX_PER_PAGE)
  local page = paging.page_number(p.page)
  local out = json.array({})
  for i = (page - 1) * per_page + 1, math.min(page * per_page, #matches) do
    out[#out + 1] = present(matches[i])
  end
  return respond(200, { users = out }, { Link = paging.numeric_link_header(req, page, per_page, #matches,
    { prev_within_last = true }) })
end

local function find(st, raw)
  local id = math.tointeger(tonumber(raw))
  return id and tostring(id) == raw and st.users[id] or answers.not_found()
end

local function route(app, st, req, p)
  local path = req.path:sub(#"/api/v1" + 1)
  if path == "/users" and (req.method == "GET" or req.method == "HEAD") then
    return list_users(st, req, p)
  elseif path == "/users" and req.method == "POST" then
    for _, f in ipairs({ "user_name", "email_address" }) do
      if type(p[f]) ~= "string" or p[f] == "" then bad_request(f .. " is required", f) end
    end
    for _, u in pairs(st.users) do
      if u.email_address:lower() == p.email_address:lower() then
        bad_request("email_address has already been taken", "email_address")
      end
    end
    local cf = check_custom_fields(p.custom_fields)
    for _, f in ipairs({ "first_name", "last_name", "registered_account_id" }) do
      if p[f] ~= nil and type(p[f]) ~= "string" and math.type(p[f]) ~= "integer" then
        bad_request(f .. " must be a string", f)
      end
    end
    -- Registering in Catalog creates the Canvas user too.
    local store = app.store
    local canvas_id = store:new_id()
    local first, last = p.user_name:match("^(%S+)%s+(.+)$")
    store:add_user({ id = canvas_id, name = p.user_name, short_name = p.first_name or first or p.user_name,
      sortable_name = last and (last .. ", " .. first) or p.user_name, login_id = p.email_address,
      email = p.email_address, locale = "en", time_zone = "Etc/UTC", account_id = 1,
      created_at = util.iso() })
    local t = now()
    local id = st.next_id
    st.next_id = id + 1
    local u = { id = id, root_account_id = 1, canvas_user_id = canvas_id,
      registered_account_id = math.tointeger(tonumber(p.registered_account_id)) or 1,
      canvas_root_account_uuid = ROOT_UUID, canvas_user_uuid = string.format("SbxUserUuid%029d", canvas_id),
      user_name = p.user_name, first_name = p.first_name or first or p.user_name,
      last_name = p.last_name or last or "", email_address = p.email_address, custom_fields = {},
      time_zone = "Etc/UTC", _registered_in_catalog = true, _created = t, _updated = t,
      _orders = {}, _enrollments = {} }
    apply_custom_fields(u, cf)
    st.users[id] = u
    st.order[#st.order + 1] = id
    local out = present(u)
    out.confirmation_url = string.format("http://%s/register/Sbx%06d", req.headers.host or "127.0.0.1", id)
    out.terms_of_use, out.locale = true, "en"
    return respond(200, { user = out })
  end
  local raw = path:match("^/users/([^/]+)$")
  if not raw then answers.not_found() end
  local u = find(st, params.unescape(raw))
  if req.method == "GET" or req.method == "HEAD" then
    return respond(200, { user = present(u) })
  elseif req.method == "PUT" then
    local cf = check_custom_fields(p.custom_fields)
    local clear = bool_param(p.clear_merged_into_user_id, "clear_merged_into_user_id")
    apply_custom_fields(u, cf)
    if clear then u.merged_into_user_id = nil end
    u._updated = now()
    return respond(200, { user = present(u) })
  elseif req.method == "DELETE" then
    if bool_param(p.only_orders_and_enrollments, "only_orders_and_enrollments") then
      u._orders, u._enrollments = {}, {}
    else
      st.users[u.id] = nil
      for i, id in ipairs(st.order) do
        if id == u.id then table.remove(st.order, i) break end
      end
    end
    return respond(200, {})
  end
  answers.not_found()
end

-- The Catalog route a request names ("GET /users/:id"), or false: what
-- route() below answers, for the request log.
local function route_text(req)
  local path, m = req.path:match("^/api/v1(/.*)$"), req.method == "HEAD" and "GET" or req.method
  if path == "/users" and (m == "GET" or m == "POST") then return m .. " /users" end
  if path and path:match("^/users/[^/]+$") and (m == "GET" or m == "PUT" or m == "DELETE") then
    return m .. " /users/:id"
  end
  return false
end

--- A request handler for the Catalog origin of `app`.
function M.handler(app)
  return function(req)
    local entry = app:record(req, "catalog")
    entry.route = route_text(req)
    local res
    local fault = app:take_fault(req, "catalog")
    if fault and fault.delay_ms then http.sleep(fault.delay_ms / 1000) end
    if fault and fault.reset then
      res = { reset = true }
    elseif fault and fault.status then
      res = app.fault_answer(fault)
    else
      res = M.answer(app, req)
    end
    entry.status = res.status
    if not entry.route then app:no_route(req, "catalog", res) end
    return res
  end
end

function M.answer(app, req)
  if not req.path:find("^/api/v1/") then return answers.error(404, answers.NOT_FOUND) end
  -- Rails's token authentication: Token token="<key>" (quotes optional).
  local auth = req.headers.authorization or ""
  local key = auth:match('^Token%s+token="([^"]*)"') or auth:match("^Token%s+token=([^%s,]+)")
  if key ~= M.API_KEY then
    return { status = 401, headers = { ["Content-Type"] = "text/plain; charset=utf-8",
      ["WWW-Authenticate"] = 'Token realm="Application"' }, body = "HTTP Token: Access denied.\n" }
  end
  local st = app.store:area("catalog", seed_state)
  return answers.catch(function()
    local p, perr = params.request_params(req)
    if not p then bad_request(perr, "body") end
    return route(app, st, req, p)
  end)
end

return M
