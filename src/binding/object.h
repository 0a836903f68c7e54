/* Canvas objects (lcanvas.User, lcanvas.Course, ...): userdata whose user
 * value 1 is the attribute table (the decoded JSON) and user value 2 the
 * client it talks through. One metatable per type, "lcanvas.<Type>", with a
 * method table the endpoint rows (endpoint.c) and the Lua type files
 * (lua/lcanvas/types/) fill. */
#ifndef LCB_OBJECT_H
#define LCB_OBJECT_H

#include <lua.h>
#include <lauxlib.h>

/* Pushes a new object of `type` ("User", "Course", ...) whose attributes are
 * the table at attrs_idx (taken as is, not copied) and which talks through
 * the client at client_idx. Raises InvalidResponse when attrs is no table. */
void lcb_push_resource(lua_State *L, const char *type, int attrs_idx, int client_idx);
/* The metatable for an object type (created on first use), pushed. */
void lcb_resource_metatable(lua_State *L, const char *type);
/* The metatable of any type that has a method table: "Client",
 * "PaginatedList" or an object type (created on first use), pushed. */
void lcb_type_metatable(lua_State *L, const char *type);
/* Adds C methods to an object type's method table. */
void lcb_resource_methods(lua_State *L, const char *type, const luaL_Reg *fns);
/* If idx is any lcanvas object, pushes its attribute table and returns 1. */
int  lcb_resource_attrs(lua_State *L, int idx);
/* Is the value at idx an lcanvas object? */
int  lcb_is_resource(lua_State *L, int idx);
/* Raises a type error unless idx is an lcanvas object. */
void lcb_check_resource(lua_State *L, int idx);
/* Pushes the client an object talks through (raises if not an object). */
void lcb_resource_client(lua_State *L, int idx);
/* An object type's tostring template, "{name} ({id})". */
void lcb_resource_format(lua_State *L, const char *type, const char *fmt);
/* Replaces-in-place: sets every field of the table at `fresh` on the
 * attributes of the object at `self` (every reference sees the update). */
void lcb_resource_update(lua_State *L, int self, int fresh);

void lcb_open_object(lua_State *L);

#endif
