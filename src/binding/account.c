/* lcanvas.Account: account-level Users API (listing, creating and
 * self-registering users), and canvas:get_account on the client. */
#include <string.h>

#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_objects.h"
#include "lcb_request.h"
#include "lcb_task.h"
#include "object.h"

static const lcb_endpoint account_endpoints[] = {
    {"get_users", "GET", "accounts/{id}/users", "User", 1, NULL,
     "Users in this account; params search_term (3+ characters), enrollment_type, sort, order."},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

/* Raises RequiredFieldMissing naming `field` (also kept as err.field), the
 * same shape lcanvas.require_fields gives Lua callers. */
static int missing_field(lua_State *L, const char *method, const char *field)
{
    lc_error e;
    lc_error_init(&e);
    e.kind = LC_REQUIRED_FIELD_MISSING;
    lcb_push_error(L, &e);
    lua_pushfstring(L, "%s requires '%s'", method, field);
    lua_setfield(L, -2, "message");
    lua_pushstring(L, field);
    lua_setfield(L, -2, "field");
    return lua_error(L);
}

/* Is t[key] (t at idx, a table) present and not an empty string? */
static int has_field(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    int ok = !lua_isnil(L, -1) && !(lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 0);
    lua_pop(L, 1);
    return ok;
}

/* Copies the optional params table at idx (or starts an empty one) and
 * pushes the copy, so the caller's table is never modified. */
static void push_params_copy(lua_State *L, int idx)
{
    lua_newtable(L);
    if (!lua_istable(L, idx)) return;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

/* Continuations: the answer is on top, the client at stack slot ctx. */
static int finish_user(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lcb_push_resource(L, "User", -1, (int)ctx);
    return 1;
}

static int finish_account(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lcb_push_resource(L, "Account", -1, (int)ctx);
    return 1;
}

/* Stack after this: ..., client (at `slot`), params copy, path. */
static void push_account_path(lua_State *L, const char *suffix)
{
    lua_pushliteral(L, "accounts/");
    lcb_push_id_segment(L, 1, 1);
    lua_pushstring(L, suffix);
    lua_concat(L, 3);
}

/// Account:create_user(pseudonym [, params]): create a user with a login (POST accounts/:id/users); pseudonym.unique_id is required.
static int m_create_user(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    if (!has_field(L, 2, "unique_id"))
        return missing_field(L, "Account:create_user", "pseudonym.unique_id");
    lcb_resource_client(L, 1);                 /* 4 */
    push_params_copy(L, 3);                    /* 5 */
    lua_pushvalue(L, 2);
    lua_setfield(L, 5, "pseudonym");           /* the argument wins over params.pseudonym */
    push_account_path(L, "/users");            /* 6 */
    lcb_call call = {"POST", lua_tostring(L, 6), 5, 0, 0};
    return lcb_request_k(L, 4, &call, 4, finish_user);
}

/// Account:create_self_registered_user(user, pseudonym [, params]): self-register a user (POST accounts/:id/self_registration); user.name, user.terms_of_use and pseudonym.unique_id are required.
static int m_create_self_registered_user(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    lua_settop(L, 4);
    static const char *const method = "Account:create_self_registered_user";
    if (!has_field(L, 2, "name")) return missing_field(L, method, "user.name");
    if (!has_field(L, 2, "terms_of_use")) return missing_field(L, method, "user.terms_of_use");
    if (!has_field(L, 3, "unique_id")) return missing_field(L, method, "pseudonym.unique_id");
    lcb_resource_client(L, 1);                 /* 5 */
    push_params_copy(L, 4);                    /* 6 */
    lua_pushvalue(L, 2);
    lua_setfield(L, 6, "user");
    lua_pushvalue(L, 3);
    lua_setfield(L, 6, "pseudonym");
    push_account_path(L, "/self_registration"); /* 7 */
    lcb_call call = {"POST", lua_tostring(L, 7), 6, 0, 0};
    return lcb_request_k(L, 5, &call, 5, finish_user);
}

/// Client:get_account(id): the account with this id, "self", or "sis_account_id:X" (GET accounts/:id).
static int m_get_account(lua_State *L)
{
    lcb_check_client(L, 1);
    lua_settop(L, 2);
    lua_pushliteral(L, "accounts/");
    lcb_push_id_segment(L, 2, 2);
    lua_concat(L, 2);                          /* 3 */
    lcb_call call = {"GET", lua_tostring(L, 3), 0, 0, 0};
    return lcb_request_k(L, 1, &call, 1, finish_account);
}

void lcb_open_account(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"create_user", m_create_user},
        {"create_self_registered_user", m_create_self_registered_user},
        {NULL, NULL},
    };
    lcb_resource_format(L, "Account", "{name} ({id})");
    lcb_register_endpoints(L, "Account", account_endpoints);
    lcb_resource_methods(L, "Account", methods);
    /* canvas:get_account lives with the type it returns. */
    luaL_getmetatable(L, LCB_CLIENT_MT);
    lua_getfield(L, -1, "methods");
    lua_pushcfunction(L, m_get_account);
    lua_setfield(L, -2, "get_account");
    lua_pop(L, 2);
}
