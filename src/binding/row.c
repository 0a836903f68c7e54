/* The row compiler: core.define_rows(type, rows).
 *
 * A type file (lua/lcanvas/types/) hands its rows, Lua tables with named
 * fields, to core.define_rows. Each row is checked (unknown fields, verbs,
 * placeholders, a doc string) and compiled once into an lcb_row (endpoint.h)
 * kept in a userdata that is the upvalue of the method's closure. The
 * strings the struct points into are kept alive by a private table (the
 * userdata's user value), so editing the row tables later cannot
 * invalidate them. core.endpoints(type) keeps a description of each row
 * for the reference and the specs.
 *
 * A row's fields:
 *   name, method, path, doc   required; path placeholders: {id} the
 *                             receiver's id (object rows), {n} positional n
 *                             as a segment (an object gives its id), {*n}
 *                             positional n as a path of any depth
 *   returns      "data" (default: the decoded answer), "self" (update the
 *                receiver in place), or an object type ("Course")
 *   list, root   a PaginatedList (of `returns`, plain tables for "data"),
 *                its items under `root` when the answer is an object
 *   field        return this field of the answer ("data")
 *   json         send params as a JSON body
 *   args         one entry per positional argument: a name, or
 *                {name, check = "string" | "string_or_nil" | "table" |
 *                "present", what = , message = , from = {Type = "field"}};
 *                a positional not in the path goes to params[name]
 *   required     {"pseudonym.unique_id", ...}: RequiredFieldMissing first
 *   item_fields  {user_id = "{id}"}: receiver attributes set on the result
 *                (each item of a list)
 *   params       the parameters Canvas's controller reads for the endpoint
 *                (top-level keys as sent: "include", "user", ...); another
 *                key is refused before sending, and per_page and page are
 *                implied for lists. A row without it is not checked.
 *   include      the include[] values the controller honours (optional
 *                fields of the answer); another value is warned about
 *   ignored      {key = "why"}: keys Canvas ignores that are still sent
 *                (compatibility), with a warning saying why
 *   unknown      "refuse" (default) or "warn": what an undeclared key gets
 *                ("warn" where the list comes from the docs, not the code)
 *   source       the controller action the declaration comes from
 *   paginated    false: a list Canvas answers in one page (no per_page)
 * The receiver is the client for type "Client", an object otherwise. */
#include <string.h>

#include "endpoint.h"
#include "lcb_types.h"
#include "object.h"

static const char *const row_keys[] = {
    "name", "method", "path", "returns", "list", "root", "json", "doc",
    "args", "required", "item_fields", "field", "params", "include", "ignored",
    "unknown", "source", "paginated", NULL,
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

/* t[key], an array of strings, into out[] (at most max); returns the count
 * or -1 when absent. */
static int str_array(lua_State *L, const lcb_row *row, int t, const char *key, const char **out,
                     int max, int keep, int n)
{
    int count = -1;
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TTABLE) {
        int len = (int)lua_rawlen(L, -1);
        if (len > max) row_error(L, n, row->name, lua_pushfstring(L, "too many %s", key));
        for (int i = 1; i <= len; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                row_error(L, n, row->name, lua_pushfstring(L, "%s lists names", key));
            out[i - 1] = keep_top(L, keep);
        }
        count = len;
    } else if (ty != LUA_TNIL) {
        row_error(L, n, row->name, lua_pushfstring(L, "%s is a list of names", key));
    }
    lua_pop(L, 1);
    return count;
}

/* params, include, ignored, unknown, source, paginated: what Canvas reads. */
static void compile_params(lua_State *L, lcb_row *row, int t, int keep, int n)
{
    int np = str_array(L, row, t, "params", row->params, LCB_ROW_MAX_PARAMS, keep, n);
    row->checks_params = np >= 0;
    row->nparams = np > 0 ? np : 0;
    int ni = str_array(L, row, t, "include", row->includes, LCB_ROW_MAX_INCLUDES, keep, n);
    row->nincludes = ni > 0 ? ni : 0;
    if (lua_getfield(L, t, "ignored") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                row_error(L, n, row->name, "ignored maps a parameter to why Canvas ignores it");
            if (row->nignored == LCB_ROW_MAX_INCLUDES) row_error(L, n, row->name, "too many ignored");
            row->ignored_why[row->nignored] = keep_top(L, keep);
            lua_pushvalue(L, -1);
            row->ignored[row->nignored++] = keep_top(L, keep);
        }
    }
    lua_pop(L, 1);
    row->source = str_field(L, t, "source", keep, n, row->name);
    const char *unknown = str_field(L, t, "unknown", keep, n, row->name);
    if (unknown && strcmp(unknown, "warn") != 0 && strcmp(unknown, "refuse") != 0)
        row_error(L, n, row->name, "unknown is \"refuse\" or \"warn\"");
    row->warn_unknown = unknown && strcmp(unknown, "warn") == 0;
    if ((row->nincludes || row->nignored || unknown) && !row->checks_params)
        row_error(L, n, row->name, "include, ignored and unknown need a params list");
    if (lua_getfield(L, t, "paginated") != LUA_TNIL) {
        if (!row->list || lua_toboolean(L, -1))
            row_error(L, n, row->name, "paginated = false marks a list Canvas does not paginate");
        row->unpaginated = 1;
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
    compile_params(L, row, t, keep, n);
    if (row->field && (row->returns != LCB_RETURNS_DATA || row->list))
        row_error(L, n, row->name, "field picks from a decoded answer (returns data, no list)");
    if (row->nfields && row->client_receiver)
        row_error(L, n, row->name, "item_fields take the receiver's attributes (object rows only)");
    lua_pop(L, 1);                                /* keep */
    lua_pushcclosure(L, lcb_row_invoke, 1);
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

/* core.describe_hand(type, {name = {method=, path=, params=, ...}}): what
 * the hand-written methods of a type send, for the endpoint table
 * (doc/endpoints.md) and its spec; they are not rows. */
static int l_describe_hand(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lcb_type_metatable(L, lua_tostring(L, 1));
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "hand_endpoints");
    return 0;
}

/* core.hand_endpoints(type) -> those descriptions (nil if none). */
static int l_hand_endpoints(lua_State *L)
{
    lcb_type_metatable(L, luaL_checkstring(L, 1));
    lua_getfield(L, -1, "hand_endpoints");
    return 1;
}

void lcb_open_rows(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"define_rows", l_define_rows},
        {"endpoints", l_endpoints},
        {"describe_hand", l_describe_hand},
        {"hand_endpoints", l_hand_endpoints},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
