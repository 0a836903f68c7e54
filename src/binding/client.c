/* lcanvas.Client: a connection to one Canvas (or Catalog) origin. This file
 * is the userdata: construction from options, its state and counters, its
 * field table and hooks, close. What it sends is the invokers' business
 * (canvas:request and canvas:list are endpoint.c's, the typed methods are
 * rows); the verbose log is log.c's. */
#include <math.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_args.h"
#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_log.h"

/* The client metatable, also kept under this address in the registry: a
 * light userdata key is cheaper than luaL_checkudata's lookup by name, and
 * the check runs several times a request. */
static const char client_mt_key = 0;

/* What closing a client must also cancel (task.c registers it). */
static void (*on_close)(lua_State *, lcb_client *, int, int);

void lcb_client_on_close(void (*fn)(lua_State *, lcb_client *, int, int))
{
    on_close = fn;
}

lcb_client *lcb_check_client(lua_State *L, int idx)
{
    lcb_client *cl = lua_touserdata(L, idx);
    int ok = 0;
    if (cl && lua_getmetatable(L, idx)) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &client_mt_key);
        ok = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    if (!ok) cl = luaL_checkudata(L, idx, LCB_CLIENT_MT);  /* its error message */
    if (!cl->c) luaL_error(L, "the client is closed");
    return cl;
}

/* ------------------------------------------------------------ options */


static double opt_number(lua_State *L, int opts, const char *key, double dflt, double min)
{
    lua_getfield(L, opts, key);
    double v = dflt;
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1))
            luaL_error(L, "option '%s' must be a number (got %s)", key, luaL_typename(L, -1));
        v = (double)lua_tonumber(L, -1);
        if (!(v >= min) || !isfinite(v))
            luaL_error(L, "option '%s' must be at least %f", key, min);
    }
    lua_pop(L, 1);
    return v;
}

static int opt_bool(lua_State *L, int opts, const char *key)
{
    lua_getfield(L, opts, key);
    int b = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return b;
}

static const char *const known_opts[] = {
    "timeout", "connect_timeout", "per_page", "max_retries", "as_user_id", "allow_insecure",
    "ca_file", "user_agent", "string_ids", "backoff", "backoff_max", "rate_low_water", "auth",
    "dry_run", "verbose", "prefetch", "refresh",
    "max_response_size", "max_download_size", "max_pages", "rate_max_wait", "rate_max_remaining",
    "max_values", NULL,
};

/* The `refresh` option: {client_id=, client_secret=, refresh_token=}, all
 * required strings. The values stay referenced by the table (argument 3)
 * until the core has copied them. Messages name the field, never a value. */
static void opt_refresh(lua_State *L, int opts, lc_config *cfg)
{
    if (lua_getfield(L, opts, "refresh") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "option 'refresh' must be a table {client_id=, client_secret=, "
                      "refresh_token=} (got %s)", luaL_typename(L, -1));
    int t = lua_gettop(L);
    static const char *const fields[] = {"client_id", "client_secret", "refresh_token", NULL};
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
        int ok = 0;
        for (int i = 0; fields[i]; i++) ok |= strcmp(fields[i], k) == 0;
        if (!ok) luaL_error(L, "option 'refresh' has an unknown field '%s' (expected client_id, "
                               "client_secret, refresh_token)", k);
    }
    const char *v[3];
    for (int i = 0; fields[i]; i++) {
        lua_getfield(L, t, fields[i]);
        if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
            luaL_error(L, "option 'refresh.%s' must be a non-empty string (got %s)", fields[i],
                       lua_type(L, -1) == LUA_TSTRING ? "an empty string" : luaL_typename(L, -1));
        v[i] = lua_tostring(L, -1);
        lua_pop(L, 1);  /* still referenced by the refresh table */
    }
    lua_pop(L, 1);      /* the refresh table, still referenced by opts */
    cfg->refresh_client_id = v[0];
    cfg->refresh_client_secret = v[1];
    cfg->refresh_token = v[2];
}

lcb_client *lcb_new_client(lua_State *L)
{
    lcb_client *cl = lua_newuserdatauv(L, sizeof *cl, 1);
    memset(cl, 0, sizeof *cl);
    luaL_setmetatable(L, LCB_CLIENT_MT);
    lua_newtable(L);  /* Lua-side fields (a script's own, catalog links, hooks) */
    lua_setiuservalue(L, -2, 1);
    return cl;
}

