/* The invokers: the one every row's method runs (rows are compiled by
 * row.c; a call reads only the compiled C struct, never the row's Lua
 * table), and the untyped ones, canvas:request and canvas:list, for any
 * endpoint without a row. Both hand their request to the request path
 * (task.c, request.c); lists to list.c. */
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

/* ------------------------------------------------------------ ids
 *
 * Canvas looks a resource up by its id, or by "<type>:<value>" for the id
 * types its Api.sis_parse_id knows for that resource (lib/api.rb
 * SIS_MAPPINGS: sis_* and lti_* columns, "uuid:"), also written
 * "hex:<type>:<hex>", and a few controllers take words ("self"). Anything
 * else it answers with 404: an id argument that declares its types
 * refuses it before sending. */

static int in_strs(const char *const *list, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0) return 1;
    return 0;
}

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if ((*s < '0' || *s > '9') && *s != '~') return 0;  /* "1~2": a shard's id */
    return 1;
}

/* Raises "Canvas looks <resource> up by ..., not '<type>' (it would answer 404)". */
static int bad_id_type(lua_State *L, const lcb_row *row, int argn, const lcb_ids *ids,
                       const char *type, size_t len)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "Canvas looks ");
    luaL_addstring(&b, ids->resource);
    luaL_addstring(&b, " up by ");
    if (ids->ntypes == 0) luaL_addstring(&b, "id only");
    for (int i = 0; i < ids->ntypes; i++) {
        if (i) luaL_addstring(&b, i == ids->ntypes - 1 ? " or " : ", ");
        luaL_addstring(&b, ids->types[i]);
    }
    luaL_addstring(&b, ", not '");
    luaL_addlstring(&b, type, len);
    luaL_addstring(&b, "' (it would answer 404)");
    /* "login_id" for "sis_login_id": say which one is meant. */
    lua_pushfstring(L, "sis_%s", lua_pushlstring(L, type, len));
    const char *sis = lua_tostring(L, -1);
    if (in_strs(ids->types, ids->ntypes, sis, strlen(sis)) && len > 3 &&
        strncmp(type + len - 3, "_id", 3) == 0) {
        lua_pop(L, 2);
        luaL_addstring(&b, "; a ");
        luaL_addlstring(&b, type, len - 3);
        luaL_addstring(&b, " is looked up as sis_");
        luaL_addlstring(&b, type, len);
    } else {
        lua_pop(L, 2);
    }
    luaL_pushresult(&b);
    return lcb_arg_error(L, argn, row->name, lua_tostring(L, -1));
}

/* The string id at idx, of an argument declaring its id types. */
static void check_id(lua_State *L, const lcb_row *row, const lcb_ids *ids, int idx, int argn)
{
    const char *s = lua_tostring(L, idx);
    if (!*s || all_digits(s) || in_strs(ids->words, ids->nwords, s, strlen(s))) return;
    const char *t = s;
    if (strncmp(t, "hex:", 4) == 0) t += 4;
    const char *colon = strchr(t, ':');
    if (!colon) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "'");
        luaL_addstring(&b, s);
        luaL_addstring(&b, "' is not an id Canvas can look ");
        luaL_addstring(&b, ids->resource);
        luaL_addstring(&b, " up by: give a number");
        for (int i = 0; i < ids->nwords; i++) {
            luaL_addstring(&b, i == ids->nwords - 1 ? " or '" : ", '");
            luaL_addstring(&b, ids->words[i]);
            luaL_addstring(&b, "'");
        }
        luaL_addstring(&b, ", or type:value with one of its id types");
        luaL_pushresult(&b);
        lcb_arg_error(L, argn, row->name, lua_tostring(L, -1));
    }
    if (!in_strs(ids->types, ids->ntypes, t, (size_t)(colon - t)))
        bad_id_type(L, row, argn, ids, t, (size_t)(colon - t));
}

/* get_user(id, "sis_user_id"): the id type after positional id_type_at+1
 * is checked and joined to the id ("sis_user_id:S0042"), and taken off the
 * stack. Returns 1 when there was one (later arguments' numbers shift). */
