/* Canvas objects (lcanvas.User, lcanvas.Course, ...): userdata whose user
 * value 1 is the attribute table (the decoded JSON; nil while the object is
 * lazy, see object.c) and user value 2 the client it talks through. One
 * metatable per type, "lcanvas.<Type>", with a method table the endpoint
 * rows (endpoint.c) and the Lua type files (lua/lcanvas/types/) fill. */
#ifndef LCB_OBJECT_H
#define LCB_OBJECT_H

#include <stddef.h>

#include <lua.h>
#include <lauxlib.h>

enum {
    LCB_OBJ_ATTRS = 1,   /* the attribute table, nil while lazy */
    LCB_OBJ_CLIENT = 2,
    LCB_OBJ_SRC = 3,     /* a lazy object's text: the page (or answer) it is in */
    LCB_OBJ_CURSOR = 4,  /* the list loop that handed it out (paginated_list.c) */
    LCB_OBJ_NUV = 4
};

typedef struct lcb_obj {
    size_t off, len;     /* a lazy object's JSON inside its text */
    lua_Integer pos;     /* its position in the list loop that handed it out */
} lcb_obj;

/* Pushes a lazy object: metatable at mt_idx (lcb_resource_metatable), JSON
 * object text src[off..off+len) of the string at src_idx (validated JSON
 * and an object: the caller checked). */
lcb_obj *lcb_push_lazy_resource(lua_State *L, int mt_idx, int src_idx, size_t off, size_t len,
                                int client_idx);
/* Pushes the attribute table of the object at idx, building it if lazy
 * (null members in it are lcanvas.null: readers turn them into nil). */
void lcb_object_attrs(lua_State *L, int idx);
/* Pushes field `key` of the object at idx (nil when absent or null),
 * reading a lazy object in place when the field is a scalar. */
void lcb_resource_field(lua_State *L, int idx, const char *key, size_t klen);
/* Is the object at idx still lazy (no attribute table yet)? */
int  lcb_resource_is_lazy(lua_State *L, int idx);
/* Pushes a lazy object's JSON text. */
void lcb_resource_push_text(lua_State *L, int idx);

/* Pushes a new object of `type` ("User", "Course", ...) whose attributes are
 * the table at attrs_idx (taken as is, not copied) and which talks through
 * the client at client_idx. Raises InvalidResponse when attrs is no table. */
void lcb_push_resource(lua_State *L, const char *type, int attrs_idx, int client_idx);
/* The metatable for an object type (created on first use), pushed. */
void lcb_resource_metatable(lua_State *L, const char *type);
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


#endif
