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

-- The world the types' examples run in (core.type_info(T).examples): the
-- sandbox admin's client, a client per seeded role (w.as("student")) or
-- per user (w.as_user(4), the admin masquerading), the sandbox Catalog,
-- and files to upload.
local function make_world()
  local w = { canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 }) }
  w.catalog = lcanvas.catalog.new(sandbox.catalog, sandbox.catalog_key, { max_retries = 0 })
  function w.as(role) return lcanvas.new(sandbox.url, sandbox.tokens[role], { max_retries = 0 }) end
  -- the admin acting as another user (as_user_id), for users without a token of their own
  function w.as_user(id)
    return lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0, as_user_id = id })
  end
  function w.tmpfile(text)
    local path = sandbox.tmpname()
    sandbox.write_file(path, text)
    return path
  end
  return w
end

-- The methods of type t that reach Canvas: its rows (wrapped or not) and
-- its described hand-written methods.
local function endpoint_methods(t)
  local out = {}
  for name, ep in pairs(core.endpoints(t) or {}) do out[name] = ep end
  for name, ep in pairs(core.hand_endpoints(t) or {}) do out[name] = ep end
  return out
end

local function sorted(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- The receiver and positional arguments of t:name's example.
local function example_call(w, t, name)
  local ex = core.type_info(t).examples
  local recv = ex.receiver(w)
  local a = ex.args and ex.args[name]
  local argv = a or {}
  if type(a) == "function" then
    local r
    r, argv = a(w, recv)
    recv = r or recv
  end
  return recv, argv
end

-- Runs t:name's example; a list is asked for its first page (a list sends
-- nothing until used). `params`, when given, replaces the trailing table
-- after the row's positional arguments.
local function run_example(w, t, name, params)
  local recv, argv = example_call(w, t, name)
  local ep = endpoint_methods(t)[name]
  local n = #argv
  if params then
    n = #(ep.args or {}) + 1
    argv = table.move(argv, 1, n - 1, 1, {})
    argv[n] = params
  end
  local res = recv[name](recv, table.unpack(argv, 1, n))
  if ep.list then res:first() end
  return res
end

-- The request of the sandbox's log that t:name's row made: its verb and
-- path (setup requests of an example come before it).
local function path_pattern(ep)
  local p = ep.path:gsub("[%.%-]", "%%%0"):gsub("{%*%d+}", ".*"):gsub("{[%w_]+}", "[^/]+")
  return "^/api/v1/" .. p .. "$"
end

local function request_of(log, ep)
  local pat = path_pattern(ep)
  for i = #log, 1, -1 do
    local r = log[i]
    if r.method == ep.method and r.path:match(pat) then return r end
  end
end

-- The top-level parameter names of a logged request (query, form or JSON body).
local function sent_keys(r)
  local t
  if (r.body or ""):match("^%s*{") then
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

