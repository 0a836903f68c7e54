--- lcanvas.script.errors: how a script tells a row's failure from a reason
-- to stop (an interrupt, os.exit), and turns an error into one line.
local outfile = require "lcanvas.script.outfile"
local cmdline = require "lcanvas.script.cmdline"

local M = {}

--- lcanvas.script.is_interrupt(err): whether err is the host's Ctrl-C (or SIGTERM) interrupt: "interrupted" raised in Lua, or the Interrupted lcanvas.Error of a request it stopped.
function M.is_interrupt(err)
  if type(err) == "string" then return err == "interrupted" or err:find(": interrupted$") ~= nil end
  if type(err) ~= "table" and type(err) ~= "userdata" then return false end
  local ok, kind = pcall(function() return err.kind end)
  return ok and kind == "Interrupted"
end

--- lcanvas.script.try(fn, ...): pcall for one row (true and fn's results, or false and the error); an interrupt (Ctrl-C) or os.exit is not a row failure and keeps unwinding.
function M.try(fn, ...)
  local r = table.pack(pcall(fn, ...))
  if not r[1] and (outfile.is_exit(r[2]) or M.is_interrupt(r[2])) then
    error(r[2], 0)
  end
  return table.unpack(r, 1, r.n)
end

--- lcanvas.script.wait(job [, opts]): job:wait(opts) for a script: a wait that times out stops the script with exit status 1, saying the job goes on in Canvas; returns the job and its final state.
function M.wait(job, opts)
  local ok, obj, state = pcall(job.wait, job, opts)
  if ok then return obj, state end
  if require("lcanvas").is_error(obj, "Timeout") then
    io.stderr:write(cmdline.name(), ": ", obj.message, "; it goes on in Canvas\n")
    os.exit(cmdline.ROW_FAILED)
  end
  error(obj, 0)
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

return M
