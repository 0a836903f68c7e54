--- lcanvas.cli.options: the `lcanvas` command's own options and its help
-- text. Unlike a script's options (lcanvas.script.cmdline), they stop at
-- the script's name, as lua's do: what follows belongs to the script.
local report = require "lcanvas.cli.report"

local usage_error = report.usage_error

local M = {}

M.USAGE = [[
usage: lcanvas [options] SCRIPT [args...]
       lcanvas [options] run SCRIPT [args...]
       lcanvas [options] -e CODE [-i]
       lcanvas [options] -i
       lcanvas [options] -- SCRIPT [args...]
       lcanvas sandbox [--port N] [--host ADDR] [--seed FILE] [--catalog] [--quiet]
       lcanvas --help | --version

Runs a Lua 5.4 script with `arg` set as lua does and a global `canvas`
connected to Canvas (and `catalog` when a Catalog is configured).
lcanvas's options go before the script's name; one after it (such as
--dry-run) is refused with the corrected command line, unless `--` hands
everything after the script to it.

options:
  --url URL          Canvas base URL, the site's origin such as
                     https://school.instructure.com (default:
                     $CANVAS_API_URL, then the config file's profile)
  --token-file FILE  read the API token from FILE (default: $CANVAS_API_TOKEN,
                     then the profile); the file must not be readable by
                     group or others
  --refresh-file FILE
                     OAuth2 refresh credentials: a JSON object or Lua table
                     with client_id, client_secret and refresh_token (mode
                     600 like a token file); the token is then refreshed
                     when it expires, and may be left out
  --profile NAME     use profile NAME of the config file
                     ($XDG_CONFIG_HOME/lcanvas/config.lua, else
                     ~/.config/lcanvas/config.lua) instead of its default
  --catalog-url URL, --catalog-token-file FILE
                     the Catalog (default: $CANVAS_CATALOG_URL and
                     $CANVAS_CATALOG_TOKEN, then the profile)
                     A token is only sent to the URL given with it: one
                     from a level (environment, profile) that names
                     another URL than the one in use is refused
  --sandbox          start a local sandbox Canvas with demo data, point
                     `canvas` at it, and stop it when the script ends
  --dry-run          send reads, but only print POST/PUT/PATCH/DELETE
                     requests (on stderr) and count them; methods answer
                     with what they would have sent (marked dry_run), and
                     output files go beside the real ones (x.dry-run.csv)
  -v, --verbose      one line per request on stderr; -vv adds the bodies;
                     a Canvas error then shows its full traceback; with
                     --sandbox, the sandbox names requests it has no
                     route for
  -q, --quiet        no progress line
  -e CODE            run CODE instead of a script
  -i                 interactive prompt (after -e CODE, if given); line
                     editing and history with lua-readline; type `help`
  -h, --help         show this help
  --version          show the version

Environment: CANVAS_API_URL, CANVAS_API_TOKEN, CANVAS_CATALOG_URL,
CANVAS_CATALOG_TOKEN, XDG_CONFIG_HOME; LCANVAS_PROGRESS (1 forces the
progress line on, 0 off), LCANVAS_READLINE (0: a plain prompt),
LCANVAS_HISTORY (the prompt's history file, default ~/.lcanvas_history).

Exit status: 0 success, 1 a script error (or what the script returned or
passed to os.exit), 2 a usage or configuration error, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP), 141 broken pipe
(SIGPIPE). See `man lcanvas` and doc/reference.md.
]]

-- lcanvas's own options that change how a script runs, and whether each
-- takes a value. After the script's name they would silently go to the
-- script (`lcanvas codes.lua 1 --dry-run` would make real changes), so
-- they are refused there. --help and --version are not among them: a
-- script answers its own --help.
M.OWN = { ["--url"] = true, ["--token-file"] = true, ["--refresh-file"] = true,
  ["--profile"] = true, ["--catalog-url"] = true, ["--catalog-token-file"] = true,
  ["--sandbox"] = false, ["--dry-run"] = false, ["-v"] = false, ["-vv"] = false,
  ["--verbose"] = false, ["-q"] = false, ["--quiet"] = false }

--- lcanvas.cli.options.own_option(word): the option name when word is one of lcanvas's own run options (`--dry-run`, `--url=X` ...), else nil.
function M.own_option(word)
  local name = type(word) == "string" and (word:match("^(%-%-[%w-]+)=") or word)
  if name and M.OWN[name] ~= nil then return name end
end

