/* lcanvas_lua.h: open lcanvas inside a Lua 5.4 state your program owns.
 *
 * Link with `pkg-config --cflags --libs lcanvas-lua`, then:
 *
 *     luaL_requiref(L, "lcanvas.core", luaopen_lcanvas_core, 0);
 *     lua_pop(L, 1);
 *
 * and add the installed Lua files (`pkg-config --variable=luadir lcanvas-lua`)
 * to package.path as "<luadir>/?.lua;<luadir>/?/init.lua", so that
 * `require "lcanvas"` finds the front module. */
#ifndef LCANVAS_LUA_H
#define LCANVAS_LUA_H

#include <lua.h>
#include "lcanvas_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pushes the `lcanvas.core` module table (a lua_CFunction for luaL_requiref). */
int luaopen_lcanvas_core(lua_State *L);

#ifdef __cplusplus
}
#endif
#endif
