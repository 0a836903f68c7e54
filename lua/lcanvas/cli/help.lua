--- lcanvas.cli.help: `help` at the `lcanvas -i` prompt: what is connected
-- and how to find methods, and help(obj) / help("Type"): a type's methods
-- with their one-line docs from the API reference (doc/reference.md, in
-- the source tree or installed under share/doc/lcanvas).
local core = require "lcanvas.core"

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

-- { Type = { {sig=, doc=}, ... } } from the reference's tables.
local reference
local function load_reference()
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
      local sig, doc = line:match("^| `[%w_]+([.:][%w_]+%b())` | (.*) |$")
      if sig then section[#section + 1] = { sig = sig, doc = (doc:gsub("\\|", "|")) } end
    end
  end
  return reference
end

-- The type name of a value: "User", "Client", "PaginatedList", "Catalog" ...
local function type_name(v)
  if type(v) == "string" then return v end
  local mt = getmetatable(v)
  local name = type(mt) == "table" and (mt.__type or mt.__name)
  if type(name) == "string" then return (name:gsub("^lcanvas%.", "")) end
end

-- The methods of a type found at run time, when the reference has none
-- (a type newer than the reference): names with their row's doc.
local function runtime_methods(tname)
  local out = {}
  local ok, methods = pcall(core.methods, tname)
  local okr, rows = pcall(core.endpoints, tname)
  if ok and type(methods) == "table" then
    for name, fn in pairs(methods) do
      if type(fn) == "function" then
        local row = okr and rows[name]
        out[#out + 1] = { sig = ":" .. name .. "(...)", doc = row and row.doc or "" }
      end
    end
  end
  table.sort(out, function(a, b) return a.sig < b.sig end)
  return out
end

local function one_line(s, width)
  if #s <= width then return s end
  return s:sub(1, width - 3) .. "..."
end

--- lcanvas.cli.help.text(v): the help for v: nil gives the overview, an object or a type name its methods.
function M.text(v)
  if v == nil or v == M then return M.overview() end
  local tname = type_name(v)
  if not tname then
    return string.format("help: %s has no methods; try help(canvas) or help(\"User\")\n", type(v))
  end
  local ref = load_reference()
  local entries = ref[tname] or runtime_methods(tname)
  local out = { string.format("%s methods (help: one line each; doc/reference.md has them in full):", tname) }
  for _, e in ipairs(entries) do
    out[#out + 1] = "  " .. e.sig .. (e.doc ~= "" and ("  " .. one_line(e.doc, 110)) or "")
  end
  if core.is_object(v) and ref.Object then
    out[#out + 1] = "and, like every Canvas object:"
    for _, e in ipairs(ref.Object) do out[#out + 1] = "  " .. e.sig .. "  " .. one_line(e.doc, 110) end
  end
  if #entries == 0 then out[#out + 1] = "  (none found)" end
  return table.concat(out, "\n") .. "\n"
end

--- lcanvas.cli.help.overview(): what is connected (canvas, catalog) and how to find methods.
function M.overview()
  local out = { "Connected:" }
  local function describe(name)
    local v = rawget(_G, name)
    local mt = getmetatable(v)
    if type(mt) == "table" and (mt.__name == "lcanvas.Client" or mt.__name == "lcanvas.Catalog") then
      local dry = ""
      local ok, d = pcall(function() return v.dry_run or (v.client and v.client.dry_run) end)
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
  help(obj)               an object's methods: u = canvas:get_user(3); help(u)
  help("User")            a type's methods by name (User, Account, PaginatedList, ...)
  obj:to_table()          an object's fields as a plain table
Examples:
  me = canvas:get_current_user()
  for u in canvas:list("accounts/1/users", { search_term = "avery" }, { type = "User" }) do print(u) end
The full reference is doc/reference.md; `man lcanvas` describes the command.]]
  return table.concat(out, "\n") .. "\n"
end

--- lcanvas.cli.help.install(): sets the global `help` (a function: help() or help(obj)).
function M.install()
  _G.help = function(v) io.stdout:write(M.text(v)) end
end

return M
