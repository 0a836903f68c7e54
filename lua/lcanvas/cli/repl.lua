--- lcanvas.cli.repl: `lcanvas -i`, a read-eval-print loop like lua's:
-- expressions print their values, statements run, incomplete input
-- continues on the next line, and an error is reported without ending the
-- session. Ctrl-C stops the line that runs (a request in flight too) and
-- the session goes on with its globals; at an idle prompt it drops the
-- line being typed. An os.exit or SIGTERM ends the session.
local lcanvas = require "lcanvas"
local report = require "lcanvas.cli.report"
local help = require "lcanvas.cli.help"
local is_interrupt = require("lcanvas.script.errors").is_interrupt

local M = {}

-- The executable's signal functions (src/host/main.c); stand-ins when
-- the loop runs elsewhere (a Lua state without the host).
local host = package.loaded["lcanvas.host"] or {}
local function signal() return host.signal and host.signal() or 0 end
local function idle(flag) if host.prompt_idle then host.prompt_idle(flag) end end
local function clear() if host.interrupt_clear then host.interrupt_clear() end end
local function wait_input() return not host.wait_input or host.wait_input(0) end

-- Prints a value for the prompt. A plain table is JSON, with the lcanvas
-- objects in it as their data (a list of courses is its courses, not their
-- ids); an object on its own, a PaginatedList (never fetched to print it)
-- and anything else print with tostring, short and readable.
local function show(v)
  if type(v) == "table" and getmetatable(v) == nil then
    local ok, s = pcall(lcanvas.json.encode, v)
    if ok then return s end
  end
  return tostring(v)
end

--- lcanvas.cli.repl.history_path(): where the prompt keeps its history ($LCANVAS_HISTORY, else ~/.lcanvas_history).
function M.history_path()
  local p = os.getenv("LCANVAS_HISTORY")
  if p and p ~= "" then return p end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.lcanvas_history" end
end

