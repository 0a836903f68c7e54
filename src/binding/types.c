/* The type registry: every lcanvas type by name ("Client",
 * "PaginatedList", "User", ...), its metatable and method table, how its
 * objects print, and the module functions Lua code uses to reach them
 * (core.methods, core.format, core.object, core.is_object, core.client_of,
 * core.list). The type files in lua/lcanvas/types/ declare themselves
 * through these. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_list.h"
#include "lcb_types.h"
#include "object.h"

void lcb_type_metatable(lua_State *L, const char *type)
{
    if (strcmp(type, "Client") == 0) luaL_getmetatable(L, LCB_CLIENT_MT);
    else if (strcmp(type, "PaginatedList") == 0) luaL_getmetatable(L, LCB_LIST_MT);
    else lcb_resource_metatable(L, type);
}

/* core.methods(type) -> the method table of a resource type (or of the
 * client, "Client"), so the Lua front module can add Lua methods. */
static int l_methods(lua_State *L)
{
    lcb_type_metatable(L, luaL_checkstring(L, 1));
    lua_getfield(L, -1, "methods");
    return 1;
}

/* core.format(type, template): how objects of a type print, e.g.
 * "{full_name} ({id})" (set by the type files in lua/lcanvas/types/). */
static int l_format(lua_State *L)
{
    lcb_resource_format(L, luaL_checkstring(L, 1), luaL_checkstring(L, 2));
    return 0;
}

/* core.object(type, attrs, client): build an object from Lua. */
static int l_object(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lcb_check_client(L, 3);
    lcb_push_resource(L, type, 2, 3);
    return 1;
}

/* core.is_object(v [, type]) */
static int l_is_object(lua_State *L)
{
    if (!lcb_is_resource(L, 1)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    if (lua_isnoneornil(L, 2)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__type");
    lua_pushboolean(L, lua_rawequal(L, -1, 2));
    return 1;
}

static int l_client_of(lua_State *L)
{
    lcb_resource_client(L, 1);
    return 1;
}

/* core.list(client, type, path [, params [, root [, extra]]]): a lazy
 * PaginatedList whose items get the fields of `extra` (set over what Canvas sent)
 * (e.g. {user_id = 5} on ContentMigrations listed under a user). */
static int l_list(lua_State *L)
{
    lcb_check_client(L, 1);
    const char *type = luaL_checkstring(L, 2);
    const char *path = luaL_checkstring(L, 3);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    const char *root = luaL_optstring(L, 5, NULL);
    if (!lua_isnoneornil(L, 6)) luaL_checktype(L, 6, LUA_TTABLE);
    lua_settop(L, 6);
    lcb_push_list(L, 1, type, path, lua_istable(L, 4) ? 4 : 0, root, lua_istable(L, 6) ? 6 : 0);
    return 1;
}

void lcb_open_types(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"methods", l_methods},
        {"format", l_format},
        {"object", l_object},
        {"is_object", l_is_object},
        {"client_of", l_client_of},
        {"list", l_list},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
