/* Tasks: coroutines whose requests run concurrently on the clients' curl
 * multi engines. All the continuation machinery lives here: a request made
 * inside a task (lcb_request_k) submits a transfer and yields its Pending
 * box; the scheduler loop (lua/lcanvas/tasks.lua) calls core.poll, which
 * drives every client with transfers in flight and hands back the boxes
 * that finished, and resumes the owning task with its box. The
 * continuation then decodes the answer exactly as a blocking request would
 * (request.c). Outside tasks the same calls block. */
#include <stdio.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_request.h"
#include "lcb_task.h"
#include "lcb_pending.h"


/* Registry keys: the addresses of these variables (light userdata; not
 * const, so that no compiler may merge them). */
static char tasks_key;     /* coroutine -> task (weak keys), filled by tasks.lua */
char lcb_inflight_key;     /* lightud -> Pending not yet collected (weak values) */
char lcb_cancelled_key;    /* Pendings cut off by a client's close, not yet polled */
char lcb_delivered_key;    /* Pending -> true: finished, not yet handed out by core.poll */
char lcb_host_key;         /* {wait = fn, wake = fn} of a host event loop, or nil */

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

static void inflight_set(lua_State *L, pending *p, int box_idx)
{
    if (box_idx) box_idx = lua_absindex(L, box_idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_inflight_key);
    lua_pushlightuserdata(L, p);
    if (box_idx) lua_pushvalue(L, box_idx);
    else lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* ------------------------------------------------------------ submitting */

/* Starts `call` without waiting. Returns 0 with its Pending box pushed, or
 * 1 with the answer pushed (plus the next URL with want_next) when it was
 * answered without the network (dry run). Nothing else stays pushed. */
static int submit(lua_State *L, int client_idx, const lcb_call *call, int want_next)
{
    client_idx = lua_absindex(L, client_idx);
    int base = lua_gettop(L);
    lc_request req;
    if (lcb_request_encode(L, client_idx, call, want_next, &req)) {
        lcb_keep_top(L, base, want_next ? 2 : 1);
        return 1;
    }
    lcb_client *cl = lcb_check_client(L, client_idx);
    /* The box exists before the transfer, so a Lua error cannot leak it. */
    pending *p = lua_newuserdatauv(L, sizeof *p, 1);
    memset(p, 0, sizeof *p);
    luaL_setmetatable(L, PENDING_MT);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, 1);
    p->cl = cl;
    p->want_next = want_next | (call->raw ? LCB_DECODE_RAW : 0);
    snprintf(p->method, sizeof p->method, "%s", call->method);
    lc_error err;
    lc_error_init(&err);
    p->x = lc_xfer_new(cl->c, &req, &err);
    if (!p->x) lcb_raise_error(L, &err, NULL);
    lc_xfer_set_userdata(p->x, p);
    inflight_set(L, p, -1);
    lc_xfer_submit(p->x);
    lcb_keep_top(L, base, 1);
    return 0;
}

/* Pushes the Pending box of `call` started now, or nil when it was
 * answered without the network (then nothing is pending). */
static void request_start(lua_State *L, int client_idx, const lcb_call *call, int want_next)
{
    int base = lua_gettop(L);
    if (submit(L, client_idx, call, want_next)) {
        lua_settop(L, base);
        lua_pushnil(L);
    }
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
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_delivered_key);
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
    lcb_request_decode(L, p->method, &r, p->want_next);
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

/* A request outside tasks in one of a host loop's coroutines (loop.c):
 * drive, and wait through the host, until the Pending at base+1 is done. */
