-- Every loop over a PaginatedList has its own position (issue 12): nested
-- loops, a list looped twice, loops in concurrent tasks and a loop broken
-- off and started again each see every item in order; a long list streams.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local api_requests = sandbox.api_requests

describe("PaginatedList loops", function()
  local c, account, expected
  setup(function()
    sandbox.start()
    sandbox.reset()
    -- what account 1's users are, read once by pages (not by a loop)
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    expected = {}
    for page in c:get_account(1):get_users({ per_page = 10 }):pages() do
      for _, u in ipairs(page) do expected[#expected + 1] = u.id end
    end
    assert.is_true(#expected > 100)
  end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    account = c:get_account(1)
    sandbox.clear_requests()
  end)

  local function users(keep)
    local list = account:get_users({ per_page = 10 })
    if keep then list:keep(keep) end
    return list
  end

  -- Runs `body` for both kinds of list: one that keeps the account's users
  -- (fewer than the default 1,000) and one that keeps 15 items and streams
  -- the rest in each loop's own window.
  local function both(name, body)
    it(name .. " (list kept)", function() body(nil) end)
    it(name .. " (streaming past 15 items)", function() body(15) end)
  end

  both("nested loops over one list each see every item in order", function(keep)
    local list = users(keep)
    local outer, inner_runs = {}, 0
    for a in list do
      outer[#outer + 1] = a.id
      if #outer <= 3 or #outer == #expected then
        local inner = {}
        for b in list do inner[#inner + 1] = b.id end
        assert.same(expected, inner)
        inner_runs = inner_runs + 1
      end
    end
    assert.same(expected, outer)
    assert.equal(4, inner_runs)
  end)

  both("the same list looped twice sees every item both times", function(keep)
    local list = users(keep)
    local first, second = {}, {}
    for u in list do first[#first + 1] = u.id end
    local after_first = #api_requests()
    for u in list do second[#second + 1] = u.id end
    assert.same(expected, first)
    assert.same(expected, second)
    local pages = math.ceil(#expected / 10)
    assert.equal(pages, after_first)
    if keep then
      -- the 2 kept pages are read again, the rest is fetched again
      assert.equal(pages + pages - 2, #api_requests())
    else
      assert.equal(pages, #api_requests())  -- everything was kept
    end
  end)

  both("loops in concurrent tasks over one fresh list each see every item", function(keep)
    local list = users(keep)
    local seen = c:map({ 1, 2, 3 }, function()
      local ids = {}
      for u in list do ids[#ids + 1] = u.id end
      return ids
    end, { concurrency = 3 })
    for i = 1, 3 do assert.same(expected, seen[i]) end
  end)

  both("a loop broken off and started again sees every item from the first", function(keep)
    local list = users(keep)
    local n = 0
    for _ in list do
      n = n + 1
      if n == 25 then break end
    end
    local again = {}
    for u in list do again[#again + 1] = u.id end
    assert.same(expected, again)
    -- an explicit iterator, broken off, and a new one
    for u in list:iter() do
      if u.id == expected[5] then break end
    end
    local third = {}
    for u in list:iter() do third[#third + 1] = u.id end
    assert.same(expected, third)
  end)

  it("loops over an untyped list (plain tables) have their own positions too", function()
    local list = c:list("users/self/meta_list", { per_page = 10 }, { root = "items" })
    local outer, inner_total = 0, 0
    for a in list do
      assert.equal("table", type(a))
      outer = outer + 1
      for _ in list do inner_total = inner_total + 1 end
    end
    assert.equal(25, outer)
    assert.equal(25 * 25, inner_total)
  end)

  it("the natural loop keeps only what list:keep allows, and says so through loaded()", function()
    local list = users(15)
    local n = 0
    for _ in list do n = n + 1 end
    assert.equal(#expected, n)
    local items, pages = list:loaded()
    assert.equal(20, items)  -- two pages of 10: the first page that reached 15 stays
    assert.equal(2, pages)
    -- list[i] past what was kept loads into the list and keeps it
    assert.equal(expected[35], list[35].id)
    assert.equal(40, (list:loaded()))
    -- #list is count(): every page, kept; a loop then reads them all again
    sandbox.clear_requests()
    assert.equal(#expected, #list)
    assert.equal(#expected, (list:loaded()))
    local before = #api_requests()
    local again = 0
    for _ in list do again = again + 1 end
    assert.equal(#expected, again)
    assert.equal(before, #api_requests())
  end)
end)

describe("PaginatedList:slice", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)

  local function page_of(r)
    return tonumber(("&" .. r.query):match("&page=(%d+)")) or 1
  end

  it("fetches the first page, then only the pages holding items i..j", function()
    local all = {}
    for page in c:list("accounts/1/users", { per_page = 10 }, { type = "User" }):pages() do
      for _, u in ipairs(page) do all[#all + 1] = u.id end
    end
    local list = c:get_account(1):get_users({ per_page = 10 })
    sandbox.clear_requests()
    local s = list:slice(25, 35)
    local ids = {}
    for k, u in ipairs(s) do ids[k] = u.id end
    assert.same({ table.unpack(all, 25, 35) }, ids)
    local pages = {}
    for k, r in ipairs(api_requests()) do pages[k] = page_of(r) end
    assert.same({ 1, 3, 4 }, pages)
    -- nothing of pages 3 and 4 was kept; page 1 was
    assert.equal(10, (list:loaded()))
    -- within what is kept: no request
    sandbox.clear_requests()
    assert.equal(all[2], list:slice(2, 3)[1].id)
    assert.equal(0, #api_requests())
    -- past the end, and an empty range
    assert.same({}, list:slice(#all + 5, #all + 9))
    assert.same({}, list:slice(5, 4))
    local tail = list:slice(#all - 1, #all + 10)
    assert.equal(2, #tail)
    assert.equal(all[#all], tail[2].id)
    assert.error_matches(function() list:slice(0, 3) end, "1 or more")
  end)

  it("walks bookmark pages (Canvas does not number them), keeping none", function()
    local all = {}
    for pv in c:list("users/self/page_views", { per_page = 10 }, { type = "PageView" }):iter() do
      all[#all + 1] = pv.id
    end
    assert.is_true(#all > 22)
    sandbox.clear_requests()
    local list = c:list("users/self/page_views", { per_page = 10 }, { type = "PageView" })
    local s = list:slice(15, 22)
    assert.equal(8, #s)
    for k, pv in ipairs(s) do assert.equal(all[14 + k], pv.id) end
    assert.equal(3, #api_requests())
    assert.equal(10, (list:loaded()))
  end)
end)
