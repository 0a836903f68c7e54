-- lcanvas inside other event loops: cqueues (lcanvas.loop.cqueues) and
-- libuv (lcanvas.loop.luv). A 100 ms ticker in the host loop keeps its
-- beat while requests to a sandbox route that answers after 1 s are in
-- flight, and many requests at once finish in about one delay. Wall-clock
-- bounds here are the issue's own (20 ms lateness); the sandbox delays on
-- its own cqueues loop, so the requests really overlap.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local DELAY_MS = 1000
local MAX_LATE = 0.020

local function slow_users(n)
  sandbox.fault({ path = "/api/v1/users/3", delay_ms = DELAY_MS, count = n })
end

local function user3_requests()
  local n = 0
  for _, r in ipairs(sandbox.requests()) do
    if r.path == "/api/v1/users/3" then n = n + 1 end
  end
  return n
end

-- The two workloads both loops run, through the loop's own `run`.
-- Eight lookups of the slow user at once: the names, then run's results.
local function eight_slow_lookups(c, run)
  slow_users(8)
  local names, fns = {}, {}
  for i = 1, 8 do fns[i] = function() names[i] = c:get_user(3).name end end
  return names, run(fns)
end

-- Two SIS imports waited on at once in the loop, the sandbox moving them
-- one state every 0.2 s: their final states, then run's results.
local function two_job_waits(c, run)
  sandbox.config({ jobs = { advance = "time", step_seconds = 0.2 } })
  local states = {}
  local csv = "user_id,login_id,first_name,last_name,status\nLOOP-1,loop.one,Lo,Op,active\n"
  local fns = {}
  for i = 1, 2 do
    fns[i] = function()
      local imp = c:get_account(1):create_sis_import(csv)
      states[i] = select(2, imp:wait({ interval = 0.05, max_interval = 0.05, timeout = 20, progress = false }))
    end
  end
  local ticks, late, took = run(fns)
  sandbox.reset()
  return states, ticks, late, took
end

-- map (six slow lookups), each over a list, then gather (one slow, one
-- fast), all in one of the loop's coroutines: what they returned, then
-- run's results.
local function map_each_gather(c, run)
  slow_users(7)
  local got = {}
  local ticks, late, took = run({ function()
    got.mapped = c:map({ 3, 3, 3, 3, 3, 3 }, function(id) return c:get_user(id).name end)
    got.count = c:list("accounts/1/users", { search_term = "adams" }):each(function() end)
    got.a, got.b = lcanvas.gather(function() return c:get_user(3).id end,
                                  function() return c:get_user(4).id end)
  end })
  return got, ticks, late, took
end

