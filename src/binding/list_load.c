/* Loading a PaginatedList's pages into its cache. Pages are fetched by
 * following rel="next" verbatim (never by computing page numbers), or
 * meta.pagination.next when the server sends no Link.
 *
 * Written in continuation style so that inside a task a page request
 * yields (task.c) and the task resumes here. The loader keeps its state on
 * the stack, above the caller's:
 *   base: the list, +1: how many items (or pages) are wanted, +2: the
 *   method's finish function, +3: flags, then during a fetch +4: the state
 *   table, +5: the client, +6: the URL requested, +7: the answer, +8: the
 *   next URL.
 * When loading is done the stack goes back to the caller's and finish
 * pushes the method's results. A fetch that completes without yielding
 * returns AGAIN to the loop instead of calling it again, so the C stack
 * does not grow with each page. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_list.h"
#include "lcb_list_load.h"
#include "lcb_json.h"
#include "lcb_request.h"
#include "lcb_span.h"
#include "lcb_task.h"
#include "object.h"

#define AGAIN (-1)

lcb_list *lcb_list_check(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LCB_LIST_MT);
}

static int load_loop(lua_State *L, int base);

/* Lets a loop find its place from the item it handed out last (the
 * control variable of `for x in list`, paginated_list.c): an object
 * carries its position and the list or window it is in; a plain table
 * item is looked up in the list's weak `cursors` table. */
static void mark_item(lua_State *L, int item, int self, int state, lua_Integer pos)
{
    if (lua_type(L, item) == LUA_TUSERDATA) {
        lcb_obj *o = lua_touserdata(L, item);
        o->pos = pos;
        lua_pushvalue(L, self);
        lua_setiuservalue(L, item, LCB_OBJ_CURSOR);
    } else if (lua_istable(L, item)) {
        if (lua_getfield(L, state, "cursors") == LUA_TTABLE) {
            lua_pushvalue(L, item);
            lua_createtable(L, 2, 0);
            lua_pushvalue(L, self);
            lua_rawseti(L, -2, 1);
            lua_pushinteger(L, pos);
            lua_rawseti(L, -2, 2);
            lua_rawset(L, -3);
        }
        lua_pop(L, 1);
    }
}

/* The items of a page that is a JSON array of objects, read in place: each
 * a lazy object over the page's text (object.c). Returns how many. */
/* A slice (paginated_list.c) loading through a window collects the items
 * it wants as pages pass: state.slice = {from, to, out, first}, item `pos`
 * going to out[pos - first + 1]. */
typedef struct collector {
    int out;                  /* stack index of the array, 0: none */
    lua_Integer from, to, first;
} collector;

