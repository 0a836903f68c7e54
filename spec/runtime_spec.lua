-- The `lcanvas` command as an admin meets it (issue 15): dry runs shaped
-- like the real run and never over a real output file, lcanvas's own
-- options refused after the script name with the corrected command line,
-- and errors that say what to do. Subprocess runs of the executable.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
-- Absolute: the runs below start in other directories.
local ROOT = io.popen("cd '" .. sandbox.root .. "' && pwd"):read("l")
local EXE = ROOT .. "/" .. BUILD .. "/lcanvas"
local tmpname, read_file, write_file = sandbox.tmpname, sandbox.read_file, sandbox.write_file

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- run(args, env, dir) -> exit code, stdout, stderr; `args` a shell fragment,
-- run in `dir`, with the developer's own configuration kept out.
local EMPTY_CONFIG = tmpname()
local function run(args, env, dir)
  local out, err = tmpname(), tmpname()
  local words = { "env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u CANVAS_CATALOG_URL",
    "-u CANVAS_CATALOG_TOKEN -u LCANVAS_PROGRESS", "XDG_CONFIG_HOME=" .. q(EMPTY_CONFIG) }
  for k, v in pairs(env or {}) do words[#words + 1] = k .. "=" .. q(v) end
  local cmd = string.format("cd %s && %s %s %s >%s 2>%s </dev/null; echo $?", q(dir or "/tmp"),
    table.concat(words, " "), q(EXE), args, q(out), q(err))
  local h = io.popen(cmd)
  local code = tonumber(h:read("a"))
  h:close()
  local o, e = read_file(out) or "", read_file(err) or ""
  os.remove(out); os.remove(err)
  return code, o, e
end

local function api_changes()
  local out = {}
  for _, r in ipairs(sandbox.requests()) do
    if not r.path:find("^/__sandbox") and r.method ~= "GET" then out[#out + 1] = r.method .. " " .. r.path end
  end
  return out
end

describe("lcanvas for admins", function()
  local env
  setup(function()
    sandbox.start()
    env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
  end)
  before_each(function() sandbox.reset(); sandbox.clear_requests() end)

  describe("--dry-run", function()
    it("returns what a real run returns: sent data, created objects with their fields", function()
      local code, out, err = run([[--dry-run -e '
        local u = canvas:get_user(3)
        local data = u:set_custom_data("app", "prefs", { theme = "dark", n = 2 })
        print(data.theme, data.n)
        local ch = u:create_communication_channel({ communication_channel = { address = "s@x.org", type = "email" } })
        print(require("lcanvas").is_object(ch, "CommunicationChannel"), ch.address, ch.type, ch.dry_run)
        local pc = u:create_pairing_code()
        print(require("lcanvas").is_object(pc, "PairingCode"), pc.user_id, pc.dry_run)
        local new = canvas:get_account(1):create_user({ unique_id = "new.one" }, { user = { name = "New One" } })
        print(new.name, new.unique_id, new.dry_run)
        local r = canvas:request("PUT", "users/3", { user = { short_name = "Q" } })
        print(r.short_name, r.user.short_name, r.dry_run)
        u:edit({ user = { short_name = "Zed" } })
        print(u.short_name, u.dry_run)']], env)
      assert.equal(0, code, err)
      assert.equal(table.concat({
        "dark\t2",
        "true\ts@x.org\temail\ttrue",
        "true\t3\ttrue",
        "New One\tnew.one\ttrue",
        "Q\tQ\ttrue",
        "Sam\ttrue", "" }, "\n"), out)
      assert.same({}, api_changes())
      assert.matches("dry run: 6 changes not sent %(3 POST, 3 PUT%)\n$", err)
    end)

    it("writes output files beside the real ones and says so", function()
      local dir = tmpname()
      os.execute("mkdir -p " .. q(dir))
      write_file(dir .. "/codes.csv", "real,codes\n")
      write_file(dir .. "/students.csv", "student\nsam.student\n")
      local code, _, err = run("--dry-run " .. q(ROOT .. "/scripts/pairing-codes.lua") ..
        " --students students.csv --output codes.csv", env, dir)
      assert.equal(0, code, err)
      assert.equal("real,codes\n", read_file(dir .. "/codes.csv"))
      assert.matches("sam.student,3,Sam Student,,,would create,", read_file(dir .. "/codes.dry-run.csv"))
      assert.matches("dry run: wrote codes%.dry%-run%.csv instead of codes%.csv %(left as it was%)\n", err)
      assert.matches("results in codes%.dry%-run%.csv", err)
      assert.same({}, api_changes())
      -- the same for a script's own writer, and a name without an extension
      code, _, err = run([[--dry-run -e '
        local w <close> = require("lcanvas").csv.writer("out", { "a" })
        w:write({ a = 1 })
        local j <close> = require("lcanvas").jsonl.writer("sub/x.jsonl")']], env, dir)
      assert.equal(1, code)  -- sub/ does not exist: the dry-run name is the one reported
      assert.matches("sub/x%.dry%-run%.jsonl", err)
      assert.is_nil(read_file(dir .. "/out"))
      os.execute("mkdir -p " .. q(dir .. "/sub"))
      code, _, err = run([[--dry-run -e '
        local w <close> = require("lcanvas").csv.writer("out", { "a" })
        w:write({ a = 1 })']], env, dir)
      assert.equal(0, code, err)
      assert.equal("a\r\n1\r\n", read_file(dir .. "/out.dry-run"))
      assert.is_nil(read_file(dir .. "/out"))
      os.execute("rm -rf " .. q(dir))
    end)
  end)

  describe("lcanvas's own options after the script name", function()
    it("are refused with the corrected command line, nothing run", function()
      local dir = tmpname()
      os.execute("mkdir -p " .. q(dir))
      write_file(dir .. "/codes.lua", "canvas:get_user(3):create_pairing_code() print('ran')")
      local code, out, err = run("codes.lua 1 --dry-run", env, dir)
      assert.equal(2, code)
      assert.equal("", out)
      assert.equal("lcanvas: --dry-run after the script name would go to the script, not to lcanvas; " ..
        "put it before the script: lcanvas --dry-run codes.lua 1 (`lcanvas -- SCRIPT args...` " ..
        "passes it to the script)\n", err)
      assert.same({}, api_changes())
      code, out, err = run("--sandbox codes.lua --url=https://x.example -v 'a b' --profile test", env, dir)
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("%-%-url, %-v, %-%-profile after the script name", err)
      assert.matches("lcanvas %-%-sandbox %-%-url=https://x%.example %-v %-%-profile test codes%.lua 'a b' ", err)
      -- a script still takes its own options, and `--` hands it lcanvas's too
      write_file(dir .. "/args.lua", "print(table.concat(arg, ' '))")
      code, out, err = run("args.lua --course 5 --help -x", env, dir)
      assert.equal(0, code, err)
      assert.equal("--course 5 --help -x\n", out)
      code, out, err = run("-- args.lua --dry-run 1", env, dir)
      assert.equal(0, code, err)
      assert.equal("--dry-run 1\n", out)
      os.execute("rm -rf " .. q(dir))
    end)

    it("are named as lcanvas's by a bundled script that gets one", function()
      local code, _, err = run("-- " .. q(ROOT .. "/scripts/pairing-codes.lua") ..
        " --course 1 --dry-run", env)
      assert.equal(2, code)
      assert.matches("^pairing%-codes: %-%-dry%-run is an option of lcanvas, not of this script; " ..
        "put it before the script's name: lcanvas %-%-dry%-run [^\n]*pairing%-codes%.lua %-%-course 1\n$", err)
      assert.same({}, api_changes())
      code, _, err = run("-- " .. q(ROOT .. "/scripts/pairing-codes.lua") .. " --frob", env)
      assert.equal(2, code)
      assert.equal("pairing-codes: unknown option --frob (see --help)\n", err)
    end)
  end)

  describe("errors", function()
    it("print one line with the script's file:line, the request and Canvas's message", function()
      local dir = tmpname()
      os.execute("mkdir -p " .. q(dir))
      write_file(dir .. "/lookup.lua", table.concat({
        "local function find(id)",
        "  local u = canvas:get_user(id)",
        "  return u",
        "end",
        "print(find(3).name)",
        "print(find(999999).name)", "" }, "\n"))
      local code, out, err = run("lookup.lua", env, dir)
      assert.equal(1, code)
      assert.equal("Sam Student\n", out)
      assert.equal("lcanvas: lookup.lua:2: ResourceDoesNotExist: GET /api/v1/users/999999 -> 404 " ..
        "The specified resource does not exist.\n", err)
      -- -v: the request log and the full traceback
      code, out, err = run("-v lookup.lua", env, dir)
      assert.equal(1, code)
      assert.equal("Sam Student\n", out)
      assert.matches("stack traceback:", err)
      assert.matches("lookup%.lua:2: in", err)
      os.execute("rm -rf " .. q(dir))
    end)

    it("say where a rejected token came from: flag, environment or which profile", function()
      local bad = "not-the-right-token-123"
      local code, _, err = run("-e 'canvas:get_current_user()'",
        { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = bad })
      assert.equal(1, code)
      assert.matches("^lcanvas: %(command line%):1: InvalidAccessToken: GET /api/v1/users/self %-> 401 [^\n]*" ..
        "the Canvas token came from the environment %(CANVAS_API_TOKEN%)", err)
      assert.is_nil(err:find(bad, 1, true))
      local file = tmpname()
      write_file(file, bad .. "\n")
      os.execute("chmod 600 " .. q(file))
      code, _, err = run("--url " .. q(sandbox.url) .. " --token-file " .. q(file) ..
        " -e 'canvas:get_current_user()'")
      assert.equal(1, code)
      assert.matches("the Canvas token came from %-%-token%-file " .. file:gsub("%p", "%%%0"), err)
      local cfg = tmpname()
      os.execute("mkdir -p " .. q(cfg .. "/lcanvas"))
      write_file(cfg .. "/lcanvas/config.lua", string.format(
        "{ default = 'prod', profiles = { prod = { url = %q, token_file = %q } } }", sandbox.url, file))
      code, _, err = run("-e 'canvas:get_current_user()'", { XDG_CONFIG_HOME = cfg })
      assert.equal(1, code)
      assert.matches("the Canvas token came from profile 'prod' of " ..
        (cfg .. "/lcanvas/config.lua"):gsub("%p", "%%%0") .. " %(token_file%)", err)
      assert.is_nil(err:find(bad, 1, true))
      os.remove(file)
      os.execute("rm -rf " .. q(cfg))
    end)

    it("refuse a base URL that is not an origin, at start, with the origin to use", function()
      local code, out, err = run("-e 'print(\"ran\")'",
        { CANVAS_API_URL = "https://school.instructure.com/courses/12", CANVAS_API_TOKEN = "a-long-enough-token" })
      assert.equal(2, code)
      assert.equal("", out)
      assert.equal("lcanvas: the Canvas URL https://school.instructure.com/courses/12 (from CANVAS_API_URL) " ..
        "is not a site's address: it has the path /courses/12; use the origin " ..
        "https://school.instructure.com (for instance --url https://school.instructure.com)\n", err)
      code, out, err = run("--url https://school.instructure.com/?x=1 -e 'print(1)'",
        { CANVAS_API_TOKEN = "a-long-enough-token" })
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("use the origin https://school%.instructure%.com ", err)
      -- an origin with or without its slash is fine
      code, out, err = run("--url " .. q(sandbox.url .. "/") .. " -e 'print(canvas:get_user(3).name)'",
        { CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(0, code, err)
      assert.equal("Sam Student\n", out)
    end)
  end)
end)
