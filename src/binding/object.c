/* Canvas objects (lcanvas.User, lcanvas.Course, ...): their metatables,
 * metamethods and the methods every object has.
 *
 * An object is a userdata (struct lcb_obj, see object.h): user value 1 is
 * its attribute table (the decoded JSON), 2 the client it talks through.
 * Objects read from a list page or a GET start lazy (object_lazy.c): every
 * reader here goes through lcb_object_attrs or lcb_resource_field.
 *
 * Null members are kept in the table as lcanvas.null so that an object
 * writes back what Canvas sent (json.encode), but every read turns them
 * into nil, as JSON null inside objects always reads.
 *
 * Each type has its own metatable "lcanvas.<Type>" (so __name shows in
 * errors and tostring) holding a method table that the endpoint rows
 * (endpoint.c) and the type files in lua/lcanvas/types/ fill. */
#include <string.h>

#include "lcb_class.h"
#include "lcb_error.h"
#include "lcb_json.h"
#include "object.h"
#include "timefmt.h"

#define RES_FLAG "__lcanvas_resource"

int lcb_is_resource(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return 0;
    lua_getfield(L, -1, RES_FLAG);
    int yes = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return yes;
}

int lcb_resource_attrs(lua_State *L, int idx)
{
    if (!lcb_is_resource(L, idx)) return 0;
    lcb_object_attrs(L, idx);
    return 1;
}


void lcb_check_resource(lua_State *L, int idx)
{
    if (!lcb_is_resource(L, idx))
        luaL_typeerror(L, idx, "lcanvas object");
}

void lcb_resource_client(lua_State *L, int idx)
{
    lcb_check_resource(L, idx);
    lua_getiuservalue(L, idx, 2);
}

/* ------------------------------------------------------------ metamethods */

/* Normalised id for equality: 5 and "5" name the same object. */
static int push_id_key(lua_State *L, int idx)
{
    lcb_resource_field(L, idx, "id", 2);
    if (lua_isinteger(L, -1)) {
        lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -1));
        lua_remove(L, -2);
    }
    return !lua_isnil(L, -1);
}

