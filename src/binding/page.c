/* Loading a PaginatedList's pages: the one place that does. A page is
 * fetched by following rel="next" verbatim (never by computing page
 * numbers), or meta.pagination.next when the server sends no Link; its
 * items are made (read in place from the page's text when they are typed
 * objects, object_lazy.c) and kept in the list, or in a loop's window;
 * inside a task the next page is requested as soon as one arrives.
 *
 * Written in continuation style: waiting for a page is task.c's (it
 * yields inside a task, waits through a host loop in its coroutines,
 * blocks elsewhere) and the load continues here. The loader keeps its
 * state on the stack, above the caller's:
 *   base: the list, +1 how many items (or pages) are wanted, +2 the
 *   method's finish function, +3 flags, and during a fetch +4 the client,
 *   +5 the URL requested, +6 the answer, +7 the next URL.
 * When loading is done the stack goes back to the caller's and finish
 * pushes the method's results. A fetch that completes without yielding
 * returns AGAIN to the loop instead of calling it again, so the C stack
 * does not grow with each page. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_json.h"
#include "lcb_list_state.h"
#include "lcb_request.h"
#include "lcb_span.h"
#include "lcb_task.h"
#include "object.h"

#define AGAIN (-1)

enum { AT_CLIENT = 4, AT_URL = 5, AT_BODY = 6, AT_NEXT = 7 };

static int load_loop(lua_State *L, int base);

/* ------------------------------------------------------------ page ends */

lua_Integer lcb_page_end(lua_State *L, int self, lua_Integer p)
{
    if (p <= 0) return 0;
    lua_getiuservalue(L, self, LIST_ENDS);
    lua_Integer *ends = lua_touserdata(L, -1);
    size_t cap = ends ? lua_rawlen(L, -1) / sizeof *ends : 0;
    lua_pop(L, 1);
    return (size_t)p <= cap ? ends[p - 1] : 0;
}

/* Records that page `p` of the list at self ends at item `count`. */
static void set_page_end(lua_State *L, int self, lua_Integer p, lua_Integer count)
{
    lua_getiuservalue(L, self, LIST_ENDS);
    lua_Integer *ends = lua_touserdata(L, -1);
    size_t cap = ends ? lua_rawlen(L, -1) / sizeof *ends : 0;
    if ((size_t)p > cap) {
        size_t ncap = cap ? cap * 2 : 16;
        while (ncap < (size_t)p) ncap *= 2;
        lua_Integer *n = lua_newuserdatauv(L, ncap * sizeof *n, 0);
        memset(n, 0, ncap * sizeof *n);
        if (cap) memcpy(n, ends, cap * sizeof *n);
        lua_setiuservalue(L, self, LIST_ENDS);
        ends = n;
    }
    ends[p - 1] = count;
    lua_pop(L, 1);
}

/* ------------------------------------------------------------ items */

/* Lets a loop find its place from the item it handed out last (the
 * control variable of `for x in list`, list_loop.c): an object carries its
 * position and the list or window it is in; a plain table item is looked
 * up in the list's weak cursors table. */
