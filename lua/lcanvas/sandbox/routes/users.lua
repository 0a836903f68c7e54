--- Users API routes of the sandbox (profile, edit, account users, courses,
-- page views, custom data, poll sessions).
local json = require "lcanvas.sandbox.json"

local PUBLIC = { "id", "name", "sortable_name", "short_name", "sis_user_id", "login_id", "email",
  "avatar_url", "locale", "created_at", "time_zone", "integration_id" }

local function present(u)
  local out = {}
  for _, k in ipairs(PUBLIC) do out[k] = u[k] end
  return out
end

local function contains(hay, needle)
  return hay ~= nil and tostring(hay):lower():find(needle, 1, true) ~= nil
end

-- Is account `id` the user's account or one of its ancestors?
local function in_account(store, u, id)
  local a = store.accounts[u.account_id]
  while a do
    if a.id == id then return true end
    a = store.accounts[a.parent_account_id]
  end
  return false
end

-- Custom data scopes: "a/b" -> {"a", "b"}.
local function scope_keys(scope)
  local keys = {}
  for k in (scope or ""):gmatch("[^/]+") do keys[#keys + 1] = k end
  return keys
end

local function type_name(v)
  local t = type(v)
  if t == "string" then return "String" elseif t == "number" then return "Integer"
  elseif t == "boolean" then return "Boolean" elseif t == "table" then return "Hash" end
  return "NilClass"
end

return function(app)
  local store = app.store

  app:route("GET", "/users/:user", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    return present(ctx.user)
  end)

  app:route("GET", "/users/:user/profile", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local u = ctx.user
    return { id = u.id, name = u.name, short_name = u.short_name, sortable_name = u.sortable_name,
      primary_email = u.email, login_id = u.login_id, sis_user_id = u.sis_user_id,
      avatar_url = u.avatar_url, locale = u.locale, time_zone = u.time_zone, bio = u.bio or json.null }
  end)

  app:route("PUT", "/users/:user", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local p = ctx.params.user
    if p ~= nil and type(p) ~= "table" then app.bad_request("user must be a hash", "user") end
    for _, k in ipairs({ "name", "short_name", "sortable_name", "time_zone", "email", "locale", "bio" }) do
      if p and p[k] ~= nil then
        if type(p[k]) ~= "string" then app.bad_request(k .. " must be a string", k) end
        if k == "name" and p[k] == "" then app.bad_request("name can't be blank", "name", "blank") end
        ctx.user[k] = p[k]
      end
    end
    if p and type(p.avatar) == "table" and p.avatar.url then ctx.user.avatar_url = p.avatar.url end
    return present(ctx.user)
  end)

  app:route("GET", "/accounts/:account/users", function(self, ctx)
    if not store:is_admin(ctx.user_id) then self:require_manage(ctx, { id = -1 }) end
    local p = ctx.params
    local term = p.search_term
    if term ~= nil and (type(term) ~= "string" or #term < 3) then
      app.bad_request("search_term of 3 or more characters is required", "search_term", "invalid_length")
    end
    term = term and term:lower()
    local out = {}
    for _, u in ipairs(store:all_users()) do
      if in_account(store, u, ctx.account.id) and (not term or contains(u.name, term) or
          contains(u.login_id, term) or contains(u.sis_user_id, term) or contains(u.email, term)) then
        out[#out + 1] = present(u)
      end
    end
    local key = ({ username = "sortable_name", email = "email", sis_id = "sis_user_id",
      last_login = "id" })[p.sort or ""] or "sortable_name"
    table.sort(out, function(a, b)
      local x, y = tostring(a[key] or ""), tostring(b[key] or "")
      if x == y then return a.id < b.id end
      return x < y
    end)
    if p.order == "desc" then
      for i = 1, #out // 2 do out[i], out[#out - i + 1] = out[#out - i + 1], out[i] end
    end
    return out
  end, { list = true, no_last = true })

  app:route("GET", "/users/:user/courses", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      local c = store.courses[e.course_id]
      if c then
        local copy = store.deep_copy(c)
        copy.enrollments = json.array({ { type = e.type:gsub("Enrollment$", ""):lower(),
          role = e.role, enrollment_state = e.enrollment_state, user_id = e.user_id } })
        out[#out + 1] = copy
      end
    end
    return out
  end, { list = true })

  app:route("GET", "/users/:user/page_views", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for i = 1, 45 do
      out[i] = { id = string.format("pv-%d-%03d", ctx.user.id, i), url = "https://sandbox.test/courses/1/pages/" .. i,
        created_at = string.format("2024-09-01T%02d:%02d:00Z", i // 60, i % 60), user_id = ctx.user.id,
        http_method = "get", interaction_seconds = i * 1.5 }
    end
    return out
  end, { list = true, pagination = "bookmark" })

  app:route("GET", "/users/:user/meta_list", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for i = 1, 25 do out[i] = { id = i, title = "Item " .. i } end
    return out
  end, { list = true, root = "items", meta = true })

  local polls = {
    opened = { { id = 1, course_id = 1, is_published = true, has_public_results = false },
      { id = 2, course_id = 2, is_published = true, has_public_results = true } },
    closed = { { id = 3, course_id = 1, is_published = false, has_public_results = false } },
  }
  for _, which in ipairs({ "opened", "closed" }) do
    app:route("GET", "/poll_sessions/" .. which, function()
      return store.deep_copy(polls[which])
    end, { list = true, root = "poll_sessions" })
  end

  -- Custom data --------------------------------------------------------------
  local function ns_data(ctx)
    local ns = ctx.params.ns
    if type(ns) ~= "string" or ns == "" then app.bad_request("invalid namespace", "ns") end
    store.custom_data[ctx.user.id] = store.custom_data[ctx.user.id] or {}
    return store.custom_data[ctx.user.id], ns
  end

  local function get_custom(self, ctx)
    self:require_manage(ctx, ctx.user)
    local root, ns = ns_data(ctx)
    local v = root[ns]
    for _, k in ipairs(scope_keys(ctx.args.scope)) do
      v = type(v) == "table" and v[k] or nil
    end
    if v == nil then app.bad_request("no data for scope", "scope") end
    return { data = v }
  end

  local function put_custom(self, ctx)
    self:require_manage(ctx, ctx.user)
    local root, ns = ns_data(ctx)
    local data = ctx.params.data
    if data == nil then app.bad_request("no data provided", "data") end
    local keys = scope_keys(ctx.args.scope)
    if #keys == 0 then
      local status = root[ns] == nil and 201 or 200
      if type(data) ~= "table" and root[ns] ~= nil then status = 200 end
      root[ns] = data
      return { data = data }, status
    end
    if root[ns] == nil then root[ns] = {} end
    local t = root[ns]
    local walked = {}
    for i = 1, #keys - 1 do
      walked[#walked + 1] = keys[i]
      local v = t[keys[i]]
      if v == nil then
        v = {}
        t[keys[i]] = v
      elseif type(v) ~= "table" then
        app.halt(409, { message = "write conflict for custom_data hash",
          conflict_scope = table.concat(walked, "/"), type_at_conflict = type_name(v),
          value_at_conflict = v })
      end
      t = v
    end
    if type(t) ~= "table" then app.halt(409, { message = "write conflict for custom_data hash" }) end
    local status = t[keys[#keys]] == nil and 201 or 200
    t[keys[#keys]] = data
    return { data = data }, status
  end

  local function prune(t, keys, i)
    if i > #keys then return end
    local child = t[keys[i]]
    if type(child) == "table" then
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
      if v == nil then app.bad_request("no data for scope", "scope") end
      root[ns] = nil
      return { data = v }
    end
    local t = root[ns]
    for i = 1, #keys - 1 do t = type(t) == "table" and t[keys[i]] or nil end
    local v = type(t) == "table" and t[keys[#keys]] or nil
    if v == nil then app.bad_request("no data for scope", "scope") end
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
