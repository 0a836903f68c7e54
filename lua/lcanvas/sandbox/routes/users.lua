--- Users API, the user record (canvas-lms app/controllers/users_controller.rb:
-- api_show, update, index for an account's users, create,
-- create_self_registered_user; and profile_controller.rb: settings for the
-- profile). Other modules answer with the same public shape of a user
-- (app.present_user).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"

-- What user_json (lib/api/v1/user.rb) always sends: the record itself and,
-- for callers who may see them, the SIS fields and the login.
local BASE = { "id", "name", "created_at", "sortable_name", "short_name", "login_id" }
-- Fields user_json sends only when the action puts them in its includes.
local OPTIONAL = { "avatar_url", "email", "locale", "time_zone", "uuid", "last_login", "bio" }

-- The includes each action passes to user_json (users_controller.rb):
-- api_show always adds locale, avatar_url and email and takes uuid and
-- last_login from include[]; api_index takes only what include[] asks from
-- its list (sorting by last_login adds it); update sends a fixed set;
-- create_user sends locale and uuid.
local ACTIONS = {
  show = { always = { "locale", "avatar_url", "email" }, asked = { "uuid", "last_login" } },
  index = { always = {}, asked = { "avatar_url", "email", "last_login", "time_zone", "uuid" } },
  update = { always = { "locale", "avatar_url", "email", "time_zone" }, asked = {} },
  create = { always = { "locale", "uuid" }, asked = {} },
}

--- The set of includes for `action` given the request's include[] (a list or one value).
local function includes_for(action, include)
  local a, set = ACTIONS[action], {}
  for _, k in ipairs(a.always) do set[k] = true end
  local asked = {}
  for _, v in ipairs(util.array_of(include)) do asked[v] = true end
  for _, k in ipairs(a.asked) do if asked[k] then set[k] = true end end
  return set
end

--- A User as user_json answers it: `includes` is a set of optional fields
-- (nil: none). sis_import_id and integration_id come with a SIS login, as
-- user_json merges them from the SIS pseudonym. `limited`: the caller is
-- not an admin of the context (user_json_is_admin?), so no login or SIS fields.
local function present(u, includes, limited)
  local out = {}
  for _, k in ipairs(BASE) do out[k] = u[k] end
  if limited then
    out.login_id = nil
  elseif u.sis_user_id then
    out.sis_user_id = u.sis_user_id
    out.integration_id = u.integration_id or json.null
    out.sis_import_id = u.sis_import_id or json.null
  end
  for _, k in ipairs(OPTIONAL) do
    if includes and includes[k] then
      local v = u[k]
      if v == nil then v = json.null end
      out[k] = v
    end
  end
  return out
end

local function contains(hay, needle)
  return hay ~= nil and tostring(hay):lower():find(needle, 1, true) ~= nil
end

return function(app)
  local store = app.store
  -- Other route modules answer with the same shape of a user:
  -- app.present_user(u[, includes set]).
  app.present_user = present
  app.user_includes = includes_for

  -- api_show: without the right to see the user, Canvas raises
  -- RecordNotFound, so the answer is 404, not 401.
  app:route("GET", "/users/:user", function(self, ctx)
    if not self:can_manage(ctx, ctx.user) then app.not_found() end
    return present(ctx.user, includes_for("show", ctx.params.include), not store:is_admin(ctx.user_id))
  end)

  app:route("GET", "/users/:user/profile", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local u = ctx.user
    -- Every field of the Profile object (user_profile_json); null where
    -- the sandbox has nothing, as Canvas sends them.
    local function or_null(v) if v == nil then return json.null end return v end
    return { id = u.id, name = u.name, short_name = u.short_name, sortable_name = u.sortable_name,
      title = or_null(u.title), bio = or_null(u.bio), primary_email = or_null(u.email), login_id = u.login_id,
      sis_user_id = or_null(u.sis_user_id), lti_user_id = string.format("sbx-lti-%d", u.id),
      avatar_url = u.avatar_url,
      calendar = { ics = string.format("%s/feeds/calendars/user_%s.ics", self.urls and self.urls.main or "",
        u.uuid or tostring(u.id)) },
      time_zone = u.time_zone, locale = or_null(u.locale), effective_locale = u.locale or "en" }
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
    return present(ctx.user, includes_for("update"), not store:is_admin(ctx.user_id))
  end)

  -- An account's users -----------------------------------------------------------
  app:route("GET", "/accounts/:account/users", function(self, ctx)
    self:require_admin(ctx)
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
      local want = util.ENROLLMENT_TYPES[tostring(etype):lower()]
      enrolled = {}
      for _, e in ipairs(store.enrollments) do
        if e.type == want then enrolled[e.user_id] = true end
      end
    end
    local function candidates()
      local users = {}
      for _, u in ipairs(store:all_users()) do
        if util.in_account(store, u, ctx.account.id) and (not enrolled or enrolled[u.id]) then
          users[#users + 1] = u
        end
      end
      return users
    end
    local found = {}
    -- A numeric term names a user id first; other fields only if none matches.
    local as_id = term and math.tointeger(tonumber(term))
    if as_id and tostring(as_id) == term then
      for _, u in ipairs(candidates()) do
        if u.id == as_id then found[#found + 1] = u end
      end
    end
    if #found == 0 then
      for _, u in ipairs(candidates()) do
        if not term or contains(u.name, term) or contains(u.login_id, term) or
            contains(u.sis_user_id, term) or contains(u.email, term) then
          found[#found + 1] = u
        end
      end
    end
    local key = ({ username = "sortable_name", email = "email", sis_id = "sis_user_id",
      last_login = "last_login", id = "id" })[p.sort or ""] or "sortable_name"
    table.sort(found, function(a, b)
      local x, y = tostring(a[key] or ""), tostring(b[key] or "")
      if key == "id" then x, y = a.id, b.id end
      if x == y then return a.id < b.id end
      return x < y
    end)
    if p.order == "desc" then
      for i = 1, #found // 2 do found[i], found[#found - i + 1] = found[#found - i + 1], found[i] end
    end
    local includes = includes_for("index", p.include)
    if p.sort == "last_login" then includes.last_login = true end
    local out = {}
    for i, u in ipairs(found) do out[i] = present(u, includes) end
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
      created_at = util.iso(), account_id = account.id,
      terms_of_use = util.truthy(u.terms_of_use) or nil,
    }
    record.avatar_url = "https://sandbox.test/images/avatars/" .. record.id .. ".png"
    record.uuid = string.format("SbxUserUuid%029d", record.id)
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
    self:require_admin(ctx)
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
    return present(new_user(ctx.account, u, pseudonym, cc), includes_for("create"))
  end)

  app:route("POST", "/accounts/:account/self_registration", function(_, ctx)
    local u, pseudonym, cc = table_param(ctx, "user"), table_param(ctx, "pseudonym"),
      table_param(ctx, "communication_channel")
    local user_errors, pseudonym_errors = {}, {}
    if type(u.name) ~= "string" or u.name == "" then
      user_errors.name = err("name", "blank", "can't be blank")
    end
    if not util.truthy(u.terms_of_use) then
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
    return present(new_user(ctx.account, u, pseudonym, cc), includes_for("create"))
  end)
end