--- lcanvas.cli.options.corrected(argv, first, at): the command line with lcanvas's own options found from argv[first] on moved to position `at` (before the script); returns it as shell words and the names moved.
function M.corrected(argv, first, at)
  local shell = require "lcanvas.cli.shell"
  local rest, moved, names = {}, {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name = i >= first and M.own_option(a)
    if name then
      names[#names + 1] = name
      moved[#moved + 1] = a
      if M.OWN[name] and not a:find("=", 1, true) and argv[i + 1] then
        i = i + 1
        moved[#moved + 1] = argv[i]
      end
    else
      rest[#rest + 1] = { a, i }
    end
    i = i + 1
  end
  local kept = {}
  for _, r in ipairs(rest) do
    if r[2] == at then for _, m in ipairs(moved) do kept[#kept + 1] = m end end
    kept[#kept + 1] = r[1]
  end
  local words = { "lcanvas" }
  for _, w in ipairs(kept) do
    words[#words + 1] = w:match("^[%w%-_./=:@,+]+$") and w or shell.quote(w)
  end
  return table.concat(words, " "), names
end

-- Refuses lcanvas's own options after the script name (or among -e CODE's
-- arguments), showing the command line that means what was probably
-- meant. `lcanvas [options] -- SCRIPT args...` still passes them to the
-- script.
function M.check_misplaced(argv, o)
  local first = #argv - #o.script_args + 1
  for j = first, #argv do
    if M.own_option(argv[j]) then
      local line, names = M.corrected(argv, first, o.script and first - 1 or first)
      local them = #names == 1 and "it" or "them"
      usage_error("%s after the script name would go to the script, not to lcanvas; " ..
        "put %s before the script: %s (`lcanvas -- SCRIPT args...` passes %s to the script)",
        table.concat(names, ", "), them, line, them)
    end
  end
end

--- lcanvas.cli.options.parse(argv): lcanvas's own options up to the script name (or -e CODE, run SCRIPT, sandbox ...); the rest is the script's arguments.
function M.parse(argv)
  local o = { script_args = {}, verbose = 0 }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local inline
    if a:match("^%-%-[%w-]+=") then a, inline = a:match("^(%-%-[%w-]+)=(.*)$") end
    local function value()
      if inline then return inline end
      i = i + 1
      if argv[i] == nil then usage_error("option %s needs a value", a) end
      return argv[i]
    end
    if a == "-h" or a == "--help" then o.help = true
    elseif a == "--version" then o.version = true
    elseif a == "--url" then o.url = value()
    elseif a == "--token-file" then o.token_file = value()
    elseif a == "--refresh-file" then o.refresh_file = value()
    elseif a == "--profile" then o.profile = value()
    elseif a == "--catalog-url" then o.catalog_url = value()
    elseif a == "--catalog-token-file" then o.catalog_token_file = value()
    elseif a == "--token" or a == "--catalog-token" then
      usage_error("refusing a token on the command line (other users can read it in the " ..
        "process list); use --token-file FILE or the CANVAS_API_TOKEN environment variable")
    elseif a == "--sandbox" then o.sandbox = true
    elseif a == "--dry-run" then o.dry_run = true
    elseif a == "-v" or a == "--verbose" then o.verbose = o.verbose + 1
    elseif a == "-vv" then o.verbose = o.verbose + 2
    elseif a == "-q" or a == "--quiet" then o.quiet = true
    elseif a == "-e" then o.code = value()
    elseif a == "-i" then o.interactive = true
    elseif a == "run" and not o.script and not o.code and not o.run then
      o.run = true
    elseif a == "sandbox" and not o.script and not o.code and not o.run then
      o.sandbox_cmd = true
      for j = i + 1, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    elseif a == "--" then
      i = i + 1
      if not o.script and not o.code and argv[i] then o.script = argv[i]; i = i + 1 end
      for j = i, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      o.explicit_args = true
      break
    elseif inline or (a:sub(1, 1) == "-" and a ~= "-") then
      usage_error("unknown option '%s' (see lcanvas --help)", a)
    else
      if not o.code then o.script = a; i = i + 1 end
      for j = i, #argv do o.script_args[#o.script_args + 1] = argv[j] end
      break
    end
    i = i + 1
  end
  if o.run and not o.script then usage_error("run needs a SCRIPT (see lcanvas --help)") end
  if not o.explicit_args and (o.script or o.code) then M.check_misplaced(argv, o) end
  if o.script and o.interactive then usage_error("-i runs a prompt, not a script; use -e CODE -i") end
  return o
end

return M
