/* lcb_task.h: waiting (task.c), the one place C yields. A request, a page
 * or a sleep is a transfer held by a Pending box; waiting for a box yields
 * inside a task (lua/lcanvas/tasks.lua), goes through the host's wait in a
 * host loop's coroutine (core.set_host), and blocks anywhere else. */
#ifndef LCB_TASK_H
#define LCB_TASK_H

#include <lua.h>

#include "lcb_client.h"
#include "lcb_request.h"

/* True when L is a task that may yield here. */
int lcb_in_task(lua_State *L);
/* True when L may wait through a host loop here. */
int lcb_hosted(lua_State *L);

/* The request path every C method uses: makes the request (yielding inside
 * a task or a host's coroutine, blocking otherwise), then continues in
 * `k(L, LUA_YIELD or LUA_OK, ctx)` with the decoded answer (or nil) pushed
 * on top of the caller's stack. Failures raise before `k` runs. Use it as
 * `return lcb_request_k(L, ..., ctx, k);` and keep what `k` needs on the
 * stack or in `ctx` (never in C locals). */
int lcb_request_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                  lua_KFunction k);
/* lcb_request_k for a list page: k finds the answer and, above it, the
 * Link rel="next" URL (or nil). */
int lcb_request_page_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                       lua_KFunction k);

/* The pieces page loading (page.c) builds on. Starts `call` without
 * waiting: pushes its Pending box and returns 0, or, when it was answered
 * without the network (a dry run), pushes the answer (and the next URL with
 * want_next) and returns 1. */
int  lcb_task_start(lua_State *L, int client_idx, const lcb_call *call, int want_next);
/* Waits for the box on top (as lcb_request_k waits), replacing it with the
 * answer (and the next URL if it was started with want_next), then k. */
int  lcb_task_wait(lua_State *L, lua_KContext ctx, lua_KFunction k);
/* Lets the other tasks (or the host loop's other coroutines) run, then
 * continues in k (nothing pushed). Anywhere else it raises: nobody else
 * could make progress. */
int  lcb_task_yield(lua_State *L, lua_KContext ctx, lua_KFunction k);
/* Is the value at idx a box whose transfer is still in flight? */
int  lcb_task_box_busy(lua_State *L, int idx);
/* Gives up the box at idx (if it is one): its transfer is never used. */
void lcb_task_cancel(lua_State *L, int idx);

/* Cancels the transfers of the closing client at idx; tasks waiting for
 * them are woken by the next poll and raise, a host loop's coroutines by
 * the host's wake, after its forget(client). (Registered with client.c.) */
void lcb_task_cancel_client(lua_State *L, lcb_client *cl, int idx, int in_gc);

/* Host loops (loop.c): the host's function `name` ("wait", "wake") pushed
 * (1), or nothing (0); registering wait/wake (0: none); waking the host's
 * waiting coroutines; driving one client without blocking (or up to
 * wait_ms), marking what finished as delivered (returns how many). */
int  lcb_host_fn(lua_State *L, const char *name);
void lcb_task_set_host(lua_State *L, int wait_idx, int wake_idx, int forget_idx);
void lcb_host_wake(lua_State *L);
int  lcb_drive(lua_State *L, lcb_client *cl, long wait_ms);

/* core.poll, busy_clients, sleep, pending_count, is_pending, task_registry. */
void lcb_open_task(lua_State *L);
/* core.set_host and the Client's pollable methods (loop.c). */
void lcb_open_loop(lua_State *L);

#endif
