--- lcanvas.cli.repl: `lcanvas -i`, a read-eval-print loop like lua's:
-- expressions print their values, statements run, incomplete input
-- continues on the next line, and an error is reported without ending the
-- session (an os.exit or an interrupt does end it).
local lcanvas = require "lcanvas"
local report = require "lcanvas.cli.report"

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

--- lcanvas.cli.repl.run(redact): reads and runs stdin until it ends; returns the exit status.
function M.run(redact)
  local host = package.loaded["lcanvas.host"]
  local tty = host and host.isatty and host.isatty(0)
  local buffer = ""
  while true do
    if tty then
      io.stdout:write(buffer == "" and "> " or ">> ")
      io.stdout:flush()
    end
    local line = io.stdin:read("L")
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
  if tty then io.stdout:write("\n") end
  return 0
end

return M
