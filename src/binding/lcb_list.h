/* lcb_list.h: lcanvas.PaginatedList, a lazy list over Canvas's pagination
 * (list.c). */
#ifndef LCB_LIST_H
#define LCB_LIST_H

#include <lua.h>

#define LCB_LIST_MT "lcanvas.PaginatedList"

/* Pushes a lazy list of `type` for GET path?query at client_idx. Each item
 * gets the fields of extra_idx (a table, or 0), set over its own. */
void lcb_push_list(lua_State *L, int client_idx, const char *type, const char *path,
                   int params_idx, const char *root, int extra_idx);

/* Turns page prefetch (inside tasks) on or off for the list at idx. */
void lcb_list_set_prefetch(lua_State *L, int idx, int on);

/* Marks the list at idx as one Canvas does not paginate: its request
 * carries no per_page (Canvas would ignore it). */
void lcb_list_set_unpaged(lua_State *L, int idx);

/* Makes the PaginatedList class (nothing is added to the module table). */
void lcb_open_list(lua_State *L);

#endif
