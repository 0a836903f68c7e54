-- Embedding lcanvas: C programs built against the *installed* tree through
-- pkg-config (one without Lua, one opening lcanvas in its own lua_State),
-- and lcanvas inside an existing Lua 5.4 tool (independent clients,
-- repeated require/use/unload/collect).
local lcanvas = require "lcanvas"
local sandbox = require "helper"

local ROOT = sandbox.root
local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local EXAMPLES = ROOT .. "/scripts/examples/c"

local slurp = sandbox.read_file

local tmpname = sandbox.tmpname

local sh = sandbox.sh

local q = sandbox.quote

local function sanitizer_build()
  local cache = slurp(ROOT .. "/" .. BUILD .. "/CMakeCache.txt") or ""
  return cache:match("LCANVAS_SANITIZE:BOOL=ON") ~= nil
end

local function project_version()
  local text = assert(slurp(ROOT .. "/CMakeLists.txt"))
  return assert(text:match("project%s*%(%s*lcanvas%s+VERSION%s+([%d%.]+)"))
end

-- The same once-per-run `cmake --install` as install_spec.lua (spec/helper.lua).
local function cmake_prefix() return sandbox.cmake_prefix(BUILD) end

-- Compiles an example against the installed tree. The sanitizer build's
-- libraries are instrumented, so programs linking them need the flags too
-- (and are then checked for leaks and undefined behaviour when they run).
local function compile(prefix, source, pkg_args, extra)
  local exe = tmpname()
  local san = sanitizer_build() and "-fsanitize=address,undefined -fno-omit-frame-pointer " or ""
  local cmd = string.format("export PKG_CONFIG_PATH=%q; cc -std=c11 -Wall -Wextra -Werror %s%q %s-o %q %s",
    prefix .. "/lib/pkgconfig", san, source, extra or "", exe, pkg_args)
  local code, out, err = sh(cmd)
  assert.equal(0, code, "compiling " .. source .. " failed:\n" .. cmd .. "\n" .. out .. err)
  return exe
end

local function run(exe, args, env)
  -- No environment help: the program must find its libraries by itself.
  local prefix = string.format("env -u LD_LIBRARY_PATH ASAN_OPTIONS=detect_leaks=1:exitcode=23 " ..
    "CANVAS_API_URL=%q CANVAS_API_TOKEN=%q ",
    sandbox.url, sandbox.tokens.admin)
  for k, v in pairs(env or {}) do prefix = prefix .. k .. "=" .. q(v) .. " " end
  return sh(prefix .. q(exe) .. " " .. (args or ""))
end

local api_requests = sandbox.api_requests

