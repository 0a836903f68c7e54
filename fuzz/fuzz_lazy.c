/* Objects read in place against the full decoder, on any bytes: for every
 * text the validator accepts, a lazy object's field reads (object_lazy.c,
 * span.c) must give what its decoded attribute table holds, for every key
 * (duplicates included: the last one wins in both), and the item
 * boundaries the in-place reader finds in an array must be the decoder's
 * items. A script must never see one value and then another for the same
 * field of one object. */
#include <lua.h>
#include <lauxlib.h>

#include "fuzz.h"
#include "json.h"
#include "lcb_json.h"
#include "lcb_span.h"
#include "object.h"

static lua_State *L;

/* A fresh lazy object over text[off..off+len) (the string at index 1). */
static void push_lazy(lua_State *S, size_t off, size_t len)
{
    lua_newtable(S);                 /* stands for the metatable */
    int mt = lua_gettop(S);
    lcb_push_lazy_resource(S, mt, 1, off, len, mt);
    lua_remove(S, mt);
}

/* Compares field `key` (on top) of a lazy object with the decoded table. */
static void compare_field(lua_State *S, int attrs, size_t off, size_t len)
{
    size_t klen;
    const char *key = lua_tolstring(S, -1, &klen);
    push_lazy(S, off, len);
    lcb_resource_field(S, -1, key, klen);            /* the lazy read */
    lua_pushvalue(S, -3);
    lua_rawget(S, attrs);                            /* the decoded value */
    if (lcb_is_null(S, -1)) {
        lua_pop(S, 1);
        lua_pushnil(S);
    }
    int tl = lua_type(S, -2), td = lua_type(S, -1);
    FUZZ_ASSERT(tl == td);
    if (tl == LUA_TNUMBER) {
        FUZZ_ASSERT(lua_isinteger(S, -2) == lua_isinteger(S, -1));
        FUZZ_ASSERT(lua_rawequal(S, -2, -1));
    } else if (tl != LUA_TTABLE) {
        FUZZ_ASSERT(lua_rawequal(S, -2, -1));
    }
    lua_pop(S, 3);
}

/* One object text at off: every decoded key, and keys it lacks. */
static void compare_object(lua_State *S, size_t off, size_t len)
{
    const char *s = lua_tostring(S, 1) + off;
    if (!lcb_push_json_ex(S, s, len, 1)) FUZZ_ASSERT(0);
    int attrs = lua_gettop(S);
    FUZZ_ASSERT(lua_istable(S, attrs));
    lua_pushnil(S);
    while (lua_next(S, attrs)) {
        lua_pop(S, 1);
        lua_pushvalue(S, -1);
        compare_field(S, attrs, off, len);
    }
    static const char *const absent[] = {"", "id", "name", "zz_not_there"};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++) {
        lua_pushstring(S, absent[i]);
        compare_field(S, attrs, off, len);
    }
    lua_settop(S, attrs - 1);
}

static int run(lua_State *S)
{
    size_t n;
    const char *s = lua_tolstring(S, 1, &n);
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    if (i >= n) return 0;
    if (s[i] == '{') {
        compare_object(S, i, lcb_span_skip(s, i, n) - i);
        return 0;
    }
    if (s[i] != '[') return 0;
    /* The items as a page is read (page.c): where each starts and ends. */
    if (!lcb_push_json(S, s, n)) FUZZ_ASSERT(0);
    lua_Integer want = (lua_Integer)lua_rawlen(S, -1), k = 0;
    lua_pop(S, 1);
    for (size_t p = i + 1; p < n;) {
        while (p < n && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t' || s[p] == ','))
            p++;
        if (p >= n || s[p] == ']') break;
        size_t end = lcb_span_skip(s, p, n);
        FUZZ_ASSERT(end > p && end <= n);
        if (s[p] == '{') compare_object(S, p, end - p);
        k++;
        p = end;
    }
    FUZZ_ASSERT(k == want);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t off = lc_json_skip_prefix(text, size);
    if (lc_json_validate(text + off, size - off, NULL, 0) != LC_JSON_OK) return 0;
    if (!L) {
        L = luaL_newstate();
        if (!L) abort();
    }
    lua_settop(L, 0);
    lua_pushcfunction(L, run);
    lua_pushlstring(L, text + off, size - off);
    int rc = lua_pcall(L, 1, 0, 0);
    if (rc != LUA_OK && rc != LUA_ERRMEM) {
        fprintf(stderr, "lua error: %s\n", lua_tostring(L, -1));
        FUZZ_ASSERT(0);
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