static int take_id_type(lua_State *L, const lcb_row *row)
{
    if (row->id_type_at < 0) return 0;
    int id = 2 + row->id_type_at, slot = id + 1;
    int ty = lua_type(L, slot);
    if (ty != LUA_TSTRING && ty != LUA_TNUMBER) return 0;
    const lcb_ids *ids = row->args[row->id_type_at].ids;
    size_t len;
    const char *type = lua_tolstring(L, slot, &len);
    if (len == 0) lcb_arg_error(L, row->id_type_at + 2, row->name, "id_type must not be empty");
    if (!in_strs(ids->types, ids->ntypes, type, len))
        bad_id_type(L, row, row->id_type_at + 2, ids, type, len);
    if (lua_isnil(L, id)) lcb_arg_error(L, row->id_type_at + 1, row->name, "an id is required (got nil)");
    if (lcb_is_resource(L, id) || lua_istable(L, id))
        lcb_arg_error(L, row->id_type_at + 1, row->name,
                      lua_pushfstring(L, "an id type goes with a plain id (got %s)", luaL_typename(L, id)));
    lua_pushfstring(L, "%s:%s", type, luaL_tolstring(L, id, NULL));
    lua_replace(L, id);
    lua_pop(L, 1);
    lua_remove(L, slot);
    return 1;
}

/* ------------------------------------------------------------ the invoker */

/* Positional argument i (0-based, at stack slot 2 + i): an object or plain
 * table standing for one of its fields is replaced by it, then checked. */
static void check_arg(lua_State *L, const lcb_row *row, int i)
{
    const lcb_row_arg *a = &row->args[i];
    int idx = 2 + i;
    if (a->ids && lua_type(L, idx) == LUA_TSTRING) check_id(L, row, a->ids, idx, i + 1);
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
    if (a->nvalues && lua_type(L, idx) == LUA_TSTRING) {
        const char *v = lua_tostring(L, idx);
        int known = 0;
        for (int k = 0; k < a->nvalues && !known; k++) known = strcmp(a->values[k], v) == 0;
        if (!known) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int k = 0; k < a->nvalues; k++) {
                if (k) luaL_addstring(&b, k == a->nvalues - 1 ? " or " : ", ");
                luaL_addchar(&b, '"');
                luaL_addstring(&b, a->values[k]);
                luaL_addchar(&b, '"');
            }
            luaL_pushresult(&b);
            lcb_arg_error(L, i + 1, row->name, lua_pushfstring(L, "%s must be %s, not \"%s\"", what,
                                                              lua_tostring(L, -1), v));
        }
    }
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

/* Is the value at idx one Canvas would read as a list (a plain table)? */
static int is_list_value(lua_State *L, int idx)
{
    return lua_istable(L, idx) && !lcb_is_resource(L, idx) && !lcb_is_null(L, idx);
}

/* Must the caller's params be copied to be sent (positional arguments or
 * fixed parameters go in, a presence key holds false, a list key a single
 * value)? */