static void mark_item(lua_State *L, int item, int self, lua_Integer pos)
{
    if (lua_type(L, item) == LUA_TUSERDATA) {
        lcb_obj *o = lua_touserdata(L, item);
        o->pos = pos;
        lua_pushvalue(L, self);
        lua_setiuservalue(L, item, LCB_OBJ_CURSOR);
    } else if (lua_istable(L, item)) {
        if (lua_getiuservalue(L, self, LIST_CURSORS) == LUA_TTABLE) {
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

/* A slice (list_loop.c) loading through a window collects the items it
 * wants as pages pass: item `pos` goes to out[pos - first + 1]. The item
 * is on top. */
static void collect(lua_State *L, const lcb_list *li, int out, lua_Integer pos)
{
    if (out && pos >= li->slice_from && pos <= li->slice_to) {
        lua_pushvalue(L, -1);
        lua_rawseti(L, out, pos - li->slice_first + 1);
    }
}

/* The items of a page that is a JSON array of objects, read in place: each
 * a lazy object over the page's text (object.c). Returns how many. */
static lua_Integer take_lazy(lua_State *L, int base, int cache, const char *type, int out)
{
    int self = base, body = base + AT_BODY;
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
        lcb_push_lazy_resource(L, mt, body, i, end - i, base + AT_CLIENT);
        mark_item(L, lua_gettop(L), self, li->count + k);
        collect(L, li, out, li->count + k);
        lua_rawseti(L, cache, li->count - li->base + k);
        i = end;
    }
    lua_pop(L, 1);
    return k;
}

/* ------------------------------------------------------------ next links */

/* FNV-1a over the URL, then a final mix: the identity of a next link. */
static uint64_t hash_url(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* A server whose next links repeat, or never end, would keep a loop
 * fetching forever: a next link that comes round again is an
 * InvalidResponse (Brent's cycle finding over the links' hashes, so a
 * list's memory stays flat however many pages it reads), more than the
 * client's max_pages a LimitExceeded. */
static void check_next(lua_State *L, int base)
{
    int next_idx = base + AT_NEXT;
    lcb_list *li = lcb_list_check(L, base);
    if (lua_isnil(L, next_idx)) return;
    lcb_client *cl = lcb_check_client(L, base + AT_CLIENT);
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
    uint64_t h = hash_url(lua_tostring(L, next_idx));
    lcb_cycle *c = &li->seen;
    if (c->have && h == c->saved)
        lcb_raise_kind(L, LC_INVALID_RESPONSE, "the server's next link repeats a page this "
                       "list already read (%s): stopping instead of looping", lua_tostring(L, next_idx));
    c->lam++;
    if (!c->have || c->lam >= c->power) {
        c->saved = h;
        c->have = 1;
        c->power = c->power ? c->power * 2 : 2;
        c->lam = 0;
    }
}

/* ------------------------------------------------------------ a page */

/* Turns the answer at base+AT_BODY (next URL above it) into items. */
static void take_page(lua_State *L, int base)
{
    int self = base, client = base + AT_CLIENT, body = base + AT_BODY, next_idx = base + AT_NEXT;
    lcb_list *li = lcb_list_check(L, self);

    lua_getiuservalue(L, self, LIST_TYPE);
    const char *type = lua_tostring(L, -1);
    int wrap = strcmp(type, "dict") != 0;
    lua_getiuservalue(L, self, LIST_EXTRA);
    int extra = lua_istable(L, -1) ? lua_gettop(L) : 0;
    lua_getiuservalue(L, self, LIST_ROOT);
    const char *root = lua_tostring(L, -1);
    int out = 0;
    if (li->slicing) {
        lua_getiuservalue(L, self, LIST_SLICE);
        out = lua_istable(L, -1) ? lua_gettop(L) : 0;
    }

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
        items = lcb_request_page_items(L, body, next_idx, root, lua_tostring(L, base + AT_URL));
        n = (lua_Integer)lua_rawlen(L, items);
    }
    if (li->nokeep) {
        /* Streaming: the previous page goes, so memory stays flat. */
        lua_createtable(L, (int)n, 0);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, self, LIST_ITEMS);
        li->base = li->count;
    } else {
        lua_getiuservalue(L, self, LIST_ITEMS);
    }
    int cache = lua_gettop(L);
    if (lazy) {
        n = take_lazy(L, base, cache, type, out);
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
            mark_item(L, lua_gettop(L), self, li->count + i);
            collect(L, li, out, li->count + i);
            lua_rawseti(L, cache, li->count - li->base + i);
        }
    }
    li->started = 1;
    li->count += n;
    li->pages++;
    if (!li->nokeep) set_page_end(L, self, li->pages, li->count);
    check_next(L, base);
    lua_pushvalue(L, next_idx);
    lua_setiuservalue(L, self, LIST_NEXT);
    /* An empty page ends the list even if a next link came with it, so a
     * server that keeps linking to empty pages cannot loop us forever. */
    if (lua_isnil(L, next_idx) || n == 0) li->done = 1;

    /* The client's page hook (Client:on_page), e.g. the status line. */
    lcb_client_page_hook(L, client, self, li->count, li->pages, li->done);
}

/* ------------------------------------------------------------ fetching */

/* Inside a task, requests the page at `url` ahead of need (unless prefetch
 * is off or the URL is on another origin: that one is refused when the
 * loop reaches it, after this page's items, exactly as without prefetch). */
static void fetch_ahead(lua_State *L, int self, int client_idx, const char *url)
{
    lcb_client *cl = lua_touserdata(L, client_idx);
    if (!url || !cl->c || cl->no_prefetch || !lcb_in_task(L)) return;
    if (strstr(url, "://") && !lc_client_same_origin(cl->c, url)) return;
    lcb_call call = {.method = "GET", .path = url, .raw = 1};
    if (lcb_task_start(L, client_idx, &call, 1)) {
        lua_pop(L, 2);   /* answered without the network: nothing to keep ahead */
        return;
    }
    lua_setiuservalue(L, self, LIST_AHEAD);
}

void lcb_page_cancel_ahead(lua_State *L, int self)
{
    self = lua_absindex(L, self);
    if (lua_getiuservalue(L, self, LIST_AHEAD) != LUA_TNIL) {
        lcb_task_cancel(L, -1);
        lua_pushnil(L);
        lua_setiuservalue(L, self, LIST_AHEAD);
    }
    lua_pop(L, 1);
}

/* After a page arrived (directly, or after a wait that yielded). */
static int fetched_k(lua_State *L, int status, lua_KContext ctx)
{
    int base = (int)ctx;
    lcb_list *li = lcb_list_check(L, base);
    take_page(L, base);
    lua_pushnil(L);
    lua_setiuservalue(L, base, LIST_LOADING);
    int flags = (int)lua_tointeger(L, base + 3);
    if ((flags & LCB_LOAD_PREFETCH) && !li->done && !li->no_prefetch) {
        lua_settop(L, base + AT_CLIENT);
        lua_getiuservalue(L, base, LIST_NEXT);
        fetch_ahead(L, base, base + AT_CLIENT, lua_tostring(L, -1));
    }
    lua_settop(L, base + 3);
    if (status == LUA_OK) return AGAIN;  /* our caller's loop goes on */
    return load_loop(L, base);
}

/* Another task was loading this list: try again now that it ran. */
static int retry_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lua_settop(L, (int)ctx + 3);
    return load_loop(L, (int)ctx);
}

