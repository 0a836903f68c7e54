/* lcb_list_load.h: what the two files of PaginatedList share: its
 * userdata, and the page loader (list_load.c) its methods call
 * (paginated_list.c). Not for other files: they use lcb_list.h.
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
    lua_Integer count;   /* items loaded */
    lua_Integer pages;   /* pages loaded */
    lua_Integer cursor;  /* position of `for x in list` over plain values */
    lua_Integer base;    /* items dropped before the cache (nokeep) */
    lua_Integer keep;    /* items a loop keeps in the list before streaming the rest */
} lcb_list;

lcb_list *lcb_list_check(lua_State *L, int idx);

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
