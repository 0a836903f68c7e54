/* Tasks: coroutines whose requests run concurrently on the clients' curl
 * multi engines. A request made inside a task (lcb_request_k) submits a
 * transfer and yields its Pending box; the scheduler loop (lua/lcanvas/
 * tasks.lua) calls core.poll, which drives every client with transfers in
 * flight and hands back the boxes that finished, and resumes the owning
 * task with its box. The continuation then decodes the answer exactly as a
 * blocking request would. */
#include "binding.h"

#define MAX_CLIENTS 32

/* core.poll(max_wait_ms) -> array of the Pending boxes that finished. */
static int l_poll(lua_State *L)
{
    lua_Integer wait = luaL_optinteger(L, 1, 0);
    if (wait < 0) wait = 0;
    lcb_client *cls[MAX_CLIENTS];
    int n = 0;
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_INFLIGHT_KEY);
    int inflight = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, inflight)) {
        lcb_pending *p = lua_touserdata(L, -2);
        lua_pop(L, 1);
        if (!p || !p->x || p->done || !p->cl->c) continue;
        int seen = 0;
        for (int i = 0; i < n; i++) seen |= cls[i] == p->cl;
        if (!seen && n < MAX_CLIENTS) cls[n++] = p->cl;
    }
    lua_newtable(L);
    int out = lua_gettop(L);
    lua_Integer count = 0;
    /* Requests cut off by closing their client count as finished. */
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_CANCELLED_KEY);
    for (lua_Integer i = 1, nc = (lua_Integer)lua_rawlen(L, -1); i <= nc; i++) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, out, ++count);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LCB_CANCELLED_KEY);
    for (int i = 0; i < n; i++) {
        lc_client *c = cls[i]->c;
        /* Several clients share the wait: poll each briefly. */
        long w = (long)(n > 1 && wait > 5 ? 5 : wait);
        if (lc_client_run(c, w) < 0) return lcb_raise_kind(L, LC_NETWORK_ERROR, "the transfer engine failed");
        lc_xfer *x;
        while ((x = lc_client_next_done(c))) {
            lcb_pending *p = lc_xfer_userdata(x);
            if (!p) {
                lc_xfer_free(x);
                continue;
            }
            p->done = 1;
            lua_pushlightuserdata(L, p);
            lua_rawget(L, inflight);
            if (!lua_isnil(L, -1)) lua_rawseti(L, out, ++count);
            else lua_pop(L, 1);
            /* Still referenced by whoever waits or prefetched it. */
            lua_pushlightuserdata(L, p);
            lua_pushnil(L);
            lua_rawset(L, inflight);
        }
    }
    return 1;
}

/* core.pending_count() -> transfers submitted by tasks and not yet finished. */
static int l_pending_count(lua_State *L)
{
    lua_Integer n = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_INFLIGHT_KEY);
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
    lua_pushboolean(L, luaL_testudata(L, 1, LCB_PENDING_MT) != NULL);
    return 1;
}

/* core.task_registry() -> the weak table coroutine -> task that marks
 * which coroutines are tasks (requests inside them yield). */
static int l_task_registry(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_TASKS_KEY);
    return 1;
}

void lcb_open_scheduler(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_TASKS_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, LCB_TASKS_KEY);
    } else {
        lua_pop(L, 1);
    }
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LCB_CANCELLED_KEY);
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_INFLIGHT_KEY);
    if (lua_isnil(L, -1)) {
        /* Weak values: a prefetched page nobody can reach any more is
         * cancelled by its __gc instead of being sent. */
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "v");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, LCB_INFLIGHT_KEY);
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"poll", l_poll},
        {"pending_count", l_pending_count},
        {"is_pending", l_is_pending},
        {"task_registry", l_task_registry},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
