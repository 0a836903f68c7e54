/* The one helper that makes a class: metatable, __name, method table,
 * metamethods. Every type the binding defines is made here, so they all
 * look alike from Lua (mt.__name, mt.methods, mt.__index). */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"

int lcb_class(lua_State *L, const char *name, const luaL_Reg *methods, const luaL_Reg *metamethods)
{
    luaL_newmetatable(L, name);
    int n = 0;
    while (methods && methods[n].name) n++;
    lua_createtable(L, 0, n);
    if (methods) luaL_setfuncs(L, methods, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
    lua_setfield(L, -2, "__index");
    for (const luaL_Reg *m = metamethods; m && m->name; m++) {
        if (strcmp(m->name, "__index") == 0) {
            /* A computed __index still finds the methods first. */
            lua_getfield(L, -1, "methods");
            lua_pushcclosure(L, m->func, 1);
        } else {
            lua_pushcfunction(L, m->func);
        }
        lua_setfield(L, -2, m->name);
    }
    return 1;
}

int lcb_fields_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));   /* the methods (lcb_class's upvalue) */
    if (!lua_isnil(L, -1)) return 1;
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

int lcb_fields_newindex(lua_State *L)
{
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}
