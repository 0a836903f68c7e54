--- The sandbox's own JSON, in plain Lua, independent of the client's C
-- parser so a bug in one cannot hide in the other. Integers stay exact
-- (43460000000000001 is written and read as an integer), floats keep a
-- decimal point, and empty arrays are told from empty objects by a mark.
local M = {}

M.null = setmetatable({}, { __tostring = function() return "null" end })
local ARRAY = setmetatable({}, { __mode = "k" })

--- Marks t as a JSON array (needed for empty ones).
function M.array(t)
  t = t or {}
  ARRAY[t] = true
  return t
end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
  ["\b"] = "\\b", ["\f"] = "\\f" }
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_array(t)
  if ARRAY[t] then return true end
  local n = #t
  if n == 0 then return false end
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

-- opts.string_ids: keys `id`/`*_id` with integer values become strings, and
-- `*_ids` arrays of integers become arrays of strings (Canvas's
-- application/json+canvas-string-ids).
local function encode(v, out, opts, key)
  local t = type(v)
  if v == nil or v == M.null then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then
      if opts.string_ids and key and (key == "id" or key:match("_id$") or key:match("_ids$")) then
        out[#out + 1] = '"' .. string.format("%d", v) .. '"'
      else
        out[#out + 1] = string.format("%d", v)
      end
    elseif v ~= v or v == math.huge or v == -math.huge then
      error("cannot encode " .. tostring(v) .. " as JSON")
    else
      local s = string.format("%.17g", v)
      if tonumber(string.format("%.15g", v)) == v then s = string.format("%.15g", v) end
      if not s:find("[%.eEn]") then s = s .. ".0" end
      out[#out + 1] = s
    end
  elseif t == "string" then out[#out + 1] = quote(v)
  elseif t == "table" then
    if is_array(v) then
      out[#out + 1] = "["
      local ids = key and key:match("_ids$")
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out, opts, ids and key or nil)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = quote(k)
        out[#out + 1] = ":"
        local val = v[k]
        if val == nil then val = v[tonumber(k)] end
        encode(val, out, opts, k)
      end
      out[#out + 1] = "}"
    end
  else
    error("cannot encode a " .. t .. " as JSON")
  end
end

function M.encode(v, opts)
  local out = {}
  encode(v, out, opts or {}, nil)
  return table.concat(out)
end

-- Decoding -----------------------------------------------------------------

local decode_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local function utf8char(cp)
  return utf8.char(cp)
end

local function decode_string(s, i)
  local out, j = {}, i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then error("unterminated string at byte " .. i) end
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
      if map[e] then
        out[#out + 1] = map[e]
        j = j + 2
      elseif e == "u" then
        local cp = tonumber(s:sub(j + 2, j + 5), 16)
        if not cp then error("bad \\u escape at byte " .. j) end
        j = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
          local lo = tonumber(s:sub(j + 2, j + 5), 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            j = j + 6
          end
        end
        out[#out + 1] = utf8char(cp)
      else
        error("bad escape at byte " .. j)
      end
    else
      local k = s:find('["\\]', j) or #s + 1
      out[#out + 1] = s:sub(j, k - 1)
      j = k
    end
  end
end

function decode_value(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local obj = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return obj, i + 1 end
    while true do
      if s:sub(i, i) ~= '"' then error("object key expected at byte " .. i) end
      local k
      k, i = decode_string(s, i)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then error("':' expected at byte " .. i) end
      local v
      v, i = decode_value(s, i + 1)
      obj[k] = v
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return obj, i + 1 end
      if d ~= "," then error("',' or '}' expected at byte " .. i) end
      i = skip(s, i + 1)
    end
  elseif c == "[" then
    local arr = M.array({})
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return arr, i + 1 end
    while true do
      local v
      v, i = decode_value(s, i)
      arr[#arr + 1] = v
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return arr, i + 1 end
      if d ~= "," then error("',' or ']' expected at byte " .. i) end
      i = i + 1
    end
  elseif c == '"' then
    return decode_string(s, i)
  elseif s:sub(i, i + 3) == "true" then return true, i + 4
  elseif s:sub(i, i + 4) == "false" then return false, i + 5
  elseif s:sub(i, i + 3) == "null" then return M.null, i + 4
  else
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not num or num == "" or num == "-" then error("unexpected character at byte " .. i) end
    local v
    if num:find("[%.eE]") then v = tonumber(num)
    else v = math.tointeger(tonumber(num)) or tonumber(num) end
    if v == nil then error("bad number at byte " .. i) end
    return v, i + #num
  end
end

--- Decodes text; JSON null becomes json.null. Returns value or nil, message.
function M.decode(s)
  local ok, v, i = pcall(decode_value, s, 1)
  if not ok then return nil, v end
  if skip(s, i) <= #s then return nil, "trailing data at byte " .. i end
  return v
end

return M
