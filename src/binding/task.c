/* Waiting: the one place C yields. Every request the binding makes, every
 * page a list loads and every lcanvas.sleep is a transfer on a client's
 * engine, held by a Pending box while it is in flight. Waiting for a box
 * is done here, one of three ways:
 *   - inside a task (a coroutine of lua/lcanvas/tasks.lua's scheduler) the
 *     box is yielded; the scheduler's core.poll drives every busy client
 *     and hands the box back when its transfer finished;
 *   - inside a coroutine of a host event loop (cqueues, luv: core.set_host,
 *     lua/lcanvas/loop/) the wait goes through the host's wait function,
 *     which suspends the coroutine until a client's descriptor is ready or
 *     its timer is due;
 *   - anywhere else the engine is driven here until the transfer is done.
 * Then the answer is decoded exactly as a blocking request's would be
 * (request.c) and the caller's continuation runs. Page loading (page.c)
 * and the row invoker (endpoint.c) use these pieces; none of them yields
 * itself. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_request.h"
#include "lcb_task.h"

#define PENDING_MT "lcanvas.Pending"

/* A transfer submitted to the engine and not yet consumed (a request a
 * task waits for, a page fetched ahead, a sleep). User value 1 is the
 * client userdata, 2 whatever must live as long as the transfer (a
 * download's sink). */
typedef struct pending {
    lc_xfer *x;          /* NULL once consumed or cancelled */
    lcb_client *cl;
    lua_KFunction k;     /* continuation of whoever waits */
    lua_KContext ctx;
    int want_next;       /* decode flags (lcb_request_decode) */
    int done;            /* popped off the engine's done queue */
    int must_free;       /* never left to finish alone (it writes into a sink) */
    char method[8];
} pending;

/* Registry keys: the addresses of these variables (light userdata; not
 * const, so that no compiler may merge them). */
static char tasks_key;      /* coroutine -> task (weak keys), filled by tasks.lua */
static char inflight_key;   /* lightud -> Pending not yet collected (weak values) */
static char cancelled_key;  /* Pendings cut off by a client's close, not yet polled */
static char delivered_key;  /* Pending -> true: finished, not yet handed out by core.poll */
static char host_key;       /* {wait = fn, wake = fn} of a host event loop, or nil */
static char clock_key;      /* the hidden clock client lcanvas.sleep uses */

static pending *check_pending(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, PENDING_MT);
}

int lcb_in_task(lua_State *L)
{
    if (!lua_isyieldable(L)) return 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &tasks_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushthread(L);
    lua_rawget(L, -2);
    int yes = !lua_isnil(L, -1);
    lua_pop(L, 2);
    return yes;
}

/* ------------------------------------------------------------ host loops
 *
 * Outside tasks, a request made from a coroutine of a host event loop
 * (cqueues, luv) waits through the host instead of blocking: the adapter
 * registered {wait = fn, wake = fn} with core.set_host (loop.c).
 * wait(clients, timeout_s) suspends the calling coroutine until a client's
 * descriptor is ready, the timeout passed or wake() was called, and
 * returns true; or returns false when the caller is not one of the host's
 * coroutines (then we block as usual). */

int lcb_host_fn(lua_State *L, const char *name)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &host_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) return 1;
    lua_pop(L, 1);
    return 0;
}

void lcb_task_set_host(lua_State *L, int wait_idx, int wake_idx, int forget_idx)
{
    if (!wait_idx) {
        lua_pushnil(L);
    } else {
        wait_idx = lua_absindex(L, wait_idx);
        wake_idx = lua_absindex(L, wake_idx);
        forget_idx = forget_idx ? lua_absindex(L, forget_idx) : 0;
        lua_createtable(L, 0, 3);
        lua_pushvalue(L, wait_idx);
        lua_setfield(L, -2, "wait");
        lua_pushvalue(L, wake_idx);
        lua_setfield(L, -2, "wake");
        if (forget_idx) {
            lua_pushvalue(L, forget_idx);
            lua_setfield(L, -2, "forget");
        }
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &host_key);
}