static int hosted_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int base = (int)ctx;
    int waited = lua_gettop(L) > base + 1 ? lua_toboolean(L, -1) : 1;
    lua_settop(L, base + 1);
    pending *p = check_pending(L, base + 1);
    while (p->x && !p->done && waited) {
        lua_getiuservalue(L, base + 1, 1);
        int finished = lcb_drive(L, lcb_check_client(L, -1), 0);
        lua_pop(L, 1);  /* the stack is exactly as the continuation expects */
        if (finished > 0) lcb_host_wake(L);
        if (p->done || !p->x) break;
        lcb_host_fn(L, "wait");
        lua_createtable(L, 1, 0);
        lua_getiuservalue(L, base + 1, 1);   /* the Pending's client */
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

/* Waits for the Pending box on top (popping it): yields inside a task,
 * through the host loop in one of its coroutines, otherwise drives the
 * engine until it is done; then continues in k. */
static int pending_wait(lua_State *L, lua_KContext ctx, lua_KFunction k)
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
    if (!lcb_in_task(L) && !lcb_hosted(L)) {
        lcb_request_perform(L, client_idx, call, want_next);
        return k(L, LUA_OK, ctx);
    }
    if (submit(L, client_idx, call, want_next)) return k(L, LUA_OK, ctx);
    return pending_wait(L, ctx, k);
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

/* ------------------------------------------------------------ cancelling */

/* Frees a transfer nobody will consume (the box stays, empty). */
static void pending_drop(pending *p)
{
    /* After the client closed, only popped transfers are still ours. */
    if (p->x && p->done) lc_xfer_free(p->x);
    else if (p->x && p->cl->c) lc_xfer_abandon(p->x);
    p->x = NULL;
}

static int pending_gc(lua_State *L)
{
    pending_drop(check_pending(L, 1));
    return 0;
}

void lcb_task_cancel_client(lua_State *L, lcb_client *cl)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_inflight_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        pending *p = lua_touserdata(L, -2);
        if (p && p->cl == cl && p->x && !p->done) {
            lc_xfer_free(p->x);
            p->x = NULL;
            /* A task may wait for it: the next poll hands it back, and
             * consuming it raises. */
            p->done = 1;
            lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_cancelled_key);
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
}

/* ------------------------------------------------------------ page loading
 *
 * A list keeps in its state table t the request it waits for (t.loading,
 * so another task finds the list busy) and the page requested ahead while
 * the current one is being consumed (t.ahead). */

int lcb_fetch_busy(lua_State *L, int t)
{
    lua_getfield(L, t, "loading");
    int busy = !lua_isnil(L, -1) && check_pending(L, -1)->x != NULL;
    lua_pop(L, 1);
    return busy;
}

/* Waits for the box on top, marking it as what t is loading. */
static int fetch_wait(lua_State *L, int t, lua_KContext ctx, lua_KFunction k)
{
    lua_pushvalue(L, -1);
    lua_setfield(L, t, "loading");
    return pending_wait(L, ctx, k);
}

int lcb_fetch_k(lua_State *L, int t, int client_idx, const lcb_call *call, lua_KContext ctx,
                lua_KFunction k)
{
    t = lua_absindex(L, t);
    client_idx = lua_absindex(L, client_idx);
    /* A page requested ahead (always the next one): wait for it. */
    lua_getfield(L, t, "ahead");
    if (!lua_isnil(L, -1)) {
        lua_pushnil(L);
        lua_setfield(L, t, "ahead");
        pending *p = check_pending(L, -1);
        if (p->x || p->done) return fetch_wait(L, t, ctx, k);
    }
    lua_pop(L, 1);
    if (lcb_in_task(L) || lcb_hosted(L)) {
        request_start(L, client_idx, call, 1);
        if (!lua_isnil(L, -1)) return fetch_wait(L, t, ctx, k);
        lua_pop(L, 1);
    }
    return lcb_request_page_k(L, client_idx, call, ctx, k);
}

void lcb_fetch_done(lua_State *L, int t)
{
    lua_pushnil(L);
    lua_setfield(L, t, "loading");
}

void lcb_fetch_ahead(lua_State *L, int t, int client_idx, const char *url)
{
    t = lua_absindex(L, t);
    client_idx = lua_absindex(L, client_idx);
    lcb_client *cl = lua_touserdata(L, client_idx);
    if (!url || !cl->c || cl->no_prefetch || !lcb_in_task(L)) return;
    /* A next link on another origin is refused when the loop reaches it,
     * after this page's items, exactly as without prefetch. */
    if (strstr(url, "://") && !lc_client_same_origin(cl->c, url)) return;
    lcb_call call = {"GET", url, 0, 0, 0, 1};
    request_start(L, client_idx, &call, 1);
    lua_setfield(L, t, "ahead");
}

void lcb_fetch_cancel_ahead(lua_State *L, int t)
{
    t = lua_absindex(L, t);
    if (lua_getfield(L, t, "ahead") != LUA_TNIL) {
        pending *p = check_pending(L, -1);
        pending_drop(p);
        inflight_set(L, p, 0);
        lua_pushnil(L);
        lua_setfield(L, t, "ahead");
    }
    lua_pop(L, 1);
}

static int l_pending_count(lua_State *L)
{
    lua_Integer n = 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_inflight_key);
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
    weak_table(L, &lcb_inflight_key, "v");
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lcb_cancelled_key);
    static const luaL_Reg fns[] = {
        {"pending_count", l_pending_count},
        {"is_pending", l_is_pending},
        {"task_registry", l_task_registry},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
    lcb_open_loop(L);
}
