/* luaopen_lcanvas_core: composes the per-type binding files into the
 * `lcanvas.core` module. The friendlier `lcanvas` module (lua/lcanvas/
 * init.lua) is built on top of it. */
#include "binding.h"
#include "endpoint.h"
#include "object.h"

int luaopen_lcanvas_core(lua_State *L)
{
    lua_newtable(L);
    lcb_open_json(L);
    lcb_open_error(L);
    lcb_open_client(L);
    lcb_open_scheduler(L);
    lcb_open_object(L);
    lcb_open_endpoint(L);
    lcb_open_list(L);
    lcb_open_upload(L);
    lua_pushliteral(L, LCANVAS_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