/* Waits for the box on top as the page this list is loading. */
static int wait_page(lua_State *L, int base)
{
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, base, LIST_LOADING);
    return lcb_task_wait(L, (lua_KContext)base, fetched_k);
}

/* Requests the next page; returns AGAIN when it was handled synchronously. */
static int fetch_start(lua_State *L, int base)
{
    lcb_list *li = lcb_list_check(L, base);
    lua_settop(L, base + 3);
    lua_getiuservalue(L, base, LIST_CLIENT);              /* AT_CLIENT */

    /* Another task is fetching a page of this list: let it finish. */
    lua_getiuservalue(L, base, LIST_LOADING);
    int busy = lcb_task_box_busy(L, -1);
    lua_pop(L, 1);
    if (busy) return lcb_task_yield(L, (lua_KContext)base, retry_k);

    if (!li->started) memset(&li->seen, 0, sizeof li->seen);  /* a (re)start */
    lua_getiuservalue(L, base, li->started ? LIST_NEXT : LIST_FIRST);   /* AT_URL */

    /* The page requested ahead (always the next one): wait for it. */
    if (lua_getiuservalue(L, base, LIST_AHEAD) != LUA_TNIL) {
        lua_pushnil(L);
        lua_setiuservalue(L, base, LIST_AHEAD);
        return wait_page(L, base);
    }
    lua_pop(L, 1);
    lcb_call call = {.method = "GET", .path = lua_tostring(L, base + AT_URL),
                     .is_list = !li->started && !li->unpaged, .raw = 1};
    if (lcb_in_task(L) || lcb_hosted(L)) {
        if (lcb_task_start(L, base + AT_CLIENT, &call, 1)) return fetched_k(L, LUA_OK, base);
        return wait_page(L, base);
    }
    return lcb_request_page_k(L, base + AT_CLIENT, &call, (lua_KContext)base, fetched_k);
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

int lcb_page_load(lua_State *L, int self, lua_Integer want, int flags, lua_CFunction finish)
{
    lua_pushvalue(L, self);
    int base = lua_gettop(L);
    lua_pushinteger(L, want);
    lua_pushcfunction(L, finish);
    lua_pushinteger(L, flags);
    return load_loop(L, base);
}
