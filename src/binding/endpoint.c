/* Endpoints as data: the row compiler and the one invoker.
 *
 * A type file (a file of lua/lcanvas/types/) calls core.define_rows(type, rows).
 * Each row, a Lua table with named fields, is checked and compiled once into
 * an lcb_row (endpoint.h) kept in a userdata that is the upvalue of the
 * method's closure; a call then reads only that C struct. The strings the
 * struct points into are kept alive by a private table (the userdata's user
 * value), so editing the row tables later cannot invalidate them. */
#include <math.h>
#include <string.h>

#include "endpoint.h"
#include "object.h"
#include "params.h"

/* ------------------------------------------------------------ errors */

/* "bad argument #n to 'fname' (msg)", as luaL_argerror words it, but with
 * the method's own name (right even when a Lua wrapper calls the row). */
static int arg_error(lua_State *L, int argn, const char *fname, const char *msg)
{
    if (argn == 0) return luaL_error(L, "calling '%s' on bad self (%s)", fname, msg);
    return luaL_error(L, "bad argument #%d to '%s' (%s)", argn, fname, msg);
}

int lcb_missing_field(lua_State *L, const char *what, const char *field, const char *hint)
{
    lc_error e;
    lc_error_init(&e);
    e.kind = LC_REQUIRED_FIELD_MISSING;
    lcb_push_error(L, &e);
    lua_pushfstring(L, "%s requires '%s'%s", what, field, hint ? hint : "");
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
        lua_getiuservalue(L, idx, 1);
        lua_getfield(L, -1, "id");
        lua_replace(L, -2);
        if (lua_isnil(L, -1)) arg_error(L, argn, fname, "this object has no id");
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
                arg_error(L, argn, fname, "an id must be a whole number");
        } else {
            i = lua_tointeger(L, idx);
        }
        if (i <= 0) arg_error(L, argn, fname, "an id must be a positive integer");
        lua_pushfstring(L, "%I", (LUAI_UACINT)i);
        return;
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len == 0) arg_error(L, argn, fname, "an id must not be empty");
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
        arg_error(L, argn, fname, "an id is required (got nil)");
        return;
    default:
        arg_error(L, argn, fname, lua_pushfstring(L, "expected an id or an lcanvas object, got %s",
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
            if (lcb_resource_attrs(L, idx)) {
                lua_getfield(L, -1, a->from_field);
                lua_remove(L, -2);
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
            arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "%s must be a non-empty string, got %s", what,
                                      lua_type(L, idx) == LUA_TSTRING ? "an empty string"
                                                                       : luaL_typename(L, idx)));
        break;
    case LCB_CHECK_STRING_OR_NIL:
        if (!lua_isnil(L, idx) && lua_type(L, idx) != LUA_TSTRING)
            arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "%s must be a string or nil, got %s", what,
                                      luaL_typename(L, idx)));
        break;
    case LCB_CHECK_PRESENT:
        if (lua_isnil(L, idx))
            arg_error(L, i + 1, row->name, a->message ? a->message :
                      lua_pushfstring(L, "%s is required", what));
        break;
    case LCB_CHECK_TABLE:
        if (!lua_istable(L, idx))
            arg_error(L, i + 1, row->name, a->message ? a->message :
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
            lcb_missing_field(L, what, f, NULL);
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
                arg_error(L, argn, row->name,
                          lua_pushfstring(L, "%s part %d must be a string", what, (int)i));
            lua_tostring(L, -1);          /* an integer part becomes its digits */
            lcb_push_segment(L, -1, argn, row->name);
            lua_remove(L, -2);
        }
    } else {
        arg_error(L, argn, row->name, a->message ? a->message :
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
    lcb_resource_attrs(L, 1);
    for (int i = 0; i < row->nfields; i++) {
        lua_getfield(L, -1, row->field_attrs[i]);
        lua_setfield(L, idx, row->field_keys[i]);
    }
    lua_pop(L, 1);
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
        if (lua_istable(L, result)) lcb_resource_update(L, 1, result);
        lua_settop(L, 1);
        return 1;
    case LCB_RETURNS_OBJECT:
        if (row->nfields && lua_istable(L, result)) set_fields(L, row, result);
        lcb_push_resource(L, row->type_name, result, result - 1);
        return 1;
    case LCB_RETURNS_DATA:
        if (row->field && lua_istable(L, result)) lua_getfield(L, result, row->field);
        break;
    }
    return 1;
}

