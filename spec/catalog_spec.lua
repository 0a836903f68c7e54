-- Canvas Catalog: the Catalog client (own host, own key, same C core) against
-- the sandbox's Catalog origin, as an enrolment office's script uses it.
local lcanvas = require "lcanvas"
local sandbox = require "helper"
local json = require "lcanvas.sandbox.json"
local http = require "socket.http"
local ltn12 = require "ltn12"

local KEY_HEADER = 'Token token="sandbox-catalog-key"'

local function catalog(opts) return lcanvas.catalog.new(sandbox.catalog, sandbox.catalog_key, opts) end

local function catalog_requests()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if r.origin == "catalog" then out[#out + 1] = r end
  end
  return out
end

local function last_catalog_request()
  return sandbox.last_request(function(r) return r.origin == "catalog" end)
end

local raises = sandbox.raises

local function ids(list)
  local out = {}
  for _, u in ipairs(list) do out[#out + 1] = u.id end
  return out
end

local function query_value(q, name)
  return q:match("[?&]" .. name .. "=([^&]*)") or ("&" .. q):match("&" .. name .. "=([^&]*)")
end

-- A plain GET to the Catalog origin, without lcanvas: status, headers, body.
local function raw_get(path)
  local chunks = {}
  local _, code, headers = http.request({ url = sandbox.catalog .. path,
    headers = { authorization = KEY_HEADER }, sink = ltn12.sink.table(chunks) })
  return code, headers, json.decode(table.concat(chunks))
end

describe("lcanvas.catalog", function()
  local cat
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    cat = catalog()
  end)

  it("leaves a CatalogUser as it was under dry_run, sending nothing", function()
    local dry = catalog({ dry_run = true })
    local u = dry:get_user(1)                       -- reads go through
    local before = u:to_table()
    local sent = #catalog_requests()
    assert.equal(u, u:edit({ custom_fields = { shirt_size = "XL" } }))
    assert.is_true(u.dry_run)
    u.dry_run = nil
    assert.same(before, u:to_table())
    assert.equal(sent, #catalog_requests())         -- the PUT never reached Catalog
    assert.same(before.custom_fields, cat:get_user(1).custom_fields)
    assert.equal(1, dry.client:dry_run_counts().PUT)
  end)

  it("is announced on the sandbox ready line", function()
    assert.matches("^http://127%.0%.0%.1:%d+$", sandbox.catalog)
    assert.are_not.equal(sandbox.url, sandbox.catalog)
    assert.equal("lcanvas.Catalog (" .. sandbox.catalog .. "/)", tostring(cat))
  end)

  it("prints its URL and key in the human message of lcanvas sandbox --catalog", function()
    local err_file = os.tmpname()
    local h = assert(io.popen(string.format("exec env -u LD_PRELOAD lua5.4 %q --port 0 --catalog 2>%q",
      sandbox.root .. "/lua/lcanvas/sandbox/cli.lua", err_file)))
    local line = h:read("l") or ""
    local pid, url = line:match("^lcanvas%-sandbox ready pid=(%d+) .* catalog=(%S+)$")
    local msg = ""
    for _ = 1, 50 do
      local f = io.open(err_file)
      msg = f and f:read("a") or ""
      if f then f:close() end
      if msg:find("sandbox-catalog-key).\n", 1, true) then break end
      require("socket").sleep(0.05)
    end
    if pid then os.execute("kill " .. pid) end
    h:close()
    os.remove(err_file)
    assert.is_string(pid, line)
    assert.matches("Sandbox Canvas Catalog at " .. url .. " (API key: sandbox-catalog-key)", msg, 1, true)
  end)

  it("creates, reads, edits and deletes a user, end to end", function()
    -- Register.
    local u = cat:create_user({ user_name = "Nia Newcomer", email_address = "nia@example.test",
      first_name = "Nia", last_name = "Newcomer",
      custom_fields = { shirt_size = "M", referral = "web" } })
    local req = last_catalog_request()
    assert.equal("POST", req.method)
    assert.equal("/api/v1/users", req.path)
    assert.equal("application/x-www-form-urlencoded", req.headers["content-type"])
    assert.equal("custom_fields[referral]=web&custom_fields[shirt_size]=M&email_address=nia%40example.test"
      .. "&first_name=Nia&last_name=Newcomer&user_name=Nia%20Newcomer", req.body)
    assert.equal(KEY_HEADER, req.headers.authorization)
    assert.equal("CatalogUser", u:typename())
    assert.equal("lcanvas.CatalogUser", getmetatable(u).__name)
    assert.equal("integer", math.type(u.id))
    assert.equal("Nia Newcomer (" .. u.id .. ")", tostring(u))
    assert.same({ shirt_size = "M", referral = "web" }, u.custom_fields)
    assert.is_string(u.confirmation_url)
    -- Catalog registered a Canvas user too.
    local canvas_user = lcanvas.new(sandbox.url, sandbox.tokens.admin):get_user(u.canvas_user_id)
    assert.equal("Nia Newcomer", canvas_user.name)

    -- Read it back.
    local again = cat:get_user(u.id)
    assert.equal("/api/v1/users/" .. u.id, last_catalog_request().path)
    assert.equal("GET", last_catalog_request().method)
    assert.is_true(u == again)
    assert.equal("nia@example.test", again.email_address)

    -- Add a custom field; the object is updated in place.
    local same = again
    assert.is_true(rawequal(again, again:edit({ custom_fields = { diet = "vegan" } })))
    req = last_catalog_request()
    assert.equal("PUT", req.method)
    assert.equal("/api/v1/users/" .. u.id, req.path)
    assert.equal("custom_fields[diet]=vegan", req.body)
    assert.same({ shirt_size = "M", referral = "web", diet = "vegan" }, same.custom_fields)

    -- Change one.
    again:edit({ custom_fields = { shirt_size = "L" } })
    assert.equal("L", cat:get_user(u.id).custom_fields.shirt_size)

    -- Delete one with null: only JSON can say null, so that edit goes as JSON.
    again:edit({ custom_fields = { referral = lcanvas.null } })
    req = last_catalog_request()
    assert.equal("application/json", req.headers["content-type"])
    local body = json.decode(req.body)
    assert.equal(json.null, body.custom_fields.referral)
    assert.same({ shirt_size = "L", diet = "vegan" }, again.custom_fields)
    assert.same({ shirt_size = "L", diet = "vegan" }, cat:get_user(u.id).custom_fields)

    -- It is listed, by its Canvas id.
    assert.same({ u.id }, ids(cat:get_users({ canvas_user_id = u.canvas_user_id }):all()))

    -- Delete; then it is gone.
    local answer = u:delete()
    req = last_catalog_request()
    assert.equal("DELETE", req.method)
    assert.equal("/api/v1/users/" .. u.id, req.path)
    assert.same({}, answer)
    local err = raises("ResourceDoesNotExist", cat.get_user, cat, u.id)
    assert.equal(404, err.status)
    assert.equal(0, #cat:request("GET", "users", { canvas_user_id = u.canvas_user_id }).users)
  end)

  it("lists an empty filtered result as an empty PaginatedList", function()
    assert.equal(0, cat:get_users({ canvas_user_id = 1 }):count())
    assert.same({}, cat:get_users({ created_at_from = "2030-01-01T00:00:00Z" }):all())
  end)

  it("keeps the user when deleting only orders and enrollments", function()
    local u = cat:get_user(5)
    u:delete({ only_orders_and_enrollments = true })
    assert.equal("only_orders_and_enrollments=true", last_catalog_request().body)
    assert.equal(5, cat:get_user(5).id)
  end)

  it("clears merged_into_user_id in place", function()
    local u = cat:get_user(20)
    assert.equal(19, u.merged_into_user_id)
    u:edit({ clear_merged_into_user_id = true })
    assert.equal("clear_merged_into_user_id=true", last_catalog_request().body)
    assert.is_nil(u.merged_into_user_id)
    assert.is_nil(cat:get_user(20).merged_into_user_id)
    assert.equal(20, u.id)
  end)

  it("lists users across pages with the Catalog page size clamped to 100", function()
    local all = cat:get_users():all()
    assert.equal(60, #all)
    local first = catalog_requests()[1]
    assert.equal("/api/v1/users", first.path)
    assert.equal("100", query_value(first.query, "per_page"))
    for _, u in ipairs(all) do assert.equal("CatalogUser", u:typename()) end

    sandbox.clear_requests()
    assert.equal(60, catalog({ per_page = 500 }):get_users():count())
    assert.equal("100", query_value(catalog_requests()[1].query, "per_page"))
    sandbox.clear_requests()
    assert.equal(60, cat:get_users({ per_page = 1000 }):count())
    assert.equal("100", query_value(catalog_requests()[1].query, "per_page"))

    sandbox.clear_requests()
    local list = cat:get_users({ per_page = 7 })
    assert.same(ids(all), ids(list:all()))
    local reqs = catalog_requests()
    assert.equal(9, #reqs)
    for i, r in ipairs(reqs) do
      assert.equal("7", query_value(r.query, "per_page"))
      if i > 1 then assert.equal(tostring(i), query_value(r.query, "page")) end
    end
  end)

  it("answers pages with a Link that has last, and an empty users array past the end", function()
    local code, headers, body = raw_get("/api/v1/users?per_page=25&page=2")
    assert.equal(200, code)
    assert.equal(25, #body.users)
    local link = headers.link
    assert.matches('page=3&per_page=25>; rel="next"', link, 1, true)
    assert.matches('page=3&per_page=25>; rel="last"', link, 1, true)
    assert.matches('page=1&per_page=25>; rel="first"', link, 1, true)
    local _
    code, _, body = raw_get("/api/v1/users")
    assert.equal(200, code)
    assert.equal(20, #body.users)     -- Catalog's own default page size
    code, _, body = raw_get("/api/v1/users?per_page=1000")
    assert.equal(200, code)
    assert.equal(60, #body.users)
    code, headers, body = raw_get("/api/v1/users?page=9&per_page=25")
    assert.equal(200, code)
    assert.same({}, body.users)
    assert.is_nil(headers.link:find('rel="next"', 1, true))
    assert.equal(0, #cat:request("GET", "users", { page = 9 }).users)
  end)

  it("filters by registered_in_catalog and canvas_user_id across pages", function()
    local catalog_ones = cat:get_users({ registered_in_catalog = true, per_page = 7 }):all()
    assert.equal(30, #catalog_ones)
    for _, u in ipairs(catalog_ones) do assert.equal(1, u.id % 2) end
    local reqs = catalog_requests()
    assert.equal("true", query_value(reqs[1].query, "registered_in_catalog"))
    assert.equal("true", query_value(reqs[#reqs].query, "registered_in_catalog"))
    assert.equal(5, #reqs)
    local canvas_ones = cat:get_users({ registered_in_catalog = false, per_page = 7 }):all()
    assert.equal(30, #canvas_ones)
    for _, u in ipairs(canvas_ones) do assert.equal(0, u.id % 2) end
    assert.same({ 11 }, ids(cat:get_users({ canvas_user_id = 110 }):all()))
    assert.equal("110", query_value(last_catalog_request().query, "canvas_user_id"))
    assert.equal(0, #cat:request("GET", "users", { canvas_user_id = 1 }).users)
    raises("BadRequest", function() return cat:get_users({ canvas_user_id = "abc" }):all() end)
  end)

  it("filters by created_at and updated_at ranges, in either time form", function()
    local all = cat:get_users():all()
    local function expect(field, from, to)
      local f, t = lcanvas.core.object("X", { a = from }, cat.client):date("a"),
        lcanvas.core.object("X", { a = to }, cat.client):date("a")
      local out = {}
      for _, u in ipairs(all) do
        local d = u:date(field)
        assert.is_number(d, field .. " of " .. u.id)
        if d >= f and d <= t then out[#out + 1] = u.id end
      end
      return out
    end
    local got = cat:get_users({ created_at_from = "2024-01-11T00:00:00Z",
      created_at_to = "2024-02-09T23:59:59Z", per_page = 7 }):all()
    assert.same(expect("created_at", "2024-01-11T00:00:00Z", "2024-02-09T23:59:59Z"), ids(got))
    assert.equal(30, #got)
    local q = last_catalog_request().query
    assert.equal("2024-01-11T00%3A00%3A00Z", query_value(q, "created_at_from"))
    assert.equal("2024-02-09T23%3A59%3A59Z", query_value(q, "created_at_to"))

    got = cat:get_users({ updated_at_from = "2024/02/01 00:00:00 +0000", per_page = 7 }):all()
    local want = expect("updated_at", "2024/02/01 00:00:00 +0000", "2100-01-01T00:00:00Z")
    assert.same(want, ids(got))
    assert.is_true(#got > 7 and #got < 60)
    got = cat:get_users({ updated_at_to = "2024-01-20T00:00:00Z", created_at_from = "2024-01-05" }):all()
    want = {}
    for _, u in ipairs(all) do
      if u:date("updated_at") <= 1705708800 and u:date("created_at") >= 1704412800 then want[#want + 1] = u.id end
    end
    assert.same(want, ids(got))
    assert.is_true(#got > 0)
    raises("BadRequest", function() return cat:get_users({ created_at_from = "soon" }):all() end)
  end)

  it("reads Catalog timestamps in both forms with date()", function()
    local iso = cat:get_user(3)          -- registered through Catalog
    assert.equal("2024-01-03T00:00:00.503000Z", iso.created_at)
    assert.equal("float", math.type(iso:date("created_at")))
    assert.is_true(math.abs(iso:date("created_at") - 1704240000.503) < 1e-6)
    local slash = cat:get_user(4)        -- registered through Canvas
    assert.equal("2024/01/04 00:00:00 +0000", slash.created_at)
    assert.equal(1704326400, slash:date("created_at"))
    assert.equal("integer", math.type(slash:date("created_at")))
  end)

  it("sends the key as a Token header, never as Bearer, and a wrong key is an auth error", function()
    cat:get_user(1)
    cat:get_users({ per_page = 30 }):all()
    cat:create_user({ user_name = "A B", email_address = "ab@example.test" })
    local bad = lcanvas.catalog.new(sandbox.catalog, "not-the-key")
    local err = raises("InvalidAccessToken", bad.get_user, bad, 1)
    assert.equal(401, err.status)
    assert.is_nil(tostring(err):find("not-the-key", 1, true))
    raises("InvalidAccessToken", function() return bad:get_users():all() end)
    -- A Canvas token is no Catalog key either.
    local canvas_key = lcanvas.catalog.new(sandbox.catalog, sandbox.tokens.admin)
    raises("InvalidAccessToken", canvas_key.get_user, canvas_key, 1)

    local reqs = catalog_requests()
    assert.is_true(#reqs >= 7)
    for _, r in ipairs(reqs) do
      local auth = r.headers.authorization
      assert.is_nil(auth:find("Bearer", 1, true), "a Bearer header reached Catalog")
      assert.matches('^Token token="[^"]+"$', auth)
    end
    -- Nothing meant for Catalog reached the Canvas origin.
    for _, r in ipairs(sandbox.requests()) do
      if r.origin ~= "catalog" then
        assert.is_nil((r.headers.authorization or ""):find("Token", 1, true))
      end
    end
    assert.error_matches(function() lcanvas.catalog.new(sandbox.catalog, "k", { auth = "bearer" }) end,
      "auth = \"catalog\"")
  end)

  it("refuses non-string custom fields and missing required fields before sending", function()
    local u = cat:get_user(4)
    local before = #catalog_requests()
    for _, bad in ipairs({ 19, true, { "x" }, {} }) do
      assert.error_matches(function() u:edit({ custom_fields = { age = bad } }) end,
        "custom_fields%.age must be a string or lcanvas%.null")
      assert.error_matches(function()
        cat:create_user({ user_name = "X Y", email_address = "xy@example.test", custom_fields = { age = bad } })
      end, "custom_fields%.age must be a string")
    end
    assert.error_matches(function() u:edit({ custom_fields = "age=19" }) end, "custom_fields must be a table")
    assert.error_matches(function() u:edit({ custom_fields = { [1] = "x" } }) end, "keys must be strings")
    for _, missing in ipairs({ "user_name", "email_address" }) do
      local p = { user_name = "X Y", email_address = "xy@example.test" }
      p[missing] = nil
      local err = raises("RequiredFieldMissing", cat.create_user, cat, p)
      assert.equal(missing, err.field)
    end
    assert.error_matches(function() cat:get_user("abc") end, "Catalog id")
    assert.error_matches(function() cat:get_user(nil) end, "Catalog id")
    assert.equal(before, #catalog_requests())
    assert.same({ favorite_color = "#BADA55", code_of_conduct = "1" }, cat:get_user(4).custom_fields)
    -- The sandbox refuses them too, when sent around the client.
    local err = raises("BadRequest", cat.request, cat, "PUT", "users/4",
      { custom_fields = { age = 19 } }, { json = true })
    assert.equal(400, err.status)
    assert.same({ favorite_color = "#BADA55", code_of_conduct = "1" }, cat:get_user(4).custom_fields)
    raises("BadRequest", cat.request, cat, "POST", "users", { user_name = "No Mail" })
  end)

  it("retries like any lcanvas client (same C core)", function()
    sandbox.fault({ origin = "catalog", path = "/api/v1/users/2", status = 503, count = 1 })
    local u = catalog({ backoff = 0.01 }):get_user(2)
    assert.equal(2, u.id)
    local hits = 0
    for _, r in ipairs(catalog_requests()) do
      if r.path == "/api/v1/users/2" then hits = hits + 1 end
    end
    assert.equal(2, hits)
  end)
end)
