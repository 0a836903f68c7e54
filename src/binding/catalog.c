/* lcanvas.CatalogUser: a user of Canvas Catalog (its own host and key). */
#include "binding.h"

void lcb_open_catalog(lua_State *L)
{
    lcb_resource_format(L, "CatalogUser", "{user_name} ({id})");
}