static void collector_init(lua_State *L, int state, collector *co)
{
    co->out = 0;
    co->from = co->to = co->first = 0;
    if (lua_getfield(L, state, "slice") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    lua_rawgeti(L, -1, 1);
    co->from = lua_tointeger(L, -1);
    lua_rawgeti(L, -2, 2);
    co->to = lua_tointeger(L, -1);
    lua_rawgeti(L, -3, 4);
    co->first = lua_tointeger(L, -1);
    lua_pop(L, 3);
    lua_rawgeti(L, -1, 3);
    lua_remove(L, -2);
    co->out = lua_gettop(L);
}

/* The item on top is item `pos` of the list. */
static void collect(lua_State *L, const collector *co, lua_Integer pos)
{
    if (co->out && pos >= co->from && pos <= co->to) {
        lua_pushvalue(L, -1);
        lua_rawseti(L, co->out, pos - co->first + 1);
    }
}

static lua_Integer take_lazy(lua_State *L, int base, int cache, const char *type,
                             const collector *co)
{
    int self = base, state = base + 4, client = base + 5, body = base + 7;
    lcb_list *li = lcb_list_check(L, self);
    size_t n;
    const char *s = lua_tolstring(L, body, &n);
    lcb_resource_metatable(L, type);
    int mt = lua_gettop(L);
    lua_Integer k = 0;
    for (size_t i = 1; i < n;) {  /* s[0] is the '[' */
        while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' || s[i] == ','))
            i++;
        if (i >= n || s[i] == ']') break;
        size_t end = lcb_span_skip(s, i, n);
        if (s[i] != '{') {
            lua_pushlstring(L, s + i, end - i);
            lcb_raise_kind(L, LC_INVALID_RESPONSE, "expected a %s object, got %s", type,
                           s[i] == '[' ? "table" : s[i] == '"' ? "string" : lua_tostring(L, -1));
        }
        k++;
        lcb_push_lazy_resource(L, mt, body, i, end - i, client);
        mark_item(L, lua_gettop(L), self, state, li->count + k);
        collect(L, co, li->count + k);
        lua_rawseti(L, cache, li->count - li->base + k);
        i = end;
    }
    lua_pop(L, 1);
    return k;
}

/* A server whose next links repeat, or never end, would keep a loop
 * fetching forever (issue 16): a next link already followed for this list
 * is an InvalidResponse, more than the client's max_pages a LimitExceeded. */
static void check_next(lua_State *L, int base)
{
    int state = base + 4, next_idx = base + 8;
    lcb_list *li = lcb_list_check(L, base);
    if (lua_isnil(L, next_idx)) return;
    lcb_client *cl = lcb_check_client(L, base + 5);
    if (li->pages >= cl->max_pages) {
        lc_error e;
        lc_error_init(&e);
        e.kind = LC_LIMIT_EXCEEDED;
        e.limit = "max_pages";
        e.method = "GET";
        e.url = (char *)lua_tostring(L, next_idx);
        lcb_push_error(L, &e);
        lua_pushfstring(L, "the list has more than max_pages (%I) pages",
                        (LUAI_UACINT)cl->max_pages);
        lua_setfield(L, -2, "message");
        lua_error(L);
    }
    if (lua_getfield(L, state, "seen") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, state, "seen");
    }
    lua_pushvalue(L, next_idx);
    if (lua_rawget(L, -2) != LUA_TNIL)
        lcb_raise_kind(L, LC_INVALID_RESPONSE, "the server's next link repeats a page this "
                       "list already read (%s): stopping instead of looping", lua_tostring(L, next_idx));
    lua_pop(L, 1);
    lua_pushvalue(L, next_idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Turns the answer at base+7 (next URL at base+8) into items. */
static void take_page(lua_State *L, int base)
{
    int self = base, state = base + 4, client = base + 5, body = base + 7, next_idx = base + 8;
    lcb_list *li = lcb_list_check(L, self);

    lua_getfield(L, state, "type");
    const char *type = lua_tostring(L, -1);
    int wrap = strcmp(type, "dict") != 0;
    lua_getiuservalue(L, self, 3);
    int extra = lua_istable(L, -1) ? lua_gettop(L) : 0;
    lua_getfield(L, state, "root");
    int root = !lua_isnil(L, -1);
    lua_pop(L, 1);

    /* The page came as validated text (a raw request, lcb_call.raw). An
     * array of objects for a typed list without extra fields is read in
     * place; anything else is decoded into tables first. */
    int lazy = 0;
    if (lua_type(L, body) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, body, &n);
        lazy = wrap && !extra && !root && n > 0 && s[0] == '[';
        if (!lazy) {
            if (!lcb_push_json(L, s, n)) lua_error(L);
            lua_replace(L, body);
        }
    }

    lua_Integer n = 0;
    int items = 0;
    if (!lazy) {
        lua_getfield(L, state, "root");
        items = lcb_request_page_items(L, body, next_idx, lua_tostring(L, -1),
                                       lua_tostring(L, base + 6));
        n = (lua_Integer)lua_rawlen(L, items);
    }
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
    collector co;
    collector_init(L, state, &co);
    if (lazy) {
        n = take_lazy(L, base, cache, type, &co);
    } else {
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
            mark_item(L, lua_gettop(L), self, state, li->count + i);
            collect(L, &co, li->count + i);
            lua_rawseti(L, cache, li->count - li->base + i);
        }
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
    check_next(L, base);
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
    lcb_list *li = lcb_list_check(L, base);
    take_page(L, base);
    lcb_fetch_done(L, base + 4);
    int flags = (int)lua_tointeger(L, base + 3);
    if ((flags & LCB_LOAD_PREFETCH) && !li->done && !li->no_prefetch) {
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
    lcb_list *li = lcb_list_check(L, base);
    lua_settop(L, base + 3);
    lua_getiuservalue(L, base, 4);
    lua_getiuservalue(L, base, 1);

    /* Another task is fetching a page of this list: let it finish. */
    if (lcb_fetch_busy(L, base + 4)) {
        if (lcb_in_task(L)) return lua_yieldk(L, 0, (lua_KContext)base, retry_k);
        return luaL_error(L, "this list is being loaded by a task that has not finished");
    }

    if (!li->started) {  /* a (re)start: no page of this pass read yet */
        lua_pushnil(L);
        lua_setfield(L, base + 4, "seen");
    }
    lua_getfield(L, base + 4, li->started ? "next" : "first");
    lcb_call call = {"GET", lua_tostring(L, -1), 0, 0, !li->started && !li->unpaged, 1};
    return lcb_fetch_k(L, base + 4, base + 5, &call, (lua_KContext)base, fetched_k);
}

static int load_loop(lua_State *L, int base)
{
    for (;;) {
        lcb_list *li = lcb_list_check(L, base);
        lua_Integer want = lua_tointeger(L, base + 1);
        int flags = (int)lua_tointeger(L, base + 3);
        lua_Integer have = (flags & LCB_LOAD_PAGES) ? li->pages : li->count;
        if (have >= want || li->done) {
            lua_CFunction finish = lua_tocfunction(L, base + 2);
            lua_settop(L, base - 1);
            return finish(L);
        }
        int r = fetch_start(L, base);
        if (r != AGAIN) return r;
    }
}

int lcb_list_load(lua_State *L, int self, lua_Integer want, int flags, lua_CFunction finish)
{
    lua_pushvalue(L, self);
    int base = lua_gettop(L);
    lua_pushinteger(L, want);
    lua_pushcfunction(L, finish);
    lua_pushinteger(L, flags);
    return load_loop(L, base);
}
