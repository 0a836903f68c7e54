/* Endpoints as data: the one invoker every row's method runs (rows are
 * compiled by row.c), and what it shares with the hand-written methods:
 * path segments, argument errors and required-field errors. A call reads
 * only the compiled C struct, never the row's Lua table. */
#include <math.h>
#include <string.h>

#include "lcanvas.h"
#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_json.h"
#include "lcb_list.h"
#include "lcb_task.h"
#include "endpoint.h"
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
static int present(lua_State *L, int idx)
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

/* ------------------------------------------------------------ the invoker */

/* Positional argument i (0-based, at stack slot 2 + i): an object or plain
 * table standing for one of its fields is replaced by it, then checked. */
static void check_arg(lua_State *L, const lcb_row *row, int i)
{
    const lcb_row_arg *a = &row->args[i];
    int idx = 2 + i;
    if (a->from_type) {
        int take;
        if (strcmp(a->from_type, "table") == 0) {
            take = lua_istable(L, idx) && !lcb_is_resource(L, idx);
        } else {
            take = lcb_is_resource(L, idx);
            if (take) {
                lua_getmetatable(L, idx);
                lua_getfield(L, -1, "__type");
                take = strcmp(lua_tostring(L, -1), a->from_type) == 0;
                lua_pop(L, 2);
            }
        }
        if (take) {
            if (lcb_is_resource(L, idx)) {
                lcb_resource_field(L, idx, a->from_field, strlen(a->from_field));
            } else {
                lua_getfield(L, idx, a->from_field);
            }
            lua_replace(L, idx);
        }
    }
    const char *what = a->what ? a->what : "argument";
    switch (a->check) {
    case LCB_CHECK_NONE:
        break;
    case LCB_CHECK_STRING:
        if (lua_type(L, idx) != LUA_TSTRING || lua_rawlen(L, idx) == 0)
            lcb_arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "%s must be a non-empty string, got %s", what,
                                      lua_type(L, idx) == LUA_TSTRING ? "an empty string"
                                                                       : luaL_typename(L, idx)));
        break;
    case LCB_CHECK_STRING_OR_NIL:
        if (!lua_isnil(L, idx) && lua_type(L, idx) != LUA_TSTRING)
            lcb_arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "%s must be a string or nil, got %s", what,
                                      luaL_typename(L, idx)));
        break;
    case LCB_CHECK_PRESENT:
        if (lua_isnil(L, idx))
            lcb_arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "%s is required", what));
        break;
    case LCB_CHECK_TABLE:
        if (!lua_istable(L, idx))
            lcb_arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "table expected, got %s", luaL_typename(L, idx)));
        break;
    }
}

/* Pushes the params to send: the caller's table, or a copy of it with the
 * positional arguments that are parameters set over it (the caller's table
 * is never modified). */
static void push_params(lua_State *L, const lcb_row *row, int pidx)
{
    int copy = 0;
    for (int i = 0; i < row->nargs; i++) copy |= row->args[i].param != NULL;
    if (!copy) {
        lua_pushvalue(L, pidx);
        return;
    }
    lua_newtable(L);
    if (lua_istable(L, pidx)) {
        lua_pushnil(L);
        while (lua_next(L, pidx)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
    }
    for (int i = 0; i < row->nargs; i++) {
        if (!row->args[i].param) continue;
        lua_pushvalue(L, 2 + i);
        lua_setfield(L, -2, row->args[i].param);
    }
}

/* Required fields ("pseudonym.unique_id") of the params at idx. */
static void check_required(lua_State *L, const lcb_row *row, int idx)
{
    for (int i = 0; i < row->nrequired; i++) {
        const char *f = row->required[i];
        const char *dot = strchr(f, '.');
        int ok = lua_istable(L, idx);
        if (ok) {
            if (dot) {
                lua_pushlstring(L, f, (size_t)(dot - f));
                lua_gettable(L, idx);
                ok = lua_istable(L, -1);
                if (ok) {
                    lua_getfield(L, -1, dot + 1);
                    ok = present(L, -1);
                    lua_pop(L, 1);
                }
            } else {
                lua_getfield(L, idx, f);
                ok = present(L, -1);
            }
            lua_pop(L, 1);
        }
        if (!ok) {
            const char *what = lua_pushfstring(L, "%s:%s", row->type, row->name);
            lcb_missing_field(L, what, f, NULL, NULL);
        }
    }
}

/* {*n}: pushes "/" and a segment for each part of positional n: a string
 * "a/b" (empty parts skipped), a list {"a", "b"} or nil (nothing). */
static void push_splat(lua_State *L, const lcb_row *row, int argn)
{
    int idx = 1 + argn;
    const lcb_row_arg *a = &row->args[argn - 1];
    const char *what = a->what ? a->what : "argument";
    if (lua_isnil(L, idx)) return;
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        while (*s) {
            const char *slash = strchr(s, '/');
            size_t len = slash ? (size_t)(slash - s) : strlen(s);
            if (len > 0) {
                luaL_checkstack(L, 3, "path");
                lua_pushliteral(L, "/");
                lua_pushlstring(L, s, len);
                lcb_push_segment(L, -1, argn, row->name);
                lua_remove(L, -2);
            }
            s += len + (slash ? 1 : 0);
        }
    } else if (lua_istable(L, idx) && !lcb_is_resource(L, idx)) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
        for (lua_Integer i = 1; i <= n; i++) {
            luaL_checkstack(L, 3, "path");
            lua_pushliteral(L, "/");
            int ty = lua_rawgeti(L, idx, i);
            if (ty != LUA_TSTRING && !lua_isinteger(L, -1))
                lcb_arg_error(L, argn, row->name,
                          lua_pushfstring(L, "%s part %d must be a string", what, (int)i));
            lua_tostring(L, -1);          /* an integer part becomes its digits */
            lcb_push_segment(L, -1, argn, row->name);
            lua_remove(L, -2);
        }
    } else {
        lcb_arg_error(L, argn, row->name, a->message ? a->message :
                  lua_pushfstring(L, "%s must be a string like \"a/b\" or a list of keys", what));
    }
}

