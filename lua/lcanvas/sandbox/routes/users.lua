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

-- Canvas's value_to_boolean: form strings and JSON booleans.
local function truthy(v)
  return v == true or v == "true" or v == "1" or v == "on" or v == "yes" or v == 1
end

local function now_iso()
  return os.date("!%Y-%m-%dT%H:%M:%SZ")
end

return function(app)
  local store = app.store
  -- Other route modules answer with the same public shape of a user.
  app.present_user = present

  -- Canvas's other spelling of users/self/activity_stream (users_api.lua
  -- answers it); declared first so "/users/:user" does not take it for an id.
  app:route("GET", "/users/activity_stream", function(self, ctx)
    return app.activity_stream(self, ctx)
  end, { list = true })

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

  local function require_admin(self, ctx)
    if not store:is_admin(ctx.user_id) then self:require_manage(ctx, { id = -1 }) end
  end

  app:route("GET", "/accounts/:account", function(self, ctx)
    require_admin(self, ctx)
    local a = ctx.account
    return { id = a.id, name = a.name, parent_account_id = a.parent_account_id or json.null,
      root_account_id = a.root_account_id or json.null, workflow_state = "active",
      uuid = string.format("sandbox-account-%d", a.id), default_time_zone = "America/Denver" }
  end)

  app:route("GET", "/accounts/:account/users", function(self, ctx)
    require_admin(self, ctx)
    local p = ctx.params
    local term = p.search_term
    if term ~= nil and (type(term) ~= "string" or #term < 3) then
      app.bad_request("search_term of 3 or more characters is required", "search_term", "invalid_length")
    end
    term = term and term:lower()
    -- enrollment_type: the course-level base role ("student", "teacher"...).
    local etype = p.enrollment_type
    local enrolled
    if etype ~= nil then
      local want = ({ student = "StudentEnrollment", teacher = "TeacherEnrollment", ta = "TaEnrollment",
        observer = "ObserverEnrollment", designer = "DesignerEnrollment" })[tostring(etype):lower()]
      enrolled = {}
      for _, e in ipairs(store.enrollments) do
        if e.type == want then enrolled[e.user_id] = true end
      end
    end
    local function candidates()
      local users = {}
      for _, u in ipairs(store:all_users()) do
        if in_account(store, u, ctx.account.id) and (not enrolled or enrolled[u.id]) then
          users[#users + 1] = u
        end
      end
      return users
    end
    local out = {}
    -- A numeric term names a user id first; other fields only if none matches.
    local as_id = term and math.tointeger(tonumber(term))
    if as_id and tostring(as_id) == term then
      for _, u in ipairs(candidates()) do
        if u.id == as_id then out[#out + 1] = present(u) end
      end
    end
    if #out == 0 then
      for _, u in ipairs(candidates()) do
        if not term or contains(u.name, term) or contains(u.login_id, term) or
            contains(u.sis_user_id, term) or contains(u.email, term) then
          out[#out + 1] = present(u)
        end
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

  -- Creating users -------------------------------------------------------------
  -- Canvas answers a failed user creation with every model's errors.
  local function creation_failed(user_errors, pseudonym_errors)
    app.halt(400, { errors = { user = user_errors or {}, pseudonym = pseudonym_errors or {},
      observee = {}, pairing_code = {}, recaptcha = json.null } })
  end

  local function err(attribute, kind, message)
    return json.array({ { attribute = attribute, type = kind, message = message } })
  end

  local function new_user(account, u, pseudonym, cc)
    local login = pseudonym.unique_id
    local name = (type(u.name) == "string" and u.name ~= "") and u.name or login
    local first, last = name:match("^(%S+)%s+(.+)$")
    local email = type(cc.address) == "string" and cc.address ~= "" and cc.address or
      (login:find("@", 1, true) and login or nil)
    local record = {
      id = store:new_id(), name = name,
      short_name = type(u.short_name) == "string" and u.short_name or (first or name),
      sortable_name = type(u.sortable_name) == "string" and u.sortable_name or
        (last and (last .. ", " .. first) or name),
      login_id = login, email = email,
      sis_user_id = type(pseudonym.sis_user_id) == "string" and pseudonym.sis_user_id ~= "" and
        pseudonym.sis_user_id or nil,
      integration_id = type(pseudonym.integration_id) == "string" and pseudonym.integration_id or nil,
      locale = type(u.locale) == "string" and u.locale or "en",
      time_zone = type(u.time_zone) == "string" and u.time_zone or "America/Denver",
      created_at = now_iso(), account_id = account.id,
      terms_of_use = truthy(u.terms_of_use) or nil,
    }
    record.avatar_url = "https://sandbox.test/images/avatars/" .. record.id .. ".png"
    store:add_user(record)
    return record
  end

  local function table_param(ctx, key)
    local v = ctx.params[key]
    if v ~= nil and type(v) ~= "table" then app.bad_request(key .. " must be a hash", key) end
    return v or {}
  end

  -- unique_id: present, and free in this (single root) account.
  local function check_login(pseudonym, pseudonym_errors)
    local login = pseudonym.unique_id
    if type(login) ~= "string" or login == "" then
      pseudonym_errors.unique_id = err("unique_id", "too_short", "is too short (minimum is 1 character)")
    elseif store.by_login[login:lower()] then
      pseudonym_errors.unique_id = err("unique_id", "taken",
        "ID already in use for this account and authentication provider")
    end
  end

  app:route("POST", "/accounts/:account/users", function(self, ctx)
    require_admin(self, ctx)
    local u, pseudonym, cc = table_param(ctx, "user"), table_param(ctx, "pseudonym"),
      table_param(ctx, "communication_channel")
    local pseudonym_errors = {}
    check_login(pseudonym, pseudonym_errors)
    local sis = pseudonym.sis_user_id
    if type(sis) == "string" and sis ~= "" and store.by_sis[sis] then
      pseudonym_errors.sis_user_id = err("sis_user_id", "taken",
        string.format("SIS ID \"%s\" is already in use", sis))
    end
    if next(pseudonym_errors) then creation_failed({}, pseudonym_errors) end
    return present(new_user(ctx.account, u, pseudonym, cc))
  end)

  app:route("POST", "/accounts/:account/self_registration", function(self, ctx)
    local u, pseudonym, cc = table_param(ctx, "user"), table_param(ctx, "pseudonym"),
      table_param(ctx, "communication_channel")
    local user_errors, pseudonym_errors = {}, {}
    if type(u.name) ~= "string" or u.name == "" then
      user_errors.name = err("name", "blank", "can't be blank")
    end
    if not truthy(u.terms_of_use) then
      user_errors.terms_of_use = err("terms_of_use", "accepted", "must be accepted")
    end
    check_login(pseudonym, pseudonym_errors)
    if not pseudonym_errors.unique_id and not tostring(pseudonym.unique_id):match("^[^@%s]+@[^@%s]+%.[^@%s]+$") then
      pseudonym_errors.unique_id = err("unique_id", "invalid", "is invalid")
    end
    if pseudonym.password ~= nil then
      pseudonym_errors.password = err("password", "invalid", "cannot be set during self-registration")
    end
    if next(user_errors) or next(pseudonym_errors) then creation_failed(user_errors, pseudonym_errors) end
    pseudonym.sis_user_id, pseudonym.integration_id = nil, nil   -- ignored when self-registering
    return present(new_user(ctx.account, u, pseudonym, cc))
  end)

  app:route("GET", "/users/:user/courses", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      local c = store.courses[e.course_id]
      if c then
        local copy = store.deep_copy(c)
        -- The caller's own nickname replaces the name (users_api.lua keeps them).
        local nick = app.course_nickname and app.course_nickname(ctx.user_id, c.id)
        if nick then copy.original_name, copy.name = c.name, nick end
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
  -- store.custom_data[user id][ns] is the namespace's JSON value. Scopes
  -- walk JSON objects only; a stored null reads as "no data", as in Canvas.
  local function ns_data(ctx)
    local ns = ctx.params.ns
    if type(ns) ~= "string" or ns == "" then app.bad_request("invalid namespace", "ns") end
    store.custom_data[ctx.user.id] = store.custom_data[ctx.user.id] or {}
    return store.custom_data[ctx.user.id], ns
  end

  local function no_data() app.bad_request("no data for scope", "scope") end

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
    if data == nil or data == json.null then app.bad_request("no data specified", "data") end
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
