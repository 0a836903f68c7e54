#define _POSIX_C_SOURCE 200809L
/* lcanvas.Client: a connection to one Canvas (or Catalog) origin, and the
 * one request path every binding goes through. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "json.h"
#include "params.h"

lcb_client *lcb_check_client(lua_State *L, int idx)
{
    lcb_client *cl = luaL_checkudata(L, idx, LCB_CLIENT_MT);
    if (!cl->c) luaL_error(L, "the client is closed");
    return cl;
}

/* ------------------------------------------------------------ options */

static const char *opt_string(lua_State *L, int opts, const char *key)
{
    lua_getfield(L, opts, key);
    const char *s = NULL;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "option '%s' must be a string (got %s)", key, luaL_typename(L, -1));
        s = lua_tostring(L, -1);
    }
    lua_pop(L, 1);  /* still referenced by the opts table */
    return s;
}

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
    NULL,
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

/* ------------------------------------------------------------ verbose log */

/* State of the `verbose` option: owned by a userdata anchored in the
 * client's field table (so it lives as long as the client), read from the
 * core's log callback. The callback runs inside libcurl's machinery, so it
 * only writes to stderr and never calls Lua. */
typedef struct verbose_log {
    int level;          /* 1: one line per request, 2: with bodies */
    size_t token_len;
    char token[];       /* to redact from bodies a script may have echoed */
} verbose_log;

static int verbose_key;  /* its address keys the anchor in the field table */

static void write_redacted(const verbose_log *vl, const char *s, size_t len, size_t max)
{
    size_t shown = len > max ? max : len;
    for (size_t i = 0; i < shown;) {
        /* Matched against the whole body: a token the cut would split is
         * still hidden whole, never half-printed. */
        if (vl->token_len >= 8 && len - i >= vl->token_len &&
            memcmp(s + i, vl->token, vl->token_len) == 0) {
            fputs("[REDACTED]", stderr);
            i += vl->token_len;
            continue;
        }
        char ch = s[i++];
        fputc(ch == '\n' || ch == '\r' ? ' ' : ch, stderr);
    }
    if (len > max) fprintf(stderr, "... (%zu bytes)", len);
}

static void on_log(void *ud, const lc_log_entry *e)
{
    const verbose_log *vl = ud;
    /* The path and query only: the origin is the same for every line. */
    const char *path = e->url ? e->url : "?";
    const char *scheme = strstr(path, "://");
    if (scheme) {
        const char *slash = strchr(scheme + 3, '/');
        path = slash ? slash : "/";
    }
    fprintf(stderr, "lcanvas: %s %s -> ", e->method ? e->method : "?", path);
    if (e->status) fprintf(stderr, "%ld", e->status);
    else fprintf(stderr, "%s", lc_kind_name(e->kind));
    fprintf(stderr, " (%.0f ms", e->elapsed_ms);
    if (!isnan(e->rate_remaining)) fprintf(stderr, ", rate limit remaining %.1f", e->rate_remaining);
    if (e->attempt) fprintf(stderr, ", retry %d", e->attempt);
    fputs(")\n", stderr);
    if (vl->level >= 2) {
        if (e->request_body_len) {
            fputs("lcanvas:   > ", stderr);
            write_redacted(vl, e->request_body, e->request_body_len, 500);
            fputc('\n', stderr);
        }
        if (e->response_body_len) {
            fputs("lcanvas:   < ", stderr);
            write_redacted(vl, e->response_body, e->response_body_len, 500);
            fputc('\n', stderr);
        }
    }
    fflush(stderr);
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
            cfg.as_user_id = opt_string(L, 3, "as_user_id");
        }
        cfg.ca_file = opt_string(L, 3, "ca_file");
        cfg.user_agent = opt_string(L, 3, "user_agent");
        cfg.allow_insecure = opt_bool(L, 3, "allow_insecure");
        cfg.string_ids = opt_bool(L, 3, "string_ids");
        const char *auth = opt_string(L, 3, "auth");
        if (auth && strcmp(auth, "catalog") == 0) cfg.auth = LC_AUTH_CATALOG_TOKEN;
        else if (auth && strcmp(auth, "bearer") != 0)
            luaL_argerror(L, 3, "option 'auth' must be \"bearer\" or \"catalog\"");
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
    lcb_client *cl = lua_newuserdatauv(L, sizeof *cl, 1);
    cl->c = NULL;
    cl->dry_run = dry_run;
    cl->no_prefetch = no_prefetch;
    luaL_setmetatable(L, LCB_CLIENT_MT);
    lua_newtable(L);  /* Lua-side fields (e.g. dry_run flags, catalog links) */
    lua_pushboolean(L, dry_run);
    lua_setfield(L, -2, "dry_run");
    if (verbose > 0) {
        size_t tlen = token ? strlen(token) : 0;
        verbose_log *vl = lua_newuserdatauv(L, sizeof *vl + tlen + 1, 0);
        vl->level = verbose;
        vl->token_len = tlen;
        if (token) memcpy(vl->token, token, tlen + 1);
        else vl->token[0] = '\0';
        lua_rawsetp(L, -2, &verbose_key);
        cfg.on_log = on_log;
        cfg.log_ud = vl;
    }
    lua_setiuservalue(L, -2, 1);
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