-- Every request of the log but the control API's.
local function logged()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if not r.path:find("^/__sandbox") then out[#out + 1] = r end
  end
  return out
end

describe("endpoint declarations", function()
  local w, warnings, prev
  setup(function()
    sandbox.start()
    sandbox.reset()
    w = make_world()
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

  it("finds every method of every type: an endpoint with examples, or plain", function()
    local common = core.methods("PairingCode")   -- an object type with no methods of its own
    local problems, counted = {}, 0
    for _, t in ipairs(core.types()) do
      local info = core.type_info(t)
      local plain = {}
      for _, name in ipairs(info.plain or {}) do plain[name] = true end
      local endpoints = endpoint_methods(t)
      if next(endpoints) and not info.examples then
        problems[#problems + 1] = t .. " has endpoint methods but declares no examples (core.define_type)"
      end
      for _, name in ipairs(sorted(core.methods(t))) do
        local fn = core.methods(t)[name]
        if type(fn) == "function" and fn ~= common[name] then
          counted = counted + 1
          if not endpoints[name] and not plain[name] then
            problems[#problems + 1] = t .. ":" .. name .. " is neither an endpoint (a row, or " ..
              "core.describe_hand) nor plain (core.define_type's plain)"
          end
        end
      end
    end
    assert.same({}, problems)
    assert.is_true(counted >= 100, counted .. " methods found")
  end)

  it("runs every endpoint method of every type against the sandbox, on a route it has", function()
    local problems, ran = {}, 0
    for _, t in ipairs(core.types()) do
      local endpoints = endpoint_methods(t)
      for _, name in ipairs(next(endpoints) and core.type_info(t).examples and sorted(endpoints) or {}) do
        local what = t .. ":" .. name
        sandbox.reset()
        local ok, err = pcall(run_example, w, t, name)
        local log = logged()
        if not ok then
          problems[#problems + 1] = what .. " failed: " .. tostring(err)
        elseif not request_of(log, endpoints[name]) then
          problems[#problems + 1] = what .. " never sent " .. endpoints[name].method .. " " ..
            endpoints[name].path .. " to the sandbox"
        end
        for _, r in ipairs(log) do
          if r.route == false then
            problems[#problems + 1] = what .. ": the sandbox has no route for " .. r.method .. " " .. r.path
          end
        end
        ran = ran + 1
      end
    end
    assert.same({}, problems)
    assert.is_true(ran >= 90, ran .. " methods ran")
  end)

  it("sends, for every row, only parameters its row declares", function()
    for _, t in ipairs(core.types()) do
      for name, ep in pairs(core.endpoints(t) or {}) do
        if core.type_info(t).examples then
          local what = t .. ":" .. name
          sandbox.reset()
          pcall(run_example, w, t, name)
          local r = request_of(logged(), ep)
          assert(r, what .. " sent nothing")
          local allowed = set_of(ep.params)
          for k in pairs(ep.ignored or {}) do allowed[k] = true end
          if ep.list and ep.paginated ~= false then allowed.per_page, allowed.page = true, true end
          for _, k in ipairs(sent_keys(r)) do
            assert(allowed[k] or not ep.params, string.format("%s sent '%s' (%s %s), which its row " ..
              "does not declare", what, k, r.method, r.path))
          end
        end
      end
    end
  end)

  it("lets every declared parameter through, and sends it", function()
    for _, t in ipairs(core.types()) do
      for name, ep in pairs(core.endpoints(t) or {}) do
        if core.type_info(t).examples and ep.params and #ep.params > 0 then
          local params = {}
          for _, p in ipairs(ep.params) do params[p] = "1" end
          if ep.include then params.include = { ep.include[1] } end
          sandbox.reset()
          local ok, err = pcall(run_example, w, t, name, params)
          if not ok then
            assert.is_nil(tostring(err):find("does not read", 1, true), t .. ":" .. name ..
              " refused a parameter its row declares: " .. tostring(err))
          end
          local r = request_of(logged(), ep)
          if r then
            local sent = set_of(sent_keys(r))
            for _, p in ipairs(ep.params) do
              assert(sent[p], t .. ":" .. name .. " did not send its declared '" .. p .. "'")
            end
          end
        end
      end
    end
    assert.same({}, warnings)
  end)

  it("refuses an undeclared parameter before sending, naming it and the controller", function()
    local sam = w.canvas:get_user(3)
    sandbox.clear_requests()
    local err = sandbox.capture(function() sam:get_colors({ sort = "name" }) end)
    assert.matches("bad argument #1 to 'get_colors' (Canvas does not read 'sort' here and would ignore it: " ..
      "UsersController#get_custom_colors reads no parameters)", err, 1, true)
    assert.same({}, sandbox.api_requests())
  end)

  it("only warns, and sends, where the declaration comes from the docs", function()
    sandbox.clear_requests()
    pcall(function() w.canvas:get_user(3):get_enrollments({ spec_extra = 1 }):first() end)
    assert.equal("1", form.parse_query(sandbox.last_api_request().query).spec_extra)
    assert.same({ "User:get_enrollments sends 'spec_extra', which EnrollmentsApiController#index (docs) is not " ..
      "known to read (it reads type, role, state, include, enrollment_term_id, grading_period_id, " ..
      "sis_account_id, sis_course_id, sis_section_id, sis_user_id, created_for_sis_id)" }, warnings)
    -- a row read from the controller refuses it before sending (get_files was
    -- a docs row that only warned)
    local sam = w.canvas:get_user(3)
    sandbox.clear_requests()
    local err = sandbox.capture(function() sam:get_files({ spec_extra = 1 }) end)
    assert.matches("Canvas does not read 'spec_extra' here", tostring(err), 1, true)
    assert.same({}, sandbox.api_requests())
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
