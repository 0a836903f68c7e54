/* Loops over a PaginatedList, each with its own position, and slices.
 * `for x in list` finds its place from the control variable (the item it
 * handed out last knows where it came from, list_load.c's mark_item);
 * list:iter() keeps its own. A loop reads the pages kept in the list and
 * loads more into it while it holds fewer than list:keep() items; past
 * that it goes on in a window of its own, a streaming copy of the list
 * holding only its current page, so memory stays flat however long the
 * list is. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_list_state.h"
#include "object.h"

#define ITER_MT "lcanvas.ListIterator"

typedef struct iter_state {
    lua_Integer pos;
    int closed;
    int prefetch;
    int keep_all;
} iter_state;

/* A window of its own for a loop: a list over the same request that keeps
 * only its current page. From the start (at_end = 0), or going on where
 * the list's kept items end (the list's next URL, and the page it fetched
 * ahead). Replaces nothing: pushes the window. */
static void push_window(lua_State *L, int self, int at_end)
{
    self = lua_absindex(L, self);
    lcb_list *li = lcb_list_check(L, self);
    int from = lua_gettop(L) + 1;
    lua_getiuservalue(L, self, LIST_CLIENT);   /* from: the client */
    lua_getiuservalue(L, self, LIST_EXTRA);    /* from+1: the item fields */
    lcb_list *w = lcb_list_new(L, from, lua_istable(L, from + 1) ? from + 1 : 0);
    int win = lua_gettop(L);
    w->nokeep = 1;
    w->no_prefetch = li->no_prefetch;
    w->unpaged = li->unpaged;
    static const int same[] = {LIST_PATH, LIST_TYPE, LIST_ROOT, LIST_FIRST, LIST_CURSORS, 0};
    for (int i = 0; same[i]; i++) {
        lua_getiuservalue(L, self, same[i]);
        lua_setiuservalue(L, win, same[i]);
    }
    if (at_end) {
        w->started = li->started;
        w->count = w->base = li->count;
        w->pages = li->pages;
        w->done = li->done;
        w->seen = li->seen;
        lua_getiuservalue(L, self, LIST_NEXT);
        lua_setiuservalue(L, win, LIST_NEXT);
        /* The page the list fetched ahead is this window's next one. */
        lua_getiuservalue(L, self, LIST_AHEAD);
        lua_setiuservalue(L, win, LIST_AHEAD);
        lua_pushnil(L);
        lua_setiuservalue(L, self, LIST_AHEAD);
    }
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
    lcb_list_push_item(L, w, pos);
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
    return lcb_page_load(L, w, pos, prefetch ? LCB_LOAD_PREFETCH : 0, step_done);
}

/* `for x in list do`: the list is the iterator and the control variable
 * (the item handed out last) says where this loop is, so loops over one
 * list never disturb each other. nil starts from the first item. */
static int list_call(lua_State *L)
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
        lua_getiuservalue(L, 1, LIST_CURSORS);
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
    return lcb_page_load(L, 1, pos, st->prefetch ? LCB_LOAD_PREFETCH : 0, iter_done);
}

static int iter_close(lua_State *L)
{
    iter_state *st = luaL_checkudata(L, 1, ITER_MT);
    st->closed = 1;
    /* A window of its own can never use the page fetched ahead: cancel it. */
    lua_getiuservalue(L, 1, 1);
    if (lua_isuserdata(L, -1) && lcb_list_check(L, -1)->nokeep) lcb_page_cancel_ahead(L, -1);
    return 0;
}

/// PaginatedList:iter([opts]): iterator with its own position for a generic for (a `break` closes it); opts.keep = false streams from the first page keeping nothing, keep = true keeps every page in the list, opts.prefetch = false fetches no page ahead.
static int list_iter(lua_State *L)
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
    lcb_list_push_range(L, 1, i, kept_to);                 /* 4: out (empty when i > kept_to) */
    if (li->done || li->count >= j) return 1;
    lua_Integer from = i > li->count ? i : li->count + 1;
    lua_Integer per = lcb_page_end(L, 1, 1);     /* a full page: it has a next link */
    lua_getiuservalue(L, 1, LIST_NEXT);
    lua_Integer k = per > 0 ? (from - 1) / per + 1 : 0;
    if (k > li->pages + 1 && lua_isstring(L, -1)) push_page_url(L, lua_tostring(L, -1), k);
    else lua_pushnil(L);
    push_window(L, 1, 1);                         /* window at the kept pages' end */
    lcb_list *w = lcb_list_check(L, -1);
    int win = lua_gettop(L);
    if (!lua_isnil(L, win - 1)) {
        /* Skip the pages before page k: start there, numbered as Canvas does. */
        lcb_page_cancel_ahead(L, win);
        lua_pushvalue(L, win - 1);
        lua_setiuservalue(L, win, LIST_NEXT);
        w->count = w->base = (k - 1) * per;
        w->pages = k - 1;
    }
    w->slicing = 1;
    w->slice_from = from;
    w->slice_to = j;
    w->slice_first = i;                           /* out[1] is item i */
    lua_pushvalue(L, 4);
    lua_setiuservalue(L, win, LIST_SLICE);
    lua_replace(L, 5);
    lua_settop(L, 5);                             /* list, i, j, out, window */
    return lcb_page_load(L, 5, j, 0, slice_done);
}

/// PaginatedList:slice(i, j): an array of items i..j (fewer past the end); kept pages are read, and when Canvas numbers the pages only the first page and those holding items i..j are fetched (none of them kept).
static int list_slice(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_Integer i = lcb_list_check_index(L, 2);
    lua_Integer j = luaL_checkinteger(L, 3);
    lua_settop(L, 3);
    if (j < i) {
        lua_newtable(L);
        return 1;
    }
    return lcb_page_load(L, 1, 1, 0, slice_first_done);
}

void lcb_open_list_loops(lua_State *L)
{
    static const luaL_Reg iter_meta[] = {{"__close", iter_close}, {NULL, NULL}};
    lcb_class(L, ITER_MT, NULL, iter_meta);
    lua_pop(L, 1);
    /* The loops join the class lcb_open_list made. */
    static const luaL_Reg methods[] = {{"iter", list_iter}, {"slice", list_slice}, {NULL, NULL}};
    luaL_getmetatable(L, LCB_LIST_MT);
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 1);
    lua_pushcfunction(L, list_call);
    lua_setfield(L, -2, "__call");
    lua_pop(L, 1);
}