/* ------------------------------------------------------------ requests
 *
 * One entry (request_begin) builds every request from its lcb_call; one
 * function (decode_answer) turns every answer into Lua values or a typed
 * error. Outside tasks a request blocks as it always did; inside a task
 * (a coroutine run by the scheduler) lcb_request_k submits a transfer and
 * yields a Pending box to the scheduler, which resumes the task with it
 * once the engine finished the transfer. */

/* The `dry_run` option: a POST, PUT, PATCH or DELETE is printed on stderr
 * (as the request would encode it) instead of sent, counted in the
 * client's `dry_run_counts` field, and answered with {dry_run = true}.
 * Reads go through so scripts still see real data. */
int lcb_dry_run(lua_State *L, int client_idx, const lcb_call *call)
{
    client_idx = lua_absindex(L, client_idx);
    lcb_client *cl = lcb_check_client(L, client_idx);
    if (!cl->dry_run || strcmp(call->method, "GET") == 0) return 0;
    int top = lua_gettop(L);
    const char *path = call->path;
    if (!strstr(path, "://")) {
        lua_pushfstring(L, "%s%s", lc_client_api_url(cl->c), path);
        path = lua_tostring(L, -1);
    }
    const char *scheme = strstr(path, "://");
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (slash) path = slash;
    const char *encoded = NULL;
    if (call->params) {
        if (call->json_body) lcb_push_json_encoded(L, call->params, "params");
        else lcb_push_params(L, call->params);
        encoded = lua_tostring(L, -1);
    }
    fprintf(stderr, "DRY-RUN %s %s%s%s\n", call->method, path, encoded && *encoded ? " " : "",
            encoded ? encoded : "");
    fflush(stderr);
    lua_getiuservalue(L, client_idx, 1);
    if (lua_getfield(L, -1, "dry_run_counts") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "dry_run_counts");
    }
    lua_getfield(L, -1, call->method);
    lua_Integer n = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    lua_pushinteger(L, n);
    lua_setfield(L, -2, call->method);
    lua_settop(L, top);
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "dry_run");
    return 1;
}

/* Moves the n values on top to base+1.. and drops everything between. */
static void keep_top(lua_State *L, int base, int n)
{
    int top = lua_gettop(L);
    if (top - n == base) return;
    for (int i = 0; i < n; i++) lua_copy(L, top - n + 1 + i, base + 1 + i);
    lua_settop(L, base + n);
}

/* Pushes the decoded body of a 2xx answer (nil when empty) and, with
 * want_next, the rel="next" URL or nil. Raises InvalidResponse (clearing
 * `resp`) when the body is not JSON. */
static void decode_answer(lua_State *L, const char *method, lc_response *resp, int want_next)
{
    if (resp->body_len == 0 || lc_json_skip_prefix(resp->body, resp->body_len) == resp->body_len) {
        lua_pushnil(L);
    } else if (!lcb_push_json(L, resp->body, resp->body_len)) {
        /* A 2xx we cannot read: say what arrived, typed, with the body. */
        lc_error err;
        lc_error_init(&err);
        lc_error_set(&err, LC_INVALID_RESPONSE, "the answer is not valid JSON (%s)",
                     lua_tostring(L, -1));
        lua_pop(L, 1);
        err.status = resp->status;
        err.method = strdup(method);
        err.url = resp->url ? strdup(resp->url) : NULL;
        err.body = resp->body;
        err.body_len = resp->body_len;
        resp->body = NULL;
        resp->body_len = 0;
        lcb_raise_error(L, &err, resp);
    }
    if (want_next) {
        char *next = lc_response_next_url(resp);
        if (next) {
            lua_pushstring(L, next);
            free(next);
        } else {
            lua_pushnil(L);
        }
    }
}

