--- lcanvas.cli.help: `help` at the `lcanvas -i` prompt: what is connected
-- and how to find methods, and help(v) for any value: a type's methods by
-- name (help("User")), an object's methods and fields, a list, the client,
-- a module; for anything else it says what the value is. It never raises:
-- a prompt's help that fails helps nobody.
local core = require "lcanvas.core"
local typeinfo = require "lcanvas.cli.typeinfo"

local M = {}

local WIDTH = 110

local function one_line(s, width)
  if #s <= width then return s end
  return s:sub(1, width - 3) .. "..."
end

-- Words joined by ", " into lines of at most WIDTH characters, indented.
local function wrap(words, indent)
  local lines, line = {}, indent
  for i, w in ipairs(words) do
    local piece = w .. (i < #words and "," or "")
    if line ~= indent and #line + 1 + #piece > WIDTH then
      lines[#lines + 1] = line
      line = indent
    end
    line = line .. (line ~= indent and " " or "") .. piece
  end
  if line ~= indent then lines[#lines + 1] = line end
  return table.concat(lines, "\n")
end

local function add_entries(out, entries)
  for _, e in ipairs(entries) do
    out[#out + 1] = "  " .. e.sig .. (e.doc ~= "" and ("  " .. one_line(e.doc, WIDTH)) or "")
  end
end

-- Where to go for what lcanvas has no method for.
local function endpoint_hint(tname)
  return string.format("For endpoints lcanvas has no method for: canvas:request(method, path [, params]) " ..
    "and canvas:list(path [, params, {type = %q}]).", tname)
end

-- "Known types: A, B, ..." (and the modules), wrapped.
local function known_types_text()
  local out = { "Known types:", wrap(typeinfo.known(), "  ") }
  local modules = typeinfo.modules()
  if #modules > 0 then
    out[#out + 1] = "Modules:"
    out[#out + 1] = wrap(modules, "  ")
  end
  return table.concat(out, "\n")
end

-- The help for a type by name (also for a value of it, which may tell the
-- methods of a Lua class the reference does not list).
local function type_text(tname, value)
  local ref = typeinfo.reference()
  local is_object = typeinfo.is_object_type(tname)
  local known = ref[tname] or typeinfo.metatable(tname) or is_object
  if not known then
    local out = { string.format("help: no type named %q", tname) }
    for _, k in ipairs(typeinfo.known()) do
      if k:lower() == tname:lower() then out[1] = out[1] .. string.format(" (did you mean %q?)", k) end
    end
    out[1] = out[1] .. "; help(obj) shows an object's type and methods."
    out[#out + 1] = known_types_text()
    return table.concat(out, "\n") .. "\n"
  end
  local entries = typeinfo.entries(tname, value)
  local out = {}
  if tname:match("^lcanvas") then
    out[1] = string.format("%s functions and values (help: one line each; doc/reference.md has them in full):", tname)
  elseif #entries > 0 or not is_object then
    out[1] = string.format("%s methods (help: one line each; doc/reference.md has them in full):", tname)
  else
    out[1] = string.format("%s: a Canvas object type; lcanvas has no methods of its own for it.", tname)
  end
  add_entries(out, entries)
  if is_object then
    out[#out + 1] = #entries > 0 and "and, like every Canvas object:"
      or "Its objects have the methods every Canvas object has:"
    add_entries(out, typeinfo.common_entries())
    if #entries == 0 then out[#out + 1] = endpoint_hint(tname) end
  elseif #entries == 0 then
    out[#out + 1] = "  (none found)"
  end
  return table.concat(out, "\n") .. "\n"
end

-- An object: its methods as its type's, then its fields.
local function object_text(v, tname)
  local out = {}
  local fields = {}
  local ok, t = pcall(function() return v:to_table() end)
  if ok and type(t) == "table" then
    for k in pairs(t) do fields[#fields + 1] = tostring(k) end
    table.sort(fields)
  end
  local field_lines = #fields > 0 and wrap(fields, "  ") or "  (none)"
  local own = typeinfo.entries(tname, v)
  local shown = tostring(v)
  if #own > 0 then
    out[1] = type_text(tname, v):gsub("\n$", "")
    out[#out + 1] = "Fields (obj.name; obj:to_table() copies them all):"
    out[#out + 1] = field_lines
  else
    out[1] = string.format("%s (an lcanvas %s object): lcanvas has no methods of its own for %s.", shown, tname, tname)
    out[#out + 1] = "Fields (obj.name; obj:to_table() copies them all):"
    out[#out + 1] = field_lines
    out[#out + 1] = "Methods every Canvas object has:"
    add_entries(out, typeinfo.common_entries())
    out[#out + 1] = endpoint_hint(tname)
  end
  return table.concat(out, "\n") .. "\n"
end

-- A PaginatedList: what it lists, then its methods.
local function list_text(v)
  local shown = tostring(v)
  local item = shown:match("^lcanvas%.PaginatedList%(([%w_]+),")
  local what
  if item == nil or item == "dict" then
    what = "its items are plain tables"
  else
    what = string.format("its items are %s objects: help(%q)", item, item)
  end
  return string.format("%s: a lazy list (pages are fetched as it is read); %s.\n", shown, what) ..
    type_text("PaginatedList", v)
end

-- A function: the method it is, if it is one of lcanvas's.
local function function_text(fn)
  local tname, name = typeinfo.find_function(fn)
  if not tname then
    return "help: a function, not one of lcanvas's methods; help(obj) lists an object's methods, " ..
      "help(\"User\") a type's.\n"
  end
  local entries = tname == "Object" and typeinfo.common_entries() or typeinfo.entries(tname)
  local out = { string.format("%s is a method of %s:", name,
    tname == "Object" and "every Canvas object" or tname) }
  for _, e in ipairs(entries) do
    if e.name == name then add_entries(out, { e }) end
  end
  if #out == 1 then out[#out + 1] = "  :" .. name .. "(...)" end
  return table.concat(out, "\n") .. "\n"
end

-- A plain table: its keys.
local function table_text(t)
  local keys, n = {}, 0
  for k in pairs(t) do
    n = n + 1
    if n <= 60 then keys[#keys + 1] = type(k) == "string" and k or ("[" .. tostring(k) .. "]") end
  end
  if n == 0 then return "help: an empty plain table (no methods).\n" end
  table.sort(keys)
  if n > #keys then keys[#keys + 1] = string.format("... (%d in all)", n) end
  return "help: a plain table (no methods); its keys:\n" .. wrap(keys, "  ") .. "\n"
end

--- lcanvas.cli.help.text(...): the help for a value: none gives the overview; a type name, an object, a list, the client, a module, a function or a table what it is and its methods; never raises.
function M.text(...)
  local ok, text = pcall(function(...)
    local v = ...
    if select("#", ...) == 0 or v == M or v == rawget(_G, "help") then return M.overview() end
    if v == nil then
      return "help: the value is nil (a variable not set yet, or misspelt?); `help` alone gives the overview.\n"
    end
    local mt = getmetatable(v)
    if type(mt) == "table" and rawget(mt, "__unconfigured") then
      return "help: " .. tostring(rawget(mt, "__unconfigured")) .. "\n"
    end
    if type(v) == "string" then return type_text(v) end
    local tname = typeinfo.name_of(v)
    if core.is_object(v) then return object_text(v, tname) end
    if tname == "PaginatedList" then return list_text(v) end
    if tname then return type_text(tname, v) end
    if type(v) == "function" then return function_text(v) end
    if type(v) == "table" and mt == nil then return table_text(v) end
    return string.format("help: %s is a %s, not an lcanvas object or type; try help(canvas), help(obj) " ..
      "or help(\"User\").\n", tostring(v), type(v))
  end, ...)
  if ok then return text end
  return "help: cannot describe this value (" .. tostring(text) .. ")\n"
end

--- lcanvas.cli.help.overview(): what is connected (canvas, catalog) and how to find methods.
function M.overview()
  local out = { "Connected:" }
  local function describe(name)
    local v = rawget(_G, name)
    local mt = getmetatable(v)
    if type(mt) == "table" and (mt.__name == "lcanvas.Client" or mt.__name == "lcanvas.Catalog") then
      local dry = ""
      local ok, d = pcall(function() return (mt.__name == "lcanvas.Client" and v or v.client):is_dry_run() end)
      if ok and d then dry = " (dry run: changes are printed, not sent)" end
      out[#out + 1] = string.format("  %-8s %s%s", name, tostring(v), dry)
    else
      out[#out + 1] = string.format("  %-8s not configured (see lcanvas --help)", name)
    end
  end
  describe("canvas")
  describe("catalog")
  out[#out + 1] = [[

Finding methods:
  help(canvas)            the client's methods, one line each
  help(obj)               an object's methods and fields: u = canvas:get_user(3); help(u)
  help("User")            a type's methods by name (User, Account, PaginatedList, ...)
  help("Nonsense")        an unknown name lists the known types
  obj:to_table()          an object's fields as a plain table
Endpoints without a method: canvas:request(method, path [, params]), canvas:list(path [, params]).
Ctrl-C stops the line that runs (a request too) and keeps the session; Ctrl-D ends it.
Examples:
  me = canvas:get_current_user()
  for u in canvas:list("accounts/1/users", { search_term = "avery" }, { type = "User" }) do print(u) end
The full reference is doc/reference.md; `man lcanvas` describes the command.]]
  return table.concat(out, "\n") .. "\n"
end

--- lcanvas.cli.help.install(): sets the global `help` (a function: help() or help(v)).
function M.install()
  _G.help = function(...) io.stdout:write(M.text(...)) end
end

return M
