--- lcanvas.cli.report: the one way an error leaves the `lcanvas` command
-- line: "lcanvas: " and the message on stderr, with every secret of the run
-- redacted, and the exit status it means (0..n for os.exit, 1 a script
-- error, 2 a usage or configuration error, 130 interrupted, 143 terminated,
-- 129 a hangup, 141 a broken pipe).
local outfile = require "lcanvas.script.outfile"
local is_interrupt = require("lcanvas.script.errors").is_interrupt

local M = {}

-- A usage or configuration error: exit status 2, no traceback.
M.UsageError = {}
M.UsageError.__index = M.UsageError
M.UsageError.__tostring = function(e) return e.message end

-- os.exit inside a script: unwinds (so the sandbox stops, output files
-- close, the dry-run summary prints) and then exits with the code. The
-- metatable lives in lcanvas.script.outfile so that output files closed by
-- this unwinding are completed, not removed.
M.Exit = outfile.Exit

--- lcanvas.cli.report.usage_error(fmt, ...): raises a usage or configuration error (exit status 2, one line, no traceback).
function M.usage_error(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, M.UsageError), 0)
end

--- lcanvas.cli.report.exit(code): raises the os.exit unwinding (true or nil is 0, false is 1).
function M.exit(code)
  if code == true or code == nil then code = 0 elseif code == false then code = 1 end
  error(setmetatable({ code = math.tointeger(code) or 1 }, M.Exit), 0)
end

--- lcanvas.cli.report.message(e): an error value as text (__tostring for error objects).
function M.message(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  return "(error object is a " .. type(e) .. " value)"
end

-- Errors that are an outcome rather than a failure of the code: they carry
-- no traceback and are not turned into text on the way up.
local function passes_through(e)
  local mt = getmetatable(e)
  return mt == M.Exit or mt == M.UsageError or is_interrupt(e)
end

-- The run's settings that shape a report: `verbose` (the -v count: a
-- Canvas error then gets its full traceback) and `token_from` (where each
-- token came from, {canvas = "...", catalog = "..."}, for InvalidAccessToken).
M.verbose = 0
M.token_from = {}

local function is_canvas_error(e)
  local mt = getmetatable(e)
  return type(e) == "table" and mt ~= nil and mt.__name == "lcanvas.Error"
end