static lcb_pending *push_pending(lua_State *L, int client_idx)
{
    lcb_pending *p = lua_newuserdatauv(L, sizeof *p, 1);
    memset(p, 0, sizeof *p);
    luaL_setmetatable(L, LCB_PENDING_MT);
    lua_pushvalue(L, client_idx);
    lua_setiuservalue(L, -2, 1);
    p->cl = lua_touserdata(L, client_idx);
    return p;
}

static void inflight_set(lua_State *L, lcb_pending *p, int box_idx)
{
    if (box_idx) box_idx = lua_absindex(L, box_idx);
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_INFLIGHT_KEY);
    lua_pushlightuserdata(L, p);
    if (box_idx) lua_pushvalue(L, box_idx);
    else lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Every request starts here, blocking or yielding (lcb_request,
 * lcb_request_k, lcb_request_page_k and list prefetch all come through).
 * Returns 1 with the answer pushed (blocking: `start` is 0), or 0 with a
 * Pending box pushed (`start` set: the transfer is queued). An intercept
 * that answers without the network (dry run) goes at the very top: push the
 * simulated answer (plus a nil next URL when want_next) and return 1; both
 * paths then continue with it. The stack above the entry top holds only the
 * result when this returns. */
static int request_begin(lua_State *L, int client_idx, const lcb_call *call, int want_next,
                         lc_response *resp_out, int start)
{
    client_idx = lua_absindex(L, client_idx);
    int base = lua_gettop(L);
    if (lcb_dry_run(L, client_idx, call)) {  /* dry run: nothing sent */
        if (resp_out) lc_response_init(resp_out);
        if (want_next) lua_pushnil(L);
        return 1;
    }
    lcb_client *cl = lcb_check_client(L, client_idx);
    int params = call->params ? lua_absindex(L, call->params) : 0;
    int is_get = strcmp(call->method, "GET") == 0;

    /* Encode into Lua strings first: any Lua error happens before C owns
     * memory that a longjmp would leak. */
    int query_idx = 0, body_idx = 0;
    if (params) {
        if (call->json_body && !is_get) lcb_push_json_encoded(L, params, "params");
        else lcb_push_params(L, params);
        if (is_get) query_idx = lua_gettop(L);
        else body_idx = lua_gettop(L);
    }
    size_t body_len = 0;
    lc_request req;
    memset(&req, 0, sizeof req);
    req.method = call->method;
    req.path = call->path;
    req.query = query_idx ? lua_tostring(L, query_idx) : NULL;
    req.body = body_idx ? lua_tolstring(L, body_idx, &body_len) : NULL;
    req.body_len = body_len;
    req.content_type = call->json_body ? "application/json" : NULL;
    req.is_list = call->is_list;

    lc_error err;
    lc_error_init(&err);
    if (start) {
        /* The box exists before the transfer, so a Lua error cannot leak it. */
        lcb_pending *p = push_pending(L, client_idx);
        p->want_next = want_next;
        snprintf(p->method, sizeof p->method, "%s", call->method);
        p->x = lc_xfer_new(cl->c, &req, &err);
        if (!p->x) lcb_raise_error(L, &err, NULL);
        lc_xfer_set_userdata(p->x, p);
        inflight_set(L, p, -1);
        lc_xfer_submit(p->x);
        keep_top(L, base, 1);
        return 0;
    }
    lc_response resp;
    if (lc_perform(cl->c, &req, &resp, &err) != 0) lcb_raise_error(L, &err, &resp);
    decode_answer(L, call->method, &resp, want_next);
    if (resp_out) *resp_out = resp;
    else lc_response_clear(&resp);
    keep_top(L, base, want_next ? 2 : 1);
    return 1;
}

void lcb_request(lua_State *L, int client_idx, const lcb_call *call, lc_response *resp_out)
{
    request_begin(L, client_idx, call, 0, resp_out, 0);
}

int lcb_in_task(lua_State *L)
{
    if (!lua_isyieldable(L)) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_TASKS_KEY);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushthread(L);
    lua_rawget(L, -2);
    int yes = !lua_isnil(L, -1);
    lua_pop(L, 2);
    return yes;
}

lcb_pending *lcb_check_pending(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LCB_PENDING_MT);
}

/* Consumes the finished Pending at base+1: leaves the answer (and next URL)
 * at base+1.. or raises the transfer's error. */
