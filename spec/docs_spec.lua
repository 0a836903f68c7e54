-- The documentation stays true to the code (issue 20): README.md and the
-- pages under doc/ (not the generated reference.md and endpoints.md, which
-- their own specs check) name only methods and functions that exist, link
-- only to files and headings that exist, and the README stays a front page:
-- short, with a layout table that names every directory of the tree. The
-- pages' tables that mirror code (the client options, the sandbox's areas)
-- stay equal to it.
local lcanvas = require "lcanvas"
local core = require "lcanvas.core"
local sandbox = require "helper"

local ROOT = sandbox.root
local read = sandbox.read_file

local README_BUDGET = 200           -- lines
-- Where a path in backticks is the repository's (not a Canvas API path).
local REPO_DIRS = { src = true, lua = true, scripts = true, spec = true, fuzz = true, doc = true,
  cmake = true, rockspec = true, [".ci"] = true }
local GENERATED = { ["reference.md"] = true, ["endpoints.md"] = true }

local function exists(path)
  local ok, _, code = os.rename(path, path)
  return ok or code == 13  -- EACCES: there, but not ours to rename
end

-- "README.md" and "doc/<page>.md" for every hand-written page.
local function pages()
  local out = { "README.md" }
  local h = io.popen("ls " .. sandbox.quote(ROOT .. "/doc"))
  for name in h:lines() do
    if name:match("%.md$") and not GENERATED[name] then out[#out + 1] = "doc/" .. name end
  end
  h:close()
  return out
end

-- A page split into its prose and its fenced code: { prose = {lines}, lua = {lines} },
-- each line as {n =, text =}. Fences of other languages (shell, output) count as neither.
local function split(text)
  local prose, lua = {}, {}
  local fence
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local open = line:match("^%s*```+%s*(%S*)")
    if fence then
      if line:match("^%s*```+%s*$") then fence = nil
      elseif fence == "lua" then lua[#lua + 1] = { n = n, text = line } end
    elseif open then
      fence = open
    else
      prose[#prose + 1] = { n = n, text = line }
    end
  end
  return { prose = prose, lua = lua }
end

-- The inline code spans of a line (`x`, ``x``), and the line with each span
-- replaced by a placeholder (so that link syntax inside code is not a link).
local function spans(line)
  local out, rest, i = {}, {}, 1
  while i <= #line do
    local s, e = line:find("`+", i)
    if not s then rest[#rest + 1] = line:sub(i); break end
    local ticks = line:sub(s, e)
    local close = line:find(ticks, e + 1, true)
    if not close then rest[#rest + 1] = line:sub(i); break end
    rest[#rest + 1] = line:sub(i, s - 1) .. "CODE"
    out[#out + 1] = line:sub(e + 1, close - 1):gsub("^ (.-) $", "%1")
    i = close + #ticks
  end
  return out, table.concat(rest)
end

-- Method tables by receiver. A receiver the docs use for a type, or a type
-- named as Type:method. Each entry gives a table of callables.
local function index_of(v)
  local mt = getmetatable(v)
  return mt and type(mt.__index) == "table" and mt.__index or {}
end

local status_line = lcanvas.statusline

local TYPES = {
  Client = function() return core.methods("Client") end,
  User = function() return core.methods("User") end,
  Account = function() return core.methods("Account") end,
  PaginatedList = function() return core.methods("PaginatedList") end,
  CatalogUser = function() return core.methods("CatalogUser") end,
  PairingCode = function() return core.methods("PairingCode") end,
  Error = function() return core.methods("Error") end,
  Object = function() return core.methods("Object") end,
  Catalog = function()
    local c = lcanvas.catalog.new("https://catalog.example.edu", "docs-spec-key")
    local t = index_of(c)
    c:close()
    return t
  end,
  StatusLine = function() return index_of(status_line.new("docs_spec")) end,
  Progress = function() return core.methods("Progress") end,
  File = function() return core.methods("File") end,
  CsvWriter = function()
    local w = lcanvas.csv.writer(sandbox.tmpname(), { "a" })
    local t = index_of(w)
    w:abort()
    return t
  end,
}

local RECEIVERS = {
  canvas = "Client", client = "Client", list = "PaginatedList", u = "User", user = "User",
  account = "Account", catalog = "Catalog", cu = "CatalogUser", err = "Error", obj = "Object",
  pc = "PairingCode", p = "StatusLine", progress = "Progress", file = "File", f = "File",
  w = "CsvWriter", out = "CsvWriter",
}

local methods_cache = {}
local function methods_of(tname)
  if methods_cache[tname] == nil then methods_cache[tname] = TYPES[tname]() end
  return methods_cache[tname]
end

local function callable(v)
  if type(v) == "function" then return true end
  local mt = type(v) == "table" and getmetatable(v)
  return mt and mt.__call ~= nil or false
end

-- `lcanvas.a.b.name` resolved through the module table, or through a
-- module of its own (`lcanvas.script.try` is require "lcanvas.script").
local function module_function(dotted)
  local parts = {}
  for p in dotted:gmatch("[^.]+") do parts[#parts + 1] = p end
  local function walk(v, from)
    for i = from, #parts do
      if type(v) ~= "table" then return nil end
      v = v[parts[i]]
    end
    return v
  end
  if callable(walk(lcanvas, 1)) then return true end
  for i = #parts - 1, 1, -1 do
    local ok, mod = pcall(require, "lcanvas." .. table.concat(parts, ".", 1, i))
    if ok and callable(walk(mod, i + 1)) then return true end
  end
  return false
end

-- Every call named in a piece of text: {form =, ok =} for those that can be
-- resolved, and the count of receivers that cannot be.
local function calls_in(text, found)
  for recv, sep, name in text:gmatch("([%a_][%w_]*)([:.])([%a_][%w_]*)%s*[%({]") do
    if sep == ":" then
      local tname = TYPES[recv] and recv or RECEIVERS[recv]
      if tname then
        local t = methods_of(tname)
        found[#found + 1] = { form = recv .. ":" .. name, ok = callable(t[name]) }
      else
        found.skipped = (found.skipped or 0) + 1
      end
    end
  end
  for dotted in text:gmatch("%f[%w_.]lcanvas%.([%a_][%w_.]*)%s*[%({]") do
    -- lcanvas.User(...), lcanvas.PaginatedList(...): a type's printed form, not a call.
    if not dotted:match("^%u") then
      found[#found + 1] = { form = "lcanvas." .. dotted, ok = module_function(dotted) }
    end
  end
  for name in text:gmatch("%f[%w_.]script%.([%a_][%w_]*)%s*%(") do
    found[#found + 1] = { form = "script." .. name, ok = callable(require("lcanvas.script")[name]) }
  end
end

-- GitHub's anchor for a heading: lowercase, punctuation dropped (but - and
-- _), spaces as hyphens; repeats get -1, -2, ...
local function anchors(text)
  local out, seen = {}, {}
  for _, l in ipairs(split(text).prose) do
    local h = l.text:match("^#+%s+(.-)%s*#*%s*$")
    if h then
      h = h:gsub("%[([^%]]*)%]%b()", "%1"):lower():gsub("[^%w%-_ \128-\255]", ""):gsub(" ", "-")
      local a = seen[h] and (h .. "-" .. seen[h]) or h
      seen[h] = (seen[h] or 0) + 1
      out[a] = true
    end
  end
  return out
end

local function dirname(p) return p:match("^(.*)/[^/]*$") or "" end

-- The section of a page under a `## title` heading, as its lines.
local function section(text, title)
  local body = text:match("\n## " .. title:gsub("%p", "%%%0") .. "\n(.-)\n## ")
    or text:match("\n## " .. title:gsub("%p", "%%%0") .. "\n(.*)$")
  assert(body, "no section '" .. title .. "'")
  return body
end

describe("the documentation", function()
  it("names only methods and functions that exist", function()
    local checked, wrong, skipped, forms = 0, {}, 0, {}
    for _, page in ipairs(pages()) do
      local parts = split(assert(read(ROOT .. "/" .. page), page))
      local function check(line, text)
        local found = {}
        calls_in(text, found)
        skipped = skipped + (found.skipped or 0)
        for _, f in ipairs(found) do
          checked = checked + 1
          forms[f.form:match("^[^:.]+")] = true
          if not f.ok then wrong[#wrong + 1] = string.format("%s:%d: %s", page, line.n, f.form) end
        end
      end
      for _, line in ipairs(parts.prose) do
        for _, s in ipairs((spans(line.text))) do check(line, s) end
      end
      for _, line in ipairs(parts.lua) do check(line, line.text) end
    end
    assert(#wrong == 0, "the docs name methods or functions that do not exist:\n  " .. table.concat(wrong, "\n  "))
    -- The check itself works: it found calls on many receivers, not a handful.
    local receivers = 0
    for _ in pairs(forms) do receivers = receivers + 1 end
    assert(checked >= 150, string.format("only %d calls checked (%d skipped): has the extraction broken?",
      checked, skipped))
    assert(receivers >= 10, "calls found on only " .. receivers .. " receivers")
  end)

  it("notices a method that does not exist", function()
    local found = {}
    calls_in("u:get_coursez() canvas:get_user(1) lcanvas.csv.raed(p) lcanvas.script.try(f) " ..
      "cu:edit{} Client:on_page(fn) lcanvas.PaginatedList(User, x) student:whatever()", found)
    local ok = {}
    for _, f in ipairs(found) do ok[f.form] = f.ok end
    assert.same({ ["u:get_coursez"] = false, ["canvas:get_user"] = true, ["lcanvas.csv.raed"] = false,
      ["lcanvas.script.try"] = true, ["cu:edit"] = true, ["Client:on_page"] = true }, ok)
    assert.equal(1, found.skipped)
  end)

  it("links only to files and headings that exist", function()
    local broken, checked = {}, 0
    for _, page in ipairs(pages()) do
      local text = read(ROOT .. "/" .. page)
      for _, line in ipairs(split(text).prose) do
        local _, bare = spans(line.text)
        for target in bare:gmatch("%[[^%]]*%]%(([^%s%)]+)%)") do
          if not target:match("^%a[%w+.-]*:") then
            checked = checked + 1
            local file, anchor = target:match("^([^#]*)#?(.*)$")
            local path = file == "" and page or ((dirname(page) ~= "" and dirname(page) .. "/" or "") .. file)
            path = path:gsub("[^/]+/%.%./", "")
            local where = string.format("%s:%d: %s", page, line.n, target)
            if not exists(ROOT .. "/" .. path) then
              broken[#broken + 1] = where .. " (no file " .. path .. ")"
            elseif anchor ~= "" and path:match("%.md$") and not anchors(read(ROOT .. "/" .. path))[anchor] then
              broken[#broken + 1] = where .. " (no heading #" .. anchor .. " in " .. path .. ")"
            end
          end
        end
      end
    end
    assert(#broken == 0, "broken links:\n  " .. table.concat(broken, "\n  "))
    assert(checked >= 50, "only " .. checked .. " links checked")
  end)

  it("makes GitHub's anchors for headings", function()
    local a = anchors("# x\n## The prompt (`-i`)\n## Trying things safely: `--sandbox` and `--dry-run`\n" ..
      "## `lcanvas.script`\n## In an existing Lua 5.4 tool\n## Notes\n## Notes\n```\n## not a heading\n```\n")
    for _, want in ipairs({ "the-prompt--i", "trying-things-safely---sandbox-and---dry-run", "lcanvasscript",
        "in-an-existing-lua-54-tool", "notes", "notes-1" }) do
      assert.is_true(a[want], want)
    end
    assert.is_nil(a["not-a-heading"])
  end)

  it("names only repository paths and C names that exist", function()
    local missing = {}
    local headers = ""
    for _, h in ipairs({ "src/core/lcanvas.h", "src/core/json.h", "src/core/value.h", "src/core/buf.h",
        "src/binding/lcanvas_lua.h" }) do
      headers = headers .. assert(read(ROOT .. "/" .. h), h)
    end
    for _, page in ipairs(pages()) do
      for _, line in ipairs(split(read(ROOT .. "/" .. page)).prose) do
        for _, s in ipairs((spans(line.text))) do
          local path = s:match("^[%w_.-]+/[%w_./-]*$")
          if path and REPO_DIRS[path:match("^[^/]+")] and not exists(ROOT .. "/" .. path) then
            missing[#missing + 1] = string.format("%s:%d: %s", page, line.n, path)
          end
          -- (file names such as lc_internal.h are not C names)
          for name in s:gsub("[%w_]+%.[ch]%f[^%w_]", ""):gmatch("%f[%w_]([lL][cC]_[%w_]+)") do
            if (name:match("^lc_") or name:match("^LC_")) and not headers:find("%f[%w_]" .. name .. "%f[^%w_]") then
              missing[#missing + 1] = string.format("%s:%d: %s (not in the public headers)", page, line.n, name)
            end
          end
        end
      end
    end
    assert(#missing == 0, "the docs name what is not there:\n  " .. table.concat(missing, "\n  "))
  end)

  it("keeps the README a front page", function()
    local text = read(ROOT .. "/README.md")
    local _, lines = text:gsub("\n", "\n")
    assert(lines <= README_BUDGET, string.format("README.md has %d lines, over its budget of %d: " ..
      "move the detail into a page under doc/ and link it", lines, README_BUDGET))
    -- The two commands, and the statement about a fresh machine.
    assert.truthy(text:find("| `scripts/demo` |", 1, true))
    assert.truthy(text:find("| `scripts/test` |", 1, true))
    assert.truthy(text:find("fresh Debian 12", 1, true))
    -- Every hand-written page, the generated ones and the man page are linked from it.
    for _, page in ipairs(pages()) do
      if page ~= "README.md" then assert.truthy(text:find("(" .. page .. ")", 1, true), page .. " not linked") end
    end
    for _, page in ipairs({ "doc/reference.md", "doc/endpoints.md", "doc/lcanvas.1" }) do
      assert.truthy(text:find("(" .. page .. ")", 1, true), page .. " not linked")
    end
  end)

  it("has a layout table in the README that is true and complete", function()
    local rows, order = {}, {}
    for c1, c2 in section(read(ROOT .. "/README.md"), "Layout"):gmatch("\n| ([^|\n]-) | ([^\n]-) |") do
      if c1 ~= "path" and not c1:match("^%-") then
        local row = { paths = {}, what = c2 }
        for p in c1:gmatch("`([^`]+)`") do
          p = p:gsub("/$", "")
          assert(exists(ROOT .. "/" .. p), "the layout table names " .. p .. ", which does not exist")
          row.paths[#row.paths + 1] = p
          rows[p] = row
        end
        order[#order + 1] = row
      end
    end
    assert(#order >= 10, "the layout table was not found")
    -- What a row names as a file or directory exists, next to the row's path or from the root.
    local EXT = { lua = true, c = true, h = true, md = true, ["1"] = true, csv = true, rockspec = true,
      ["in"] = true, cmake = true, txt = true, supp = true }
    for _, row in ipairs(order) do
      for tok in row.what:gmatch("`([^`]+)`") do
        local ext = tok:match("%.([%w]+)$")
        if tok:match("^[%w_./-]+$") and (tok:match("/$") or (ext and EXT[ext])) then
          local found = exists(ROOT .. "/" .. tok)
          for _, p in ipairs(row.paths) do found = found or exists(ROOT .. "/" .. p .. "/" .. tok) end
          assert(found, "the layout row for " .. row.paths[1] .. " names " .. tok .. ", which does not exist")
        end
      end
    end
    -- Every directory of the tree has a row, or is named in its parent's row.
    local files = {}
    local h = io.popen("git -C " .. sandbox.quote(ROOT) .. " ls-files 2>/dev/null")
    for f in h:lines() do files[#files + 1] = f end
    h:close()
    if #files == 0 then  -- not a git checkout: what is there, without build trees
      h = io.popen("cd " .. sandbox.quote(ROOT) .. " && find . -path ./.git -prune -o -path './build*' -prune " ..
        "-o -type f -print")
      for f in h:lines() do files[#files + 1] = f:sub(3) end
      h:close()
    end
    local dirs, top_files = {}, {}
    for _, f in ipairs(files) do
      if not f:find("/") then top_files[#top_files + 1] = f end
      local d = dirname(f)
      while d ~= "" do dirs[d] = true; d = dirname(d) end
    end
    local function expanded(d)  -- not a row itself, but rows below it
      if rows[d] then return false end
      for p in pairs(rows) do if p:sub(1, #d + 1) == d .. "/" then return true end end
      return false
    end
    local uncovered = {}
    for d in pairs(dirs) do
      local parent = dirname(d)
      if rows[d] or expanded(d) then  -- luacheck: ignore 542 (covered)
      elseif parent == "" or expanded(parent) then
        uncovered[#uncovered + 1] = d .. " (no row)"
      elseif rows[parent] and not rows[parent].what:find("`" .. d:match("[^/]+$") .. "/`", 1, true) then
        uncovered[#uncovered + 1] = d .. " (not named in the row for " .. parent .. ")"
      end
    end
    for _, f in ipairs(top_files) do
      if f ~= "README.md" and f ~= ".gitignore" and not rows[f] then uncovered[#uncovered + 1] = f .. " (no row)" end
    end
    table.sort(uncovered)
    assert(#uncovered == 0, "the README's layout table misses:\n  " .. table.concat(uncovered, "\n  "))
  end)

  it("lists every client option, and no other, in doc/conventions.md", function()
    local src = assert(read(ROOT .. "/src/binding/client.c"))
    local list = assert(src:match("known_opts%[%] = {(.-)NULL"), "known_opts not found in client.c")
    local code, doc = {}, {}
    for name in list:gmatch('"([%w_]+)"') do code[#code + 1] = name end
    local tbl = section(read(ROOT .. "/doc/conventions.md"), "Client options")
    for first in tbl:gmatch("\n| ([^|\n]-) |") do
      for name in first:gmatch("`([%w_]+)`") do doc[#doc + 1] = name end
    end
    table.sort(code)
    table.sort(doc)
    assert.same(code, doc)
  end)

  it("lists every sandbox area and its routes in doc/sandbox.md", function()
    local App = require "lcanvas.sandbox.app"
    local Store = require "lcanvas.sandbox.store"
    local app = App.new(Store.new(require "lcanvas.sandbox.seed"))
    -- Each module's routes, recorded by registering it once more on a stand-in.
    local registered = {}
    for _, name in ipairs(App.ROUTE_MODULES) do
      local rec = setmetatable({ routes = {} }, { __index = app })
      require("lcanvas.sandbox.routes." .. name)(rec)
      registered[name] = {}
      for _, r in ipairs(rec.routes) do registered[name][r.method .. " " .. r.path] = true end
    end
    local rows, problems = {}, {}
    local tbl = section(read(ROOT .. "/doc/sandbox.md"), "Areas it implements")
    for name, routes in tbl:gmatch("\n| `routes/([%w_]+)%.lua` | [^\n]- | ([^\n]*) |") do
      if rows[name] then problems[#problems + 1] = name .. ": two rows" end
      rows[name] = {}
      for r in routes:gmatch("`(%u+ /[^`]*)`") do rows[name][r] = true end
    end
    for _, name in ipairs(App.ROUTE_MODULES) do
      if not rows[name] then
        problems[#problems + 1] = "routes/" .. name .. ".lua has no row"
      else
        local source = read(ROOT .. "/lua/lcanvas/sandbox/routes/" .. name .. ".lua")
        for r in pairs(registered[name]) do
          if not rows[name][r] then problems[#problems + 1] = name .. ": `" .. r .. "` is not listed" end
        end
        for r in pairs(rows[name]) do
          -- A route the module answers outside App:route (the storage and
          -- OAuth2 handlers) is named in its source.
          local fixed = r:match("^%u+ ([^:*]*)")
          if not registered[name][r] and not source:find(fixed, 1, true) then
            problems[#problems + 1] = name .. ": `" .. r .. "` is listed but not served"
          end
        end
        rows[name] = nil
      end
    end
    for name in pairs(rows) do
      problems[#problems + 1] = "a row for routes/" .. name .. ".lua, not in App.ROUTE_MODULES"
    end
    table.sort(problems)
    assert(#problems == 0, "doc/sandbox.md's areas differ from the code:\n  " .. table.concat(problems, "\n  "))
  end)
end)
