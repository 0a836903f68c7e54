--- Canvas's JSON shapes, one function each, written from lib/api/v1 and
-- used by every route that answers with that shape. Each decides its
-- fields from the caller (policy.lua) and the includes the action passes,
-- as Canvas's serializer does; routes only pick the includes and context
-- their controller action passes.
--
-- Read from canvas-lms (newest versions in the search index):
--   lib/api/v1/user.rb           user_json (User), user_json_is_admin?
--   lib/api/v1/user_profile.rb   user_profile_json (Profile)
--   app/controllers/user_observees_controller.rb  users_json +
--                                observation_link_root_account_ids (lists),
--                                render_student_json (one link)
--   lib/api/v1/pseudonym.rb      pseudonym_json (Login)
--   lib/api/v1/page_view.rb      page_view_json (PageView)
--   lib/api/v1/eportfolio.rb     eportfolio_json (ePortfolio)
--
-- A context is { account = a }, { course = c }, { profile = true } (a
-- UserProfile: the domain's root account decides) or nil (none: the
-- answer has no login or SIS fields).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local policy = require "lcanvas.sandbox.policy"

local M = {}

local function or_null(v)
  if v == nil then return json.null end
  return v
end

--- A set from include[] (a list, one value or nil) and/or a list of names.
function M.includes(...)
  local set = {}
  for i = 1, select("#", ...) do
    for _, v in ipairs(util.array_of((select(i, ...)))) do
      if type(v) == "string" then set[v] = true end
    end
  end
  return set
end

--- The names `asked` (include[]) keeps of `allowed`, as a set.
function M.allowed(asked, allowed)
  local want, set = M.includes(asked), {}
  for _, k in ipairs(allowed) do if want[k] then set[k] = true end end
  return set
end

-- User#first_name / last_name: from the sortable name "Last, First".
local function name_parts(u)
  local last, first = (u.sortable_name or ""):match("^(.-),%s*(.*)$")
  if last then return first, last end
  local f, l = (u.name or ""):match("^(%S+)%s+(.+)$")
  return f or u.name, l or json.null
end

--- user_json: the User object for the caller in ctx. `excludes` (a set,
-- optional) takes user_json's excludes: pseudonym (no login_id or
-- sis_import_id whoever asks) and personal_info (no email, bio or title).
function M.user(app, ctx, u, includes, context, excludes)
  includes, excludes = includes or {}, excludes or {}
  local out = { id = u.id, name = u.name, created_at = u.created_at, sortable_name = u.sortable_name,
    short_name = u.short_name }
  local admin = not excludes.pseudonym and policy.user_json_is_admin(app, ctx, context)
  if includes.sis_user_id or admin then
    -- SisPseudonym.for(require_sis: false): the login, with or without a SIS id.
    if policy.can_read_sis(app, ctx, context) then
      out.sis_user_id = or_null(u.sis_user_id)
      out.integration_id = or_null(u.integration_id)
    end
    if admin then
      local root = policy.account_rights(app, ctx.user_id, app.store.accounts[1])
      if root and root.manage_sis then out.sis_import_id = or_null(u.sis_import_id) end
      if u.login_id and policy.context_can(app, ctx, "view_user_logins", context) then
        out.login_id = u.login_id
      end
    end
  end
  if u.pronouns then out.pronouns = u.pronouns end
  if includes.avatar_url then out.avatar_url = or_null(u.avatar_url) end
  if includes.avatar_state and policy.can(app, ctx, "manage_user_details", { user = u }) then
    out.avatar_state = u.avatar_state or "approved"
  end
  if includes.first_name or includes.last_name then
    local first, last = name_parts(u)
    if includes.last_name then out.last_name = last end
    if includes.first_name then out.first_name = first end
  end
  if includes.email and not excludes.personal_info
      and policy.context_can(app, ctx, "read_email_addresses", context) then
    out.email = or_null(u.email)
  end
  if includes.bio and not excludes.personal_info then out.bio = or_null(u.bio) end
  if includes.title and not excludes.personal_info then out.title = or_null(u.title) end
  if includes.locale then out.locale = or_null(u.locale) end
  if includes.effective_locale and u.id == ctx.user_id then out.effective_locale = u.locale or "en" end
  if includes.confirmation_url then
    out.confirmation_url = string.format("%s/register/sbx%d", app.urls and app.urls.main or "", u.id)
  end
  if includes.last_login then out.last_login = or_null(u.last_login) end
  if includes.permissions then
    out.permissions = { can_update_name = true, can_update_avatar = u.avatar_state ~= "locked",
      limit_parent_app_web_access = false }
  end
  if includes.terms_of_use then out.terms_of_use = u.terms_of_use == true end
  if includes.time_zone then out.time_zone = u.time_zone or "America/Denver" end
  if includes.uuid then out.uuid = u.uuid end
  return out