static void consume(lua_State *L, int base)
{
    lcb_pending *p = lcb_check_pending(L, base + 1);
    if (!p->x) luaL_error(L, "lcanvas: this request was cancelled (its client was closed)");
    lc_response *resp, r;
    lc_error *err;
    int failed = lc_xfer_result(p->x, &resp, &err) != 0;
    /* Take what we need and free the transfer before anything can raise. */
    if (failed) lcb_push_error(L, err);
    r = *resp;
    lc_response_init(resp);
    inflight_set(L, p, 0);
    lc_xfer_free(p->x);
    p->x = NULL;
    if (failed) {
        lc_response_clear(&r);
        lua_error(L);
    }
    decode_answer(L, p->method, &r, p->want_next);
    lc_response_clear(&r);
    lua_remove(L, base + 1);
}

/* Continuation after the scheduler resumed a task with its Pending box. */
static int resume_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int base = (int)ctx;
    if (lua_gettop(L) != base + 1) luaL_error(L, "lcanvas: a task was resumed without its request");
    lcb_pending *p = lcb_check_pending(L, base + 1);
    lua_KFunction k = p->k;
    lua_KContext kctx = p->ctx;
    consume(L, base);
    return k(L, LUA_YIELD, kctx);
}

/* Drives the client's engine until the Pending's transfer finished. */
static void block_until_done(lua_State *L, lcb_pending *p)
{
    while (p->x && !p->done && !lc_xfer_done(p->x)) {
        if (!p->cl->c) break;
        if (lc_client_run(p->cl->c, 1000) < 0)
            lcb_raise_kind(L, LC_NETWORK_ERROR, "the transfer engine failed");
    }
}

int lcb_pending_wait(lua_State *L, lua_KContext ctx, lua_KFunction k)
{
    int base = lua_gettop(L) - 1;
    lcb_pending *p = lcb_check_pending(L, base + 1);
    if (p->x && !p->done && lcb_in_task(L)) {
        p->k = k;
        p->ctx = ctx;
        return lua_yieldk(L, 1, (lua_KContext)base, resume_k);
    }
    block_until_done(L, p);
    consume(L, base);
    return k(L, LUA_OK, ctx);
}

void lcb_request_start(lua_State *L, int client_idx, const lcb_call *call, int want_next)
{
    int base = lua_gettop(L);
    if (request_begin(L, client_idx, call, want_next, NULL, 1)) {
        /* Answered without the network: nothing to prefetch. */
        lua_settop(L, base);
        lua_pushnil(L);
    }
}

static int request_k(lua_State *L, int client_idx, const lcb_call *call, int want_next,
                     lua_KContext ctx, lua_KFunction k)
{
    if (!lcb_in_task(L)) {
        request_begin(L, client_idx, call, want_next, NULL, 0);
        return k(L, LUA_OK, ctx);
    }
    if (request_begin(L, client_idx, call, want_next, NULL, 1)) return k(L, LUA_OK, ctx);
    return lcb_pending_wait(L, ctx, k);
}

int lcb_request_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                  lua_KFunction k)
{
    return request_k(L, client_idx, call, 0, ctx, k);
}

int lcb_request_page_k(lua_State *L, int client_idx, const lcb_call *call, lua_KContext ctx,
                       lua_KFunction k)
{
    return request_k(L, client_idx, call, 1, ctx, k);
}

/* Pending:__gc: cancels a transfer nobody consumed. */
static int pending_gc(lua_State *L)
{
    lcb_pending *p = luaL_checkudata(L, 1, LCB_PENDING_MT);
    /* After the client closed, only popped transfers are still ours. */
    if (p->x && p->done) lc_xfer_free(p->x);
    else if (p->x && p->cl->c) lc_xfer_abandon(p->x);
    p->x = NULL;
    return 0;
}

void lcb_pending_cancel(lua_State *L, int idx)
{
    lcb_pending *p = lcb_check_pending(L, idx);
    if (p->x && p->done) lc_xfer_free(p->x);
    else if (p->x && p->cl->c) lc_xfer_abandon(p->x);
    p->x = NULL;
    inflight_set(L, p, 0);
}

