-- Plain-HTTP requests to the sandbox for the admin-type specs (courses,
-- enrollments, sections, terms, accounts, admins, roles): luasocket, no
-- lcanvas, so the sandbox is checked on its own.
local http = require "socket.http"
local ltn12 = require "ltn12"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"

local M = {}

--- api(method, path, opts) -> status, decoded body (nil when not JSON), headers, raw body.
-- path is under /api/v1; opts.token (default the admin's, false for none),
-- opts.form (a table of key = value or key = {values} sent as a form body).
function M.api(method, path, opts)
  opts = opts or {}
  local headers = {}
  local token = opts.token
  if token == nil then token = sandbox.tokens.admin end
  if token then headers.authorization = "Bearer " .. token end
  local body
  if opts.form then
    local parts = {}
    local function esc(s)
      return (tostring(s):gsub("[^%w%-%._~%[%]]", function(c) return string.format("%%%02X", c:byte()) end))
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
    body = table.concat(parts, "&")
    headers["content-type"] = "application/x-www-form-urlencoded"
    headers["content-length"] = #body
  end
  local chunks = {}
  local _, status, h = http.request({ url = sandbox.url .. "/api/v1/" .. path, method = method, headers = headers,
    source = body and ltn12.source.string(body) or nil, sink = ltn12.sink.table(chunks) })
  local raw = table.concat(chunks)
  return status, json.decode(raw), h, raw
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
