/* The type registry: every lcanvas type by name ("Client",
 * "PaginatedList", "User", ...), its metatable and method table, how its
 * objects print, and the module functions Lua code uses to reach them
 * (core.methods, core.format, core.object, core.is_object, core.client_of,
 * core.list). The type files in lua/lcanvas/types/ declare their types
 * here (core.define_type, or core.define_rows); core.types() lists them,
 * so specs and docs find every type without a list of their own, and
 * core.examples(type) gives what the endpoint spec runs against the
 * sandbox. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_list.h"
#include "lcb_types.h"
#include "object.h"

static char declared_key;   /* registry: type name -> true, the declared types */

void lcb_type_metatable(lua_State *L, const char *type)
{
    if (strcmp(type, "Client") == 0) luaL_getmetatable(L, LCB_CLIENT_MT);
    else if (strcmp(type, "PaginatedList") == 0) luaL_getmetatable(L, LCB_LIST_MT);
    else lcb_resource_metatable(L, type);
}

void lcb_type_declare(lua_State *L, const char *type)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &declared_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &declared_key);
    }
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, type);
    lua_pop(L, 1);
}

/* core.define_type(name [, {format =, doc =, examples =, plain =,
 * product =}]): declares a type (rows may return it), how its objects
 * print, a line saying what it is, the examples the endpoint spec runs
 * its methods with (see spec/endpoints_spec.lua: a receiver and, per
 * method, its arguments), the methods that send nothing of their own
 * (`plain`, a list of names), and the product ("Catalog") when it is not
 * Canvas's. */
static int l_define_type(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lcb_type_declare(L, type);
    lcb_type_metatable(L, type);
    if (lua_istable(L, 2)) {
        static const char *const keys[] = {"format", "doc", "examples", "plain", "product", NULL};
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            lua_pop(L, 1);
            int ok = 0;
            for (int i = 0; keys[i]; i++)
                ok |= lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), keys[i]) == 0;
            if (!ok) luaL_argerror(L, 2, lua_pushfstring(L, "unknown field '%s'", luaL_tolstring(L, -1, NULL)));
        }
        if (lua_getfield(L, 2, "format") == LUA_TSTRING) lcb_resource_format(L, type, lua_tostring(L, -1));
        lua_pop(L, 1);
        /* plain names the methods that reach no endpoint: a list of names. */
        int pt = lua_getfield(L, 2, "plain");
        if (pt != LUA_TNIL) {
            int okp = pt == LUA_TTABLE;
            for (lua_Integer i = 1; okp && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
                okp = lua_type(L, -1) == LUA_TSTRING;
                lua_pop(L, 1);
            }
            if (!okp) luaL_argerror(L, 2, "plain is a list of method names");
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        /* Only what is given: a type file may declare in two places (its
         * format at the top, its examples after its methods). */
        static const char *const kept[][2] = {{"doc", "__doc"}, {"plain", "__plain"},
                                              {"product", "__product"}};
        for (int i = 0; i < 3; i++) {
            if (lua_getfield(L, 2, kept[i][0]) != LUA_TNIL) lua_setfield(L, 3, kept[i][1]);
            else lua_pop(L, 1);
        }
        /* Examples come from every file that adds methods to the type (a
         * new type's file adds its entry points to Client or Account):
         * their receiver and args are merged, method by method. */
        if (lua_getfield(L, 2, "examples") == LUA_TTABLE) {
            int ex = lua_gettop(L);
            if (lua_getfield(L, 3, "__examples") != LUA_TTABLE) {
                lua_pop(L, 1);
                lua_createtable(L, 0, 2);
                lua_pushvalue(L, -1);
                lua_setfield(L, 3, "__examples");
            }
            int have = lua_gettop(L);
            if (lua_getfield(L, ex, "receiver") != LUA_TNIL) lua_setfield(L, have, "receiver");
            else lua_pop(L, 1);
            if (lua_getfield(L, ex, "args") == LUA_TTABLE) {
                if (lua_getfield(L, have, "args") != LUA_TTABLE) {
                    lua_pop(L, 1);
                    lua_newtable(L);
                    lua_pushvalue(L, -1);
                    lua_setfield(L, have, "args");
                }
                lua_pushnil(L);
                while (lua_next(L, -3)) {
                    lua_pushvalue(L, -2);
                    lua_insert(L, -2);
                    lua_rawset(L, -4);
                }
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* core.check_types(): raises when a row of a declared type returns a type
 * nobody declared (a typo in a row), naming both. lua/lcanvas/init.lua
 * runs it once every type file is loaded. */
static int l_check_types(lua_State *L)
{
    lua_settop(L, 0);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &declared_key) != LUA_TTABLE) return 0;   /* 1 */
    lua_pushnil(L);                                                                   /* 2: type */
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        lcb_type_metatable(L, lua_tostring(L, 2));                                    /* 3 */
        if (lua_getfield(L, 3, "endpoints") == LUA_TTABLE) {                          /* 4 */
            lua_pushnil(L);                                                           /* 5: name */
            while (lua_next(L, 4)) {                                                  /* 6: row */
                if (lua_istable(L, 6) && lua_getfield(L, 6, "returns") == LUA_TSTRING) {   /* 7 */
                    const char *r = lua_tostring(L, 7);
                    if (strcmp(r, "data") && strcmp(r, "self") && lua_getfield(L, 1, r) == LUA_TNIL)
                        return luaL_error(L, "lcanvas: %s:%s returns '%s', which no type file declares "
                                             "(core.define_type)", lua_tostring(L, 2), lua_tostring(L, 5), r);
                }
                lua_settop(L, 5);
            }
        }
        lua_settop(L, 2);
    }
    return 0;
}

/* core.types() -> the declared type names, sorted. */
static int l_types(lua_State *L)
{
    lua_newtable(L);
    int out = lua_gettop(L);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &declared_key) == LUA_TTABLE) {
        lua_Integer n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, out, ++n);
        }
    }
    lua_pop(L, 1);
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, out);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    return 1;
}

/* core.type_info(type) -> {doc =, examples =, plain =, product =}: what
 * core.define_type declared (examples, for the endpoint spec; plain, the
 * methods that are no endpoint; product, "Catalog" for another product's
 * types). */
static int l_type_info(lua_State *L)
{
    lcb_type_metatable(L, luaL_checkstring(L, 1));
    lua_createtable(L, 0, 4);
    static const char *const kept[][2] = {{"doc", "__doc"}, {"examples", "__examples"},
                                          {"plain", "__plain"}, {"product", "__product"}};
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, -2, kept[i][1]);
        lua_setfield(L, -2, kept[i][0]);
    }
    return 1;
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
    lcb_type_declare(L, luaL_checkstring(L, 1));
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
        {"define_type", l_define_type},
        {"types", l_types},
        {"check_types", l_check_types},
        {"type_info", l_type_info},
        {"object", l_object},
        {"is_object", l_is_object},
        {"client_of", l_client_of},
        {"list", l_list},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