void lcb_client_count_dry(lcb_client *cl, const char *method)
{
    static const char *const verbs[LCB_DRY_VERBS] = {"POST", "PUT", "PATCH", "DELETE"};
    for (int i = 0; i < LCB_DRY_VERBS; i++)
        if (strcmp(method, verbs[i]) == 0) cl->dry_counts[i]++;
}

/* lcanvas.new(base_url, token [, opts]); token may be nil with opts.refresh */
static int l_new(lua_State *L)
{
    const char *base = luaL_checkstring(L, 1);
    const char *token = luaL_optstring(L, 2, NULL);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = base;
    cfg.token = token;
    cfg.max_retries = -1;
    int dry_run = 0, verbose = 0;
    lua_Integer max_pages = LCB_DEFAULT_MAX_PAGES, max_values = LCB_DEFAULT_MAX_VALUES;
    if (lua_istable(L, 3)) {
        /* An unknown option is almost always a typo; say so. */
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            lua_pop(L, 1);
            const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
            int ok = 0;
            for (int i = 0; known_opts[i]; i++) ok |= strcmp(known_opts[i], k) == 0;
            if (!ok) luaL_argerror(L, 3, lua_pushfstring(L, "unknown option '%s'", k));
        }
        cfg.timeout_ms = (long)(opt_number(L, 3, "timeout", 60, 0.001) * 1000);
        cfg.connect_timeout_ms = (long)(opt_number(L, 3, "connect_timeout", 10, 0.001) * 1000);
        cfg.per_page = (int)opt_number(L, 3, "per_page", 100, 1);
        cfg.max_retries = (int)opt_number(L, 3, "max_retries", 3, 0);
        cfg.backoff_base_s = opt_number(L, 3, "backoff", 0.5, 0.0001);
        cfg.backoff_max_s = opt_number(L, 3, "backoff_max", 30, 0.0001);
        cfg.rate_low_water = opt_number(L, 3, "rate_low_water", 100, 0.0001);
        /* as_user_id: an integer id or a string ("sis_user_id:X"). The text
         * of an integer stays on the stack until the client has copied it. */
        lua_getfield(L, 3, "as_user_id");
        if (lua_isinteger(L, -1)) {
            if (lua_tointeger(L, -1) <= 0) luaL_argerror(L, 3, "option 'as_user_id' must be a positive id");
            cfg.as_user_id = lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -1));
        } else {
            lua_pop(L, 1);
            cfg.as_user_id = lcb_opt_string(L, 3, "as_user_id");
        }
        cfg.ca_file = lcb_opt_string(L, 3, "ca_file");
        cfg.user_agent = lcb_opt_string(L, 3, "user_agent");
        cfg.allow_insecure = opt_bool(L, 3, "allow_insecure");
        cfg.string_ids = opt_bool(L, 3, "string_ids");
        const char *auth = lcb_opt_string(L, 3, "auth");
        if (auth && strcmp(auth, "catalog") == 0) cfg.auth = LC_AUTH_CATALOG_TOKEN;
        else if (auth && strcmp(auth, "bearer") != 0)
            luaL_argerror(L, 3, "option 'auth' must be \"bearer\" or \"catalog\"");
        /* Limits (issue 16): each exceeded one is a LimitExceeded error. */
        cfg.max_response_size = (size_t)opt_number(L, 3, "max_response_size",
                                                   (double)LC_DEFAULT_MAX_RESPONSE, 1024);
        cfg.max_download_size = (uint64_t)opt_number(L, 3, "max_download_size",
                                                     (double)LC_DEFAULT_MAX_DOWNLOAD, 1);
        cfg.rate_max_wait = opt_number(L, 3, "rate_max_wait", 600, 0.001);
        cfg.rate_max_remaining = opt_number(L, 3, "rate_max_remaining", 1e6, 1);
        max_pages = (lua_Integer)opt_number(L, 3, "max_pages", (double)LCB_DEFAULT_MAX_PAGES, 1);
        max_values = (lua_Integer)opt_number(L, 3, "max_values", (double)LCB_DEFAULT_MAX_VALUES, 1);
        dry_run = opt_bool(L, 3, "dry_run");
        verbose = (int)opt_number(L, 3, "verbose", 0, 0);
        opt_refresh(L, 3, &cfg);
    }
    if (!token && !cfg.refresh_token)
        luaL_argerror(L, 2, "a token is required (or the 'refresh' option to get one)");
    int no_prefetch = 0;
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "prefetch");
        no_prefetch = lua_toboolean(L, -1) == 0 && !lua_isnil(L, -1);
        lua_pop(L, 1);
    }
    lcb_client *cl = lcb_new_client(L);
    cl->dry_run = dry_run;
    cl->no_prefetch = no_prefetch;
    cl->max_pages = max_pages;
    cl->max_values = max_values;
    if (verbose > 0) {
        lua_getiuservalue(L, -1, 1);
        lcb_log_setup(L, -1, verbose, token, &cfg);
        lua_pop(L, 1);
    }
    lc_error err;
    lc_error_init(&err);
    cl->c = lc_client_new(&cfg, &err);
    if (!cl->c) {
        /* Configuration mistakes are the caller's: a plain message. */
        lua_pushfstring(L, "lcanvas.new: %s", err.message ? err.message : "invalid configuration");
        lc_error_clear(&err);
        return lua_error(L);
    }
    return 1;
}