int lcb_hosted(lua_State *L)
{
    if (!lua_isyieldable(L) || !lcb_host_fn(L, "wait")) return 0;
    lua_pop(L, 1);
    return 1;
}

void lcb_host_wake(lua_State *L)
{
    if (lcb_host_fn(L, "wake")) lua_call(L, 0, 0);
}

/* ------------------------------------------------------------ boxes */

static void inflight_set(lua_State *L, pending *p, int box_idx)
{
    if (box_idx) box_idx = lua_absindex(L, box_idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &inflight_key);
    lua_pushlightuserdata(L, p);
    if (box_idx) lua_pushvalue(L, box_idx);
    else lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Pushes an empty box for the client at client_idx. It exists before the
 * transfer, so a Lua error cannot leak the transfer. */
static pending *push_box(lua_State *L, int client_idx, lcb_client *cl, const char *method)
{
    client_idx = lua_absindex(L, client_idx);
    pending *p = lua_newuserdatauv(L, sizeof *p, 2);
    memset(p, 0, sizeof *p);
    luaL_setmetatable(L, PENDING_MT);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, 1);
    p->cl = cl;
    snprintf(p->method, sizeof p->method, "%s", method);
    return p;
}

/* Hands the transfer of the box on top to the engine. */
static void box_submit(lua_State *L, pending *p, lc_xfer *x)
{
    p->x = x;
    lc_xfer_set_userdata(x, p);
    inflight_set(L, p, -1);
    lc_xfer_submit(x);
}

int lcb_task_start(lua_State *L, int client_idx, const lcb_call *call, int want_next)
{
    client_idx = lua_absindex(L, client_idx);
    int base = lua_gettop(L);
    lc_request req;
    if (lcb_request_encode(L, client_idx, call, want_next, &req)) {
        lcb_keep_top(L, base, want_next ? 2 : 1);
        return 1;
    }
    int keep = lua_gettop(L);   /* the strings req points into, and a sink */
    lcb_client *cl = lcb_check_client(L, client_idx);
    pending *p = push_box(L, client_idx, cl, call->method);
    p->want_next = want_next | (call->raw ? LCB_DECODE_RAW : 0) |
                   (call->answer_raw ? LCB_DECODE_ANSWER : 0);
    if (call->sink_ud) {
        /* The sink writes until the transfer ends: it lives with the box. */
        p->must_free = 1;
        lua_pushvalue(L, call->sink_ud);
        lua_setiuservalue(L, -2, 2);
    }
    lc_error err;
    lc_error_init(&err);
    lc_xfer *x = lc_xfer_new(cl->c, &req, &err);
    if (!x) lcb_raise_error(L, &err, NULL);
    if (call->sink_ud) lcb_request_sink_attach(L, call->sink_ud, x);
    box_submit(L, p, x);
    (void)keep;
    lcb_keep_top(L, base, 1);
    return 0;
}

/* ------------------------------------------------------------ driving */

int lcb_drive(lua_State *L, lcb_client *cl, long wait_ms)
{
    if (!cl->c) return 0;
    int rc = wait_ms > 0 ? lc_client_run(cl->c, wait_ms) : lc_client_step(cl->c);
    if (rc < 0) return lcb_raise_kind(L, LC_NETWORK_ERROR, "the transfer engine failed");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &inflight_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &delivered_key);
    int n = 0;
    lc_xfer *x;
    while ((x = lc_client_next_done(cl->c))) {
        pending *p = lc_xfer_userdata(x);
        if (!p) {
            lc_xfer_free(x);
            continue;
        }
        p->done = 1;
        n++;
        lua_pushlightuserdata(L, p);
        if (lua_rawget(L, -3) != LUA_TNIL) {
            lua_pushboolean(L, 1);
            lua_rawset(L, -3);
        } else {
            lua_pop(L, 1);
        }
        /* Still referenced by whoever waits or fetched it ahead. */
        lua_pushlightuserdata(L, p);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 2);
    return n;
}

