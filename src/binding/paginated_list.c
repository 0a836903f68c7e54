/* lcanvas.PaginatedList: a lazy list over Canvas's Link-header pagination.
 *
 * Nothing is requested until the list is used. Pages are fetched by
 * following rel="next" verbatim (never by computing page numbers), or
 * meta.pagination.next when the server sends no Link. Loaded items are kept,
 * so indexing and iterating again cost no requests.
 *
 * User values: 1 client, 2 loaded items, 3 fields added to each item (or
 * nil), 4 state table {path, query, next, type, root, ends}. */
#include <stdlib.h>
#include <string.h>

#include "binding.h"

#define ITER_MT "lcanvas.ListIterator"

typedef struct lcb_list {
    int started;
    int done;
    lua_Integer count;   /* items loaded */
    lua_Integer pages;   /* pages loaded */
    lua_Integer cursor;  /* position of the implicit `for x in list` loop */
} lcb_list;

static lcb_list *check_list(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LCB_LIST_MT);
}

void lcb_push_list(lua_State *L, int client_idx, const char *type, const char *path,
                   int params_idx, const char *root, int extra_idx)
{
    client_idx = lua_absindex(L, client_idx);
    params_idx = params_idx ? lua_absindex(L, params_idx) : 0;
    extra_idx = extra_idx ? lua_absindex(L, extra_idx) : 0;
    lcb_check_client(L, client_idx);

    lcb_list *li = lua_newuserdatauv(L, sizeof *li, 4);
    memset(li, 0, sizeof *li);
    int self = lua_gettop(L);
    luaL_setmetatable(L, LCB_LIST_MT);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, self, 1);
    lua_newtable(L);
    lua_setiuservalue(L, self, 2);
    if (extra_idx) {
        lua_pushvalue(L, extra_idx);
        lua_setiuservalue(L, self, 3);
    }
    lua_createtable(L, 0, 6);
    lua_pushstring(L, path);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, type);
    lua_setfield(L, -2, "type");
    if (root) {
        lua_pushstring(L, root);
        lua_setfield(L, -2, "root");
    }
    if (params_idx) {
        /* Encoded now: a bad parameter fails at the call, not later inside a
         * loop, and the caller may reuse its table. */
        lcb_push_params(L, params_idx);
        lua_setfield(L, -2, "query");
    }
    lua_newtable(L);
    lua_setfield(L, -2, "ends");
    lua_setiuservalue(L, self, 4);
}

