/* The upload answers, read the way the binding reads them: step 1's JSON
 * ({upload_url, upload_params}) decoded into Lua tables by lcb_push_json,
 * and step 2's Location, whose origin decides whether it may carry the
 * token. Input: the Location line, a newline, then the body. */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "fuzz.h"
#include "lcanvas.h"
#include "lcb_json.h"

static lua_State *L;

static int read_ticket(lua_State *S)
{
    size_t n;
    const char *body = lua_tolstring(S, 1, &n);
    if (!lcb_push_json(S, body, n)) return 0;
    if (!lua_istable(S, -1)) return 0;
    lua_getfield(S, -1, "upload_url");
    if (lua_type(S, -1) == LUA_TSTRING) lc_free(lc_url_origin(lua_tostring(S, -1), NULL));
    lua_pop(S, 1);
    lua_getfield(S, -1, "upload_params");
    if (lua_istable(S, -1)) {
        lua_pushnil(S);
        while (lua_next(S, -2)) lua_pop(S, 1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        L = luaL_newstate();
        if (!L) abort();
    }
    const char *nl = memchr(data, '\n', size);
    size_t llen = nl ? (size_t)(nl - (const char *)data) : size;
    char *location = fuzz_cstr(data, llen);
    char *origin = lc_url_origin(location, NULL);
    if (origin) FUZZ_ASSERT(strncmp(origin, "http", 4) == 0);
    lc_free(origin);
    free(location);
    const char *body = nl ? nl + 1 : "";
    size_t blen = nl ? size - llen - 1 : 0;
    lua_settop(L, 0);
    lua_pushcfunction(L, read_ticket);
    lua_pushlstring(L, body, blen);
    int rc = lua_pcall(L, 1, 0, 0);
    FUZZ_ASSERT(rc == LUA_OK || rc == LUA_ERRMEM);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