describe("under cqueues", function()
  local cqueues = require "cqueues"
  local adapter = require "lcanvas.loop.cqueues"
  local c
  setup(function() sandbox.start() adapter.install() end)
  teardown(function() adapter.uninstall() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)
  after_each(function() c:close() end)

  -- Runs the ticker and the given coroutines; returns ticks, worst lateness
  -- and the wall time until the last of the others ended.
  local function run(fns)
    local cq = cqueues.new()
    local t0 = cqueues.monotime()
    local ticks, late, left, ended = 0, 0, #fns, nil
    cq:wrap(function()
      local due = t0 + 0.1
      while left > 0 do
        cqueues.sleep(due - cqueues.monotime())
        late = math.max(late, cqueues.monotime() - due)
        ticks = ticks + 1
        due = due + 0.1
      end
    end)
    for _, fn in ipairs(fns) do
      cq:wrap(function()
        fn()
        left = left - 1
        if left == 0 then ended = cqueues.monotime() - t0 end
      end)
    end
    assert(cq:loop())
    return ticks, late, ended
  end

  it("keeps a 100 ms ticker on time while a slow request waits, and many finish in one delay", function()
    local names, ticks, late, took = eight_slow_lookups(c, run)
    for i = 1, 8 do assert.equal("Sam Student", names[i]) end
    assert.equal(8, user3_requests())
    assert.is_true(late <= MAX_LATE, string.format("the ticker was %.1f ms late", late * 1000))
    assert.is_true(ticks >= 9, "only " .. ticks .. " ticks in " .. took .. " s")
    assert.is_true(took >= DELAY_MS / 1000 and took < 1.6, "8 requests took " .. took .. " s")
  end)

  it("runs map, each and gather inside a cqueues coroutine without stalling the ticker", function()
    local got, ticks, late, took = map_each_gather(c, run)
    local mapped, count, a, b = got.mapped, got.count, got.a, got.b
    assert.equal(6, #mapped)
    assert.equal("Sam Student", mapped[6])
    assert.is_true(count > 0)
    assert.equal(3, a)
    assert.equal(4, b)
    assert.is_true(late <= MAX_LATE, string.format("the ticker was %.1f ms late", late * 1000))
    -- map's six in one delay, then gather's slow one in another
    assert.is_true(took < 2.6, "took " .. took .. " s")
    assert.is_true(ticks >= 19)
  end)

  it("waits for jobs inside cqueues coroutines with the ticker on time", function()
    local states, ticks, late = two_job_waits(c, run)
    assert.same({ "imported", "imported" }, states)
    assert.is_true(late <= MAX_LATE, string.format("the ticker was %.1f ms late", late * 1000))
    assert.is_true(ticks >= 3, "only " .. ticks .. " ticks")
  end)

  it("raises a request's typed error in the coroutine that made it", function()
    local err
    run({ function()
      local ok, e = pcall(c.get_user, c, 999999)
      assert.is_false(ok)
      err = e
    end })
    assert.is_true(lcanvas.is_error(err, "ResourceDoesNotExist"))
  end)

  it("lets a client be handed to cqueues.poll as a pollable", function()
    assert.equal("r", c:events())
    assert.is_nil(c:timeout())            -- nothing in flight: no timer
    assert.is_true(math.type(c:pollfd()) == "integer" and c:pollfd() >= 0)
    slow_users(1)
    local woke, got
    run({
      function() got = c:get_user(3).name end,
      function()
        cqueues.sleep(0.05)               -- the request is in flight now
        local t = cqueues.monotime()
        local r = cqueues.poll(c, 5)
        woke = { r == c, cqueues.monotime() - t }
        c:step()
      end,
    })
    assert.equal("Sam Student", got)
    assert.is_true(woke[1], "cqueues.poll did not return the client")
    assert.is_true(woke[2] < 1.5)
  end)

  it("closing a client wakes the coroutines waiting on it with an error; the loop goes on", function()
    slow_users(1)
    local got, ticks = nil, 0
    local cq = cqueues.new()
    local t0 = cqueues.monotime()
    cq:wrap(function()
      local ok, e = pcall(c.get_user, c, 3)
      got = { ok, tostring(e), cqueues.monotime() - t0 }
    end)
    cq:wrap(function() cqueues.sleep(0.1); c:close() end)
    cq:wrap(function() for _ = 1, 5 do cqueues.sleep(0.1); ticks = ticks + 1 end end)
    local ok, err = cq:loop()
    assert.is_true(ok, tostring(err))
    assert.is_false(got[1])
    assert.matches("its client was closed", got[2])
    assert.is_true(got[3] < 0.5, "the waiter woke after " .. got[3] .. " s")
    assert.equal(5, ticks)
  end)

  it("still blocks outside a controller's coroutines", function()
    assert.equal("Sam Student", c:get_user(3).name)
    local co = coroutine.wrap(function() return c:get_user(3).name end)
    assert.equal("Sam Student", co())
  end)
end)

describe("under luv", function()
  local uv = require "luv"
  local adapter = require "lcanvas.loop.luv"
  local c
  setup(function() sandbox.start() adapter.install() end)
  teardown(function() adapter.uninstall() end)
  before_each(function()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
  end)
  after_each(function() c:close() end)

  local function now() return uv.hrtime() / 1e9 end

  local function run(fns)
    local t0 = now()
    local ticks, late, left, ended = 0, 0, #fns, nil
    local due = t0 + 0.1
    local ticker = uv.new_timer()
    ticker:start(100, 100, function()
      late = math.max(late, now() - due)
      ticks = ticks + 1
      due = due + 0.1
    end)
    local failure
    for _, fn in ipairs(fns) do
      adapter.spawn(function()
        local ok, e = pcall(fn)
        if not ok then failure = failure or e end
        left = left - 1
        if left == 0 then
          ended = now() - t0
          ticker:stop()
          ticker:close()
        end
      end)
    end
    uv.run()
    if failure then error(failure, 0) end
    return ticks, late, ended
  end

  it("keeps a 100 ms timer on time while slow requests wait, and many finish in one delay", function()
    local names, ticks, late, took = eight_slow_lookups(c, run)
    for i = 1, 8 do assert.equal("Sam Student", names[i]) end
    assert.equal(8, user3_requests())
    assert.is_true(late <= MAX_LATE, string.format("the timer was %.1f ms late", late * 1000))
    assert.is_true(ticks >= 9)
    assert.is_true(took >= DELAY_MS / 1000 and took < 1.6, "8 requests took " .. took .. " s")
  end)

  it("runs map, each and gather inside a spawned coroutine", function()
    local got, _, late, took = map_each_gather(c, run)
    local mapped, count, a, b = got.mapped, got.count, got.a, got.b
    assert.equal(6, #mapped)
    assert.is_true(count > 0)
    assert.equal(3, a)
    assert.equal(4, b)
    assert.is_true(late <= MAX_LATE, string.format("the timer was %.1f ms late", late * 1000))
    assert.is_true(took < 2.6, "took " .. took .. " s")
  end)

  it("waits for jobs inside spawned coroutines with the timer on time", function()
    local states, ticks, late = two_job_waits(c, run)
    assert.same({ "imported", "imported" }, states)
    assert.is_true(late <= MAX_LATE, string.format("the timer was %.1f ms late", late * 1000))
    assert.is_true(ticks >= 3, "only " .. ticks .. " ticks")
  end)

  it("raises a request's typed error in its coroutine", function()
    local err
    run({ function() local ok, e = pcall(c.get_user, c, 999999); assert.is_false(ok); err = e end })
    assert.is_true(lcanvas.is_error(err, "ResourceDoesNotExist"))
  end)

  local function handles()
    local n = 0
    uv.walk(function(h) if not h:is_closing() then n = n + 1 end end)
    return n
  end

  it("raises a spawned coroutine's error from uv.run, unwinding the other waiters, handles closed", function()
    slow_users(1)
    local dir = sandbox.tmpname()
    os.execute("mkdir -p " .. sandbox.quote(dir))
    local closed
    adapter.spawn(function() c:get_user(999999) end)
    adapter.spawn(function()
      local out <close> = lcanvas.outfile.open(dir .. "/out.txt")
      out:write("partial\n")
      local mark <close> = setmetatable({}, { __close = function(_, e) closed = e end })
      c:get_user(3)
      assert(mark)  -- never reached: the request fails
    end)
    local ok, err = pcall(uv.run)
    local left = io.popen("ls -A " .. sandbox.quote(dir)):read("a")
    os.execute("rm -rf " .. sandbox.quote(dir))
    assert.is_false(ok)
    assert.is_true(lcanvas.is_error(err, "ResourceDoesNotExist"), tostring(err))
    assert.is_true(lcanvas.is_error(closed, "ResourceDoesNotExist"), tostring(closed))
    assert.equal("", left)          -- the unfinished output file is gone
    assert.is_true(handles() <= 1)  -- the waker timer at most, inactive
    -- An error before the first wait is raised by spawn itself.
    local ok2, err2 = pcall(adapter.spawn, function() error("early") end)
    assert.is_false(ok2)
    assert.matches("early", err2)
  end)

  it("closes each client's poll handle: 2,000 clients leave none", function()
    adapter.spawn(function()
      for i = 1, 2000 do
        local ci = lcanvas.new(sandbox.url, sandbox.tokens.admin)
        assert.equal(3, ci:get_user(3).id)
        if i % 2 == 0 then ci:close() end   -- the others go with the garbage collector
      end
      collectgarbage()
      collectgarbage()
    end)
    uv.run()
    assert.is_true(handles() <= 1, handles() .. " handles open")
  end)
end)

-- Runs body() in a coroutine of a host loop beside a 100 ms ticker;
-- returns the ticks, the ticker's worst lateness, and raises body's error.
-- The adapter is installed for the run only.
local function beside_cqueues_ticker(body)
  local cqueues = require "cqueues"
  local adapter = require "lcanvas.loop.cqueues"
  adapter.install()
  local cq = cqueues.new()
  local late, ticks, running, failure = 0, 0, true, nil
  cq:wrap(function()
    local due = cqueues.monotime() + 0.1
    while running do
      cqueues.sleep(due - cqueues.monotime())
      late = math.max(late, cqueues.monotime() - due)
      ticks = ticks + 1
      due = due + 0.1
    end
  end)
  cq:wrap(function()
    local ok, e = pcall(body, cqueues.monotime)
    if not ok then failure = e end
    running = false
  end)
  local ok, err = cq:loop()
  adapter.uninstall()
  assert(ok, err)
  assert(not failure, failure)
  return ticks, late
end

local function beside_luv_ticker(body)
  local uv = require "luv"
  local adapter = require "lcanvas.loop.luv"
  adapter.install()
  local function now() return uv.hrtime() / 1e9 end
  local late, ticks, failure = 0, 0, nil
  local due = now() + 0.1
  local ticker = uv.new_timer()
  ticker:start(100, 100, function()
    late = math.max(late, now() - due)
    ticks = ticks + 1
    due = due + 0.1
  end)
  adapter.spawn(function()
    local ok, e = pcall(body, now)
    if not ok then failure = e end
    ticker:stop()
    ticker:close()
  end)
  uv.run()
  adapter.uninstall()
  assert(not failure, failure)
  return ticks, late
end

-- Every way a script uses a list, in every mode: blocking, inside tasks,
-- in a coroutine of each host loop, and in tasks inside those coroutines.
-- Each form's result is compared with the blocking one; under the host
-- loops every page is slow, and a 100 ms ticker must keep its beat beside
-- every form.
local PAGE_DELAY_MS = 120

local function ids(items)
  local out = {}
  for i, u in ipairs(items) do out[i] = u.id end
  return table.concat(out, ",")
end

-- name -> function(list) -> a string that says what the form gave.
local LIST_FORMS = {
  { "for", function(l) local t = {}; for u in l do t[#t + 1] = u end; return ids(t) end },
  { "for, nested", function(l)
    local n = 0
    for _ in l do for _ in l do n = n + 1 end end
    return tostring(n)
  end },
  { "for, break", function(l)
    local t = {}
    for u in l do t[#t + 1] = u; if #t == 9 then break end end
    return ids(t)
  end },
  { "iter", function(l) local t = {}; for u in l:iter() do t[#t + 1] = u end; return ids(t) end },
  { "iter{keep=false}", function(l)
    local t = {}
    for u in l:iter({ keep = false }) do t[#t + 1] = u end
    return ids(t)
  end },
  { "all", function(l) return ids(l:all()) end },
  { "first", function(l) return tostring(l:first().id) end },
  { "take", function(l) return ids(l:take(9)) end },
  { "count", function(l) return tostring(l:count()) end },
  { "#", function(l) return tostring(#l) end },
  { "pages", function(l)
    local sizes = {}
    for page in l:pages() do sizes[#sizes + 1] = #page end
    return table.concat(sizes, ",")
  end },
  { "slice", function(l) return ids(l:slice(4, 16)) end },
  { "index", function(l) return tostring(l[15].id) .. "/" .. tostring(l[99]) end },
  { "each", function(l)
    local seen = {}
    local n = l:each(function(u) seen[#seen + 1] = u.id end, { concurrency = 3 })
    table.sort(seen)
    return n .. ":" .. table.concat(seen, ",")
  end },
}

local function new_list(c)
  return c:list("accounts/1/users", { search_term = "adams", per_page = 7 }, { type = "User" })
end

-- Runs every form on a fresh list; returns name -> result (or error text).
local function run_forms(c)
  local got = {}
  for _, f in ipairs(LIST_FORMS) do
    local ok, res = pcall(f[2], new_list(c))
    got[f[1]] = ok and res or ("error: " .. tostring(res))
  end
  return got
end

describe("every list form", function()
  local c, expected
  setup(function()
    sandbox.start()
    sandbox.reset()
    c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    expected = run_forms(c)
    assert.matches("^%d+,", expected["for"])
    assert.equal("20", expected.count)
    assert.equal("7,7,6", expected.pages)
    for name, v in pairs(expected) do assert.is_nil(v:find("error", 1, true), name .. ": " .. v) end
  end)
  teardown(function() c:close() end)

  it("gives the same inside tasks as blocking", function()
    local got = lcanvas.gather(function() return run_forms(c) end)
    assert.same(expected, got)
  end)

  for _, loop in ipairs({ { "cqueues", beside_cqueues_ticker }, { "luv", beside_luv_ticker } }) do
    it("gives the same in a " .. loop[1] .. " coroutine and in tasks there, the ticker on time", function()
      sandbox.fault({ path = "/api/v1/accounts/1/users", delay_ms = PAGE_DELAY_MS, count = 1000 })
      local got, in_tasks
      local ticks, late = loop[2](function()
        got = run_forms(c)
        in_tasks = lcanvas.gather(function() return run_forms(c) end)
      end)
      sandbox.clear_faults()
      assert.same(expected, got)
      assert.same(expected, in_tasks)
      assert.is_true(ticks >= 10, "only " .. ticks .. " ticks")
      assert.is_true(late <= MAX_LATE, string.format("the ticker was %.1f ms late", late * 1000))
    end)
  end
end)

-- lcanvas.sleep waits where a request waits: it blocks outside tasks and
-- loops, lets other tasks run inside one, and yields to cqueues and luv
-- (their ticker keeps its beat).
describe("lcanvas.sleep", function()
  local socket = require "socket"

  it("blocks for its time outside tasks, and overlaps inside tasks", function()
    local t0 = socket.gettime()
    lcanvas.sleep(0.2)
    local took = socket.gettime() - t0
    assert.is_true(took >= 0.2 and took < 0.35, "slept " .. took .. " s")
    t0 = socket.gettime()
    local a, b, c3 = lcanvas.gather(
      function() lcanvas.sleep(0.3); return 1 end,
      function() lcanvas.sleep(0.3); return 2 end,
      function() lcanvas.sleep(0.3); return 3 end)
    took = socket.gettime() - t0
    assert.same({ 1, 2, 3 }, { a, b, c3 })
    assert.is_true(took >= 0.3 and took < 0.5, "three sleeps in tasks took " .. took .. " s")
    lcanvas.sleep(0)
    assert.error_matches(function() lcanvas.sleep(-1) end, "seconds must be a number from 0")
    assert.error_matches(function() lcanvas.sleep(math.huge) end, "seconds must be a number from 0")
    assert.error_matches(function() lcanvas.sleep("x") end, "number expected")
  end)

  it("sleeps beside requests in tasks: one task's sleep does not hold another's request", function()
    sandbox.start()
    sandbox.reset()
    local c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    local t0 = socket.gettime()
    local done_at = {}
    lcanvas.gather(
      function() lcanvas.sleep(0.5); done_at.sleep = socket.gettime() - t0 end,
      function() c:get_user(3); c:get_user(4); done_at.reads = socket.gettime() - t0 end)
    c:close()
    assert.is_true(done_at.reads < 0.3, "the reads waited for the sleep: " .. done_at.reads)
    assert.is_true(done_at.sleep >= 0.5 and done_at.sleep < 0.7)
  end)

  for _, loop in ipairs({ { "cqueues", beside_cqueues_ticker }, { "luv", beside_luv_ticker } }) do
    it("yields to " .. loop[1] .. ": a 100 ms ticker stays on time beside sleeps, alone and in tasks", function()
      local slept, in_tasks
      local ticks, late = loop[2](function(now)
        local t0 = now()
        for _ = 1, 3 do lcanvas.sleep(0.25) end
        slept = now() - t0
        t0 = now()
        lcanvas.gather(function() lcanvas.sleep(0.4) end, function() lcanvas.sleep(0.4) end)
        in_tasks = now() - t0
      end)
      assert.is_true(slept >= 0.75 and slept < 0.95, "three sleeps took " .. slept)
      assert.is_true(in_tasks >= 0.4 and in_tasks < 0.6, "two sleeps in tasks took " .. in_tasks)
      assert.is_true(ticks >= 10, ticks .. " ticks")
      assert.is_true(late <= MAX_LATE, string.format("the ticker was %.1f ms late", late * 1000))
    end)
  end
end)
