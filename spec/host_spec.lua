-- The lcanvas executable, run as a subprocess: exit codes, output, arg,
-- configuration from the environment and token files, --sandbox.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXE = sandbox.root .. "/" .. BUILD .. "/lcanvas"

local tmpname = sandbox.tmpname

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  os.remove(path)
  return s
end

-- run(args, env, stdin) -> exit code, stdout, stderr. `args` is a shell
-- fragment; the configuration a developer may have is kept out (a private
-- empty XDG_CONFIG_HOME unless `env` gives one).
local EMPTY_CONFIG = tmpname()
local function run(args, env, stdin)
  local out, err, input = tmpname(), tmpname(), "/dev/null"
  if stdin then
    input = tmpname()
    local f = assert(io.open(input, "w"))
    f:write(stdin)
    f:close()
  end
  local prefix = "env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u CANVAS_CATALOG_URL " ..
    "-u CANVAS_CATALOG_TOKEN -u LCANVAS_PROGRESS "
  env = env or {}
  if env.XDG_CONFIG_HOME == nil then prefix = prefix .. string.format("XDG_CONFIG_HOME=%q ", EMPTY_CONFIG) end
  for k, v in pairs(env) do
    if v == false then prefix = prefix:gsub("^env ", "env -u " .. k .. " ") end
  end
  for k, v in pairs(env) do
    if v ~= false then prefix = prefix .. string.format("%s=%q ", k, v) end
  end
  local h = io.popen(string.format("%s%q %s >%q 2>%q <%q; echo $?", prefix, EXE, args, out, err, input))
  local code = tonumber(h:read("a"))
  h:close()
  if stdin then os.remove(input) end
  return code, slurp(out), slurp(err)
end

local function write_file(path, text, mode)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  if mode then os.execute(string.format("chmod %s %q", mode, path)) end
end

local stopped = sandbox.stopped

