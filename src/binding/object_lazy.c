/* Lazy objects. An object read from a list page (list_load.c) or from a
 * GET answer (endpoint.c) starts with no attribute table, only the answer's
 * text (user value 3) and where the object is in it. Reading a scalar
 * field scans that text in place (span.c); anything that needs the table
 * (a nested value, pairs, an assignment, a method's update) builds it
 * once, and from then on the object is an ordinary table-backed one.
 * A profile of the natural loop over 100,000 users showed half its time in
 * building tables of fields the loop never read. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_json.h"
#include "lcb_span.h"
#include "object.h"

/* Builds the attribute table of a lazy object from its text. */
static void materialize(lua_State *L, int idx)
{
    lcb_obj *o = lua_touserdata(L, idx);
    size_t n;
    lua_getiuservalue(L, idx, LCB_OBJ_SRC);
    const char *src = lua_tolstring(L, -1, &n);
    if (!src || o->off + o->len > n) luaL_error(L, "lcanvas: an object lost its text");
    if (!lcb_push_json_ex(L, src + o->off, o->len, 1)) lua_error(L);
    lua_setiuservalue(L, idx, LCB_OBJ_ATTRS);
    lua_pushnil(L);
    lua_setiuservalue(L, idx, LCB_OBJ_SRC);
    lua_pop(L, 1);
}

void lcb_object_attrs(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_getiuservalue(L, idx, LCB_OBJ_ATTRS) == LUA_TTABLE) return;
    lua_pop(L, 1);
    materialize(L, idx);
    lua_getiuservalue(L, idx, LCB_OBJ_ATTRS);
}

void lcb_resource_field(lua_State *L, int idx, const char *key, size_t klen)
{
    idx = lua_absindex(L, idx);
    if (lua_getiuservalue(L, idx, LCB_OBJ_ATTRS) != LUA_TTABLE) {
        lua_pop(L, 1);
        lcb_obj *o = lua_touserdata(L, idx);
        size_t n;
        lua_getiuservalue(L, idx, LCB_OBJ_SRC);
        const char *src = lua_tolstring(L, -1, &n);
        lcb_span v;
        int found = src ? lcb_span_member(src + o->off, o->len, key, klen, &v) : -1;
        if (found == 0) {
            lua_pop(L, 1);
            lua_pushnil(L);
            return;
        }
        if (found == 1 && lcb_span_push_scalar(L, src + o->off + v.off, v.len)) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
        lcb_object_attrs(L, idx);
    }
    lua_pushlstring(L, key, klen);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lcb_is_null(L, -1)) {
        lua_pop(L, 1);
        lua_pushnil(L);
    }
}

int lcb_resource_is_lazy(lua_State *L, int idx)
{
    int lazy = lua_getiuservalue(L, idx, LCB_OBJ_ATTRS) != LUA_TTABLE;
    lua_pop(L, 1);
    return lazy;
}

void lcb_resource_push_text(lua_State *L, int idx)
{
    lcb_obj *o = lua_touserdata(L, idx);
    lua_getiuservalue(L, idx, LCB_OBJ_SRC);
    const char *src = lua_tostring(L, -1);
    lua_pushlstring(L, src + o->off, o->len);
    lua_remove(L, -2);
}

lcb_obj *lcb_push_lazy_resource(lua_State *L, int mt_idx, int src_idx, size_t off, size_t len,
                                int client_idx)
{
    lcb_obj *o = lua_newuserdatauv(L, sizeof *o, LCB_OBJ_NUV);
    o->off = off;
    o->len = len;
    o->pos = 0;
    lua_pushvalue(L, src_idx);
    lua_setiuservalue(L, -2, LCB_OBJ_SRC);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, LCB_OBJ_CLIENT);
    lua_pushvalue(L, mt_idx);
    lua_setmetatable(L, -2);
    return o;
}

