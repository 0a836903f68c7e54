-- Observer methods of lcanvas.User that need more than an endpoint row.
-- The rows themselves (get_observees, add_observee, ...) live in
-- src/binding/user.c; this only adds the checks made before sending.
local core = require "lcanvas.core"

local methods = core.methods("User")
local post_observee = methods.add_observee_with_credentials

local function present(v) return v ~= nil and v ~= "" and v ~= core.null end

--- User:add_observee_with_credentials(params): observe a student given `pairing_code`, `access_token` or `observee = {unique_id=, password=}` (RequiredFieldMissing before sending when none is complete).
function methods.add_observee_with_credentials(self, params)
  if params ~= nil and type(params) ~= "table" then
    error("bad argument #1 to 'add_observee_with_credentials' (table expected, got "
      .. type(params) .. ")", 2)
  end
  params = params or {}
  if not present(params.pairing_code) and not present(params.access_token) then
    local obs = params.observee
    if obs ~= nil and type(obs) ~= "table" then
      error("bad argument #1 to 'add_observee_with_credentials' (observee must be a table "
        .. "{unique_id=, password=})", 2)
    end
    for _, field in ipairs({ "unique_id", "password" }) do
      if type(obs) ~= "table" or not present(obs[field]) then
        error(core.error("RequiredFieldMissing", string.format(
          "User:add_observee_with_credentials requires 'observee[%s]' (or a pairing_code "
          .. "or an access_token)", field), { field = "observee[" .. field .. "]" }), 2)
      end
    end
  end
  return post_observee(self, params)
end

return methods
