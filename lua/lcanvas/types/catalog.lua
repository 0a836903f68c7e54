--- lcanvas.catalog: a client for Canvas Catalog's Users API, and its two
-- types: Catalog (the client, a Lua class) and CatalogUser (an object).
-- Catalog is a separate product with its own host and API key. The client
-- is the same C core as a Canvas client (retries, timeouts, typed errors,
-- origin checks), created with auth = "catalog" so the key travels as
-- `Authorization: Token token="<key>"` and never as a Bearer header.
-- Catalog wraps every answer as {user = {...}} and numbers ids plainly, so
-- only CatalogUser:delete is a row; the rest unwrap by hand.
local core = require "lcanvas.core"
local args = require "lcanvas.args"

local M = {}

-- Catalog answers at most 100 items a page; a larger per_page is clamped.
--- lcanvas.catalog.MAX_PER_PAGE: the largest page Catalog serves (100); a larger per_page is clamped to it.
M.MAX_PER_PAGE = 100

local Catalog = {}
local CatalogMT = { __name = "lcanvas.Catalog", __index = Catalog }

local argerror = args.argerror

local function clamp_per_page(v, n, fname)
  if v == nil then return M.MAX_PER_PAGE end
  if math.type(v) == nil then argerror(n, fname, "per_page must be a number", 4) end
  v = math.tointeger(v) or math.floor(v)
  if v < 1 then argerror(n, fname, "per_page must be at least 1", 4) end
  return math.min(v, M.MAX_PER_PAGE)
end

local function shallow_copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

--- lcanvas.catalog.new(base_url, api_key [, opts]): a Catalog client (opts as for lcanvas.new; per_page defaults to and is capped at 100).
function M.new(base_url, api_key, opts)
  if type(base_url) ~= "string" then argerror(1, "catalog.new", "base URL string expected") end
  if type(api_key) ~= "string" or api_key == "" then
    argerror(2, "catalog.new", "API key string expected")
  end
  if opts ~= nil and type(opts) ~= "table" then argerror(3, "catalog.new", "table expected") end
  local o = shallow_copy(opts)
  if o.auth ~= nil and o.auth ~= "catalog" then
    argerror(3, "catalog.new", "a Catalog client always uses auth = \"catalog\"")
  end
  o.auth = "catalog"
  o.per_page = clamp_per_page(o.per_page, 3, "catalog.new")
  local client = core.new(base_url, api_key, o)
  return setmetatable({ client = client }, CatalogMT)
end

function CatalogMT.__tostring(self)
  return "lcanvas.Catalog (" .. self.client:base_url() .. ")"
end

function CatalogMT.__close(self) self.client:close() end

--- Catalog:close(): release the connection (idempotent).
function Catalog:close() self.client:close() end

--- Catalog:base_url(): the normalised Catalog base URL.
function Catalog:base_url() return self.client:base_url() end

--- Catalog:request(method, path [, params [, opts]]): any Catalog endpoint under /api/v1/, decoded JSON.
function Catalog:request(method, path, params, opts)
  return self.client:request(method, path, params, opts)
end

-- Path segment of a Catalog id: Catalog ids are plain integers.
local function id_segment(v, n, fname)
  if core.is_object(v) then v = v.id end
  if math.type(v) == "integer" and v > 0 then return tostring(v) end
  if math.type(v) == "float" and v > 0 and v == math.floor(v) then
    return tostring(math.tointeger(v))
  end
  if type(v) == "string" and v:match("^%d+$") then return v end
  argerror(n, fname, "a Catalog id (a positive integer) or a CatalogUser expected, got "
    .. (type(v) == "string" and ("'" .. v .. "'") or type(v)), 4)
end

-- custom_fields values are strings, or lcanvas.null to delete a key.
-- Returns whether any null is present (a form body cannot carry one).
local function check_custom_fields(params, fname)
  local cf = params.custom_fields
  if cf == nil then return false end
  if type(cf) ~= "table" then argerror(1, fname, "custom_fields must be a table of strings", 4) end
  local has_null = false
  for k, v in pairs(cf) do
    if type(k) ~= "string" then
      argerror(1, fname, "custom_fields keys must be strings (got " .. type(k) .. ")", 4)
    end
    if v == core.null then
      has_null = true
    elseif type(v) ~= "string" then
      argerror(1, fname, string.format(
        "custom_fields.%s must be a string or lcanvas.null (got %s)", k, type(v)), 4)
    end
  end
  return has_null
