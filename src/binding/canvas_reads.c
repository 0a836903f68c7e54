/* What Canvas reads: the parameters a row sends, checked against the ones
 * its Canvas controller reads (the row's params, include and ignored
 * lists, compiled by row.c). An unread parameter is refused before
 * sending, or warned about where the list comes from the docs; warnings go
 * to core.on_warning's handler or, once each, to stderr. Apart from the
 * invoker (endpoint.c) because it is a policy of its own. */
#include <stdio.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "endpoint.h"
#include "lcb_args.h"


#define WARN_HANDLER "lcanvas.warn_handler"
#define WARNED "lcanvas.warned"

/* Hands the warning at the top of the stack (popped) to the handler set
 * with core.on_warning, or writes it to stderr once per process: a loop
 * must not repeat the same line a thousand times. */
static void emit_warning(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, WARN_HANDLER) == LUA_TFUNCTION) {
        lua_insert(L, -2);
        lua_call(L, 1, 0);
        return;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, WARNED) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, WARNED);
    }
    lua_pushvalue(L, -2);
    if (lua_rawget(L, -2) == LUA_TNIL) {
        lua_pushvalue(L, -3);
        lua_pushboolean(L, 1);
        lua_rawset(L, -4);
        fprintf(stderr, "lcanvas: warning: %s\n", lua_tostring(L, -3));
        fflush(stderr);
    }
    lua_pop(L, 3);
}

static int in_list(const char *const *list, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return 1;
    return 0;
}

/* Pushes "a, b, c" (or `none`). */
static void push_joined(lua_State *L, const char *const *list, int n, const char *none)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (n == 0) luaL_addstring(&b, none);
    for (int i = 0; i < n; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, list[i]);
    }
    luaL_pushresult(&b);
}

/* An include[] value (the string at the top of the stack) Canvas's
 * controller does not honour: the field would just be missing, and a newer
 * Canvas may know it, so this warns rather than refuses. */
static void check_include_value(lua_State *L, const lcb_row *row)
{
    const char *v = lua_tostring(L, -1);
    if (!v || in_list(row->includes, row->nincludes, v)) return;
    push_joined(L, row->includes, row->nincludes, "none");
    lua_pushfstring(L, "%s:%s asks include[]=%s, which Canvas's %s does not return "
                    "(it returns: %s); the field will be missing",
                    row->type, row->name, v, row->source ? row->source : "controller",
                    lua_tostring(L, -1));
    lua_remove(L, -2);
    emit_warning(L);
}

/* The keys of the params at idx against what the row says Canvas reads:
 * an undeclared key is refused before anything is sent (Canvas would
 * answer as if it was never given: a silent false pass), or only warned
 * about on a row whose list comes from the docs (unknown = "warn"). */
void lcb_check_canvas_params(lua_State *L, const lcb_row *row, int idx, int argn)
{
    if (!row->checks_params || !lua_istable(L, idx)) return;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) continue;   /* the encoder names it */
        const char *k = lua_tostring(L, -1);
        int ok = in_list(row->params, row->nparams, k) ||
                 (row->list && !row->unpaginated && (!strcmp(k, "per_page") || !strcmp(k, "page")));
        for (int i = 0; !ok && i < row->nignored; i++) {
            if (strcmp(row->ignored[i], k) == 0) {
                lua_pushfstring(L, "%s:%s sends '%s', which Canvas ignores: %s", row->type,
                                row->name, k, row->ignored_why[i]);
                emit_warning(L);
                ok = 1;
            }
        }
        if (!ok) {
            push_joined(L, row->params, row->nparams, "no parameters");
            const char *reads = lua_tostring(L, -1);
            const char *src = row->source ? row->source : "its controller";
            if (!row->warn_unknown)
                lcb_arg_error(L, argn, row->name,
                          lua_pushfstring(L, "Canvas does not read '%s' here and would ignore it: "
                                          "%s reads %s", k, src, reads));
            lua_pushfstring(L, "%s:%s sends '%s', which %s is not known to read (it reads %s)",
                            row->type, row->name, k, src, reads);
            lua_remove(L, -2);
            emit_warning(L);
        }
    }
    if (!row->nincludes) return;
    if (lua_getfield(L, idx, "include") != LUA_TNIL) {
        int v = lua_gettop(L);
        if (lua_istable(L, v)) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, v);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, v, i);
                check_include_value(L, row);
                lua_pop(L, 1);
            }
        } else {
            check_include_value(L, row);
        }
    }
    lua_pop(L, 1);
}

/* core.on_warning(fn or nil) -> the previous handler: where warnings about
 * parameters Canvas ignores go instead of stderr. */
int lcb_l_on_warning(lua_State *L)
{
    if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, WARN_HANDLER);
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, WARN_HANDLER);
    return 1;
}
