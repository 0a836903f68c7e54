/* lcb_class.h: one helper that makes a Lua class (class.c). */
#ifndef LCB_CLASS_H
#define LCB_CLASS_H

#include <lua.h>
#include <lauxlib.h>

/* Creates the metatable `name` in the registry (luaL_newmetatable, so
 * __name shows in tostring and error messages), or refills it when the
 * module is opened again. The `methods` go into their own table, set as
 * mt.__index and as mt.methods (the table core.methods() hands to Lua code
 * that adds methods). The `metamethods` are set on the metatable; one named
 * __index replaces the plain table and gets the method table as its
 * upvalue 1, so it can look there first. Either list may be NULL. Leaves
 * the metatable on the stack and returns 1 (the values pushed). */
int lcb_class(lua_State *L, const char *name, const luaL_Reg *methods, const luaL_Reg *metamethods);

/* __index and __newindex for a class whose instances keep their fields in a
 * table at user value 1 (Client, the Canvas objects): methods first, so a
 * field can never shadow behaviour, then the fields. Give them to lcb_class
 * as metamethods. */
int lcb_fields_index(lua_State *L);
int lcb_fields_newindex(lua_State *L);

#endif
