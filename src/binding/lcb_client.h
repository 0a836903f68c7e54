/* lcb_client.h: lcanvas.Client, a connection to one origin (client.c). */
#ifndef LCB_CLIENT_H
#define LCB_CLIENT_H

#include <lua.h>

#include "lcanvas.h"

#define LCB_CLIENT_MT "lcanvas.Client"
/* Pages one list may load (10 million items at 100 a page). */
#define LCB_DEFAULT_MAX_PAGES 100000
/* Values one answer may hold (json.h's lc_json_parse_max): a page of 100
 * Canvas objects has a few thousand; 64 MiB of ordinary JSON a few million. */
#define LCB_DEFAULT_MAX_VALUES 4000000

/* The userdata. Its user value 1 is a table of Lua-side fields (scripts'
 * own fields, dry_run_counts, the hooks and the verbose log's state). */
#define LCB_DRY_VERBS 4   /* POST, PUT, PATCH, DELETE */

typedef struct lcb_client {
    lc_client *c;        /* NULL once closed */
    int dry_run;         /* option dry_run */
    int no_prefetch;     /* option prefetch = false */
    lua_Integer max_pages; /* option max_pages: pages one list may load */
    lua_Integer max_values; /* option max_values: values one answer may hold */
    lua_Integer dry_counts[LCB_DRY_VERBS];  /* writes a dry run did not send */
} lcb_client;

lcb_client *lcb_check_client(lua_State *L, int idx);   /* raises if closed */

/* Pushes a new Client userdata with no connection yet (c == NULL) and an
 * empty field table: lcanvas.new fills it, task.c makes its clock so. */
lcb_client *lcb_new_client(lua_State *L);

/* Counts a write a dry run did not send (Client:dry_run_counts). */
void lcb_client_count_dry(lcb_client *cl, const char *method);

/* What closing a client also cancels: its transfers in flight (task.c
 * registers it, so the client knows nothing of waiting). */
void lcb_client_on_close(void (*fn)(lua_State *, lcb_client *, int idx, int in_gc));

/* Calls the client's page hook (Client:on_page), if any, as
 * hook(list, items, pages, done). The hook must not yield. */
void lcb_client_page_hook(lua_State *L, int client_idx, int list_idx, lua_Integer items,
                          lua_Integer pages, int done);

/* Adds new to the module table on top. */
void lcb_open_client(lua_State *L);

#endif
