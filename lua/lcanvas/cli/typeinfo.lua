--- lcanvas.cli.typeinfo: what the command line knows about lcanvas's types,
-- for `help` at the prompt and for the error report's hints: each type's
-- methods with their one-line docs (from the API reference, doc/reference.md,
-- and from the method tables found at run time), the types Canvas rows
-- return, and which types have a method of a given name.
-- Nothing here makes a type: core.methods and core.endpoints create the
-- metatable of a name they do not know, so the registry is read instead
-- (the binding keeps every type's metatable there as "lcanvas.<Type>").
local M = {}

-- The reference's path: next to the Lua files of this tree or install.
local function reference_path()
  local init = package.searchpath("lcanvas", package.path)
  local luadir = init and init:match("^(.*)/lcanvas/init%.lua$")
  if not luadir then return nil end
  for _, rel in ipairs({ "/../doc/reference.md", "/../../doc/lcanvas/reference.md",
      "/../../../share/doc/lcanvas/reference.md" }) do
    local f = io.open(luadir .. rel, "r")
    if f then f:close(); return luadir .. rel end
  end
end

local reference
--- lcanvas.cli.typeinfo.reference(): the reference's sections, { Type = { {name=, sig=, doc=}, ... } }; sig is ":name(args)" for a type, the whole "lcanvas.csv.read(args)" for a module; empty without the reference.
function M.reference()
  if reference then return reference end
  reference = {}
  local path = reference_path()
  if not path then return reference end
  local section
  for line in io.lines(path) do
    local title = line:match("^## (%S+)")
    if title then
      section = {}
      reference[title] = section
    elseif section then
      local text, doc = line:match("^| `([^`]+)` | (.*) |$")
      if text then
        local sig = text:match("^%l[%w_]*(:[%w_]+.*)$") or text
        local name = text:match("([%w_]+)%b()$") or text:match("([%w_]+)$")
        section[#section + 1] = { name = name, sig = sig, doc = (doc:gsub("\\|", "|")) }
      end
    end
  end
  return reference
end

--- lcanvas.cli.typeinfo.metatable(tname): the metatable of the type named tname, or nil when the binding has made none (never makes one).
function M.metatable(tname)
  local mt = debug.getregistry()["lcanvas." .. tostring(tname)]
  if type(mt) == "table" then return mt end
end

-- Every "lcanvas.<Type>" metatable of the registry: { Type = mt }.
local function registry_types()
  local out = {}
  for key, mt in pairs(debug.getregistry()) do
    local tname = type(key) == "string" and key:match("^lcanvas%.([%w_]+)$")
    if tname and type(mt) == "table" then out[tname] = mt end
  end
  return out
end

--- lcanvas.cli.typeinfo.common(): the methods every Canvas object has, { name = function }.
function M.common()
  -- Every object type starts with the same C functions (to_table, get,
  -- ...): those found, under the same name, in every object type.
  local common
  for _, mt in pairs(registry_types()) do
    if mt.__type and type(mt.methods) == "table" then
      if not common then
        common = {}
        for name, fn in pairs(mt.methods) do common[name] = fn end
      else
        for name, fn in pairs(common) do
          if mt.methods[name] ~= fn then common[name] = nil end
        end
      end
    end
  end
  return common or {}
end

-- The method table of a type at run time: the binding's, or the __index
-- table of a Lua class (given a value of it).
local function method_table(tname, value)
  local mt = M.metatable(tname)
  if mt and type(mt.methods) == "table" then return mt.methods, mt end
  local vmt = value ~= nil and getmetatable(value)
  if type(vmt) == "table" and type(vmt.__index) == "table" then return vmt.__index, nil end
end

--- lcanvas.cli.typeinfo.own_methods(tname [, value]): the methods of a type beyond those every object has, { name = function }.
function M.own_methods(tname, value)
  local methods, mt = method_table(tname, value)
  local out = {}
  if not methods then return out end
  local common = mt and mt.__type and M.common() or {}
  for name, fn in pairs(methods) do
    if type(name) == "string" and type(fn) == "function" and common[name] ~= fn
        and not name:match("^_") then
      out[name] = fn
    end
  end
  return out
end

--- lcanvas.cli.typeinfo.entries(tname [, value]): a type's own methods as { {name=, sig=, doc=}, ... }: the reference's lines, then any method found at run time that the reference lacks (with its row's doc).
function M.entries(tname, value)
  local ref = M.reference()[tname]
  local out, seen = {}, {}
  for _, e in ipairs(ref or {}) do
    out[#out + 1] = e
    seen[e.name] = true
  end
  local mt = M.metatable(tname)
  local rows = mt and type(mt.endpoints) == "table" and mt.endpoints or {}
  local extra = {}
  for name in pairs(M.own_methods(tname, value)) do
    if not seen[name] then
      local row = rows[name]
      extra[#extra + 1] = { name = name, sig = ":" .. name .. "(...)", doc = type(row) == "table" and row.doc or "" }
    end
  end
  table.sort(extra, function(a, b) return a.name < b.name end)
  for _, e in ipairs(extra) do out[#out + 1] = e end
  return out
end

--- lcanvas.cli.typeinfo.common_entries(): the methods every Canvas object has, as entries (the reference's Object section, else their names).
function M.common_entries()
  local ref = M.reference().Object
  if ref and #ref > 0 then return ref end
  local out = {}
  for name in pairs(M.common()) do out[#out + 1] = { name = name, sig = ":" .. name .. "(...)", doc = "" } end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- The object types Canvas rows return ({ Type = true }): a type whose first
-- object is still to come has no metatable yet, but is a type all the same.
local function returned_types()
  local out = {}
  for _, mt in pairs(registry_types()) do
    if type(mt.endpoints) == "table" then
      for _, row in pairs(mt.endpoints) do
        local r = type(row) == "table" and row.returns
        if type(r) == "string" and r:match("^%u[%w_]*$") then out[r] = true end
      end
    end
  end
  return out
end

--- lcanvas.cli.typeinfo.is_object_type(tname): whether tname names a Canvas object type (one lcanvas has made, or one its rows return).
function M.is_object_type(tname)
  local mt = M.metatable(tname)
  if mt then return mt.__type ~= nil end
  return returned_types()[tname] == true
end

--- lcanvas.cli.typeinfo.known(): every type name, sorted: those with a method table (at run time or in the reference) and those rows return.
function M.known()
  local set = returned_types()
  for tname, mt in pairs(registry_types()) do
    -- (internal classes with no methods, such as a pending request, are not types to ask about)
    if mt.__type or (type(mt.methods) == "table" and next(mt.methods) ~= nil) then set[tname] = true end
  end
  for title in pairs(M.reference()) do
    if title:match("^%u[%w_]*$") then set[title] = true end
  end
  local out = {}
  for tname in pairs(set) do out[#out + 1] = tname end
  table.sort(out)
  return out
end

--- lcanvas.cli.typeinfo.modules(): the module sections of the reference (lcanvas, lcanvas.csv, ...), sorted.
function M.modules()
  local out = {}
  for title in pairs(M.reference()) do
    if title == "lcanvas" or title:match("^lcanvas%.") then out[#out + 1] = title end
  end
  table.sort(out)
  return out
end

--- lcanvas.cli.typeinfo.with_method(name): the types that have a method `name` of their own (sorted), and whether every Canvas object has it.
function M.with_method(name)
  local set = {}
  for tname, mt in pairs(registry_types()) do
    if type(mt.methods) == "table" and M.own_methods(tname)[name] then set[tname] = true end
  end
  for title, section in pairs(M.reference()) do
    if title:match("^%u[%w_]*$") and title ~= "Object" then
      for _, e in ipairs(section) do
        if e.name == name and e.sig:sub(1, 1) == ":" then set[title] = true end
      end
    end
  end
  local out = {}
  for tname in pairs(set) do out[#out + 1] = tname end
  table.sort(out)
  return out, M.common()[name] ~= nil
end

--- lcanvas.cli.typeinfo.name_of(v): the type name of an lcanvas value ("User", "Client", "PaginatedList", "Catalog", "CsvWriter" ...) or module ("lcanvas.csv"), else nil.
function M.name_of(v)
  local mt = getmetatable(v)
  if type(mt) == "table" then
    if type(mt.__type) == "string" then return mt.__type end
    local name = mt.__name
    if type(name) == "string" and name:match("^lcanvas%.[%w_]+$") then return name:sub(9) end
    return nil
  end
  if type(v) ~= "table" then return nil end
  local lcanvas = package.loaded.lcanvas
  if v == lcanvas then return "lcanvas" end
  if v == package.loaded["lcanvas.script"] then return "lcanvas.script" end
  if type(lcanvas) == "table" then
    for k, mod in pairs(lcanvas) do
      if mod == v and type(k) == "string" then return "lcanvas." .. k end
    end
  end
end

--- lcanvas.cli.typeinfo.find_function(fn): the type and name of the method that fn is ("Client", "get_user"), else nil.
function M.find_function(fn)
  if type(fn) ~= "function" then return nil end
  local common = M.common()
  for name, f in pairs(common) do
    if f == fn then return "Object", name end
  end
  local types = registry_types()
  local names = {}
  for tname in pairs(types) do names[#names + 1] = tname end
  table.sort(names)
  for _, tname in ipairs(names) do
    for name, f in pairs(M.own_methods(tname)) do
      if f == fn then return tname, name end
    end
  end
end

return M
