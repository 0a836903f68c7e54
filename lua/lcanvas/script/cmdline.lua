--- lcanvas.script.cmdline: a script's own command line (not lcanvas's: see
-- lcanvas.cli.options): `--name value`, `--name=value` and `--flag`
-- anywhere among the positional arguments, --help, and the documented exit
-- statuses, with a bad usage stopping the script at exit status 2.
local M = {}

-- Exit statuses the scripts document.
--- lcanvas.script.OK: exit status 0, every row done.
--- lcanvas.script.ROW_FAILED: exit status 1, some rows failed (listed at the end).
--- lcanvas.script.BAD_INPUT: exit status 2, bad usage or input; nothing was changed.
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

--- lcanvas.script.seconds(opts, name): the option opts[name] as a number of seconds above 0 (nil when not given); anything else stops the script with exit status 2.
function M.seconds(opts, name)
  local v = opts[name]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n <= 0 or n ~= n or n == math.huge then
    M.fail("%s: --%s must be a number of seconds (got '%s')", M.name(), (name:gsub("_", "-")), tostring(v))
  end
  return n
end

--- lcanvas.script.unknown_option(word, argv): the message for an option the script does not take; for one of lcanvas's own (--dry-run, --sandbox, -v ...) it shows the command line with it before the script.
function M.unknown_option(word, argv)
  local ok, options = pcall(require, "lcanvas.cli.options")
  local own = ok and options.own_option(word)
  if not own then return string.format("%s: unknown option %s (see --help)", M.name(), word) end
  local script = type(_G.arg) == "table" and _G.arg[0] or "SCRIPT"
  local line = options.corrected({ script, table.unpack(argv) }, 2, 1)
  return string.format("%s: %s is an option of lcanvas, not of this script; put it before " ..
    "the script's name: %s", M.name(), own, line)
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
      if not kind then M.fail("%s", M.unknown_option(a, argv)) end
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

return M