static int needs_copy(lua_State *L, const lcb_row *row, int pidx)
{
    if (row->nfixed) return 1;
    for (int i = 0; i < row->nargs; i++)
        if (row->args[i].param) return 1;
    if (!lua_istable(L, pidx)) return 0;
    int need = 0;
    for (int i = 0; i < row->npresence && !need; i++) {
        lua_getfield(L, pidx, row->presence[i]);
        need = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    for (int i = 0; i < row->narrays && !need; i++) {
        lua_getfield(L, pidx, row->arrays[i]);
        need = !lua_isnil(L, -1) && !is_list_value(L, -1);
        lua_pop(L, 1);
    }
    return need;
}

/* Pushes the params to send: the caller's table, or a copy of it with the
 * positional arguments that are parameters set over it, the fixed ones,
 * no presence key that is false and every list key a list (the caller's
 * table is never modified). */
static void push_params(lua_State *L, const lcb_row *row, int pidx)
{
    if (!needs_copy(L, row, pidx)) {
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
    int out = lua_gettop(L);
    for (int i = 0; i < row->npresence; i++) {
        lua_getfield(L, out, row->presence[i]);
        if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
            lua_pushnil(L);
            lua_setfield(L, out, row->presence[i]);
        }
        lua_pop(L, 1);
    }
    for (int i = 0; i < row->narrays; i++) {
        lua_getfield(L, out, row->arrays[i]);
        if (!lua_isnil(L, -1) && !is_list_value(L, -1)) {
            lua_createtable(L, 1, 0);
            lua_insert(L, -2);
            lua_rawseti(L, -2, 1);
            lua_setfield(L, out, row->arrays[i]);
        } else {
            lua_pop(L, 1);
        }
    }
    for (int i = 0; i < row->nfixed; i++) {
        lua_pushstring(L, row->fixed_values[i]);
        lua_setfield(L, out, row->fixed_keys[i]);
    }
    for (int i = 0; i < row->nargs; i++) {
        const lcb_row_arg *a = &row->args[i];
        if (!a->param) continue;
        /* A nested target ("enrollment[user_id]"): each table on the way is
         * a copy, so the caller's own stay as they were. */
        luaL_checkstack(L, a->nparam + 4, "params");
        int at = out;
        for (int k = 0; k < a->nparam - 1; k++) {
            lua_newtable(L);
            if (lua_getfield(L, at, a->param[k]) == LUA_TTABLE) {
                lua_pushnil(L);
                while (lua_next(L, -2)) {
                    lua_pushvalue(L, -2);
                    lua_insert(L, -2);
                    lua_rawset(L, -5);
                }
            }
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_setfield(L, at, a->param[k]);
            at = lua_gettop(L);
        }
        lua_pushvalue(L, 2 + i);
        lua_setfield(L, at, a->param[a->nparam - 1]);
        lua_settop(L, out);
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
                    ok = lcb_present(L, -1);
                    lua_pop(L, 1);
                }
            } else {
                lua_getfield(L, idx, f);
                ok = lcb_present(L, -1);
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
    luaL_checkstack(L, 2 * row->npieces + 2, "path");
    for (int i = 0; i < row->npieces; i++) {
        const lcb_row_piece *p = &row->pieces[i];
        lua_pushlstring(L, p->text, p->len);
        if (p->attr) {
            lcb_resource_field(L, 1, p->attr, strlen(p->attr));
            if (lua_isnil(L, -1))
                lcb_arg_error(L, 0, row->name, lua_pushfstring(L, "this %s has no %s", row->type, p->attr));
            lcb_push_segment(L, -1, 0, row->name);
            lua_remove(L, -2);
        } else if (p->splat) {
            push_splat(L, row, p->arg);
        } else if (p->arg >= 0) {
            lcb_push_segment(L, 1 + p->arg, p->arg, row->name);
        }
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
            /* A list, a string or a number where Canvas answers an object
             * is the server's mistake, never an empty object. */
            if (s[0] != '{')
                lcb_raise_kind(L, LC_INVALID_RESPONSE, "expected a %s object in the answer, got %s",
                               row->type_name, s[0] == '[' ? "an array" : s[0] == '"' ? "a string"
                               : s[0] == 'n' ? "null" : "a scalar");
            if (!row->nfields) {
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
    int shift = take_id_type(L, row);
    int pidx = 2 + row->nargs;
    /* Missing arguments become nil (a clear "id is required"), never a
     * value pushed later. */
    lua_settop(L, pidx);
    for (int i = 0; i < row->nargs; i++) check_arg(L, row, i);
    if (!lua_isnil(L, pidx) && !lua_istable(L, pidx))
        lcb_arg_error(L, row->nargs + 1 + shift, row->name,
                  lua_pushfstring(L, "table expected, got %s", luaL_typename(L, pidx)));
    push_params(L, row, pidx);                    /* pidx + 1 */
    int params = lua_istable(L, pidx + 1) ? pidx + 1 : 0;
    lcb_check_canvas_params(L, row, pidx + 1, row->nargs + 1 + shift);
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
    lcb_call call = {.method = row->verb, .path = path, .params = params, .json_body = row->json,
                     .raw = row->returns == LCB_RETURNS_OBJECT};
    return lcb_request_k(L, client, &call, (lua_KContext)row, invoke_done);
}

/* ------------------------------------------------------------ untyped invokers
 *
 * canvas:request and canvas:list reach any endpoint, with no row: the
 * path and parameters are the caller's. */


static int return_top(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return 1;
}

/* canvas:request(method, path [, params [, opts]]) -> decoded answer.
 * opts.json = true sends params as a JSON body; opts.delay holds the start;
 * opts.body (with opts.content_type) is sent as it is, params in the query. */
/// Client:request(method, path, params, opts): Any endpoint: GET/POST/PUT/PATCH/DELETE `path` (relative to /api/v1/) with params in the query (GET) or a form body; `opts.json = true` sends a JSON body, `opts.body = string` with `opts.content_type` sends that body as it is (params then go to the query), `opts.delay = seconds` sends it no sooner (polling a job). Returns the decoded answer (nil for an empty body).
static int m_request(lua_State *L)
{
    lcb_check_client(L, 1);
    const char *method = luaL_checkstring(L, 2);
    const char *path = luaL_checkstring(L, 3);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TTABLE);
    lua_settop(L, 5);
    int json = 0;
    long delay_ms = 0;
    if (lua_istable(L, 5)) {
        lua_getfield(L, 5, "json");
        json = lua_toboolean(L, -1);
        lua_getfield(L, 5, "delay");
        if (!lua_isnil(L, -1)) {
            lua_Number d = lua_tonumber(L, -1);
            if (!lua_isnumber(L, -1) || !(d >= 0) || d > 1e7)
                luaL_argerror(L, 5, "opts.delay must be seconds from 0 to 1e7");
            delay_ms = (long)(d * 1000.0 + 0.5);
        }
        lua_pop(L, 2);
    }
    const char *body = NULL, *ctype = NULL;
    size_t body_len = 0;
    /* The body and its type stay on this stack (6, 7) until the request
     * is sent: a task may yield meanwhile, and opts could change. */
    if (lua_istable(L, 5) && lua_getfield(L, 5, "body") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 5, "opts.body must be a string");
        body = lua_tolstring(L, -1, &body_len);
        if (lua_getfield(L, 5, "content_type") != LUA_TSTRING || !*lua_tostring(L, -1))
            luaL_argerror(L, 5, "opts.body needs opts.content_type (\"text/csv\", \"application/zip\"...)");
        ctype = lua_tostring(L, -1);
        if (strpbrk(ctype, "\r\n")) luaL_argerror(L, 5, "opts.content_type holds a line break");
        if (json) luaL_argerror(L, 5, "opts.body and opts.json cannot go together");
    } else {
        lua_settop(L, 5);
    }
    luaL_Buffer mb;
    luaL_buffinit(L, &mb);
    for (const char *p = method; *p; p++)
        luaL_addchar(&mb, (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p));
    luaL_pushresult(&mb);
    const char *m = lua_tostring(L, -1);
    if (strcmp(m, "GET") && strcmp(m, "POST") && strcmp(m, "PUT") && strcmp(m, "DELETE") &&
        strcmp(m, "PATCH"))
        luaL_argerror(L, 2, "method must be GET, POST, PUT, PATCH or DELETE");
    lcb_call call = {.method = m, .path = path, .params = lua_istable(L, 4) ? 4 : 0,
                     .json_body = json, .delay_ms = delay_ms,
                     .body = body, .body_len = body_len, .content_type = ctype};
    return lcb_request_k(L, 1, &call, 0, return_top);
}

/* canvas:list(path [, params [, {type=, root=, prefetch=}]]) -> PaginatedList */
/// Client:list(path, params, opts): A lazy PaginatedList of GET `path`; `opts.type` makes items objects of that type ("User"), `opts.root` names the key holding the items when the answer is an object, `opts.prefetch = false` turns prefetching off for it.
static int m_list(lua_State *L)
{
    lcb_check_client(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    lua_settop(L, 4);
    const char *type = "dict", *root = NULL;
    int no_prefetch = 0;
    if (lua_istable(L, 4)) {
        type = lcb_opt_string(L, 4, "type");
        root = lcb_opt_string(L, 4, "root");
        if (!type) type = "dict";
        lua_getfield(L, 4, "prefetch");
        no_prefetch = !lua_isnil(L, -1) && !lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lcb_push_list(L, 1, type, path, lua_istable(L, 3) ? 3 : 0, root, 0);
    if (no_prefetch) lcb_list_set_prefetch(L, -1, 0);
    return 1;
}

void lcb_open_endpoint(lua_State *L)
{
    static const luaL_Reg client_methods[] = {
        {"request", m_request},
        {"list", m_list},
        {NULL, NULL},
    };
    luaL_getmetatable(L, LCB_CLIENT_MT);
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, client_methods, 0);
    lua_pop(L, 2);
    static const luaL_Reg fns[] = {
        {"on_warning", lcb_l_on_warning},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
    lcb_open_rows(L);
}
