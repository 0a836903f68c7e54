--- Argument checks shared by the Lua-side methods (user.lua, users_api.lua,
-- catalog.lua), so every method reports a bad argument the same way the C
-- methods do: "bad argument #N to 'name' (why)".
local core = require "lcanvas.core"

local M = {}

--- Raises "bad argument #n to 'fname' (msg)". `level` 3 (the default)
-- blames the caller of the function that called argerror.
function M.argerror(n, fname, msg, level)
  error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), level or 3)
end

--- An id, string or lcanvas object as an escaped path segment (the C
-- binding's own escaping); errors name the caller's argument.
function M.segment(v, n, fname)
  local ok, s = pcall(core.segment, v)
  if not ok then
    M.argerror(n, fname, tostring(s):match("^bad argument #%d+ to '[^']*' %((.*)%)$") or tostring(s), 4)
  end
  return s
end

--- `v` when it is nil or a table; otherwise a "params must be a table" error.
function M.params(v, n, fname)
  if v ~= nil and type(v) ~= "table" then
    M.argerror(n, fname, "params must be a table, got " .. type(v), 4)
  end
  return v
end

--- A copy of the caller's params (never modified) with `extra` merged in.
function M.params_with(params, n, fname, extra)
  M.params(params, n, fname)
  local out = {}
  for k, v in pairs(params or {}) do out[k] = v end
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

return M
