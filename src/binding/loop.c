/* Host event loops: what lets lcanvas share a loop it does not own
 * (lua/lcanvas/loop/ for cqueues and luv). core.poll drives the clients
 * for tasks.lua's scheduler; a Client is a pollable (one descriptor, the
 * events, a timeout, a non-blocking step); and core.set_host registers
 * the host's wait, through which requests outside tasks (task.c,
 * hosted_k) and the scheduler's own wait go instead of blocking. */
#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_pending.h"

/* Outside tasks, a request made from a coroutine of a host event loop
 * (cqueues, luv: lua/lcanvas/loop/) waits through the host instead of
 * blocking: the adapter registered {wait = fn, wake = fn} with
 * core.set_host. wait(clients, timeout_s) suspends the calling coroutine
 * until a client's descriptor is ready, the timeout passed or wake() was
 * called, and returns true; or returns false when the caller is not one
 * of the host's coroutines (then we block as usual). */

/* Pushes the host's function `name`, or nothing and returns 0. */
int lcb_host_fn(lua_State *L, const char *name)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_host_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) return 1;
    lua_pop(L, 1);
    return 0;
}

int lcb_hosted(lua_State *L)
{
    if (!lua_isyieldable(L) || !lcb_host_fn(L, "wait")) return 0;
    lua_pop(L, 1);
    return 1;
}

/* Drives client `cl` without blocking (or up to
 * wait_ms) and marks the Pendings that finished as delivered: core.poll
 * hands them to the scheduler, a hosted wait finds its own done. Returns
 * how many finished. */
int lcb_drive(lua_State *L, lcb_client *cl, long wait_ms)
{
    if (!cl->c) return 0;
    int rc = wait_ms > 0 ? lc_client_run(cl->c, wait_ms) : lc_client_step(cl->c);
    if (rc < 0) return lcb_raise_kind(L, LC_NETWORK_ERROR, "the transfer engine failed");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_inflight_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_delivered_key);
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

/* Tells the host that something finished, so that every coroutine it
 * holds in wait looks again (one of them may have driven another's
 * request to completion). */
void lcb_host_wake(lua_State *L)
{
    if (lcb_host_fn(L, "wake")) lua_call(L, 0, 0);
}

/* ------------------------------------------------------------ polling */

/* Pushes a table (set) of the client userdata with transfers in flight,
 * which also keeps them alive while they are driven; returns how many. */
static int push_busy_clients(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_inflight_key);
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
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_cancelled_key);
    for (lua_Integer i = 1, nc = (lua_Integer)lua_rawlen(L, -1); i <= nc; i++) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -3, ++count);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lcb_cancelled_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_delivered_key);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -4, ++count);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lcb_delivered_key);
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
        lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_cancelled_key);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &lcb_delivered_key);
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

/* core.set_host(wait, wake) / core.set_host(nil): see "host loops". */
static int l_set_host(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_pushnil(L);
    } else {
        luaL_checktype(L, 1, LUA_TFUNCTION);
        luaL_checktype(L, 2, LUA_TFUNCTION);
        lua_createtable(L, 0, 2);
        lua_pushvalue(L, 1);
        lua_setfield(L, -2, "wait");
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "wake");
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lcb_host_key);
    return 0;
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

/* ------------------------------------------------------------ pollable
 *
 * A Client is what cqueues.poll calls a pollable, and what any loop
 * needs to drive it: one descriptor, the events, a timeout, a step. */

/// Client:pollfd(): one descriptor (epoll) readable when a socket of the client is ready; -1 where unavailable.
static int m_pollfd(lua_State *L)
{
    lua_pushinteger(L, lc_client_pollfd(lcb_check_client(L, 1)->c));
    return 1;
}

/// Client:events(): the events to wait for on Client:pollfd(), always "r".
static int m_events(lua_State *L)
{
    lcb_check_client(L, 1);
    lua_pushliteral(L, "r");
    return 1;
}

/// Client:timeout(): seconds until Client:step() is due without socket activity, or nil.
static int m_timeout(lua_State *L)
{
    long ms = lc_client_timeout_ms(lcb_check_client(L, 1)->c);
    if (ms < 0) lua_pushnil(L);
    else lua_pushnumber(L, (lua_Number)ms / 1000.0);
    return 1;
}

/// Client:step(): drives the client's transfers without blocking; returns how many finished.
static int m_step(lua_State *L)
{
    int n = lcb_drive(L, lcb_check_client(L, 1), 0);
    if (n > 0) lcb_host_wake(L);
    lua_pushinteger(L, n);
    return 1;
}

/* core.pending_count() -> transfers submitted by tasks and not yet finished. */
void lcb_open_loop(lua_State *L)
{
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lcb_delivered_key);
    static const luaL_Reg methods[] = {
        {"pollfd", m_pollfd},
        {"events", m_events},
        {"timeout", m_timeout},
        {"step", m_step},
        {NULL, NULL},
    };
    luaL_getmetatable(L, LCB_CLIENT_MT);
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);
    static const luaL_Reg fns[] = {
        {"poll", l_poll},
        {"set_host", l_set_host},
        {"busy_clients", l_busy_clients},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
