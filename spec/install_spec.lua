-- Installing lcanvas the ways users do: `cmake --install` (C library,
-- headers, pkg-config, man page, Lua files, executable) and LuaRocks
-- (`luarocks make` with Debian's luarocks into a private tree). Every
-- installed piece is then used from outside the source tree, and the one
-- version number (CMake's project VERSION) must be the same everywhere.
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local ROOT = sandbox.root
local BUILD = os.getenv("LCANVAS_BUILD") or "build"

local slurp = sandbox.read_file

local tmpname = sandbox.tmpname

-- sh(cmd) -> exit code, stdout, stderr (cmd is a shell fragment).
local sh = sandbox.sh

local q = sandbox.quote

-- The version, as CMakeLists.txt defines it (the only place it is written).
local function project_version()
  local text = assert(slurp(ROOT .. "/CMakeLists.txt"))
  return assert(text:match("project%s*%(%s*lcanvas%s+VERSION%s+([%d%.]+)"),
    "no project(lcanvas VERSION x.y.z) in CMakeLists.txt")
end

local function sanitizer_build()
  local cache = slurp(ROOT .. "/" .. BUILD .. "/CMakeCache.txt") or ""
  return cache:match("LCANVAS_SANITIZE:BOOL=ON") ~= nil
end

-- `cmake --install` of the build under test into a temporary prefix, once
-- per busted run, shared with embed_spec.lua (spec/helper.lua).
local function cmake_prefix() return sandbox.cmake_prefix(BUILD) end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Environment for a stock lua5.4 (or an installed binary) started from a
-- spec: under the sanitizer run, a C module built with ASan needs the
-- runtime preloaded (helper.lua strips LD_PRELOAD from children).
local function lua_env(extra)
  local env = "env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LD_LIBRARY_PATH "
  if sanitizer_build() and os.getenv("LCANVAS_ASAN_PRELOAD") then
    env = env .. "ASAN_OPTIONS=detect_leaks=1 LD_PRELOAD=" .. q(os.getenv("LCANVAS_ASAN_PRELOAD")) .. " "
  end
  for k, v in pairs(extra or {}) do env = env .. k .. "=" .. q(v) .. " " end
  return env
end

local api_requests = sandbox.api_requests

local stopped = sandbox.stopped

-- An installed executable run with --sandbox: it starts its own sandbox from
-- the installed files, reads user 3 from it, and stops it on the way out,
-- also when the script fails. Nothing of the developer's configuration or
-- of the spec's own sandbox is used.
local function check_sandbox_run(exe)
  local env = "env -u CANVAS_API_URL -u CANVAS_API_TOKEN -u CANVAS_CATALOG_URL -u CANVAS_CATALOG_TOKEN " ..
    lua_env({ XDG_CONFIG_HOME = tmpname() })
  local code, out, err = sh(env .. q(exe) .. " --sandbox -e " ..
    q("print(canvas:base_url()) print(canvas:get_user(3).name)"))
  assert.equal(0, code, err)
  local url, name = out:match("^(%S+)\n(.*)$")
  assert.equal("Sam Student\n", name)
  assert.matches("^http://127%.0%.0%.1:%d+/$", url)
  assert.not_equal(sandbox.url .. "/", url)
  assert.is_true(stopped(url), "the sandbox at " .. url .. " is still listening")
  assert.equal(0, #api_requests())

  code, out, err = sh(env .. q(exe) .. " --sandbox -e " .. q('print(canvas:base_url()) error("boom")'))
  assert.equal(1, code)
  assert.matches("boom", err)
  assert.is_true(stopped(out), "the sandbox at " .. out .. " is still listening")
end

describe("the one version number", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("reaches the module, the executable, the User-Agent, the header, pkg-config and the man page", function()
    local v = project_version()
    assert.matches("^%d+%.%d+%.%d+$", v)
    assert.equal(v, lcanvas._VERSION)
    assert.equal(v, lcanvas.core._VERSION)

    local code, out = sh(lua_env() .. q(ROOT .. "/" .. BUILD .. "/lcanvas") .. " --version")
    assert.equal(0, code)
    assert.equal("lcanvas " .. v .. "\n", out)

    local c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    c:get_current_user()
    local ua = api_requests()[1].headers["user-agent"]
    assert.equal("lcanvas/" .. v, ua)
    c:close()

    local prefix = cmake_prefix()
    local header = assert(slurp(prefix .. "/include/lcanvas/lcanvas_version.h"))
    assert.matches('#define LCANVAS_VERSION "' .. v:gsub("%.", "%%.") .. '"', header)
    code, out = sh("PKG_CONFIG_PATH=" .. q(prefix .. "/lib/pkgconfig") ..
      " pkg-config --modversion lcanvas lcanvas-lua")
    assert.equal(0, code)
    assert.equal(v .. "\n" .. v .. "\n", out)
    local man = assert(slurp(prefix .. "/share/man/man1/lcanvas.1"))
    assert.matches('%.TH LCANVAS 1 "" "lcanvas ' .. v:gsub("%.", "%%.") .. '"', man)
  end)

  it("is not written anywhere else: the rockspec is the development rock", function()
    local spec = {}
    local chunk = assert(loadfile(ROOT .. "/rockspec/lcanvas-scm-1.rockspec", "t", spec))
    chunk()
    assert.equal("lcanvas", spec.package)
    assert.equal("scm-1", spec.version)
    assert.equal("cmake", spec.build.type)
    -- What LuaRocks must hand to CMake for the rock to land in its tree.
    assert.equal("$(LUA_INCDIR)", spec.build.variables.LUA_INCDIR)
    assert.equal("$(LUADIR)", spec.build.variables.LCANVAS_LUADIR)
    assert.equal("$(LIBDIR)", spec.build.variables.LCANVAS_LIBDIR)
    assert.equal("$(BINDIR)", spec.build.variables.LCANVAS_BINDIR)
    assert.equal("curl", spec.external_dependencies.CURL.library)
    -- A literal version in the sources other than CMake's would drift.
    local v = project_version()
    for _, f in ipairs({ "lua/lcanvas/init.lua", "lua/lcanvas/cli/init.lua", "src/binding/module.c",
                         "src/host/main.c", "rockspec/lcanvas-scm-1.rockspec" }) do
      local text = slurp(ROOT .. "/" .. f) or ""
      assert.is_nil(text:find(v, 1, true), f .. " spells out the version " .. v)
    end
    -- The man page spells it out so that `man -l doc/lcanvas.1` shows it in
    -- the source tree (issue 15); it cannot drift: it must be CMake's.
    local man = slurp(ROOT .. "/doc/lcanvas.1") or ""
    assert.equal(v, man:match('\n%.TH LCANVAS 1 "" "lcanvas ([^"]*)"'), "doc/lcanvas.1's version")
  end)
end)

describe("cmake --install", function()
  local prefix
  setup(function()
    sandbox.start()
    prefix = cmake_prefix()
  end)
  before_each(function() sandbox.reset() end)

  it("installs the libraries, the public headers and everything they include", function()
    for _, f in ipairs({ "lib/liblcanvas.a", "lib/liblcanvas.so", "lib/liblcanvas-lua.a",
                         "bin/lcanvas", "lib/lua/5.4/lcanvas/core.so",
                         "share/lua/5.4/lcanvas/init.lua", "share/lua/5.4/lcanvas/cli/init.lua",
                         "share/lua/5.4/lcanvas/sandbox/init.lua",
                         "include/lcanvas/lcanvas_lua.h" }) do
      assert.is_true(exists(prefix .. "/" .. f), f .. " not installed")
    end
    -- Every local header reachable from the public ones is installed too.
    local seen, todo = {}, { "lcanvas.h", "lcanvas_lua.h", "json.h" }
    while #todo > 0 do
      local h = table.remove(todo)
      if not seen[h] then
        seen[h] = true
        local text = slurp(prefix .. "/include/lcanvas/" .. h)
        assert.is_not_nil(text, h .. " is included but not installed")
        for inc in text:gmatch('#%s*include%s+"([^"]+)"') do todo[#todo + 1] = inc end
      end
    end
    assert.is_true(seen["lcanvas_version.h"])
    -- The shared library carries the C API and no Lua.
    local code, out = sh("nm -D --defined-only " .. q(prefix .. "/lib/liblcanvas.so"))
    assert.equal(0, code)
    assert.matches(" T lc_client_new\n", out)
    assert.matches(" T lc_response_next_url\n", out)
    assert.is_nil(out:find("lua_", 1, true))
  end)

  it("writes pkg-config files for the prefix actually installed to", function()
    local pc = "PKG_CONFIG_PATH=" .. q(prefix .. "/lib/pkgconfig") .. " pkg-config "
    local code, out = sh(pc .. "--cflags --libs lcanvas")
    assert.equal(0, code)
    assert.matches("-I" .. prefix:gsub("%p", "%%%0") .. "/include ", out)
    assert.is_nil(out:find("/include/lcanvas", 1, true))   -- <lcanvas/json.h>, never <json.h>
    assert.is_truthy(out:find("-Wl,-rpath," .. prefix .. "/lib ", 1, true), out)
    assert.matches("-L" .. prefix:gsub("%p", "%%%0") .. "/lib", out)
    assert.matches("%-llcanvas", out)
    assert.is_nil(out:find("-lcurl", 1, true))   -- private: only for static linking
    code, out = sh(pc .. "--static --libs lcanvas")
    assert.equal(0, code)
    assert.matches("%-lcurl", out)
    assert.matches("%-lm", out)
    -- Not libcurl.pc's own private list (static libraries Debian lacks).
    assert.is_nil(out:find("-lnghttp2", 1, true))
    code, out = sh(pc .. "--variable=luadir lcanvas")
    assert.equal(0, code)
    assert.equal(prefix .. "/share/lua/5.4\n", out)
    code, out = sh(pc .. "--cflags --libs lcanvas-lua")
    assert.equal(0, code)
    assert.matches("%-llcanvas%-lua", out)
    -- The archive holds the C core: no second lcanvas library is needed.
    assert.is_nil(out:find("-llcanvas ", 1, true))
    assert.matches("%-llua5%.4", out)
    assert.matches("lua5%.4", out)
    code, out = sh("nm --defined-only " .. q(prefix .. "/lib/liblcanvas-lua.a"))
    assert.equal(0, code)
    assert.matches(" T luaopen_lcanvas_core\n", out)
    assert.matches(" T lc_client_new\n", out)
  end)

  it("installs a man page covering the command, options, configuration, environment, exit status and files", function()
    local man = assert(slurp(prefix .. "/share/man/man1/lcanvas.1"))
    for _, section in ipairs({ "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "CONFIGURATION",
                               "ENVIRONMENT", "EXIT STATUS", "FILES" }) do
      assert.matches("\n%.SH " .. section:gsub("%p", "%%%0") .. "\n", man)
    end
    -- Every option the executable accepts is documented.
    local code, help = sh(lua_env() .. q(ROOT .. "/" .. BUILD .. "/lcanvas") .. " --help")
    assert.equal(0, code)
    local n = 0
    for opt in help:gmatch("\n%s+(%-%-?[%w%-]+)") do
      n = n + 1
      local roff = opt:gsub("%-", "\\-")       -- roff spells "-" as "\-"
      assert.is_truthy(man:find(roff, 1, true), opt .. " is not in the man page")
    end
    assert.is_true(n >= 5)
    for _, env in ipairs({ "CANVAS_API_URL", "CANVAS_API_TOKEN" }) do
      assert.matches(env, man)
    end
  end)

  it("installs an executable that runs scripts with the installed Lua files", function()
    local script = tmpname() .. ".lua"
    local f = assert(io.open(script, "w"))
    f:write([[
      print(package.searchpath("lcanvas.cli", package.path))
      print(canvas:get_current_user().name, ...)
    ]])
    f:close()
    local code, out, err = sh(lua_env({ CANVAS_API_URL = sandbox.url,
      CANVAS_API_TOKEN = sandbox.tokens.admin }) .. q(prefix .. "/bin/lcanvas") .. " " .. q(script) .. " one")
    os.remove(script)
    assert.equal(0, code, err)
    out = out:gsub("/bin/%.%./", "/")          -- found next to the executable
    assert.equal(prefix .. "/share/lua/5.4/lcanvas/cli/init.lua\nSandbox Admin\tone\n", out)
    assert.equal(1, #api_requests(function(r) return r.path == "/api/v1/users/self" end))
  end)

  it("installs an executable that starts the sandbox, reads a user and stops it", function()
    check_sandbox_run(prefix .. "/bin/lcanvas")
  end)

  it("installs a module a stock lua5.4 loads from the installed paths", function()
    local code, out, err = sh(lua_env({
      LUA_PATH = prefix .. "/share/lua/5.4/?.lua;" .. prefix .. "/share/lua/5.4/?/init.lua",
      LUA_CPATH = prefix .. "/lib/lua/5.4/?.so",
    }) .. "lua5.4 -e " .. q(string.format([[
      local lcanvas = require "lcanvas"
      local c = lcanvas.new(%q, %q)
      local u = c:get_user(3)
      print(package.searchpath("lcanvas.core", package.cpath), u.id, u.name, lcanvas._VERSION)
      c:close()
    ]], sandbox.url, sandbox.tokens.admin)))
    assert.equal(0, code, err)
    assert.equal(string.format("%s/lib/lua/5.4/lcanvas/core.so\t3\tSam Student\t%s\n",
      prefix, project_version()), out)
    assert.equal(1, #api_requests(function(r) return r.method == "GET" and r.path == "/api/v1/users/3" end))
  end)
end)

describe("luarocks make", function()
  if sanitizer_build() then
    -- The rock is a separate Release build made by LuaRocks, identical in
    -- both runs; building it twice would only double the time.
    pending("the LuaRocks install checks ran in the normal run (the rock is its own non-sanitizer build)")
    return
  end

  local tree
  setup(function()
    sandbox.start()
    -- A clean copy of the sources (no build directories, no .git), as a
    -- user would unpack them; LuaRocks builds inside it.
    local src = tmpname()
    tree = tmpname()
    local code, out, err = sh(string.format(
      "mkdir -p %q && tar -C %q --exclude=./.git --exclude=./build --exclude='./build-*' " ..
      "--exclude=./build.luarocks -cf - . | tar -C %q -xf -", src, ROOT, src))
    assert(code == 0, out .. err)
    code, out, err = sh(string.format(
      -- Exactly doc/embedding.md's command: no --deps-mode, no network. The rock
      -- has no dependency LuaRocks could try to download (cqueues is soft).
      "cd %q && luarocks --lua-version=5.4 make --tree=%q rockspec/lcanvas-scm-1.rockspec",
      src, tree))
    assert(code == 0, "luarocks make failed:\n" .. out .. err)
    -- Nothing installed may point back into the sources.
    os.execute("rm -rf " .. q(src))
  end)
  teardown(function()
    if tree then os.execute("rm -rf " .. q(tree)) end
  end)
  before_each(function() sandbox.reset() end)

  it("registers the rock and deploys the module, the Lua files and the executable", function()
    local code, out = sh("luarocks --lua-version=5.4 --tree=" .. q(tree) .. " list --porcelain")
    assert.equal(0, code)
    assert.matches("lcanvas\tscm%-1\tinstalled", out)
    for _, f in ipairs({ "lib/lua/5.4/lcanvas/core.so", "share/lua/5.4/lcanvas/init.lua",
                         "share/lua/5.4/lcanvas/sandbox/init.lua", "bin/lcanvas" }) do
      assert.is_true(exists(tree .. "/" .. f), f .. " not deployed")
    end
    -- The rock is the Lua module: no C library, headers or pkg-config files.
    assert.is_false(exists(tree .. "/lib/lua/5.4/liblcanvas.a"))
    assert.is_false(exists(tree .. "/lib/pkgconfig/lcanvas.pc"))
  end)

  it("gives a stock lua5.4 `require \"lcanvas\"` through the tree's paths", function()
    local code, out, err = sh(string.format(
      "eval \"$(luarocks --lua-version=5.4 --tree=%q path)\" && lua5.4 -e %q", tree, string.format([[
        local lcanvas = require "lcanvas"
        local c = lcanvas.new(%q, %q)
        local me = c:get_current_user()
        local u = c:get_user(3)
        print(package.searchpath("lcanvas.core", package.cpath), lcanvas._VERSION)
        print(me.id, me.name, u.id, u.name)
      ]], sandbox.url, sandbox.tokens.admin)))
    assert.equal(0, code, err)
    assert.equal(string.format("%s/lib/lua/5.4/lcanvas/core.so\t%s\n1\tSandbox Admin\t3\tSam Student\n",
      tree, project_version()), out)
    local got = api_requests()
    assert.equal(2, #got)
    assert.equal("/api/v1/users/self", got[1].path)
    assert.equal("/api/v1/users/3", got[2].path)
    assert.equal("Bearer " .. sandbox.tokens.admin, got[2].headers["authorization"])
  end)

  it("installs an lcanvas executable that starts the sandbox, reads a user and stops it", function()
    check_sandbox_run(tree .. "/bin/lcanvas")
  end)

  it("says what to install when the sandbox's cqueues is missing", function()
    -- A Lua search path without the system's modules: cqueues is not found.
    local env = "env LUA_PATH_5_4=/nonexistent/?.lua LUA_CPATH_5_4=/nonexistent/?.so " ..
      "XDG_CONFIG_HOME=" .. q(tmpname()) .. " "
    local exe = q(tree .. "/bin/lcanvas")
    local code, out = sh(env .. exe .. " sandbox")
    assert.equal(2, code)
    assert.matches("needs the Lua module cqueues, which is not installed %(Debian: apt install lua%-cqueues", out)
    local err
    code, out, err = sh(env .. exe .. " --sandbox -e 'print(1)'")
    assert.equal(2, code)   -- a configuration error: one line, no traceback
    assert.equal("", out)
    assert.matches("^lcanvas: the sandbox did not start: lcanvas sandbox: the sandbox needs " ..
      "the Lua module cqueues[^\n]*\n$", err)
    -- The rest of lcanvas works without it.
    code, out = sh(env .. exe .. " -e " .. q("print(require('lcanvas')._VERSION)"))
    assert.equal(0, code)
    assert.equal(project_version() .. "\n", out)
  end)

  it("installs an lcanvas executable that runs a script", function()
    local script = tmpname() .. ".lua"
    local f = assert(io.open(script, "w"))
    f:write('local u = canvas:get_user(tonumber(arg[1])); print(u.name, arg[1])\n')
    f:close()
    local exe = q(tree .. "/bin/lcanvas")
    local code, out, err = sh(lua_env({ CANVAS_API_URL = sandbox.url,
      CANVAS_API_TOKEN = sandbox.tokens.admin }) .. exe .. " " .. q(script) .. " 3")
    os.remove(script)
    assert.equal(0, code, err)
    assert.equal("Sam Student\t3\n", out)
    assert.equal(1, #api_requests(function(r) return r.path == "/api/v1/users/3" end))
    code, out = sh(exe .. " --version")
    assert.equal(0, code)
    assert.equal("lcanvas " .. project_version() .. "\n", out)
    -- A failing script: message on stderr, status 1, the token nowhere.
    local _
    code, _, err = sh(lua_env({ CANVAS_API_URL = sandbox.url,
      CANVAS_API_TOKEN = sandbox.tokens.admin }) .. exe .. " -e 'canvas:get_user(999999)'")
    assert.equal(1, code)
    assert.matches("ResourceDoesNotExist", err)
    assert.is_nil(err:find(sandbox.tokens.admin, 1, true))
  end)
end)
