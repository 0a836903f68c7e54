--- lcanvas.script.tally: a script's tally of per-row outcomes: counts per
-- status, a status line, the failures listed at the end, and the exit
-- status they decide.
local statusline = require "lcanvas.script.statusline"
local cmdline = require "lcanvas.script.cmdline"
local outfile = require "lcanvas.script.outfile"
local errors = require "lcanvas.script.errors"

local M = {}

local Run = { __name = "lcanvas.ScriptRun" }  -- the name help(run) and tostring(run) give
Run.__index = Run

--- lcanvas.script.run(name, total): counts outcomes per status, shows progress, remembers failures.
function M.run(name, total)
  return setmetatable({ name = name, counts = {}, order = {}, failures = {},
    statusline = statusline.new(name, total) }, Run)
end

--- ScriptRun:record(status [, line, message]): counts one row's outcome ("failed" rows are listed at the end).
function Run:record(status, line, message)
  if not self.counts[status] then
    self.counts[status] = 0
    self.order[#self.order + 1] = status
  end
  self.counts[status] = self.counts[status] + 1
  if status == "failed" then
    self.failures[#self.failures + 1] = string.format("line %s: %s", tostring(line), tostring(message))
  end
  self.statusline:add(1)
end

--- ScriptRun:write(out, result [, err]): one row's result into the results file `out` and the tally; with `err` (what script.try caught) the row failed: status "failed" and the error's one-line message. result.line names the row.
function Run:write(out, result, err)
  if err ~= nil then
    result.status, result.message = "failed", errors.message(err)
  end
  out:write(result)
  self:record(result.status, result.line, result.message)
end

--- ScriptRun:finish([results_path]): prints the summary (and failures) on stderr; returns the exit status.
function Run:finish(results_path)
  self.statusline:finish()
  local parts = {}
  for _, s in ipairs(self.order) do parts[#parts + 1] = self.counts[s] .. " " .. s end
  io.stderr:write(string.format("%s: %s%s\n", self.name,
    #parts > 0 and table.concat(parts, ", ") or "nothing to do",
    results_path and (" (results in " .. outfile.target(results_path) .. ")") or ""))
  if #self.failures > 0 then
    io.stderr:write(string.format("%s: %d row%s failed:\n", self.name, #self.failures,
      #self.failures == 1 and "" or "s"))
    for _, f in ipairs(self.failures) do io.stderr:write("  ", f, "\n") end
    return cmdline.ROW_FAILED
  end
  return cmdline.OK
end

return M
