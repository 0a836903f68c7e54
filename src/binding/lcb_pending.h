/* lcb_pending.h: private to task.c and loop.c. The Pending box of a
 * request in flight, the registry keys both files use, and the host-loop
 * helpers loop.c gives task.c. */
#ifndef LCB_PENDING_H
#define LCB_PENDING_H

#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"

#define PENDING_MT "lcanvas.Pending"

/* A request submitted to the engine and not yet consumed (a page fetched
 * ahead, or a task waiting for it). */
typedef struct pending {
    lc_xfer *x;          /* NULL once consumed or cancelled */
    lcb_client *cl;      /* the client userdata is user value 1 */
    lua_KFunction k;     /* continuation of whoever waits */
    lua_KContext ctx;
    int want_next;
    int done;            /* popped off the engine's done queue */
    char method[8];
} pending;

static inline pending *check_pending(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, PENDING_MT);
}

/* Registry keys (their addresses): */
extern char lcb_inflight_key;   /* lightud -> Pending not yet collected (weak values) */
extern char lcb_cancelled_key;  /* Pendings cut off by a client's close, not yet polled */
extern char lcb_delivered_key;  /* Pending -> true: finished, not yet handed out by core.poll */
extern char lcb_host_key;       /* {wait = fn, wake = fn} of a host event loop, or nil */

/* Pushes the host's function `name` ("wait", "wake") and returns 1, or
 * pushes nothing and returns 0. */
int  lcb_host_fn(lua_State *L, const char *name);
/* True when L may wait through a host loop here. */
int  lcb_hosted(lua_State *L);
/* Drives the client cl without blocking, or up to wait_ms, and marks
 * what finished as delivered; returns how many finished. */
int  lcb_drive(lua_State *L, lcb_client *cl, long wait_ms);
/* Wakes the host's waiting coroutines (something finished). */
void lcb_host_wake(lua_State *L);
/* Adds poll, set_host, busy_clients and the Client's pollable methods. */
void lcb_open_loop(lua_State *L);

#endif
