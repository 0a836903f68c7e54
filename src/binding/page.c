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
#include <strings.h>

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
 * up in the list's weak cursors table, entered when the item is handed
 * out. A window (one loop's) keeps only the entry of the item it handed
 * out last: a cursor a streaming page's items each would cost more than
 * the items themselves. */
static void mark_item(lua_State *L, int item, int self, lua_Integer pos)
{
    if (lua_type(L, item) == LUA_TUSERDATA) {
        lcb_obj *o = lua_touserdata(L, item);
        o->pos = pos;
        lua_pushvalue(L, self);
        lua_setiuservalue(L, item, LCB_OBJ_CURSOR);
        return;
    }
    if (!lua_istable(L, item)) return;
    if (lua_getiuservalue(L, self, LIST_CURSORS) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int cur = lua_gettop(L);
    lua_pushvalue(L, item);
    if (lua_rawget(L, cur) == LUA_TNIL) {
        lua_pop(L, 1);
        if (!lcb_list_check(L, self)->nokeep) {
            lua_createtable(L, 2, 0);
        } else if (lua_getiuservalue(L, self, LIST_MARK) == LUA_TTABLE) {
            lua_rawgeti(L, -1, 3);       /* the item it handed out before */
            lua_pushnil(L);
            lua_rawset(L, cur);
        } else {
            lua_pop(L, 1);
            lua_createtable(L, 3, 0);
            lua_pushvalue(L, -1);
            lua_setiuservalue(L, self, LIST_MARK);
        }
        lua_pushvalue(L, self);
        lua_rawseti(L, -2, 1);
        lua_pushinteger(L, pos);
        lua_rawseti(L, -2, 2);
        if (lcb_list_check(L, self)->nokeep) {
            lua_pushvalue(L, item);
            lua_rawseti(L, -2, 3);
        }
        lua_pushvalue(L, item);
        lua_insert(L, -2);
        lua_rawset(L, cur);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* A typed page read in place: where each item starts in the page's text
 * (user value 1; user value 2 the items' metatable, nil when the list's
 * extra fields make each item a decoded table). Four bytes an item, where
 * an object made up front would cost a userdata: a page of "{}," is three
 * bytes an item on the wire. Items are made as they are asked for. */
typedef struct lazy_page {
    lua_Integer first;       /* the position before the page's first item */
    lua_Integer count;
    uint32_t off[];
} lazy_page;

enum { PAGE_TEXT = 1, PAGE_MT = 2 };

/* Makes item k (0-based) of the lazy page at rec, at position pos. */
static void make_item(lua_State *L, int self, int rec, lua_Integer k, lua_Integer pos)
{
    lazy_page *pg = lua_touserdata(L, rec);
    int top = lua_gettop(L);
    lua_getiuservalue(L, rec, PAGE_TEXT);
    size_t n;
    const char *s = lua_tolstring(L, top + 1, &n);
    size_t off = pg->off[k], end = lcb_span_skip(s, off, n);
    lua_getiuservalue(L, self, LIST_CLIENT);                 /* top+2 */
    if (lua_getiuservalue(L, rec, PAGE_MT) == LUA_TTABLE) {  /* top+3 */
        lcb_push_lazy_resource(L, top + 3, top + 1, off, end - off, top + 2);
    } else {
        /* Extra fields: the list's context wins (a user's migrations carry
         * that user's id, as the Python client sets it). */
        if (!lcb_push_json_ex(L, s + off, end - off, 1)) lua_error(L);
        int attrs = lua_gettop(L);
        lua_getiuservalue(L, self, LIST_EXTRA);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, attrs);
        }
        lua_pop(L, 1);
        lua_getiuservalue(L, self, LIST_TYPE);
        lcb_push_resource(L, lua_tostring(L, -1), attrs, top + 2);
    }
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    mark_item(L, top + 1, self, pos);
}

void lcb_page_push_item(lua_State *L, int self, lua_Integer pos)
{
    self = lua_absindex(L, self);
    lcb_list *li = lcb_list_check(L, self);
    if (pos <= li->base || pos > li->count) {
        lua_pushnil(L);
        return;
    }
    lua_getiuservalue(L, self, LIST_ITEMS);
    int items = lua_gettop(L);
    if (lua_rawgeti(L, items, pos - li->base) != LUA_TNIL) {
        mark_item(L, items + 1, self, pos);
        lua_remove(L, items);
        return;
    }
    lua_pop(L, 1);
    /* The lazy page holding pos: they are in order of their first items. */
    if (lua_getiuservalue(L, self, LIST_LAZY) == LUA_TTABLE) {
        lua_Integer lo = 1, hi = (lua_Integer)lua_rawlen(L, -1);
        while (lo <= hi) {
            lua_Integer mid = lo + (hi - lo) / 2;
            lua_rawgeti(L, items + 1, mid);
            lazy_page *pg = lua_touserdata(L, -1);
            if (pos <= pg->first) {
                hi = mid - 1;
            } else if (pos > pg->first + pg->count) {
                lo = mid + 1;
            } else {
                make_item(L, self, items + 2, pos - pg->first - 1, pos);
                /* A kept list keeps it (the same object each time); a
                 * window makes it again if asked twice. */
                if (!li->nokeep) {
                    lua_pushvalue(L, -1);
                    lua_rawseti(L, items, pos - li->base);
                }
                lua_replace(L, items);
                lua_settop(L, items);
                return;
            }
            lua_pop(L, 1);
        }
    }
    lua_settop(L, items - 1);
    lua_pushnil(L);
}

/* A slice (list_loop.c) loading through a window collects the items it
 * wants as pages pass: item `pos` goes to out[pos - first + 1]. */
static void collect(lua_State *L, int self, const lcb_list *li, int out, lua_Integer from,
                    lua_Integer to)
{
    if (!out) return;
    if (from < li->slice_from) from = li->slice_from;
    if (to > li->slice_to) to = li->slice_to;
    for (lua_Integer pos = from; pos <= to; pos++) {
        lcb_page_push_item(L, self, pos);
        lua_rawseti(L, out, pos - li->slice_first + 1);
    }
}

/* Where the items of a page are in its text s[0..n): the array itself, or
 * the value of the member `root`. Returns 1 with the array's opening at
 * *at, 0 for a page of no items (no such member, or null), -1 when only
 * decoding can tell (an escaped key). Raises InvalidResponse when the
 * answer holds no list: a list endpoint answers an array. */
static int locate_items(lua_State *L, const char *s, size_t n, const char *root,
                        const char *path, size_t *at)
{
    if (s[0] == 'n') return 0;  /* null: as an empty body */
    if (!root) {
        if (s[0] == '[') {
            *at = 0;
            return 1;
        }
        lcb_raise_kind(L, LC_INVALID_RESPONSE, "expected a JSON array in the answer to GET %s", path);
    }
    lcb_span v;
    int found = s[0] == '{' ? lcb_span_member(s, n, root, strlen(root), &v) : 1;
    if (found <= 0) return found;
    if (s[0] == '{' && s[v.off] == 'n') return 0;
    if (s[0] != '{' || s[v.off] != '[')
        lcb_raise_kind(L, LC_INVALID_RESPONSE,
                       "expected a list under the key '%s' in the answer to GET %s", root, path);
    *at = v.off;
    return 1;
}

/* The items of the array opening at s[at]: returns how many, filling
 * off[] when given. Every item of a typed list must be an object. */
static lua_Integer scan_items(lua_State *L, const char *s, size_t n, size_t at, const char *type,
                              uint32_t *off)
{
    lua_Integer k = 0;
    for (size_t i = at + 1; i < n;) {
        while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' || s[i] == ','))
            i++;
        if (i >= n || s[i] == ']') break;
        size_t end = lcb_span_skip(s, i, n);
        if (s[i] != '{') {
            lua_pushlstring(L, s + i, end - i > 40 ? 40 : end - i);
            lcb_raise_kind(L, LC_INVALID_RESPONSE, "expected a %s object, got %s", type,
                           s[i] == '[' ? "an array" : lua_tostring(L, -1));
        }
        if (off) off[k] = (uint32_t)i;
        k++;
        i = end;
    }
    return k;
}

/* Reads a typed page in place: records where its items are (LIST_LAZY)
 * and returns how many; -1 when it must be decoded instead. With no Link
 * header an object answer's meta.pagination.next is the next link. */
static lua_Integer take_lazy(lua_State *L, int base, const char *type, const char *root)
{
    int self = base, body = base + AT_BODY;
    lcb_list *li = lcb_list_check(L, self);
    size_t n, at = 0;
    const char *s = lua_tolstring(L, body, &n);
    if (n > UINT32_MAX) return -1;
    int where = locate_items(L, s, n, root, lua_tostring(L, base + AT_URL), &at);
    if (where < 0) return -1;
    if (s[0] == '{' && lua_isnil(L, base + AT_NEXT)) {
        lcb_span m;
        const char *names[] = {"meta", "pagination", "next"};
        size_t mo = 0, ml = n;
        for (int i = 0; i < 3; i++) {
            int f = lcb_span_member(s + mo, ml, names[i], strlen(names[i]), &m);
            if (f < 0) return -1;
            if (f == 0) break;
            mo += m.off;
            ml = m.len;
            if (i == 2 && s[mo] == '"') {
                lcb_span_push_scalar(L, s + mo, ml);
                lua_replace(L, base + AT_NEXT);
            }
        }
    }
    lua_Integer count = where ? scan_items(L, s, n, at, type, NULL) : 0;
    if (count == 0) return 0;
    lazy_page *pg = lua_newuserdatauv(L, sizeof *pg + (size_t)count * sizeof pg->off[0], 2);
    pg->first = li->count;
    pg->count = count;
    scan_items(L, s, n, at, type, pg->off);
    lua_pushvalue(L, body);
    lua_setiuservalue(L, -2, PAGE_TEXT);
    lua_getiuservalue(L, self, LIST_EXTRA);
    int extra = lua_istable(L, -1);
    lua_pop(L, 1);
    if (!extra) {
        lcb_resource_metatable(L, type);
        lua_setiuservalue(L, -2, PAGE_MT);
    }
    /* A window holds its current page only. */
    if (li->nokeep || lua_getiuservalue(L, self, LIST_LAZY) != LUA_TTABLE) {
        if (!li->nokeep) lua_pop(L, 1);
        lua_createtable(L, 1, 0);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, self, LIST_LAZY);
    }
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
    return count;
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
    /* A next link is an http(s) URL once resolved against the page's
     * (response.c): anything else (mailto:, data:, one that does not
     * parse) is the server's mistake, and never a path under the API
     * root. Another scheme with an authority (ftp://) is refused as
     * ForeignOrigin when followed. */
    const char *next = lua_tostring(L, next_idx);
    int http = strncasecmp(next, "http://", 7) == 0 || strncasecmp(next, "https://", 8) == 0;
    char *origin = http ? lc_url_origin(next, NULL) : NULL;
    if ((http && !origin) || !strstr(next, "://"))
        lcb_raise_kind(L, LC_INVALID_RESPONSE, "the server's next link is not an http(s) URL "
                       "lcanvas can follow: %s", next);
    lc_free(origin);
    uint64_t h = hash_url(next);
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

    /* The page came as validated text (a raw request, lcb_call.raw). A
     * typed list reads it in place and makes its items on demand;
     * anything else is decoded into tables first. */
    if (li->nokeep) {
        /* Streaming: the previous page goes, so memory stays flat. */
        lua_pushnil(L);
        lua_setiuservalue(L, self, LIST_LAZY);
        li->base = li->count;
    }
    lua_Integer n = -1;
    if (lua_type(L, body) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, body, &len);
        if (wrap && len > 0) n = take_lazy(L, base, type, root);
        if (n < 0) {
            size_t at;
            if (len > 0) locate_items(L, s, len, root, lua_tostring(L, base + AT_URL), &at);
            if (!lcb_push_json(L, s, len)) lua_error(L);
            lua_replace(L, body);
        }
    }
    if (n >= 0) {
        if (li->nokeep) {
            lua_newtable(L);
            lua_setiuservalue(L, self, LIST_ITEMS);
        }
    } else {
        int items = lcb_request_page_items(L, body, next_idx, root, lua_tostring(L, base + AT_URL));
        n = (lua_Integer)lua_rawlen(L, items);
        if (li->nokeep && !wrap && !extra) {
            /* Plain values as decoded: the page's array is the window's. */
            lua_pushvalue(L, items);
            lua_setiuservalue(L, self, LIST_ITEMS);
        } else {
            if (li->nokeep) {
                lua_createtable(L, (int)n, 0);
                lua_pushvalue(L, -1);
                lua_setiuservalue(L, self, LIST_ITEMS);
            } else {
                lua_getiuservalue(L, self, LIST_ITEMS);
            }
            int cache = lua_gettop(L);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, items, i);
                if (extra && lua_istable(L, -1)) {
                    /* The list's context wins, as in make_item. */
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
        }
    }
    lua_Integer first = li->count;
    li->started = 1;
    li->count += n;
    li->pages++;
    collect(L, self, li, out, first + 1, li->count);
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
