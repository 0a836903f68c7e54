/* luaopen_lcanvas_core: composes the per-type binding files into the
 * `lcanvas.core` module. The friendlier `lcanvas` module (lua/lcanvas/
 * init.lua) is built on top of it. */
#include "binding.h"

int luaopen_lcanvas_core(lua_State *L)
{
    lua_newtable(L);
    lcb_open_json(L);
    lcb_open_error(L);
    lcb_open_client(L);
    lcb_open_scheduler(L);
    lcb_open_resource(L);
    lcb_open_list(L);
    lcb_open_user(L);
    lcb_open_account(L);
    lcb_open_pairing_code(L);
    lcb_open_catalog(L);
    lcb_open_upload(L);
    lua_pushliteral(L, LCANVAS_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