static void push_path(lua_State *L, const lcb_row *row)
{
    luaL_checkstack(L, 2 * LCB_ROW_MAX_PIECES + 2, "path");
    for (int i = 0; i < row->npieces; i++) {
        const lcb_row_piece *p = &row->pieces[i];
        lua_pushlstring(L, p->text, p->len);
        if (p->splat) push_splat(L, row, p->arg);
        else if (p->arg >= 0) lcb_push_segment(L, 1 + p->arg, p->arg, row->name);
    }
}

/* Sets row->field_keys from the receiver's attributes on the table at idx. */
static void set_fields(lua_State *L, const lcb_row *row, int idx)
{
    idx = lua_absindex(L, idx);
    for (int i = 0; i < row->nfields; i++) {
        lcb_resource_field(L, 1, row->field_attrs[i], strlen(row->field_attrs[i]));
        lua_setfield(L, idx, row->field_keys[i]);
    }
}

/* After the request: stack is self, args..., params, sent params, path,
 * client, answer. */
static int invoke_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    const lcb_row *row = (const lcb_row *)ctx;
    int result = lua_gettop(L);
    switch (row->returns) {
    case LCB_RETURNS_SELF:
        /* A dry run's stand-in holds what was sent, not the object Canvas
         * would answer: the receiver stays as it was, marked dry_run. */
        if (lua_istable(L, result) && lua_getfield(L, result, "dry_run") == LUA_TBOOLEAN &&
            lua_toboolean(L, -1)) {
            lua_setfield(L, 1, "dry_run");
        } else if (lua_istable(L, result)) {
            lcb_resource_update(L, 1, result);
        }
        lua_settop(L, 1);
        return 1;
    case LCB_RETURNS_OBJECT:
        /* The answer came as validated text (call.raw): an object with no
         * fields to add is read in place (object.c), the rest decoded. */
        if (lua_type(L, result) == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, result, &n);
            if (!row->nfields && s[0] == '{') {
                lcb_resource_metatable(L, row->type_name);
                lcb_push_lazy_resource(L, lua_gettop(L), result, 0, n, result - 1);
                return 1;
            }
            if (!lcb_push_json_ex(L, s, n, 1)) lua_error(L);
            lua_replace(L, result);
        }
        if (row->nfields && lua_istable(L, result)) set_fields(L, row, result);
        lcb_push_resource(L, row->type_name, result, result - 1);
        return 1;
    case LCB_RETURNS_DATA:
        if (row->field && lua_istable(L, result)) lua_getfield(L, result, row->field);
        break;
    }
    return 1;
}

/* receiver:method(positional..., [params]) for the compiled row that is
 * upvalue 1. */
int lcb_row_invoke(lua_State *L)
{
    const lcb_row *row = lua_touserdata(L, lua_upvalueindex(1));
    if (row->client_receiver) lcb_check_client(L, 1);
    else lcb_check_resource(L, 1);
    int pidx = 2 + row->nargs;
    /* Missing arguments become nil (a clear "id is required"), never a
     * value pushed later. */
    lua_settop(L, pidx);
    for (int i = 0; i < row->nargs; i++) check_arg(L, row, i);
    if (!lua_isnil(L, pidx) && !lua_istable(L, pidx))
        lcb_arg_error(L, row->nargs + 1, row->name,
                  lua_pushfstring(L, "table expected, got %s", luaL_typename(L, pidx)));
    push_params(L, row, pidx);                    /* pidx + 1 */
    int params = lua_istable(L, pidx + 1) ? pidx + 1 : 0;
    lcb_check_canvas_params(L, row, pidx + 1);
    check_required(L, row, pidx + 1);
    int base = lua_gettop(L);
    push_path(L, row);
    lua_concat(L, lua_gettop(L) - base);          /* pidx + 2 */
    const char *path = lua_tostring(L, pidx + 2);
    if (row->client_receiver) lua_pushvalue(L, 1);
    else lcb_resource_client(L, 1);               /* pidx + 3 */
    int client = pidx + 3;
    if (row->list) {
        int extra = 0;
        if (row->nfields) {
            lua_newtable(L);
            set_fields(L, row, -1);
            extra = lua_gettop(L);
        }
        lcb_push_list(L, client, row->type_name ? row->type_name : "dict", path, params,
                      row->root, extra);
        if (row->unpaginated) lcb_list_set_unpaged(L, -1);
        return 1;
    }
    lcb_call call = {row->verb, path, params, row->json, 0, row->returns == LCB_RETURNS_OBJECT};
    return lcb_request_k(L, client, &call, (lua_KContext)row, invoke_done);
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
            ok = present(L, -1);
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

void lcb_open_endpoint(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"segment", l_segment},
        {"require_fields", l_require_fields},
        {"missing_field", l_missing_field},
        {"on_warning", lcb_l_on_warning},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
    lcb_open_rows(L);
}
