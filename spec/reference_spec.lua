-- The API reference (doc/reference.md) is generated from the code by
-- scripts/gen-reference.lua: endpoint rows (lua/lcanvas/types/) at run time plus the
-- `/// Type:method(args): text` and `--- Type:method(args): text` doc lines.
-- These specs fail when a public method has no doc, when a doc line names a
-- method that does not exist, and when doc/reference.md is stale.
local lcanvas = require "lcanvas"
local core = require "lcanvas.core"
local sandbox = require "helper"

local ROOT = sandbox.root
local gen = dofile(ROOT .. "/scripts/gen-reference.lua")

local HOW = "\nDocument a hand-written method with one line right above it: " ..
  "`/// Type:method(args): what it does.` in C, `--- Type:method(args): what it does.` in Lua " ..
  "(`lcanvas.fn(args): ...` for module functions); endpoint rows need their doc string." ..
  "\nThen regenerate the reference: " .. gen.REGENERATE

local slurp = sandbox.read_file

describe("the API reference", function()
  it("documents every public method of every type", function()
    local _, missing, dupes = gen.generate(ROOT)
    assert.are.same({}, dupes, "documented twice: " .. table.concat(dupes, ", "))
    assert(#missing == 0, "undocumented public methods: " .. table.concat(missing, ", ") .. HOW)
  end)

  it("finds the methods at run time, for every type that has them", function()
    local types = gen.runtime(core, lcanvas)
    for _, t in ipairs({ "lcanvas", "Client", "PaginatedList", "Error", "Object", "User" }) do
      assert.is_table(types[t], t .. " not enumerated")
      assert.is_not_nil(next(types[t]), t .. " has no methods")
    end
    assert.is_truthy(types.Client.get_user)
    assert.is_truthy(types.PaginatedList.first)
    assert.is_truthy(types.lcanvas.new)
    assert.is_truthy(types.Object.to_table)
    -- Methods every resource type shares are documented once, on Object.
    assert.is_nil(types.User.to_table)
    -- Every registered endpoint row of every type is there, with its row.
    for tname, methods in pairs(types) do
      if tname ~= "lcanvas" and tname ~= "Object" then
        local ok, eps = pcall(core.endpoints, tname)
        for name, row in pairs(ok and eps or {}) do
          assert.equal(row, methods[name] and methods[name].endpoint, tname .. ":" .. name)
        end
      end
    end
  end)

  it("notices a method added without a doc, on any type", function()
    local user_methods, client_methods = core.methods("User"), core.methods("Client")
    user_methods.spec_undocumented = function() end
    client_methods.spec_undocumented = function() end
    lcanvas.spec_undocumented = function() end
    local ok, err = pcall(function()
      local _, missing = gen.generate(ROOT)
      local set = {}
      for _, m in ipairs(missing) do set[m] = true end
      assert.is_true(set["User:spec_undocumented"])
      assert.is_true(set["Client:spec_undocumented"])
      assert.is_true(set["lcanvas.spec_undocumented"])
    end)
    user_methods.spec_undocumented, client_methods.spec_undocumented = nil, nil
    lcanvas.spec_undocumented = nil
    assert(ok, err)
  end)

  it("covers every public module, its functions and values, and every type with a file", function()
    local current = slurp(ROOT .. "/doc/reference.md")
    local function has(needle) return current:find(needle, 1, true) ~= nil end
    -- What issue 15 found missing, by name.
    for _, section in ipairs({ "lcanvas.csv", "lcanvas.jsonl", "lcanvas.json", "lcanvas.outfile",
        "lcanvas.statusline", "lcanvas.catalog", "lcanvas.script", "PairingCode" }) do
      assert(has("\n## " .. section .. "\n"), "doc/reference.md has no section " .. section)
    end
    for _, entry in ipairs({ "`lcanvas.null`", "`lcanvas.json`", "`lcanvas.csv.read(", "`lcanvas.jsonl.writer(",
        "`lcanvas.json.decode(", "`lcanvas.outfile.open(", "`lcanvas.catalog.new(", "`lcanvas.statusline(",
        "`lcanvas.script.options(", "`lcanvas.script.try(" }) do
      assert(has(entry), "doc/reference.md lacks " .. entry)
    end
    -- Every module found at run time is a section with every function and value in it.
    local types = gen.runtime(core, lcanvas)
    for tname, entries in pairs(types) do
      if tname:match("^lcanvas") then
        assert(has("\n## " .. tname .. "\n"), "no section for the module " .. tname)
        for name, e in pairs(entries) do
          local sig = "`" .. tname .. "." .. name .. (e.value and "`" or "(")
          if not has(sig) then
            -- a callable value (lcanvas.statusline) is listed as a function
            assert(has("`" .. tname .. "." .. name .. "("), "doc/reference.md lacks " .. sig .. HOW)
          end
        end
      end
    end
    -- Every type that has a file under lua/lcanvas/types/ has a section.
    local list = io.popen("ls " .. ROOT .. "/lua/lcanvas/types/*.lua")
    for file in list:lines() do
      local text = slurp(file)
      for name in text:gmatch('core%.format%("([%w_]+)"') do
        assert(has("\n## " .. name .. "\n") or has("| `" .. name:sub(1, 1):lower() .. name:sub(2) .. ":"),
          file .. ": type " .. name .. " has no section in doc/reference.md")
      end
    end
    list:close()
  end)

  it("notices an undocumented function or value in a module", function()
    local script = require "lcanvas.script"
    lcanvas.csv.spec_undocumented = function() end
    script.spec_undocumented = function() end
    lcanvas.spec_value = 42
    local ok, err = pcall(function()
      local _, missing = gen.generate(ROOT)
      local set = {}
      for _, m in ipairs(missing) do set[m] = true end
      assert.is_true(set["lcanvas.csv.spec_undocumented"])
      assert.is_true(set["lcanvas.script.spec_undocumented"])
      assert.is_true(set["lcanvas.spec_value"])
    end)
    lcanvas.csv.spec_undocumented, script.spec_undocumented, lcanvas.spec_value = nil, nil, nil
    assert(ok, err)
  end)

  it("reads doc lines from C and Lua sources", function()
    local docs = gen.scan_docs(ROOT)
    assert.equal("src/binding/endpoint.c", docs["Client:request"].file)
    assert.equal("(method, path, params, opts)", docs["Client:request"].args)
    assert.equal("lua/lcanvas/init.lua", docs["lcanvas:new"].file)
    assert.equal(".", docs["lcanvas:new"].sep)
    assert.equal("src/binding/object.c", docs["Object:to_table"].file)
    assert.equal("lua/lcanvas/types/user.lua", docs["User:upload"].file)
  end)

  it("keeps everything about a type in its file under lua/lcanvas/types/", function()
    local docs = gen.scan_docs(ROOT)
    local home = { User = "user", Account = "account", Catalog = "catalog", CatalogUser = "catalog" }
    -- A type's file also holds the entry points that lead to it (an
    -- Account method that returns Admins lives in admin.lua): adding a type
    -- is one file.
    -- Each file of lua/lcanvas/types/ and the types it declares (read from
    -- its core.define_type calls), so that a new type's file is found.
    local file_type, declared = {}, {}
    local h = io.popen("ls " .. ROOT .. "/lua/lcanvas/types/*.lua")
    for path in h:lines() do
      local f = path:match("([%w_]+)%.lua$")
      local text = assert(io.open(path)):read("a")
      declared[f] = {}
      for t in text:gmatch('core%.define_type%("([%w_]+)"') do
        declared[f][#declared[f] + 1] = t
        if not file_type[f] and home[t] == nil then file_type[f] = t end
      end
    end
    h:close()
    file_type.object, file_type.client = nil, nil
    local function leads_to(f, text)
      for _, t in ipairs(declared[f] or {}) do
        if home[t] == nil and text:find(t, 1, true) then return true end
      end
      return false
    end
    for key, d in pairs(docs) do
      if home[d.type] and d.file ~= "lua/lcanvas/types/" .. home[d.type] .. ".lua" then
        local f = d.file:match("^lua/lcanvas/types/([%w_]+)%.lua$") or ""
        assert(file_type[f] and leads_to(f, d.text), key .. " is documented in " .. d.file .. ", neither the " ..
          d.type .. " type's file nor the file of a type it leads to")
      end
    end
    local all_rows = {}
    for _, t in ipairs(core.types()) do all_rows[t] = core.endpoints(t) or {} end
    for f, t in pairs(file_type) do
      for tname, rows in pairs(all_rows) do
        for name, row in pairs(rows) do
          if row.returns == t and tname ~= t then
            local d = docs[tname .. ":" .. name]
            assert(not d or d.file == "lua/lcanvas/types/" .. f .. ".lua", tname .. ":" .. name)
          end
        end
      end
    end
    -- The client's endpoint methods are rows, or documented next to them.
    for name, row in pairs(core.endpoints("Client")) do
      local d = docs["Client:" .. name]
      if d and not file_type[(d.file:match("types/([%w_]+)%.lua$") or "")] then
        assert.equal("lua/lcanvas/types/client.lua", d.file, name)
      end
      assert.is_string(row.doc)
    end
    for _, name in ipairs({ "set_course_nickname", "clear_course_nicknames" }) do
      assert.equal("lua/lcanvas/types/client.lua", docs["Client:" .. name].file, name)
    end
    assert.is_table(core.endpoints("Client").get_current_user)
  end)

  it("refuses a row without a doc string, or with a field it does not know", function()
    local ok, err = pcall(core.define_rows, "SpecThing", {
      { name = "get_x", method = "GET", path = "things/{id}" } })
    assert.is_false(ok)
    assert.matches("needs a doc string", err)
    ok, err = pcall(core.define_rows, "SpecThing", {
      { name = "get_x", method = "GET", path = "things/{id}", doc = "x", retuns = "Thing" } })
    assert.is_false(ok)
    assert.matches("unknown field 'retuns'", err)
    assert.is_nil(core.methods("SpecThing").get_x)
  end)

  it("has no doc line for a method that does not exist", function()
    local types = gen.runtime(core, lcanvas)
    local docs = gen.scan_docs(ROOT)
    local stale = {}
    for key, d in pairs(docs) do
      if types[d.type] and not types[d.type][d.name] then
        stale[#stale + 1] = string.format("%s (%s:%d)", key, d.file, d.line)
      end
    end
    table.sort(stale)
    assert(#stale == 0, "doc lines for methods that do not exist: " .. table.concat(stale, ", ") ..
      "\n(a method defined in a Lua file that `require \"lcanvas\"` does not load is unreachable)")
  end)

  it("is up to date in doc/reference.md", function()
    local text = gen.generate(ROOT)
    local current = slurp(ROOT .. "/doc/reference.md")
    assert(current == text, "doc/reference.md is out of date with the code. Regenerate it: " ..
      gen.REGENERATE)
    -- And it says so itself, with the command.
    assert.matches(gen.REGENERATE:gsub("%p", "%%%0"), current)
  end)
end)