/* ------------------------------------------------------------ waiting */

/* Consumes the finished Pending at base+1: leaves the answer (and next URL)
 * at base+1.. or raises the transfer's error. */
static void consume(lua_State *L, int base)
{
    pending *p = check_pending(L, base + 1);
    if (!p->x) luaL_error(L, "lcanvas: this request was cancelled (its client was closed)");
    lc_response *resp, r;
    lc_error *err;
    int failed = lc_xfer_result(p->x, &resp, &err) != 0;
    /* Take what we need and free the transfer before anything can raise. */
    if (failed) lcb_push_error(L, err);
    r = *resp;
    lc_response_init(resp);
    inflight_set(L, p, 0);
    lua_getiuservalue(L, base + 1, 2);
    lcb_sink_detach(L, -1);
    lua_pop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &delivered_key);
    lua_pushvalue(L, base + 1);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lc_xfer_free(p->x);
    p->x = NULL;
    if (failed) {
        lc_response_clear(&r);
        lua_error(L);
    }
    lcb_request_decode(L, p->method, &r, p->want_next, (size_t)p->cl->max_values);
    lc_response_clear(&r);
    lua_remove(L, base + 1);
}

/* Continuation after the scheduler resumed a task with its Pending box. */
static int resume_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int base = (int)ctx;
    if (lua_gettop(L) != base + 1) luaL_error(L, "lcanvas: a task was resumed without its request");
    pending *p = check_pending(L, base + 1);
    lua_KFunction k = p->k;
    lua_KContext kctx = p->ctx;
    consume(L, base);
    return k(L, LUA_YIELD, kctx);
}

/* Drives the client's engine until the Pending's transfer finished. */
static void block_until_done(lua_State *L, pending *p)
{
    while (p->x && !p->done && !lc_xfer_done(p->x)) {
        if (!p->cl->c) break;
        if (lc_client_run(p->cl->c, 1000) < 0)
            lcb_raise_kind(L, LC_NETWORK_ERROR, "the transfer engine failed");
    }
}

/* A wait outside tasks in one of a host loop's coroutines: drive, and wait
 * through the host, until the Pending at base+1 is done. The stack above
 * base+1 is the host's answer when resumed; nothing else is left there. */
static int hosted_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int base = (int)ctx;
    int waited = lua_gettop(L) > base + 1 ? lua_toboolean(L, -1) : 1;
    lua_settop(L, base + 1);
    pending *p = check_pending(L, base + 1);
    while (p->x && !p->done && waited) {
        int finished = lcb_drive(L, p->cl, 0);
        if (finished > 0) lcb_host_wake(L);
        if (p->done || !p->x) break;
        lcb_host_fn(L, "wait");
        lua_createtable(L, 1, 0);
        lua_getiuservalue(L, base + 1, 1);   /* the box's client */
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, 1.0);
        lua_callk(L, 2, 1, ctx, hosted_k);
        waited = lua_toboolean(L, -1);
        lua_settop(L, base + 1);
    }
    block_until_done(L, p);
    lua_KFunction k = p->k;
    lua_KContext kctx = p->ctx;
    consume(L, base);
    return k(L, LUA_YIELD, kctx);
}

int lcb_task_wait(lua_State *L, lua_KContext ctx, lua_KFunction k)
{
    int base = lua_gettop(L) - 1;
    pending *p = check_pending(L, base + 1);
    if (p->x && !p->done && lcb_in_task(L)) {
        p->k = k;
        p->ctx = ctx;
        return lua_yieldk(L, 1, (lua_KContext)base, resume_k);
    }
    if (p->x && !p->done && lcb_hosted(L)) {
        p->k = k;
        p->ctx = ctx;
        return hosted_k(L, LUA_OK, (lua_KContext)base);
    }
    block_until_done(L, p);
    consume(L, base);
    return k(L, LUA_OK, ctx);
}

