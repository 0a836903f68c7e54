/* lcanvas.PaginatedList: a lazy list over Canvas's Link-header pagination.
 *
 * Nothing is requested until the list is used. Pages are fetched by
 * following rel="next" verbatim (never by computing page numbers), or
 * meta.pagination.next when the server sends no Link. Loaded items are kept,
 * so indexing and iterating again cost no requests.
 *
 * User values: 1 client, 2 loaded items, 3 fields added to each item (or
 * nil), 4 state table {path, first (URL of page 1), next, type, root, ends,
 * and the requests task.c keeps there while pages load}. */
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_json.h"
#include "lcb_list.h"
#include "lcb_request.h"
#include "lcb_task.h"
#include "object.h"

#define ITER_MT "lcanvas.ListIterator"

typedef struct lcb_list {
    int started;
    int done;
    int nokeep;          /* streaming copy: keeps only the current page */
    int no_prefetch;     /* option prefetch = false */
    lua_Integer count;   /* items loaded */
    lua_Integer pages;   /* pages loaded */
    lua_Integer cursor;  /* position of the implicit `for x in list` loop */
    lua_Integer base;    /* items dropped before the cache (nokeep) */
} lcb_list;

static lcb_list *check_list(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LCB_LIST_MT);
}

/* Pushes a new list over the client at client_idx, whose items get the
 * fields of the table at extra_idx (0: none), and its empty state table
 * above it. */
static lcb_list *new_list(lua_State *L, int client_idx, int extra_idx)
{
    lcb_list *li = lua_newuserdatauv(L, sizeof *li, 4);
    memset(li, 0, sizeof *li);
    luaL_setmetatable(L, LCB_LIST_MT);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, 1);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 2);
    if (extra_idx) {
        lua_pushvalue(L, extra_idx);
        lua_setiuservalue(L, -2, 3);
    }
    lua_createtable(L, 0, 8);
    lua_newtable(L);
    lua_setfield(L, -2, "ends");
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, -3, 4);
    return li;
}

void lcb_push_list(lua_State *L, int client_idx, const char *type, const char *path,
                   int params_idx, const char *root, int extra_idx)
{
    client_idx = lua_absindex(L, client_idx);
    params_idx = params_idx ? lua_absindex(L, params_idx) : 0;
    extra_idx = extra_idx ? lua_absindex(L, extra_idx) : 0;
    lcb_check_client(L, client_idx);
    new_list(L, client_idx, extra_idx);
    lua_pushstring(L, path);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, type);
    lua_setfield(L, -2, "type");
    if (root) {
        lua_pushstring(L, root);
        lua_setfield(L, -2, "root");
    }
    /* The first page's URL. The query is encoded now: a bad parameter
     * fails at the call, not later inside a loop, and the caller may reuse
     * its table. */
    if (params_idx) lcb_push_params(L, params_idx);
    else lua_pushliteral(L, "");
    if (lua_rawlen(L, -1) > 0) lua_pushfstring(L, "%s?%s", path, lua_tostring(L, -1));
    else lua_pushstring(L, path);
    lua_setfield(L, -3, "first");
    lua_pop(L, 2);  /* the query, the state table */
}

void lcb_list_set_prefetch(lua_State *L, int idx, int on)
{
    check_list(L, idx)->no_prefetch = !on;
}

/* ------------------------------------------------------------ loading
 *
 * Loading is written in continuation style so that inside a task a page
 * request yields (task.c) and the task resumes here. The loader keeps its
 * state on the stack, above the caller's:
 *   base: the list, +1: how many items (or pages) are wanted, +2: what to do
 *   once loaded (an AFTER_* code), +3: flags, then during a fetch +4: the
 *   state table, +5: the client, +6: the path requested, +7: the answer,
 *   +8: the next URL.
 * When loading is done the stack goes back to the caller's and the AFTER_*
 * step pushes the method's results. In a task, the page after the one
 * just loaded is requested at once (prefetch) when iterating. */

