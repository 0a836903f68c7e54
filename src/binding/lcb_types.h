/* lcb_types.h: the type registry (types.c). */
#ifndef LCB_TYPES_H
#define LCB_TYPES_H

#include <lua.h>

/* The metatable of any type that has a method table: "Client",
 * "PaginatedList" or an object type (created on first use), pushed. */
void lcb_type_metatable(lua_State *L, const char *type);

/* Declares `type` (core.types lists it; rows may return it). */
void lcb_type_declare(lua_State *L, const char *type);

/* core.methods, format, define_type, types, type_info, object, is_object,
 * client_of, list. */
void lcb_open_types(lua_State *L);

#endif
