--- Accounts API (canvas-lms app/controllers/accounts_controller.rb: index,
-- show, sub_accounts, update_api). show reads includes[] (plural) only;
-- a reader without :manage gets the short read-only form.
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local S = require "lcanvas.sandbox.serializers"
local policy = require "lcanvas.sandbox.policy"

local set_of = util.set_of

return function(app)
  local store = app.store

  local function manage(ctx, a) return policy.can(app, ctx, "manage_account_settings", { account = a }) end

  -- The caller's accounts: those of their active memberships.
  app:route("GET", "/accounts", function(_, ctx)
    local includes = set_of(ctx.params.include or ctx.params.includes)
    local ids, seen = {}, {}
    for _, au in ipairs(store.account_users) do
      local a = store.accounts[au.account_id]
      if au.user_id == ctx.user_id and au.workflow_state == "active" and a and a.workflow_state ~= "deleted"
          and not seen[a.id] then
        seen[a.id], ids[#ids + 1] = true, a.id
      end
    end
    table.sort(ids)
    local page, headers = paging.paginate(ctx.req, ids, {})
    for i, id in ipairs(page) do page[i] = S.account(app, ctx, store.accounts[id], includes) end
    return page, 200, headers
  end)

  app:route("GET", "/accounts/:account", function(self, ctx)
    local a = ctx.account
    self:require(ctx, "read", { account = a })
    return S.account(app, ctx, a, set_of(ctx.params.includes), not manage(ctx, a))
  end)

  -- sub_accounts: the direct ones (numbered pages with a last link), or
  -- with recursive every one below (no last link).
  app:route("GET", "/accounts/:account/sub_accounts", function(self, ctx)
    local a = ctx.account
    self:require(ctx, "read", { account = a })
    local recursive = util.truthy(ctx.params.recursive)
    local out = {}
    for _, x in pairs(store.accounts) do
      if x.workflow_state ~= "deleted" and x.id ~= a.id and
          (recursive and store:account_under(x.id, a.id) or x.parent_account_id == a.id) then
        out[#out + 1] = x
      end
    end
    table.sort(out, function(x, y) return x.id < y.id end)
    local page, headers = paging.paginate(ctx.req, out, { no_last = recursive })
    for i, x in ipairs(page) do page[i] = S.account(app, ctx, x, {}) end
    return page, 200, headers
  end)

  -- update_api: name, time zone, quotas, settings, and a sub-account's SIS id.
  app:route("PUT", "/accounts/:account", function(self, ctx)
    local a = ctx.account
    if not manage(ctx, a) then self:unauthorized() end
    local ap = type(ctx.params.account) == "table" and ctx.params.account or {}
    if ap.sis_account_id ~= nil then
      -- A root account has no SIS id, and setting one needs manage_sis:
      -- the action answers 401 with the account's errors.
      local root = store:root_of(a.id)
      if not a.parent_account_id or not policy.can(app, ctx, "manage_sis", { account = store.accounts[root] }) then
        app.halt(401, { errors = { sis_account_id = { { attribute = "sis_account_id", type = "invalid",
          message = "cannot set the SIS id of this account" } } } })
      end
      local sis = tostring(ap.sis_account_id)
      for _, x in pairs(store.accounts) do
        if x ~= a and sis ~= "" and x.sis_account_id == sis then
          app.halt(400, { errors = { sis_source_id = { { attribute = "sis_source_id", type = "taken",
            message = string.format('SIS ID "%s" is already in use', sis) } } } })
        end
      end
      a.sis_account_id = sis ~= "" and sis or nil
    end
    if ap.name ~= nil then
      if tostring(ap.name):match("^%s*$") then
        app.halt(400, { errors = { name = { { attribute = "name", type = "blank", message = "blank" } } } })
      end
      a.name = tostring(ap.name)
    end
    if ap.default_time_zone ~= nil then a.default_time_zone = tostring(ap.default_time_zone) end
    for _, k in ipairs({ "default_storage_quota_mb", "default_user_storage_quota_mb",
      "default_group_storage_quota_mb" }) do
      if ap[k] ~= nil then a[k] = util.to_int(ap[k]) or a[k] end
    end
    if type(ap.settings) == "table" then
      a.settings = a.settings or {}
      for k, x in pairs(ap.settings) do a.settings[k] = x end
    end
    if type(ap.services) == "table" then
      a.services = a.services or {}
      for k, x in pairs(ap.services) do a.services[k] = util.truthy(x) end
    end
    local out = S.account(app, ctx, a, set_of(ctx.params.includes))
    if a.settings and next(a.settings) then out.settings = a.settings end
    return out
  end)
end
