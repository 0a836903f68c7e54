/* The row compiler: core.define_rows(type, rows).
 *
 * A type file (lua/lcanvas/types/) hands its rows, Lua tables with named
 * fields, to core.define_rows. Each row is checked (unknown fields, verbs,
 * placeholders, a doc string) and compiled once into an lcb_row
 * (endpoint.h) kept in a userdata that is the upvalue of the method's
 * closure. Every list is sized by the row itself; the strings and arrays
 * the struct points into live in a private table (the userdata's user
 * value), so editing the row tables later cannot invalidate them.
 * core.endpoints(type) keeps each row's own table (for the generated
 * docs); core.rows(type) describes the compiled rows (for wrappers and
 * the specs).
 *
 * A row's fields:
 *   name, method, path, doc   required; path placeholders: {id} the
 *                             receiver's id (object rows), {n} positional n
 *                             as a segment (an object gives its id), {*n}
 *                             positional n as a path of any depth, {attr}
 *                             an attribute of the receiver ({course_id})
 *   returns      "data" (default: the decoded answer), "self" (update the
 *                receiver in place), or an object type ("Course")
 *   list, root   a PaginatedList (of `returns`, plain tables for "data"),
 *                its items under `root` when the answer is an object
 *   field        return this field of the answer ("data")
 *   json         send params as a JSON body
 *   args         one entry per positional argument: a name, or a table
 *                {name, check = "string" | "string_or_nil" | "table" |
 *                "present", what = , message = , from = {Type = "field"},
 *                param = "enrollment[user_id]", ids = <id types>,
 *                id_type = true}. A positional not in the path goes to
 *                params[name], or to the nested key `param` names. `ids`
 *                (from lua/lcanvas/ids.lua) lists the id types Canvas looks
 *                the resource up by: any other "type:value" is refused
 *                before sending; `id_type` lets an id type follow the
 *                argument (get_user(id, "sis_user_id")); `values` lists
 *                the values Canvas knows for it (anything else is refused:
 *                Canvas would do something else, e.g. conclude).
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
 *   fixed        {event = "delete"}: parameters the method always sends
 *   presence     keys Canvas tests for presence: false is not sent (Canvas
 *                would read it as true)
 *   arrays       keys Canvas reads only as lists (`state[]`): a single
 *                value is sent as a list of one
 * The receiver is the client for type "Client", an object otherwise. */
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "lcb_types.h"
#include "object.h"

static const char *const row_keys[] = {
    "name", "method", "path", "returns", "list", "root", "json", "doc",
    "args", "required", "item_fields", "field", "params", "include", "ignored",
    "unknown", "source", "paginated", "fixed", "presence", "arrays", NULL,
};