/* receiver:method(positional..., [params]) for one compiled row. */
static int invoke(lua_State *L)
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
        arg_error(L, row->nargs + 1, row->name,
                  lua_pushfstring(L, "table expected, got %s", luaL_typename(L, pidx)));
    push_params(L, row, pidx);                    /* pidx + 1 */
    int params = lua_istable(L, pidx + 1) ? pidx + 1 : 0;
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
        return 1;
    }
    lcb_call call = {row->verb, path, params, row->json, 0};
    return lcb_request_k(L, client, &call, (lua_KContext)row, invoke_done);
}

/* ------------------------------------------------------------ the compiler */

static const char *const row_keys[] = {
    "name", "method", "path", "returns", "list", "root", "json", "doc",
    "args", "required", "item_fields", "field", NULL,
};

static int row_error(lua_State *L, int n, const char *name, const char *msg)
{
    return luaL_error(L, "define_rows: row %d (%s): %s", n, name ? name : "?", msg);
}

/* The string at the top of the stack, kept in the keep table (and popped). */
static const char *keep_top(lua_State *L, int keep)
{
    const char *s = lua_tostring(L, -1);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    return s;
}

/* t[key] as a kept string, NULL when absent. */
static const char *str_field(lua_State *L, int t, const char *key, int keep, int n,
                             const char *name)
{
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (ty != LUA_TSTRING)
        row_error(L, n, name, lua_pushfstring(L, "'%s' must be a string", key));
    return keep_top(L, keep);
}

static void compile_path(lua_State *L, lcb_row *row, const char *path, int n, int *maxpos)
{
    const char *p = path;
    *maxpos = 0;
    while (*p) {
        if (row->npieces == LCB_ROW_MAX_PIECES) row_error(L, n, row->name, "path too long");
        lcb_row_piece *pc = &row->pieces[row->npieces++];
        const char *open = strchr(p, '{');
        pc->text = p;
        pc->len = open ? (size_t)(open - p) : strlen(p);
        pc->arg = -1;
        if (!open) break;
        const char *close = strchr(open, '}');
        if (!close) row_error(L, n, row->name, "unclosed '{' in path");
        size_t len = (size_t)(close - open - 1);
        if (len == 2 && strncmp(open + 1, "id", 2) == 0 && !row->client_receiver) {
            pc->arg = 0;
        } else if ((len == 1 || (len == 2 && open[1] == '*')) && open[len] >= '1' &&
                   open[len] <= '0' + LCB_ROW_MAX_ARGS) {
            pc->arg = open[len] - '0';
            pc->splat = len == 2;
            if (pc->arg > *maxpos) *maxpos = pc->arg;
        } else {
            row_error(L, n, row->name,
                      "a path placeholder is {id} (object rows), {1}..{4} or {*1}..{*4}");
        }
        p = close + 1;
    }
}

static int path_has_arg(const lcb_row *row, int argn)
{
    for (int i = 0; i < row->npieces; i++)
        if (row->pieces[i].arg == argn) return 1;
    return 0;
}

