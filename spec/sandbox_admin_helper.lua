-- Plain-HTTP requests to the sandbox for the specs of its own areas
-- (courses, enrollments, sections, terms, accounts, admins, roles, and the
-- jobs' helper built on this one): luasocket, no lcanvas, so the sandbox is
-- checked on its own.
local http = require "socket.http"
local ltn12 = require "ltn12"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

local M = {}

--- raw(method, url_or_path, opts) -> status, decoded body (nil when not JSON), headers, raw body.
-- A path is under /api/v1 on the Canvas origin; opts.token (default the
-- admin's, false for none), opts.body, opts.content_type, opts.headers,
-- opts.redirect (default false: 3xx answers come back as they are).
function M.raw(method, target, opts)
  opts = opts or {}
  local url = target:match("^https?://") and target or (sandbox.url .. "/api/v1/" .. target)
  local headers = {}
  local token = opts.token
  if token == nil then token = sandbox.tokens.admin end
  if token then headers.authorization = "Bearer " .. token end
  if opts.content_type then headers["content-type"] = opts.content_type end
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if opts.body then headers["content-length"] = #opts.body end
  local chunks = {}
  local _, status, h = http.request({ url = url, method = method, headers = headers,
    source = opts.body and ltn12.source.string(opts.body) or nil, sink = ltn12.sink.table(chunks),
    redirect = opts.redirect or false })
  local body = table.concat(chunks)
  return status, json.decode(body), h, body
end

--- api(method, path, opts) -> as raw; opts.form (a table of key = value or
-- key = {values}) is sent as a form body.
function M.api(method, path, opts)
  opts = opts or {}
  if not opts.form then return M.raw(method, path, opts) end
  local parts = {}
  local function esc(v)
    return (tostring(v):gsub("[^%w%-%._~%[%]]", function(c) return string.format("%%%02X", c:byte()) end))
  end
  local keys = {}
  for k in pairs(opts.form) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = opts.form[k]
    if type(v) == "table" then
      for _, x in ipairs(v) do parts[#parts + 1] = esc(k) .. "=" .. esc(x) end
    else
      parts[#parts + 1] = esc(k) .. "=" .. esc(v)
    end
  end
  return M.raw(method, path, { token = opts.token, body = table.concat(parts, "&"),
    content_type = "application/x-www-form-urlencoded" })
end

--- The rel -> URL table of a Link header.
function M.links(h)
  local out = {}
  for url, rel in (h.link or ""):gmatch('<([^>]+)>; rel="(%w+)"') do out[rel] = url end
  return out
end

--- Follows next links from `path`; returns every item (root: a key holding the list).
function M.all(path, opts, root)
  local items = {}
  local url = path
  while url do
    local status, doc, h = M.api("GET", url, opts)
    assert(status == 200, "GET " .. url .. " answered " .. tostring(status))
    for _, x in ipairs(root and doc[root] or doc) do items[#items + 1] = x end
    local nxt = M.links(h).next
    url = nxt and nxt:match("/api/v1/(.*)$")
  end
  return items
end

--- The ids of a list of records.
function M.ids(list)
  local out = {}
  for i, x in ipairs(list) do out[i] = x.id end
  return out
end

M.UNAUTHORIZED = { status = "unauthorized", errors = { { message = "user not authorized to perform that action" } } }
M.NOT_FOUND = { errors = { { message = "The specified resource does not exist." } } }

return M
