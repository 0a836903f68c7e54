/* Arguments of the Lua-facing methods, checked and worded the one way:
 * "bad argument #n to 'name' (why)" with the method's own name (right even
 * when a Lua wrapper calls it), ids and objects as escaped path segments,
 * and RequiredFieldMissing for what must be present before anything is
 * sent. Shared by the row invoker (endpoint.c), its parameter checks
 * (canvas_reads.c) and the hand-written methods in Lua (core.segment,
 * core.require_fields, core.missing_field). */
#include <math.h>
#include <string.h>

#include "lcanvas.h"
#include "lcb_args.h"
#include "lcb_error.h"
#include "object.h"
#include "params.h"

/* ------------------------------------------------------------ errors */

/* "bad argument #n to 'fname' (msg)", as luaL_argerror words it, but with
 * the method's own name (right even when a Lua wrapper calls the row). */
int lcb_arg_error(lua_State *L, int argn, const char *fname, const char *msg)
{
    if (argn == 0) return luaL_error(L, "calling '%s' on bad self (%s)", fname, msg);
    return luaL_error(L, "bad argument #%d to '%s' (%s)", argn, fname, msg);
}

int lcb_missing_field(lua_State *L, const char *what, const char *field, const char *hint,
                      const char *qualifier)
{
    lc_error e;
    lc_error_init(&e);
    e.kind = LC_REQUIRED_FIELD_MISSING;
    lcb_push_error(L, &e);
    lua_pushfstring(L, "%s requires %s'%s'%s", what, qualifier ? qualifier : "", field,
                    hint ? hint : "");
    lua_setfield(L, -2, "message");
    lua_pushstring(L, field);
    lua_setfield(L, -2, "field");
    return lua_error(L);
}

/* Present and not an empty string, as every required-field check means it. */
int lcb_present(lua_State *L, int idx)
{
    return !lua_isnil(L, idx) && !(lua_type(L, idx) == LUA_TSTRING && lua_rawlen(L, idx) == 0);
}

/* ------------------------------------------------------------ segments */

void lcb_push_segment(lua_State *L, int idx, int argn, const char *fname)
{
    idx = lua_absindex(L, idx);
    if (lcb_is_resource(L, idx)) {
        lcb_resource_field(L, idx, "id", 2);
        if (lua_isnil(L, -1)) lcb_arg_error(L, argn, fname, "this object has no id");
        lcb_push_segment(L, -1, argn, fname);
        lua_remove(L, -2);
        return;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
        lua_Integer i = 0;
        if (!lua_isinteger(L, idx)) {
            double d = (double)lua_tonumber(L, idx);
            if (d != floor(d) || !lua_numbertointeger(d, &i))
                lcb_arg_error(L, argn, fname, "an id must be a whole number");
        } else {
            i = lua_tointeger(L, idx);
        }
        if (i <= 0) lcb_arg_error(L, argn, fname, "an id must be a positive integer");
        /* Digits by hand: lua_pushfstring("%I") goes through snprintf and
         * Lua's format machinery, a visible share of a single GET. */
        char digits[24], *d = digits + sizeof digits;
        lua_Unsigned u = (lua_Unsigned)i;
        do {
            *--d = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        lua_pushlstring(L, d, (size_t)(digits + sizeof digits - d));
        return;
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len == 0) lcb_arg_error(L, argn, fname, "an id must not be empty");
        lc_buf b;
        lc_buf_init(&b);
        int rc = lc_path_escape(&b, s, len);
        if (rc != 0 || b.oom) {
            lc_buf_free(&b);
            luaL_error(L, "out of memory");
        }
        lua_pushlstring(L, b.data, b.len);
        lc_buf_free(&b);
        return;
    }
    case LUA_TNIL:
    case LUA_TNONE:
        lcb_arg_error(L, argn, fname, "an id is required (got nil)");
        return;
    default:
        lcb_arg_error(L, argn, fname, lua_pushfstring(L, "expected an id or an lcanvas object, got %s",
                                                  luaL_typename(L, idx)));
    }
}

/* core.segment(v [, argn [, fname]]): an id, string or object as an
 * escaped path segment, for the Lua-side methods that build paths; a bad
 * value raises the final "bad argument #argn to 'fname' (...)". */
static int l_segment(lua_State *L)
{
    int argn = (int)luaL_optinteger(L, 2, 1);
    const char *fname = luaL_optstring(L, 3, "segment");
    lcb_push_segment(L, 1, argn, fname);
    return 1;
}

/* core.require_fields(tbl, what, field...): RequiredFieldMissing naming
 * `what` and the first field of tbl that is absent or "". */
static int l_require_fields(lua_State *L)
{
    const char *what = luaL_checkstring(L, 2);
    int n = lua_gettop(L);
    for (int i = 3; i <= n; i++) {
        const char *field = luaL_checkstring(L, i);
        int ok = lua_istable(L, 1);
        if (ok) {
            lua_getfield(L, 1, field);
            ok = lcb_present(L, -1);
            lua_pop(L, 1);
        }
        if (!ok) return lcb_missing_field(L, what, field, NULL, NULL);
    }
    return 0;
}

/* core.missing_field(what, field [, hint [, qualifier]]): raises
 * RequiredFieldMissing, "<what> requires <qualifier>'<field>'<hint>". */
static int l_missing_field(lua_State *L)
{
    return lcb_missing_field(L, luaL_checkstring(L, 1), luaL_checkstring(L, 2),
                             luaL_optstring(L, 3, NULL), luaL_optstring(L, 4, NULL));
}

const char *lcb_opt_string(lua_State *L, int opts, const char *key)
{
    lua_getfield(L, opts, key);
    const char *s = NULL;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "option '%s' must be a string (got %s)", key, luaL_typename(L, -1));
        s = lua_tostring(L, -1);
    }
    lua_pop(L, 1);  /* still referenced by the opts table */
    return s;
}

void lcb_open_args(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"segment", l_segment},
        {"require_fields", l_require_fields},
        {"missing_field", l_missing_field},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
