--- lcanvas.script.outfile (the `lcanvas.outfile` field): an output file
-- that appears complete or not at all.
-- Writes go to a temporary file in the same directory (so the final rename
-- stays on one file system and is atomic); close() renames it into place,
-- and an error, an interrupt or a forgotten close removes it instead.
-- Leaving through os.exit under the lcanvas host is not a failure: the
-- host turns it into an Exit error (to unwind and clean up), and a file
-- closed by that error is completed, as on a normal return.
local M = {}

-- The metatable of the error the lcanvas host raises for os.exit(code)
-- ({ code = n }); shared so that `<close>` handlers and row pcalls can tell
-- a deliberate exit from a failure.
--- lcanvas.outfile.Exit: the metatable of the host's os.exit unwinding ({code = n}); see is_exit.
M.Exit = { __name = "lcanvas.Exit" }
M.Exit.__tostring = function(e) return "exit " .. tostring(e.code) end

--- lcanvas.outfile.is_exit(err): whether err is the host's os.exit unwinding (which completes output files) rather than a failure.
function M.is_exit(err)
  return getmetatable(err) == M.Exit
end

-- Under `lcanvas --dry-run` (which sets this) an output file never
-- replaces the real one: it is written beside it, codes.csv as
-- codes.dry-run.csv, and closing it says so on stderr.
--- lcanvas.outfile.dry_run: true under `lcanvas --dry-run`: files are then written beside the real ones (see target).
M.dry_run = false

--- lcanvas.outfile.target(path): where a write to `path` lands: `path` itself, or under a dry run the file beside it (codes.csv gives codes.dry-run.csv).
function M.target(path)
  if not M.dry_run or type(path) ~= "string" then return path end
  local stem, ext = path:match("^(.*[^/])(%.[^./]+)$")
  if stem then return stem .. ".dry-run" .. ext end
  return path .. ".dry-run"
end

local Outfile = { __name = "lcanvas.Outfile" }  -- the name help(f) and tostring(f) give
Outfile.__index = Outfile

local seq = 0

--- lcanvas.outfile.open(path [, opts]): a file whose writes land at `path` only on close(); opts.dry_run = true writes beside it as a dry run does (a dry-run client's download).
function M.open(path, opts)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'open' (a file path expected, got " .. type(path) .. ")", 2)
  end
  local asked = path
  if opts and opts.dry_run and not M.dry_run then
    M.dry_run = true
    path = M.target(path)
    M.dry_run = false
  else
    path = M.target(path)
  end
  local dir, base = path:match("^(.*/)([^/]+)$")
  if not dir then dir, base = "", path end
  seq = seq + 1
  local tmp = string.format("%s.%s.tmp-%d-%d-%d", dir, base, os.time(), math.random(1e9), seq)
  local f, err = io.open(tmp, "wb")
  if not f then
    -- io.open names the temporary file; the caller knows only `path`.
    err = tostring(err)
    if err:sub(1, #tmp + 2) == tmp .. ": " then err = err:sub(#tmp + 3) end
    error("cannot write " .. path .. ": " .. err, 2)
  end
  return setmetatable({ path = path, asked = asked, tmp = tmp, f = f }, Outfile)
end

--- Outfile:write(...): writes strings (like file:write).
function Outfile:write(...)
  if not self.f then error("write to a closed output file (" .. self.path .. ")", 2) end
  local ok, err = self.f:write(...)
  if not ok then error("cannot write " .. self.path .. ": " .. tostring(err), 2) end
  return self
end

--- Outfile:close(): completes the file (renames it into place).
function Outfile:close()
  if not self.f then return self.committed end
  local f = self.f
  self.f = nil
  local ok, err = f:close()
  if ok then ok, err = os.rename(self.tmp, self.path) end
  if not ok then
    os.remove(self.tmp)
    error("cannot write " .. self.path .. ": " .. tostring(err), 2)
  end
  self.committed = true
  if self.asked ~= self.path then
    io.stderr:write(string.format("dry run: wrote %s instead of %s (left as it was)\n", self.path, self.asked))
  end
  return true
end

--- Outfile:abort(): drops what was written; the destination is untouched.
function Outfile:abort()
  if not self.f then return end
  self.f:close()
  self.f = nil
  os.remove(self.tmp)
end

--- Outfile:__close(err): `<close>`: completes the file on a normal exit from the block or os.exit, removes it on an error (including Ctrl-C).
function Outfile:__close(err)
  if err ~= nil and not M.is_exit(err) then self:abort() else self:close() end
end

-- Never completed (no close, no <close>): incomplete, so removed.
Outfile.__gc = Outfile.abort

-- Writers built on an output file (csv.lua, jsonl.lua) keep it in `self.out`
-- and share these three: close completes it, abort removes it, and `<close>`
-- does one or the other as the block ended.
--- lcanvas.outfile.delegate(Writer): gives a writer class built on an output file (in `self.out`) close, abort and `<close>`.
function M.delegate(Writer)
  function Writer:close() return self.out:close() end
  function Writer:abort() return self.out:abort() end
  function Writer:__close(err)
    if err ~= nil and not M.is_exit(err) then self.out:abort() else self.out:close() end
  end
end

return M
