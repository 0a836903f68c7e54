/* lcb_objects.h: the openers of the Canvas object types, one per file
 * (resource.c, user.c, account.c, pairing_code.c, catalog.c), composed by
 * module.c. What the types share is declared in object.h. */
#ifndef LCB_OBJECTS_H
#define LCB_OBJECTS_H

#include <lua.h>

void lcb_open_resource(lua_State *L);
void lcb_open_user(lua_State *L);
void lcb_open_account(lua_State *L);
void lcb_open_pairing_code(lua_State *L);
void lcb_open_catalog(lua_State *L);

#endif
