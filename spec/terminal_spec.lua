-- What a person sees in a terminal (issue 15): the `lcanvas` command runs
-- inside tmux, a real pseudo-terminal, and the specs read the SCREEN
-- (`tmux capture-pane`), not the bytes: the progress line never shares a
-- line with other output, and the -i prompt edits lines, keeps history and
-- answers `help`.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local ROOT = io.popen("cd '" .. sandbox.root .. "' && pwd"):read("l")
local EXE = ROOT .. "/" .. BUILD .. "/lcanvas"
local tmpname, write_file, read_file = sandbox.tmpname, sandbox.write_file, sandbox.read_file

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- A tmux server of our own (its own socket, a new one per run), so nothing
-- else is touched.
local SOCKET
local runs = 0
local function new_socket()
  runs = runs + 1
  SOCKET = string.format("lcanvas-spec-%d-%d-%d", os.time(), math.random(1e6), runs)
end
local function kill_server()
  if SOCKET then pcall(sandbox.sh, "tmux -L " .. SOCKET .. " kill-server") end
end
local function tmux(args)
  local code, out, err = sandbox.sh("tmux -L " .. SOCKET .. " " .. args)
  assert(code == 0, "tmux " .. args .. ": " .. err)
  return out
end

local function sleep(s) os.execute("sleep " .. s) end

