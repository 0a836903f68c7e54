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

-- The types and modules whose functions must be documented, in reference
-- order. Others found at run time (new resource types) follow
-- alphabetically.
local ORDER = { "lcanvas", "lcanvas.csv", "lcanvas.jsonl", "lcanvas.json", "lcanvas.outfile",
  "lcanvas.statusline", "lcanvas.catalog", "lcanvas.script", "Client", "PaginatedList", "Error", "Object" }
-- The public modules besides `lcanvas` itself: its fields that are tables
-- of functions (lcanvas.core, the C binding, is documented through its
-- types), and what `require "lcanvas.script"` gives.
M.EXTRA_MODULES = { ["lcanvas.script"] = "lcanvas.script" }
M.NOT_MODULES = { core = true, kinds = true }
local INTRO = {
  lcanvas = "The module returned by `require \"lcanvas\"`.",
  ["lcanvas.csv"] = "RFC 4180 CSV in and out (`lua/lcanvas/script/csv.lua`).",
  ["lcanvas.jsonl"] = "JSON lines in and out, exact 64-bit integers (`lua/lcanvas/script/jsonl.lua`).",
  ["lcanvas.json"] = "JSON with exact integers (the C binding's parser and writer).",
  ["lcanvas.outfile"] = "Output files that appear complete or not at all (`lua/lcanvas/script/outfile.lua`).",
  ["lcanvas.statusline"] = "The live status line on a terminal, showing a run's progress " ..
    "(`lua/lcanvas/script/statusline.lua`); `lcanvas.statusline(label, total)` makes one.",
  ["lcanvas.catalog"] = "Canvas Catalog's Users API (`lua/lcanvas/types/catalog.lua`).",
  ["lcanvas.script"] = "What the bundled automation scripts share: `require \"lcanvas.script\"` " ..
    "(`lua/lcanvas/script/`).",
  PairingCode = "What a student hands an observer to link accounts, from `user:create_pairing_code()` " ..
    "(`lua/lcanvas/types/pairing_code.lua`). Fields: user_id, code, expires_at, workflow_state; " ..
    "no methods of its own beyond [Object](#object)'s.",
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
      -- `Type:method(args): text`, `lcanvas.fn(args): text`, `lcanvas.mod.fn(args): text`
      local type_, sep, name, gap, args, text = line:match("^%s*" .. prefix ..
        "%s*([%a_][%w_.]*)([:.])([%a_][%w_]*)(%s*)(%b())%s*:%s*(.-)%s*$")
      local value = false
      -- In a module path the name and its "(" touch: "lcanvas.script.csv (the ...)"
      -- is a file's header, not a function.
      if type_ and type_:find(".", 1, true) and gap ~= "" then type_ = nil end
      if not type_ and n > 1 then
        -- A value or a module: `lcanvas.null: text` (on a file's first line,
        -- the same form is the file's header, not an entry).
        type_, name, text = line:match("^%s*" .. prefix .. "%s*(lcanvas[%w_.]*)%.([%a_][%w_]*):%s+(.-)%s*$")
        sep, args, value = ".", "", true
      end
      if type_ and text ~= "" then
        local key = type_ .. ":" .. name
        if docs[key] then dupes[#dupes + 1] = string.format("%s (%s:%d and %s:%d)",
          key, docs[key].file, docs[key].line, file, n) end
        docs[key] = { type = type_, name = name, sep = sep, args = args, text = text,
                      file = file, line = n, value = value }
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
  -- The modules: each function (a callable table counts: lcanvas.statusline)
  -- and each value (lcanvas.null, a module as a field of lcanvas) needs a
  -- doc line.
  local function module(tname, mod)
    local t = {}
    for name, v in pairs(mod) do
      local mt = type(v) == "table" and getmetatable(v)
      if type(name) == "string" and not name:match("^_") then
        if type(v) == "function" or (mt and mt.__call) then t[name] = {}
        else t[name] = { value = true } end
      end
    end
    types[tname] = t
  end
  module("lcanvas", lcanvas)
  for name, v in pairs(lcanvas) do
    if type(v) == "table" and not M.NOT_MODULES[name] and not name:match("^_") then
      module("lcanvas." .. name, v)
    end
  end
  types.lcanvas.core, types.lcanvas.kinds = { value = true }, { value = true }
  for tname, req in pairs(M.EXTRA_MODULES) do module(tname, require(req)) end
  return types
end

local function is_module(tname) return tname == "lcanvas" or tname:match("^lcanvas%.") ~= nil end

-- What is missing: a list of "Type:name" strings.
function M.undocumented(types, docs)
  local missing = {}
  for _, tname in ipairs(sorted_keys(types)) do
    for _, name in ipairs(sorted_keys(types[tname])) do
      local m = types[tname][name]
      local ep = m.endpoint
      if not (ep and ep.doc and ep.doc ~= "") and not docs[tname .. ":" .. name] then
        missing[#missing + 1] = tname .. (is_module(tname) and "." or ":") .. name
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
  -- The command line's own modules (lcanvas.cli.*) and a file's internal
  -- parts are not public API: module sections are those found at run time.
  local all = {}
  for tname in pairs(types) do all[tname] = true end
  for _, d in pairs(docs) do if not is_module(d.type) then all[d.type] = true end end
  for tname in pairs(INTRO) do all[tname] = true end
  local order, seen = {}, {}
  for _, t in ipairs(ORDER) do if all[t] then order[#order + 1] = t; seen[t] = true end end
  for _, t in ipairs(sorted_keys(all)) do if not seen[t] then order[#order + 1] = t end end

  w("")
  w("Contents: " .. table.concat((function()
    local links = {}
    for _, t in ipairs(order) do
      links[#links + 1] = "[" .. t .. "](#" .. t:lower():gsub("[^%w_%- ]", ""):gsub(" ", "-") .. ")"
    end
    return links
  end)(), " · "))

  for _, tname in ipairs(order) do
    local names = {}
    for name in pairs(types[tname] or {}) do names[name] = true end
    for _, d in pairs(docs) do
      -- (a module's value docs only for what it has: its file header lines
      -- such as "lcanvas.script.cmdline: ..." are not entries)
      if d.type == tname and not (d.value and not (types[tname] or {})[d.name]) then names[d.name] = true end
    end
    w("")
    w("## " .. tname)
    w("")
    if INTRO[tname] then w(INTRO[tname]); w("") end
    if not next(names) then goto continue end
    w(is_module(tname) and "| function or value | description |" or "| method | description |")
    w("|---|---|")
    for _, name in ipairs(sorted_keys(names)) do
      local m = (types[tname] or {})[name] or {}
      local d = docs[tname .. ":" .. name]
      local ep = m.endpoint
      local sep = is_module(tname) and "." or ":"
      local sig, desc
      if d and d.value then
        sig, desc = sep .. name, d.text
      elseif ep and ep.doc and ep.doc ~= "" and not d then
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
      local owner = is_module(tname) and tname or tname:sub(1, 1):lower() .. tname:sub(2)
      if tname == "Client" then owner = "canvas" elseif tname == "PaginatedList" then owner = "list"
      elseif tname == "Error" then owner = "err" elseif tname == "Object" then owner = "obj" end
      w(string.format("| `%s%s` | %s |", owner, md_escape(sig), md_escape(desc)))
    end
    ::continue::
  end
  w("")
  return table.concat(out, "\n")
end

-- Loads lcanvas from this tree and returns the reference text, the
-- undocumented methods and duplicate doc lines.
-- Puts the tree at `root` (its lua/ and its build) on the module paths and
-- loads lcanvas from it; also used by scripts/gen-endpoints.lua.
function M.load_tree(root)
  package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
  if not package.loaded["lcanvas.core"] then
    package.cpath = root .. "/" .. BUILD .. "/lib/?.so;" .. package.cpath
  end
  return require "lcanvas", require "lcanvas.core"
end

-- Writes a generated document to `path`, or to stdout without one.
function M.write_out(text, path)
  if path then
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  else
    io.write(text)
  end
end

function M.generate(root)
  root = root or ROOT
  local lcanvas, core = M.load_tree(root)
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
  M.write_out(text, arg[1])
end

return M
