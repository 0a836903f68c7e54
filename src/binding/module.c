/* luaopen_lcanvas_core: composes the binding's files into the
 * `lcanvas.core` module, bottom layer first: values (JSON, errors, the
 * log), the client, the request path and waiting (request, task, loop),
 * the type registry, lists, and the invokers (endpoint, rows). A file adds
 * methods to a class made by a file opened before it. The friendlier
 * `lcanvas` module (lua/lcanvas/init.lua) is built on top. */
#include <lua.h>

#include "lcanvas_lua.h"
#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_json.h"
#include "lcb_list_state.h"
#include "lcb_log.h"
#include "lcb_task.h"
#include "lcb_transfer.h"
#include "endpoint.h"
#include "lcb_args.h"
#include "lcb_request.h"
#include "lcb_types.h"

#if LUA_VERSION_NUM < 504
#error "lcanvas needs Lua 5.4 (integers, to-be-closed variables, user values)"
#endif

int luaopen_lcanvas_core(lua_State *L)
{
    lua_newtable(L);
    lcb_open_json(L);
    lcb_open_json_out(L);
    lcb_open_error(L);
    lcb_open_log(L);
    lcb_open_client(L);
    lcb_open_request(L);
    lcb_open_task(L);
    lcb_open_loop(L);
    lcb_open_types(L);
    lcb_open_args(L);
    lcb_open_list(L);
    lcb_open_list_loops(L);
    lcb_open_endpoint(L);
    lcb_open_transfer(L);
    lua_pushliteral(L, LCANVAS_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
