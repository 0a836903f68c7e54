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

-- The files a script reads: a results file must never be one of them.
local inputs = {}

-- Whether two paths name one file: the same device and inode under the
-- lcanvas host, else the same path once "./" and repeated "/" are gone.
local function same_file(a, b)
  local host = package.loaded["lcanvas.host"]
  if host and host.file_id then
    local ia, ib = host.file_id(a), host.file_id(b)
    if ia and ib then return ia == ib end
  end
  local function norm(p) return (p:gsub("/+", "/"):gsub("^%./", ""):gsub("/%./", "/")) end
  return norm(a) == norm(b)
end

--- lcanvas.script.read_csv(path, required): the records (exit status 2 with the reason when the file is malformed).
function M.read_csv(path, required)
  inputs[#inputs + 1] = path
  local ok, recs, header, lines = pcall(csv.read, path, { required = required })
  if not ok then cmdline.fail("%s", tostring(recs)) end
  return recs, header, lines
end

--- lcanvas.script.check_writable(path): stops the script with exit status 2 when `path` cannot be written, or is a file the script reads (read with read_csv, or named on its command line); call it before changing anything.
function M.check_writable(path)
  -- A results file named like the input would replace the input with the
  -- results. The inputs are the files read so far and the files named on
  -- the command line (not read yet), less the one naming the output as an
  -- option's value (--results FILE).
  local function refuse(p)
    cmdline.fail("%s: refusing to write %s: it is the input %s; nothing was changed",
      cmdline.name(), path, p)
  end
  for _, p in ipairs(inputs) do
    if same_file(p, path) then refuse(p) end
  end
  local argv = type(arg) == "table" and arg or {}
  local as_value = false
  for i, a in ipairs(argv) do
    local f = type(a) == "string" and io.open(a, "rb")
    if f then
      f:close()
      if same_file(a, path) then
        if a == path and not as_value and i > 1 and tostring(argv[i - 1]):match("^%-%-") then
          as_value = true
        else
          refuse(a)
        end
      end
    end
  end
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
