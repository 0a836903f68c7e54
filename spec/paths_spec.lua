-- A path given by the caller (canvas:request, canvas:list) is sent as it
-- is when it is a valid URL path, and refused at once with a usage error
-- naming the byte and the escaped form when it is not (a space, a control
-- character, non-ASCII, " < > \ ^ ` { | } #): lcanvas never guesses which
-- '/' or '%' were meant literally. lcanvas.encode_path / encode_segment
-- (the C core's lc_encode_path / lc_encode_segment) escape on purpose.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

describe("a caller's path", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)
  after_each(function() c:close() end)

  local function no_request_sent()
    assert.equal(0, #sandbox.api_requests())
  end

  it("with a space is refused at once, before any request, as a usage error", function()
    local t = os.clock()
    local clock = require("socket").gettime
    local w = clock()
    local ok, err = pcall(c.request, c, "GET", "users/a b")
    assert.is_false(ok)
    assert.equal("string", type(err))      -- a usage error, not an lcanvas.Error to retry or catch as Canvas's
    assert.equal('lcanvas: the path "users/a b" has a space at byte 8, which cannot go into a URL as it is: ' ..
      'escape each segment first (lc_encode_path / lcanvas.encode_path give "users/a%20b")', err)
    assert.is_true(clock() - w < 0.2, "took " .. (clock() - w) .. " s")
    assert.is_true(os.clock() - t < 0.2)
    assert.equal(0, c:stats().requests)
    no_request_sent()
  end)

  it("is refused the same way for lists, PUT with a body, in a task and in a dry run", function()
    local ok, err = pcall(function() return c:list("accounts/1/users/x y"):first() end)
    assert.is_false(ok)
    assert.matches("has a space at byte 19", err)
    ok, err = pcall(c.request, c, "PUT", "users/3\r\nX-Injected: 1", { user = { name = "x" } })
    assert.is_false(ok)
    assert.matches("a control character %(0x0d%)", err)
    ok, err = pcall(c.map, c, { 1 }, function() return c:request("GET", "users/j\xc3\xb6") end)
    assert.is_false(ok)
    assert.matches("a non%-ASCII byte %(0xc3%)", err)
    assert.matches('"users/j%%C3%%B6"', err)
    local dry = lcanvas.new(sandbox.url, sandbox.tokens.admin, { dry_run = true })
    ok, err = pcall(dry.request, dry, "DELETE", "users/{id}")
    assert.is_false(ok)
    assert.matches("'{' at byte 7", err)
    dry:close()
    no_request_sent()
  end)

  it("escaped with lcanvas.encode_path or encode_segment reaches Canvas as written", function()
    local ok, err = pcall(c.request, c, "GET", lcanvas.encode_path("users/a b"))
    assert.is_false(ok)
    assert.is_true(lcanvas.is_error(err, "ResourceDoesNotExist"))
    local got = sandbox.api_requests()
    assert.equal(1, #got)
    assert.equal("/api/v1/users/a%20b", got[1].raw_path or got[1].path:gsub(" ", "%%20"))
    -- and ids keep their readable ':' while '/' and '.' are escaped
    assert.equal("sis_user_id:CS%2F101%2E1", lcanvas.encode_segment("sis_user_id:CS/101.1"))
    assert.equal("users/self/profile", lcanvas.encode_path("users/self/profile"))
    assert.equal("Sam Student", c:request("GET", "users/" .. lcanvas.encode_segment("3")).name)
  end)

  it("already valid goes unchanged, with its own query", function()
    local list = c:request("GET", "accounts/1/users?search_term=adams&per_page=2")
    assert.equal(2, #list)
    assert.equal("search_term=adams&per_page=2", sandbox.api_requests()[1].query)
  end)

  it("has Rails parameters encoded by lcanvas.encode_params, as requests send them", function()
    assert.equal("include[]=a&include[]=b&user[name]=Jo%20Ann",
      lcanvas.encode_params({ user = { name = "Jo Ann" }, include = { "a", "b" } }))
  end)
end)