-- Where lcanvas's own Lua files are ("@/.../lua/lcanvas/"), so that a
-- report can point at the script's line rather than at lcanvas's.
local own_prefix
local function is_own(source)
  if own_prefix == nil then
    local init = package.searchpath("lcanvas", package.path) or ""
    own_prefix = "@" .. (init:match("^(.*/)init%.lua$") or "\0")
  end
  return source:sub(1, #own_prefix) == own_prefix
end

--- lcanvas.cli.report.script_line(level): "file:line" of the innermost function on the stack (from `level` up) that is the script's code, not lcanvas's or C; nil when there is none.
function M.script_line(level)
  level = level or 2
  while true do
    local info = debug.getinfo(level + 1, "Sl")
    if not info then return nil end
    if info.currentline and info.currentline > 0 and info.what ~= "C" and not is_own(info.source) then
      return info.short_src .. ":" .. info.currentline
    end
    level = level + 1
  end
end

-- "a, b and c"
local function and_list(names)
  if #names < 2 then return names[1] or "" end
  return table.concat(names, ", ", 1, #names - 1) .. " and " .. names[#names]
end

--- lcanvas.cli.report.method_hint(name [, at_prompt]): for "attempt to call a nil value (method 'name')": which lcanvas types have a method of that name, or that none has, and where to go instead.
function M.method_hint(name, at_prompt)
  -- The report must never fail itself: without the type information the
  -- hint is only the way out.
  local ok, types, common = pcall(function() return require("lcanvas.cli.typeinfo").with_method(name) end)
  local which
  if not ok then
    which = nil
  elseif common then
    which = name .. " is a method of every Canvas object (User, Account, ...)"
  elseif #types > 0 then
    which = name .. " is a method of " .. and_list(types)
  else
    which = "no lcanvas type has a method " .. name
  end
  return (which and (which .. "; ") or "") ..
    (at_prompt and "help(obj)" or "help(obj) at the `lcanvas -i` prompt") .. " lists an object's methods, and " ..
    "canvas:request(method, path) or canvas:list(path) reach an endpoint lcanvas has no method for"
end

--- lcanvas.cli.report.describe(e [, at_prompt]): an error's message with what to do about it: an InvalidAccessToken names where the token came from, a call of a missing method which types have it.
function M.describe(e, at_prompt)
  local text = M.message(e)
  local missing = type(e) == "string" and e:match("attempt to call a nil value %(method '([%w_]+)'%)$")
  if missing then
    return text .. ": " .. M.method_hint(missing, at_prompt)
  end
  if is_canvas_error(e) and e.kind == "InvalidAccessToken" then
    local which = "canvas"
    local catalog = M.token_from.catalog_url
    if catalog and type(e.url) == "string" and e.url:sub(1, #catalog) == catalog then which = "catalog" end
    local from = M.token_from[which]
    if from then
      text = text .. string.format(" (the %s token came from %s: check that it is current and meant " ..
        "for this site, or give another)", which == "catalog" and "Catalog" or "Canvas", from)
    end
  end
  return text
end

--- lcanvas.cli.report.traceback(e): the xpcall handler for script code: a Canvas error is one line with the script's file:line (a traceback with -v), other failures get a traceback, outcomes are kept as they are.
function M.traceback(e)
  if passes_through(e) then return e end
  if is_canvas_error(e) and M.verbose == 0 then
    local where = M.script_line(2)
    return (where and (where .. ": ") or "") .. M.describe(e)
  end
  return debug.traceback(M.describe(e), 2)
end

--- lcanvas.cli.report.brief(e): the xpcall handler for the prompt: the message only, outcomes kept as they are.
function M.brief(e)
  if passes_through(e) then return e end
  return M.describe(e, true)
end

-- Characters a token is made of (the core's rule, src/core/secrets.c): a
-- secret shorter than 8 bytes is replaced only where it stands whole, so
-- that a short test token does not garble every word holding its letters.
local function token_char(c)
  return c ~= "" and c:find("^[%w%-_%.~%+/=\128-\255]") ~= nil
end

local function replace_secret(s, t)
  local out, i = {}, 1
  while true do
    local a, b = s:find(t, i, true)
    if not a then break end
    if #t >= 8 or (not token_char(s:sub(a - 1, a - 1)) and not token_char(s:sub(b + 1, b + 1))) then
      out[#out + 1] = s:sub(i, a - 1) .. "[REDACTED]"
    else
      out[#out + 1] = s:sub(i, b)
    end
    i = b + 1
  end
  out[#out + 1] = s:sub(i)
  return table.concat(out)
end

--- lcanvas.cli.report.redactor(): a redact(e) function giving e's message with the secrets added to its list replaced (a short one only where it stands whole), and that list.
function M.redactor()
  local secrets = {}
  local function redact(e)
    local s = M.message(e)
    for _, t in ipairs(secrets) do
      if #t > 0 then s = replace_secret(s, t) end
    end
    return s
  end
  return redact, secrets
end

--- lcanvas.cli.report.printable(s): s with every control character but newline and tab written as \xNN, so that server text cannot drive the terminal (escape sequences).
function M.printable(s)
  return (s:gsub("[%z\1-\8\11-\31\127]", function(c) return string.format("\\x%02x", c:byte()) end))
end

--- lcanvas.cli.report.say(e [, redact]): writes "lcanvas: " and e's (redacted) message on stderr, control characters escaped.
function M.say(e, redact)
  io.stderr:write("lcanvas: ", M.printable((redact or M.message)(e)), "\n")
end

--- lcanvas.cli.report.jobs_left(): ": stopped waiting for <job> (<state>), which goes on in Canvas" for the job waits an interrupt stopped (lcanvas.jobs), or "".
function M.jobs_left()
  local jobs = package.loaded["lcanvas.jobs"]
  local left = jobs and jobs.left_running() or {}
  if #left == 0 then return "" end
  return string.format(": stopped waiting for %s, which %s on in Canvas", table.concat(left, ", "),
    #left == 1 and "goes" or "go")
end

--- lcanvas.cli.report.failure(err [, redact]): reports an error that ends the run and returns its exit status (an os.exit says nothing and gives its code, plus true).
function M.failure(err, redact)
  if getmetatable(err) == M.Exit then return err.code, true end
  if getmetatable(err) == M.UsageError then
    M.say(err.message, redact)
    return 2
  end
  if is_interrupt(err) then
    -- 128 + the signal, as a shell reports a process killed by it: 130 for
    -- Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP, 141 for SIGPIPE.
    local host = package.loaded["lcanvas.host"]
    local sig = host and host.signal and host.signal() or 0
    if sig == 0 then sig = 2 end
    local what = sig == 15 and "terminated" or sig == 1 and "hangup" or sig == 13 and "broken pipe"
      or "interrupted"
    M.say(what .. M.jobs_left(), redact)
    return 128 + sig
  end
  M.say(err, redact)
  return 1
end

--- lcanvas.cli.report.ends_session(err): whether err stops the prompt (an os.exit, or the interrupt of SIGTERM, SIGHUP or SIGPIPE) rather than being reported and skipped (a Ctrl-C only stops the line).
function M.ends_session(err)
  if getmetatable(err) == M.Exit then return true end
  local host = package.loaded["lcanvas.host"]
  return is_interrupt(err) and host ~= nil and host.signal ~= nil and host.signal() > 2
end

return M
