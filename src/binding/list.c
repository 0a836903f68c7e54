/* lcanvas.PaginatedList: a lazy list over Canvas's Link-header pagination.
 * This file is the type's face: making lists and their methods; loops and
 * slices are list_loop.c's. Loading pages is page.c's (lcb_page_load):
 * each method asks it for the items it needs, and returns its results from
 * a finish function, the `*_done` function above it, once they are loaded.
 *
 * Nothing is requested until the list is used. What is kept:
 * - list[i], first, take, all, count (#list) and pages keep the pages they
 *   load in the list (indexing again costs no request);
 * - a loop (`for x in list`, list:iter()) reads the kept pages and loads
 *   more into the list while it holds fewer than list:keep(n) items
 *   (LCB_LIST_KEEP by default); past that it goes on in a window of its
 *   own, so memory stays flat however long the list is, and a second loop
 *   reads the kept items again and refetches the rest;
 * - a slice keeps only the first page. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_json.h"
#include "lcb_list_state.h"


lcb_list *lcb_list_new(lua_State *L, int client_idx, int extra_idx)
{
    client_idx = lua_absindex(L, client_idx);
    extra_idx = extra_idx ? lua_absindex(L, extra_idx) : 0;
    lcb_list *li = lua_newuserdatauv(L, sizeof *li, LIST_NUV);
    memset(li, 0, sizeof *li);
    li->keep = LCB_LIST_KEEP;
    luaL_setmetatable(L, LCB_LIST_MT);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, LIST_CLIENT);
    lua_newtable(L);
    lua_setiuservalue(L, -2, LIST_ITEMS);
    if (extra_idx) {
        lua_pushvalue(L, extra_idx);
        lua_setiuservalue(L, -2, LIST_EXTRA);
    }
    return li;
}

/* Plain table items (untyped lists) cannot carry their position: a weak
 * table item -> {list or window, position} does (page.c). */
static void add_cursors(lua_State *L, int self)
{
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setiuservalue(L, self, LIST_CURSORS);
}

void lcb_push_list(lua_State *L, int client_idx, const char *type, const char *path,
                   int params_idx, const char *root, int extra_idx)
{
    client_idx = lua_absindex(L, client_idx);
    params_idx = params_idx ? lua_absindex(L, params_idx) : 0;
    extra_idx = extra_idx ? lua_absindex(L, extra_idx) : 0;
    lcb_check_client(L, client_idx);
    lcb_list_new(L, client_idx, extra_idx);
    int self = lua_gettop(L);
    lua_pushstring(L, path);
    lua_setiuservalue(L, self, LIST_PATH);
    lua_pushstring(L, type);
    lua_setiuservalue(L, self, LIST_TYPE);
    if (strcmp(type, "dict") == 0) add_cursors(L, self);
    if (root) {
        lua_pushstring(L, root);
        lua_setiuservalue(L, self, LIST_ROOT);
    }
    /* The first page's URL. The query is encoded now: a bad parameter
     * fails at the call, not later inside a loop, and the caller may reuse
     * its table. */
    if (params_idx) lcb_push_params(L, params_idx);
    else lua_pushliteral(L, "");
    if (lua_rawlen(L, -1) > 0) lua_pushfstring(L, "%s?%s", path, lua_tostring(L, -1));
    else lua_pushstring(L, path);
    lua_setiuservalue(L, self, LIST_FIRST);
    lua_pop(L, 1);  /* the query */
}

void lcb_list_set_prefetch(lua_State *L, int idx, int on)
{
    lcb_list_check(L, idx)->no_prefetch = !on;
}

void lcb_list_set_unpaged(lua_State *L, int idx)
{
    lcb_list_check(L, idx)->unpaged = 1;
}

void lcb_list_push_item(lua_State *L, int self, lua_Integer i)
{
    lcb_page_push_item(L, self, i);
}

lua_Integer lcb_list_check_index(lua_State *L, int idx)
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

void lcb_list_push_range(lua_State *L, int self, lua_Integer from, lua_Integer to)
{
    self = lua_absindex(L, self);
    lua_createtable(L, to >= from ? (int)(to - from + 1) : 0, 0);
    for (lua_Integer i = from; i <= to; i++) {
        lcb_page_push_item(L, self, i);
        lua_rawseti(L, -2, i - from + 1);
    }
}

static int index_done(lua_State *L)
{
    lcb_list_push_item(L, 1, lcb_list_check_index(L, 2));
    return 1;
}

static int l_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer i = lcb_list_check_index(L, 2);
        return lcb_page_load(L, 1, i, 0, index_done);
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static int first_done(lua_State *L)
{
    lcb_list_push_item(L, 1, 1);
    return 1;
}

/// PaginatedList:first(): the first item, or nil for an empty list (fetches one page at most).
static int m_first(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_settop(L, 1);
    return lcb_page_load(L, 1, 1, 0, first_done);
}

static int take_done(lua_State *L)
{
    lua_Integer n = lua_tointeger(L, 2), have = lcb_list_check(L, 1)->count;
    lcb_list_push_range(L, 1, 1, n < have ? n : have);
    return 1;
}

/// PaginatedList:take(n): an array of the first n items (fewer if the list is shorter).
static int m_take(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) luaL_argerror(L, 2, "count must be 0 or more");
    lua_settop(L, 2);
    return lcb_page_load(L, 1, n, 0, take_done);
}

static int all_done(lua_State *L)
{
    lcb_list_push_range(L, 1, 1, lcb_list_check(L, 1)->count);
    return 1;
}

/// PaginatedList:all(): an array of every item (fetches every page).
static int m_all(lua_State *L)
{
    lcb_list_check(L, 1);
    lua_settop(L, 1);
    return lcb_page_load(L, 1, LUA_MAXINTEGER, 0, all_done);
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
    return lcb_page_load(L, 1, LUA_MAXINTEGER, 0, count_done);
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
    lua_Integer from = lcb_page_end(L, self, p - 1) + 1;
    lua_Integer to = lcb_page_end(L, self, p);
    if (to < from && li->done && p > 1) return 0;
    lcb_list_push_range(L, self, from, to);
    return 1;
}

static int pages_next(lua_State *L)
{
    int self = lua_upvalueindex(1);
    lcb_list_check(L, self);
    lua_Integer p = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    return lcb_page_load(L, self, p, LCB_LOAD_PREFETCH | LCB_LOAD_PAGES, pages_done);
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
    lua_getiuservalue(L, 1, LIST_TYPE);
    lua_getiuservalue(L, 1, LIST_PATH);
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
        {"first", m_first},
        {"take", m_take},
        {"all", m_all},
        {"count", m_count},
        {"pages", m_pages},
        {"loaded", m_loaded},
        {"keep", m_keep},
        {NULL, NULL},
    };
    static const luaL_Reg metamethods[] = {
        {"__index", l_index},
        {"__len", m_count},  /* #list: the same as list:count() */
        {"__tostring", l_tostring},
        {NULL, NULL},
    };
    lcb_class(L, LCB_LIST_MT, methods, metamethods);
    lua_pop(L, 1);
}
