/* lcb_list_state.h: a PaginatedList's state, shared by the three files of
 * the type: list.c (making lists, their methods), page.c (loading pages:
 * the one place that does) and list_loop.c (loops with their own
 * positions, and slices). Other files use lcb_list.h.
 *
 * The numbers are the userdata's C struct; the Lua values a list holds
 * are its user values, in the slots below. */
#ifndef LCB_LIST_STATE_H
#define LCB_LIST_STATE_H

#include <stdint.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_list.h"

/* Repeated next links, found in constant memory: Brent's cycle finding over
 * the hashes of the next links followed (a server whose links loop sends
 * the same sequence again). */
typedef struct lcb_cycle {
    uint64_t saved;          /* the hash a repeat is compared with */
    lua_Integer power, lam;
    int have;
} lcb_cycle;

typedef struct lcb_list {
    int started;             /* a page of this pass was read */
    int done;                /* the last page was read */
    int nokeep;              /* a loop's window: keeps only its current page */
    int no_prefetch;         /* option prefetch = false */
    int unpaged;             /* Canvas answers in one page: no per_page sent */
    int slicing;             /* a slice collects items as pages pass (LIST_SLICE) */
    lua_Integer count;       /* items loaded */
    lua_Integer pages;       /* pages loaded */
    lua_Integer cursor;      /* position of `for x in list` over plain values */
    lua_Integer base;        /* items dropped before the kept ones (windows) */
    lua_Integer keep;        /* items a loop keeps in the list before streaming the rest */
    lua_Integer slice_from, slice_to, slice_first;  /* the slice's wanted items,
                                                       and the item its out[1] holds */
    lcb_cycle seen;
} lcb_list;

/* The user values of a list. */
enum {
    LIST_CLIENT = 1,   /* the client */
    LIST_ITEMS,        /* array of the kept items (a window: its current page) */
    LIST_EXTRA,        /* fields set on each item, or nil */
    LIST_PATH,         /* the path the list was made for (messages) */
    LIST_TYPE,         /* the items' type name, "dict" for plain tables */
    LIST_ROOT,         /* the key holding the items in an object answer, or nil */
    LIST_FIRST,        /* the URL of page 1 */
    LIST_NEXT,         /* the next page's URL, or nil */
    LIST_ENDS,         /* userdata: item count at the end of each page (kept lists) */
    LIST_LOADING,      /* the box of the page being loaded (another task sees it busy) */
    LIST_AHEAD,        /* the box of the page requested ahead */
    LIST_CURSORS,      /* weak table item -> {list, position} for plain table items */
    LIST_SLICE,        /* the array a slice collects into */
    LIST_LAZY,         /* array of the pages whose items are made on demand (page.c) */
    LIST_MARK,         /* a window's cursor {window, position, item} of the plain
                          table item it handed out last (page.c) */
    LIST_NUV = LIST_MARK
};

/* Items a loop keeps in the list before it streams the rest (list:keep). */
#define LCB_LIST_KEEP 1000

static inline lcb_list *lcb_list_check(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LCB_LIST_MT);
}

/* list.c: a new empty list over the client at client_idx (items get the
 * fields of the table at extra_idx, 0: none); item i (nil when not held);
 * a 1-based index argument; an array of items from..to. */
lcb_list *lcb_list_new(lua_State *L, int client_idx, int extra_idx);
void lcb_list_push_item(lua_State *L, int self, lua_Integer i);
lua_Integer lcb_list_check_index(lua_State *L, int idx);
void lcb_list_push_range(lua_State *L, int self, lua_Integer from, lua_Integer to);

/* list_loop.c: `for x in list` (__call), list:iter, list:slice, and the
 * iterator class (added to the class made by lcb_open_list). */
void lcb_open_list_loops(lua_State *L);

/* page.c */
enum {
    LCB_LOAD_PREFETCH = 1,  /* in a task, request the next page as soon as one arrives */
    LCB_LOAD_PAGES = 2,     /* `want` counts pages, not items */
};

/* Loads pages of the list at `self` until `want` items (or pages) are
 * there or the list ends, then returns finish(L) with the stack as the
 * caller found it (the method's own arguments). Inside a task a page
 * request yields; finish then runs in the resumed method, so it may use
 * the method's upvalues. */
int lcb_page_load(lua_State *L, int self, lua_Integer want, int flags, lua_CFunction finish);
/* Pushes item `pos` of the list at self, or nil when it holds none there:
 * an item of a page read in place is made when first asked for (kept in a
 * list, made anew in a window, which keeps nothing but its page). */
void lcb_page_push_item(lua_State *L, int self, lua_Integer pos);
/* The item count at the end of page p of a kept list (0 for p = 0). */
lua_Integer lcb_page_end(lua_State *L, int self, lua_Integer p);
/* Gives up the page the list at self requested ahead, if any. */
void lcb_page_cancel_ahead(lua_State *L, int self);

#endif