static const char *const arg_keys[] = {
    "what", "message", "check", "from", "param", "ids", "id_type", "values", NULL,
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

/* `size` zeroed bytes that live as long as the row. */
static void *keep_block(lua_State *L, int keep, size_t size)
{
    void *p = lua_newuserdatauv(L, size ? size : 1, 0);
    memset(p, 0, size ? size : 1);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    return p;
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

/* The array of strings at index `list` (absolute), kept; its length in *count. */
static const char **str_list(lua_State *L, int list, int keep, int n, const char *name,
                             const char *what, int *count)
{
    int len = (int)lua_rawlen(L, list);
    const char **out = keep_block(L, keep, sizeof *out * (size_t)len);
    for (int i = 1; i <= len; i++) {
        if (lua_rawgeti(L, list, i) != LUA_TSTRING)
            row_error(L, n, name, lua_pushfstring(L, "%s lists names", what));
        out[i - 1] = keep_top(L, keep);
    }
    *count = len;
    return out;
}

/* ------------------------------------------------------------ the path */

static void compile_path(lua_State *L, lcb_row *row, const char *path, int keep, int n,
                         int *maxpos)
{
    int cap = 1;
    for (const char *q = path; *q; q++) cap += *q == '{';
    row->pieces = keep_block(L, keep, sizeof *row->pieces * (size_t)cap);
    const char *p = path;
    *maxpos = 0;
    while (*p) {
        lcb_row_piece *pc = &row->pieces[row->npieces++];
        const char *open = strchr(p, '{');
        pc->text = p;
        pc->len = open ? (size_t)(open - p) : strlen(p);
        pc->arg = -1;
        if (!open) break;
        const char *close = strchr(open, '}');
        if (!close) row_error(L, n, row->name, "unclosed '{' in path");
        const char *in = open + 1;
        size_t len = (size_t)(close - in);
        int word = len > 0 && ((in[0] >= 'a' && in[0] <= 'z') || in[0] == '_');
        for (size_t i = 0; word && i < len; i++)
            word = (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= '0' && in[i] <= '9') || in[i] == '_';
        if (len == 2 && strncmp(in, "id", 2) == 0 && !row->client_receiver) {
            pc->arg = 0;
        } else if (word && !row->client_receiver) {
            lua_pushlstring(L, in, len);
            pc->attr = keep_top(L, keep);
        } else {
            pc->splat = len > 0 && in[0] == '*';
            const char *digits = in + pc->splat;
            size_t nd = (size_t)(close - digits);
            int v = 0, ok = nd > 0 && nd < 4;
            for (size_t i = 0; ok && i < nd; i++) {
                ok = digits[i] >= '0' && digits[i] <= '9';
                v = v * 10 + (digits[i] - '0');
            }
            if (!ok || v < 1)
                row_error(L, n, row->name, "a path placeholder is {id} or {attribute} (object rows), "
                                           "{n} or {*n}");
            pc->arg = v;
            if (v > *maxpos) *maxpos = v;
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

/* ------------------------------------------------------------ arguments */

/* `ids`: {resource = "users", words = {"self"}, "sis_user_id", ...}. */
static const lcb_ids *compile_ids(lua_State *L, int t, int keep, int n, const char *name)
{
    lcb_ids *ids = keep_block(L, keep, sizeof *ids);
    ids->resource = str_field(L, t, "resource", keep, n, name);
    if (!ids->resource) row_error(L, n, name, "ids needs a resource name (lua/lcanvas/ids.lua)");
    ids->types = str_list(L, t, keep, n, name, "ids", &ids->ntypes);
    if (lua_getfield(L, t, "words") == LUA_TTABLE)
        ids->words = str_list(L, lua_gettop(L), keep, n, name, "ids.words", &ids->nwords);
    lua_pop(L, 1);
    return ids;
}

/* "enrollment[user_id]" or "name" as its key path. */
static void compile_param(lua_State *L, lcb_row_arg *a, const char *param, int keep, int n,
                          const char *name)
{
    int parts = 1;
    for (const char *q = param; *q; q++) parts += *q == '[';
    a->param = keep_block(L, keep, sizeof *a->param * (size_t)parts);
    const char *p = param;
    size_t head = strcspn(p, "[");
    if (head == 0) row_error(L, n, name, "param is a name or name[key]...");
    lua_pushlstring(L, p, head);
    a->param[a->nparam++] = keep_top(L, keep);
    p += head;
    while (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close == p + 1) row_error(L, n, name, "param is a name or name[key]...");
        lua_pushlstring(L, p + 1, (size_t)(close - p - 1));
        a->param[a->nparam++] = keep_top(L, keep);
        p = close + 1;
    }
    if (*p) row_error(L, n, name, "param is a name or name[key]...");
}

static void compile_arg(lua_State *L, lcb_row *row, lcb_row_arg *a, int e, int keep, int n,
                        int argn)
{
    lua_pushnil(L);
    while (lua_next(L, e)) {
        lua_pop(L, 1);
        int known = lua_type(L, -1) == LUA_TNUMBER && lua_tointeger(L, -1) == 1;
        for (int i = 0; arg_keys[i] && !known; i++)
            known = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), arg_keys[i]) == 0;
        if (!known)
            row_error(L, n, row->name, lua_pushfstring(L, "argument %d has an unknown field '%s'",
                                                       argn, luaL_tolstring(L, -1, NULL)));
    }
    a->what = str_field(L, e, "what", keep, n, row->name);
    a->message = str_field(L, e, "message", keep, n, row->name);
    const char *check = str_field(L, e, "check", keep, n, row->name);
    static const char *const checks[] = {"string", "string_or_nil", "table", "present", NULL};
    static const lcb_check kinds[] = {LCB_CHECK_STRING, LCB_CHECK_STRING_OR_NIL, LCB_CHECK_TABLE,
                                      LCB_CHECK_PRESENT};
    for (int k = 0; check && checks[k]; k++)
        if (strcmp(check, checks[k]) == 0) a->check = kinds[k], check = NULL;
    if (check)
        row_error(L, n, row->name, "check is \"string\", \"string_or_nil\", \"table\" or \"present\"");
    if (lua_getfield(L, e, "from") == LUA_TTABLE) {
        lua_pushnil(L);
        if (!lua_next(L, -2) || !lua_isstring(L, -1) || !lua_isstring(L, -2))
            row_error(L, n, row->name, "from is {Type = \"field\"}");
        a->from_field = keep_top(L, keep);
        lua_pushvalue(L, -1);
        a->from_type = keep_top(L, keep);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    const char *param = str_field(L, e, "param", keep, n, row->name);
    if (param) compile_param(L, a, param, keep, n, row->name);
    if (lua_getfield(L, e, "ids") == LUA_TTABLE) a->ids = compile_ids(L, lua_gettop(L), keep, n, row->name);
    lua_pop(L, 1);
    if (lua_getfield(L, e, "values") == LUA_TTABLE)
        a->values = str_list(L, lua_gettop(L), keep, n, row->name, "values", &a->nvalues);
    lua_pop(L, 1);
    lua_getfield(L, e, "id_type");
    if (lua_toboolean(L, -1)) {
        if (!a->ids) row_error(L, n, row->name, "id_type needs the argument's ids");
        if (row->id_type_at >= 0) row_error(L, n, row->name, "one id_type per row");
        row->id_type_at = argn - 1;
    }
    lua_pop(L, 1);
}

static void compile_args(lua_State *L, lcb_row *row, int t, int keep, int n, int maxpos)
{
    int nargs = maxpos, args = 0;
    if (lua_getfield(L, t, "args") == LUA_TTABLE) {
        args = lua_gettop(L);
        int len = (int)lua_rawlen(L, args);
        if (len > nargs) nargs = len;
    } else if (!lua_isnil(L, -1)) {
        row_error(L, n, row->name, "args is a list");
    }
    row->args = keep_block(L, keep, sizeof *row->args * (size_t)nargs);
    row->nargs = nargs;
    for (int i = 1; args && i <= (int)lua_rawlen(L, args); i++) {
        lcb_row_arg *a = &row->args[i - 1];
        int ty = lua_rawgeti(L, args, i);
        if (ty == LUA_TSTRING) {
            a->name = keep_top(L, keep);
        } else if (ty == LUA_TTABLE) {
            int e = lua_gettop(L);
            if (lua_rawgeti(L, e, 1) != LUA_TSTRING)
                row_error(L, n, row->name, "an args entry needs a name");
            a->name = keep_top(L, keep);
            compile_arg(L, row, a, e, keep, n, i);
            lua_pop(L, 1);
        } else {
            row_error(L, n, row->name, "an args entry is a name or a table");
        }
        int in_path = path_has_arg(row, i);
        if (in_path && a->param) row_error(L, n, row->name, "an argument in the path has no param");
        if (!in_path && !a->param) compile_param(L, a, a->name, keep, n, row->name);
        if (!a->what) a->what = a->name;
    }
    lua_pop(L, 1);
    for (int i = 1; i <= nargs; i++)
        if (!path_has_arg(row, i) && !row->args[i - 1].param)
            row_error(L, n, row->name, "a positional argument is neither in the path nor in args");
    if (row->id_type_at >= 0 && !path_has_arg(row, row->id_type_at + 1))
        row_error(L, n, row->name, "id_type goes with an id in the path");
}

/* ------------------------------------------------------------ the rest */

static void compile_lists(lua_State *L, lcb_row *row, int t, int keep, int n)
{
    if (lua_getfield(L, t, "required") == LUA_TTABLE)
        row->required = str_list(L, lua_gettop(L), keep, n, row->name, "required", &row->nrequired);
    lua_pop(L, 1);
    if (lua_getfield(L, t, "item_fields") == LUA_TTABLE) {
        int f = lua_gettop(L), count = 0;
        lua_pushnil(L);
        while (lua_next(L, f)) {
            lua_pop(L, 1);
            count++;
        }
        row->field_keys = keep_block(L, keep, sizeof *row->field_keys * (size_t)count);
        row->field_attrs = keep_block(L, keep, sizeof *row->field_attrs * (size_t)count);
        lua_pushnil(L);
        while (lua_next(L, f)) {
            const char *tmpl = lua_tostring(L, -1);
            size_t len = tmpl ? strlen(tmpl) : 0;
            if (lua_type(L, -2) != LUA_TSTRING || len < 3 || tmpl[0] != '{' || tmpl[len - 1] != '}')
                row_error(L, n, row->name, "item_fields maps a key to \"{attribute}\"");
            lua_pushlstring(L, tmpl + 1, len - 2);
            row->field_attrs[row->nfields] = keep_top(L, keep);
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            row->field_keys[row->nfields++] = keep_top(L, keep);
        }
    }
    lua_pop(L, 1);
}

/* params, include, ignored, unknown, source, paginated: what Canvas reads. */
static void compile_params(lua_State *L, lcb_row *row, int t, int keep, int n)
{
    int ty = lua_getfield(L, t, "params");
    if (ty == LUA_TTABLE) {
        row->params = str_list(L, lua_gettop(L), keep, n, row->name, "params", &row->nparams);
        row->checks_params = 1;
    } else if (ty != LUA_TNIL) {
        row_error(L, n, row->name, "params is a list of names");
    }
    lua_pop(L, 1);
    ty = lua_getfield(L, t, "include");
    if (ty == LUA_TTABLE)
        row->includes = str_list(L, lua_gettop(L), keep, n, row->name, "include", &row->nincludes);
    else if (ty != LUA_TNIL)
        row_error(L, n, row->name, "include is a list of names");
    lua_pop(L, 1);
    if (lua_getfield(L, t, "ignored") == LUA_TTABLE) {
        int g = lua_gettop(L), count = 0;
        lua_pushnil(L);
        while (lua_next(L, g)) {
            lua_pop(L, 1);
            count++;
        }
        row->ignored = keep_block(L, keep, sizeof *row->ignored * (size_t)count);
        row->ignored_why = keep_block(L, keep, sizeof *row->ignored_why * (size_t)count);
        lua_pushnil(L);
        while (lua_next(L, g)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                row_error(L, n, row->name, "ignored maps a parameter to why Canvas ignores it");
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
    if (lua_getfield(L, t, "presence") == LUA_TTABLE)
        row->presence = str_list(L, lua_gettop(L), keep, n, row->name, "presence", &row->npresence);
    lua_pop(L, 1);
    if (lua_getfield(L, t, "arrays") == LUA_TTABLE)
        row->arrays = str_list(L, lua_gettop(L), keep, n, row->name, "arrays", &row->narrays);
    lua_pop(L, 1);
    if (lua_getfield(L, t, "fixed") == LUA_TTABLE) {
        int f = lua_gettop(L), count = 0;
        lua_pushnil(L);
        while (lua_next(L, f)) {
            lua_pop(L, 1);
            count++;
        }
        row->fixed_keys = keep_block(L, keep, sizeof *row->fixed_keys * (size_t)count);
        row->fixed_values = keep_block(L, keep, sizeof *row->fixed_values * (size_t)count);
        lua_pushnil(L);
        while (lua_next(L, f)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                row_error(L, n, row->name, "fixed maps a parameter to the string it always sends");
            row->fixed_values[row->nfixed] = keep_top(L, keep);
            lua_pushvalue(L, -1);
            row->fixed_keys[row->nfixed++] = keep_top(L, keep);
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
    row->id_type_at = -1;
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
    row->path = str_field(L, t, "path", keep, n, row->name);
    if (!row->path) row_error(L, n, row->name, "a row needs a path");
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
    compile_path(L, row, row->path, keep, n, &maxpos);
    compile_args(L, row, t, keep, n, maxpos);
    compile_lists(L, row, t, keep, n);
    compile_params(L, row, t, keep, n);
    if (row->field && (row->returns != LCB_RETURNS_DATA || row->list))
        row_error(L, n, row->name, "field picks from a decoded answer (returns data, no list)");
    if (row->nfields && row->client_receiver)
        row_error(L, n, row->name, "item_fields take the receiver's attributes (object rows only)");
    /* What the method sends itself, or reads specially, is what Canvas reads. */
    const char *const *lists[] = {row->fixed_keys, row->presence, row->arrays};
    int counts[] = {row->nfixed, row->npresence, row->narrays};
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < counts[l]; i++) {
            int found = 0;
            for (int k = 0; k < row->nparams && !found; k++) found = strcmp(row->params[k], lists[l][i]) == 0;
            if (!found)
                row_error(L, n, row->name, lua_pushfstring(L, "'%s' (fixed, presence or arrays) is "
                                                          "not in params", lists[l][i]));
        }
    lua_pop(L, 1);                                /* keep */
    lua_pushcclosure(L, lcb_row_invoke, 1);
}

/* The row as the generated docs read it: its own fields, `list` a boolean
 * and `returns` defaulting to "data". */
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
    lcb_type_declare(L, lua_tostring(L, 1));
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

/* core.endpoints(type) -> the row tables of a type (nil if none). */
static int l_endpoints(lua_State *L)
{
    lcb_type_metatable(L, luaL_checkstring(L, 1));
    lua_getfield(L, -1, "endpoints");
    return 1;
}

const lcb_row *lcb_row_of(lua_State *L, int idx)
{
    if (lua_tocfunction(L, idx) != lcb_row_invoke) return NULL;
    if (!lua_getupvalue(L, idx, 1)) return NULL;
    const lcb_row *row = lua_touserdata(L, -1);
    lua_pop(L, 1);   /* the closure keeps it */
    return row;
}

static void set_strings(lua_State *L, const char *key, const char *const *list, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, list[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, key);
}

static void set_string(lua_State *L, const char *key, const char *s)
{
    if (!s) return;
    lua_pushstring(L, s);
    lua_setfield(L, -2, key);
}

/* Pushes what the compiled row at the closure `fn` says (core.rows). */
static void push_compiled(lua_State *L, const lcb_row *row, int fn)
{
    static const char *const returns[] = {"data", "object", "self"};
    static const char *const checks[] = {NULL, "string", "string_or_nil", "table", "present"};
    lua_createtable(L, 0, 16);
    set_string(L, "type", row->type);
    set_string(L, "name", row->name);
    set_string(L, "method", row->verb);
    set_string(L, "path", row->path);
    set_string(L, "returns", row->returns == LCB_RETURNS_OBJECT ? row->type_name : returns[row->returns]);
    set_string(L, "root", row->root);
    set_string(L, "field", row->field);
    set_string(L, "source", row->source);
    lua_pushboolean(L, row->list);
    lua_setfield(L, -2, "list");
    lua_pushboolean(L, row->json);
    lua_setfield(L, -2, "json");
    lua_pushboolean(L, !row->unpaginated);
    lua_setfield(L, -2, "paginated");
    lua_pushboolean(L, row->client_receiver);
    lua_setfield(L, -2, "client_receiver");
    lua_createtable(L, row->nargs, 0);
    for (int i = 0; i < row->nargs; i++) {
        const lcb_row_arg *a = &row->args[i];
        lua_createtable(L, 0, 8);
        set_string(L, "name", a->name);
        lua_pushboolean(L, a->param == NULL);
        lua_setfield(L, -2, "segment");
        if (a->param) set_strings(L, "param", a->param, a->nparam);
        set_string(L, "check", checks[a->check]);
        set_string(L, "from_type", a->from_type);
        set_string(L, "from_field", a->from_field);
        if (a->ids) {
            set_string(L, "ids", a->ids->resource);
            set_strings(L, "id_types", a->ids->types, a->ids->ntypes);
            set_strings(L, "id_words", a->ids->words, a->ids->nwords);
        }
        lua_pushboolean(L, row->id_type_at == i);
        lua_setfield(L, -2, "id_type");
        if (a->values) set_strings(L, "values", a->values, a->nvalues);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "args");
    if (row->checks_params) set_strings(L, "params", row->params, row->nparams);
    set_strings(L, "include", row->includes, row->nincludes);
    set_strings(L, "required", row->required, row->nrequired);
    set_strings(L, "presence", row->presence, row->npresence);
    set_strings(L, "arrays", row->arrays, row->narrays);
    lua_createtable(L, 0, row->nfixed);
    for (int i = 0; i < row->nfixed; i++) {
        lua_pushstring(L, row->fixed_values[i]);
        lua_setfield(L, -2, row->fixed_keys[i]);
    }
    lua_setfield(L, -2, "fixed");
    lua_pushvalue(L, fn);
    lua_setfield(L, -2, "call");
}

/* core.rows(type) -> {name = {...}}: the compiled rows of a type, read from
 * the C structs the calls use (their arguments, id types, what Canvas
 * reads, and `call`, the method itself), for wrappers and the specs. */
static int l_rows(lua_State *L)
{
    lcb_type_metatable(L, luaL_checkstring(L, 1));
    lua_getfield(L, -1, "methods");
    int methods = lua_gettop(L);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, methods)) {
        const lcb_row *row = lcb_row_of(L, -1);
        if (row && lua_type(L, -2) == LUA_TSTRING) {
            push_compiled(L, row, lua_gettop(L));
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, -5);
        }
        lua_pop(L, 1);
    }
    return 1;
}

/* core.describe_hand(type, {name = {method=, path=, params=, ...}}): what
 * the hand-written methods of a type send, for the endpoint table
 * (doc/endpoints.md) and its spec; they are not rows. Several files may
 * describe methods of one type (Account's live in account.lua, course.lua,
 * admin.lua): the descriptions add up (a type file loaded again, as busted
 * does per spec file, describes its methods again). */
static int l_describe_hand(lua_State *L)
{
    const char *tname = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lcb_type_metatable(L, tname);
    if (lua_getfield(L, -1, "hand_endpoints") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "hand_endpoints");
    }
    int all = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, all);
    }
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
        {"rows", l_rows},
        {"describe_hand", l_describe_hand},
        {"hand_endpoints", l_hand_endpoints},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
