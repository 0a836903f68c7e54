/* lcanvas.PaginatedList: a lazy list over Canvas's Link-header pagination.
 * This file is the type's face: making lists, their methods and iterators.
 * Loading pages is list_load.c's (lcb_list_load): each method asks it for
 * the items it needs, and returns its results from a finish function, the
 * `*_done` function above it, once they are loaded.
 *
 * Nothing is requested until the list is used. What is kept:
 * - list[i], first, take, slice, all and count keep the pages they load in
 *   the list (indexing again costs no request);
 * - a loop (`for x in list`, list:iter()) reads the kept pages and loads
 *   more into the list while it holds fewer than list:keep(n) items
 *   (LCB_LIST_KEEP by default); past
 *   that it goes on in a window of its own (a streaming copy holding only
 *   its current page), so memory stays flat however long the list is, and
 *   a second loop reads the kept items again and refetches the rest.
 * Every loop has its own position: `for x in list` finds its place from
 * the control variable (the item it handed out last knows where it came
 * from, list_load.c's mark_item), list:iter() keeps its own. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_json.h"
#include "lcb_list.h"
#include "lcb_list_load.h"
#include "lcb_task.h"
#include "object.h"

#define ITER_MT "lcanvas.ListIterator"

/* Items a loop keeps in the list before it streams the rest. */
#define LCB_LIST_KEEP 1000

/* Pushes a new list over the client at client_idx, whose items get the
 * fields of the table at extra_idx (0: none), and its empty state table
 * above it. */
static lcb_list *new_list(lua_State *L, int client_idx, int extra_idx)
{
    lcb_list *li = lua_newuserdatauv(L, sizeof *li, 4);
    memset(li, 0, sizeof *li);
    li->keep = LCB_LIST_KEEP;
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

/* Plain table items (untyped lists) cannot carry their position: a weak
 * table item -> {list or window, position} does (list_load.c). */
static void add_cursors(lua_State *L, int state)
{
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, state, "cursors");
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
    if (strcmp(type, "dict") == 0) add_cursors(L, lua_gettop(L));
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
    lcb_list_check(L, idx)->no_prefetch = !on;
}

static void push_item(lua_State *L, int self, lua_Integer i)
{
    lcb_list *li = lcb_list_check(L, self);
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
    int keep_all;
} iter_state;

static int index_done(lua_State *L)
{
    push_item(L, 1, check_index(L, 2));
    return 1;
}

static int l_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer i = check_index(L, 2);
        return lcb_list_load(L, 1, i, 0, index_done);
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* A window of its own for a loop: a list over the same request that keeps
 * only its current page. From the start (at_end = 0), or going on where
 * the list's kept items end (the list's next URL, and the page it fetched
 * ahead). Replaces nothing: pushes the window. */
static void push_window(lua_State *L, int self, int at_end)
{
    self = lua_absindex(L, self);
    lcb_list *li = lcb_list_check(L, self);
    int from = lua_gettop(L) + 1;
    lua_getiuservalue(L, self, 1);  /* from: the client */
    lua_getiuservalue(L, self, 3);  /* from+1: the item fields */
    lua_getiuservalue(L, self, 4);  /* from+2: the state table */
    lcb_list *w = new_list(L, from, lua_istable(L, from + 1) ? from + 1 : 0);
    w->nokeep = 1;
    w->no_prefetch = li->no_prefetch;
    static const char *const keys[] = {"path", "type", "root", "first", "cursors", NULL};
    for (int i = 0; keys[i]; i++) {
        lua_getfield(L, from + 2, keys[i]);
        lua_setfield(L, -2, keys[i]);
    }
    if (at_end) {
        w->started = li->started;
        w->count = w->base = li->count;
        w->pages = li->pages;
        w->done = li->done;
        lua_getfield(L, from + 2, "next");
        lua_setfield(L, -2, "next");
        /* The page the list fetched ahead is this window's next one. */
        lua_getfield(L, from + 2, "ahead");
        lua_setfield(L, -2, "ahead");
        lua_pushnil(L);
        lua_setfield(L, from + 2, "ahead");
    }
    lua_pop(L, 1);
    lua_replace(L, from);
    lua_settop(L, from);
}

static int push_window_item(lua_State *L, int w, lua_Integer pos)
{
    lcb_list *wl = lcb_list_check(L, w);
    if (pos > wl->count || pos <= wl->base) {
        lua_pushnil(L);
        return 1;
    }
    push_item(L, w, pos);
    return 1;
}

/* Loop step finish: the stack ends with the window and the position. */
static int step_done(lua_State *L)
{
    int top = lua_gettop(L);
    return push_window_item(L, top - 1, lua_tointeger(L, top));
}

enum { STEP_BOUNDED = 0, STEP_KEEP_ALL = 1 };

