-- Every endpoint lcanvas calls declares what Canvas's controller reads for it
-- (the row's `params`; see doc/endpoints.md). These specs run every row
-- through the sandbox and compare the parameters the sandbox received (its
-- request log records a request even when the answer is 404) with the
-- row's declaration, and check the generated table doc/endpoints.md.
local lcanvas = require "lcanvas"
local core = require "lcanvas.core"
local sandbox = require "helper"
local form = require "lcanvas.sandbox.params"   -- the sandbox's own decoder, not the client's
local json = require "lcanvas.sandbox.json"

local ROOT = sandbox.root
local gen = dofile(ROOT .. "/scripts/gen-endpoints.lua")

-- A value for each positional argument, by its name in the row.
local SAMPLE = {
  id = 3, course = 1, asset_string = "course_1", hexcode = "#ff0000", export = 1, migration = 1,
  file = 1, folder = 1, observee = 4, observer = 4, name = "Spec folder",
  migration_type = "zip_file_importer", feature = "spec_feature", state = "on", export_type = "zip",
  dashboard_positions = { course_1 = 1 }, ns = "org.example.spec", scope = "k", data = 1, item = 1,
  pseudonym = { unique_id = "spec.endpoints" }, user = { name = "Spec", terms_of_use = true },
  text_editor_preference = "rce", files_ui_version = "v2",
}

local function arg_name(a) return type(a) == "table" and a[1] or a end

-- The top-level parameter names of a logged request (query, form or JSON body).
local function sent_keys(r)
  local t
  if r.body:match("^%s*{") then
    t = json.decode(r.body)
  else
    t = form.parse_query(r.method == "GET" and r.query or r.body)
  end
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list or {}) do s[v] = true end
  return s
end

-- receiver and the arguments of a row's method on it.
local function call_row(clients, tname, name, ep, params)
  local recv = tname == "Client" and clients.canvas or clients[tname]
  local argv = {}
  for i, a in ipairs(ep.args or {}) do argv[i] = SAMPLE[arg_name(a)] end
  local n = #(ep.args or {})
  argv[n + 1] = params
  return pcall(function()
    local res = recv[name](recv, table.unpack(argv, 1, n + 1))
    if ep.list then res:first() end
  end)
end

describe("endpoint declarations", function()
  local clients, warnings, prev
  setup(function()
    sandbox.start()
    sandbox.reset()
    local canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
    clients = { canvas = canvas, User = canvas:get_user(3), Account = canvas:get_account(1) }
    prev = core.on_warning(function(msg) warnings[#warnings + 1] = msg end)
  end)
  before_each(function() warnings = {} end)
  teardown(function()
    core.on_warning(prev)
    sandbox.reset()
  end)

  it("gives every Canvas endpoint its parameters and the controller they come from", function()
    for _, e in ipairs(gen.collect(core)) do
      local what = e.type .. ":" .. e.name
      assert.is_table(e.ep.params, what .. " declares no params")
      assert.is_string(e.ep.source, what .. " names no controller action")
      assert.matches("Controller#", e.ep.source, 1, true)
    end
  end)

  it("sends, for every row, only parameters its row declares", function()
    local checked = 0
    for _, e in ipairs(gen.collect(core)) do
      if not e.hand then
        local ep, what = e.ep, e.type .. ":" .. e.name
        sandbox.clear_requests()
        call_row(clients, e.type, e.name, ep, nil)
        local log = sandbox.api_requests()
        local r = log[#log]
        if r then
          checked = checked + 1
          local allowed = set_of(ep.params)
          for k in pairs(ep.ignored or {}) do allowed[k] = true end
          if ep.list and ep.paginated ~= false then allowed.per_page, allowed.page = true, true end
          for _, k in ipairs(sent_keys(r)) do
            assert(allowed[k], string.format("%s sent '%s' (%s %s), which its row does not declare",
              what, k, r.method, r.path))
          end
        end
      end
    end
    -- add_observee_with_credentials alone stops before sending (no credentials).
    assert.is_true(checked >= 60, "only " .. checked .. " rows reached the sandbox")
  end)

  it("lets every declared parameter through, and sends it", function()
    for _, e in ipairs(gen.collect(core)) do
      local ep = e.ep
      if not e.hand and #ep.params > 0 then
        local params = {}
        for _, p in ipairs(ep.params) do params[p] = "1" end
        if ep.include then params.include = { ep.include[1] } end
        sandbox.clear_requests()
        local ok, err = call_row(clients, e.type, e.name, ep, params)
        if not ok then
          assert.is_nil(tostring(err):find("does not read", 1, true), e.type .. ":" .. e.name ..
            " refused a parameter its row declares: " .. tostring(err))
        end
        local log = sandbox.api_requests()
        if log[#log] and e.name ~= "add_observee_with_credentials" then
          local sent = set_of(sent_keys(log[#log]))
          for _, p in ipairs(ep.params) do
            assert(sent[p], e.type .. ":" .. e.name .. " did not send its declared '" .. p .. "'")
          end
        end
      end
    end
    assert.same({}, warnings)
  end)

  it("refuses an undeclared parameter before sending, naming it and the controller", function()
    sandbox.clear_requests()
    local err = sandbox.capture(function() clients.User:get_colors({ sort = "name" }) end)
    assert.matches("bad argument #1 to 'get_colors' (Canvas does not read 'sort' here and would ignore it: " ..
      "UsersController#get_custom_colors reads no parameters)", err, 1, true)
    assert.same({}, sandbox.api_requests())
  end)

  it("only warns, and sends, where the declaration comes from the docs", function()
    sandbox.clear_requests()
    pcall(function() clients.User:get_files({ spec_extra = 1 }):first() end)
    assert.equal("1", form.parse_query(sandbox.last_api_request().query).spec_extra)
    assert.same({ "User:get_files sends 'spec_extra', which FilesController#api_index (docs) is not " ..
      "known to read (it reads content_types, exclude_content_types, search_term, include, only, sort, " ..
      "order)" }, warnings)
  end)

  it("is listed in doc/endpoints.md, which is up to date", function()
    local text = gen.generate(ROOT)
    assert(sandbox.read_file(ROOT .. "/doc/endpoints.md") == text,
      "doc/endpoints.md is out of date with the rows. Regenerate it: " .. gen.REGENERATE)
    assert.matches("| `Account:get_users` | GET `/api/v1/accounts/:id/users` (list) |", text, 1, true)
    assert.matches("`avatar_url`, `email`, `last_login`, `time_zone`, `uuid`", text, 1, true)
    assert.matches("| `User:expire_mobile_sessions` (hand-written) | DELETE " ..
      "`/api/v1/users/:id/mobile_sessions` |", text, 1, true)
  end)

  it("checks the declarations when rows are defined", function()
    local ok, err = pcall(core.define_rows, "SpecThing", {
      { name = "get_x", method = "GET", path = "things/{id}", doc = "x", include = { "a" } } })
    assert.is_false(ok)
    assert.matches("need a params list", err)
    ok, err = pcall(core.define_rows, "SpecThing", {
      { name = "get_x", method = "GET", path = "things/{id}", doc = "x", params = {}, paginated = false } })
    assert.is_false(ok)
    assert.matches("paginated = false marks a list", err)
    ok, err = pcall(core.define_rows, "SpecThing", {
      { name = "get_x", method = "GET", path = "things/{id}", doc = "x", params = {}, unknown = "maybe" } })
    assert.is_false(ok)
    assert.matches("unknown is \"refuse\" or \"warn\"", err, 1, true)
  end)
end)
