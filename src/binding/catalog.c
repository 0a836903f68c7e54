/* lcanvas.CatalogUser: a user of Canvas Catalog (its own host and key).
 * The Catalog client itself (lcanvas.catalog.new, get_users, get_user,
 * create_user) and CatalogUser:edit live in lua/lcanvas/catalog.lua, on a
 * core client made with auth = "catalog"; what is a plain endpoint is a
 * row here. */
#include "lcb_objects.h"
#include "object.h"

static const lcb_endpoint catalog_user_endpoints[] = {
    {"delete", "DELETE", "users/{id}", "raw", 0, NULL,
     "Delete this Catalog user (only_orders_and_enrollments = true keeps the user)."},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

void lcb_open_catalog(lua_State *L)
{
    lcb_resource_format(L, "CatalogUser", "{user_name} ({id})");
    lcb_register_endpoints(L, "CatalogUser", catalog_user_endpoints);
}