static void compile_args(lua_State *L, lcb_row *row, int t, int keep, int n, int maxpos)
{
    int nargs = maxpos;
    if (lua_getfield(L, t, "args") == LUA_TTABLE) {
        int args = lua_gettop(L);
        int len = (int)lua_rawlen(L, args);
        if (len > LCB_ROW_MAX_ARGS) row_error(L, n, row->name, "too many args");
        if (len > nargs) nargs = len;
        for (int i = 1; i <= len; i++) {
            lcb_row_arg *a = &row->args[i - 1];
            int ty = lua_rawgeti(L, args, i);
            const char *name;
            if (ty == LUA_TSTRING) {
                name = keep_top(L, keep);
            } else if (ty == LUA_TTABLE) {
                int e = lua_gettop(L);
                lua_rawgeti(L, e, 1);
                if (!lua_isstring(L, -1)) row_error(L, n, row->name, "an args entry needs a name");
                name = keep_top(L, keep);
                a->what = str_field(L, e, "what", keep, n, row->name);
                a->message = str_field(L, e, "message", keep, n, row->name);
                const char *check = str_field(L, e, "check", keep, n, row->name);
                static const char *const checks[] = {"string", "string_or_nil", "table",
                                                     "present", NULL};
                static const lcb_check kinds[] = {LCB_CHECK_STRING, LCB_CHECK_STRING_OR_NIL,
                                                  LCB_CHECK_TABLE, LCB_CHECK_PRESENT};
                for (int k = 0; check && checks[k]; k++)
                    if (strcmp(check, checks[k]) == 0) a->check = kinds[k], check = NULL;
                if (check)
                    row_error(L, n, row->name,
                              "check is \"string\", \"string_or_nil\", \"table\" or \"present\"");
                if (lua_getfield(L, e, "from") == LUA_TTABLE) {
                    lua_pushnil(L);
                    if (!lua_next(L, -2) || !lua_isstring(L, -1) || !lua_isstring(L, -2))
                        row_error(L, n, row->name, "from is {Type = \"field\"}");
                    a->from_field = keep_top(L, keep);
                    lua_pushvalue(L, -1);
                    a->from_type = keep_top(L, keep);
                    lua_pop(L, 1);
                }
                lua_pop(L, 2);
            } else {
                row_error(L, n, row->name, "an args entry is a name or a table");
                name = NULL;
            }
            if (!path_has_arg(row, i)) a->param = name;
            if (!a->what) a->what = name;
        }
    }
    lua_pop(L, 1);
    for (int i = 1; i <= nargs; i++)
        if (!path_has_arg(row, i) && !row->args[i - 1].param)
            row_error(L, n, row->name, "a positional argument is neither in the path nor in args");
    row->nargs = nargs;
}

static void compile_lists(lua_State *L, lcb_row *row, int t, int keep, int n)
{
    if (lua_getfield(L, t, "required") == LUA_TTABLE) {
        int len = (int)lua_rawlen(L, -1);
        if (len > LCB_ROW_MAX_FIELDS) row_error(L, n, row->name, "too many required fields");
        for (int i = 1; i <= len; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                row_error(L, n, row->name, "required lists field names");
            row->required[row->nrequired++] = keep_top(L, keep);
        }
    }
    lua_pop(L, 1);
    if (lua_getfield(L, t, "item_fields") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *tmpl = lua_tostring(L, -1);
            size_t len = tmpl ? strlen(tmpl) : 0;
            if (lua_type(L, -2) != LUA_TSTRING || len < 3 || tmpl[0] != '{' || tmpl[len - 1] != '}')
                row_error(L, n, row->name, "item_fields maps a key to \"{attribute}\"");
            if (row->nfields == LCB_ROW_MAX_FIELDS) row_error(L, n, row->name, "too many item_fields");
            lua_pushlstring(L, tmpl + 1, len - 2);
            row->field_attrs[row->nfields] = keep_top(L, keep);
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            row->field_keys[row->nfields++] = keep_top(L, keep);
        }
    }
    lua_pop(L, 1);
}

/* Compiles the row table at t (the n-th row of `type`); pushes the method
 * closure. */
static void compile(lua_State *L, int type_idx, int t, int n)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        int known = 0;
        for (int i = 0; row_keys[i] && !known; i++)
            known = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), row_keys[i]) == 0;
        if (!known) {
            lua_getfield(L, t, "name");
            row_error(L, n, lua_tostring(L, -1),
                      lua_pushfstring(L, "unknown field '%s'", luaL_tolstring(L, -2, NULL)));
        }
    }
    lcb_row *row = lua_newuserdatauv(L, sizeof *row, 1);
    memset(row, 0, sizeof *row);
    int ud = lua_gettop(L);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, ud, 1);
    int keep = lua_gettop(L);
    lua_pushvalue(L, type_idx);
    row->type = keep_top(L, keep);
    row->client_receiver = strcmp(row->type, "Client") == 0;
    row->name = str_field(L, t, "name", keep, n, NULL);
    if (!row->name) row_error(L, n, NULL, "a row needs a name");
    row->verb = str_field(L, t, "method", keep, n, row->name);
    static const char *const verbs[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    int ok = 0;
    for (int i = 0; verbs[i] && row->verb; i++) ok |= strcmp(verbs[i], row->verb) == 0;
    if (!ok) row_error(L, n, row->name, "method is GET, POST, PUT, PATCH or DELETE");
    const char *path = str_field(L, t, "path", keep, n, row->name);
    if (!path) row_error(L, n, row->name, "a row needs a path");
    if (!str_field(L, t, "doc", keep, n, row->name))
        row_error(L, n, row->name, "a row needs a doc string (the reference is made from it)");
    row->root = str_field(L, t, "root", keep, n, row->name);
    row->field = str_field(L, t, "field", keep, n, row->name);
    lua_getfield(L, t, "list");
    row->list = lua_toboolean(L, -1);
    lua_getfield(L, t, "json");
    row->json = lua_toboolean(L, -1);
    lua_pop(L, 2);
    const char *returns = str_field(L, t, "returns", keep, n, row->name);
    if (!returns || strcmp(returns, "data") == 0) {
        row->returns = LCB_RETURNS_DATA;
    } else if (strcmp(returns, "self") == 0) {
        if (row->list || row->client_receiver)
            row_error(L, n, row->name, "returns = \"self\" needs an object receiver and no list");
        row->returns = LCB_RETURNS_SELF;
    } else {
        row->returns = LCB_RETURNS_OBJECT;
        row->type_name = returns;
    }
    int maxpos;
    compile_path(L, row, path, n, &maxpos);
    compile_args(L, row, t, keep, n, maxpos);
    compile_lists(L, row, t, keep, n);
    if (row->field && (row->returns != LCB_RETURNS_DATA || row->list))
        row_error(L, n, row->name, "field picks from a decoded answer (returns data, no list)");
    if (row->nfields && row->client_receiver)
        row_error(L, n, row->name, "item_fields take the receiver's attributes (object rows only)");
    lua_pop(L, 1);                                /* keep */
    lua_pushcclosure(L, invoke, 1);
}

