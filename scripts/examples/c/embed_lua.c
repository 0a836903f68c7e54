/* embed_lua.c: a C program with its own lua_State opens lcanvas in it and
 * runs a Lua chunk that uses it, the way an application embeds a scripting
 * layer.
 *
 *   cc embed_lua.c -DLCANVAS_LUADIR="\"$(pkg-config --variable=luadir lcanvas-lua)\"" \
 *      $(pkg-config --cflags --libs lcanvas-lua) -o embed_lua
 *   CANVAS_API_URL=... CANVAS_API_TOKEN=... ./embed_lua [user_id]
 */
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <lcanvas/lcanvas_lua.h>

#ifndef LCANVAS_LUADIR
#define LCANVAS_LUADIR "/usr/local/share/lua/5.4"
#endif

/* What the application asks of its scripting layer: the name of a user. */
static const char *SCRIPT =
    "local lcanvas = require 'lcanvas'\n"
    "local url, token, id = ...\n"
    "local canvas <close> = lcanvas.new(url, token)\n"
    "local me = canvas:get_current_user()\n"
    "local u = canvas:get_user(id)\n"
    "return lcanvas._VERSION, me.name, u.id, u.name\n";

int main(int argc, char **argv)
{
    const char *url = getenv("CANVAS_API_URL"), *token = getenv("CANVAS_API_TOKEN");
    if (!url || !token) {
        fprintf(stderr, "embed_lua: set CANVAS_API_URL and CANVAS_API_TOKEN\n");
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (!L) return 1;
    luaL_openlibs(L);

    /* 1. The C module, linked into this program. */
    luaL_requiref(L, "lcanvas.core", luaopen_lcanvas_core, 0);
    lua_pop(L, 1);
    /* 2. The Lua files (front module): prepend the installed directory. */
    lua_getglobal(L, "package");
    lua_pushstring(L, LCANVAS_LUADIR "/?.lua;" LCANVAS_LUADIR "/?/init.lua;");
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);

    int status = luaL_loadstring(L, SCRIPT);
    if (status == LUA_OK) {
        lua_pushstring(L, url);
        lua_pushstring(L, token);
        lua_pushinteger(L, argc > 1 ? strtoll(argv[1], NULL, 10) : 1);
        status = lua_pcall(L, 3, 4, 0);
    }
    if (status != LUA_OK) {
        /* lcanvas.Error objects print through their __tostring. */
        fprintf(stderr, "embed_lua: %s\n", luaL_tolstring(L, -1, NULL));
        lua_close(L);
        return 1;
    }
    printf("lcanvas %s\n", lua_tostring(L, -4));
    printf("me: %s\n", lua_tostring(L, -3));
    printf("user: %lld %s\n", (long long)lua_tointeger(L, -2), lua_tostring(L, -1));
    lua_close(L);
    return 0;
}