describe("a C program without Lua (scripts/examples/c/pure_c.c)", function()
  local prefix
  setup(function()
    sandbox.start()
    prefix = cmake_prefix()
  end)
  before_each(function() sandbox.reset() end)

  -- The expected output, computed through the Lua binding.
  local function expected(per_page, search)
    local c = lcanvas.new(sandbox.url, sandbox.tokens.admin)
    local lines = { "lcanvas " .. project_version(), "me: 1 Sandbox Admin" }
    local n = 0
    for u in c:list("accounts/1/users", { search_term = search }) do
      n = n + 1
      lines[#lines + 1] = string.format("user: %d %s", u.id, u.name)
    end
    c:close()
    local pages = (n + per_page - 1) // per_page
    lines[#lines + 1] = string.format("pages: %d users: %d", pages, n)
    sandbox.clear_requests()
    return table.concat(lines, "\n") .. "\n", pages, n
  end

  local function check(exe, env)
    local want, pages, n = expected(2, "adams")
    assert.is_true(n >= 5 and pages >= 3, "the seed should give several pages")
    local code, out, err = run(exe, "2 adams", env)
    assert.equal(0, code, err)
    assert.equal(want, out)
    assert.equal("", err)
    -- What the sandbox saw: users/self, then one request per page, the
    -- first built from the path and the rest from the Link headers.
    local got = api_requests()
    assert.equal(1 + pages, #got)
    assert.equal("/api/v1/users/self", got[1].path)
    assert.equal("per_page=2&search_term=adams", got[2].query)
    for i = 2, #got do
      assert.equal("GET", got[i].method)
      assert.equal("/api/v1/accounts/1/users", got[i].path)
      assert.matches("search_term=adams", got[i].query)
      assert.equal("Bearer " .. sandbox.tokens.admin, got[i].headers["authorization"])
      assert.equal("lcanvas/" .. project_version(), got[i].headers["user-agent"])
    end
  end

  it("builds with pkg-config against the shared library and runs without LD_LIBRARY_PATH", function()
    local exe = compile(prefix, EXAMPLES .. "/pure_c.c", "$(pkg-config --cflags --libs lcanvas)")
    check(exe)
    -- It really uses the installed shared library, found through its RPATH.
    local code, out = sh("env -u LD_LIBRARY_PATH ldd " .. q(exe))
    assert.equal(0, code)
    assert.matches("liblcanvas%.so%.%d+ => " .. prefix:gsub("%p", "%%%0") .. "/lib/", out)
    os.remove(exe)
  end)

  it("links with exactly what `pkg-config --static` prints, on stock Debian", function()
    local exe = compile(prefix, EXAMPLES .. "/pure_c.c", "$(pkg-config --static --cflags --libs lcanvas)")
    check(exe)
    os.remove(exe)
  end)

  it("links liblcanvas.a itself with the private requirements pkg-config lists", function()
    local exe = compile(prefix, EXAMPLES .. "/pure_c.c",
      "$(pkg-config --cflags --libs-only-L lcanvas) -Wl,-Bstatic -llcanvas -Wl,-Bdynamic " ..
      "$(pkg-config --static --libs-only-l lcanvas | sed 's/-llcanvas//')")
    local code, out = sh("ldd " .. q(exe))
    assert.equal(0, code)
    assert.is_nil(out:find("liblcanvas", 1, true))
    check(exe)
    os.remove(exe)
  end)

  it("includes only <lcanvas/...> headers: the generic names stay out of the include path", function()
    local code, out = sh("PKG_CONFIG_PATH=" .. q(prefix .. "/lib/pkgconfig") ..
      " pkg-config --cflags lcanvas lcanvas-lua")
    assert.equal(0, code)
    assert.is_nil(out:find("/include/lcanvas", 1, true))
    -- A json.h of the program's own, next to it, does not clash with ours.
    local dir = tmpname()
    assert(os.execute("mkdir -p " .. q(dir)))
    local f = assert(io.open(dir .. "/json.h", "w"))
    f:write("#define OTHER_JSON_H 1\n")
    f:close()
    f = assert(io.open(dir .. "/main.c", "w"))
    f:write([[
#include <json.h>
#include <lcanvas/lcanvas.h>
#include <lcanvas/json.h>
#include <stdio.h>
int main(void) {
    lc_value *v = lc_json_decode("[1]", 3, NULL, 0);
    printf("%d %d\n", OTHER_JSON_H, v && v->type == LC_T_ARRAY);
    lc_value_free(v);
    return 0;
}
]])
    f:close()
    local exe = compile(prefix, dir .. "/main.c", "$(pkg-config --cflags --libs lcanvas)", "-I" .. q(dir) .. " ")
    code, out = sh(q(exe))
    os.execute("rm -rf " .. q(dir))
    os.remove(exe)
    assert.equal(0, code)
    assert.equal("1 1\n", out)
  end)

  it("reports a Canvas error with its kind and a non-zero status", function()
    local exe = compile(prefix, EXAMPLES .. "/pure_c.c", "$(pkg-config --cflags --libs lcanvas)")
    local code, out, err = run(exe, "2", { CANVAS_API_TOKEN = "not-a-valid-token" })
    os.remove(exe)
    assert.equal(1, code)
    assert.matches("^pure_c: InvalidAccessToken: ", err)
    assert.is_nil(out:find("me:", 1, true))
  end)
end)

describe("a C program with its own poll(2) loop (scripts/examples/c/poll_loop.c)", function()
  local prefix
  setup(function()
    sandbox.start()
    prefix = cmake_prefix()
  end)
  before_each(function() sandbox.reset() end)

  it("runs slow requests at once from its loop while its 100 ms ticker stays on time", function()
    local exe = compile(prefix, EXAMPLES .. "/poll_loop.c", "$(pkg-config --cflags --libs lcanvas)")
    sandbox.fault({ path = "/api/v1/users/3", delay_ms = 1000, count = 6 })
    local code, out, err = run(exe, "users/3 6")
    os.remove(exe)
    assert.equal(0, code, err)
    local _, users = out:gsub("user: 3 Sam Student\n", "")
    assert.equal(6, users)
    local ms, ticks, late = out:match("elapsed_ms: (%d+) ticks: (%d+) worst_late_ms: ([%d%.]+)\n$")
    ms, ticks, late = tonumber(ms), tonumber(ticks), tonumber(late)
    assert.is_true(ms >= 1000 and ms < 1600, "6 requests took " .. ms .. " ms")
    assert.is_true(ticks >= 9, ticks .. " ticks")
    assert.is_true(late <= 20, "the ticker was " .. late .. " ms late")
    assert.equal(6, #api_requests(function(r) return r.path == "/api/v1/users/3" end))
  end)

  it("reports a failed request from its loop", function()
    local exe = compile(prefix, EXAMPLES .. "/poll_loop.c", "$(pkg-config --cflags --libs lcanvas)")
    local code, _, err = run(exe, "users/999999 2")
    os.remove(exe)
    assert.equal(1, code)
    assert.matches("poll_loop: ResourceDoesNotExist: ", err)
  end)
end)

describe("a C program embedding Lua (scripts/examples/c/embed_lua.c)", function()
  local prefix, exe
  setup(function()
    sandbox.start()
    prefix = cmake_prefix()
    exe = compile(prefix, EXAMPLES .. "/embed_lua.c",
      "$(pkg-config --cflags --libs lcanvas-lua)",
      "-DLCANVAS_LUADIR=\"\\\"$(pkg-config --variable=luadir lcanvas-lua)\\\"\" ")
  end)
  teardown(function() if exe then os.remove(exe) end end)
  before_each(function() sandbox.reset() end)

  it("opens lcanvas.core with luaL_requiref and the front module from the installed files", function()
    local code, out, err = run(exe, "3")
    assert.equal(0, code, err)
    assert.equal(string.format("lcanvas %s\nme: Sandbox Admin\nuser: 3 Sam Student\n",
      project_version()), out)
    local got = api_requests()
    assert.equal(2, #got)
    assert.equal("/api/v1/users/self", got[1].path)
    assert.equal("/api/v1/users/3", got[2].path)
  end)

  it("passes Canvas errors to the host as lcanvas.Error objects", function()
    local code, out, err = run(exe, "999999")
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("^embed_lua: ResourceDoesNotExist: GET /api/v1/users/999999 %-> 404", err)
  end)
end)

describe("lcanvas inside an existing Lua 5.4 tool", function()
  setup(function() sandbox.start() end)
  before_each(function() sandbox.reset() end)

  it("loads into a stock lua5.4 from the build's cpath", function()
    local env = "env -u LUA_PATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 "
    if sanitizer_build() and os.getenv("LCANVAS_ASAN_PRELOAD") then
      env = env .. "LD_PRELOAD=" .. q(os.getenv("LCANVAS_ASAN_PRELOAD")) .. " "
    end
    local code, out, err = sh(env .. string.format(
      "LUA_CPATH=%q LUA_PATH=%q lua5.4 -e %q",
      ROOT .. "/" .. BUILD .. "/lib/?.so", ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua",
      string.format("local l = require 'lcanvas'; print(l.new(%q, %q):get_current_user().name)",
        sandbox.url, sandbox.tokens.student)))
    assert.equal(0, code, err)
    assert.equal("Sam Student\n", out)
  end)

  it("keeps two clients in one process independent", function()
    local a = lcanvas.new(sandbox.url, sandbox.tokens.admin, { per_page = 2, user_agent = "tool-a/1" })
    local b = lcanvas.new(sandbox.alt, sandbox.tokens.student, { per_page = 3, user_agent = "tool-b/1" })
    assert.are_not.equal(a:base_url(), b:base_url())
    assert.equal("Sandbox Admin", a:get_current_user().name)
    assert.equal("Sam Student", b:get_current_user().name)
    a:list("accounts/1/users"):first()
    b:list("users/self/courses"):first()

    local got = api_requests()
    assert.equal(4, #got)
    local by_agent = { ["tool-a/1"] = {}, ["tool-b/1"] = {} }
    for _, r in ipairs(got) do table.insert(by_agent[r.headers["user-agent"]], r) end
    for _, r in ipairs(by_agent["tool-a/1"]) do
      assert.equal("main", r.origin)
      assert.equal("Bearer " .. sandbox.tokens.admin, r.headers["authorization"])
    end
    for _, r in ipairs(by_agent["tool-b/1"]) do
      assert.equal("alt", r.origin)
      assert.equal("Bearer " .. sandbox.tokens.student, r.headers["authorization"])
    end
    assert.matches("per_page=2", by_agent["tool-a/1"][2].query)
    assert.matches("per_page=3", by_agent["tool-b/1"][2].query)

    -- Closing one leaves the other working.
    a:close()
    assert.has_error(function() a:get_current_user() end)
    sandbox.clear_requests()
    assert.equal("Sam Student", b:get_current_user().name)
    assert.equal(1, #api_requests())
    b:close()
  end)

  it("can be required, used, unloaded and collected repeatedly without growing", function()
    local saved = { package.loaded["lcanvas"], package.loaded["lcanvas.core"] }
    local weak = setmetatable({}, { __mode = "k" })
    local function round()
      package.loaded["lcanvas"], package.loaded["lcanvas.core"] = nil, nil
      local l = require "lcanvas"
      local c = l.new(sandbox.url, sandbox.tokens.admin)
      weak[l], weak[c] = true, true
      assert.equal(1, c:get_current_user().id)
      local list = c:list("accounts/1/users", { per_page = 2 })
      weak[list] = true
      assert.is_not_nil(list:first())
      local ok, err = pcall(c.get_user, c, 999999)   -- an error object too
      assert.is_false(ok)
      weak[err] = true
      -- Left for the garbage collector: no close().
    end
    local ok, err = pcall(function()
      for _ = 1, 10 do round() end
      package.loaded["lcanvas"], package.loaded["lcanvas.core"] = nil, nil
      collectgarbage(); collectgarbage()
      local base = collectgarbage("count")
      for _ = 1, 30 do round() end
      package.loaded["lcanvas"], package.loaded["lcanvas.core"] = nil, nil
      collectgarbage(); collectgarbage()
      -- Every module table, client, list and error of the rounds is gone.
      assert.is_nil(next(weak))
      -- The Lua heap is back where it was (a little slack for interned strings).
      assert.is_true(collectgarbage("count") - base < 64, "the Lua heap grew")
    end)
    package.loaded["lcanvas"], package.loaded["lcanvas.core"] = saved[1], saved[2]
    assert(ok, err)
    assert.equal(40 * 3, #api_requests())
  end)
end)
