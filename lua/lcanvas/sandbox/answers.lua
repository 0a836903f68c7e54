--- The answers every sandbox origin shares: JSON responses, Canvas's error
-- bodies, and halt() to end a handler early with one of them. Handlers
-- raise a halt instead of returning, so a check deep in a helper can answer
-- 404 or 400 without every caller passing the answer up.
local json = require "lcanvas.sandbox.json"

local M = {}

M.JSON_TYPE = "application/json; charset=utf-8"
M.NOT_FOUND = "The specified resource does not exist."
M.UNAUTHORIZED = "user not authorized to perform that action"
M.UNAUTHENTICATED = "user authorization required"

local Halt = {}

function M.halt(status, body, headers)
  error(setmetatable({ status = status, body = body, headers = headers }, Halt), 0)
end

--- Canvas's usual error body: { errors = { { message = ... } } }.
function M.errors(message)
  return { errors = { { message = message } } }
end

function M.not_found()
  M.halt(404, M.errors(M.NOT_FOUND))
end

--- Rails's errors hash of a model that failed validation: { errors = { attr = { {attribute, type, message} } } }.
function M.model_error(attr, type, message)
  return { errors = { [attr] = { { attribute = attr, type = type, message = message or type } } } }
end

function M.bad_request(message, field, code)
  if field then
    M.halt(400, { errors = { { field = field, message = message, error_code = code } } })
  end
  M.halt(400, M.errors(message))
end

--- A response with a JSON body (empty when value is nil).
function M.json(status, value, headers, string_ids)
  headers = headers or {}
  headers["Content-Type"] = headers["Content-Type"] or M.JSON_TYPE
  return { status = status, headers = headers,
    body = value == nil and "" or json.encode(value, { string_ids = string_ids }) }
end

--- A response with Canvas's error body.
function M.error(status, message)
  return M.json(status, M.errors(message))
end

--- Calls fn(...) and returns its response, or the response a halt carries;
-- any other error goes on up (the server answers it with a 500).
function M.catch(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  if getmetatable(res) ~= Halt then error(res, 0) end
  return M.json(res.status, res.body, res.headers)
end

return M
