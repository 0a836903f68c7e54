-- Signals: Ctrl-C (SIGINT) and SIGTERM stop a script at once, whatever it
-- waits for (an answer, a retry, the rate gate), with exit status 130 / 143,
-- its <close> handlers run and no temporary output file left; and the
-- sandbox of `lcanvas --sandbox` dies with its host, however the host dies.
-- Everything runs as real subprocesses against the real sandbox.
local sandbox = require "helper"
local socket = require "socket"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local ROOT = sandbox.root:sub(1, 1) == "/" and sandbox.root or (os.getenv("PWD") .. "/" .. sandbox.root)
local EXE = ROOT .. "/" .. BUILD .. "/lcanvas"  -- absolute: scripts run in their own directory
local read_file, write_file = sandbox.read_file, sandbox.write_file

local wait_for = sandbox.wait_for

local function ls(dir)
  local names = {}
  local h = io.popen("ls -A " .. sandbox.quote(dir))
  for name in h:lines() do names[#names + 1] = name end
  h:close()
  table.sort(names)
  return table.concat(names, " ")
end

-- Kills whatever still listens behind url (a sandbox the code under test
-- failed to stop), so a failing run leaves nothing behind.
local function kill_listener(url)
  local port = url and url:match(":(%d+)")
  if not port then return end
  local h = io.popen("ss -ltnpH 'sport = :" .. port .. "' 2>/dev/null")
  for pid in h:read("a"):gmatch("pid=(%d+)") do os.execute("kill -9 " .. pid) end
  h:close()
end

describe("signals", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  local latencies = {}
  teardown(function()
    if #latencies > 0 then
      table.sort(latencies)
      io.stderr:write(string.format("\nsignal to exit: min %.0f ms, median %.0f ms, max %.0f ms (%d runs)\n",
        latencies[1] * 1000, latencies[(#latencies + 1) // 2] * 1000, latencies[#latencies] * 1000, #latencies))
    end
  end)

  -- Runs a script that writes an lcanvas.outfile, registers a <close>
  -- handler, runs `prepare`, announces itself and blocks in `canvas:get_user(3)`;
  -- sends `sig` once it blocks; returns the exit status, the seconds from
  -- the signal to the exit, the files left and what the <close> handler saw.
  local function interrupt(sig, prepare)
    local dir = sandbox.tmpname()
    os.execute("mkdir -p " .. sandbox.quote(dir))
    local script = dir .. "/script.lua"
    write_file(script, string.format([[
      local dir = %q
      local lcanvas = require "lcanvas"
      local out <close> = lcanvas.outfile.open(dir .. "/out.txt")
      out:write("partial\n")
      KEPT = lcanvas.outfile.open(dir .. "/kept.txt")   -- no <close>: removed when Lua closes
      KEPT:write("partial\n")
      local marker <close> = setmetatable({}, { __close = function(_, err)
        local f = assert(io.open(dir .. "/closed", "w"))
        f:write(tostring(err))
        f:close()
      end })
      %s
      io.open(dir .. "/ready", "w"):close()
      canvas:get_user(3)
      io.open(dir .. "/finished", "w"):close()
    ]], dir, prepare or ""))
    local run = dir .. "/run"
    os.execute("mkdir -p " .. sandbox.quote(run))
    -- In the background: the host's pid, then its exit status, each
    -- written whole (renamed into place).
    os.execute(string.format(
      "(cd %q || exit; env -u LD_PRELOAD XDG_CONFIG_HOME=. CANVAS_API_URL=%q CANVAS_API_TOKEN=%q %q %q " ..
      ">out 2>err </dev/null & echo $! >pid.w && mv pid.w pid; wait $!; echo $? >rc.w && mv rc.w rc) " ..
      ">/dev/null 2>&1 &",
      run, sandbox.url, sandbox.tokens.admin, EXE, script))
    local pid = assert(wait_for(10, function() return tonumber(read_file(run .. "/pid") or "") end),
      "the script did not start")
    local ready = wait_for(10, function() return read_file(dir .. "/ready") end)
    assert(ready, "the script did not reach its request: " .. tostring(read_file(run .. "/err")))
    socket.sleep(0.3)  -- now inside the wait
    local t0 = socket.gettime()
    os.execute("kill -" .. sig .. " " .. pid)
    local rc = wait_for(5, function() return tonumber(read_file(run .. "/rc") or "") end)
    local elapsed = socket.gettime() - t0
    if not rc then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
    wait_for(5, function() return read_file(run .. "/rc") end)
    local err = read_file(run .. "/err") or ""
    local closed = read_file(dir .. "/closed")
    os.execute("rm -rf " .. sandbox.quote(run))
    local left = ls(dir)
    os.execute("rm -rf " .. sandbox.quote(dir))
    if rc then latencies[#latencies + 1] = elapsed end
    return rc, elapsed, left, closed, err
  end

  local function check(sig, status, prepare)
    local rc, elapsed, left, closed, err = interrupt(sig, prepare)
    assert.equal(status, rc, "exit status; stderr: " .. err)
    -- The wait would last 10 s or more; the script stops at once.
    assert.is_true(elapsed < 1, string.format("stopped %.2f s after the signal", elapsed))
    assert.matches("nterrupted", closed or "(the <close> handler did not run)")
    -- No output file, no temporary file: only what the script made itself.
    assert.equal("closed ready script.lua", left)
    local said = { INT = "interrupted", TERM = "terminated", HUP = "hangup", PIPE = "broken pipe" }
    assert.matches("lcanvas: " .. said[sig] .. "\n", err)
  end

  describe("during a request to a server that answers after 10 s", function()
    before_each(function() sandbox.fault({ path = "/api/v1/users/3", delay_ms = 10000 }) end)
    it("Ctrl-C: exit 130", function() check("INT", 130) end)
    it("SIGTERM: exit 143", function() check("TERM", 143) end)
    -- A closed terminal, a reader gone: nothing left behind either.
    it("SIGHUP: exit 129", function() check("HUP", 129) end)
    it("SIGPIPE: exit 141", function() check("PIPE", 141) end)
  end)

  -- The same request made in a coroutine of libuv's loop (lcanvas.loop.luv):
  -- the interrupt comes back through loop.run, not libuv's exit 255, and
  -- the coroutine's own output file is removed too.
  describe("during a request in a luv coroutine", function()
    before_each(function() sandbox.fault({ path = "/api/v1/users/3", delay_ms = 10000 }) end)
    local luv_prepare = [[
      local loop = require "lcanvas.loop.luv"
      loop.spawn(function()
        local o <close> = lcanvas.outfile.open(dir .. "/luv.txt")
        o:write("partial\n")
        io.open(dir .. "/ready", "w"):close()
        canvas:get_user(3)
      end)
      loop.run()
    ]]
    it("Ctrl-C: exit 130", function() check("INT", 130, luv_prepare) end)
    it("SIGTERM: exit 143", function() check("TERM", 143, luv_prepare) end)
  end)

  describe("during a retry wait (503, Retry-After: 30)", function()
    before_each(function()
      sandbox.fault({ path = "/api/v1/users/3", status = 503, count = 10,
        headers = { ["Retry-After"] = "30" }, body = '{"errors":[{"message":"down"}]}' })
    end)
    it("Ctrl-C: exit 130", function() check("INT", 130) end)
    it("SIGTERM: exit 143", function() check("TERM", 143) end)
  end)

  describe("during a throttle wait (X-Rate-Limit-Remaining: 0)", function()
    -- The first answer says the bucket is empty: the rate gate holds the
    -- next request about 10 s for it to refill.
    local drain = "canvas:get_user(3)"
    before_each(function()
      sandbox.fault({ path = "/api/v1/users/3", status = 200, count = 1,
        headers = { ["X-Rate-Limit-Remaining"] = "0" }, body = '{"id":3,"name":"Sam Student"}' })
    end)
    it("Ctrl-C: exit 130", function() check("INT", 130, drain) end)
    it("SIGTERM: exit 143", function() check("TERM", 143, drain) end)
  end)

  describe("during lcanvas.sleep(30)", function()
    -- A sleep is a wait on the engine's clock: a signal ends it like a
    -- request, within 100 ms.
    local function sleeping(sig, status, prepare)
      local rc, elapsed, left, closed, err = interrupt(sig, [[
        io.open(dir .. "/ready", "w"):close()
        ]] .. prepare)
      assert.equal(status, rc, "exit status; stderr: " .. err)
      assert.is_true(elapsed < 0.1, string.format("stopped %.3f s after the signal", elapsed))
      assert.matches("nterrupted", closed or "(the <close> handler did not run)")
      assert.equal("closed ready script.lua", left)
    end
    it("Ctrl-C: exit 130", function() sleeping("INT", 130, "lcanvas.sleep(30)") end)
    it("SIGTERM: exit 143", function() sleeping("TERM", 143, "lcanvas.sleep(30)") end)
    it("Ctrl-C in tasks sleeping and waiting for answers", function()
      sandbox.fault({ path = "/api/v1/users/3", delay_ms = 10000, count = 2 })
      sleeping("INT", 130, [[
        canvas:map({ 1, 2, 3, 4 }, function(i)
          if i % 2 == 0 then return lcanvas.sleep(30) end
          return canvas:get_user(3)
        end)]])
    end)
  end)

  it("during the requests of tasks: Ctrl-C ends them all", function()
    sandbox.fault({ path = "/api/v1/users/3", delay_ms = 10000, count = 4 })
    local prepare = [[
      io.open(dir .. "/ready", "w"):close()
      canvas:map({ 1, 2, 3, 4 }, function() return canvas:get_user(3) end)
    ]]
    local rc, elapsed, left, closed, err = interrupt("INT", prepare)
    assert.equal(130, rc, "exit status; stderr: " .. err)
    assert.is_true(elapsed < 1, string.format("stopped %.2f s after the signal", elapsed))
    assert.matches("nterrupted", closed or "(the <close> handler did not run)")
    assert.equal("closed ready script.lua", left)
  end)
end)

describe("Ctrl-C at the -i prompt, through a pipe", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  -- `lcanvas -i` reading a FIFO the spec writes lines to, its stdout and
  -- stderr in files: s.send(line), s.out(text) and s.err(text) wait for
  -- text in them, s.signal(sig), s.finish() -> exit status, stdout, stderr.
  local function session()
    local dir = sandbox.tmpname()
    os.execute("mkdir -p " .. sandbox.quote(dir))
    os.execute("mkfifo " .. sandbox.quote(dir .. "/in"))
    os.execute(string.format(
      "(cd %q || exit; env -u LD_PRELOAD XDG_CONFIG_HOME=. CANVAS_API_URL=%q CANVAS_API_TOKEN=%q %q -i " ..
      "<in >out 2>err & echo $! >pid.w && mv pid.w pid; wait $!; echo $? >rc.w && mv rc.w rc) " ..
      ">/dev/null 2>&1 &",
      dir, sandbox.url, sandbox.tokens.admin, EXE))
    local input = assert(io.open(dir .. "/in", "w"))  -- (waits for the reader)
    local pid = assert(wait_for(10, function() return tonumber(read_file(dir .. "/pid") or "") end),
      "the prompt did not start")
    local s = {}
    function s.send(line)
      input:write(line, "\n")
      input:flush()
    end
    local function waiter(name)
      return function(text)
        local found = wait_for(10, function() return (read_file(dir .. "/" .. name) or ""):find(text, 1, true) end)
        assert(found, string.format("no %q on %s; stdout: %s; stderr: %s", text, name,
          read_file(dir .. "/out") or "", read_file(dir .. "/err") or ""))
      end
    end
    s.out, s.err = waiter("out"), waiter("err")
    function s.signal(sig) os.execute("kill -" .. sig .. " " .. pid) end
    function s.finish()
      input:close()
      local rc = wait_for(10, function() return tonumber(read_file(dir .. "/rc") or "") end)
      if not rc then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
      local out, err = read_file(dir .. "/out") or "", read_file(dir .. "/err") or ""
      os.execute("rm -rf " .. sandbox.quote(dir))
      return rc, out, err
    end
    -- (a line that says it runs: stdout is a file, so it is flushed)
    function s.say(text) return string.format("io.stdout:write(%q) io.stdout:flush()", text .. "\n") end
    return s
  end

  it("stops a Lua loop and goes on with the session's globals, also after a second Ctrl-C", function()
    local s = session()
    s.send("x = 41")
    s.send(s.say("looping") .. " while true do end")
    s.out("looping\n")
    socket.sleep(0.2)
    s.signal("INT")
    s.err("lcanvas: interrupted\n")
    -- a second Ctrl-C while the line unwinds (its <close> handler loops too)
    s.send("do local c <close> = setmetatable({}, { __close = function() " .. s.say("closing") ..
      " while true do end end }) " .. s.say("looping again") .. " while true do end end")
    s.out("looping again\n")
    socket.sleep(0.2)
    s.signal("INT")
    s.out("closing\n")
    socket.sleep(0.2)
    s.signal("INT")
    s.send("x + 1")
    s.out("42\n")
    local rc, out, err = s.finish()
    assert.equal(0, rc, err)
    assert.equal("looping\nlooping again\nclosing\n42\n", out)
    assert.equal("lcanvas: interrupted\nlcanvas: interrupted\n", err)
  end)

  it("stops a request in flight with its Interrupted error, and the next request goes out", function()
    sandbox.fault({ path = "/api/v1/users/3", delay_ms = 10000, count = 1 })
    local s = session()
    s.send(s.say("sending") .. " u = canvas:get_user(3)")
    s.out("sending\n")
    socket.sleep(0.3)  -- now inside the wait
    local t0 = socket.gettime()
    s.signal("INT")
    s.err("interrupted by a signal\n")
    local elapsed = socket.gettime() - t0
    s.send("u, canvas:get_user(3)")
    s.out("Sam Student")
    local rc, out, err = s.finish()
    assert.equal(0, rc, err)
    assert.is_true(elapsed < 1, string.format("stopped %.2f s after the signal", elapsed))
    assert.equal("sending\nnil\tSam Student (3)\n", out)
    assert.equal("lcanvas: Interrupted: GET /api/v1/users/3 -> interrupted by a signal\n", err)
  end)

  it("drops an unfinished statement at an idle prompt", function()
    local s = session()
    s.send(s.say("ready"))
    s.out("ready\n")
    s.send("for i = 1, 2 do")
    s.send("  " .. s.say("in the loop"))
    socket.sleep(0.3)  -- both lines read: the prompt waits for the rest
    s.signal("INT")
    socket.sleep(0.2)
    s.send(s.say("fresh"))
    s.out("fresh\n")
    s.send("end")
    local rc, out, err = s.finish()
    assert.equal(0, rc, err)
    assert.equal("ready\nfresh\n", out)
    assert.equal("lcanvas: stdin:1: <eof> expected near 'end'\n", err)
  end)

  it("ends with SIGTERM: exit 143, whether a line runs or not", function()
    local s = session()
    s.send(s.say("ready"))
    s.out("ready\n")
    s.signal("TERM")
    local rc, _, err = s.finish()
    assert.equal(143, rc)
    assert.equal("lcanvas: terminated\n", err)
    s = session()
    s.send(s.say("looping") .. " while true do end")
    s.out("looping\n")
    s.signal("TERM")
    rc, _, err = s.finish()
    assert.equal(143, rc)
    assert.equal("lcanvas: terminated\n", err)
  end)
end)

describe("a script's second Ctrl-C", function()
  it("ends the process at once, even while the first one unwinds", function()
    local dir = sandbox.tmpname()
    os.execute("mkdir -p " .. sandbox.quote(dir))
    local script = dir .. "/script.lua"
    write_file(script, string.format([[
      local dir = %q
      local c <close> = setmetatable({}, { __close = function()
        io.open(dir .. "/closing", "w"):close()
        while true do end
      end })
      io.open(dir .. "/ready", "w"):close()
      while true do end
    ]], dir))
    os.execute(string.format(
      "(cd %q || exit; env -u LD_PRELOAD XDG_CONFIG_HOME=. %q %q >out 2>err </dev/null & " ..
      "echo $! >pid.w && mv pid.w pid; wait $!; echo $? >rc.w && mv rc.w rc) >/dev/null 2>&1 &",
      dir, EXE, script))
    local pid = assert(wait_for(10, function() return tonumber(read_file(dir .. "/pid") or "") end))
    assert(wait_for(10, function() return read_file(dir .. "/ready") end), "the script did not start")
    os.execute("kill -INT " .. pid)
    local closing = wait_for(5, function() return read_file(dir .. "/closing") end)
    os.execute("kill -INT " .. pid)
    local rc = wait_for(5, function() return tonumber(read_file(dir .. "/rc") or "") end)
    if not rc then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
    local err = read_file(dir .. "/err")
    os.execute("rm -rf " .. sandbox.quote(dir))
    assert.truthy(closing, "the <close> handler did not run")
    -- killed by the signal itself (the shell says 128 + 2), before any report
    assert.equal(130, rc)
    assert.equal("", err)
  end)
end)

describe("the sandbox of lcanvas --sandbox", function()
  it("dies with a host killed by SIGPIPE (| head -1)", function()
    local script = sandbox.tmpname() .. ".lua"
    write_file(script, [[
      print(canvas:base_url())
      for i = 1, 1000000 do print(i) end
    ]])
    -- luasocket ignores SIGPIPE in this process, and children inherit
    -- that: give the host the default action a shell would.
    local h = io.popen(string.format("env -u LD_PRELOAD --default-signal=PIPE %q --sandbox %q | head -1",
      EXE, script))
    local url = h:read("l")
    h:close()
    os.remove(script)
    assert.matches("^http://127%.0%.0%.1:%d+/?$", url)
    local gone = wait_for(2, function() return sandbox.stopped(url) end)
    if not gone then kill_listener(url) end
    assert.is_true(gone, "the sandbox still listens at " .. url)
  end)

  it("a host whose reader is gone (| head -1) removes its unfinished output file, exit 141", function()
    local dir = sandbox.tmpname()
    os.execute("mkdir -p " .. sandbox.quote(dir))
    local script = dir .. "/s.lua"
    write_file(script, string.format([[
      local lcanvas = require "lcanvas"
      local out <close> = lcanvas.outfile.open(%q)
      out:write("partial\n")
      print(canvas:base_url())
      for i = 1, 1000000 do print(i) end
    ]], dir .. "/out.txt"))
    local h = io.popen(string.format("(env -u LD_PRELOAD %q --sandbox %q 2>%q; echo $? >%q) | head -1",
      EXE, script, dir .. "/err", dir .. "/rc"))
    local url = h:read("l")
    h:close()
    local rc = wait_for(5, function() return (read_file(dir .. "/rc") or ""):match("%d+") end)
    os.remove(dir .. "/rc")
    local left = ls(dir)
    local err = read_file(dir .. "/err") or ""
    os.execute("rm -rf " .. sandbox.quote(dir))
    assert.matches("^http://", url)
    assert.equal("141", rc, err)
    assert.equal("err s.lua", left)
    assert.matches("lcanvas: broken pipe", err)
    local gone = wait_for(2, function() return sandbox.stopped(url) end)
    if not gone then kill_listener(url) end
    assert.is_true(gone)
  end)

  it("dies with a host killed by SIGKILL", function()
    local script = sandbox.tmpname() .. ".lua"
    local out = sandbox.tmpname()
    write_file(script, [[
      print(canvas:base_url())
      io.stdout:flush()
      io.read("a")   -- blocks until killed
    ]])
    local h = io.popen(string.format(
      "sleep 5 2>/dev/null | env -u LD_PRELOAD %q --sandbox %q >%q 2>/dev/null & echo $!", EXE, script, out))
    local pid = assert(tonumber(h:read("l")))
    h:close()
    local url = wait_for(10, function() return (read_file(out) or ""):match("^(http://%S+)\n") end)
    assert(url, "the script did not start")
    os.execute("kill -9 " .. pid)
    local gone = wait_for(2, function() return sandbox.stopped(url) end)
    if not gone then kill_listener(url) end
    os.remove(script)
    os.remove(out)
    assert.is_true(gone, "the sandbox still listens at " .. url)
  end)
end)