/* The row as the reference and the specs read it: its own fields, `list`
 * a boolean and `returns` defaulting to "data". */
static void push_description(lua_State *L, int t)
{
    lua_createtable(L, 0, 8);
    for (int i = 0; row_keys[i]; i++) {
        lua_getfield(L, t, row_keys[i]);
        lua_setfield(L, -2, row_keys[i]);
    }
    lua_getfield(L, t, "list");
    lua_pushboolean(L, lua_toboolean(L, -1));
    lua_setfield(L, -3, "list");
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "returns") == LUA_TNIL) {
        lua_pushliteral(L, "data");
        lua_setfield(L, -3, "returns");
    }
    lua_pop(L, 1);
}

/* core.define_rows(type, rows): each row becomes a method of `type`
 * ("Client" or an object type) and an entry of core.endpoints(type). */
static int l_define_rows(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lcb_type_metatable(L, lua_tostring(L, 1));    /* 3 */
    if (lua_getfield(L, 3, "methods") != LUA_TTABLE)   /* 4 */
        return luaL_error(L, "define_rows: %s has no method table", lua_tostring(L, 1));
    if (lua_getfield(L, 3, "endpoints") == LUA_TNIL) {  /* 5 */
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, 3, "endpoints");
    }
    lua_Integer len = (lua_Integer)lua_rawlen(L, 2);
    for (lua_Integer i = 1; i <= len; i++) {
        if (lua_rawgeti(L, 2, i) != LUA_TTABLE)   /* 6 */
            return luaL_error(L, "define_rows: row %d is not a table", (int)i);
        compile(L, 1, 6, (int)i);                  /* 7 */
        lua_getfield(L, 6, "name");                /* 8 */
        lua_pushvalue(L, 8);
        lua_pushvalue(L, 7);
        lua_rawset(L, 4);
        push_description(L, 6);
        lua_rawset(L, 5);
        lua_settop(L, 5);
    }
    lua_pushvalue(L, 4);
    return 1;
}

/* core.endpoints(type) -> the row descriptions of a type (nil if none). */
static int l_endpoints(lua_State *L)
{
    lcb_type_metatable(L, luaL_checkstring(L, 1));
    lua_getfield(L, -1, "endpoints");
    return 1;
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
        if (!ok) return lcb_missing_field(L, what, field, NULL);
    }
    return 0;
}

/* core.missing_field(what, field [, hint]): raises RequiredFieldMissing. */
static int l_missing_field(lua_State *L)
{
    return lcb_missing_field(L, luaL_checkstring(L, 1), luaL_checkstring(L, 2),
                             luaL_optstring(L, 3, NULL));
}

void lcb_open_endpoint(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"define_rows", l_define_rows},
        {"endpoints", l_endpoints},
        {"segment", l_segment},
        {"require_fields", l_require_fields},
        {"missing_field", l_missing_field},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