describe("the lcanvas executable", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("prints its version and help", function()
    local code, out = run("--version")
    assert.equal(0, code)
    assert.matches("^lcanvas %d+%.%d+%.%d+\n$", out)
    code, out = run("--help")
    assert.equal(0, code)
    assert.matches("usage: lcanvas", out)
    assert.matches("%-%-token%-file", out)
    for _, opt in ipairs({ "%-%-profile NAME", "%-%-dry%-run", "%-v, %-%-verbose", "%-q, %-%-quiet",
      "%-i ", "%-%-catalog%-url", "config%.lua" }) do
      assert.matches(opt, out)
    end
  end)

  it("exits 2 with usage for no script, unknown options and missing values", function()
    local code, _, err = run("")
    assert.equal(2, code)
    assert.matches("usage:", err)
    code, _, err = run("--frobnicate x.lua")
    assert.equal(2, code)
    assert.matches("unknown option '%-%-frobnicate'", err)
    code, _, err = run("--url")
    assert.equal(2, code)
    assert.matches("needs a value", err)
    code, _, err = run("/no/such/script.lua")
    assert.equal(2, code)
    assert.matches("cannot open /no/such/script.lua", err)
  end)

  it("refuses a token on the command line without echoing it", function()
    local code, out, err = run("--token s3cr3t-value -e 'print(1)'")
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("refusing a token on the command line", err)
    assert.is_nil(err:find("s3cr3t-value", 1, true))
    local _
    code, _, err = run("--token=s3cr3t-value -e 'print(1)'")
    assert.equal(2, code)
    assert.is_nil(err:find("s3cr3t-value", 1, true))
  end)

  it("runs a script with arg set as lua does", function()
    local script = tmpname() .. ".lua"
    write_file(script, 'print(arg[0], #arg, arg[1], arg[2], select("#", ...), ...)')
    local code, out = run(string.format("%q one 'two words'", script))
    os.remove(script)
    assert.equal(0, code)
    assert.equal(script .. "\t2\tone\ttwo words\t2\tone\ttwo words\n", out)
  end)

  it("connects canvas from CANVAS_API_URL and CANVAS_API_TOKEN", function()
    local code, out, err = run("-e 'print(canvas:get_current_user())'",
      { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.student })
    assert.equal(0, code, err)
    assert.equal("Sam Student (3)\n", out)
  end)

  it("reads the token from a private token file and refuses a readable one", function()
    local tf = tmpname()
    write_file(tf, sandbox.tokens.teacher .. "\n", "600")
    local code, out, err = run(string.format("--url %q --token-file %q -e 'print(canvas:get_current_user().id)'",
      sandbox.url, tf))
    assert.equal(0, code, err)
    assert.equal("2\n", out)
    os.execute(string.format("chmod 644 %q", tf))
    code, out, err = run(string.format("--url %q --token-file %q -e 'print(1)'", sandbox.url, tf))
    os.remove(tf)
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("readable by others %(mode 644%); run: chmod 600", err)
  end)

  it("checks a token file named with $(...), backticks and quotes without running them", function()
    -- POSIX shell quoting for this spec's own command line (%q would run them).
    local function sq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
    local dir = tmpname()
    os.execute("mkdir -p " .. sq(dir))
    local tf = dir .. "/tok$(touch PWNED)`touch PWNED`it's"
    local pwned = { "PWNED", dir .. "/PWNED" }  -- the cwd the host runs in, and the token's directory
    local function ran()
      local found = false
      for _, p in ipairs(pwned) do
        local f = io.open(p, "r")
        if f then f:close(); os.remove(p); found = true end
      end
      return found
    end
    write_file(tf, sandbox.tokens.teacher .. "\n")
    os.execute("chmod 644 " .. sq(tf))
    local code, out, err = run(string.format("--url %q --token-file %s -e 'print(1)'", sandbox.url, sq(tf)))
    assert.is_false(ran())
    -- The mode seen is this file's: refused as readable, named as given.
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("readable by others %(mode 644%)", err)
    assert.is_truthy(err:find(tf, 1, true))
    os.execute("chmod 600 " .. sq(tf))
    code, out, err = run(string.format("--url %q --token-file %s -e 'print(canvas:get_current_user().id)'",
      sandbox.url, sq(tf)))
    assert.is_false(ran())
    os.execute("rm -rf " .. sq(dir))
    assert.equal(0, code, err)
    assert.equal("2\n", out)
  end)

  it("reports an uncaught API error through __tostring, exit 1, no token; a traceback with -v", function()
    local env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
    local code, out, err = run("-e 'canvas:get_user(999999)'", env)
    assert.equal(1, code)
    assert.equal("", out)
    -- one line: where in the script, the request, Canvas's message (issue 15)
    assert.equal("lcanvas: (command line):1: ResourceDoesNotExist: GET /api/v1/users/999999 -> 404 " ..
      "The specified resource does not exist.\n", err)
    code, out, err = run("-v -e 'canvas:get_user(999999)'", env)
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("\nlcanvas: ResourceDoesNotExist: GET /api/v1/users/999999 %-> 404 " ..
      "The specified resource does not exist%.", err)
    assert.matches("stack traceback:", err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
  end)

  describe("a call of a method the value does not have", function()
    local env
    setup(function() env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin } end)
    local WAY_OUT = "lists an object's methods, and canvas:request%(method, path%) or canvas:list%(path%) " ..
      "reach an endpoint lcanvas has no method for"

    it("names the types that have it, or says none has, in a script's and -e's report", function()
      local script = tmpname() .. ".lua"
      write_file(script, "local u = canvas:get_user(3)\nu:archive()\n")
      local code, out, err = run(script, env)
      os.remove(script)
      assert.equal(1, code)
      assert.equal("", out)
      assert.equal("lcanvas: " .. script .. ":2: attempt to call a nil value (method 'archive'): " ..
        "no lcanvas type has a method archive; help(obj) at the `lcanvas -i` prompt lists an object's " ..
        "methods, and canvas:request(method, path) or canvas:list(path) reach an endpoint lcanvas has no " ..
        "method for", err:match("^[^\n]*"))
      assert.matches("\nstack traceback:\n", err)
      local _
      code, _, err = run("-e 'canvas:get_courses()'", env)
      assert.equal(1, code)
      assert.matches("^lcanvas: %(command line%):1: attempt to call a nil value %(method 'get_courses'%): " ..
        "get_courses is a method of Account and User; help%(obj%) at the `lcanvas %-i` prompt " .. WAY_OUT .. "\n", err)
      code, _, err = run("-e 'canvas:get_users()'", env)
      assert.equal(1, code)
      assert.matches("%(method 'get_users'%): get_users is a method of Account, Catalog and Course; ", err)
      code, _, err = run("-e 'canvas:get_quiz(1)'", env)
      assert.equal(1, code)
      assert.matches("%(method 'get_quiz'%): no lcanvas type has a method get_quiz; ", err)
      -- any other nil call is reported as before
      code, _, err = run("-e 'local t = {} t.f()'", env)
      assert.equal(1, code)
      assert.matches("^lcanvas: %(command line%):1: attempt to call a nil value %(field 'f'%)\n", err)
    end)

    it("says the same at the prompt, which goes on", function()
      local code, out, err = run("-i", env, "canvas:get_quiz(1)\ncanvas:to_table()\n" ..
        "canvas:get_user(3):get_users()\nprint('still here')\n")
      assert.equal(0, code, err)
      assert.equal("still here\n", out)
      assert.equal(table.concat({
        "lcanvas: stdin:1: attempt to call a nil value (method 'get_quiz'): no lcanvas type has a method " ..
          "get_quiz; help(obj) lists an object's methods, and canvas:request(method, path) or " ..
          "canvas:list(path) reach an endpoint lcanvas has no method for",
        "lcanvas: stdin:1: attempt to call a nil value (method 'to_table'): to_table is a method of every " ..
          "Canvas object (User, Account, ...); help(obj) lists an object's methods, and " ..
          "canvas:request(method, path) or canvas:list(path) reach an endpoint lcanvas has no method for",
        "lcanvas: stdin:1: attempt to call a nil value (method 'get_users'): get_users is a method of " ..
          "Account, Catalog and Course; help(obj) lists an object's methods, and canvas:request(method, path) or " ..
          "canvas:list(path) reach an endpoint lcanvas has no method for",
        "" }, "\n"), err)
    end)
  end)

  it("redacts the token even when a script puts it in an error", function()
    local code, _, err = run([[-e 'error("leaked " .. os.getenv("CANVAS_API_TOKEN"))']],
      { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin })
    assert.equal(1, code)
    assert.matches("leaked %[REDACTED%]", err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
  end)

  it("says how to configure when canvas is used without configuration: exit 2, one line", function()
    local code, out, err = run("-e 'print(\"before\") canvas:get_current_user()'")
    assert.equal(2, code)
    assert.equal("before\n", out)
    assert.matches("^lcanvas: no Canvas configured: set CANVAS_API_URL and CANVAS_API_TOKEN[^\n]*\n$", err)
    assert.is_nil(err:find("traceback", 1, true))
    -- the same from a script file, and at the prompt (which goes on)
    local script = tmpname() .. ".lua"
    write_file(script, "local me = canvas:get_current_user()\nprint('not reached')")
    code, out, err = run(string.format("%q", script))
    os.remove(script)
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("^lcanvas: no Canvas configured: [^\n]*\n$", err)
    code, out, err = run("-i", nil, "canvas:get_user(3)\nprint('still here')\n")
    assert.equal(0, code)
    assert.equal("still here\n", out)
    assert.matches("^lcanvas: no Canvas configured: [^\n]*\n$", err)
  end)

  it("rejects a bad base URL as a configuration error", function()
    local code, _, err = run("-e 'print(1)'",
      { CANVAS_API_URL = sandbox.url .. "/api/v1", CANVAS_API_TOKEN = "a-long-enough-token" })
    assert.equal(2, code)
    assert.matches("must not contain /api/v1", err)
  end)

  it("starts a sandbox with --sandbox and stops it, also when the script fails", function()
    local code, out, err = run("--sandbox -e 'print(canvas:base_url()) print(canvas:get_user(43460000000000001).name)'")
    assert.equal(0, code, err)
    local url, name = out:match("^(%S+)\n(.*)$")
    assert.equal("Shard Student\n", name)
    assert.is_true(stopped(url))
    code, out, err = run("--sandbox -e 'print(canvas:base_url()) error(\"boom\")'")
    assert.equal(1, code)
    assert.matches("boom", err)
    assert.is_true(stopped(out))
  end)

  it("runs the sandbox as `lcanvas sandbox`", function()
    local code, out = run("sandbox --help")
    assert.equal(0, code)
    assert.matches("usage: lcanvas sandbox", out)
    code = run("sandbox --port notaport")
    assert.equal(2, code)
  end)

  it("runs the example script against the sandbox", function()
    local code, out, err = run(string.format("--sandbox %q adams",
      sandbox.root .. "/scripts/examples/account-summary.lua"))
    assert.equal(0, code, err)
    assert.matches("Connected as Sandbox Admin %(1%)", out)
    assert.matches("Avery Adams %(100%)", out)
    assert.matches("The account has 312 users%.", out)
  end)
  it("exits with the status a script returns or passes to os.exit, after cleaning up", function()
    local script = tmpname() .. ".lua"
    write_file(script, "return 4")
    local code = run(string.format("run %q", script))
    os.remove(script)
    assert.equal(4, code)
    local code2, out = run("--sandbox -e 'print(canvas:base_url()) os.exit(3)'")
    assert.equal(3, code2)
    assert.is_true(stopped(out))
    assert.equal(2, (run("run")))
  end)

  it("completes output files on os.exit, also from inside a script.try row", function()
    local dir = tmpname()
    os.execute("mkdir -p " .. dir)
    -- a CSV writer and a plain output file, both closed by os.exit's unwinding
    local code, out, err = run(string.format([[-e '
      local lcanvas = require "lcanvas"
      local w <close> = lcanvas.csv.writer(%q, { "a" })
      local f <close> = lcanvas.outfile.open(%q)
      local j <close> = lcanvas.jsonl.writer(%q)
      w:write({ 1 })
      f:write("kept\n")
      j:write({ n = 1 })
      os.exit(3)
      print("not reached")']], dir .. "/x.csv", dir .. "/y.txt", dir .. "/w.jsonl"))
    assert.equal(3, code, err)
    assert.equal("", out)
    assert.equal("", err)
    assert.equal("a\r\n1\r\n", sandbox.read_file(dir .. "/x.csv"))
    assert.equal("kept\n", sandbox.read_file(dir .. "/y.txt"))
    assert.equal('{"n":1}\n', sandbox.read_file(dir .. "/w.jsonl"))
    -- os.exit inside a row's script.try is an exit, not a row failure
    code, out, err = run(string.format([[-e '
      local lcanvas, script = require "lcanvas", require "lcanvas.script"
      local w <close> = lcanvas.csv.writer(%q, { "a" })
      w:write({ 2 })
      local ok = script.try(function() os.exit(4) end)
      print("not reached", ok)']], dir .. "/z.csv"))
    assert.equal(4, code, err)
    assert.equal("", out)
    assert.equal("a\r\n2\r\n", sandbox.read_file(dir .. "/z.csv"))
    -- an error still removes the file
    code = run(string.format([[-e '
      local w <close> = require("lcanvas").csv.writer(%q, { "a" })
      w:write({ 3 })
      error("boom")']], dir .. "/e.csv"))
    assert.equal(1, code)
    local ls = io.popen("ls -A " .. dir)
    assert.equal("w.jsonl\nx.csv\ny.txt\nz.csv\n", ls:read("a"))
    ls:close()
    os.execute("rm -rf " .. dir)
  end)

  it("runs an interactive prompt from a pipe: expressions, statements, errors that do not end it", function()
    local input = table.concat({
      "x = 40",
      "x + 2",
      "for i = 1, 2 do",
      "  print('loop', i)",
      "end",
      "error('oops')",
      "canvas:get_current_user()",
      "canvas:get_user(999999)",
      "{ a = 1 }",
      "print('still here')",
    }, "\n") .. "\n"
    local code, out, err = run("-i", { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }, input)
    assert.equal(0, code, err)
    assert.equal("42\nloop\t1\nloop\t2\nSandbox Admin (1)\n{\"a\":1}\nstill here\n", out)
    assert.matches("lcanvas: stdin:1: oops", err)
    assert.matches("lcanvas: ResourceDoesNotExist: GET /api/v1/users/999999", err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
    -- -e runs first, then the prompt
    code, out = run("-e 'y = 5' -i", nil, "y * 2\n")
    assert.equal(0, code)
    assert.equal("10\n", out)
    -- input that ends inside a statement is reported, not dropped
    code, out, err = run("-i", nil, "print(1)\nfor i = 1, 2 do\n")
    assert.equal(0, code)
    assert.equal("1\n", out)
    assert.matches("lcanvas: stdin:%d+: 'end' expected %(to close 'for' at line 1%) near <eof>", err)
  end)

  describe("configuration", function()
    local dir, files

    local function config(text, mode)
      os.execute("mkdir -p " .. dir .. "/xdg/lcanvas")
      write_file(dir .. "/xdg/lcanvas/config.lua", text, mode)
    end

    local function whoami(args, env)
      env = env or {}
      if env.XDG_CONFIG_HOME == nil then env.XDG_CONFIG_HOME = dir .. "/xdg" end
      local code, out, err = run((args or "") .. " -e 'print(canvas:get_current_user().id)'", env)
      return code, out:match("^(%d+)\n$") and tonumber(out) or out, err
    end

    before_each(function()
      dir = tmpname()
      os.execute("mkdir -p " .. dir)
      files = {}
      for _, who in ipairs({ "admin", "teacher", "student", "parent" }) do
        files[who] = dir .. "/" .. who .. ".token"
        write_file(files[who], sandbox.tokens[who] .. "\n", "600")
      end
      config(string.format([[{
        default = "prod",
        profiles = {
          prod = { url = %q, token_file = %q },
          test = { url = %q, token_file = %q },
        },
      }]], sandbox.url, files.teacher, sandbox.url, files.student), "644")
    end)
    after_each(function() os.execute("rm -rf " .. dir) end)

    it("uses the config file's default profile, or the one named by --profile", function()
      local code, id, err = whoami()
      assert.equal(0, code, err)
      assert.equal(2, id)
      code, id, err = whoami("--profile test")
      assert.equal(0, code, err)
      assert.equal(3, id)
      code, id, err = whoami("--profile=test")
      assert.equal(0, code, err)
      assert.equal(3, id)
    end)

    it("ranks flags over the environment over the default profile", function()
      -- environment over the default profile
      local code, id, err = whoami(nil, { CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(0, code, err)
      assert.equal(1, id)
      -- a flag over the environment
      code, id, err = whoami(string.format("--token-file %q", files.parent),
        { CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(0, code, err)
      assert.equal(7, id)
      -- an explicitly chosen profile is a flag too
      code, id, err = whoami("--profile test", { CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(0, code, err)
      assert.equal(3, id)
      -- --url over the environment's URL (which points nowhere)
      code, id, err = whoami(string.format("--url %q", sandbox.url), { CANVAS_API_URL = "http://127.0.0.1:9" })
      assert.equal(0, code, err)
      assert.equal(2, id)
    end)

    describe("keeps each token with its own URL", function()
      local NOWHERE = "http://127.0.0.1:9"
      -- Requests any origin of the sandbox received (its Canvas and Catalog).
      local function sent()
        local out = {}
        for _, r in ipairs(sandbox.requests()) do
          if not r.path:find("^/__sandbox") then out[#out + 1] = r.method .. " " .. r.path end
        end
        return out
      end
      before_each(function()
        -- The default profile's token is meant for another Canvas than the sandbox.
        config(string.format([[{
          default = "prod",
          profiles = {
            prod = { url = %q, token_file = %q },
            test = { url = %q, token_file = %q },
          },
        }]], NOWHERE, files.teacher, NOWHERE, files.student))
        sandbox.clear_requests()
      end)

      it("refuses a profile's token for the environment's or --url's URL", function()
        local code, out, err = whoami(nil, { CANVAS_API_URL = sandbox.url })
        assert.equal(2, code)
        assert.equal("", out)
        assert.matches("^lcanvas: the Canvas token from profile 'prod' of [^\n]*config%.lua %(token_file%) " ..
          "is meant for http://127%.0%.0%.1:9 %(the URL given there%), but the URL in use is " ..
          sandbox.url:gsub("%p", "%%%0") .. " %(from CANVAS_API_URL%); refusing to send the token there%. " ..
          "Give the token for [^\n]* with %-%-token%-file FILE or CANVAS_API_TOKEN, or choose one " ..
          "complete set with %-%-profile NAME\n$", err)
        assert.same({}, sent())
        local _
        code, _, err = whoami(string.format("--url %q", sandbox.url))
        assert.equal(2, code)
        assert.matches("token from profile 'prod'.*%(from %-%-url%)", err)
        assert.same({}, sent())
        -- an explicitly chosen profile's token is refused for --url too
        code, _, err = whoami(string.format("--profile test --url %q", sandbox.url))
        assert.equal(2, code)
        assert.matches("token from profile 'test'.*%(from %-%-url%)", err)
        assert.same({}, sent())
        for _, t in pairs(sandbox.tokens) do assert.is_nil(err:find(t, 1, true)) end
      end)

      it("refuses the environment's token for --url when the environment names another URL", function()
        local code, _, err = whoami(string.format("--url %q", sandbox.url),
          { CANVAS_API_URL = NOWHERE, CANVAS_API_TOKEN = sandbox.tokens.admin })
        assert.equal(2, code)
        assert.matches("the Canvas token from CANVAS_API_TOKEN is meant for http://127%.0%.0%.1:9 " ..
          "%(the URL given there%), but the URL in use is [^\n]* %(from %-%-url%)", err)
        assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
        assert.same({}, sent())
      end)

      it("allows a token from a level that names no URL, or the same URL", function()
        -- CANVAS_API_TOKEN alone with --url
        local code, id, err = whoami(string.format("--url %q", sandbox.url),
          { CANVAS_API_TOKEN = sandbox.tokens.admin })
        assert.equal(0, code, err)
        assert.equal(1, id)
        -- --token-file alone with the environment's URL
        code, id, err = whoami(string.format("--token-file %q", files.parent), { CANVAS_API_URL = sandbox.url })
        assert.equal(0, code, err)
        assert.equal(7, id)
        -- URL and token both from the environment, over the profile
        code, id, err = whoami(nil, { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.student })
        assert.equal(0, code, err)
        assert.equal(3, id)
        -- the profile's own URL, spelled with a trailing slash and upper case host part
        config(string.format("{ default = 'p', profiles = { p = { url = %q, token_file = %q } } }",
          sandbox.url, files.teacher))
        code, id, err = whoami(nil, { CANVAS_API_URL = sandbox.url:gsub("^http", "HTTP") .. "/" })
        assert.equal(0, code, err)
        assert.equal(2, id)
      end)

      it("applies the same rule to the Catalog URL and token", function()
        local key_file = dir .. "/catalog.key"
        write_file(key_file, sandbox.catalog_key .. "\n", "600")
        config(string.format([[{ default = "p", profiles = { p = { url = %q, token_file = %q,
          catalog_url = %q, catalog_token_file = %q } } }]], sandbox.url, files.admin, NOWHERE, key_file))
        local env = { XDG_CONFIG_HOME = dir .. "/xdg", CANVAS_CATALOG_URL = sandbox.catalog }
        local code, out, err = run("-e 'print(catalog:get_user(2).canvas_user_id)'", env)
        assert.equal(2, code)
        assert.equal("", out)
        assert.matches("^lcanvas: the Catalog token from profile 'p' of [^\n]* %(catalog_token_file%) is meant for " ..
          "http://127%.0%.0%.1:9 %(the URL given there%), but the URL in use is [^\n]* %(from CANVAS_CATALOG_URL%)" ..
          "[^\n]*%-%-catalog%-token%-file FILE or CANVAS_CATALOG_TOKEN", err)
        assert.is_nil(err:find(sandbox.catalog_key, 1, true))
        assert.same({}, sent())
        local _
        code, _, err = run(string.format("--catalog-url %q -e 'print(catalog:get_user(2).canvas_user_id)'",
          sandbox.catalog), env)
        assert.equal(2, code)
        assert.matches("Catalog token from profile 'p'.*%(from %-%-catalog%-url%)", err)
        assert.same({}, sent())
        -- CANVAS_CATALOG_TOKEN alone with --catalog-url: allowed, and the Catalog got the request
        env.CANVAS_CATALOG_TOKEN = sandbox.catalog_key
        code, out, err = run(string.format("--catalog-url %q -e 'print(catalog:get_user(2).canvas_user_id)'",
          sandbox.catalog), env)
        assert.equal(0, code, err)
        assert.equal("101\n", out)
        assert.same({ "GET /api/v1/users/2" }, sent())
      end)
    end)

    it("finds ~/.config/lcanvas/config.lua when XDG_CONFIG_HOME is not set", function()
      os.execute(string.format("mkdir -p %q && cp %q %q", dir .. "/home/.config/lcanvas",
        dir .. "/xdg/lcanvas/config.lua", dir .. "/home/.config/lcanvas/config.lua"))
      local code, id, err = whoami("--profile test", { HOME = dir .. "/home", XDG_CONFIG_HOME = false })
      assert.equal(0, code, err)
      assert.equal(3, id)
    end)

    it("reports configuration mistakes with exit status 2", function()
      local code, _, err = whoami("--profile staging")
      assert.equal(2, code)
      assert.matches("has no profile 'staging' %(profiles: prod, test%)", err)
      config("{ profiles = { prod = { url = 'x', tokn_file = 'y' } }, default = 'prod' }")
      code, _, err = whoami()
      assert.equal(2, code)
      assert.matches("unknown key 'tokn_file'", err)
      config("{ default = 'prod', profiles = { prod = { url = os.getenv('HOME') } } }")
      code, _, err = whoami()
      assert.equal(2, code)
      assert.matches("config file .*config%.lua", err)  -- no globals inside the config
      config("{ default = ")
      code, _, err = whoami()
      assert.equal(2, code)
      assert.matches("config file", err)
      code, _, err = whoami("--profile prod", { XDG_CONFIG_HOME = dir .. "/nowhere" })
      assert.equal(2, code)
      assert.matches("no config file", err)
    end)

    it("refuses a token in a config file others can read, and a readable token file", function()
      config(string.format("{ default = 'p', profiles = { p = { url = %q, token = %q } } }",
        sandbox.url, sandbox.tokens.admin), "644")
      local code, out, err = whoami()
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("holds a token but is readable by others %(mode 644%); run: chmod 600", err)
      assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
      os.execute(string.format("chmod 600 %q", dir .. "/xdg/lcanvas/config.lua"))
      local id
      code, id, err = whoami()
      assert.equal(0, code, err)
      assert.equal(1, id)

      os.execute(string.format("chmod 640 %q", files.teacher))
      config(string.format("{ default = 'p', profiles = { p = { url = %q, token_file = %q } } }",
        sandbox.url, files.teacher))
      local _
      code, _, err = whoami()
      assert.equal(2, code)
      assert.matches("readable by others %(mode 640%); run: chmod 600 " .. files.teacher:gsub("%p", "%%%0"), err)
    end)
  end)

  it("interrupts cleanly: sandbox stopped, no output file half-written", function()
    local dir = tmpname()
    os.execute("mkdir -p " .. dir)
    local script = dir .. "/loop.lua"
    write_file(script, string.format([[
      local csv = require("lcanvas").csv
      local w <close> = csv.writer(%q, { "n" })
      for i = 1, 10 do w:write({ i }) end
      io.stdout:write(canvas:base_url(), "\nwriting\n") io.stdout:flush()
      while true do canvas:get_user(3) end
    ]], dir .. "/out.csv"))
    local h = io.popen(string.format(
      "env -u LD_PRELOAD timeout --foreground --preserve-status -s INT 4 %q --sandbox %q 2>&1; echo \"rc=$?\"",
      EXE, script))
    local out = h:read("a")
    h:close()
    assert.matches("writing\n", out)
    assert.matches("lcanvas: interrupted\n", out)
    assert.matches("rc=130", out)
    assert.is_true(stopped(out:match("http://%S+")))
    local ls = io.popen("ls -A " .. dir)
    assert.equal("loop.lua\n", ls:read("a"))
    ls:close()
    os.execute("rm -rf " .. dir)
  end)

  describe("--dry-run", function()
    it("sends reads but no change, prints each change and a summary", function()
      sandbox.clear_requests()
      local code, out, err = run([[--dry-run -e '
        print(canvas:is_dry_run())
        local u = canvas:get_user(3)
        local r = canvas:request("PUT", "users/3", { user = { name = "Changed Name" } })
        print(r.dry_run)
        u:edit({ user = { short_name = "Zed" } })
        print(u.short_name, u.name)
        canvas:request("PUT", "users/5/observees/9", { root_account_id = 1 })
        canvas:request("DELETE", "users/5/observees/9")
        canvas:request("POST", "users/3/custom_data/x", { ns = "a", data = { n = 1 } }, { json = true })']],
        { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(0, code, err)
      assert.equal("true\ntrue\nSam\tSam Student\n", out)
      assert.matches("DRY%-RUN PUT /api/v1/users/3 user%[name%]=Changed%%20Name\n", err)
      assert.matches("DRY%-RUN PUT /api/v1/users/3 user%[short_name%]=Zed\n", err)
      assert.matches("DRY%-RUN PUT /api/v1/users/5/observees/9 root_account_id=1\n", err)
      assert.matches("DRY%-RUN DELETE /api/v1/users/5/observees/9\n", err)
      assert.matches('DRY%-RUN POST /api/v1/users/3/custom_data/x {[^\n]*"ns":"a"', err)
      assert.matches("dry run: 5 changes not sent %(1 POST, 3 PUT, 1 DELETE%)\n$", err)
      assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
      -- the sandbox saw the read and nothing else
      local methods = {}
      for _, r in ipairs(sandbox.requests()) do
        if not r.path:find("^/__sandbox") then methods[#methods + 1] = r.method .. " " .. r.path end
      end
      assert.same({ "GET /api/v1/users/3" }, methods)
      code, out, err = run("-e 'print(canvas:get_user(3).name, canvas:is_dry_run())'",
        { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(0, code, err)
      assert.equal("Sam Student\tfalse\n", out)
    end)

    it("prints the summary also when the script fails", function()
      local code, _, err = run(
        [[--sandbox --dry-run -e 'canvas:request("DELETE", "users/3/observees/4") error("late")']])
      assert.equal(1, code)
      assert.matches("late", err)
      assert.matches("dry run: 1 change not sent %(1 DELETE%)", err)
    end)
  end)

  it("logs one line per request with -v, bodies with -vv, never the token", function()
    local env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
    local code, out, err = run("-v -e 'print(canvas:get_user(3).name) pcall(canvas.get_user, canvas, 999999)'", env)
    assert.equal(0, code, err)
    assert.equal("Sam Student\n", out)
    assert.matches("^lcanvas: GET /api/v1/users/3 %-> 200 %(%d+ ms, rate limit remaining [%d.]+%)\n" ..
      "lcanvas: GET /api/v1/users/999999 %-> 404 %(%d+ ms, rate limit remaining [%d.]+%)\n$", err)
    local _
    code, _, err = run(
      [[-vv -e 'canvas:request("PUT", "users/3", { user = { short_name = "T" .. os.getenv("CANVAS_API_TOKEN") } })']],
      env)
    assert.equal(0, code, err)
    assert.matches("lcanvas: PUT /api/v1/users/3 %-> 200", err)
    assert.matches("lcanvas:   > user%[short_name%]=T%[REDACTED%]\n", err)
    assert.matches('lcanvas:   < {.*"name":"Sam Student"', err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
    code, _, err = run("-e 'canvas:get_user(3)'", env)
    assert.equal(0, code)
    assert.equal("", err)
  end)

  it("truncates long bodies with -vv and shows their size, never the token", function()
    local env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
    -- a 2000-character value with the token at its end (past the cut)
    local code, _, err = run([[-vv -e 'canvas:request("PUT", "users/3/custom_data/x",
      { ns = "n", data = { v = string.rep("a", 2000) .. os.getenv("CANVAS_API_TOKEN") } }, { json = true })']], env)
    assert.equal(0, code, err)
    local sent = err:match("lcanvas:   > ([^\n]*)\n")
    assert.truthy(sent, err)
    local shown, size = sent:match("^(.-)%.%.%. %((%d+) bytes%)$")
    assert.truthy(shown, sent)
    assert.is_true(tonumber(size) > 2000)
    assert.is_true(#shown < 1000)
    local got = err:match("lcanvas:   < ([^\n]*)\n")
    assert.matches("%.%.%. %(%d+ bytes%)$", got)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
    -- a token that the 500-byte cut would split is hidden whole
    code, _, err = run([[-vv -e 'canvas:request("PUT", "users/3/custom_data/x",
      { ns = "n", data = { v = string.rep("a", 470) .. os.getenv("CANVAS_API_TOKEN") } }, { json = true })']], env)
    assert.equal(0, code, err)
    assert.matches("%[REDACTED%]", err:match("lcanvas:   > ([^\n]*)\n"))
    assert.is_nil(err:find(sandbox.tokens.admin:sub(1, 10), 1, true))
    -- a short body is shown whole, without a size
    code, _, err = run([[-vv -e 'canvas:request("PUT", "users/3", { user = { short_name = "T" } })']], env)
    assert.equal(0, code, err)
    assert.matches("lcanvas:   > user%[short_name%]=T\n", err)
  end)

  describe("progress", function()
    local env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin }
    local list = [[-e 'print(canvas:list("accounts/1/users", { per_page = 100 }):count())']]

    it("shows a live line while a list loads when forced on", function()
      env.LCANVAS_PROGRESS = "1"
      local code, out, err = run(list, env)
      assert.equal(0, code, err)
      assert.equal("312\n", out)
      assert.matches("^\rlist: 100 items, 1 pages", err)
      assert.matches("\rlist: 200 items, 2 pages", err)
      assert.matches("\rlist: 312 items, 4 pages[^\r]*\n$", err)
    end)

    it("is off when stderr is not a terminal, and with --quiet", function()
      env.LCANVAS_PROGRESS = nil
      local code, _, err = run(list, env)
      assert.equal(0, code)
      assert.equal("", err)
      env.LCANVAS_PROGRESS = "1"
      code, _, err = run("--quiet " .. list, env)
      assert.equal(0, code)
      assert.equal("", err)
    end)

    it("drives a script's own loop through lcanvas.statusline", function()
      local code, _, err = run([[-e '
        local lcanvas = require "lcanvas"
        do
          local p <close> = lcanvas.statusline("rows", 4)
          p:add() p:add(2) p:add()
        end']], { LCANVAS_PROGRESS = "1" })
      assert.equal(0, code, err)
      assert.equal("\rrows: 1/4 (25%)\rrows: 3/4 (75%)\rrows: 4/4 (100%)\rrows: 4/4 (100%)\n", err)
    end)
  end)
  describe("the catalog global", function()
    it("is connected by --sandbox from the ready line's catalog= field", function()
      local code, out, err = run("--sandbox -e 'print(catalog) print(catalog:get_user(1).canvas_user_id)'")
      assert.equal(0, code, err)
      assert.matches("^lcanvas%.Catalog %(http://127%.0%.0%.1:%d+/%)\n100\n$", out)
    end)

    it("comes from CANVAS_CATALOG_URL and CANVAS_CATALOG_TOKEN, and says how when missing", function()
      local env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin,
        CANVAS_CATALOG_URL = sandbox.catalog, CANVAS_CATALOG_TOKEN = sandbox.catalog_key }
      local code, out, err = run("-e 'print(catalog:get_user(2).canvas_user_id)'", env)
      assert.equal(0, code, err)
      assert.equal("101\n", out)
      local _
      code, _, err = run("-e 'catalog:get_user(2)'",
        { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin })
      assert.equal(2, code)
      assert.matches("^lcanvas: no Catalog configured: set CANVAS_CATALOG_URL and CANVAS_CATALOG_TOKEN[^\n]*\n$", err)
    end)

    it("is a dry run too with --dry-run", function()
      sandbox.clear_requests()
      local env = { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin,
        CANVAS_CATALOG_URL = sandbox.catalog, CANVAS_CATALOG_TOKEN = sandbox.catalog_key }
      local code, _, err = run(
        [[--dry-run -e 'catalog:request("PUT", "users/1", { custom_fields = { color = "red" } })']], env)
      assert.equal(0, code, err)
      assert.matches("DRY%-RUN PUT /api/v1/users/1 custom_fields%[color%]=red\n", err)
      assert.matches("dry run: 1 change not sent %(1 PUT%)", err)
      for _, r in ipairs(sandbox.requests()) do assert.is_not.equal("PUT", r.method) end
    end)
  end)
end)
