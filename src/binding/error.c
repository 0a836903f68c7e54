/* lcanvas.Error: the object every API failure raises. A table (so scripts
 * can read and add fields freely) with a metatable carrying __name,
 * __tostring and is(). */
#include <stdarg.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_error.h"
#include "lcb_json.h"

/* An error body's `errors` are decoded only up to this many values: Canvas
 * sends a few, and a hostile body must not cost more than its bytes. */
#define LCB_ERROR_MAX_VALUES 100000

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (!v) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

/* The path part of a URL, for short messages ("/api/v1/users/9"). */
static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p) return url;
    p = strchr(p + 3, '/');
    return p ? p : url;
}

void lcb_push_error(lua_State *L, const lc_error *e)
{
    lua_createtable(L, 0, 12);
    set_str(L, "kind", lc_kind_name(e->kind));
    lua_pushinteger(L, e->status);
    lua_setfield(L, -2, "status");
    set_str(L, "message", e->message ? e->message : "");
    set_str(L, "method", e->method);
    set_str(L, "url", e->url);
    set_str(L, "error_report_id", e->error_report_id);
    set_str(L, "limit", e->limit);
    if (e->body) {
        lua_pushlstring(L, e->body, e->body_len);
        lua_setfield(L, -2, "body");
        /* `errors` as Canvas sent it, when the body is JSON with that key
         * and of a size Canvas's errors have. */
        if (lcb_push_json_max(L, e->body, e->body_len, 0, LCB_ERROR_MAX_VALUES) == 0) {
            if (lua_istable(L, -1)) {
                lua_getfield(L, -1, "errors");
                lua_setfield(L, -3, "errors");
            }
        }
        lua_pop(L, 1);
    }
    lua_createtable(L, 0, (int)e->nheaders);
    for (size_t i = 0; i < e->nheaders; i++) {
        /* Lower-case names: Canvas Cloud sends them lower-case anyway. */
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (const char *p = e->headers[i].name; *p; p++)
            luaL_addchar(&b, (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p));
        luaL_pushresult(&b);
        lua_pushstring(L, e->headers[i].value);
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "headers");
    luaL_setmetatable(L, LCB_ERROR_MT);
}

int lcb_raise_error(lua_State *L, lc_error *e, lc_response *resp)
{
    lcb_push_error(L, e);
    lc_error_clear(e);
    if (resp) lc_response_clear(resp);
    return lua_error(L);
}

int lcb_raise_kind(lua_State *L, lc_kind kind, const char *fmt, ...)
{
    lc_error e;
    va_list ap;
    lc_error_init(&e);
    e.kind = kind;
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lcb_push_error(L, &e);
    lua_insert(L, -2);
    lua_setfield(L, -2, "message");
    return lua_error(L);
}

static int err_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "kind");
    lua_getfield(L, 1, "method");
    lua_getfield(L, 1, "url");
    lua_getfield(L, 1, "status");
    lua_getfield(L, 1, "message");
    const char *kind = luaL_optstring(L, 2, "CanvasException");
    const char *method = lua_tostring(L, 3);
    const char *url = lua_tostring(L, 4);
    lua_Integer status = lua_tointeger(L, 5);
    const char *msg = luaL_optstring(L, 6, "");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, kind);
    luaL_addstring(&b, ":");
    if (method && url) {
        /* "ResourceDoesNotExist: GET /api/v1/users/9 -> 404 The specified ..." */
        lua_pushfstring(L, " %s %s ->", method, url_path(url));
        luaL_addvalue(&b);
        if (status > 0) {
            lua_pushfstring(L, " %I", (LUAI_UACINT)status);
            luaL_addvalue(&b);
        }
    }
    if (*msg) {
        luaL_addchar(&b, ' ');
        luaL_addstring(&b, msg);
    }
    luaL_pushresult(&b);
    return 1;
}

/* err:is(kind): exact kind, plus the family relations users rely on. */
/// Error:is(kind): True when the error is of `kind`; "Forbidden" also matches RateLimitExceeded and "CanvasException" every kind.
static int err_is(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *want = luaL_checkstring(L, 2);
    lua_getfield(L, 1, "kind");
    const char *kind = lua_tostring(L, -1);
    int yes = kind && (strcmp(kind, want) == 0 ||
                       strcmp(want, "CanvasException") == 0 ||
                       (strcmp(want, "Forbidden") == 0 && strcmp(kind, "RateLimitExceeded") == 0));
    lua_pushboolean(L, yes);
    return 1;
}

/* lcanvas.error(kind, message [, fields]): build (not raise) an error, for
 * Lua code that validates before sending. */
static int l_new_error(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    const char *msg = luaL_optstring(L, 2, "");
    lua_createtable(L, 0, 6);
    if (lua_istable(L, 3)) {
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
    }
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_getfield(L, -1, "status");
    if (lua_isnil(L, -1)) {
        lua_pushinteger(L, 0);
        lua_setfield(L, -3, "status");
    }
    lua_pop(L, 1);
    luaL_setmetatable(L, LCB_ERROR_MT);
    return 1;
}

void lcb_open_error(lua_State *L)
{
    static const luaL_Reg methods[] = {{"is", err_is}, {NULL, NULL}};
    static const luaL_Reg metamethods[] = {{"__tostring", err_tostring}, {NULL, NULL}};
    lcb_class(L, LCB_ERROR_MT, methods, metamethods);
    lua_pop(L, 1);
    lua_pushcfunction(L, l_new_error);
    lua_setfield(L, -2, "error");
    /* The kinds, so scripts can compare against constants. */
    lua_createtable(L, 0, LC_KIND_COUNT);
    for (int k = 1; k < LC_KIND_COUNT; k++) {
        lua_pushstring(L, lc_kind_name((lc_kind)k));
        lua_setfield(L, -2, lc_kind_name((lc_kind)k));
    }
    lua_setfield(L, -2, "kinds");
}
