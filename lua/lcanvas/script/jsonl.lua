--- lcanvas.script.jsonl (the `lcanvas.jsonl` field): JSON lines (one JSON
-- value per line) with lcanvas's exact-integer JSON, written
-- complete-or-absent like lcanvas.csv.
local core = require "lcanvas.core"
local outfile = require "lcanvas.script.outfile"

local M = {}

--- lcanvas.jsonl.read(path): every line's decoded value (blank lines skipped); a bad line is reported with its number.
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then error("cannot read " .. tostring(path) .. ": " .. tostring(err), 0) end
  local values, n = {}, 0
  for line in f:lines() do
    n = n + 1
    if line:find("%S") then
      -- json.decode answers nil and a message for bad text.
      local ok, v, why = pcall(core.json.decode, line)
      if not ok or (v == nil and why) then
        v = ok and why or v
        f:close()
        error(string.format("%s:%d: not valid JSON: %s", path, n, tostring(v)), 0)
      end
      values[#values + 1] = v
    end
  end
  f:close()
  return values
end

local Writer = { __name = "lcanvas.JsonlWriter" }  -- the name help(w) and tostring(w) give
Writer.__index = Writer

--- lcanvas.jsonl.writer(path): a writer whose file appears at `path` on close.
function M.writer(path)
  return setmetatable({ out = outfile.open(path), count = 0, path = path }, Writer)
end

--- JsonlWriter:write(value): writes one value as a line of JSON.
function Writer:write(value)
  self.out:write(core.json.encode(value), "\n")
  self.count = self.count + 1
  return self
end

--- JsonlWriter:close(): completes the file.
--- JsonlWriter:abort(): removes the unfinished file.
--- JsonlWriter:__close(err): `<close>`: completes the file (also on os.exit), or removes it when the block failed.
outfile.delegate(Writer)

return M