enum { F_PREFETCH = 1, F_PAGES = 2 };
enum { AFTER_INDEX, AFTER_CALL, AFTER_ITER, AFTER_FIRST, AFTER_TAKE, AFTER_ALL, AFTER_COUNT,
       AFTER_PAGES };
#define AGAIN (-1)

static int after(lua_State *L, int what);
static int load_loop(lua_State *L, int base);

/* Turns the answer at base+7 (next URL at base+8) into items. */
static void take_page(lua_State *L, int base)
{
    int self = base, state = base + 4, client = base + 5, body = base + 7, next_idx = base + 8;
    lcb_list *li = check_list(L, self);

    lua_getfield(L, state, "root");
    int items = lcb_request_page_items(L, body, next_idx, lua_tostring(L, -1),
                                       lua_tostring(L, base + 6));

    lua_getfield(L, state, "type");
    const char *type = lua_tostring(L, -1);
    int wrap = strcmp(type, "dict") != 0;
    lua_getiuservalue(L, self, 3);
    int extra = lua_istable(L, -1) ? lua_gettop(L) : 0;
    lua_Integer n = (lua_Integer)lua_rawlen(L, items);
    if (li->nokeep) {
        /* Streaming: the previous page goes, so memory stays flat. */
        lua_createtable(L, (int)n, 0);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, self, 2);
        li->base = li->count;
    } else {
        lua_getiuservalue(L, self, 2);
    }
    int cache = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, items, i);
        if (extra && lua_istable(L, -1)) {
            /* The list's context wins (a user's migrations carry that
             * user's id, as the Python client sets it). */
            lua_pushnil(L);
            while (lua_next(L, extra)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -4);
            }
        }
        if (wrap) {
            lcb_push_resource(L, type, -1, client);
            lua_remove(L, -2);
        }
        lua_rawseti(L, cache, li->count - li->base + i);
    }
    li->started = 1;
    li->count += n;
    li->pages++;
    if (!li->nokeep) {
        lua_getfield(L, state, "ends");
        lua_pushinteger(L, li->count);
        lua_rawseti(L, -2, li->pages);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, next_idx);
    lua_setfield(L, state, "next");
    /* An empty page ends the list even if a next link came with it, so a
     * server that keeps linking to empty pages cannot loop us forever. */
    if (lua_isnil(L, next_idx) || n == 0) li->done = 1;

    /* The client's page hook (Client:on_page), e.g. the progress line. */
    lcb_client_page_hook(L, client, self, li->count, li->pages, li->done);
}

/* After a page arrived (directly, or in a task after a yield). */
static int fetched_k(lua_State *L, int status, lua_KContext ctx)
{
    int base = (int)ctx;
    lcb_list *li = check_list(L, base);
    take_page(L, base);
    lcb_fetch_done(L, base + 4);
    int flags = (int)lua_tointeger(L, base + 3);
    if ((flags & F_PREFETCH) && !li->done && !li->no_prefetch) {
        lua_settop(L, base + 5);
        lua_getfield(L, base + 4, "next");
        lcb_fetch_ahead(L, base + 4, base + 5, lua_tostring(L, -1));
    }
    lua_settop(L, base + 3);
    if (status == LUA_OK) return AGAIN;  /* our caller's loop goes on */
    return load_loop(L, base);
}

/* A task found another task loading this list: try again when resumed. */
static int retry_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lua_settop(L, (int)ctx + 3);
    return load_loop(L, (int)ctx);
}

/* Requests the next page; returns AGAIN when it was handled synchronously. */
static int fetch_start(lua_State *L, int base)
{
    lcb_list *li = check_list(L, base);
    lua_settop(L, base + 3);
    lua_getiuservalue(L, base, 4);
    lua_getiuservalue(L, base, 1);

    /* Another task is fetching a page of this list: let it finish. */
    if (lcb_fetch_busy(L, base + 4)) {
        if (lcb_in_task(L)) return lua_yieldk(L, 0, (lua_KContext)base, retry_k);
        return luaL_error(L, "this list is being loaded by a task that has not finished");
    }

    lua_getfield(L, base + 4, li->started ? "next" : "first");
    lcb_call call = {"GET", lua_tostring(L, -1), 0, 0, !li->started};
    return lcb_fetch_k(L, base + 4, base + 5, &call, (lua_KContext)base, fetched_k);
}