static int res_eq(lua_State *L)
{
    if (!lcb_is_resource(L, 1) || !lcb_is_resource(L, 2)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_getmetatable(L, 1);
    lua_getmetatable(L, 2);
    if (!lua_rawequal(L, -1, -2)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_pop(L, 2);
    int a = push_id_key(L, 1), b = push_id_key(L, 2);
    lua_pushboolean(L, a && b && lua_rawequal(L, -1, -2));
    return 1;
}

/* pairs(obj): the attributes, without the null members (they read nil). */
static int res_next(lua_State *L)
{
    lua_settop(L, 2);
    while (lua_next(L, 1)) {
        if (!lcb_is_null(L, -1)) return 2;
        lua_pop(L, 1);
    }
    return 0;
}

static int res_pairs(lua_State *L)
{
    lua_pushcfunction(L, res_next);
    lcb_object_attrs(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Pushes the attribute named by argument 2 of the object at 1: read in
 * place while the object is lazy; a JSON null reads as nil. */
static int push_attribute(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t klen;
        const char *key = lua_tolstring(L, 2, &klen);
        lcb_resource_field(L, 1, key, klen);
        return 1;
    }
    lcb_object_attrs(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (lcb_is_null(L, -1)) lua_pushnil(L);
    return 1;
}

/* obj.field: methods first, then the attribute. */
static int res_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    return push_attribute(L);
}

static int res_newindex(lua_State *L)
{
    lcb_object_attrs(L, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}

/* tostring: the type's template ("{name} ({id})"), or "Type: label (id)". */
static int res_tostring(lua_State *L)
{
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__fmt");
    const char *fmt = lua_tostring(L, -1);
    lua_getfield(L, -2, "__type");
    const char *type = lua_tostring(L, -1);
    lcb_object_attrs(L, 1);
    int attrs = lua_gettop(L);
    luaL_Buffer b;
    /* A template whose fields are missing would print "?": use the generic
     * form instead (a Folder known only by id prints "Folder (9)"). */
    for (const char *p = fmt; fmt && (p = strchr(p, '{'));) {
        const char *close = strchr(p, '}');
        if (!close) break;
        lua_pushlstring(L, p + 1, (size_t)(close - p - 1));
        int missing = lua_rawget(L, attrs) == LUA_TNIL || lcb_is_null(L, -1);
        lua_pop(L, 1);
        if (missing) fmt = NULL;
        p = close + 1;
    }
    if (fmt) {
        luaL_buffinit(L, &b);
        for (const char *p = fmt; *p;) {
            const char *open = strchr(p, '{');
            const char *close = open ? strchr(open, '}') : NULL;
            if (!close) {
                luaL_addstring(&b, p);
                break;
            }
            luaL_addlstring(&b, p, (size_t)(open - p));
            lua_pushlstring(L, open + 1, (size_t)(close - open - 1));
            lua_rawget(L, attrs);
            if (lua_isnil(L, -1) || lcb_is_null(L, -1)) {
                lua_pop(L, 1);
                lua_pushliteral(L, "?");
            }
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(&b);
            p = close + 1;
        }
        luaL_pushresult(&b);
        return 1;
    }
    static const char *const labels[] = {"name", "title", "display_name", "code", "label", NULL};
    const char *label = NULL;
    for (int i = 0; labels[i] && !label; i++) {
        lua_getfield(L, attrs, labels[i]);
        if (lua_type(L, -1) == LUA_TSTRING) label = lua_tostring(L, -1);
        else lua_pop(L, 1);
    }
    lua_getfield(L, attrs, "id");
    const char *id = lua_isnil(L, -1) || lcb_is_null(L, -1) ? NULL : luaL_tolstring(L, -1, NULL);
    if (label && id) lua_pushfstring(L, "%s: %s (%s)", type, label, id);
    else if (label) lua_pushfstring(L, "%s: %s", type, label);
    else if (id) lua_pushfstring(L, "%s (%s)", type, id);
    else lua_pushstring(L, type);
    return 1;
}

/* ------------------------------------------------------------ methods */

static void deep_copy(lua_State *L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    if (depth > 200) luaL_error(L, "to_table: nested too deeply (or a cycle)");
    luaL_checkstack(L, 4, "to_table");
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (depth == 0 && lcb_is_null(L, -1)) {  /* a null member reads as absent */
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -2);
        if (lua_type(L, -2) == LUA_TTABLE) deep_copy(L, -2, depth + 1);
        else lua_pushvalue(L, -2);
        lua_rawset(L, -5);
        lua_pop(L, 1);
    }
}

/// Object:to_table(): A deep copy of the object's attributes as a plain table.
static int m_to_table(lua_State *L)
{
    lcb_check_resource(L, 1);
    lcb_object_attrs(L, 1);
    deep_copy(L, -1, 0);
    return 1;
}

/* obj:date(field): epoch seconds (UTC) of an ISO 8601 (or Catalog) time,
 * nil when the field is absent or not a time. */
/// Object:date(field): The ISO 8601 time in attribute `field` as epoch seconds (UTC), nil when absent or not a time.
static int m_date(lua_State *L)
{
    lcb_check_resource(L, 1);
    size_t klen;
    const char *key = luaL_checklstring(L, 2, &klen);
    lcb_resource_field(L, 1, key, klen);
    double t;
    int frac;
    if (lua_type(L, -1) != LUA_TSTRING || !lc_parse_time(lua_tostring(L, -1), &t, &frac)) {
        lua_pushnil(L);
        return 1;
    }
    if (frac) lua_pushnumber(L, (lua_Number)t);
    else lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

void lcb_resource_update(lua_State *L, int self, int fresh)
{
    fresh = lua_absindex(L, fresh);
    lcb_object_attrs(L, self);
    lua_pushnil(L);
    while (lua_next(L, fresh)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
}

/// Object:typename(): The object's type name ("User", "Course", ...); named so that Canvas's many `type` attributes (Enrollment, CommunicationChannel, ...) stay plain fields.
static int m_type(lua_State *L)
{
    lcb_check_resource(L, 1);
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__type");
    return 1;
}

/* obj:get(field) on every object: the attribute itself, even where a method
 * has the same name (enrollment.type is the `type` method). */
/// Object:get(field): The attribute named `field`, even where a method has that name (enrollment:get("type")).
static int m_get(lua_State *L)
{
    lcb_check_resource(L, 1);
    luaL_checkany(L, 2);
    return push_attribute(L);
}

static const luaL_Reg common_methods[] = {
    {"to_table", m_to_table},
    {"date", m_date},
    {"typename", m_type},
    {"get", m_get},
    {NULL, NULL},
};

static const luaL_Reg object_meta[] = {
    {"__index", res_index},      /* methods first, then attributes */
    {"__newindex", res_newindex},
    {"__eq", res_eq},
    {"__pairs", res_pairs},
    {"__tostring", res_tostring},
    {NULL, NULL},
};

/* Object types are made on first use (a type a list returns may have no
 * file of its own), all by the one class helper. */
void lcb_resource_metatable(lua_State *L, const char *type)
{
    /* Runs for every object built: the name is put together on the C stack
     * (lua_pushfstring costs more than the lookup itself). */
    char buf[64];
    static const char prefix[] = "lcanvas.";
    size_t tl = strlen(type);
    const char *name = buf;
    if (tl < sizeof buf - sizeof prefix + 1) {
        memcpy(buf, prefix, sizeof prefix - 1);
        memcpy(buf + sizeof prefix - 1, type, tl + 1);
        lua_pushnil(L);  /* stands where the long name would be */
    } else {
        name = lua_pushfstring(L, "lcanvas.%s", type);
    }
    if (luaL_getmetatable(L, name) == LUA_TNIL) {
        lua_pop(L, 1);
        lcb_class(L, name, common_methods, object_meta);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, RES_FLAG);
        lua_pushstring(L, type);
        lua_setfield(L, -2, "__type");
    }
    lua_remove(L, -2);
}

void lcb_resource_methods(lua_State *L, const char *type, const luaL_Reg *fns)
{
    lcb_resource_metatable(L, type);
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 2);
}

void lcb_resource_format(lua_State *L, const char *type, const char *fmt)
{
    lcb_resource_metatable(L, type);
    lua_pushstring(L, fmt);
    lua_setfield(L, -2, "__fmt");
    lua_pop(L, 1);
}

void lcb_push_resource(lua_State *L, const char *type, int attrs_idx, int client_idx)
{
    attrs_idx = lua_absindex(L, attrs_idx);
    client_idx = lua_absindex(L, client_idx);
    if (!lua_istable(L, attrs_idx))
        lcb_raise_kind(L, LC_INVALID_RESPONSE, "expected a %s object, got %s", type,
                       luaL_typename(L, attrs_idx));
    lcb_obj *o = lua_newuserdatauv(L, sizeof *o, LCB_OBJ_NUV);
    memset(o, 0, sizeof *o);
    lua_pushvalue(L, attrs_idx);
    lua_setiuservalue(L, -2, LCB_OBJ_ATTRS);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, LCB_OBJ_CLIENT);
    lcb_resource_metatable(L, type);
    lua_setmetatable(L, -2);
}