/* One step of a loop: the window (the list itself, or a streaming copy)
 * and the wanted position are the two values on top; finishes with the
 * item there or nil. Moves to a window of its own when the list holds
 * list:keep() items (unless keep_all). */
static int step(lua_State *L, int prefetch, int keep_all)
{
    int top = lua_gettop(L), w = top - 1;
    lua_Integer pos = lua_tointeger(L, top);
    lcb_list *wl = lcb_list_check(L, w);
    if (pos <= wl->count && pos > wl->base) return push_window_item(L, w, pos);
    if (wl->done) {
        lua_pushnil(L);
        return 1;
    }
    if (!wl->nokeep && !keep_all && wl->count >= wl->keep && pos > wl->count) {
        push_window(L, w, 1);
        lua_replace(L, w);
    }
    return lcb_list_load(L, w, pos, prefetch ? LCB_LOAD_PREFETCH : 0, step_done);
}

/* `for x in list do`: the list is the iterator and the control variable
 * (the item handed out last) says where this loop is, so loops over one
 * list never disturb each other. nil starts from the first item. */
static int l_call(lua_State *L)
{
    lcb_list *li = lcb_list_check(L, 1);
    lua_settop(L, 3);
    lua_Integer pos = -1;
    if (lua_isnil(L, 3)) {
        pos = 0;
    } else if (lcb_is_resource(L, 3)) {
        if (lua_getiuservalue(L, 3, LCB_OBJ_CURSOR) == LUA_TUSERDATA)
            pos = ((lcb_obj *)lua_touserdata(L, 3))->pos;
        else
            lua_pop(L, 1);
    } else if (lua_istable(L, 3)) {
        lua_getiuservalue(L, 1, 4);
        lua_getfield(L, -1, "cursors");
        lua_pushvalue(L, 3);
        if (lua_istable(L, -2) && lua_rawget(L, -2) == LUA_TTABLE) {
            lua_rawgeti(L, -1, 2);
            pos = lua_tointeger(L, -1);
            lua_rawgeti(L, -2, 1);
            lua_replace(L, 4);
        }
        lua_settop(L, pos >= 0 ? 4 : 3);
    }
    int keep_all = STEP_BOUNDED;
    if (pos < 0) {
        /* Plain values (strings, numbers) cannot say where they came from:
         * such loops share the list's one position, in a list that keeps
         * every page (as all lists did before loops had positions). */
        pos = li->cursor;
        keep_all = STEP_KEEP_ALL;
    }
    if (lua_gettop(L) == 3) lua_pushvalue(L, 1);
    li->cursor = pos + 1;
    lua_pushinteger(L, pos + 1);
    return step(L, !li->no_prefetch, keep_all);
}

/* An iterator from list:iter(): its own window and position in upvalue 2
 * (the iter_state userdata, user value 1 the window or the list). */
static int iter_done(lua_State *L)
{
    int top = lua_gettop(L);
    iter_state *st = lua_touserdata(L, lua_upvalueindex(2));
    push_window_item(L, top - 1, lua_tointeger(L, top));
    if (lua_isnil(L, -1)) st->closed = 1;
    /* Remember the window the step may have moved to. */
    lua_pushvalue(L, top - 1);
    lua_setiuservalue(L, lua_upvalueindex(2), 1);
    return 1;
}

static int iter_next(lua_State *L)
{
    iter_state *st = lua_touserdata(L, lua_upvalueindex(2));
    if (st->closed) return 0;
    lua_settop(L, 0);
    lua_getiuservalue(L, lua_upvalueindex(2), 1);
    lcb_list *wl = lcb_list_check(L, 1);
    lua_Integer pos = ++st->pos;
    lua_pushinteger(L, pos);
    if (pos <= wl->count && pos > wl->base) return push_window_item(L, 1, pos);
    if (wl->done) {
        st->closed = 1;
        return 0;
    }
    if (!wl->nokeep && !st->keep_all && wl->count >= wl->keep) {
        push_window(L, 1, 1);
        lua_replace(L, 1);
        lua_pushvalue(L, 1);
        lua_setiuservalue(L, lua_upvalueindex(2), 1);
    }
    return lcb_list_load(L, 1, pos, st->prefetch ? LCB_LOAD_PREFETCH : 0, iter_done);
}

static int iter_close(lua_State *L)
{
    iter_state *st = luaL_checkudata(L, 1, ITER_MT);
    st->closed = 1;
    /* A window of its own can never use the page fetched ahead: cancel it. */
    lua_getiuservalue(L, 1, 1);
    if (lua_isuserdata(L, -1) && lcb_list_check(L, -1)->nokeep) {
        lua_getiuservalue(L, -1, 4);
        lcb_fetch_cancel_ahead(L, -1);
    }
    return 0;
}

