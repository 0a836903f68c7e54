/* luaopen_lcanvas_core: composes the per-type binding files into the
 * `lcanvas.core` module. The friendlier `lcanvas` module (lua/lcanvas/
 * init.lua) is built on top of it. The order matters only where a type
 * uses another's class at open time: values first (json, errors), then the
 * client and its tasks, lists, and the object types. */
#include <lua.h>

#include "lcanvas_lua.h"
#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_json.h"
#include "lcb_list.h"
#include "lcb_log.h"
#include "lcb_task.h"
#include "lcb_upload.h"
#include "endpoint.h"
#include "lcb_request.h"
#include "object.h"

#if LUA_VERSION_NUM < 504
#error "lcanvas needs Lua 5.4 (integers, to-be-closed variables, user values)"
#endif

int luaopen_lcanvas_core(lua_State *L)
{
    lua_newtable(L);
    lcb_open_json(L);
    lcb_open_error(L);
    lcb_open_client(L);
    lcb_open_task(L);
    lcb_open_request(L);
    lcb_open_object(L);
    lcb_open_endpoint(L);
    lcb_open_list(L);
    lcb_open_upload(L);
    lcb_open_log(L);
    lua_pushliteral(L, LCANVAS_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