/* Fetches the next page; returns how many items it added. */
static lua_Integer fetch_page(lua_State *L, int self)
{
    lcb_list *li = check_list(L, self);
    if (li->done) return 0;
    int top = lua_gettop(L);
    lua_getiuservalue(L, self, 4);
    int state = lua_gettop(L);
    lua_getiuservalue(L, self, 1);
    int client = lua_gettop(L);

    lcb_call call = {"GET", NULL, 0, 0, 0};
    lua_getfield(L, state, li->started ? "next" : "path");
    call.path = lua_tostring(L, -1);
    if (!li->started) {
        lua_getfield(L, state, "query");
        call.is_list = 1;
        /* The query is already encoded: pass it as the path's query part. */
        if (lua_isstring(L, -1) && lua_rawlen(L, -1) > 0) {
            lua_pushfstring(L, "%s?%s", call.path, lua_tostring(L, -1));
            call.path = lua_tostring(L, -1);
        }
    }

    lc_response resp;
    lcb_request(L, client, &call, &resp);
    int body = lua_gettop(L);
    char *next = lc_response_next_url(&resp);
    lc_response_clear(&resp);
    if (next) {
        lua_pushstring(L, next);
        free(next);
    } else {
        lua_pushnil(L);
    }
    int next_idx = lua_gettop(L);

    /* Find the array: the body, or body[root]; meta.pagination.next when
     * there was no Link header. */
    int items = body;
    lua_getfield(L, state, "root");
    if (lua_isstring(L, -1) && lua_istable(L, body)) {
        lua_pushvalue(L, -1);
        lua_rawget(L, body);
        items = lua_gettop(L);
    }
    if (lua_istable(L, body) && lua_isnil(L, next_idx)) {
        lua_getfield(L, body, "meta");
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "pagination");
            if (lua_istable(L, -1)) {
                lua_getfield(L, -1, "next");
                if (lua_type(L, -1) == LUA_TSTRING) lua_replace(L, next_idx);
                else lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (lua_isnil(L, items)) {
        /* 204 or an empty body: an empty page. */
        lua_newtable(L);
        items = lua_gettop(L);
    }
    int not_array = !lua_istable(L, items);
    if (!not_array && lua_rawlen(L, items) == 0) {
        /* An empty array, or an object (which has keys)? lua_next needs a nil key. */
        lua_pushnil(L);
        not_array = lua_next(L, items) != 0;
        if (not_array) lua_pop(L, 2);
    }
    if (not_array) {
        lua_getfield(L, state, "root");
        const char *root = lua_tostring(L, -1);
        lcb_raise_kind(L, LC_INVALID_RESPONSE,
                       root ? "expected a list under the key '%s' in the answer to GET %s"
                            : "expected a JSON array in the answer to GET %s%s",
                       root ? root : "", call.path);
    }

    lua_getfield(L, state, "type");
    const char *type = lua_tostring(L, -1);
    int wrap = strcmp(type, "dict") != 0;
    lua_getiuservalue(L, self, 3);
    int extra = lua_istable(L, -1) ? lua_gettop(L) : 0;
    lua_getiuservalue(L, self, 2);
    int cache = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, items);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, items, i);
        if (extra && lua_istable(L, -1)) {
            lua_pushnil(L);
            while (lua_next(L, extra)) {
                lua_pushvalue(L, -2);
                lua_rawget(L, -4);
                int absent = lua_isnil(L, -1);
                lua_pop(L, 1);
                if (absent) {
                    lua_pushvalue(L, -2);
                    lua_insert(L, -2);
                    lua_rawset(L, -4);
                } else {
                    lua_pop(L, 1);
                }
            }
        }
        if (wrap) {
            lcb_push_resource(L, type, -1, client);
            lua_remove(L, -2);
        }
        lua_rawseti(L, cache, li->count + i);
    }
    li->started = 1;
    li->count += n;
    li->pages++;
    lua_getfield(L, state, "ends");
    lua_pushinteger(L, li->count);
    lua_rawseti(L, -2, li->pages);
    lua_pushvalue(L, next_idx);
    lua_setfield(L, state, "next");
    /* An empty page ends the list even if a next link came with it, so a
     * server that keeps linking to empty pages cannot loop us forever. */
    if (lua_isnil(L, next_idx) || n == 0) li->done = 1;

    /* Progress hook (host-scripts): the client's Lua-side field `on_page`,
     * when set, is called as on_page(list, items, pages, done). */
    lua_getiuservalue(L, client, 1);
    if (lua_getfield(L, -1, "on_page") == LUA_TFUNCTION) {
        lua_pushvalue(L, self);
        lua_pushinteger(L, li->count);
        lua_pushinteger(L, li->pages);
        lua_pushboolean(L, li->done);
        lua_call(L, 4, 0);
    }

    lua_settop(L, top);
    return n;
}

/* Loads pages until `want` items are there or the list ends. */
static void ensure(lua_State *L, int self, lua_Integer want)
{
    lcb_list *li = check_list(L, self);
    while (li->count < want && !li->done) fetch_page(L, self);
}

static void push_item(lua_State *L, int self, lua_Integer i)
{
    lua_getiuservalue(L, self, 2);
    lua_rawgeti(L, -1, i);
    lua_remove(L, -2);
}

static lua_Integer check_index(lua_State *L, int idx)
{
    lua_Integer i;
    if (lua_isinteger(L, idx)) {
        i = lua_tointeger(L, idx);
    } else {
        lua_Number d = lua_tonumber(L, idx);
        if (!lua_numbertointeger(d, &i) || (lua_Number)i != d)
            luaL_argerror(L, idx, "list index must be a whole number");
    }
    if (i < 1) luaL_argerror(L, idx, "list index must be 1 or more (lists are 1-based)");
    return i;
}

static int l_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer i = check_index(L, 2);
        ensure(L, 1, i);
        push_item(L, 1, i);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* `for x in list do`: the list is its own iterator; a nil control value
 * (the first call of a loop) starts over from the first item. */
static int l_call(lua_State *L)
{
    lcb_list *li = check_list(L, 1);
    if (lua_isnil(L, 3)) li->cursor = 0;
    lua_Integer i = ++li->cursor;
    ensure(L, 1, i);
    push_item(L, 1, i);
    return 1;
}

typedef struct iter_state {
    lua_Integer pos;
    int closed;
} iter_state;

static int iter_next(lua_State *L)
{
    iter_state *st = lua_touserdata(L, lua_upvalueindex(2));
    if (st->closed) return 0;
    lua_Integer i = ++st->pos;
    ensure(L, lua_upvalueindex(1), i);
    push_item(L, lua_upvalueindex(1), i);
    if (lua_isnil(L, -1)) st->closed = 1;
    return 1;
}