static int request_k(lua_State *L, int client_idx, const lcb_call *call, int want_next,
                     lua_KContext ctx, lua_KFunction k)
{
    /* Blocking, the plain request path; a download goes through a box
     * everywhere, so its sink can see the transfer (its expected size). */
    if (!call->sink_ud && !lcb_in_task(L) && !lcb_hosted(L)) {
        lcb_request_perform(L, client_idx, call, want_next);
        return k(L, LUA_OK, ctx);
    }
    if (lcb_task_start(L, client_idx, call, want_next)) return k(L, LUA_OK, ctx);
    return lcb_task_wait(L, ctx, k);
}

int lcb_request_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                  lua_KFunction k)
{
    return request_k(L, client_idx, call, 0, ctx, k);
}

int lcb_request_page_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                       lua_KFunction k)
{
    return request_k(L, client_idx, call, 1, ctx, k);
}

int lcb_task_yield(lua_State *L, lua_KContext ctx, lua_KFunction k)
{
    if (lcb_in_task(L)) return lua_yieldk(L, 0, ctx, k);
    if (lcb_hosted(L)) {
        /* A host loop's coroutine: wait until something of lcanvas's
         * finishes (the host is woken then) or a moment passes. */
        lcb_host_fn(L, "wait");
        lua_newtable(L);
        lua_pushnumber(L, 0.01);
        lua_callk(L, 2, 0, ctx, k);
        return k(L, LUA_OK, ctx);
    }
    return luaL_error(L, "lcanvas: this list is being loaded by a task that has not finished");
}

/* ------------------------------------------------------------ cancelling */

/* Frees a transfer nobody will consume (the box stays, empty). */
static void pending_drop(pending *p)
{
    /* After the client closed, only popped transfers are still ours. A
     * running request is let finish quietly (cutting it resets its
     * connection); one writing into a sink stops now. */
    if (p->x && (p->done || p->must_free)) lc_xfer_free(p->x);
    else if (p->x && p->cl->c) lc_xfer_abandon(p->x);
    p->x = NULL;
}

static int pending_gc(lua_State *L)
{
    pending_drop(check_pending(L, 1));
    return 0;
}

int lcb_task_box_busy(lua_State *L, int idx)
{
    pending *p = luaL_testudata(L, idx, PENDING_MT);
    return p && p->x != NULL;
}

void lcb_task_cancel(lua_State *L, int idx)
{
    pending *p = luaL_testudata(L, idx, PENDING_MT);
    if (!p) return;
    pending_drop(p);
    inflight_set(L, p, 0);
    lua_getiuservalue(L, idx, 2);
    lcb_sink_detach(L, -1);
    lua_pop(L, 1);
}

