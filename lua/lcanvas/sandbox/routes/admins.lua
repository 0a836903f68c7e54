--- Admins API (canvas-lms app/controllers/admins_controller.rb: index,
-- create, destroy): an account's memberships (AccountUser). require_role
-- turns an unknown or missing role into AccountAdmin, on create and on
-- destroy alike.
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local S = require "lcanvas.sandbox.serializers"

return function(app)
  local store = app.store

  local function require_manage(self, ctx)
    self:require(ctx, "manage_account_memberships", { account = ctx.account })
  end

  -- Role.get_role_by_id (nil for anything unknown), then the account role
  -- by name, then AccountAdmin.
  local function require_role(p)
    local role
    if p.role_id ~= nil then
      role = store.roles[util.to_int(p.role_id) or -1]
      if role and role.base_role_type ~= "AccountMembership" then role = nil end
    end
    if not role and p.role ~= nil then
      for _, r in pairs(store.roles) do
        if r.name == p.role and r.base_role_type == "AccountMembership" and r.workflow_state ~= "deleted" then
          role = r
        end
      end
    end
    if not role then
      for _, r in pairs(store.roles) do if r.name == "AccountAdmin" then role = r end end
    end
    return role
  end

  app:route("GET", "/accounts/:account/admins", function(self, ctx)
    require_manage(self, ctx)
    local only
    if ctx.params.user_id ~= nil then
      -- api_find_all: ids it cannot find are dropped.
      only = {}
      for _, ref in ipairs(util.array_of(ctx.params.user_id)) do
        local u = store:find_user(tostring(ref), ctx.user_id)
        if u then only[u.id] = true end
      end
    end
    local out = {}
    for _, au in ipairs(store.account_users) do
      if au.account_id == ctx.account.id and au.workflow_state == "active" and (not only or only[au.user_id]) then
        out[#out + 1] = au
      end
    end
    table.sort(out, function(a, b) return a.id < b.id end)
    local page, headers = paging.paginate(ctx.req, out, {})
    for i, au in ipairs(page) do page[i] = S.admin(app, ctx, au) end
    return page, 200, headers
  end)

  -- create: first_or_initialize on (user, role), then active again; an
  -- existing active membership answers as it is.
  app:route("POST", "/accounts/:account/admins", function(self, ctx)
    local p = ctx.params
    local user = p.user_id ~= nil and store:find_user(tostring(p.user_id), ctx.user_id) or app.not_found()
    local role = require_role(p)
    require_manage(self, ctx)
    local found
    for _, au in ipairs(store.account_users) do
      if au.account_id == ctx.account.id and au.user_id == user.id and au.role_id == role.id then found = au end
    end
    if not found then found = store:add_account_user(ctx.account.id, user.id, role.id) end
    found.workflow_state = "active"
    return S.admin(app, ctx, found)
  end)

  -- destroy: the (user, role) membership, whatever its state, soft-deleted.
  app:route("DELETE", "/accounts/:account/admins/:user", function(self, ctx)
    local role = require_role(ctx.params)
    require_manage(self, ctx)
    for _, au in ipairs(store.account_users) do
      if au.account_id == ctx.account.id and au.user_id == ctx.user.id and au.role_id == role.id then
        au.workflow_state = "deleted"
        return S.admin(app, ctx, au)
      end
    end
    app.not_found()
  end)
end