-- Line editing and history through Debian's lua-readline: its options
-- and history, with the lines read by host.readline (GNU readline's
-- callback interface, where a Ctrl-C ends the wait for a line; readline()
-- would take the signal and go on reading). Without host.readline (or
-- when it cannot find readline's functions), lua-readline's own
-- readline(): a Ctrl-C then drops the line only once it is entered.
local function readline_reader(rl)
  local hist = M.history_path()
  pcall(rl.set_options, { histfile = hist or "", keeplines = 1000, completion = false })
  if rl.set_readline_name then pcall(rl.set_readline_name, "lcanvas") end
  local module = host.readline and package.searchpath("C-readline", package.cpath)
  local previous
  local function read(prompt)
    local line
    if module then
      local ok, l = pcall(host.readline, module, prompt)
      if ok then line = l else module = nil end
    end
    if not module then
      line = rl.readline(prompt)
      return line and (line .. "\n")
    end
    if line == false then
      io.stdout:write("\n")  -- (after the ^C host.readline showed)
      io.stdout:flush()
      return false
    end
    if not line then return nil end
    -- History as lua-readline's readline() keeps it: no one-character
    -- lines, no line twice in a row.
    if #line >= 2 and line ~= previous then
      rl.add_history(line)
      previous = line
    end
    return line .. "\n"
  end
  local function done()
    if hist then pcall(rl.save_history) end
  end
  return read, done
end

-- How lines are read: with line editing and history through lua-readline
-- when stdin is a terminal and it is installed (and LCANVAS_READLINE is
-- not 0), else a plain prompt. Returns read(prompt) giving a line with its
-- newline, nil at the end, or false when a signal ended the wait; and a
-- done() to call when the session ends.
local function line_reader(tty)
  if tty and os.getenv("LCANVAS_READLINE") ~= "0" then
    local ok, rl = pcall(require, "readline")
    if ok and type(rl) == "table" and rl.readline then
      return readline_reader(rl)
    end
  end
  local function read(prompt)
    if tty then
      io.stdout:write(prompt)
      io.stdout:flush()
      -- A terminal hands over one line per read, so none waits in stdin's
      -- buffer: wait here, where a signal is never missed. (From a pipe,
      -- the next lines may be buffered already: read at once.)
      if not wait_input() then
        io.stdout:write("\n")  -- after the ^C the terminal echoed
        return false
      end
    end
    local line, err
    if signal() == 0 then line, err = io.stdin:read("L") end
    if line == nil and signal() ~= 0 then
      -- (EINTR: the read ends on a signal.) The terminal echoed ^C: end its line.
      if tty then io.stdout:write("\n") end
      return false
    end
    if line == nil and err then error("reading stdin: " .. tostring(err), 0) end
    return line
  end
  return read, function() end
end

--- lcanvas.cli.repl.run(redact): reads and runs stdin until it ends; returns the exit status.
function M.run(redact)
  local tty = host.isatty and host.isatty(0)
  if host.prompt_signals then host.prompt_signals(report.brief) end
  local read, done = line_reader(tty)
  help.install()
  local status = M.loop(read, redact, tty)
  done()
  if tty then io.stdout:write("\n") end
  return status
end

-- After a signal: SIGTERM ends the session as it ends a script (exit 143);
-- Ctrl-C is over once the core sends requests again. Returns the exit
-- status when the session ends.
local function after_signal(state)
  if signal() > 2 then return (report.failure("interrupted")) end
  clear()
  state.buffer = ""
end

-- Reports a line stopped by Ctrl-C: "interrupted", or the Interrupted
-- error of the request it stopped.
local function say_interrupted(err, redact, tty)
  -- The terminal echoed ^C where the output was: start a line of our own.
  if tty then io.stderr:write("\n") end
  report.say((type(err) == "string" and "interrupted" or report.describe(err)) .. report.jobs_left(), redact)
end

-- Runs one complete chunk and prints its values or its error; returns the
-- exit status when the session ends.
local function run_chunk(state, chunk, redact, tty)
  local res = table.pack(xpcall(chunk, report.brief))
  if res[1] then
    if res.n > 1 then
      local out = {}
      for i = 2, res.n do out[#out + 1] = show(res[i]) end
      io.stdout:write(table.concat(out, "\t"), "\n")
      io.stdout:flush()
    end
  elseif report.ends_session(res[2]) then
    return (report.failure(res[2], redact))
  elseif is_interrupt(res[2]) then
    say_interrupted(res[2], redact, tty)
  else
    report.say(res[2], redact)
  end
  -- A signal the line took in (its own pcall) is over with the line too.
  if signal() ~= 0 then return after_signal(state) end
end

-- One turn: read a line, run the statement once it is complete. Returns
-- the exit status when the session ends.
local function turn(state, read, redact, tty)
  idle(true)
  local line = read(state.buffer == "" and "> " or ">> ")
  idle(false)
  if line == false or signal() ~= 0 then
    -- Ctrl-C at the prompt: the line being typed (and a statement left
    -- unfinished) is dropped. (A line read just before the signal came is
    -- dropped too; the terminal echoed ^C after it.)
    if tty and line then io.stdout:write("\n") end
    return after_signal(state)
  end
  -- `help` alone is a command, as in lua's own prompt habits (a bare
  -- name would only print the function).
  if line and state.buffer == "" and line:match("^%s*help%s*$") then line = "help()\n" end
  if not line then
    -- Input ended inside an unfinished statement: say what is wrong.
    if state.buffer:find("%S") then
      local _, err = load(state.buffer, "=stdin")
      report.say(err or "incomplete input", redact)
    end
    return 0
  end
  if state.buffer == "" and line:sub(1, 1) == "=" then line = "return " .. line:sub(2) end
  state.buffer = state.buffer .. line
  local chunk, err = load("return " .. state.buffer, "=stdin")
  if not chunk then chunk, err = load(state.buffer, "=stdin") end
  if chunk or not err:find("<eof>$") then
    state.buffer = ""
    if not chunk then
      report.say(err, redact)
    else
      return run_chunk(state, chunk, redact, tty)
    end
  end
end

-- After a turn stopped by an interrupt outside the line (a Ctrl-C while
-- the prompt printed a value or reported an error): the session goes on.
local function recover(state, err, redact, tty)
  idle(false)
  if signal() > 2 then return (report.failure(err)) end
  say_interrupted(err, redact, tty)
  clear()
  state.buffer = ""
end

--- lcanvas.cli.repl.loop(read, redact [, tty]): the loop itself: returns the exit status.
function M.loop(read, redact, tty)
  local state = { buffer = "" }
  while true do
    local ok, status = pcall(turn, state, read, redact, tty)
    -- (recovering may be interrupted in turn, by another Ctrl-C)
    while not ok do
      if not is_interrupt(status) then
        idle(false)
        error(status, 0)
      end
      ok, status = pcall(recover, state, status, redact, tty)
    end
    if status then return status end
  end
end

return M
