/* Lua values -> JSON text and Rails parameters, through the core's value
 * tree (json_write.c, params.c): request bodies and queries, where an
 * lcanvas object stands for its id, and data written out (json.encode,
 * JSON lines), where an object is all its attributes. The other way is
 * json_in.c's. */
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_json.h"
#include "object.h"
#include "json.h"
#include "params.h"

#define VALUEBOX_MT "lcanvas.valuebox"

/* ------------------------------------------------------------ Lua -> tree */

static int valuebox_gc(lua_State *L)
{
    lc_value **box = luaL_checkudata(L, 1, VALUEBOX_MT);
    lc_value_free(*box);
    *box = NULL;
    return 0;
}

void lcb_value_done(lua_State *L, int box_idx)
{
    lc_value **box = luaL_checkudata(L, box_idx, VALUEBOX_MT);
    lc_value_free(*box);
    *box = NULL;
}

/* Is the table at idx a non-empty sequence 1..n with nothing else? */
static int is_sequence(lua_State *L, int idx, lua_Integer *n_out)
{
    idx = lua_absindex(L, idx);
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    if (n == 0) return 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return 0;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k < 1 || k > n) {
            lua_pop(L, 1);
            return 0;
        }
        count++;
    }
    *n_out = n;
    return count == n;
}

static void oom(lua_State *L)
{
    luaL_error(L, "out of memory");
}

/* Writing data, an lcanvas object is its attributes (null members
 * included, as Canvas sent them): replaces it at idx by that table. A lazy
 * object's text is decoded for the occasion; the object stays lazy. */
static void as_data(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TUSERDATA) return;
    if (lcb_is_resource(L, idx)) {
        if (lcb_resource_is_lazy(L, idx)) {
            size_t n;
            lcb_resource_push_text(L, idx);
            const char *text = lua_tolstring(L, -1, &n);
            if (!lcb_push_json_ex(L, text, n, 1)) lua_error(L);
            lua_remove(L, -2);
        } else {
            lcb_resource_attrs(L, idx);
        }
        lua_replace(L, idx);
        return;
    }
    if (luaL_testudata(L, idx, "lcanvas.PaginatedList"))
        luaL_error(L, "%s: cannot write a PaginatedList as it is (its pages are not loaded): "
                   "write list:all(), or each item in a loop", what);
}

static lc_value *convert(lua_State *L, int idx, const char *what, int depth, int data);
static void fill(lua_State *L, int idx, lc_value *container, const char *what, int depth,
                 int data);

/* Converts the child on top of the stack, attaches it under `parent` (array
 * item, or member `key`) right away so the tree stays reachable from the box
 * and a later Lua error frees it, then fills it if it is a container. */
static void add_child(lua_State *L, lc_value *parent, const char *key, size_t klen,
                      const char *what, int depth, int data)
{
    if (data) as_data(L, -1, what);
    lc_value *v = convert(L, -1, what, depth, data);
    if (!v) oom(L);
    int rc = parent->type == LC_T_ARRAY ? lc_array_push(parent, v)
                                        : lc_object_set(parent, key, klen, v);
    if (rc != 0) oom(L);
    if (v->type == LC_T_ARRAY || v->type == LC_T_OBJECT) fill(L, -1, v, what, depth, data);
}

static int member_cmp(const void *pa, const void *pb)
{
    const lc_member *a = pa, *b = pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n ? memcmp(a->key, b->key, n) : 0;
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

static void fill(lua_State *L, int idx, lc_value *container, const char *what, int depth,
                 int data)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 6, "parameters");
    if (container->type == LC_T_ARRAY) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            add_child(L, container, NULL, 0, what, depth + 1, data);
            lua_pop(L, 1);
        }
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t klen;
        int kt = lua_type(L, -2);
        if (kt == LUA_TNUMBER && lua_isinteger(L, -2)) {
            /* A sparse table's integer keys become "3" (copy: lua_next needs
             * the original key untouched). */
            lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -2));
            const char *key = lua_tolstring(L, -1, &klen);
            lua_pushvalue(L, -2);
            add_child(L, container, key, klen, what, depth + 1, data);
            lua_pop(L, 3);
            continue;
        }
        if (kt != LUA_TSTRING)
            luaL_error(L, "%s: keys must be strings (found a %s key)", what, luaL_typename(L, -2));
        const char *key = lua_tolstring(L, -2, &klen);
        add_child(L, container, key, klen, what, depth + 1, data);
        lua_pop(L, 1);
    }
    /* Lua's table order changes from run to run; sorted keys make every
     * JSON body and JSON lines output byte-for-byte reproducible. */
    if (container->u.obj.n > 1)
        qsort(container->u.obj.m, container->u.obj.n, sizeof *container->u.obj.m, member_cmp);
}

