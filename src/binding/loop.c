/* Host event loops: what lets lcanvas share a loop it does not own
 * (lua/lcanvas/loop/ for cqueues and luv). A Client is a pollable (one
 * descriptor, the events, a timeout, a non-blocking step), and
 * core.set_host registers the host's wait, through which requests outside
 * tasks and the scheduler's own wait go instead of blocking (task.c does
 * the waiting). */
#include <lua.h>
#include <lauxlib.h>

#include "lcb_client.h"
#include "lcb_task.h"

/* core.set_host(wait, wake [, forget]) / core.set_host(nil).
 * wait(clients, timeout_s) suspends the calling coroutine until a client's
 * descriptor is ready, the timeout passed or wake() was called, and
 * returns true; or returns false when the caller is not one of the host's
 * coroutines. forget(client) is called when a client closes, before its
 * descriptor does (the host stops polling it). */
static int l_set_host(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lcb_task_set_host(L, 0, 0, 0);
    } else {
        luaL_checktype(L, 1, LUA_TFUNCTION);
        luaL_checktype(L, 2, LUA_TFUNCTION);
        if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
        lcb_task_set_host(L, 1, 2, lua_isnoneornil(L, 3) ? 0 : 3);
    }
    return 0;
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

void lcb_open_loop(lua_State *L)
{
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
    lua_pushcfunction(L, l_set_host);
    lua_setfield(L, -2, "set_host");
}
