--- Roles API, the read routes (canvas-lms app/controllers/role_overrides_controller.rb:
-- api_index, show): built-in roles and the account's custom ones.
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local S = require "lcanvas.sandbox.serializers"

return function(app)
  local store = app.store

  local function require_manage(self, ctx)
    self:require(ctx, "manage_role_overrides", { account = ctx.account })
  end

  -- api_index: state[] is read with params[:state].to_a, which a single
  -- string does not have: Canvas fails with a 500 there.
  app:route("GET", "/accounts/:account/roles", function(self, ctx)
    require_manage(self, ctx)
    local p = ctx.params
    if p.state ~= nil and type(p.state) ~= "table" then
      app.halt(500, { errors = { { message = "An error occurred." } }, error_report_id = store:new_id() })
    end
    local states = {}
    for _, s in ipairs(util.array_of(p.state)) do
      if s == "active" or s == "inactive" then states[s] = true end
    end
    if next(states) == nil then states.active = true end
    -- available_custom_roles: this account's, or with show_inherited its ancestors' too.
    local inherited = util.truthy(p.show_inherited)
    local built_in, custom = {}, {}
    for _, r in pairs(store.roles) do
      if r.workflow_state == "built_in" then
        if states.active then built_in[#built_in + 1] = r end
      elseif states[r.workflow_state] and r.account_id and
          (r.account_id == ctx.account.id or (inherited and store:account_under(ctx.account.id, r.account_id))) then
        custom[#custom + 1] = r
      end
    end
    local by_id = function(a, b) return a.id < b.id end
    table.sort(built_in, by_id)
    table.sort(custom, by_id)
    for _, r in ipairs(custom) do built_in[#built_in + 1] = r end
    local page, headers = paging.paginate(ctx.req, built_in, {})
    for i, r in ipairs(page) do page[i] = S.role(app, ctx, r) end
    return page, 200, headers
  end)

  app:route("GET", "/accounts/:account/roles/:id", function(self, ctx)
    require_manage(self, ctx)
    local r = store.roles[util.to_int(ctx.args.id) or -1]
    if not r or r.workflow_state == "deleted" then app.not_found() end
    return S.role(app, ctx, r)
  end)
end
