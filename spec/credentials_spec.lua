-- The permission check on files that hold secrets looks at the real file's
-- mode with stat(2): a file name is data, never a command, whatever shell
-- characters it holds ($(...), backticks, $X). The lcanvas executable runs
-- as a subprocess in a directory of its own, where an injected `touch`
-- would leave its mark.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local ROOT = sandbox.root:sub(1, 1) == "/" and sandbox.root or (os.getenv("PWD") .. "/" .. sandbox.root)
local EXE = ROOT .. "/" .. BUILD .. "/lcanvas"

-- A shell word for the command lines below (single quotes: nothing inside
-- is expanded by the spec's own shell either).
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function write(path, text, mode)
  sandbox.write_file(path, text)
  os.execute("chmod " .. mode .. " " .. q(path))
end

local function ls(dir)
  local h = io.popen("ls -A " .. q(dir))
  local s = h:read("a")
  h:close()
  return s
end

describe("token file permission check", function()
  local dir
  setup(function() sandbox.start() end)
  before_each(function()
    dir = sandbox.tmpname()
    os.execute("mkdir -p " .. q(dir))
  end)
  after_each(function() os.execute("rm -rf " .. q(dir)) end)

  -- Runs `lcanvas ARGS -e 'print(canvas:get_current_user().id)'` in dir;
  -- returns the exit status, stdout and stderr.
  -- A `stat` (or any program) run by the check would be the fake one in
  -- bin/, which calls every file private and leaves a mark.
  local function whoami(args, env)
    local bin = dir .. "/../" .. dir:match("[^/]+$") .. ".bin"
    os.execute("mkdir -p " .. q(bin))
    sandbox.write_file(bin .. "/stat", "#!/bin/sh\necho ran >> '" .. bin .. "/ran'\necho 600\n")
    os.execute("chmod 755 " .. q(bin .. "/stat"))
    local code, out, err = sandbox.sh(string.format("cd %s && env -u LD_PRELOAD -u CANVAS_API_URL " ..
      "-u CANVAS_API_TOKEN PATH=%s:\"$PATH\" XDG_CONFIG_HOME=%s X=%s %s %s -e 'print(canvas:get_current_user().id)'",
      q(dir), q(bin), q(env and env.xdg or (dir .. "/none")), q("unexpected"), q(EXE), args))
    local ran = sandbox.read_file(bin .. "/ran")
    os.execute("rm -rf " .. q(bin))
    assert.is_nil(ran, "the permission check ran a program")
    return code, out, err
  end

  it("is made on the file itself: a 644 file named lit$X is refused, even beside a private lit", function()
    -- A shell expanding $X would look at lit (or litunexpected) instead.
    write(dir .. "/lit", sandbox.tokens.admin, "600")
    write(dir .. "/litunexpected", sandbox.tokens.admin, "600")
    write(dir .. "/lit$X", sandbox.tokens.teacher, "644")
    local code, out, err = whoami("--url " .. q(sandbox.url) .. " --token-file " .. q(dir .. "/lit$X"))
    assert.equal(2, code, err)
    assert.equal("", out)
    local shown = (dir .. "/lit$X"):gsub("%p", "%%%0")
    assert.matches("token file '" .. shown .. "' is readable by others %(mode 644%)", err)
    -- The suggested command is safe to paste: the name in single quotes.
    assert.matches("run: chmod 600 '" .. shown .. "'\n", err)

    os.execute("chmod 600 " .. q(dir .. "/lit$X"))
    code, out, err = whoami("--url " .. q(sandbox.url) .. " --token-file " .. q(dir .. "/lit$X"))
    assert.equal(0, code, err)
    assert.equal("2\n", out)  -- the teacher's token, from lit$X itself
  end)

  it("runs nothing: $(...) and backticks in a token file's name stay characters", function()
    for _, name in ipairs({ "tok$(touch PWNED)", "tok`touch PWNED`", "tok\"$(touch PWNED)\"" }) do
      write(dir .. "/" .. name, sandbox.tokens.admin, "600")
      local code, out, err = whoami("--url " .. q(sandbox.url) .. " --token-file " .. q(name))
      assert.equal(0, code, name .. ": " .. err)
      assert.equal("1\n", out)
      os.execute("chmod 644 " .. q(dir .. "/" .. name))
      code, out, err = whoami("--url " .. q(sandbox.url) .. " --token-file " .. q(name))
      assert.equal(2, code, name .. ": " .. err)
      assert.equal("", out)
      assert.matches("%(mode 644%)", err)
      os.remove(dir .. "/" .. name)
      assert.equal("", ls(dir), "a command ran for " .. name)
    end
  end)

  it("runs nothing for a profile's token_file or a config path under an odd XDG_CONFIG_HOME", function()
    local xdg = dir .. "/x$(touch PWNED)`touch PWNED2`$X"
    os.execute("mkdir -p " .. q(xdg .. "/lcanvas"))
    local token_file = dir .. "/t$(touch PWNED3)"
    write(token_file, sandbox.tokens.admin, "600")
    local config = xdg .. "/lcanvas/config.lua"
    write(config, string.format("{ default = 'p', profiles = { p = { url = %q, token_file = %q } } }",
      sandbox.url, token_file), "644")
    local code, out, err = whoami("", { xdg = xdg })
    assert.equal(0, code, err)
    assert.equal("1\n", out)
    -- A token in the config itself: the config file's own mode decides.
    write(config, string.format("{ default = 'p', profiles = { p = { url = %q, token = %q } } }",
      sandbox.url, sandbox.tokens.admin), "644")
    code, out, err = whoami("", { xdg = xdg })
    assert.equal(2, code, err)
    assert.equal("", out)
    assert.matches("holds a token but is readable by others %(mode 644%)", err)
    os.execute("chmod 600 " .. q(config))
    code, out, err = whoami("", { xdg = xdg })
    assert.equal(0, code, err)
    assert.equal("1\n", out)
    -- Only the two files made here: no PWNED, PWNED2 or PWNED3.
    assert.equal("t$(touch PWNED3)\nx$(touch PWNED)`touch PWNED2`$X\n", ls(dir))
  end)

  it("refuses a config file others may write: it chooses where the token goes", function()
    local xdg = dir .. "/xdg"
    os.execute("mkdir -p " .. q(xdg .. "/lcanvas"))
    local token_file = dir .. "/token"
    write(token_file, sandbox.tokens.admin, "600")
    local config = xdg .. "/lcanvas/config.lua"
    write(config, string.format("{ default = 'p', profiles = { p = { url = %q, token_file = %q } } }",
      sandbox.url, token_file), "666")
    local code, out, err = whoami("", { xdg = xdg })
    assert.equal(2, code, err)
    assert.equal("", out)
    assert.matches("config file .* is writable by others %(mode 666%)", err)
    for _, mode in ipairs({ "620", "602" }) do
      os.execute("chmod " .. mode .. " " .. q(config))
      code = whoami("", { xdg = xdg })
      assert.equal(2, code, mode)
    end
    os.execute("chmod 644 " .. q(config))
    code, out, err = whoami("", { xdg = xdg })
    assert.equal(0, code, err)
    assert.equal("1\n", out)
  end)
end)