-- Starts `args` for lcanvas in a fresh 120x50 terminal; the screen shows
-- __END__ <status> when it is done.
local function start(args, env)
  kill_server()
  new_socket()
  local words = { "env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u CANVAS_CATALOG_URL",
    "-u CANVAS_CATALOG_TOKEN -u LCANVAS_PROGRESS -u LCANVAS_READLINE", "TERM=xterm",
    "XDG_CONFIG_HOME=" .. q(tmpname()) }
  for k, v in pairs(env or {}) do words[#words + 1] = k .. "=" .. q(v) end
  local cmd = table.concat(words, " ") .. " " .. q(EXE) .. " " .. args ..
    "; echo __END__ $?; sleep 600"
  tmux("new-session -d -s t -x 120 -y 50 " .. q(cmd))
end

-- The screen: every line (history included), trailing blanks dropped.
local function screen()
  local text = tmux("capture-pane -p -J -S -500 -t t")
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = (line:gsub("%s+$", "")) end
  while #lines > 0 and lines[#lines] == "" do table.remove(lines) end
  return lines
end

local function wait_for(pattern, seconds)
  for _ = 1, (seconds or 20) * 10 do
    local lines = screen()
    for _, l in ipairs(lines) do if l:find(pattern) then return lines end end
    sleep(0.1)
  end
  error("timed out waiting for '" .. pattern .. "' on the screen:\n" .. table.concat(screen(), "\n"))
end

-- The lines before __END__, and the exit status.
local function finished(seconds)
  local lines = wait_for("^__END__ %d+$", seconds)
  local out, status = {}, nil
  for _, l in ipairs(lines) do
    status = tonumber(l:match("^__END__ (%d+)$"))
    if status then break end
    out[#out + 1] = l
  end
  return out, status
end

local function keys(...)
  tmux("send-keys -t t " .. table.concat({ ... }, " "))
  sleep(0.3)
end

describe("lcanvas in a terminal", function()
  local env
  setup(function()
    sandbox.start()
    env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
  end)
  after_each(kill_server)

  describe("the progress line", function()
    it("never shares a line with print, io.write or stderr output, and is redrawn after", function()
      local script = tmpname() .. ".lua"
      write_file(script, [[
        local p <close> = require("lcanvas").statusline("rows", 3)
        for i = 1, 3 do
          p:add()
          print("row " .. i)
          io.stderr:write("note " .. i .. "\n")
          io.write("partial " .. i) io.write(" done\n")
          io.stdout:write("last ", i, "\n")
        end
        -- the line is on screen again while the script works on
        io.stderr:write("waiting\n")
        os.execute("sleep 1.5")
      ]])
      start(q(script), env)
      -- while the script sleeps, the progress line is back on the last line
      wait_for("^waiting$")
      sleep(0.5)
      local mid = screen()
      assert.matches("^rows: 3/3 %(100%%%)", mid[#mid])
      assert.equal("waiting", mid[#mid - 1])
      local lines, status = finished()
      os.remove(script)
      assert.equal(0, status)
      local want = {}
      for i = 1, 3 do
        for _, l in ipairs({ "row " .. i, "note " .. i, "partial " .. i .. " done", "last " .. i }) do
          want[#want + 1] = l
        end
      end
      want[#want + 1] = "waiting"
      -- the final line (with its rate, after the pause) stays as a line of its own
      assert.matches("^rows: 3/3 %(100%%%)", table.remove(lines))
      assert.same(want, lines)
    end)

    it("is cleared before -v request lines and a list's printed rows", function()
      local script = tmpname() .. ".lua"
      write_file(script, [[
        for u in canvas:list("accounts/1/users", { per_page = 100 }) do
          if u.id % 40 == 0 then print(u.id, u.name) end
        end
        canvas:request("PUT", "users/3", { user = { short_name = "Sam" } })
      ]])
      start("-v --dry-run " .. q(script), env)
      local lines, status = finished()
      os.remove(script)
      assert.equal(0, status, table.concat(lines, "\n"))
      local gets, rows = 0, 0
      for _, l in ipairs(lines) do
        if l:match("^lcanvas: GET /api/v1/accounts/1/users%?[^ ]* %-> 200 " ..
            "%(%d+ ms, rate limit remaining [%d.]+%)$") then
          gets = gets + 1
        elseif l:match("^%d+%s+%a+ %a+$") then
          rows = rows + 1
        elseif not (l == "DRY-RUN PUT /api/v1/users/3 user[short_name]=Sam"
                    or l == "dry run: 1 change not sent (1 PUT)") then
          error("a garbled line on the screen: '" .. l .. "'\n" .. table.concat(lines, "\n"))
        end
      end
      assert.equal(4, gets)   -- 312 users, 100 a page
      assert.equal(7, rows)   -- ids 40, 80, ..., 280 (and 43460000000000001 is not one)
    end)

    it("leaves no list line behind an error that stops the loop", function()
      local script = tmpname() .. ".lua"
      write_file(script, table.concat({
        "for u in canvas:list('accounts/1/users', { per_page = 100 }) do",
        "  if u.id % 100 == 0 then print(u.id) end",
        "  if u.id == 200 then canvas:get_user(999999) end",
        "end", "" }, "\n"))
      start(q(script), env)
      local lines, status = finished()
      os.remove(script)
      assert.equal(1, status)
      local name = script:match("[^/]+$")
      assert.same({ "100", "200", "lcanvas: " .. script .. ":3: ResourceDoesNotExist: GET /api/v1/users/999999 " ..
        "-> 404 The specified resource does not exist." }, lines, name)
    end)
  end)

  describe("the -i prompt", function()
    it("edits lines and keeps history with lua-readline, and answers help and help(obj)", function()
      local home = tmpname()
      os.execute("mkdir -p " .. q(home))
      local e = { HOME = home }
      for k, v in pairs(env) do e[k] = v end
      -- In the sanitizer run: GNU readline (loaded by lua-readline) keeps its
      -- keymaps, terminfo and history allocated until exit, and LeakSanitizer
      -- cannot even name the library (dlopen'ed after start). Those are not
      -- ours; the plain-prompt run below keeps leak checking on for our code.
      local asan = os.getenv("ASAN_OPTIONS")
      if asan then e.ASAN_OPTIONS = asan .. ":detect_leaks=0" end
      start("-i", e)
      wait_for("^>$")
      keys(q("print(12)"), "Left", "3", "Enter")      -- cursor moved back, 3 inserted
      keys("Up", "Enter")                              -- the previous line again
      keys("help", "Enter")
      keys(q("help(canvas:get_user(3))"), "Enter")
      keys("C-d")
      local lines, status = finished()
      assert.equal(0, status)
      local text = table.concat(lines, "\n")
      assert.equal("> print(123)", lines[1])
      assert.equal("123", lines[2])
      assert.equal("> print(123)", lines[3])
      assert.equal("123", lines[4])
      assert.equal("> help", lines[5])
      assert.equal("Connected:", lines[6])
      assert.equal("  canvas   lcanvas.Client (" .. sandbox.url .. "/)", lines[7])
      assert.matches("\n  catalog  not configured", text)
      assert.matches("\n  help%(obj%) +an object's methods", text)
      assert.matches("\nUser methods", text)
      assert.matches("\n  :get_courses%(%[params%]%)  The courses the user is enrolled in%. " ..
        "`GET users/{id}/courses`", text)
      assert.matches("\n  :to_table%(%)  A deep copy of the object's attributes", text)
      -- the history survives the session
      assert.equal("print(123)\nhelp\nhelp(canvas:get_user(3))\n", read_file(home .. "/.lcanvas_history"))
      os.execute("rm -rf " .. q(home))
    end)

    -- Ctrl-C as at lua's prompt: it stops the line that runs (a request
    -- in flight too) and the session goes on; at an idle prompt it drops
    -- the line being typed.
    local function ctrl_c(readline)
      sandbox.fault({ path = "/api/v1/users/3", delay_ms = 10000, count = 1 })
      local e = { HOME = tmpname(), LCANVAS_READLINE = readline and "1" or "0" }
      os.execute("mkdir -p " .. q(e.HOME))
      for k, v in pairs(env) do e[k] = v end
      local asan = os.getenv("ASAN_OPTIONS")  -- (readline's own allocations: see above)
      if asan and readline then e.ASAN_OPTIONS = asan .. ":detect_leaks=0" end
      start("-i", e)
      wait_for("^>$")
      keys(q("x = 41"), "Enter")
      keys(q("abc partial"))
      keys("C-c")                                           -- idle: the line goes
      keys(q("print(x + 1)"), "Enter")
      keys(q("while true do end"), "Enter")
      keys("C-c")                                           -- a Lua loop stops
      keys(q("for i = 1, 2 do"), "Enter")
      keys("C-c")                                           -- the unfinished statement goes
      keys(q("u = canvas:get_user(3)"), "Enter")
      keys("C-c")                                           -- the request stops
      keys(q("print(u, canvas:get_user(3))"), "Enter")      -- and the next one goes out
      wait_for("Sam Student")
      if readline then
        keys("C-r", "print")                                -- a search is left too
        keys("C-c")
      end
      keys(q("print('ok')"), "Enter")
      keys("C-d")
      local lines, status = finished()
      sandbox.clear_faults()
      os.execute("rm -rf " .. q(e.HOME))
      local text = table.concat(lines, "\n")
      assert.equal(0, status, text)
      local want = {
        "> x = 41",
        "> abc partial^C",
        "> print(x + 1)",
        "42",
        "> while true do end",
        "^C",
        "lcanvas: interrupted",
        "> for i = 1, 2 do",
        ">> ^C",
        "> u = canvas:get_user(3)",
        "^C",
        "lcanvas: Interrupted: GET /api/v1/users/3 -> interrupted by a signal",
        "> print(u, canvas:get_user(3))",
        "nil     Sam Student (3)",
      }
      if readline then want[#want + 1] = "> ^C" end
      want[#want + 1] = "> print('ok')"
      want[#want + 1] = "ok"
      want[#want + 1] = ">"
      if readline then want[#want + 1] = "" end  -- (readline ends the line at Ctrl-D, then the prompt does)
      assert.same(want, lines)
    end

    it("stops a line or a request on Ctrl-C and goes on; drops the line being typed (readline)", function()
      ctrl_c(true)
    end)

    it("stops a line or a request on Ctrl-C and goes on; drops the line being typed (plain prompt)", function()
      ctrl_c(false)
    end)

    it("is a plain prompt without readline (LCANVAS_READLINE=0), help included", function()
      local e = { LCANVAS_READLINE = "0", HOME = tmpname() }
      for k, v in pairs(env) do e[k] = v end
      start("-i", e)
      wait_for("^>$")
      keys(q("x = 6 * 7"), "Enter")
      keys("x", "Enter")
      keys("help", "Enter")
      keys("C-d")
      local lines, status = finished()
      assert.equal(0, status)
      assert.equal("> x = 6 * 7", lines[1])
      assert.equal("> x", lines[2])
      assert.equal("42", lines[3])
      assert.equal("> help", lines[4])
      assert.equal("Connected:", lines[5])
      assert.is_nil(read_file(e.HOME .. "/.lcanvas_history"))
    end)
  end)
end)
