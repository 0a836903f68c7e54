/* object.h: what the Canvas object types share (resource.c): objects over
 * an attribute table, and the endpoint rows that drive one invoker. */
#ifndef LCB_OBJECT_H
#define LCB_OBJECT_H

#include <lua.h>
#include <lauxlib.h>

/* ---- resources (resource.c) */
/* Pushes a new object of `type` ("User", "Course", ...) whose attributes are
 * the table at attrs_idx (taken as is, not copied) and which talks through
 * the client at client_idx. */
void lcb_push_resource(lua_State *L, const char *type, int attrs_idx, int client_idx);
/* The metatable for a resource type (created on first use), pushed. */
void lcb_resource_metatable(lua_State *L, const char *type);
/* Adds C methods to a resource type's method table. */
void lcb_resource_methods(lua_State *L, const char *type, const luaL_Reg *fns);
/* If idx is any lcanvas resource, pushes its attribute table and returns 1. */
int  lcb_resource_attrs(lua_State *L, int idx);
/* Pushes the client a resource talks through (raises if not a resource). */
void lcb_resource_client(lua_State *L, int idx);
/* Pushes the id of a resource (or the integer or string itself) as an
 * escaped path segment. Raises a clear error naming argument `argn`. */
void lcb_push_id_segment(lua_State *L, int idx, int argn);
/* A resource type's tostring template, "{name} ({id})". */
void lcb_resource_format(lua_State *L, const char *type, const char *fmt);

/* Endpoint descriptions drive one generic invoker (resource.c). */
typedef struct lcb_endpoint {
    const char *name;     /* Lua method name */
    const char *method;   /* HTTP verb */
    const char *path;     /* "users/{id}/courses"; {id} is the receiver's id,
                             {1}, {2}... positional arguments (object or id) */
    const char *returns;  /* resource type, "dict" (plain table), "self"
                             (update the receiver), "raw" (as decoded) */
    int list;             /* returns a PaginatedList */
    const char *root;     /* list root key, or NULL */
    const char *doc;      /* one-line description for the reference */
} lcb_endpoint;
void lcb_register_endpoints(lua_State *L, const char *type, const lcb_endpoint *eps);

#endif