end

--- UsersController#api_show's includes (api_show_includes): always these
-- seven, and of include[] uuid and last_login, avatar_state for who may
-- manage the user's details, confirmation_url for who may manage logins.
function M.api_show_includes(app, ctx, u, asked)
  local allowed = { "uuid", "last_login" }
  if policy.can(app, ctx, "manage_user_details", { user = u }) then allowed[#allowed + 1] = "avatar_state" end
  if policy.can(app, ctx, "manage_user_logins", { account = app.store.accounts[1] }) then
    allowed[#allowed + 1] = "confirmation_url"
  end
  local set = M.allowed(asked, allowed)
  for _, k in ipairs({ "first_name", "last_name", "locale", "avatar_url", "permissions", "email",
      "effective_locale" }) do set[k] = true end
  return set
end

--- user_profile_json (ProfileController#settings): include[] takes
-- user_services, links and uuid.
function M.profile(app, ctx, u, asked)
  local base = M.user(app, ctx, u, { avatar_url = true }, { profile = true })
  local out = {}
  for _, k in ipairs({ "id", "name", "short_name", "sortable_name", "sis_user_id", "login_id", "avatar_url",
      "integration_id", "pronouns" }) do out[k] = base[k] end
  local self = u.id == ctx.user_id
  out.title, out.bio = or_null(u.title), or_null(u.bio)
  if policy.can(app, ctx, "read_email_addresses", { user = u }) then out.primary_email = or_null(u.email) end
  out.login_id = out.login_id or or_null(u.login_id)         -- primary_pseudonym, whoever asks
  if out.integration_id == nil then out.integration_id = or_null(u.integration_id) end
  out.time_zone = u.time_zone or "America/Denver"
  out.locale = or_null(u.locale)
  if self then
    out.effective_locale = u.locale or "en"
    out.calendar = { ics = string.format("%s/feeds/calendars/user_%s.ics", app.urls and app.urls.main or "",
      u.uuid or tostring(u.id)) }
    out.lti_user_id = string.format("sbx-lti-%d", u.id)
    out.k5_user = false
    out.use_classic_font_in_k5 = false
  end
  local inc = M.includes(asked)
  if inc.user_services then out.user_services = json.array({}) end
  if inc.links then out.links = json.array({}) end
  if inc.uuid then out.uuid = u.uuid end
  return out
end

--- A user in an observer answer: user_json plus the root accounts the two
-- are linked on. Lists pass include[] and the root account as context;
-- one link (render_student_json, show_observer) passes neither.
function M.observee(app, ctx, u, includes, context, root_ids)
  local out = M.user(app, ctx, u, includes, context)
  out.observation_link_root_account_ids = json.array(root_ids or {})
  return out
end

--- pseudonym_json: a login; its SIS and integration ids only for who may
-- read or manage SIS data on the login's account.
function M.login(app, ctx, l)
  local out = { id = l.id, user_id = l.user_id, account_id = l.account_id, unique_id = l.unique_id,
    created_at = l.created_at, workflow_state = l.workflow_state, declared_user_type = or_null(l.declared_user_type),
    authentication_provider_id = or_null(l.authentication_provider_id) }
  local rights = policy.account_rights(app, ctx.user_id, app.store.accounts[l.account_id]) or {}
  if rights.read_sis or rights.manage_sis then
    out.sis_user_id = or_null(l.sis_user_id)
    out.integration_id = or_null(l.integration_id)
  end
  if l.authentication_provider_type and l.authentication_provider_type ~= json.null then
    out.authentication_provider_type = l.authentication_provider_type
  else
    out.authentication_provider_type = json.null
  end
  return out
end

--- page_view_json: the record's columns, request_id as id, the ids under links.
function M.page_view(pv)
  return { id = pv.request_id, app_name = or_null(pv.app_name), url = pv.url, context_type = pv.context_type,
    asset_type = or_null(pv.asset_type), controller = pv.controller, action = pv.action, contributed = false,
    interaction_seconds = pv.interaction_seconds, created_at = pv.created_at, user_request = pv.user_request,
    render_time = pv.render_time, user_agent = pv.user_agent, participated = pv.participated,
    http_method = pv.http_method, remote_ip = pv.remote_ip,
    links = { user = pv.user_id, context = or_null(pv.context_id), asset = or_null(pv.asset_id),
      real_user = or_null(pv.real_user_id), account = or_null(pv.account_id) } }
end

--- eportfolio_json: EPORTFOLIO_ATTRIBUTES, public as a boolean.
function M.eportfolio(e)
  return { id = e.id, user_id = e.user_id, name = e.name, public = e.public == true,
    created_at = e.created_at, updated_at = e.updated_at, workflow_state = e.workflow_state,
    deleted_at = or_null(e.deleted_at), spam_status = or_null(e.spam_status) }
end

return M