/* canvas:rate_limit() -> remaining, cost (nil before any answer had them) */
/// Client:rate_limit(): The last `X-Rate-Limit-Remaining` and `X-Request-Cost` seen (nil, nil before any).
static int m_rate_limit(lua_State *L)
{
    lcb_client *cl = lcb_check_client(L, 1);
    double rem, cost;
    lc_client_rate_limit(cl->c, &rem, &cost);
    if (isnan(rem)) lua_pushnil(L); else lua_pushnumber(L, rem);
    if (isnan(cost)) lua_pushnil(L); else lua_pushnumber(L, cost);
    return 2;
}

/// Client:stats(): Counters: `requests` sent, `retries`, `throttle_waits` and `throttle_wait_seconds` spent holding requests while the rate limit was low, `token_refreshes` (OAuth2 refreshes sent).
static int m_stats(lua_State *L)
{
    lcb_client *cl = lcb_check_client(L, 1);
    lc_stats st;
    lc_client_stats(cl->c, &st);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)st.requests);
    lua_setfield(L, -2, "requests");
    lua_pushinteger(L, (lua_Integer)st.retries);
    lua_setfield(L, -2, "retries");
    lua_pushinteger(L, (lua_Integer)st.throttle_waits);
    lua_setfield(L, -2, "throttle_waits");
    lua_pushnumber(L, st.throttle_wait_s);
    lua_setfield(L, -2, "throttle_wait_seconds");
    lua_pushinteger(L, (lua_Integer)st.token_refreshes);
    lua_setfield(L, -2, "token_refreshes");
    return 1;
}

/// Client:token_expires_at(): When the current access token expires (seconds since the epoch, as `os.time()`), as the last OAuth2 refresh said; nil before any refresh or when the token endpoint gave no `expires_in`.
static int m_token_expires_at(lua_State *L)
{
    lcb_client *cl = lcb_check_client(L, 1);
    double t = lc_client_token_expires_at(cl->c);
    if (t > 0) lua_pushnumber(L, t);
    else lua_pushnil(L);
    return 1;
}

/// Client:is_dry_run(): Whether this client was made with `dry_run = true` (writes are printed and answered with what they would send, never sent); fixed for the client's life.
static int m_is_dry_run(lua_State *L)
{
    lua_pushboolean(L, lcb_check_client(L, 1)->dry_run);
    return 1;
}

/// Client:dry_run_counts(): The writes a dry run did not send so far, by method: `{PUT = 2, DELETE = 1}` (a new table; empty when none or not a dry run).
static int m_dry_run_counts(lua_State *L)
{
    static const char *const verbs[LCB_DRY_VERBS] = {"POST", "PUT", "PATCH", "DELETE"};
    lcb_client *cl = lcb_check_client(L, 1);
    lua_createtable(L, 0, LCB_DRY_VERBS);
    for (int i = 0; i < LCB_DRY_VERBS; i++) {
        if (!cl->dry_counts[i]) continue;
        lua_pushinteger(L, cl->dry_counts[i]);
        lua_setfield(L, -2, verbs[i]);
    }
    return 1;
}

/* The client's state is behind methods; the fields these names once were
 * would read as nil (a script would take a dry run for a real one), so
 * reading or setting them says where the state went. */
static int moved_field(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TSTRING) return 0;
    const char *k = lua_tostring(L, idx);
    if (strcmp(k, "dry_run") == 0)
        return luaL_error(L, "canvas.dry_run is a method: canvas:is_dry_run() (set it with "
                             "lcanvas.new(url, token, {dry_run = true}) or lcanvas --dry-run)");
    if (strcmp(k, "dry_run_counts") == 0)
        return luaL_error(L, "canvas.dry_run_counts is a method: canvas:dry_run_counts()");
    return 0;
}

static int client_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));   /* the methods first */
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    moved_field(L, 2);
    return lcb_fields_index(L);
}

