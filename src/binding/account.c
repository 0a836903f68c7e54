/* lcanvas.Account: account-level Users API (listing and creating users). */
#include "binding.h"

void lcb_open_account(lua_State *L)
{
    lcb_resource_format(L, "Account", "{name} ({id})");
}