static int load_loop(lua_State *L, int base)
{
    for (;;) {
        lcb_list *li = check_list(L, base);
        lua_Integer want = lua_tointeger(L, base + 1);
        int flags = (int)lua_tointeger(L, base + 3);
        lua_Integer have = (flags & F_PAGES) ? li->pages : li->count;
        if (have >= want || li->done) {
            int what = (int)lua_tointeger(L, base + 2);
            lua_settop(L, base - 1);
            return after(L, what);
        }
        int r = fetch_start(L, base);
        if (r != AGAIN) return r;
    }
}

/* Loads until `want` items (pages with F_PAGES) are there or the list
 * ends, then returns what the AFTER_* step `what` pushes. */
static int load(lua_State *L, int self, lua_Integer want, int flags, int what)
{
    lua_pushvalue(L, self);
    int base = lua_gettop(L);
    lua_pushinteger(L, want);
    lua_pushinteger(L, what);
    lua_pushinteger(L, flags);
    return load_loop(L, base);
}

static void push_item(lua_State *L, int self, lua_Integer i)
{
    lcb_list *li = check_list(L, self);
    lua_getiuservalue(L, self, 2);
    if (i > li->base) lua_rawgeti(L, -1, i - li->base);
    else lua_pushnil(L);
    lua_remove(L, -2);
}

static lua_Integer check_index(lua_State *L, int idx)
{
    lua_Integer i = 0;
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

typedef struct iter_state {
    lua_Integer pos;
    int closed;
    int prefetch;
} iter_state;

/* The second half of each method: what it returns once the pages it needs
 * are loaded (the stack is the method's own again). */
static int after(lua_State *L, int what)
{
    switch (what) {
    case AFTER_INDEX:
        push_item(L, 1, check_index(L, 2));
        return 1;
    case AFTER_CALL:
        push_item(L, 1, check_list(L, 1)->cursor);
        return 1;
    case AFTER_ITER: {
        iter_state *st = lua_touserdata(L, lua_upvalueindex(2));
        push_item(L, lua_upvalueindex(1), st->pos);
        if (lua_isnil(L, -1)) st->closed = 1;
        return 1;
    }
    case AFTER_FIRST:
        push_item(L, 1, 1);
        return 1;
    case AFTER_TAKE: {
        lua_Integer n = lua_tointeger(L, 2), have = check_list(L, 1)->count;
        push_range(L, 1, 1, n < have ? n : have);
        return 1;
    }
    case AFTER_ALL:
        push_range(L, 1, 1, check_list(L, 1)->count);
        return 1;
    case AFTER_COUNT:
        lua_pushinteger(L, check_list(L, 1)->count);
        return 1;
    case AFTER_PAGES: {
        int self = lua_upvalueindex(1);
        lcb_list *li = check_list(L, self);
        lua_Integer p = lua_tointeger(L, lua_upvalueindex(2)) + 1;
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
    }
    return 0;
}

static int l_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer i = check_index(L, 2);
        return load(L, 1, i, 0, AFTER_INDEX);
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
    return load(L, 1, i, F_PREFETCH, AFTER_CALL);
}

static int iter_next(lua_State *L)
{
    iter_state *st = lua_touserdata(L, lua_upvalueindex(2));
    if (st->closed) return 0;
    lua_Integer i = ++st->pos;
    return load(L, lua_upvalueindex(1), i, st->prefetch ? F_PREFETCH : 0, AFTER_ITER);
}

static int iter_close(lua_State *L)
{
    iter_state *st = luaL_checkudata(L, 1, ITER_MT);
    st->closed = 1;
    /* A streaming copy can never use the page fetched ahead: cancel it. */
    lua_getiuservalue(L, 1, 1);
    if (lua_isuserdata(L, -1) && check_list(L, -1)->nokeep) {
        lua_getiuservalue(L, -1, 4);
        lcb_fetch_cancel_ahead(L, -1);
    }
    return 0;
}

/* A fresh list over the same request that keeps only its current page. */
static void push_streaming_copy(lua_State *L, int self)
{
    lcb_list *li = check_list(L, self);
    int from = lua_gettop(L) + 1;
    lua_getiuservalue(L, self, 1);  /* from: the client */
    lua_getiuservalue(L, self, 3);  /* from+1: the item fields */
    lua_getiuservalue(L, self, 4);  /* from+2: the state table */
    lcb_list *cp = new_list(L, from, from + 1);
    cp->nokeep = 1;
    cp->no_prefetch = li->no_prefetch;
    static const char *const keys[] = {"path", "type", "root", "first", NULL};
    for (int i = 0; keys[i]; i++) {
        lua_getfield(L, from + 2, keys[i]);
        lua_setfield(L, -2, keys[i]);
    }
    lua_pop(L, 1);
    lua_replace(L, from);
    lua_settop(L, from);
}

/// PaginatedList:iter([opts]): iterator for a generic for (a `break` closes it); opts.keep = false streams without keeping pages, opts.prefetch = false fetches no page ahead.
static int m_iter(lua_State *L)
{
    lcb_list *li = check_list(L, 1);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    int keep = 1, prefetch = !li->no_prefetch;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "keep");
        if (!lua_isnil(L, -1)) keep = lua_toboolean(L, -1);
        lua_getfield(L, 2, "prefetch");
        if (!lua_isnil(L, -1)) prefetch = lua_toboolean(L, -1);
        lua_pop(L, 2);
    }
    if (keep) lua_pushvalue(L, 1);
    else push_streaming_copy(L, 1);
    iter_state *st = lua_newuserdatauv(L, sizeof *st, 1);
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 1);
    st->pos = 0;
    st->closed = 0;
    st->prefetch = prefetch;
    luaL_setmetatable(L, ITER_MT);
    lua_pushcclosure(L, iter_next, 2);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_getupvalue(L, -3, 2);
    return 4;
}

