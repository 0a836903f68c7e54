--- lcanvas: the Canvas LMS REST API for Lua 5.4.
-- `require "lcanvas"` gives this module; the C binding it builds on is
-- `lcanvas.core`. Everything that is nicer written in Lua lives here.
local core = require "lcanvas.core"

local M = {
  _VERSION = core._VERSION,
  core = core,
  null = core.null,       -- stands for JSON null in parameters and JSON bodies
  json = core.json,       -- exact-integer JSON: json.decode / json.encode
  kinds = core.kinds,     -- error kind names, e.g. lcanvas.kinds.ResourceDoesNotExist
  encode_params = core.encode_params,
}

--- Connect to a Canvas instance.
-- @param base_url e.g. "https://school.instructure.com" (no /api/v1)
-- @param token an API access token
-- @param opts optional table: timeout, connect_timeout, per_page, max_retries,
--   as_user_id, allow_insecure, ca_file, user_agent, string_ids, backoff,
--   backoff_max, rate_low_water
function M.new(base_url, token, opts)
  return core.new(base_url, token, opts)
end

--- Build an error object (not raised) of the given kind.
M.error = core.error

--- Raise a RequiredFieldMissing error before any request is made.
function M.require_fields(tbl, what, ...)
  for i = 1, select("#", ...) do
    local field = select(i, ...)
    if type(tbl) ~= "table" or tbl[field] == nil or tbl[field] == "" then
      error(core.error("RequiredFieldMissing",
        string.format("%s requires '%s'", what, field), { field = field }), 2)
    end
  end
end

--- True when v is an lcanvas object (of the given type, e.g. "User").
M.is_object = core.is_object

--- True when err is an lcanvas.Error (of the given kind, if any).
function M.is_error(err, kind)
  if getmetatable(err) ~= getmetatable(core.error("CanvasException", "")) then return false end
  return kind == nil or err:is(kind)
end

-- Tasks: concurrency from plain sequential code (lua/lcanvas/tasks.lua).
local tasks = require "lcanvas.tasks"
M.gather = tasks.gather
core.methods("Client").map = tasks.map
core.methods("PaginatedList").each = tasks.each

return M
