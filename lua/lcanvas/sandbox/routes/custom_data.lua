--- Custom Data API of a user (canvas-lms
-- app/controllers/custom_data_controller.rb): get, set and delete JSON
-- data under a namespace and a scope path.
-- store.custom_data[user id][ns] is the namespace's JSON value (merges move
-- it, user_merge.lua). Scopes walk JSON objects only; a stored null reads
-- as "no data", as in Canvas.
local json = require "lcanvas.sandbox.json"

-- Custom data scopes: "a/b" -> {"a", "b"}.
local function scope_keys(scope)
  local keys = {}
  for k in (scope or ""):gmatch("[^/]+") do keys[#keys + 1] = k end
  return keys
end

-- Arrays hold no subscopes: only JSON objects (hashes) are walked into.
local function is_hash(v)
  return type(v) == "table" and v ~= json.null and v[1] == nil
end

-- Ruby's class names, as Canvas reports them in a 409.
local function type_name(v)
  local t = type(v)
  if t == "string" then return "String"
  elseif math.type(v) == "integer" then return "Integer"
  elseif t == "number" then return "Float"
  elseif v == true then return "TrueClass" elseif v == false then return "FalseClass"
  elseif is_hash(v) then return "Hash" elseif t == "table" and v ~= json.null then return "Array" end
  return "NilClass"
end

return function(app)
  local store = app.store

  -- CustomDataController answers its 400s as a bare {message = ...}, not
  -- Canvas's usual {errors = [...]} (render json: {message: ...}).
  local function bad_request(message) app.halt(400, { message = message }) end

  local function ns_data(ctx)
    local ns = ctx.params.ns
    if type(ns) ~= "string" or ns == "" then bad_request("invalid namespace") end
    store.custom_data[ctx.user.id] = store.custom_data[ctx.user.id] or {}
    return store.custom_data[ctx.user.id], ns
  end

  local function no_data() bad_request("no data for scope") end

  local function get_custom(self, ctx)
    self:require_manage(ctx, ctx.user)
    local root, ns = ns_data(ctx)
    local v = root[ns]
    for _, k in ipairs(scope_keys(ctx.args.scope)) do
      v = is_hash(v) and v[k] or nil
    end
    if v == nil or v == json.null then no_data() end
    return { data = v }
  end

  local function put_custom(self, ctx)
    self:require_manage(ctx, ctx.user)
    local root, ns = ns_data(ctx)
    local data = ctx.params.data
    if data == nil or data == json.null then bad_request("no data specified") end
    local keys = scope_keys(ctx.args.scope)
    if #keys == 0 then
      local status = (root[ns] == nil or root[ns] == json.null) and 201 or 200
      root[ns] = data
      return { data = data }, status
    end
    -- Walk (and create) the outer scopes; a non-hash on the way would be
    -- lost, so that is a conflict. Creation only happens past existing
    -- data, so a conflict never leaves half-made scopes behind.
    if root[ns] == nil or root[ns] == json.null then root[ns] = {} end
    if not is_hash(root[ns]) then
      app.halt(409, { message = "write conflict for custom_data hash", conflict_scope = "",
        type_at_conflict = type_name(root[ns]), value_at_conflict = root[ns] })
    end
    local t = root[ns]
    local walked = {}
    for i = 1, #keys - 1 do
      walked[#walked + 1] = keys[i]
      local v = t[keys[i]]
      if v == nil or v == json.null then
        v = {}
        t[keys[i]] = v
      elseif not is_hash(v) then
        app.halt(409, { message = "write conflict for custom_data hash",
          conflict_scope = table.concat(walked, "/"), type_at_conflict = type_name(v),
          value_at_conflict = v })
      end
      t = v
    end
    local old = t[keys[#keys]]
    local status = (old == nil or old == json.null) and 201 or 200
    t[keys[#keys]] = data
    return { data = data }, status
  end

  local function prune(t, keys, i)
    if i > #keys then return end
    local child = t[keys[i]]
    if is_hash(child) then
      prune(child, keys, i + 1)
      if next(child) == nil then t[keys[i]] = nil end
    end
  end

  local function delete_custom(self, ctx)
    self:require_manage(ctx, ctx.user)
    local root, ns = ns_data(ctx)
    local keys = scope_keys(ctx.args.scope)
    if #keys == 0 then
      local v = root[ns]
      if v == nil or v == json.null then no_data() end
      root[ns] = nil
      return { data = v }
    end
    local t = root[ns]
    for i = 1, #keys - 1 do t = is_hash(t) and t[keys[i]] or nil end
    local v = is_hash(t) and t[keys[#keys]] or nil
    if v == nil or v == json.null then no_data() end
    t[keys[#keys]] = nil
    prune(root, { ns, table.unpack(keys) }, 1)
    return { data = v }
  end

  for _, path in ipairs({ "/users/:user/custom_data", "/users/:user/custom_data/*scope" }) do
    app:route("GET", path, get_custom)
    app:route("PUT", path, put_custom)
    app:route("DELETE", path, delete_custom)
  end
end