end

-- Catalog's docs send form bodies; only a null (deleting a custom field)
-- needs JSON, which Catalog (a Rails app) reads as well.
local function write(client, method, path, params, has_null)
  return client:request(method, path, params, has_null and { json = true } or nil)
end

local function unwrap(answer, what)
  -- A write under the client's dry_run option is answered with what was
  -- sent (marked dry_run) without reaching Catalog.
  if args.dry_run(answer) then
    return answer
  end
  if type(answer) ~= "table" or type(answer.user) ~= "table" then
    error(core.error("InvalidResponse", what .. ": the answer has no 'user' object"), 3)
  end
  return answer.user
end

-- Not a row: per_page is clamped to what Catalog allows.
--- Catalog:get_users([filters]): PaginatedList of CatalogUser (GET users; registered_in_catalog, canvas_user_id, created_at_from/to, updated_at_from/to).
function Catalog:get_users(filters)
  if filters ~= nil and type(filters) ~= "table" then
    argerror(1, "get_users", "table of filters expected")
  end
  local f = shallow_copy(filters)
  if f.per_page ~= nil then f.per_page = clamp_per_page(f.per_page, 1, "get_users") end
  return self.client:list("users", f, { type = "CatalogUser", root = "users" })
end

-- Not rows: Catalog ids, and the answer unwrapped from {user = ...}.
--- Catalog:get_user(id): one CatalogUser by its Catalog id (GET users/:id).
function Catalog:get_user(id)
  local path = "users/" .. id_segment(id, 1, "get_user")
  local attrs = unwrap(self.client:request("GET", path), "Catalog:get_user")
  return core.object("CatalogUser", attrs, self.client)
end

--- Catalog:create_user(params): register a user (POST users; user_name and email_address required, checked before sending).
function Catalog:create_user(params)
  if type(params) ~= "table" then argerror(1, "create_user", "table of fields expected") end
  for _, field in ipairs({ "user_name", "email_address" }) do
    local v = params[field]
    if v == nil or v == "" or v == core.null then core.missing_field("Catalog:create_user", field) end
  end
  local has_null = check_custom_fields(params, "create_user")
  local answer = write(self.client, "POST", "users", params, has_null)
  return core.object("CatalogUser", unwrap(answer, "Catalog:create_user"), self.client)
end

-- CatalogUser -------------------------------------------------------------------

core.define_type("CatalogUser", { format = "{user_name} ({id})", product = "Catalog",
  doc = "a user of Canvas Catalog (another product, on its own host)",
  -- What the endpoint spec runs against the sandbox's Catalog origin.
  examples = {
    receiver = function(w) return w.catalog:get_user(1) end,
    args = { edit = { { custom_fields = { shirt_size = "L" } } } },
  },
})

local methods = core.define_rows("CatalogUser", {
  { name = "delete", method = "DELETE", path = "users/{id}",
    doc = "Delete this Catalog user (only_orders_and_enrollments = true keeps the user)." },
})

-- Not a row: the answer is unwrapped from {user = ...} and replaces the
-- attributes (a field sent as null must not keep its old value).

--- CatalogUser:edit([params]): update (PUT users/:id; clear_merged_into_user_id, custom_fields with string values or lcanvas.null to delete a key); the object is updated in place.
function methods.edit(self, params)
  if params ~= nil and type(params) ~= "table" then argerror(1, "edit", "table expected") end
  params = params or {}
  local has_null = check_custom_fields(params, "edit")
  local path = "users/" .. id_segment(self, 1, "edit")
  local client = core.client_of(self)
  local fresh = unwrap(write(client, "PUT", path, params, has_null), "CatalogUser:edit")
  if fresh.dry_run then  -- nothing was sent: the object stays as it was, marked
    self.dry_run = true
    return self
  end
  -- Replace every attribute: a field the answer sends as null (e.g. a
  -- cleared merged_into_user_id) must not keep its old value.
  local stale = {}
  for k in pairs(self) do if fresh[k] == nil then stale[#stale + 1] = k end end
  for _, k in ipairs(stale) do self[k] = nil end
  for k, v in pairs(fresh) do self[k] = v end
  return self
end

core.describe_hand("CatalogUser", {
  edit = { method = "PUT", path = "users/{id}", params = { "clear_merged_into_user_id", "custom_fields" },
    unknown = "unchecked", source = "Catalog's users API (docs)" },
})

return M