static int client_newindex(lua_State *L)
{
    moved_field(L, 2);
    return lcb_fields_newindex(L);
}

/// Client:base_url(): The normalised base URL (ending with "/").
static int m_base_url(lua_State *L)
{
    lcb_client *cl = lcb_check_client(L, 1);
    lua_pushstring(L, lc_client_base_url(cl->c));
    return 1;
}

/* ------------------------------------------------------------ hooks
 *
 * Hooks from C to Lua are registered through a method, never found by a
 * field name: they live in the field table under these keys (addresses),
 * out of reach of the script's own fields. */
static char page_hook_key;

/// Client:on_page(fn): Calls `fn(list, items, pages, done)` after each page any list of this client loads (`items` and `pages` loaded so far, `done` once the list is complete); `fn` must not yield. nil removes it. Returns the previous hook. The host's progress line uses it.
static int m_on_page(lua_State *L)
{
    lcb_check_client(L, 1);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_getiuservalue(L, 1, 1);
    lua_rawgetp(L, 3, &page_hook_key);
    lua_pushvalue(L, 2);
    lua_rawsetp(L, 3, &page_hook_key);
    return 1;
}

void lcb_client_page_hook(lua_State *L, int client_idx, int list_idx, lua_Integer items,
                          lua_Integer pages, int done)
{
    list_idx = lua_absindex(L, list_idx);
    client_idx = lua_absindex(L, client_idx);
    lua_getiuservalue(L, client_idx, 1);
    if (lua_rawgetp(L, -1, &page_hook_key) == LUA_TFUNCTION) {
        lua_pushvalue(L, list_idx);
        lua_pushinteger(L, items);
        lua_pushinteger(L, pages);
        lua_pushboolean(L, done);
        lua_call(L, 4, 0);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* One idempotent function for __gc, __close and close(). From __gc
 * (in_gc) no Lua code of a host loop runs: its own objects may already be
 * finalized (lua_close finalizes everything). */
static int close_client(lua_State *L, int in_gc)
{
    lcb_client *cl = luaL_checkudata(L, 1, LCB_CLIENT_MT);
    if (cl->c) {
        if (on_close) on_close(L, cl, 1, in_gc);
        lc_client_free(cl->c);
        cl->c = NULL;
    }
    return 0;
}

/// Client:close(): Releases the connections; later requests raise an error. Also run by `<close>` and the garbage collector; closing twice is harmless.
static int m_close(lua_State *L)
{
    return close_client(L, 0);
}

static int m_gc(lua_State *L)
{
    return close_client(L, 1);
}

static int m_tostring(lua_State *L)
{
    lcb_client *cl = luaL_checkudata(L, 1, LCB_CLIENT_MT);
    if (cl->c) lua_pushfstring(L, "lcanvas.Client (%s)", lc_client_base_url(cl->c));
    else lua_pushliteral(L, "lcanvas.Client (closed)");
    return 1;
}

/* core.url_origin(url) -> "scheme://host:port" or nil: the core's own
 * origin rule (lc_url_origin), so Lua code never parses URLs itself. */
static int l_url_origin(lua_State *L)
{
    char *o = lc_url_origin(luaL_checkstring(L, 1), NULL);
    if (!o) return 0;
    /* Copied out and freed before pushing (a push may raise). A DNS name
     * is at most 253 bytes, so a longer origin is no usable one. */
    char buf[512];
    size_t n = strlen(o);
    int fits = n < sizeof buf;
    if (fits) memcpy(buf, o, n);
    lc_free(o);
    if (!fits) return 0;
    lua_pushlstring(L, buf, n);
    return 1;
}

void lcb_open_client(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"rate_limit", m_rate_limit},
        {"is_dry_run", m_is_dry_run},
        {"dry_run_counts", m_dry_run_counts},
        {"stats", m_stats},
        {"token_expires_at", m_token_expires_at},
        {"base_url", m_base_url},
        {"on_page", m_on_page},
        {"close", m_close},
        {NULL, NULL},
    };
    static const luaL_Reg metamethods[] = {
        {"__index", client_index},
        {"__newindex", client_newindex},
        {"__gc", m_gc},
        {"__close", m_close},
        {"__tostring", m_tostring},
        {NULL, NULL},
    };
    lcb_class(L, LCB_CLIENT_MT, methods, metamethods);
    luaL_getmetatable(L, LCB_CLIENT_MT);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &client_mt_key);
    lua_pop(L, 1);
    lua_pushcfunction(L, l_new);
    lua_setfield(L, -2, "new");
    lua_pushcfunction(L, l_url_origin);
    lua_setfield(L, -2, "url_origin");
}