void lcb_task_cancel_client(lua_State *L, lcb_client *cl, int idx, int in_gc)
{
    idx = lua_absindex(L, idx);
    /* A host loop polls the client's descriptor: it forgets it before the
     * descriptor is closed (a cqueues controller would fail its whole loop
     * on a closed one; a libuv poll handle would be left open). Not from a
     * finalizer: the host's own objects may be gone (their handles are
     * then collected with the client). */
    if (!in_gc && lcb_host_fn(L, "forget")) {
        lua_pushvalue(L, idx);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
    }
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &inflight_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int cancelled = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        pending *p = lua_touserdata(L, -2);
        if (p && p->cl == cl && p->x && !p->done) {
            lc_xfer_free(p->x);
            p->x = NULL;
            /* A task may wait for it: the next poll hands it back, and
             * consuming it raises. */
            p->done = 1;
            cancelled = 1;
            lua_rawgetp(L, LUA_REGISTRYINDEX, &cancelled_key);
            lua_pushvalue(L, -2);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
            lua_pop(L, 1);
            /* Clearing the current field is allowed during a traversal. */
            lua_pushvalue(L, -2);
            lua_pushnil(L);
            lua_rawset(L, -5);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    /* Coroutines of a host loop waiting for them look again now, and
     * raise the cancellation, instead of sleeping out their timeout. */
    if (cancelled && !in_gc && lcb_host_fn(L, "wake") && lua_pcall(L, 0, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}

/* ------------------------------------------------------------ polling */

/* Pushes a table (set) of the client userdata with transfers in flight,
 * which also keeps them alive while they are driven; returns how many. */
static int push_busy_clients(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &inflight_key);
    int inflight = lua_gettop(L);
    lua_newtable(L);
    int set = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, inflight)) {
        pending *p = lua_touserdata(L, -2);
        if (p && p->x && !p->done && p->cl->c) {
            lua_getiuservalue(L, -1, 1);
            lua_pushvalue(L, -1);
            if (lua_rawget(L, set) == LUA_TNIL) n++;
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
            lua_rawset(L, set);
        }
        lua_pop(L, 1);
    }
    lua_remove(L, inflight);
    return n;
}

/* Drives every client of the set at `set` (up to wait_ms in all). */
static int drive_set(lua_State *L, int set, int n, long wait_ms)
{
    set = lua_absindex(L, set);
    /* Several clients share the wait: poll each briefly. */
    long w = n > 1 && wait_ms > 5 ? 5 : wait_ms;
    int finished = 0;
    lua_pushnil(L);
    while (lua_next(L, set)) {
        lua_pop(L, 1);
        finished += lcb_drive(L, lua_touserdata(L, -1), w);
    }
    return finished;
}

/* Pushes the array of delivered and cancelled boxes, emptying both. */
static int push_finished(lua_State *L)
{
    lua_newtable(L);
    lua_Integer count = 0;
    /* Requests cut off by closing their client count as finished. */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &cancelled_key);
    for (lua_Integer i = 1, nc = (lua_Integer)lua_rawlen(L, -1); i <= nc; i++) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -3, ++count);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cancelled_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &delivered_key);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -4, ++count);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &delivered_key);
    return 1;
}

static int poll_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    lua_settop(L, 1);
    int n = push_busy_clients(L);
    if (drive_set(L, -1, n, 0) > 0) lcb_host_wake(L);
    return push_finished(L);
}

/* core.poll(max_wait_ms) -> array of the Pending boxes that finished.
 * Every client with a transfer in flight is driven, however many. In a
 * host loop's coroutine the wait goes through the host (core.set_host). */
static int l_poll(lua_State *L)
{
    lua_Integer wait = luaL_optinteger(L, 1, 0);
    if (wait < 0) wait = 0;
    lua_settop(L, 1);
    int n = push_busy_clients(L);
    int set = lua_gettop(L);
    if (wait > 0 && lcb_hosted(L)) {
        int done = drive_set(L, set, n, 0);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &cancelled_key);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &delivered_key);
        lua_pushnil(L);
        int have = done > 0 || lua_rawlen(L, -3) > 0 || lua_next(L, -2) != 0;
        lua_settop(L, set);
        if (done > 0) lcb_host_wake(L);
        /* Something to hand back: return it now. Falling through to the
         * blocking drive below would hold the host's loop for the whole
         * wait while the other requests are still out. */
        if (have) return push_finished(L);
        if (n > 0) {
            lcb_host_fn(L, "wait");
            lua_createtable(L, n, 0);
            int arr = lua_gettop(L), i = 0;
            lua_pushnil(L);
            while (lua_next(L, set)) {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                lua_rawseti(L, arr, ++i);
            }
            lua_pushnumber(L, (lua_Number)wait / 1000.0);
            lua_callk(L, 2, 1, 0, poll_k);
            if (lua_toboolean(L, -1)) return poll_k(L, LUA_OK, 0);
            lua_settop(L, set);
        }
    }
    drive_set(L, set, n, (long)wait);
    return push_finished(L);
}