/* Frees the transfers of a closing client that the engine still holds. */
static void cancel_pending(lua_State *L, lcb_client *cl)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LCB_INFLIGHT_KEY);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lcb_pending *p = lua_touserdata(L, -2);
        if (p && p->cl == cl && p->x && !p->done) {
            lc_xfer_free(p->x);
            p->x = NULL;
            /* A task may wait for it: the next poll hands it back, and
             * consuming it raises. */
            p->done = 1;
            lua_getfield(L, LUA_REGISTRYINDEX, LCB_CANCELLED_KEY);
            lua_pushvalue(L, -2);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
            lua_pop(L, 1);
            /* Clearing the current field is allowed during a traversal. */
            lua_pushvalue(L, -2);
            lua_pushnil(L);
            lua_rawset(L, -5);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int return_top(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return 1;
}

/* canvas:request(method, path [, params [, opts]]) -> decoded answer.
 * opts.json = true sends params as a JSON body. */
/// Client:request(method, path, params, opts): Any endpoint: GET/POST/PUT/PATCH/DELETE `path` (relative to /api/v1/) with params in the query (GET) or a form body; `opts.json = true` sends a JSON body. Returns the decoded answer (nil for an empty body).
static int m_request(lua_State *L)
{
    lcb_check_client(L, 1);
    const char *method = luaL_checkstring(L, 2);
    const char *path = luaL_checkstring(L, 3);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TTABLE);
    lua_settop(L, 5);
    int json = 0;
    if (lua_istable(L, 5)) {
        lua_getfield(L, 5, "json");
        json = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    luaL_Buffer mb;
    luaL_buffinit(L, &mb);
    for (const char *p = method; *p; p++)
        luaL_addchar(&mb, (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p));
    luaL_pushresult(&mb);
    const char *m = lua_tostring(L, -1);
    if (strcmp(m, "GET") && strcmp(m, "POST") && strcmp(m, "PUT") && strcmp(m, "DELETE") &&
        strcmp(m, "PATCH"))
        luaL_argerror(L, 2, "method must be GET, POST, PUT, PATCH or DELETE");
    lcb_call call = {m, path, lua_istable(L, 4) ? 4 : 0, json, 0};
    return lcb_request_k(L, 1, &call, 0, return_top);
}

/* canvas:list(path [, params [, {type=, root=, prefetch=}]]) -> PaginatedList */
/// Client:list(path, params, opts): A lazy PaginatedList of GET `path`; `opts.type` makes items objects of that type ("User"), `opts.root` names the key holding the items when the answer is an object, `opts.prefetch = false` turns prefetching off for it.
static int m_list(lua_State *L)
{
    lcb_check_client(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    lua_settop(L, 4);
    const char *type = "dict", *root = NULL;
    int no_prefetch = 0;
    if (lua_istable(L, 4)) {
        type = opt_string(L, 4, "type");
        root = opt_string(L, 4, "root");
        if (!type) type = "dict";
        lua_getfield(L, 4, "prefetch");
        no_prefetch = !lua_isnil(L, -1) && !lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lcb_push_list(L, 1, type, path, lua_istable(L, 3) ? 3 : 0, root, 0);
    if (no_prefetch) lcb_list_set_prefetch(L, -1, 0);
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

/// Client:base_url(): The normalised base URL (ending with "/").
static int m_base_url(lua_State *L)
{
    lcb_client *cl = lcb_check_client(L, 1);
    lua_pushstring(L, lc_client_base_url(cl->c));
    return 1;
}

/* One idempotent function for __gc, __close and close(). */
/// Client:close(): Releases the connections; later requests raise an error. Also run by `<close>` and the garbage collector; closing twice is harmless.
static int m_close(lua_State *L)
{
    lcb_client *cl = luaL_checkudata(L, 1, LCB_CLIENT_MT);
    if (cl->c) {
        cancel_pending(L, cl);
        lc_client_free(cl->c);
        cl->c = NULL;
    }
    return 0;
}

static int m_tostring(lua_State *L)
{
    lcb_client *cl = luaL_checkudata(L, 1, LCB_CLIENT_MT);
    if (cl->c) lua_pushfstring(L, "lcanvas.Client (%s)", lc_client_base_url(cl->c));
    else lua_pushliteral(L, "lcanvas.Client (closed)");
    return 1;
}

static int m_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1)) return 1;
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int m_newindex(lua_State *L)
{
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}

void lcb_open_client(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"request", m_request},
        {"list", m_list},
        {"rate_limit", m_rate_limit},
        {"stats", m_stats},
        {"token_expires_at", m_token_expires_at},
        {"base_url", m_base_url},
        {"close", m_close},
        {NULL, NULL},
    };
    luaL_newmetatable(L, LCB_PENDING_MT);
    lua_pushcfunction(L, pending_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, LCB_CLIENT_MT);
    luaL_newlib(L, methods);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
    lua_pushcclosure(L, m_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, m_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, m_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, m_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, m_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_new);
    lua_setfield(L, -2, "new");
}