static int iter_close(lua_State *L)
{
    iter_state *st = luaL_checkudata(L, 1, ITER_MT);
    st->closed = 1;
    return 0;
}

/* list:iter() -> iterator, nil, nil, closing value (a `break` closes it). */
/// PaginatedList:iter(): An iterator for a generic `for`, fetching pages as needed; a `break` releases it (`for x in list do` is the same).
static int m_iter(lua_State *L)
{
    check_list(L, 1);
    lua_pushvalue(L, 1);
    iter_state *st = lua_newuserdatauv(L, sizeof *st, 0);
    st->pos = 0;
    st->closed = 0;
    luaL_setmetatable(L, ITER_MT);
    lua_pushcclosure(L, iter_next, 2);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_getupvalue(L, -3, 2);
    return 4;
}

/// PaginatedList:first(): The first item (nil for an empty list), fetching only the first page.
static int m_first(lua_State *L)
{
    check_list(L, 1);
    ensure(L, 1, 1);
    push_item(L, 1, 1);
    return 1;
}

static void push_range(lua_State *L, int self, lua_Integer from, lua_Integer to)
{
    lua_createtable(L, to >= from ? (int)(to - from + 1) : 0, 0);
    lua_getiuservalue(L, self, 2);
    for (lua_Integer i = from; i <= to; i++) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -3, i - from + 1);
    }
    lua_pop(L, 1);
}

/// PaginatedList:take(n): An array of the first `n` items, fetching only the pages needed.
static int m_take(lua_State *L)
{
    lcb_list *li = check_list(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) luaL_argerror(L, 2, "count must be 0 or more");
    ensure(L, 1, n);
    push_range(L, 1, 1, n < li->count ? n : li->count);
    return 1;
}

/// PaginatedList:all(): An array of every item (fetches every page).
static int m_all(lua_State *L)
{
    lcb_list *li = check_list(L, 1);
    ensure(L, 1, LUA_MAXINTEGER);
    push_range(L, 1, 1, li->count);
    return 1;
}

/// PaginatedList:count(): The number of items (fetches every page).
static int m_count(lua_State *L)
{
    lcb_list *li = check_list(L, 1);
    ensure(L, 1, LUA_MAXINTEGER);
    lua_pushinteger(L, li->count);
    return 1;
}

/* list:pages() iterates page by page, each a plain array of items. */
static int pages_next(lua_State *L)
{
    int self = lua_upvalueindex(1);
    lcb_list *li = check_list(L, self);
    lua_Integer p = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    while (li->pages < p && !li->done) fetch_page(L, self);
    if (li->pages < p) return 0;
    lua_pushinteger(L, p);
    lua_replace(L, lua_upvalueindex(2));
    lua_getiuservalue(L, self, 4);
    lua_getfield(L, -1, "ends");
    lua_rawgeti(L, -1, p - 1);
    lua_Integer from = lua_tointeger(L, -1) + 1;  /* nil (page 1) -> 0 */
    lua_rawgeti(L, -2, p);
    lua_Integer to = lua_tointeger(L, -1);
    lua_pop(L, 4);
    if (to < from && li->done && p > 1) return 0;
    push_range(L, self, from, to);
    return 1;
}

/// PaginatedList:pages(): An iterator over pages, each an array of that page's items.
static int m_pages(lua_State *L)
{
    check_list(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, pages_next, 2);
    return 1;
}

/// PaginatedList:loaded(): How many items and pages have been fetched so far (no request).
static int m_loaded(lua_State *L)
{
    lcb_list *li = check_list(L, 1);
    lua_pushinteger(L, li->count);
    lua_pushinteger(L, li->pages);
    return 2;
}

static int l_tostring(lua_State *L)
{
    check_list(L, 1);
    lua_getiuservalue(L, 1, 4);
    lua_getfield(L, -1, "type");
    lua_getfield(L, -2, "path");
    lua_pushfstring(L, "lcanvas.PaginatedList(%s, %s)", lua_tostring(L, -2), lua_tostring(L, -1));
    return 1;
}

void lcb_open_list(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"iter", m_iter},
        {"first", m_first},
        {"take", m_take},
        {"all", m_all},
        {"count", m_count},
        {"pages", m_pages},
        {"loaded", m_loaded},
        {NULL, NULL},
    };
    luaL_newmetatable(L, ITER_MT);
    lua_pushcfunction(L, iter_close);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
    luaL_newmetatable(L, LCB_LIST_MT);
    luaL_newlib(L, methods);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
    lua_pushcclosure(L, l_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_call);
    lua_setfield(L, -2, "__call");
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}