/// PaginatedList:iter([opts]): iterator with its own position for a generic for (a `break` closes it); opts.keep = false streams from the first page keeping nothing, keep = true keeps every page in the list, opts.prefetch = false fetches no page ahead.
static int m_iter(lua_State *L)
{
    lcb_list *li = lcb_list_check(L, 1);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    int keep = 1, keep_all = 0, prefetch = !li->no_prefetch;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "keep");
        if (!lua_isnil(L, -1)) keep = keep_all = lua_toboolean(L, -1);
        lua_getfield(L, 2, "prefetch");
        if (!lua_isnil(L, -1)) prefetch = lua_toboolean(L, -1);
        lua_pop(L, 2);
    }
    iter_state *st = lua_newuserdatauv(L, sizeof *st, 1);
    st->pos = 0;
    st->closed = 0;
    st->prefetch = prefetch;
    st->keep_all = keep_all;
    luaL_setmetatable(L, ITER_MT);
    if (keep) lua_pushvalue(L, 1);
    else push_window(L, 1, 0);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 1);
    lua_insert(L, -2);
    lua_pushcclosure(L, iter_next, 2);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_getupvalue(L, -3, 2);
    return 4;
}

static int first_done(lua_State *L)
{
    push_item(L, 1, 1);
    return 1;
}

/// PaginatedList:first(): the first item, or nil for an empty list (fetches one page at most).
static int m_first(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_settop(L, 1);
    return lcb_list_load(L, 1, 1, 0, first_done);
}

static int take_done(lua_State *L)
{
    lua_Integer n = lua_tointeger(L, 2), have = lcb_list_check(L, 1)->count;
    push_range(L, 1, 1, n < have ? n : have);
    return 1;
}

/// PaginatedList:take(n): an array of the first n items (fewer if the list is shorter).
static int m_take(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) luaL_argerror(L, 2, "count must be 0 or more");
    lua_settop(L, 2);
    return lcb_list_load(L, 1, n, 0, take_done);
}

static int all_done(lua_State *L)
{
    push_range(L, 1, 1, lcb_list_check(L, 1)->count);
    return 1;
}

/// PaginatedList:all(): an array of every item (fetches every page).
static int m_all(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_settop(L, 1);
    return lcb_list_load(L, 1, LUA_MAXINTEGER, 0, all_done);
}

static int count_done(lua_State *L)
{
    lua_pushinteger(L, lcb_list_check(L, 1)->count);
    return 1;
}

/// PaginatedList:count(): the number of items (fetches every page and keeps them, like all(); #list is the same).
static int m_count(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_settop(L, 1);
    return lcb_list_load(L, 1, LUA_MAXINTEGER, 0, count_done);
}

/* The page after the one the iterator (upvalue 2) is at, or nothing. */
static int pages_done(lua_State *L)
{
    int self = lua_upvalueindex(1);
    lcb_list *li = lcb_list_check(L, self);
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

static int pages_next(lua_State *L)
{
    int self = lua_upvalueindex(1);
    lcb_list_check(L, self);
    lua_Integer p = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    return lcb_list_load(L, self, p, LCB_LOAD_PREFETCH | LCB_LOAD_PAGES, pages_done);
}

/// PaginatedList:pages(): iterator over the pages, each an array of items.
static int m_pages(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, pages_next, 2);
    return 1;
}

/* The next link of page 1 with its page number set to k, when Canvas
 * numbers this list's pages ("...&page=2&per_page=10"); NULL pushed
 * otherwise (bookmarks: page=bookmark:...). */
static void push_page_url(lua_State *L, const char *next, lua_Integer k)
{
    const char *p = next;
    while ((p = strstr(p, "page=2")) != NULL) {
        if (p > next && (p[-1] == '?' || p[-1] == '&') && (p[6] == '&' || p[6] == '\0' || p[6] == '#'))
            break;
        p++;
    }
    if (!p) {
        lua_pushnil(L);
        return;
    }
    lua_pushlstring(L, next, (size_t)(p - next));
    lua_pushfstring(L, "page=%I", (LUAI_UACINT)k);
    lua_pushstring(L, p + 6);
    lua_concat(L, 3);
}

/* slice's finish: the collected array (stack: list, i, j, out, window). */
static int slice_done(lua_State *L)
{
    lua_pushvalue(L, 4);
    return 1;
}

/* After the first page (stack: list, i, j): the kept part from the list,
 * the rest through a window starting at the page holding the first item
 * still missing (numbered pages), or where the kept pages end. */
