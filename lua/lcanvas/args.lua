--- What the hand-written methods of lua/lcanvas/types/ share: argument
-- checks worded as the C methods word them ("bad argument #N to 'name'
-- (why)"), path segments, and telling a dry run's simulated answer apart.
local core = require "lcanvas.core"

local M = {}

--- Raises "bad argument #n to 'fname' (msg)". `level` 3 (the default)
-- blames the caller of the function that called argerror.
function M.argerror(n, fname, msg, level)
  error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), level or 3)
end

--- An id, string or lcanvas object as an escaped path segment; a bad value
-- raises "bad argument #n to 'fname' (...)" (the C binding words it).
M.segment = core.segment

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

--- True when `answer` is what the client's dry_run option answers instead
-- of sending a write: what was sent, marked dry_run = true.
function M.dry_run(answer)
  return type(answer) == "table" and answer.dry_run == true
end

return M
