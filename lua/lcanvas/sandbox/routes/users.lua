--- Users API, the user record (canvas-lms app/controllers/users_controller.rb:
-- api_show, update, api_index for an account's users, create,
-- create_self_registered_user; and profile_controller.rb: settings for the
-- profile). Who may do what: policy.lua; the answers' shapes:
-- serializers.lua (user_json, user_profile_json), with the includes and
-- context each action passes.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local policy = require "lcanvas.sandbox.policy"
local S = require "lcanvas.sandbox.serializers"

-- api_index passes include[] filtered to this list.
local INDEX_INCLUDES = { "avatar_url", "email", "last_login", "time_zone", "uuid", "ui_invoked" }

local function contains(hay, needle)
  return hay ~= nil and tostring(hay):lower():find(needle, 1, true) ~= nil
end

-- Does the user match an account search term? Their name, email, and
-- every login they hold (its unique id and SIS id), merged ones included.
local function matches(u, term)
  if contains(u.name, term) or contains(u.email, term) or contains(u.login_id, term)
      or contains(u.sis_user_id, term) or contains(u.integration_id, term) then
    return true
  end
  for _, l in ipairs(u.merged_logins or {}) do
    if contains(l.unique_id, term) or contains(l.sis_user_id, term) then return true end
  end
  return false
end

-- UsersController#update: the attributes the caller may manage, as the
-- action collects them; anything else sent makes the whole request 401.
local function managed_attributes(app, ctx, u)
  local target = { user = u }
  local can = function(right) return policy.can(app, ctx, right, target) end
  local m = {}
  if can("rename") then m.name, m.short_name, m.sortable_name = true, true, true end
  if u.id == ctx.real_user_id then m.terms_of_use = true end   -- (@real_current_user || @current_user)
  if can("manage_user_details") then m.email = true end
  -- The sandbox's root account has profiles and pronouns enabled.
  if can("manage_user_details") then m.bio = true end
  if can("rename") then m.title = true end
  if can("manage_user_details") or can("change_pronoun") then m.pronouns = true end
  if can("manage_user_details") then m.event = true end
  if can("update_profile") then m.time_zone, m.locale = true, true end
  if can("update_avatar") then m.avatar = true end
  return m
end

return function(app)
  local store = app.store

  local function root() return { account = store.accounts[1] } end

  -- api_show: without api_show_user, Canvas raises RecordNotFound, so the
  -- answer is 404, not 401. The domain's root account is the context.
  app:route("GET", "/users/:user", function(self, ctx)
    if not policy.can(self, ctx, "api_show_user", { user = ctx.user }) then app.not_found() end
    return S.user(self, ctx, ctx.user, S.api_show_includes(self, ctx, ctx.user, ctx.params.include), root())
  end)

  -- ProfileController#settings: read_profile (yourself, your courses'
  -- teachers and TAs through read_reports, admins).
  app:route("GET", "/users/:user/profile", function(self, ctx)
    self:require(ctx, "read_profile", { user = ctx.user })
    return S.profile(self, ctx, ctx.user, ctx.params.include)
  end)

  app:route("PUT", "/users/:user", function(self, ctx)
    local u = ctx.user
    local p = ctx.params.user
    if p ~= nil and type(p) ~= "table" then app.bad_request("user must be a hash", "user") end
    p = p or {}
    p.birthdate = nil   -- dropped from User; still accepted and ignored
    local managed = managed_attributes(self, ctx, u)
    -- managed_attributes.empty? || !user_params.except(*managed_attributes).empty?
    local any = next(managed) ~= nil
    for k in pairs(p) do if not managed[k] then any = false end end
    if not any then self:unauthorized() end
    for _, k in ipairs({ "name", "short_name", "sortable_name", "time_zone", "email", "locale", "bio", "title",
        "pronouns" }) do
      if p[k] ~= nil then
        if type(p[k]) ~= "string" then app.bad_request(k .. " must be a string", k) end
        if k == "name" and p[k] == "" then app.bad_request("name can't be blank", "name", "blank") end
      end
    end
    local includes = S.includes({ "locale", "avatar_url", "email", "time_zone" })
    if policy.can(self, ctx, "manage_user_details", { user = u }) then includes.avatar_state = true end
    for _, k in ipairs({ "name", "short_name", "sortable_name", "time_zone", "email", "locale" }) do
      if p[k] ~= nil then u[k] = p[k] end
    end
    for _, k in ipairs({ "title", "bio", "pronouns" }) do
      if p[k] ~= nil then
        u[k] = p[k] ~= "" and p[k] or nil
        includes[k] = true
      end
    end
    if p.terms_of_use ~= nil and util.truthy(p.terms_of_use) then u.terms_of_use = true end
    if type(p.avatar) == "table" and p.avatar.url then u.avatar_url = p.avatar.url end
    return S.user(self, ctx, u, includes, root())
  end)

  -- An account's users (api_index): read_roster on the account, which is
  -- the context; sort=id pages by bookmark (BookmarkedCollection), the
  -- other sorts by number.
  app:route("GET", "/accounts/:account/users", function(self, ctx)
    self:require(ctx, "read_roster", { account = ctx.account })
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
        if not term or matches(u, term) then found[#found + 1] = u end
      end
    end
    local key = ({ username = "sortable_name", email = "email", sis_id = "sis_user_id",
      integration_id = "integration_id", last_login = "last_login", id = "id" })[p.sort or ""] or "sortable_name"
    table.sort(found, function(a, b)
      local x, y = tostring(a[key] or ""), tostring(b[key] or "")
      if key == "id" then x, y = a.id, b.id end
      if x == y then return a.id < b.id end
      return x < y
    end)
    if p.order == "desc" then
      for i = 1, #found // 2 do found[i], found[#found - i + 1] = found[#found - i + 1], found[i] end
    end
    local includes = S.allowed(p.include, INDEX_INCLUDES)
    if p.sort == "last_login" then includes.last_login = true end
    if includes.ui_invoked then
      includes.ui_invoked = nil
    elseif p.sort == "id" then
      ctx.pagination = "bookmark"
    end
    local out = {}
    for i, u in ipairs(found) do out[i] = S.user(self, ctx, u, includes, { account = ctx.account }) end
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

  -- create_user's includes: locale and uuid; terms_of_use when
  -- user[terms_of_use] was sent (accepted or not); confirmation_url when
  -- communication_channel[confirmation_url] asks and the caller may
  -- manage students on the account.
  local function create_includes(self, ctx, u, cc)
    local inc = S.includes({ "locale", "uuid" })
    if u.terms_of_use ~= nil then inc.terms_of_use = true end
    if util.truthy(cc.confirmation_url) and (cc.type == nil or cc.type == "email")
        and policy.can(self, ctx, "manage_students", { account = ctx.account }) then
      inc.confirmation_url = true
    end
    return inc
  end

  -- require_self_registration: manage_user_logins on the root account.
  app:route("POST", "/accounts/:account/users", function(self, ctx)
    self:require(ctx, "manage_user_logins", { account = policy.root_of(store, ctx.account) })
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
    return S.user(self, ctx, new_user(ctx.account, u, pseudonym, cc), create_includes(self, ctx, u, cc),
      { account = ctx.account })
  end)

  app:route("POST", "/accounts/:account/self_registration", function(self, ctx)
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
    return S.user(self, ctx, new_user(ctx.account, u, pseudonym, cc), create_includes(self, ctx, u, cc),
      { account = ctx.account })
  end)
end