/// PaginatedList:first(): the first item, or nil for an empty list (fetches one page at most).
static int m_first(lua_State *L)
{
    check_list(L, 1);
    lua_settop(L, 1);
    return load(L, 1, 1, 0, AFTER_FIRST);
}

/// PaginatedList:take(n): an array of the first n items (fewer if the list is shorter).
static int m_take(lua_State *L)
{
    check_list(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) luaL_argerror(L, 2, "count must be 0 or more");
    lua_settop(L, 2);
    return load(L, 1, n, 0, AFTER_TAKE);
}

/// PaginatedList:all(): an array of every item (fetches every page).
static int m_all(lua_State *L)
{
    check_list(L, 1);
    lua_settop(L, 1);
    return load(L, 1, LUA_MAXINTEGER, 0, AFTER_ALL);
}

/// PaginatedList:count(): the number of items (fetches every page).
static int m_count(lua_State *L)
{
    check_list(L, 1);
    lua_settop(L, 1);
    return load(L, 1, LUA_MAXINTEGER, 0, AFTER_COUNT);
}

static int pages_next(lua_State *L)
{
    int self = lua_upvalueindex(1);
    check_list(L, self);
    lua_Integer p = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    return load(L, self, p, F_PREFETCH | F_PAGES, AFTER_PAGES);
}

/// PaginatedList:pages(): iterator over the pages, each an array of items.
static int m_pages(lua_State *L)
{
    check_list(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, pages_next, 2);
    return 1;
}

/// PaginatedList:loaded(): items and pages loaded so far, without fetching.
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
    static const luaL_Reg metamethods[] = {
        {"__index", l_index},
        {"__call", l_call},
        {"__tostring", l_tostring},
        {NULL, NULL},
    };
    static const luaL_Reg iter_meta[] = {{"__close", iter_close}, {NULL, NULL}};
    lcb_class(L, ITER_MT, NULL, iter_meta);
    lcb_class(L, LCB_LIST_MT, methods, metamethods);
    lua_pop(L, 2);
}
