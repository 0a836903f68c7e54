-- Tasks: Client:map, PaginatedList:each, lcanvas.gather, requests that yield
-- inside tasks, rate-limit awareness and page prefetch, against the sandbox.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local function connect(opts)
  return lcanvas.new(sandbox.url, sandbox.tokens.admin, opts)
end

local function api_requests(pattern)
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if r.path:find("^/api/v1/") and (not pattern or r.path:find(pattern)) then out[#out + 1] = r end
  end
  return out
end

local function connections(reqs)
  local seen, n = {}, 0
  for _, r in ipairs(reqs) do
    if r.conn and not seen[r.conn] then seen[r.conn] = true; n = n + 1 end
  end
  return n
end

local function user_ids(n)
  local ids = {}
  for i = 1, n do ids[i] = 100 + (i - 1) % 300 end
  return ids
end

describe("tasks", function()
  local c
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    c = connect()
  end)

  describe("Client:map", function()
    it("returns results in input order although they finish out of order", function()
      -- the first item is the slowest, so it finishes last
      sandbox.fault({ path = "/api/v1/users/101", delay_ms = 150 })
      local ids = { 101, 102, 103, 104, 105, 106 }
      local users = c:map(ids, function(id, i)
        local u = c:get_user(id)
        return { id = u.id, index = i, user = u }
      end, { concurrency = 3 })
      assert.equal(6, #users)
      for i, id in ipairs(ids) do
        assert.equal(id, users[i].id)
        assert.equal(i, users[i].index)
        assert.is_true(lcanvas.is_object(users[i].user, "User"))
      end
      -- several requests were in flight at once: more than one connection
      local reqs = api_requests("^/api/v1/users/")
      assert.equal(6, #reqs)
      assert.is_true(connections(reqs) > 1)
    end)

    it("is sequential outside tasks: plain calls keep one connection", function()
      for _, id in ipairs({ 101, 102, 103 }) do c:get_user(id) end
      assert.equal(1, connections(api_requests()))
    end)

    it("maps an empty table to an empty result without requests", function()
      local r = c:map({}, function() error("never called") end)
      assert.same({ n = 0 }, r)
      assert.equal(0, #api_requests())
    end)

    it("rejects bad arguments clearly and sends nothing", function()
      assert.has_error(function() c:map(nil, function() end) end,
        "bad argument #1 to 'map' (table expected, got nil)")
      assert.has_error(function() c:map({ 1 }, "f") end,
        "bad argument #2 to 'map' (function expected, got string)")
      assert.has_error(function() c:map({ 1 }, function() end, { concurrency = 0 }) end)
      assert.has_error(function() c:map({ 1 }, function() end, { errors = "ignore" }) end)
      assert.equal(0, #api_requests())
    end)

    it("raises the first error with its item after in-flight work settles, starting nothing new", function()
      -- item 1 is slow and in flight when item 2 fails at once
      sandbox.fault({ path = "/api/v1/users/101", delay_ms = 300 })
      local ids = { 101, 999999 }
      for i = 3, 20 do ids[i] = 100 + i end
      local finished = {}
      local ok, err = pcall(c.map, c, ids, function(id, i)
        local u = c:get_user(id)
        finished[#finished + 1] = i
        return u
      end, { concurrency = 2 })
      assert.is_false(ok)
      assert.is_true(lcanvas.is_error(err, "ResourceDoesNotExist"))
      assert.is_true(err:is("CanvasException"))
      assert.equal(2, err.index)
      assert.equal(999999, err.item)
      assert.equal(404, err.status)
      -- the slow item in flight was allowed to finish ...
      assert.same({ 1 }, finished)
      -- ... and no request beyond the two in flight was started
      local reqs = api_requests("^/api/v1/users/")
      assert.equal(2, #reqs)
    end)

    it("collects every failure with its item in errors = 'collect' mode", function()
      local ids = { 101, 999998, 102, 999999, 103 }
      local results, failures = c:map(ids, function(id) return c:get_user(id).id end,
        { concurrency = 2, errors = "collect" })
      assert.equal(101, results[1])
      assert.is_nil(results[2])
      assert.equal(102, results[3])
      assert.is_nil(results[4])
      assert.equal(103, results[5])
      assert.equal(2, #failures)
      assert.equal(2, failures[1].index)
      assert.equal(999998, failures[1].item)
      assert.equal("ResourceDoesNotExist", failures[1].error.kind)
      assert.equal(4, failures[2].index)
      assert.equal(999999, failures[2].item)
      assert.equal(5, #api_requests("^/api/v1/users/"))
    end)

    it("names the item of a plain Lua error too", function()
      local ok, err = pcall(c.map, c, { 1, 2, 3 }, function(x)
        if x == 2 then error("boom", 0) end
        return x
      end)
      assert.is_false(ok)
      assert.equal("item 2: boom", err)
    end)

    it("runs a nested map inside a task", function()
      local out = c:map({ 101, 102, 103 }, function(id)
        local inner = c:map({ 1, 2 }, function(k) return c:get_user(id + k).id end)
        return inner[1] + inner[2]
      end)
      assert.same({ n = 3, 102 + 103, 103 + 104, 104 + 105 }, out)
      assert.equal(6, #api_requests("^/api/v1/users/"))
    end)

    it("lets a task paginate: for ... in list inside tasks", function()
      local blocking = 0
      for _ in c:list("accounts/1/users", { per_page = 25 }) do blocking = blocking + 1 end
      sandbox.clear_requests()
      local counts = c:map({ 1, 2, 3 }, function()
        local n, ids = 0, {}
        for u in c:list("accounts/1/users", { per_page = 25 }, { type = "User" }) do
          assert.is_nil(ids[u.id])
          ids[u.id] = true
          n = n + 1
        end
        return n
      end)
      assert.same({ n = 3, blocking, blocking, blocking }, counts)
      local pages = math.ceil(blocking / 25)
      assert.equal(3 * pages, #api_requests("/accounts/1/users$"))
    end)

    it("supports break out of a list loop inside a task", function()
      local got = c:map({ 1 }, function()
        local list = c:list("accounts/1/users", { per_page = 10 })
        local n = 0
        for _ in list:iter() do
          n = n + 1
          if n == 12 then break end
        end
        return { n, list[15].id ~= nil, list:first().id ~= nil }
      end)
      assert.same({ 12, true, true }, got[1])
    end)
  end)

  describe("lcanvas.gather", function()
    it("runs functions together and returns their results in order", function()
      sandbox.fault({ path = "/api/v1/users/101", delay_ms = 100 })
      local a, b, cc = lcanvas.gather(
        function() return c:get_user(101).name end,
        function() return c:get_user(102).id end,
        function() return c:request("GET", "users/103").id end)
      assert.equal("Blake Adams", a)
      assert.equal(102, b)
      assert.equal(103, cc)
      assert.is_true(connections(api_requests()) > 1)
    end)

    it("raises a failure with the index of its function after all settle", function()
      local done = false
      local ok, err = pcall(lcanvas.gather,
        function() c:get_user(101); done = true end,
        function() return c:get_user(999999) end)
      assert.is_false(ok)
      assert.is_true(done)
      assert.equal("ResourceDoesNotExist", err.kind)
      assert.equal(2, err.index)
    end)

    it("refuses a non-function argument", function()
      assert.has_error(function() lcanvas.gather(function() end, 5) end,
        "bad argument #2 to 'gather' (function expected, got number)")
    end)
  end)

  describe("PaginatedList:each", function()
    it("streams every item once through fn, with concurrency", function()
      local total = c:list("accounts/1/users", { per_page = 100 }):count()
      sandbox.clear_requests()
      local seen, n = {}, 0
      local count = c:list("accounts/1/users", { per_page = 40 }, { type = "User" }):each(function(u, i)
        assert.is_true(lcanvas.is_object(u, "User"))
        assert.is_nil(seen[i])
        seen[i] = u.id
        n = n + 1
        c:get_user(u.id)  -- work that yields
      end, { concurrency = 4 })
      assert.equal(total, count)
      assert.equal(total, n)
      assert.equal(math.ceil(total / 40), #api_requests("/accounts/1/users$"))
    end)

    it("stops early when fn returns false", function()
      local calls = 0
      local count = c:list("accounts/1/users", { per_page = 10 }):each(function(_, i)
        calls = calls + 1
        if i == 15 then return false end
      end, { concurrency = 1 })
      assert.equal(15, count)
      assert.equal(15, calls)
      -- page 3 may have been prefetched, but no later one
      assert.is_true(#api_requests("/accounts/1/users$") <= 3)
    end)

    it("raises a failing page's error", function()
      sandbox.fault({ path = "/api/v1/accounts/1/users", status = 500, count = 1 })
      local strict = connect({ max_retries = 0 })
      local ok, err = pcall(function()
        return strict:list("accounts/1/users"):each(function() end)
      end)
      assert.is_false(ok)
      assert.equal("CanvasException", err.kind)
      assert.equal(500, err.status)
    end)

    it("collects item failures and keeps going in errors = 'collect' mode", function()
      local count, failures = c:list("accounts/1/users", { per_page = 50 }):each(function(u, i)
        if i % 100 == 0 then error("bad " .. u.id, 0) end
      end, { errors = "collect" })
      assert.is_true(count > 300)
      assert.equal(count // 100, #failures)
      assert.equal(100, failures[1].index)
      assert.is_string(failures[1].error)
    end)
  end)

  describe("streaming and prefetch", function()
    it("iter{keep = false} keeps only the current page", function()
      local list = c:list("accounts/1/users", { per_page = 20 })
      local n = 0
      for _ in list:iter({ keep = false }) do n = n + 1 end
      assert.is_true(n > 300)
      -- the list itself loaded nothing
      assert.same({ 0, 0 }, { list:loaded() })
    end)

    local function page_requests()
      local out = {}
      for _, r in ipairs(api_requests("/accounts/1/users$")) do
        out[#out + 1] = ("&" .. r.query):match("&page=(%d+)") or "1"
      end
      return out
    end

    it("requests page k+1 while page k is being consumed inside a task", function()
      local snapshot
      c:map({ 1 }, function()
        local i = 0
        for _ in c:list("accounts/1/users", { per_page = 10 }) do
          i = i + 1
          if i == 2 then
            -- consuming page 1: let the engine run by doing other requests
            for _ = 1, 20 do
              c:get_user(1)
              snapshot = page_requests()
              if #snapshot >= 2 then break end
            end
          end
        end
      end)
      assert.same({ "1", "2" }, snapshot)
    end)

    it("does not prefetch with prefetch = false (client or list option)", function()
      for _, mk in ipairs({
        function() return connect({ prefetch = false }):list("accounts/1/users", { per_page = 10 }) end,
        function() return c:list("accounts/1/users", { per_page = 10 }, { prefetch = false }) end,
      }) do
        sandbox.clear_requests()
        local snapshot
        local cl = c
        c:map({ 1 }, function()
          local i = 0
          for _ in mk() do
            i = i + 1
            if i == 2 then
              for _ = 1, 5 do cl:get_user(1) end
              snapshot = page_requests()
            end
            if i == 10 then break end
          end
        end)
        assert.same({ "1" }, snapshot)
      end
    end)

    it("never prefetches outside tasks", function()
      local i = 0
      local snapshot
      for _ in c:list("accounts/1/users", { per_page = 10 }) do
        i = i + 1
        if i == 2 then c:get_user(1); snapshot = page_requests() end
        if i == 10 then break end
      end
      assert.same({ "1" }, snapshot)
    end)

    it("raises a prefetched page's error when the consumer reaches it", function()
      local strict = connect({ max_retries = 0 })
      local consumed = 0
      local ok, err = pcall(strict.map, strict, { 1 }, function()
        for _ in strict:list("accounts/1/users", { per_page = 10 }) do
          consumed = consumed + 1
          -- page 2 is queued but not sent yet: make it fail
          if consumed == 1 then
            sandbox.fault({ path = "/api/v1/accounts/1/users", status = 500, count = 1 })
          end
        end
      end)
      assert.is_false(ok)
      assert.equal("CanvasException", err.kind)
      assert.equal(500, err.status)
      assert.equal(10, consumed)
    end)
  end)

  describe("requests outside tasks", function()
    it("block as before inside a plain coroutine", function()
      local co = coroutine.wrap(function()
        local u = c:get_user(101)
        coroutine.yield(u.id)
        return c:list("accounts/1/users", { per_page = 50 }):count()
      end)
      assert.equal(101, co())
      assert.is_true(co() > 300)
    end)
  end)

  describe("rate limits", function()
    it("2,000 requests at concurrency 8 finish without a failure under a throttling bucket", function()
      -- a bucket refilling 10x faster than Canvas's keeps the test short;
      -- 2,000 requests still cost more than the bucket holds, even from a
      -- client slowed down by the sanitizers (at 20x it could keep up)
      sandbox.config({ throttle = { hwm = 600, drain = 100, reserve = 50 } })
      -- a little server latency, so reservations of requests in flight overlap
      sandbox.fault({ path = "/api/v1/users/", delay_ms = 2, count = 100000 })
      local results, failures = c:map(user_ids(2000), function(id) return c:get_user(id).id end,
        { concurrency = 8, errors = "collect" })
      assert.equal(0, #failures)
      assert.equal(2000, results.n)
      assert.equal(100, results[1])
      assert.equal(2000 % 300 + 99, results[2000])
      local st = c:stats()
      assert.is_true(st.throttle_waits > 0, "the rate gate never held a request back")
    end)

    it("retries the throttled answers of a bucket it cannot see coming", function()
      -- this bucket reserves twice what Canvas does, so the client's model
      -- of it is wrong and it runs into the throttle
      -- status 403: the throttled answers counted below are the older form (an option)
      sandbox.config({ throttle = { hwm = 300, drain = 50, reserve = 100, status = 403 } })
      sandbox.fault({ path = "/api/v1/users/", delay_ms = 20, count = 100000 })
      local fast = connect({ rate_low_water = 1, backoff = 0.05 })
      local results, failures = fast:map(user_ids(300), function(id) return fast:get_user(id).id end,
        { concurrency = 8, errors = "collect" })
      assert.equal(0, #failures)
      assert.equal(300, results.n)
      local throttled = 0
      for _, r in ipairs(api_requests("^/api/v1/users/")) do
        if r.status == 403 then throttled = throttled + 1 end
      end
      assert.is_true(throttled > 0, "the sandbox never throttled")
      assert.equal(throttled, fast:stats().retries)
    end)
  end)

  describe("adaptive concurrency", function()
    local function last_seq()
      local log = sandbox.requests()
      return #log > 0 and log[#log].seq or 0
    end

    -- The most requests the server held at once among those logged after
    -- `since`, from when each arrived and was answered (the server's own
    -- clock): a measure that does not depend on when the client looks.
    local function server_peak(since)
      local events = {}
      for _, r in ipairs(sandbox.requests(since)) do
        if r.path:find("^/api/v1/users/%d") and r.t_in and r.t_out then
          events[#events + 1] = { r.t_in, 1 }
          events[#events + 1] = { r.t_out, -1 }
        end
      end
      -- an answer at the same instant as an arrival leaves first
      table.sort(events, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
      local n, peak = 0, 0
      for _, e in ipairs(events) do
        n = n + e[2]
        peak = math.max(peak, n)
      end
      return peak
    end

    -- 16 get_user calls at concurrency 8, each held by the server for 100 to
    -- 380 ms (all different within any 8). Returns the most requests the
    -- server held at once besides one ("others in flight"), and the
    -- throttled answers.
    local function fan_out(client, first_id)
      local ids, faults = {}, {}
      for i = 1, 16 do
        ids[i] = first_id + i
        faults[i] = { path = "/api/v1/users/" .. ids[i], delay_ms = 100 + ((i * 5) % 8) * 40 }
      end
      sandbox.fault(faults)
      local since = last_seq()
      local got = client:map(ids, function(id) return client:get_user(id).id end, { concurrency = 8 })
      assert.equal(first_id + 16, got[16])
      local throttled = 0
      for _, r in ipairs(sandbox.requests(since)) do
        if r.status == 403 then throttled = throttled + 1 end
      end
      return server_peak(since) - 1, throttled
    end

    it("runs fewer requests at once as X-Rate-Limit-Remaining falls", function()
      -- a margin of 175 units: 8 requests fit in a full bucket of 600
      -- (175 + 7 x 50 = 525), only 2 in one of 230 (175 + 50 = 225)
      sandbox.config({ throttle = { status = 403 } })   -- fan_out counts the older 403 answers
      local ad = connect({ rate_low_water = 175 })
      ad:get_current_user()
      assert.is_true(ad:rate_limit() > 590)
      local full, throttled_full = fan_out(ad, 100)
      assert.equal(0, throttled_full)

      sandbox.config({ throttle = { hwm = 230 } })   -- the bucket falls to 230
      ad:get_current_user()
      local remaining = ad:rate_limit()
      assert.is_true(remaining < 231 and remaining > 200, "remaining " .. remaining)
      local low, throttled_low = fan_out(ad, 200)

      -- 7 others in flight with the full bucket; at most 2 with the low one
      -- (the server itself would take 4 at once: a client that did not
      -- adapt is seen with 3 others in flight, and throttled)
      assert.is_true(full >= 5, "full bucket: at most " .. full .. " others in flight")
      assert.is_true(low <= 2, "low bucket: up to " .. low .. " others in flight")
      assert.is_true(low < full)
      assert.equal(0, throttled_low)
    end)
  end)

  describe("connections", function()
    -- distinct connections of the requests, and how many requests and
    -- tasks each one carried
    local function by_connection(reqs, task_of)
      local conns, n = {}, 0
      for _, r in ipairs(reqs) do
        local t = conns[r.conn]
        if not t then
          t = { requests = 0, tasks = {}, ntasks = 0 }
          conns[r.conn] = t
          n = n + 1
        end
        t.requests = t.requests + 1
        local task = task_of and task_of[r.path]
        if task and not t.tasks[task] then t.tasks[task] = true; t.ntasks = t.ntasks + 1 end
      end
      return conns, n
    end

    it("keeps the pool bounded by the concurrency and reuses connections across tasks", function()
      local ids = user_ids(200)
      local task_of = {}
      local got = c:map(ids, function(id)
        task_of["/api/v1/users/" .. id] = tostring(coroutine.running())
        return c:get_user(id).id
      end, { concurrency = 8 })
      assert.equal(200, got.n)
      assert.equal(299, got[200])
      local ntasks = 0
      for _ in pairs((function() local s = {} for _, t in pairs(task_of) do s[t] = true end return s end)()) do
        ntasks = ntasks + 1
      end
      assert.equal(8, ntasks)
      local reqs = api_requests("^/api/v1/users/")
      assert.equal(200, #reqs)
      local conns, n = by_connection(reqs, task_of)
      assert.is_true(n <= 8, n .. " connections for 8 tasks")
      local shared = 0
      for _, t in pairs(conns) do
        assert.is_true(t.requests >= 2, "a connection carried a single request")
        if t.ntasks >= 2 then shared = shared + 1 end
      end
      assert.is_true(shared >= 1, "no connection served more than one task")

      -- a second fan-out opens no new connection: the pool is reused
      sandbox.clear_requests()
      c:map(user_ids(40), function(id) return c:get_user(id).id end, { concurrency = 8 })
      for conn in pairs(by_connection(api_requests())) do
        assert.is_truthy(conns[conn], "connection " .. conn .. " is new")
      end
    end)

    it("opens at most 16 connections to the host however many tasks run", function()
      -- a bucket that never holds anything back, and server latency, so all
      -- 32 tasks want a connection at the same time
      sandbox.config({ throttle = { hwm = 100000 } })
      sandbox.fault({ path = "/api/v1/users/", delay_ms = 150, count = 64 })
      local wide = connect()
      local got = wide:map(user_ids(64), function(id) return wide:get_user(id).id end, { concurrency = 32 })
      assert.equal(64, got.n)
      local reqs = api_requests("^/api/v1/users/")
      assert.equal(64, #reqs)
      local _, n = by_connection(reqs)
      assert.is_true(n <= 16, n .. " connections")
      assert.is_true(n > 8, "only " .. n .. " connections: the tasks did not overlap")
    end)
  end)

  describe("many clients", function()
    it("drives every client with work: 40 clients' requests are all in flight at once", function()
      -- Every answer is held back 4 s: the 40 requests can only all reach
      -- the server before the first answer if each client's engine runs.
      local n = 40
      sandbox.config({ throttle = { hwm = 100000 } })
      sandbox.fault({ path = "/api/v1/users/", delay_ms = 4000, count = n })
      local clients = {}
      for i = 1, n do clients[i] = connect() end
      local answered, seen = 0, nil
      local fns = {}
      for i = 1, n do
        fns[i] = function()
          local u = clients[i]:get_user(100 + i)
          answered = answered + 1
          return u.id
        end
      end
      fns[n + 1] = function()  -- watches the server while the others wait
        local arrived
        repeat
          coroutine.yield()
          arrived = #api_requests("^/api/v1/users/")
        until arrived >= n or answered > 0
        seen = { arrived = arrived, answered = answered }
        return true
      end
      local got = table.pack(lcanvas.gather(table.unpack(fns, 1, n + 1)))
      assert.same({ arrived = n, answered = 0 }, seen)
      for i = 1, n do assert.equal(100 + i, got[i]) end
      assert.equal(n, answered)
      assert.equal(n, #api_requests("^/api/v1/users/"))
      for i = 1, n do assert.equal(1, clients[i]:stats().requests) end
      assert.equal(0, lcanvas.core.pending_count())
      for _, cl in ipairs(clients) do cl:close() end
    end)

    it("pages lists of 40 clients at once, each task getting its own list whole", function()
      local n = 40
      sandbox.config({ throttle = { hwm = 100000 } })
      local clients = {}
      for i = 1, n do clients[i] = connect() end
      local counts = c:map(clients, function(cl)
        local seen = 0
        for _ in cl:list("accounts/1/users", { per_page = 50 }):iter() do seen = seen + 1 end
        return seen
      end, { concurrency = n })
      local want = #c:list("accounts/1/users", { per_page = 100 }):all()
      for i = 1, n do assert.equal(want, counts[i]) end
      for _, cl in ipairs(clients) do cl:close() end
    end)
  end)

  describe("the page hook (Client:on_page)", function()
    it("is called after each page, outside and inside tasks, and can be removed", function()
      local calls = {}
      local function hook(list, items, pages, done)
        calls[#calls + 1] = { list = list, items = items, pages = pages, done = done }
      end
      assert.is_nil(c:on_page(hook))
      local list = c:list("accounts/1/users", { per_page = 100 })
      assert.equal(312, list:count())
      assert.equal(4, #calls)
      assert.equal(list, calls[1].list)
      assert.same({ 100, 1, false }, { calls[1].items, calls[1].pages, calls[1].done })
      assert.same({ 312, 4, true }, { calls[4].items, calls[4].pages, calls[4].done })

      calls = {}
      local lists = {}
      local got = c:map({ 1, 2 }, function(i)
        lists[i] = c:list("accounts/1/users", { per_page = 100 })
        return lists[i]:count()
      end)
      assert.same({ 312, 312, n = 2 }, got)
      assert.equal(8, #calls)
      local per_list = { [lists[1]] = {}, [lists[2]] = {} }
      for _, call in ipairs(calls) do table.insert(per_list[call.list], call.items) end
      assert.same({ 100, 200, 300, 312 }, per_list[lists[1]])
      assert.same({ 100, 200, 300, 312 }, per_list[lists[2]])

      assert.equal(hook, c:on_page(nil))
      calls = {}
      c:list("accounts/1/users", { per_page = 100 }):count()
      assert.equal(0, #calls)
    end)

    it("takes a function or nil", function()
      assert.has_error(function() c:on_page("f") end)
      assert.has_error(function() c:on_page({}) end)
      -- a field of that name is the script's own, not a hook
      c.on_page_seen = true
      assert.is_true(c.on_page_seen)
    end)
  end)

  describe("cleanup", function()
    it("survives a client closed with a prefetched page in flight", function()
      local other = connect()
      local ok, err = pcall(other.map, other, { 1 }, function()
        local list = other:list("accounts/1/users", { per_page = 10 })
        local n = 0
        for _ in list do
          n = n + 1
          if n == 1 then other:close() end
        end
      end)
      assert.is_false(ok)
      assert.matches("closed", tostring(err))
      collectgarbage()
      collectgarbage()
      assert.equal(0, lcanvas.core.pending_count())
    end)

    it("abandons prefetched pages of lists that are dropped", function()
      c:map({ 1, 2, 3 }, function()
        -- the loop users write, broken off on its first item
        for _ in c:list("accounts/1/users", { per_page = 5 }) do break end -- luacheck: ignore 512
      end)
      collectgarbage()
      collectgarbage()
      -- nothing is left waiting for an answer: the boxes of the dropped
      -- lists' prefetched pages are gone from the scheduler
      assert.equal(0, lcanvas.core.pending_count())
      -- still usable afterwards; the abandoned pages end quietly meanwhile
      assert.equal(101, c:get_user(101).id)
      for _ = 1, 50 do
        local n = 0
        for _, r in ipairs(api_requests("/accounts/1/users$")) do
          if r.query:find("page=2", 1, true) and r.status then n = n + 1 end
        end
        if n >= 3 then break end
        c:get_user(101)
      end
      c:get_user(101)
      assert.equal(0, lcanvas.core.pending_count())
      -- each dropped list asked for its first page and at most the one page
      -- ahead, never more; everything sent was answered
      local pages = {}
      for _, r in ipairs(api_requests("/accounts/1/users$")) do
        local page = ("&" .. r.query):match("&page=(%d+)") or "1"
        pages[page] = (pages[page] or 0) + 1
        assert.equal(200, r.status)
      end
      assert.equal(3, pages["1"])
      assert.is_true((pages["2"] or 0) <= 3)
      for page in pairs(pages) do assert.is_truthy(page == "1" or page == "2", "page " .. page) end
      -- and the client's own count of requests sent matches what arrived
      assert.equal(#api_requests(), c:stats().requests)
      -- the engine is in a clean state: a new task reads a whole list again
      local blocking = c:list("accounts/1/users", { per_page = 50 }):count()
      local in_task = c:map({ 1 }, function()
        local n = 0
        for _ in c:list("accounts/1/users", { per_page = 50 }) do n = n + 1 end
        return n
      end)
      assert.equal(blocking, in_task[1])
      assert.equal(0, lcanvas.core.pending_count())
    end)

    it("never sends the page queued ahead for a list dropped before it went out", function()
      -- one task: it breaks out on page 1 right after page 2 was queued,
      -- and no engine runs between that and the collection of the list
      c:map({ 1 }, function()
        -- the loop users write, broken off on its first item
        for _ in c:list("accounts/1/users", { per_page = 5 }) do break end -- luacheck: ignore 512
      end)
      assert.equal(1, lcanvas.core.pending_count())   -- page 2, queued
      collectgarbage()
      collectgarbage()
      assert.equal(0, lcanvas.core.pending_count())
      -- the engine runs plenty afterwards, in and outside tasks
      for _ = 1, 5 do c:get_user(101) end
      c:map({ 102, 103, 104 }, function(id) return c:get_user(id).id end)
      local pages = {}
      for _, r in ipairs(api_requests("/accounts/1/users$")) do pages[#pages + 1] = r.query end
      assert.same({ "per_page=5" }, pages)
      assert.equal(#api_requests(), c:stats().requests)
    end)

    it("wakes a task whose request is cut off by closing its client", function()
      local socket = require "socket"
      local silent = assert(socket.bind("127.0.0.1", 0))  -- accepts, never answers
      local _, port = silent:getsockname()
      local dead = lcanvas.new("http://127.0.0.1:" .. port, "t", { timeout = 30 })
      local ok, err = pcall(lcanvas.gather,
        function() return dead:request("GET", "users/1") end,
        function()
          c:get_user(101)  -- the engine runs meanwhile: the silent request is sent
          c:get_user(102)
          dead:close()
        end)
      silent:close()
      assert.is_false(ok)
      assert.matches("item 1: .*cancelled %(its client was closed%)", err)
      assert.equal(0, lcanvas.core.pending_count())
    end)
  end)
end)
