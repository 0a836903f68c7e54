/* JSON text -> Lua values. Decoding drives the core's event parser
 * straight into Lua tables, so integers stay integers (exact over int64)
 * and no intermediate tree is built. Also the null sentinel (lcanvas.null)
 * a decoded null becomes. The other way, Lua -> JSON and parameters, is
 * json_out.c's. */
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_json.h"
#include "json.h"

/* A unique address serves as the null sentinel. */
static const char null_sentinel = 0;

void lcb_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&null_sentinel);
}

int lcb_is_null(lua_State *L, int idx)
{
    return lua_touserdata(L, idx) == &null_sentinel && lua_type(L, idx) == LUA_TLIGHTUSERDATA;
}

/* ------------------------------------------------------------ decoding */

typedef struct frame {
    int is_array;
    lua_Integer n;      /* next array index */
    int has_key;        /* a key is on the stack above the table */
} frame;

typedef struct decoder {
    lua_State *L;
    int depth;
    int keep_top_nulls;  /* an object's own null members stay, as lcanvas.null */
    frame st[LC_JSON_MAX_DEPTH + 1];
} decoder;

/* A finished value is on top of the stack: store it in its container. */
static int store(decoder *d)
{
    lua_State *L = d->L;
    if (d->depth == 0) return 0;  /* the document's root: leave it */
    frame *f = &d->st[d->depth - 1];
    if (f->is_array) {
        lua_rawseti(L, -2, ++f->n);
    } else {
        lua_rawset(L, -3);
        f->has_key = 0;
    }
    return 0;
}

static int on_null(void *ud)
{
    decoder *d = ud;
    if (d->depth > 0 && !d->st[d->depth - 1].is_array && !(d->keep_top_nulls && d->depth == 1)) {
        /* JSON null member: the key is absent so `obj.field == nil`. It is
         * stored as nil rather than skipped: the last of duplicate keys wins
         * (json_read.c), a null one too, as the in-place reader has it. */
        lua_pushnil(d->L);
        return store(d);
    }
    lcb_push_null(d->L);
    return store(d);
}

static int on_bool(void *ud, int b)
{
    decoder *d = ud;
    lua_pushboolean(d->L, b);
    return store(d);
}

static int on_int(void *ud, int64_t i)
{
    decoder *d = ud;
    lua_pushinteger(d->L, (lua_Integer)i);
    return store(d);
}

static int on_double(void *ud, double v)
{
    decoder *d = ud;
    lua_pushnumber(d->L, (lua_Number)v);
    return store(d);
}

static int on_string(void *ud, const char *s, size_t len)
{
    decoder *d = ud;
    lua_pushlstring(d->L, s, len);
    return store(d);
}

static int on_key(void *ud, const char *s, size_t len)
{
    decoder *d = ud;
    lua_pushlstring(d->L, s, len);
    d->st[d->depth - 1].has_key = 1;
    return 0;
}

static int begin(decoder *d, int is_array)
{
    luaL_checkstack(d->L, 4, "JSON nesting");
    /* No slots ahead: a page of "{}," would cost hundreds of bytes a value
     * (the tables grow as members come). */
    lua_createtable(d->L, 0, 0);
    frame *f = &d->st[d->depth++];
    f->is_array = is_array;
    f->n = 0;
    f->has_key = 0;
    return 0;
}

static int on_begin_object(void *ud) { return begin(ud, 0); }
static int on_begin_array(void *ud) { return begin(ud, 1); }

static int end(void *ud)
{
    decoder *d = ud;
    d->depth--;
    return store(d);
}

static const lc_json_handler lua_handler = {
    on_null, on_bool, on_int, on_double, on_string, on_key,
    on_begin_object, end, on_begin_array, end,
};

int lcb_push_json(lua_State *L, const char *text, size_t len)
{
    return lcb_push_json_ex(L, text, len, 0);
}

int lcb_push_json_ex(lua_State *L, const char *text, size_t len, int keep_top_nulls)
{
    return lcb_push_json_max(L, text, len, keep_top_nulls, 0) == LC_JSON_OK;
}

int lcb_push_json_max(lua_State *L, const char *text, size_t len, int keep_top_nulls,
                      size_t max_values)
{
    char msg[160];
    /* Scratch for unescaped strings lives in Lua's heap, so a memory error
     * raised while building tables frees it too. The decoder state is big
     * for a C stack frame, so it goes there as well. */
    decoder *d = lua_newuserdatauv(L, sizeof *d + len + 1, 0);
    char *scratch = (char *)(d + 1);
    int base = lua_gettop(L);
    d->L = L;
    d->depth = 0;
    d->keep_top_nulls = keep_top_nulls;
    int rc = lc_json_parse_max(text, len, &lua_handler, d, scratch, max_values, msg, sizeof msg);
    if (rc != LC_JSON_OK) {
        lua_settop(L, base - 1);
        lua_pushstring(L, msg);
        return rc;
    }
    lua_remove(L, base);  /* drop the scratch, keep the value */
    return LC_JSON_OK;
}

static int l_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (!lcb_push_json(L, s, len)) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

void lcb_open_json(lua_State *L)
{
    /* module table is on top */
    lua_newtable(L);
    lua_pushcfunction(L, l_decode);
    lua_setfield(L, -2, "decode");
    lcb_push_null(L);
    lua_setfield(L, -2, "null");
    lua_setfield(L, -2, "json");
    lcb_push_null(L);
    lua_setfield(L, -2, "null");
}