static int slice_first_done(lua_State *L)
{
    lcb_list *li = lcb_list_check(L, 1);
    lua_Integer i = lua_tointeger(L, 2), j = lua_tointeger(L, 3);
    lua_Integer kept_to = li->count < j ? li->count : j;
    push_range(L, 1, i, kept_to);                 /* 4: out (empty when i > kept_to) */
    if (li->done || li->count >= j) return 1;
    lua_Integer from = i > li->count ? i : li->count + 1;
    lua_getiuservalue(L, 1, 4);
    lua_getfield(L, -1, "ends");
    lua_rawgeti(L, -1, 1);
    lua_Integer per = lua_tointeger(L, -1);     /* a full page: it has a next link */
    lua_pop(L, 2);
    lua_getfield(L, -1, "next");
    lua_Integer k = per > 0 ? (from - 1) / per + 1 : 0;
    if (k > li->pages + 1 && lua_isstring(L, -1)) push_page_url(L, lua_tostring(L, -1), k);
    else lua_pushnil(L);
    push_window(L, 1, 1);                         /* window at the kept pages' end */
    lcb_list *w = lcb_list_check(L, -1);
    lua_getiuservalue(L, -1, 4);
    if (!lua_isnil(L, -3)) {
        /* Skip the pages before page k: start there, numbered as Canvas does. */
        lcb_fetch_cancel_ahead(L, -1);
        lua_pushvalue(L, -3);
        lua_setfield(L, -2, "next");
        w->count = w->base = (k - 1) * per;
        w->pages = k - 1;
    }
    lua_createtable(L, 3, 0);
    lua_pushinteger(L, from);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, j);
    lua_rawseti(L, -2, 2);
    lua_pushvalue(L, 4);
    lua_rawseti(L, -2, 3);
    lua_pushinteger(L, i);                        /* out[1] is item i */
    lua_rawseti(L, -2, 4);
    lua_setfield(L, -2, "slice");
    lua_pop(L, 1);                                /* the window's state */
    lua_replace(L, 5);
    lua_settop(L, 5);                             /* list, i, j, out, window */
    return lcb_list_load(L, 5, j, 0, slice_done);
}

/// PaginatedList:slice(i, j): an array of items i..j (fewer past the end); kept pages are read, and when Canvas numbers the pages only the first page and those holding items i..j are fetched (none of them kept).
static int m_slice(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_Integer i = check_index(L, 2);
    lua_Integer j = luaL_checkinteger(L, 3);
    lua_settop(L, 3);
    if (j < i) {
        lua_newtable(L);
        return 1;
    }
    return lcb_list_load(L, 1, 1, 0, slice_first_done);
}

/// PaginatedList:keep(n): how many items loops keep in the list before they stream the rest (default 1000; 0 keeps none, math.huge all); returns the list.
static int m_keep(lua_State *L)
{
    lcb_list *li = lcb_list_check(L, 1);
    lua_Number n = luaL_checknumber(L, 2);
    if (n < 0) luaL_argerror(L, 2, "must be 0 or more");
    li->keep = n >= (lua_Number)LUA_MAXINTEGER ? LUA_MAXINTEGER : (lua_Integer)n;
    lua_settop(L, 1);
    return 1;
}

/// PaginatedList:loaded(): items and pages loaded so far, without fetching.
static int m_loaded(lua_State *L)
{
    lcb_list *li = lcb_list_check(L, 1);
    lua_pushinteger(L, li->count);
    lua_pushinteger(L, li->pages);
    return 2;
}

/* Short and readable, never fetching: what the list is, and once pages are
 * loaded how many items it holds. */
static int l_tostring(lua_State *L)
{
    lcb_list *li = lcb_list_check(L, 1);
    lua_getiuservalue(L, 1, 4);
    lua_getfield(L, -1, "type");
    lua_getfield(L, -2, "path");
    const char *type = lua_tostring(L, -2), *path = lua_tostring(L, -1);
    if (li->pages == 0)
        lua_pushfstring(L, "lcanvas.PaginatedList(%s, %s)", type, path);
    else if (li->done)
        lua_pushfstring(L, "lcanvas.PaginatedList(%s, %s: %I items)", type, path,
                        (LUAI_UACINT)li->count);
    else
        lua_pushfstring(L, "lcanvas.PaginatedList(%s, %s: %I items loaded, more to fetch)", type,
                        path, (LUAI_UACINT)li->count);
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
        {"keep", m_keep},
        {"slice", m_slice},
        {NULL, NULL},
    };
    static const luaL_Reg metamethods[] = {
        {"__index", l_index},
        {"__call", l_call},
        {"__len", m_count},  /* #list: the same as list:count() */
        {"__tostring", l_tostring},
        {NULL, NULL},
    };
    static const luaL_Reg iter_meta[] = {{"__close", iter_close}, {NULL, NULL}};
    lcb_class(L, ITER_MT, NULL, iter_meta);
    lcb_class(L, LCB_LIST_MT, methods, metamethods);
    lua_pop(L, 2);
}
