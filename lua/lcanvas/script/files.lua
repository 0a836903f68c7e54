--- lcanvas.script.files: a script's input and results files: the input
-- CSV read or the script stopped with the reason, the results file checked
-- writable before anything changes, and its default name.
local csv = require "lcanvas.script.csv"
local outfile = require "lcanvas.script.outfile"
local cmdline = require "lcanvas.script.cmdline"

local M = {}

--- lcanvas.script.default_results(input, suffix): "<input without .csv>.<suffix>" next to the input.
function M.default_results(input, suffix)
  return (input:gsub("%.[Cc][Ss][Vv]$", "")) .. "." .. suffix
end

--- lcanvas.script.read_csv(path, required): the records (exit status 2 with the reason when the file is malformed).
function M.read_csv(path, required)
  local ok, recs, header, lines = pcall(csv.read, path, { required = required })
  if not ok then cmdline.fail("%s", tostring(recs)) end
  return recs, header, lines
end

--- lcanvas.script.check_writable(path): stops the script with exit status 2 when `path` cannot be written; call it before changing anything.
function M.check_writable(path)
  -- Creating (and removing) the output's temporary file is the real test:
  -- same directory, same permissions as the final write.
  local ok, f = pcall(outfile.open, path)
  if not ok then
    cmdline.fail("%s: %s; nothing was changed", cmdline.name(), (tostring(f):gsub("^[^\n]-:%d+: ", "")))
  end
  f:abort()
  -- A directory of that name would only fail the final rename, after the changes.
  local existing = io.open(path, "rb")
  if existing then
    local data, err = existing:read(1)
    existing:close()
    if data == nil and err then
      cmdline.fail("%s: cannot write %s: %s; nothing was changed", cmdline.name(), path, err)
    end
  end
end

return M
