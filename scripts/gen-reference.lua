-- Generates doc/reference.md, the API reference, from the code itself:
--   * the endpoint rows, read at run time through core.endpoints(Type)
--     (verb, path, arguments, return type and doc string of every
--     table-driven method; the rows live in lua/lcanvas/types/<type>.lua);
--   * the doc lines above hand-written methods: `/// Type:method(args): text`
--     in src/binding/*.c and `--- Type:method(args): text` in lua/lcanvas/
--     (`lcanvas.fn(args): text` for module functions).
-- Every public method found at run time must have one of the two; the
-- reference spec fails otherwise, and when doc/reference.md differs from
-- this script's output.
--
-- Usage (from anywhere; needs a build for lcanvas.core):
--   scripts/build build && lua5.4 scripts/gen-reference.lua doc/reference.md
--   lua5.4 scripts/gen-reference.lua            (writes to stdout)
--   lua5.4 scripts/gen-reference.lua --check    (lists undocumented methods, exit 1 if any)
-- LCANVAS_BUILD picks another build directory (default build).
local ROOT = (arg and arg[0] or ""):match("^(.*)/scripts/gen%-reference%.lua$") or "."
local BUILD = os.getenv("LCANVAS_BUILD") or "build"

local M = {}

M.REGENERATE = "scripts/build build && lua5.4 scripts/gen-reference.lua doc/reference.md"

-- The types whose methods must be documented, in reference order. Others
-- found at run time (new resource types) follow alphabetically.
local ORDER = { "lcanvas", "Client", "PaginatedList", "Error", "Object" }
local INTRO = {
  lcanvas = "The module returned by `require \"lcanvas\"`.",
  Client = "A connection to one Canvas instance, from `lcanvas.new(base_url, token, opts)`.",
  PaginatedList = "A lazy list that follows Canvas's pagination links.",
  Error = "The error object raised for anything that goes wrong with Canvas (`lcanvas.Error`).",
  Object = "Methods every Canvas object (User, Account, Course, ...) has.",
  User = "A Canvas user (`lua/lcanvas/types/user.lua`).",
  Account = "A Canvas account, from `canvas:get_account(id)` (`lua/lcanvas/types/account.lua`).",
  Catalog = "A Canvas Catalog client, from `lcanvas.catalog.new(base_url, api_key, opts)` " ..
    "(`lua/lcanvas/types/catalog.lua`).",
  CatalogUser = "A Catalog user (`lua/lcanvas/types/catalog.lua`).",
}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- Doc lines from the sources: { ["Type:name"] = {sig=, text=, file=, line=} }.
function M.scan_docs(root)
  root = root or ROOT
  local docs, dupes = {}, {}
  local list = io.popen(string.format(
    "cd %q && find src/binding lua/lcanvas -path lua/lcanvas/sandbox -prune -o " ..
    "\\( -name '*.c' -o -name '*.lua' \\) -type f -print | LC_ALL=C sort", root))
  for file in list:lines() do
    local prefix = file:match("%.c$") and "///" or "%-%-%-"
    local n = 0
    for line in io.lines(root .. "/" .. file) do
      n = n + 1
      local type_, sep, name, args, text = line:match("^%s*" .. prefix ..
        "%s*([%a_][%w_]*)([:.])([%a_][%w_]*)%s*(%b())%s*:%s*(.-)%s*$")
      if type_ and text ~= "" then
        local key = type_ .. ":" .. name
        if docs[key] then dupes[#dupes + 1] = string.format("%s (%s:%d and %s:%d)",
          key, docs[key].file, docs[key].line, file, n) end
        docs[key] = { type = type_, name = name, sep = sep, args = args, text = text,
                      file = file, line = n }
      end
    end
  end
  list:close()
  return docs, dupes
end

-- The methods that exist at run time: { Type = { name = {endpoint=...} } }.
function M.runtime(core, lcanvas)
  local types = {}
  -- Methods every resource type gets: those of a type nobody defines.
  local common = core.methods("__reference_probe__")
  types.Object = {}
  for name in pairs(common) do types.Object[name] = {} end

  local reg = debug.getregistry()
  for key, mt in pairs(reg) do
    local tname = type(key) == "string" and key:match("^lcanvas%.([%w_]+)$")
    if tname and type(mt) == "table" and tname ~= "__reference_probe__" then
      local methods = type(mt.methods) == "table" and mt.methods
        or (type(mt.__index) == "table" and mt.__index) or nil
      -- Rows (core.define_rows) of object types and of the client.
      local endpoints = type(mt.endpoints) == "table" and mt.endpoints or nil
      if methods then
        local t = {}
        for name, fn in pairs(methods) do
          if type(fn) == "function" and type(name) == "string"
             and not (mt.__type and common[name] == fn) then
            t[name] = { endpoint = endpoints and endpoints[name] or nil }
          end
        end
        if next(t) then types[tname] = t end
      end
    end
  end
  types.lcanvas = {}
  for name, v in pairs(lcanvas) do
    local mt = type(v) == "table" and getmetatable(v)
    -- A callable module (lcanvas.progress) is a public function too.
    if type(v) == "function" or (mt and mt.__call) then types.lcanvas[name] = {} end
  end
  return types
end

-- What is missing: a list of "Type:name" strings.
function M.undocumented(types, docs)
  local missing = {}
  for _, tname in ipairs(sorted_keys(types)) do
    for _, name in ipairs(sorted_keys(types[tname])) do
      local m = types[tname][name]
      local ep = m.endpoint
      if not (ep and ep.doc and ep.doc ~= "") and not docs[tname .. ":" .. name] then
        missing[#missing + 1] = tname .. (tname == "lcanvas" and "." or ":") .. name
      end
    end
  end
  return missing
end

-- "(course, [params])": a positional argument is named by its args entry
-- (a path segment without one is argN).
local function endpoint_args(ep)
  local n = 0
  for d in ep.path:gmatch("{%*?(%d)}") do n = math.max(n, tonumber(d)) end
  n = math.max(n, #(ep.args or {}))
  local args = {}
  for i = 1, n do
    local a = (ep.args or {})[i]
    args[#args + 1] = type(a) == "table" and a[1] or a or ("arg" .. i)
  end
  args[#args + 1] = "[params]"
  return "(" .. table.concat(args, ", ") .. ")"
end

local function endpoint_returns(ep)
  local r = ep.returns
  local what = r == "self" and "the receiver, updated" or r == "data" and "the decoded answer"
    or ((r:match("^[AEIOU]") and "an " or "a ") .. r)
  if ep.list then
    what = "a PaginatedList of " .. (r == "data" and "tables" or r)
    if ep.root then what = what .. " (from `" .. ep.root .. "`)" end
  end
  if ep.field then what = "the `" .. ep.field .. "` field of the answer" end
  if ep.item_fields then
    local keys = {}
    for k in pairs(ep.item_fields) do keys[#keys + 1] = k end
    table.sort(keys)
    what = what .. ", with " .. table.concat(keys, ", ") .. " set"
  end
  return what
end

local function md_escape(s) return (s:gsub("|", "\\|")) end

function M.render(types, docs)
  local out = {}
  local function w(s) out[#out + 1] = s end
  w("# lcanvas API reference")
  w("")
  w("Generated from the source by `scripts/gen-reference.lua`; do not edit by hand.")
  w("Regenerate after adding or changing a method: `" .. M.REGENERATE .. "`.")
  w("Table-driven methods (endpoint rows in `lua/lcanvas/types/`) show the request they make;")
  w("`{id}` is the receiver's id and `{1}`, `{2}` the positional arguments that are path")
  w("segments (an object or an id), `{*2}` one that is a path of any depth (\"a/b\" or a list);")
  w("other named positional arguments are sent as the parameter of that name. A trailing")
  w("table argument is sent as parameters.")

  -- Types documented only in the sources (e.g. Lua-side classes) are listed too.
  local all = {}
  for tname in pairs(types) do all[tname] = true end
  for _, d in pairs(docs) do all[d.type] = true end
  local order, seen = {}, {}
  for _, t in ipairs(ORDER) do if all[t] then order[#order + 1] = t; seen[t] = true end end
  for _, t in ipairs(sorted_keys(all)) do if not seen[t] then order[#order + 1] = t end end

  w("")
  w("Contents: " .. table.concat((function()
    local links = {}
    for _, t in ipairs(order) do links[#links + 1] = "[" .. t .. "](#" .. t:lower() .. ")" end
    return links
  end)(), " · "))

  for _, tname in ipairs(order) do
    local names = {}
    for name in pairs(types[tname] or {}) do names[name] = true end
    for _, d in pairs(docs) do if d.type == tname then names[d.name] = true end end
    w("")
    w("## " .. tname)
    w("")
    if INTRO[tname] then w(INTRO[tname]); w("") end
    w("| method | description |")
    w("|---|---|")
    for _, name in ipairs(sorted_keys(names)) do
      local m = (types[tname] or {})[name] or {}
      local d = docs[tname .. ":" .. name]
      local ep = m.endpoint
      local sep = tname == "lcanvas" and "." or ":"
      local sig, desc
      if ep and ep.doc and ep.doc ~= "" and not d then
        sig = sep .. name .. endpoint_args(ep)
        desc = string.format("%s `%s %s` → %s.", ep.doc, ep.method, ep.path, endpoint_returns(ep))
      elseif d then
        sig = sep .. name .. d.args
        desc = d.text
        if ep then desc = string.format("%s `%s %s`", desc, ep.method, ep.path) end
      else
        sig = sep .. name .. "(...)"
        desc = "**undocumented**"
      end
      local owner = tname == "lcanvas" and "lcanvas" or tname:sub(1, 1):lower() .. tname:sub(2)
      if tname == "Client" then owner = "canvas" elseif tname == "PaginatedList" then owner = "list"
      elseif tname == "Error" then owner = "err" elseif tname == "Object" then owner = "obj" end
      w(string.format("| `%s%s` | %s |", owner, md_escape(sig), md_escape(desc)))
    end
  end
  w("")
  return table.concat(out, "\n")
end

-- Loads lcanvas from this tree and returns the reference text, the
-- undocumented methods and duplicate doc lines.
function M.generate(root)
  root = root or ROOT
  package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
  if not package.loaded["lcanvas.core"] then
    package.cpath = root .. "/" .. BUILD .. "/lib/?.so;" .. package.cpath
  end
  local lcanvas = require "lcanvas"
  local core = require "lcanvas.core"
  local docs, dupes = M.scan_docs(root)
  local types = M.runtime(core, lcanvas)
  return M.render(types, docs), M.undocumented(types, docs), dupes
end

-- Run as a script (not when required by the spec).
if arg and arg[0] and arg[0]:match("gen%-reference%.lua$") and not package.loaded["busted"] then
  local text, missing, dupes = M.generate()
  if #dupes > 0 then
    io.stderr:write("gen-reference: documented twice: ", table.concat(dupes, ", "), "\n")
    os.exit(1)
  end
  if arg[1] == "--check" then
    for _, m in ipairs(missing) do print("undocumented: " .. m) end
    os.exit(#missing == 0 and 0 or 1)
  end
  if #missing > 0 then
    io.stderr:write("gen-reference: warning: undocumented: ", table.concat(missing, ", "), "\n")
  end
  if arg[1] then
    local f = assert(io.open(arg[1], "w"))
    f:write(text)
    f:close()
  else
    io.write(text)
  end
end

return M