/* One level: scalars, or an empty container for fill() to populate. */
static lc_value *convert(lua_State *L, int idx, const char *what, int depth, int data)
{
    (void)data;
    if (depth > LC_JSON_MAX_DEPTH) luaL_error(L, "%s: nested too deeply (or a cycle)", what);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return lc_value_null();
    case LUA_TBOOLEAN: return lc_value_bool(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) return lc_value_int((int64_t)lua_tointeger(L, idx));
        {
            double d = (double)lua_tonumber(L, idx);
            if (!isfinite(d)) luaL_error(L, "%s: cannot send %s", what, d != d ? "NaN" : "infinity");
            return lc_value_double(d);
        }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return lc_value_string(s, len);
    }
    case LUA_TLIGHTUSERDATA:
        if (lcb_is_null(L, idx)) return lc_value_null();
        break;
    case LUA_TUSERDATA:
        /* An lcanvas object stands for its id, as in `add_observee(user)`. */
        if (lcb_resource_attrs(L, idx)) {
            lua_getfield(L, -1, "id");
            lc_value *v = NULL;
            if (lua_isinteger(L, -1)) v = lc_value_int((int64_t)lua_tointeger(L, -1));
            else if (lua_type(L, -1) == LUA_TSTRING) {
                size_t len;
                const char *s = lua_tolstring(L, -1, &len);
                v = lc_value_string(s, len);
            } else {
                luaL_error(L, "%s: this object has no id to send", what);
            }
            lua_pop(L, 2);
            return v;
        }
        break;
    case LUA_TTABLE: {
        lua_Integer n;
        return is_sequence(L, idx, &n) ? lc_value_array() : lc_value_object();
    }
    default: break;
    }
    luaL_error(L, "%s: cannot send a %s", what, luaL_typename(L, idx));
    return NULL;
}

lc_value *lcb_to_value(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    lc_value **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    luaL_setmetatable(L, VALUEBOX_MT);
    lc_value *v = convert(L, idx, what, 0, 0);
    if (!v) oom(L);
    *box = v;
    if (v->type == LC_T_ARRAY || v->type == LC_T_OBJECT) fill(L, idx, v, what, 0, 0);
    return v;
}

/* For writing data (json.encode): the tree of the value at idx, where an
 * lcanvas object is its attributes, not its id. Boxed like lcb_to_value. */
static lc_value *to_data_value(lua_State *L, int idx, const char *what)
{
    lua_pushvalue(L, idx);
    int val = lua_gettop(L);
    as_data(L, val, what);
    lc_value **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    luaL_setmetatable(L, VALUEBOX_MT);
    lc_value *v = convert(L, val, what, 0, 1);
    if (!v) oom(L);
    *box = v;
    if (v->type == LC_T_ARRAY || v->type == LC_T_OBJECT) fill(L, val, v, what, 0, 1);
    lua_remove(L, val);
    return v;
}

static void push_encoded(lua_State *L, int idx, const char *what, int data)
{
    idx = lua_absindex(L, idx);
    lc_value *v = data ? to_data_value(L, idx, what) : lcb_to_value(L, idx, what);
    int box = lua_gettop(L);
    lc_buf b;
    lc_buf_init(&b);
    int rc = lc_json_encode(v, &b);
    lcb_value_done(L, box);
    lua_pop(L, 1);
    if (rc != 0 || b.oom) {
        lc_buf_free(&b);
        luaL_error(L, "%s: cannot encode as JSON", what);
        return;
    }
    lua_pushlstring(L, b.data ? b.data : "", b.len);
    lc_buf_free(&b);
}

void lcb_push_json_encoded(lua_State *L, int idx, const char *what)
{
    push_encoded(L, idx, what, 0);
}

void lcb_push_json_data(lua_State *L, int idx, const char *what)
{
    push_encoded(L, idx, what, 1);
}

/* json.encode writes data: an lcanvas object is all of its attributes (a
 * request body, lcb_push_json_encoded, sends an object as its id). */
static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lcb_push_json_data(L, 1, "json.encode");
    return 1;
}

void lcb_push_params(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lc_value *v = lcb_to_value(L, idx, "params");
    int box = lua_gettop(L);
    if (v->type == LC_T_ARRAY)
        luaL_error(L, "params must be a table of names to values, not a list");
    /* The buffer only lives across C calls that cannot raise. */
    lc_buf b;
    lc_buf_init(&b);
    int rc = lc_params_encode(v, &b);
    lcb_value_done(L, box);
    lua_pop(L, 1);
    if (rc != 0 || b.oom) {
        lc_buf_free(&b);
        luaL_error(L, "params: could not encode");
    }
    lua_pushlstring(L, b.data ? b.data : "", b.len);
    lc_buf_free(&b);
}

/* Rails-style encoding, exposed for scripts that build URLs themselves. */
static int l_encode_params(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lcb_push_params(L, 1);
    return 1;
}

void lcb_open_json_out(lua_State *L)
{
    static const luaL_Reg valuebox_meta[] = {{"__gc", valuebox_gc}, {NULL, NULL}};
    lcb_class(L, VALUEBOX_MT, NULL, valuebox_meta);
    lua_pop(L, 1);
    /* module table is on top, its json table made by lcb_open_json */
    lua_getfield(L, -1, "json");
    lua_pushcfunction(L, l_encode);
    lua_setfield(L, -2, "encode");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_encode_params);
    lua_setfield(L, -2, "encode_params");
}
