--- Request parameters as Canvas (Rails) reads them: query strings and form
-- bodies with user[name], include[], entry[][name] nesting, or JSON bodies.
local json = require "lcanvas.sandbox.json"

local M = {}

function M.unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- The pairs of a query or form body, still escaped, in order.
function M.raw_pairs(q)
  local out = {}
  for pair in (q or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    out[#out + 1] = { k, v }
  end
  return out
end

-- Adds one decoded key=value to `into`, following Rails's bracket rules.
local function assign(into, key, value)
  local base, rest = key:match("^([^%[]+)(.*)$")
  if not base then return end
  local parts = { base }
  for p in rest:gmatch("%[([^%]]*)%]") do parts[#parts + 1] = p end
  local t = into
  for i = 1, #parts - 1 do
    local p, nextp = parts[i], parts[i + 1]
    if p == "" then
      -- entry[][name]: start a new map when the last one already has name
      local last = t[#t]
      if type(last) ~= "table" or (last[nextp] ~= nil) or nextp == "" then
        last = {}
        t[#t + 1] = last
      end
      t = last
    else
      if type(t[p]) ~= "table" then t[p] = nextp == "" and json.array({}) or {} end
      t = t[p]
    end
  end
  local leaf = parts[#parts]
  if leaf == "" then t[#t + 1] = value else t[leaf] = value end
end

function M.parse_query(q)
  local out = {}
  for _, pair in ipairs(M.raw_pairs(q)) do
    assign(out, M.unescape(pair[1]), M.unescape(pair[2]))
  end
  return out
end

--- Query parameters merged with the body's (form or JSON); nil, message
-- for a body that cannot be read.
function M.request_params(req)
  local out = M.parse_query(req.query)
  local ctype = (req.headers["content-type"] or ""):lower()
  if req.body ~= "" then
    if ctype:find("application/json", 1, true) then
      local v, err = json.decode(req.body)
      if type(v) ~= "table" then return nil, "invalid JSON body: " .. tostring(err) end
      for k, x in pairs(v) do out[k] = x end
    elseif ctype:find("x-www-form-urlencoded", 1, true) or ctype == "" then
      for k, x in pairs(M.parse_query(req.body)) do out[k] = x end
    end
  end
  return out
end

return M
