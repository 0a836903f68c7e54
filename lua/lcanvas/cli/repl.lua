--- lcanvas.cli.repl: `lcanvas -i`, a read-eval-print loop like lua's:
-- expressions print their values, statements run, incomplete input
-- continues on the next line, and an error is reported without ending the
-- session (an os.exit or an interrupt does end it).
local lcanvas = require "lcanvas"
local report = require "lcanvas.cli.report"
local help = require "lcanvas.cli.help"

local M = {}

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

-- How lines are read: with line editing and history through Debian's
-- lua-readline when stdin is a terminal and it is installed (and
-- LCANVAS_READLINE is not 0), else a plain prompt. Returns read(prompt)
-- giving a line with its newline (nil at the end) and a done() to call
-- when the session ends.
local function line_reader(tty)
  if tty and os.getenv("LCANVAS_READLINE") ~= "0" then
    local ok, rl = pcall(require, "readline")
    if ok and type(rl) == "table" and rl.readline then
      local hist = M.history_path()
      pcall(rl.set_options, { histfile = hist or "", keeplines = 1000, completion = false })
      if rl.set_readline_name then pcall(rl.set_readline_name, "lcanvas") end
      local function read(prompt)
        local line = rl.readline(prompt)
        return line and (line .. "\n")
      end
      local function done()
        if hist then pcall(rl.save_history) end
      end
      return read, done
    end
  end
  local function read(prompt)
    if tty then
      io.stdout:write(prompt)
      io.stdout:flush()
    end
    return io.stdin:read("L")
  end
  return read, function() end
end

--- lcanvas.cli.repl.run(redact): reads and runs stdin until it ends; returns the exit status.
function M.run(redact)
  local host = package.loaded["lcanvas.host"]
  local tty = host and host.isatty and host.isatty(0)
  local read, done = line_reader(tty)
  help.install()
  local status = M.loop(read, redact)
  done()
  if tty then io.stdout:write("\n") end
  return status
end

-- The loop itself: returns the exit status.
function M.loop(read, redact)
  local buffer = ""
  while true do
    local line = read(buffer == "" and "> " or ">> ")
    -- `help` alone is a command, as in lua's own prompt habits (a bare
    -- name would only print the function).
    if line and buffer == "" and line:match("^%s*help%s*$") then line = "help()\n" end
    if not line then
      -- Input ended inside an unfinished statement: say what is wrong.
      if buffer:find("%S") then
        local _, err = load(buffer, "=stdin")
        report.say(err or "incomplete input", redact)
      end
      break
    end
    if buffer == "" and line:sub(1, 1) == "=" then line = "return " .. line:sub(2) end
    buffer = buffer .. line
    local chunk, err = load("return " .. buffer, "=stdin")
    if not chunk then chunk, err = load(buffer, "=stdin") end
    if chunk or not err:find("<eof>$") then
      buffer = ""
      if not chunk then
        report.say(err, redact)
      else
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
        else
          report.say(res[2], redact)
        end
      end
    end
  end
  return 0
end

return M
