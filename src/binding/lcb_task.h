/* lcb_task.h: requests inside tasks (task.c). A task is a coroutine run by
 * lua/lcanvas/tasks.lua; a request made inside one submits a transfer and
 * yields its Pending box instead of blocking, and the scheduler resumes the
 * task once core.poll handed the box back. Outside tasks requests block. */
#ifndef LCB_TASK_H
#define LCB_TASK_H

#include <lua.h>

#include "lcb_client.h"
#include "lcb_request.h"

/* True when L is a task that may yield here. */
int lcb_in_task(lua_State *L);

/* The request path every C method uses: makes the request (yielding inside
 * a task, blocking otherwise), then continues in `k(L, LUA_YIELD or LUA_OK,
 * ctx)` with the decoded answer (or nil) pushed on top of the caller's
 * stack. Failures raise before `k` runs. Use it as
 * `return lcb_request_k(L, ..., ctx, k);` and keep what `k` needs on the
 * stack or in `ctx` (never in C locals). */
int lcb_request_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                  lua_KFunction k);
/* lcb_request_k for a list page: k finds the answer and, above it, the
 * Link rel="next" URL (or nil). */
int lcb_request_page_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                       lua_KFunction k);

/* Page loading for an object (a PaginatedList) that keeps its requests in
 * the table at index t: the one being waited for, so that another task can
 * see the object is busy, and the page requested ahead of need. */
/* True while a page request of t is in flight. */
int  lcb_fetch_busy(lua_State *L, int t);
/* Fetches the page `call` like lcb_request_page_k, taking the page
 * requested ahead when there is one. */
int  lcb_fetch_k(lua_State *L, int t, int client_idx, const lcb_call *call, lua_KContext ctx,
                 lua_KFunction k);
/* Called from fetch_k's continuation: the page has arrived. */
void lcb_fetch_done(lua_State *L, int t);
/* Inside a task, requests the page at `url` ahead of need (unless the
 * client has prefetch = false or the URL is on another origin). */
void lcb_fetch_ahead(lua_State *L, int t, int client_idx, const char *url);
/* Cancels the page requested ahead, if any (its transfer is never used). */
void lcb_fetch_cancel_ahead(lua_State *L, int t);

/* Cancels the transfers of a closing client; tasks waiting for them are
 * woken by the next poll and raise. */
void lcb_task_cancel_client(lua_State *L, lcb_client *cl);

/* Adds poll, pending_count, is_pending and task_registry to the module
 * table on top. */
void lcb_open_task(lua_State *L);

#endif
