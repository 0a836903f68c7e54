-- LuaRocks package for the development tree. The version of what it builds
-- is CMake's project(VERSION) (lcanvas._VERSION); spec/install_spec.lua
-- installs this rock and checks that.
rockspec_format = "3.0"
package = "lcanvas"
version = "scm-1"
source = {
  url = "git+https://github.com/lcanvas/lcanvas.git",
}
description = {
  summary = "The Canvas LMS REST API for Lua 5.4, on a C core using libcurl",
  detailed = [[
lcanvas gives Lua 5.4 a Canvas LMS client (users, accounts, pairing codes,
lazy paginated lists, typed errors, retries and rate limiting) built on a
Lua-free C core, an `lcanvas` executable that runs automation scripts, and a
sandbox Canvas to run them against safely.]],
  license = "MIT",
  labels = { "canvas", "lms", "rest", "http" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
-- cqueues is a soft dependency: only the sandbox (`lcanvas sandbox`,
-- `lcanvas --sandbox`) and lcanvas.loop.cqueues need it, and they say so
-- when it is missing (Debian: lua-cqueues; or `luarocks install cqueues`).
-- Listing it here would make `luarocks make` fetch it even where Debian's
-- package is installed, and fail offline.
-- libcurl >= 7.85 with its headers (Debian: libcurl4-openssl-dev). Only the
-- library is probed here: Debian keeps curl.h in a multiarch include dir that
-- LuaRocks does not search; CMake's find_package(CURL) finds it.
external_dependencies = {
  CURL = { library = "curl" },
}
build = {
  -- CMake, not "builtin": the rock also builds the `lcanvas` executable.
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    CMAKE_C_FLAGS = "$(CFLAGS)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LCANVAS_LUADIR = "$(LUADIR)",
    LCANVAS_LIBDIR = "$(LIBDIR)",
    LCANVAS_BINDIR = "$(BINDIR)",
    -- The rock is the Lua module and the executable; the C library,
    -- headers and pkg-config files come with `cmake --install`.
    LCANVAS_INSTALL_C_LIBRARY = "OFF",
  },
}
