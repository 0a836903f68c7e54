--- lcanvas.script: what the bundled automation scripts share: option
-- parsing with --help, user references from a CSV cell, and a results
-- file that says per row what happened and decides the exit status.
local csv = require "lcanvas.csv"
local progress = require "lcanvas.progress"
local outfile = require "lcanvas.outfile"

local M = {}

-- Exit statuses the scripts document.
M.OK, M.ROW_FAILED, M.BAD_INPUT = 0, 1, 2

--- lcanvas.script.name(): the running script's name (arg[0] without directory and .lua), for messages.
function M.name()
  local a0 = type(_G.arg) == "table" and _G.arg[0] or nil
  if type(a0) ~= "string" then return "script" end
  return (a0:match("([^/]+)$"):gsub("%.lua$", ""))
end

--- lcanvas.script.fail(fmt, ...): stops the script with exit status 2 (bad usage or input; nothing was changed).
function M.fail(fmt, ...)
  io.stderr:write(string.format(fmt, ...), "\n")
  os.exit(M.BAD_INPUT)
end

--- lcanvas.script.options(usage, spec, argv): parses `--name value` and `--flag` options (spec: name -> "value"|"flag"), prints usage for --help, returns options and positional arguments.
function M.options(usage, spec, argv)
  local o, pos = {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "-h" or a == "--help" then
      io.write(usage)
      os.exit(0)
    end
    local name, inline = a:match("^%-%-([%w-]+)=(.*)$")
    name = name or a:match("^%-%-([%w-]+)$")
    if name then
      local key = name:gsub("-", "_")
      local kind = spec[key]
      if not kind then M.fail("unknown option --%s (see --help)", name) end
      if kind == "flag" then
        o[key] = true
      else
        if inline == nil then
          i = i + 1
          inline = argv[i]
          if inline == nil then M.fail("option --%s needs a value (see --help)", name) end
        end
        o[key] = inline
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return o, pos
end

local ID_TYPES = { sis_user_id = true, sis_login_id = true, sis_integration_id = true,
  lti_user_id = true, uuid = true, lti_context_id = true }

--- lcanvas.script.user_ref(cell): a user reference for a path: a Canvas id (digits), `type:value` (sis_user_id:X, sis_login_id:Y, ...) as given, anything else a login id (sis_login_id:).
function M.user_ref(cell)
  if type(cell) ~= "string" then return nil, "empty" end
  cell = cell:match("^%s*(.-)%s*$")
  if cell == "" then return nil, "empty" end
  if cell:match("^%d+$") then return math.tointeger(tonumber(cell)) or cell end
  local t = cell:match("^([%w_]+):")
  if t and ID_TYPES[t:lower()] then return cell end
  return "sis_login_id:" .. cell
end

--- lcanvas.script.default_results(input, suffix): "<input without .csv>.<suffix>" next to the input.
function M.default_results(input, suffix)
  return (input:gsub("%.[Cc][Ss][Vv]$", "")) .. "." .. suffix
end

local Run = {}
Run.__index = Run

--- lcanvas.script.run(name, total): counts outcomes per status, shows progress, remembers failures.
function M.run(name, total)
  return setmetatable({ name = name, counts = {}, order = {}, failures = {},
    progress = progress.new(name, total) }, Run)
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
  self.progress:add(1)
end

--- ScriptRun:finish([results_path]): prints the summary (and failures) on stderr; returns the exit status.
function Run:finish(results_path)
  self.progress:finish()
  local parts = {}
  for _, s in ipairs(self.order) do parts[#parts + 1] = self.counts[s] .. " " .. s end
  io.stderr:write(string.format("%s: %s%s\n", self.name,
    #parts > 0 and table.concat(parts, ", ") or "nothing to do",
    results_path and (" (results in " .. results_path .. ")") or ""))
  if #self.failures > 0 then
    io.stderr:write(string.format("%s: %d row%s failed:\n", self.name, #self.failures,
      #self.failures == 1 and "" or "s"))
    for _, f in ipairs(self.failures) do io.stderr:write("  ", f, "\n") end
    return M.ROW_FAILED
  end
  return M.OK
end

--- lcanvas.script.read_csv(path, required): the records (exit status 2 with the reason when the file is malformed).
function M.read_csv(path, required)
  local ok, recs, header, lines = pcall(csv.read, path, { required = required })
  if not ok then M.fail("%s", tostring(recs)) end
  return recs, header, lines
end

--- lcanvas.script.check_writable(path): stops the script with exit status 2 when `path` cannot be written; call it before changing anything.
function M.check_writable(path)
  -- Creating (and removing) the output's temporary file is the real test:
  -- same directory, same permissions as the final write.
  local ok, f = pcall(outfile.open, path)
  if not ok then
    M.fail("%s: %s; nothing was changed", M.name(), (tostring(f):gsub("^[^\n]-:%d+: ", "")))
  end
  f:abort()
  -- A directory of that name would only fail the final rename, after the changes.
  local existing = io.open(path, "rb")
  if existing then
    local data, err = existing:read(1)
    existing:close()
    if data == nil and err then M.fail("%s: cannot write %s: %s; nothing was changed", M.name(), path, err) end
  end
end

--- lcanvas.script.try(fn): pcall for one row; an interrupt (Ctrl-C) or os.exit is not a row failure and keeps unwinding.
function M.try(fn, ...)
  local ok, err = pcall(fn, ...)
  if not ok and (outfile.is_exit(err) or (type(err) == "string" and
      (err == "interrupted" or err:find(": interrupted$")))) then
    error(err, 0)
  end
  return ok, err
end

--- lcanvas.script.message(err): a one-line reason from an error (an lcanvas.Error's kind and message).
function M.message(err)
  if type(err) == "table" or type(err) == "userdata" then
    local ok, kind = pcall(function() return err.kind end)
    if ok and kind then
      local msg = err.message
      return kind .. (msg and msg ~= "" and (": " .. msg) or "")
    end
  end
  return (tostring(err):gsub("\n.*", ""))
end

--- lcanvas.script.is_not_found(err): whether err is a ResourceDoesNotExist lcanvas.Error.
function M.is_not_found(err)
  return require("lcanvas").is_error(err, "ResourceDoesNotExist")
end

--- lcanvas.script.resolve_users(refs): looks up every distinct user once; returns the users by reference and the references Canvas does not know. Any other error (network, token, permission) stops the script at once with exit status 1, nothing changed.
function M.resolve_users(refs)
  local found, bad = {}, {}
  for _, ref in ipairs(refs) do
    if found[ref] == nil and bad[ref] == nil then
      local ok, u = M.try(canvas.get_user, canvas, ref)
      if ok then found[ref] = u
      elseif M.is_not_found(u) then bad[ref] = "no such user"
      else
        -- Not a fact about the input: every other user would fail the same
        -- way (after its retries), so stop now rather than list them all.
        io.stderr:write(string.format("%s: cannot look up user %s: %s\n%s: stopped before any change; nothing was changed\n",
          M.name(), tostring(ref), M.message(u), M.name()))
        os.exit(M.ROW_FAILED)
      end
    end
  end
  return found, bad
end

--- lcanvas.script.read_user_csv(path, columns): reads a CSV whose `columns` hold users (login ids or `sis_user_id:` ids), looks each user up once; returns the rows (each with `<column>_ref`), their line numbers, the users by reference and a list of problems, one line each (empty or unknown users, and rows naming the same users as an earlier row, however spelled).
function M.read_user_csv(path, columns)
  local rows, _, lines = M.read_csv(path, columns)
  local refs, problems = {}, {}
  for _, row in ipairs(rows) do
    for _, col in ipairs(columns) do
      row[col .. "_ref"] = M.user_ref(row[col])
      refs[#refs + 1] = row[col .. "_ref"]
    end
  end
  local users, unknown = M.resolve_users(refs)
  local first_line = {}  -- resolved ids of a row -> the line they first appear on
  for i, row in ipairs(rows) do
    local ids, complete = {}, true
    for _, col in ipairs(columns) do
      local ref = row[col .. "_ref"]
      if not ref then
        problems[#problems + 1] = string.format("line %d: the %s is empty", lines[i], col)
        complete = false
      elseif unknown[ref] then
        problems[#problems + 1] = string.format("line %d: %s '%s': %s", lines[i], col, row[col], unknown[ref])
        complete = false
      else
        ids[#ids + 1] = tostring(users[ref].id)
      end
    end
    if complete then
      -- Compared by Canvas id: a login and a sis_user_id of one user match.
      local key = table.concat(ids, ",")
      if first_line[key] then
        problems[#problems + 1] = string.format("line %d: same %s as line %d", lines[i],
          table.concat(columns, " and "), first_line[key])
      else
        first_line[key] = lines[i]
      end
    end
  end
  return rows, lines, users, problems
end

return M
