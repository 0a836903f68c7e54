-- `help` at the `lcanvas -i` prompt works on any value and never fails:
-- type names with and without rows, unknown names, objects of types with
-- and without methods of their own, lists, clients, modules, plain tables,
-- nil, numbers, functions. The prompt is fed through a pipe; each help
-- answer is cut out of stdout between markers.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXE = sandbox.root .. "/" .. BUILD .. "/lcanvas"
local q = sandbox.quote

-- Runs `lcanvas -i` with the lines of `inputs` ({name, code} pairs, each
-- code followed by a marker); returns { name = its stdout }, stderr, exit code.
local function prompt(inputs, env)
  local input, out, err = sandbox.tmpname(), sandbox.tmpname(), sandbox.tmpname()
  local lines = {}
  for _, p in ipairs(inputs) do
    lines[#lines + 1] = p[2]
    lines[#lines + 1] = string.format("do io.write(%q) end", "\n--8<-- " .. p[1] .. "\n")
  end
  sandbox.write_file(input, table.concat(lines, "\n") .. "\n")
  local words = { "env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u CANVAS_CATALOG_URL -u CANVAS_CATALOG_TOKEN",
    "-u LCANVAS_PROGRESS", "XDG_CONFIG_HOME=" .. q(sandbox.tmpname()) }
  for k, v in pairs(env or {}) do words[#words + 1] = k .. "=" .. q(v) end
  local code = os.execute(string.format("%s %s -i <%s >%s 2>%s", table.concat(words, " "), q(EXE),
    q(input), q(out), q(err)))
  local stdout, stderr = sandbox.read_file(out) or "", sandbox.read_file(err) or ""
  os.remove(input); os.remove(out); os.remove(err)
  local answers, from = {}, 1
  for _, p in ipairs(inputs) do
    local marker = "\n--8<-- " .. p[1] .. "\n"
    local at = stdout:find(marker, from, true)
    assert(at, "no answer for " .. p[1] .. " in:\n" .. stdout .. "\nstderr:\n" .. stderr)
    answers[p[1]] = stdout:sub(from, at - 1)
    from = at + #marker
  end
  return answers, stderr, code
end

local function plain(s) return (s:gsub("%p", "%%%0")) end

describe("help at the prompt", function()
  local env
  setup(function()
    sandbox.start()
    env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
  end)

  it("says when the client is a dry run (the client's state, not a field a script can set)", function()
    local out = sandbox.tmpname()
    local code = os.execute(string.format("echo 'help() canvas.x = 1 help()' | env " ..
      "CANVAS_API_URL=%s CANVAS_API_TOKEN=%s XDG_CONFIG_HOME=%s %s --dry-run -i >%s 2>&1", q(sandbox.url),
      q(sandbox.tokens.admin), q(sandbox.tmpname()), q(EXE), q(out)))
    local text = sandbox.read_file(out) or ""
    os.remove(out)
    assert.is_true(code, text)
    local _, n = text:gsub("canvas   lcanvas%.Client %([^)]*%) %(dry run: changes are printed, not sent%)", "")
    assert.equal(2, n, text)
    -- and without --dry-run it says nothing of the kind
    local a = prompt({ { "overview", "help()" } }, env)
    assert.is_nil(a.overview:find("dry run", 1, true))
  end)

  it("answers for every kind of value, and never fails", function()
    local a, err, code = prompt({
      { "overview", "help()" },
      { "bare", "help" },
      { "PageView", 'help("PageView")' },
      { "Course", 'help("Course")' },
      { "User", 'help("User")' },
      { "Nonsense", 'help("Nonsense")' },
      { "made", 'print(debug.getregistry()["lcanvas.Nonsense"])' },
      { "user", 'help("user")' },
      { "enrollments", "list = canvas:get_user(3):get_enrollments() help(list)" },
      { "enrollment", "help(list:first())" },
      { "login", "help(canvas:get_user(3):get_user_logins():first())" },
      { "an user", "help(canvas:get_user(3))" },
      { "canvas", "help(canvas)" },
      { "catalog", "help(catalog)" },
      { "untyped list", 'help(canvas:list("accounts/1/users"))' },
      { "error", "help(select(2, pcall(canvas.get_user, canvas, 999999)))" },
      { "module", 'help(require("lcanvas").csv)' },
      { "statusline", 'help(require("lcanvas").statusline("x"))' },
      { "table", "help({ b = 2, a = 1 })" },
      { "empty table", "help({})" },
      { "nil", "help(nil)" },
      { "unset", "help(no_such_variable)" },
      { "number", "help(42)" },
      { "boolean", "help(false)" },
      { "function", "help(print)" },
      { "method", "help(canvas.get_user)" },
      { "common method", "help(canvas:get_user(3).to_table)" },
      { "file", "help(io.stdout)" },
      { "coroutine", "help(coroutine.create(print))" },
    }, env)
    assert.equal("", err)
    assert.is_true(code)

    assert.matches("^Connected:\n  canvas   lcanvas%.Client", a.overview)
    assert.equal(a.overview, a.bare)

    -- a type without rows: what it is, the common methods, where to go
    assert.matches('^PageView: a Canvas object type; lcanvas has no methods of its own for it%.\n', a.PageView)
    assert.matches("\n  :to_table%(%)  A deep copy", a.PageView)
    assert.matches('canvas:request%(method, path %[, params%]%) and canvas:list%(path %[, params, ' ..
      '{type = "PageView"}%]%)', a.PageView)
    -- a type with rows of its own file (types/course.lua)
    assert.matches("^Course methods", a.Course)
    assert.matches("\n  :get_users%(%[params%]%)", a.Course)
    -- a type with rows: its own methods, then the common ones
    assert.matches("^User methods", a.User)
    assert.matches("\n  :get_enrollments%(%[params%]%)  The user's enrollments", a.User)
    assert.matches("\nand, like every Canvas object:\n  :date%(field%)", a.User)

    -- an unknown name is said to be unknown, with the known types; asking
    -- does not make a type of it
    assert.matches('^help: no type named "Nonsense"', a.Nonsense)
    local known = (a.Nonsense:match("\nKnown types:\n(.-)\nModules:") or ""):gsub("%s+", " ") .. ","
    for _, t in ipairs({ "Account", "Client", "Course", "Enrollment", "PaginatedList", "User",
        "Catalog", "StatusLine", "Error" }) do
      assert.truthy(known:find(" " .. t .. ",", 1, true), t .. " is not among the known types: " .. known)
    end
    assert.is_nil(known:find("Nonsense", 1, true))
    assert.matches("\nModules:\n  lcanvas, lcanvas%.catalog, lcanvas%.csv", a.Nonsense)
    assert.equal("nil\n", a.made)
    assert.matches('^help: no type named "user" %(did you mean "User"%?%)', a.user)

    -- a list: what it lists and its methods
    assert.matches("^lcanvas%.PaginatedList%(Enrollment, users/3/enrollments%): a lazy list[^\n]*" ..
      plain('its items are Enrollment objects: help("Enrollment").') .. "\nPaginatedList methods", a.enrollments)
    assert.matches("\n  :first%(%)  the first item", a.enrollments)
    assert.matches("its items are plain tables%.\nPaginatedList methods", a["untyped list"])

    -- an object of a type without methods of its own: fields, common methods
    assert.matches("^sam%.student %(%d+%) %(an lcanvas Login object%): lcanvas has no methods " ..
      "of its own for Login%.\nFields %(obj%.name; obj:to_table%(%) copies them all%):\n", a.login)
    assert.matches("\n  [^\n]*unique_id[^\n]*\n", a.login)
    assert.matches("\nMethods every Canvas object has:\n  :date%(field%)", a.login)
    assert.matches('{type = "Login"}', a.login)
    -- an object of a type with methods: them first
    assert.matches("^Enrollment methods", a.enrollment)
    assert.matches("\n  :deactivate%(task", a.enrollment)
    -- an object with methods: them, the common ones, its fields
    assert.matches("^User methods", a["an user"])
    assert.matches("\nFields %(obj%.name; obj:to_table%(%) copies them all%):\n  [^\n]*login_id", a["an user"])

    assert.matches("^Client methods", a.canvas)
    assert.matches("\n  :get_user%(id", a.canvas)
    assert.matches("^help: no Catalog configured: set CANVAS_CATALOG_URL", a.catalog)
    assert.matches("^Error methods[^\n]*\n  :is%(kind%)", a.error)
    assert.matches("^lcanvas%.csv functions and values[^\n]*\n  lcanvas%.csv%.format%(row %[, opts%]%)", a.module)
    assert.matches("^StatusLine methods[^\n]*\n  :add%(%[n%]%)", a.statusline)

    assert.equal("help: a plain table (no methods); its keys:\n  a, b\n", a.table)
    assert.equal("help: an empty plain table (no methods).\n", a["empty table"])
    assert.matches("^help: the value is nil", a["nil"])
    assert.equal(a["nil"], a.unset)
    assert.matches("^help: 42 is a number, not an lcanvas object or type", a.number)
    assert.matches("^help: false is a boolean", a.boolean)
    assert.matches("^help: a function, not one of lcanvas's methods", a["function"])
    assert.matches("^get_user is a method of Client:\n  :get_user%(id", a.method)
    assert.matches("^to_table is a method of every Canvas object:\n  :to_table%(%)", a["common method"])
    assert.matches("^help: file %(0x%x+%) is a userdata, not an lcanvas object", a.file)
    assert.matches("^help: thread: 0x%x+ is a thread", a.coroutine)
  end)

  it("shows the Catalog client's methods when one is connected", function()
    local a, err = prompt({ { "catalog", "help(catalog)" } }, {
      CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin,
      CANVAS_CATALOG_URL = sandbox.catalog, CANVAS_CATALOG_TOKEN = sandbox.catalog_key })
    assert.equal("", err)
    assert.matches("^Catalog methods[^\n]*\n", a.catalog)
    assert.matches("\n  :get_users%(%[filters%]%)", a.catalog)
  end)

  it("works without a connection", function()
    local a, err = prompt({ { "User", 'help("User")' }, { "canvas", "help(canvas)" } })
    assert.equal("", err)
    assert.matches("^User methods", a.User)
    assert.matches("^help: no Canvas configured: set CANVAS_API_URL", a.canvas)
  end)
end)
