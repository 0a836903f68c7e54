-- PaginatedList against the sandbox's real Link pagination.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local function connect(opts)
  return lcanvas.new(sandbox.url, sandbox.tokens.admin, opts)
end

local api_requests = sandbox.api_requests

describe("PaginatedList", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = connect()
  end)

  it("is lazy: nothing is requested until it is used", function()
    local list = c:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    assert.equal("lcanvas.PaginatedList(User, accounts/1/users)", tostring(list))
    assert.equal(0, #api_requests())
    assert.is_truthy(list:first())
    assert.equal(1, #api_requests())
  end)

  it("follows numeric pages over many requests and types every item", function()
    local list = c:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    local n, ids = 0, {}
    for u in list do
      n = n + 1
      assert.is_true(lcanvas.is_object(u, "User"))
      assert.is_nil(ids[u.id], "duplicate id " .. tostring(u.id))
      ids[u.id] = true
    end
    local reqs = api_requests()
    assert.is_true(n > 30)
    assert.equal(math.ceil(n / 10), #reqs)
    -- page 2 on was requested verbatim from the Link header
    assert.matches("page=2", reqs[2].query)
    assert.matches("per_page=10", reqs[2].query)
  end)

  it("iterates again without refetching loaded pages", function()
    local list = c:list("accounts/1/users", { per_page = 50 }, { type = "User" })
    local first = 0
    for _ in list do first = first + 1 end
    local before = #api_requests()
    local second = 0
    for _ in list:iter() do second = second + 1 end
    assert.equal(first, second)
    assert.equal(before, #api_requests())
    assert.equal(first, list:count())
    assert.equal(before, #api_requests())
  end)

  it("indexes 1-based, fetching only the pages needed, nil past the end", function()
    local list = c:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    local u15 = list[15]
    assert.is_truthy(u15)
    assert.equal(2, #api_requests())
    assert.is_true(list[15] == u15)
    assert.equal(2, #api_requests())
    local total = list:count()
    assert.is_nil(list[total + 1])
    assert.is_truthy(list[total])
    assert.error_matches(function() return list[0] end, "1 or more")
    assert.error_matches(function() return list[-1] end, "1 or more")
    assert.error_matches(function() return list[1.5] end, "whole number")
  end)

  it("takes, collects, counts and walks pages", function()
    local list = c:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    local five = list:take(5)
    assert.equal(5, #five)
    assert.equal(1, #api_requests())
    assert.same({}, list:take(0))
    local all = list:all()
    assert.equal(list:count(), #all)
    all[1] = nil  -- a copy: the list is unaffected
    assert.is_truthy(list[1])
    local pages, seen = 0, 0
    for page in list:pages() do
      pages = pages + 1
      seen = seen + #page
      assert.is_true(#page <= 10)
    end
    assert.equal(#all, seen)
    assert.equal(math.ceil(#all / 10), pages)
    assert.error_matches(function() list:take(-1) end, "0 or more")
  end)

  it("follows bookmark pages, which never have a last link", function()
    local list = c:list("users/self/page_views", { per_page = 10 }, { type = "PageView" })
    local n = 0
    for pv in list do
      n = n + 1
      assert.is_true(lcanvas.is_object(pv, "PageView"))
    end
    local reqs = api_requests()
    assert.is_true(#reqs >= 3)
    assert.equal(n, list:count())
    assert.matches("page=bookmark:", reqs[2].query)
  end)

  it("reads a lowercase link header", function()
    sandbox.config({ lowercase_headers = true })
    local list = c:list("accounts/1/users", { per_page = 25 }, { type = "User" })
    local n = list:count()
    assert.is_true(#api_requests() >= 3)
    assert.is_true(n > 50)
  end)

  it("unwraps a root-keyed list", function()
    local list = c:list("poll_sessions/opened", nil, { type = "PollSession", root = "poll_sessions" })
    local first = list:first()
    assert.is_true(lcanvas.is_object(first, "PollSession"))
    assert.is_true(list:count() > 0)
  end)

  it("follows meta.pagination.next when there is no Link header", function()
    local list = c:list("users/self/meta_list", { per_page = 10 }, { root = "items" })
    local n = 0
    for item in list do
      n = n + 1
      assert.equal("table", type(item))
    end
    assert.equal(25, n)
    assert.equal(3, #api_requests())
  end)

  it("raises a failing page's error instead of ending the loop quietly", function()
    local strict = connect({ max_retries = 0 })
    local list = strict:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    assert.is_truthy(list[10])
    sandbox.fault({ path = "/api/v1/accounts/1/users", status = 500, body = '{"errors":[{"message":"boom"}]}' })
    local seen = 0
    local ok, err = pcall(function()
      for _ in list:iter() do seen = seen + 1 end
    end)
    assert.is_false(ok)
    assert.equal("CanvasException", err.kind)
    assert.equal(10, seen)
  end)

  it("closes the iterator on break (to-be-closed)", function()
    local list = c:list("accounts/1/users", { per_page = 10 }, { type = "User" })
    local it, s, ctl, closing = list:iter()
    assert.is_function(it)
    assert.is_nil(s)
    assert.is_nil(ctl)
    assert.equal("userdata", type(closing))
    for u in list:iter() do
      if u then break end
    end
    do
      local _ <close> = closing  -- closes the iterator it when this block ends
      assert.is_truthy(it())
    end
    assert.is_nil(it())  -- closed: no more items, no more requests
    assert.equal(1, #api_requests())
  end)

  it("refuses to send the token to a next link on another origin", function()
    local strict = connect({ max_retries = 0 })
    sandbox.fault({
      path = "/api/v1/accounts/1/users", status = 200, body = '[{"id": 1, "name": "A"}]',
      headers = { Link = "<" .. sandbox.alt .. "/api/v1/accounts/1/users?page=2>; rel=\"next\"" },
    })
    local list = strict:list("accounts/1/users", nil, { type = "User" })
    assert.equal(1, list[1].id)
    local ok, err = pcall(function() return list[2] end)
    assert.is_false(ok)
    assert.equal("ForeignOrigin", err.kind)
    assert.matches("refusing to send the token", err.message)
    for _, r in ipairs(sandbox.requests()) do
      assert.not_equal("alt", r.origin)
    end
    -- localhost is another origin than 127.0.0.1 too, and fails cleanly
    local port = sandbox.url:match(":(%d+)$")
    sandbox.fault({
      path = "/api/v1/accounts/1/users", status = 200, body = '[{"id": 1}]',
      headers = { Link = "<http://localhost:" .. port .. "/api/v1/accounts/1/users?page=2>; rel=\"next\"" },
    })
    local l2 = strict:list("accounts/1/users", nil, { type = "User" })
    local ok2, err2 = pcall(function() return l2:count() end)
    assert.is_false(ok2)
    assert.equal("ForeignOrigin", err2.kind)
  end)

  describe("with a next link on another origin, inside tasks", function()
    local strict
    before_each(function() strict = connect({ max_retries = 0 }) end)

    local function foreign_first_page()
      sandbox.fault({
        path = "/api/v1/accounts/1/users", status = 200, body = '[{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]',
        headers = { Link = "<" .. sandbox.alt .. "/api/v1/accounts/1/users?page=2>; rel=\"next\"" },
      })
    end

    -- The sandbox logs every origin's requests in one log: the alt origin
    -- got none, and the Canvas origin only the first page.
    local function only_first_page_asked()
      local log = sandbox.requests()
      assert.equal(1, #log)
      assert.equal("main", log[1].origin)
      assert.equal("/api/v1/accounts/1/users", log[1].path)
    end

    -- A for loop over the list in a task (Client:map); opts are the list's.
    local function loop_in_task(opts)
      local seen = {}
      local ok, err = pcall(strict.map, strict, { 1 }, function()
        for u in strict:list("accounts/1/users", nil, opts) do seen[#seen + 1] = u.id end
      end)
      assert.is_false(ok)
      return err, seen
    end

    -- PaginatedList:each, whose tasks fetch the pages.
    local function each_in_tasks()
      local seen = {}
      local ok, err = pcall(function()
        return strict:list("accounts/1/users"):each(function(u) seen[#seen + 1] = u.id end,
          { concurrency = 3 })
      end)
      assert.is_false(ok)
      table.sort(seen)
      return err, seen
    end

    it("raises ForeignOrigin and never sends the token there (map, each, with and without prefetch)", function()
      foreign_first_page()
      local err = loop_in_task()
      assert.equal("ForeignOrigin", err.kind)
      assert.matches("refusing to send the token", err.message)
      assert.equal(1, err.index)
      only_first_page_asked()

      sandbox.clear_requests()
      foreign_first_page()
      local err2, seen2 = loop_in_task({ prefetch = false })
      assert.equal("ForeignOrigin", err2.kind)
      assert.same({ 1, 2 }, seen2)
      only_first_page_asked()

      sandbox.clear_requests()
      foreign_first_page()
      local err3 = each_in_tasks()
      assert.equal("ForeignOrigin", err3.kind)
      assert.matches("refusing to send the token", err3.message)
      only_first_page_asked()
    end)

    it("delivers the first page's items before refusing, as outside tasks", function()
      foreign_first_page()
      local err, seen = loop_in_task()
      assert.equal("ForeignOrigin", err.kind)
      sandbox.clear_requests()
      foreign_first_page()
      local err2, seen2 = each_in_tasks()
      assert.equal("ForeignOrigin", err2.kind)
      assert.same({ 1, 2 }, seen)
      assert.same({ 1, 2 }, seen2)
    end)
  end)

  it("rejects an answer that is not a list", function()
    local list = c:list("users/self", nil, { type = "User" })
    local ok, err = pcall(list.first, list)
    assert.is_false(ok)
    assert.equal("InvalidResponse", err.kind)
  end)
end)