/* core.busy_clients() -> array of the clients with transfers in flight. */
static int l_busy_clients(lua_State *L)
{
    int n = push_busy_clients(L);
    lua_createtable(L, n, 0);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, ++i);
    }
    return 1;
}

/* ------------------------------------------------------------ sleeping */

/* Pushes the hidden clock client (made on first use): a Client userdata
 * whose engine runs timers only (lc_clock_new), so that a sleep is a
 * transfer like any other and waits wherever requests wait. */
static void push_clock(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &clock_key) == LUA_TUSERDATA) return;
    lua_pop(L, 1);
    lc_error err;
    lc_error_init(&err);
    lcb_client *cl = lcb_new_client(L);
    cl->c = lc_clock_new(&err);
    if (!cl->c) lcb_raise_error(L, &err, NULL);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &clock_key);
}

static int sleep_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return 0;
}

/* core.sleep(seconds) (lcanvas.sleep): waits where a request would wait:
 * blocks outside tasks, yields inside a task or a host loop's coroutine,
 * and ends at once with Interrupted on SIGINT/SIGTERM. */
static int l_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    if (!(s >= 0) || !isfinite(s) || s > 1e7)
        luaL_argerror(L, 1, "seconds must be a number from 0 to 1e7");
    lua_settop(L, 0);
    push_clock(L);
    lcb_client *cl = lua_touserdata(L, 1);
    pending *p = push_box(L, 1, cl, "WAIT");
    lc_error err;
    lc_error_init(&err);
    lc_xfer *x = lc_timer_new(cl->c, (long)ceil(s * 1000.0), &err);
    if (!x) lcb_raise_error(L, &err, NULL);
    box_submit(L, p, x);
    return lcb_task_wait(L, 0, sleep_done);
}

/* core.clock() (lcanvas.clock): seconds on a monotonic clock, for
 * deadlines (a job's wait) that a change of the wall clock must not move. */
static int l_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* ------------------------------------------------------------ module */

static int l_pending_count(lua_State *L)
{
    lua_Integer n = 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &inflight_key);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        n++;
    }
    lua_pushinteger(L, n);
    return 1;
}

static int l_is_pending(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, PENDING_MT) != NULL);
    return 1;
}

/* core.task_registry() -> the weak table coroutine -> task that marks
 * which coroutines are tasks (requests inside them yield). */
static int l_task_registry(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &tasks_key);
    return 1;
}

/* A new table with a weak `mode` ("k" or "v") under registry[key], unless
 * one is there already (a second lcanvas.core in the same state shares it). */
static void weak_table(lua_State *L, const void *key, const char *mode)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) == LUA_TNIL) {
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushstring(L, mode);
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_rawsetp(L, LUA_REGISTRYINDEX, key);
    }
    lua_pop(L, 1);
}

void lcb_open_task(lua_State *L)
{
    static const luaL_Reg pending_meta[] = {{"__gc", pending_gc}, {NULL, NULL}};
    lcb_class(L, PENDING_MT, NULL, pending_meta);
    lua_pop(L, 1);
    weak_table(L, &tasks_key, "k");
    /* Weak values: a page fetched ahead that nobody can reach any more is
     * cancelled by its __gc instead of being sent. */
    weak_table(L, &inflight_key, "v");
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cancelled_key);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &delivered_key);
    lcb_client_on_close(lcb_task_cancel_client);
    static const luaL_Reg fns[] = {
        {"poll", l_poll},
        {"busy_clients", l_busy_clients},
        {"sleep", l_sleep},
        {"clock", l_clock},
        {"pending_count", l_pending_count},
        {"is_pending", l_is_pending},
        {"task_registry", l_task_registry},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
