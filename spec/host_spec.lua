-- The lcanvas executable, run as a subprocess: exit codes, output, arg,
-- configuration from the environment and token files, --sandbox.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXE = sandbox.root .. "/" .. BUILD .. "/lcanvas"

local function tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  os.remove(path)
  return s
end

-- run(args, env) -> exit code, stdout, stderr. `args` is a shell fragment.
local function run(args, env)
  local out, err = tmpname(), tmpname()
  local prefix = "env -u CANVAS_API_URL -u CANVAS_API_TOKEN "
  for k, v in pairs(env or {}) do prefix = prefix .. string.format("%s=%q ", k, v) end
  local h = io.popen(string.format("%s%q %s >%q 2>%q </dev/null; echo $?", prefix, EXE, args, out, err))
  local code = tonumber(h:read("a"))
  h:close()
  return code, slurp(out), slurp(err)
end

local function write_file(path, text, mode)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  if mode then os.execute(string.format("chmod %s %q", mode, path)) end
end

local function host_sandboxes()
  local h = io.popen("env -u LD_PRELOAD pgrep -f 'lcanvas sandbox --port 0' | wc -l")
  local n = tonumber(h:read("a"))
  h:close()
  return n
end

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

  it("reports an uncaught API error through __tostring with a traceback, exit 1, no token", function()
    local code, out, err = run("-e 'canvas:get_user(999999)'",
      { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin })
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("^lcanvas: ResourceDoesNotExist: GET /api/v1/users/999999 %-> 404 The specified resource does not exist%.",
      err)
    assert.matches("stack traceback:", err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
  end)

  it("redacts the token even when a script puts it in an error", function()
    local code, _, err = run([[-e 'error("leaked " .. os.getenv("CANVAS_API_TOKEN"))']],
      { CANVAS_API_URL = sandbox.url, CANVAS_API_TOKEN = sandbox.tokens.admin })
    assert.equal(1, code)
    assert.matches("leaked %[REDACTED%]", err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
  end)

  it("says how to configure when canvas is used without configuration", function()
    local code, _, err = run("-e 'canvas:get_current_user()'")
    assert.equal(1, code)
    assert.matches("no Canvas configured: set CANVAS_API_URL and CANVAS_API_TOKEN", err)
  end)

  it("rejects a bad base URL as a configuration error", function()
    local code, _, err = run("-e 'print(1)'",
      { CANVAS_API_URL = sandbox.url .. "/api/v1", CANVAS_API_TOKEN = "a-long-enough-token" })
    assert.equal(2, code)
    assert.matches("must not contain /api/v1", err)
  end)

  it("starts a sandbox with --sandbox and stops it, also when the script fails", function()
    local before = host_sandboxes()
    local code, out, err = run("--sandbox -e 'print(canvas:get_user(43460000000000001).name)'")
    assert.equal(0, code, err)
    assert.equal("Shard Student\n", out)
    assert.equal(before, host_sandboxes())
    code, _, err = run("--sandbox -e 'error(\"boom\")'")
    assert.equal(1, code)
    assert.matches("boom", err)
    assert.equal(before, host_sandboxes())
  end)

  it("runs the sandbox as `lcanvas sandbox`", function()
    local code, out = run("sandbox --help")
    assert.equal(0, code)
    assert.matches("usage: lcanvas sandbox", out)
    code = run("sandbox --port notaport")
    assert.equal(2, code)
  end)

  it("runs the example script against the sandbox", function()
    local code, out, err = run(string.format("--sandbox %q adams", sandbox.root .. "/scripts/examples/account-summary.lua"))
    assert.equal(0, code, err)
    assert.matches("Connected as Sandbox Admin %(1%)", out)
    assert.matches("Avery Adams %(100%)", out)
    assert.matches("The account has 312 users%.", out)
  end)
end)
