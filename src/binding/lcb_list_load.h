/* lcb_list_load.h: what the three files of PaginatedList share: its
 * userdata, the page loader (list_load.c) its methods call, the list's
 * basics (paginated_list.c) and its loops (list_loop.c). Not for other files: they use lcb_list.h.
 *
 * A list's user values: 1 the client, 2 the loaded items, 3 the fields
 * added to each item (or nil), 4 its state table {path, first (the URL of
 * page 1), next, type, root, ends (the item count at the end of each page),
 * and the requests task.c keeps there while pages load}. */
#ifndef LCB_LIST_LOAD_H
#define LCB_LIST_LOAD_H

#include <lua.h>

typedef struct lcb_list {
    int started;
    int done;
    int nokeep;          /* streaming copy: keeps only the current page */
    int no_prefetch;     /* option prefetch = false */
    int unpaged;         /* Canvas answers in one page: no per_page sent */
    lua_Integer count;   /* items loaded */
    lua_Integer pages;   /* pages loaded */
    lua_Integer cursor;  /* position of `for x in list` over plain values */
    lua_Integer base;    /* items dropped before the cache (nokeep) */
    lua_Integer keep;    /* items a loop keeps in the list before streaming the rest */
} lcb_list;

lcb_list *lcb_list_check(lua_State *L, int idx);

/* Items a loop keeps in the list before it streams the rest (list:keep). */
#define LCB_LIST_KEEP 1000

/* paginated_list.c: a new empty list over the client at client_idx (items
 * get the fields of the table at extra_idx, 0: none), its state table
 * pushed above it; item i (nil when not held); a 1-based index argument;
 * an array of items from..to. */
lcb_list *lcb_list_new(lua_State *L, int client_idx, int extra_idx);
void lcb_list_push_item(lua_State *L, int self, lua_Integer i);
lua_Integer lcb_list_check_index(lua_State *L, int idx);
void lcb_list_push_range(lua_State *L, int self, lua_Integer from, lua_Integer to);

/* list_loop.c: `for x in list` (__call), list:iter, list:slice, and the
 * iterator class. */
int lcb_list_call(lua_State *L);
int lcb_list_iter(lua_State *L);
int lcb_list_slice(lua_State *L);
void lcb_open_list_loops(lua_State *L);

enum {
    LCB_LOAD_PREFETCH = 1,  /* in a task, request the next page as soon as one arrives */
    LCB_LOAD_PAGES = 2,     /* `want` counts pages, not items */
};

/* Loads pages of the list at `self` until `want` items (or pages) are
 * there or the list ends, then returns finish(L) with the stack as the
 * caller found it (the method's own arguments). Inside a task a page
 * request yields; finish then runs in the resumed method, so it may use
 * the method's upvalues. */
int lcb_list_load(lua_State *L, int self, lua_Integer want, int flags, lua_CFunction finish);

#endif
