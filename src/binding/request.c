#define _POSIX_C_SOURCE 200809L
/* The one request path: every request the binding makes is encoded here
 * from its lcb_call, meets the dry-run intercept here, and has its answer
 * decoded into Lua values or a typed error here. Sending it blocking is
 * lcb_request_perform; submitting it from a task is task.c's (it uses
 * lcb_request_encode and lcb_request_decode from this file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_class.h"
#include "lcb_client.h"
#include "lcb_error.h"
#include "lcb_json.h"
#include "lcb_log.h"
#include "lcb_request.h"
#include "json.h"

/* A download's sink (see "sinks" below). */
typedef struct lcb_sink {
    FILE *f;
    lc_xfer *x;              /* the transfer feeding it, while it runs */
    lua_Integer bytes, max;
    int64_t total;           /* the size announced, once known (-1: not yet) */
    int err;                 /* errno of a failed write */
    double drawn;            /* when the status line was last drawn */
    char label[96];          /* "" : no status line */
} lcb_sink;

static int sink_write(void *ud, const char *data, size_t len);

void lcb_keep_top(lua_State *L, int base, int n)
{
    int top = lua_gettop(L);
    if (top - n == base) return;
    for (int i = 0; i < n; i++) lua_copy(L, top - n + 1 + i, base + 1 + i);
    lua_settop(L, base + n);
}

/* A dry run's stand-in for Canvas's answer: what was sent, so a script's
 * next line sees the data it would have seen (set_custom_data's `data`, a
 * created object's fields). The fields inside a Rails envelope such as
 * {user = {name = ...}} are also lifted to the top, as Canvas answers with
 * the object itself; a field sent at the top wins. Marked dry_run = true. */
static void push_dry_answer(lua_State *L, int params)
{
    lua_newtable(L);
    int ans = lua_gettop(L);
    if (params) {
        params = lua_absindex(L, params);
        lua_pushnil(L);
        while (lua_next(L, params)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, ans);
        }
        lua_pushnil(L);
        while (lua_next(L, params)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1) && lua_rawlen(L, -1) == 0) {
                int env = lua_gettop(L);
                lua_pushnil(L);
                while (lua_next(L, env)) {
                    lua_pushvalue(L, -2);
                    if (lua_type(L, -1) == LUA_TSTRING && lua_rawget(L, ans) == LUA_TNIL) {
                        lua_pop(L, 1);
                        lua_pushvalue(L, -2);
                        lua_insert(L, -2);
                        lua_rawset(L, ans);
                    } else {
                        lua_pop(L, 2);
                    }
                }
            }
            lua_pop(L, 1);
        }
    }
    lua_pushboolean(L, 1);
    lua_setfield(L, ans, "dry_run");
}

/* The `dry_run` option: a POST, PUT, PATCH or DELETE is printed on stderr
 * (as the request would encode it) instead of sent, counted
 * (Client:dry_run_counts()), and answered with the stand-in above.
 * Reads go through so scripts still see real data. Returns 1 with the
 * answer pushed, or 0 (nothing pushed) when the call must be sent. */
static int dry_run(lua_State *L, lcb_client *cl, int client_idx, const lcb_call *call)
{
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
        size_t elen;
        const char *raw = lua_tolstring(L, -1, &elen);
        lcb_log_push_redacted(L, cl->c, raw, elen, !call->json_body);
        encoded = lua_tostring(L, -1);
    }
    lcb_status_before();  /* never inside the progress line */
    fprintf(stderr, "DRY-RUN %s %s%s%s", call->method, path, encoded && *encoded ? " " : "",
            encoded ? encoded : "");
    if (call->body)
        fprintf(stderr, " (a %s body of %zu bytes)", call->content_type, call->body_len);
    if (call->upload_file) {
        /* A multipart upload: its fields and the file it would stream. */
        fputs(" (multipart:", stderr);
        for (const char *const *f = call->form; f && f[0]; f += 2) fprintf(stderr, " %s=%s", f[0], f[1]);
        fprintf(stderr, " %s=<%s>)", call->upload_field ? call->upload_field : "file",
                call->upload_name ? call->upload_name : call->upload_file);
    }
    fputc('\n', stderr);
    fflush(stderr);
    lcb_status_after(1);
    lcb_client_count_dry(cl, call->method);
    lua_settop(L, top);
    push_dry_answer(L, call->params);
    return 1;
}

/* A caller's relative path with a byte no URL may hold (a space, ...) is
 * a usage error, raised before anything is sent (or printed by a dry run):
 * lc_path_check says which byte and what the escaped path would be. */
static void check_path(lua_State *L, const char *path)
{
    if (strstr(path, "://")) return;   /* absolute: the server's own links */
    lc_error err;
    lc_error_init(&err);
    if (lc_path_check(path, &err)) return;
    lua_pushfstring(L, "lcanvas: %s", err.message ? err.message : "bad path");
    lc_error_clear(&err);
    lua_error(L);
}

int lcb_request_encode(lua_State *L, int client_idx, const lcb_call *call, int want_next,
                       lc_request *req)
{
    client_idx = lua_absindex(L, client_idx);
    check_path(L, call->path);
    if (dry_run(L, lcb_check_client(L, client_idx), client_idx, call)) {  /* nothing is sent */
        if (want_next) lua_pushnil(L);
        return 1;
    }
    int params = call->params ? lua_absindex(L, call->params) : 0;
    int is_get = strcmp(call->method, "GET") == 0;

    /* Encode into Lua strings first: any Lua error happens before C owns
     * memory that a longjmp would leak. */
    int query_idx = 0, body_idx = 0;
    if (params) {
        if (call->json_body && !is_get && !call->body) lcb_push_json_encoded(L, params, "params");
        else lcb_push_params(L, params);
        if (is_get || call->body) query_idx = lua_gettop(L);
        else body_idx = lua_gettop(L);
    }
    size_t body_len = 0;
    memset(req, 0, sizeof *req);
    req->method = call->method;
    req->path = call->path;
    req->query = query_idx ? lua_tostring(L, query_idx) : NULL;
    req->body = body_idx ? lua_tolstring(L, body_idx, &body_len) : NULL;
    req->body_len = body_len;
    req->content_type = call->json_body ? "application/json" : NULL;
    if (call->body) {
        req->body = call->body;
        req->body_len = call->body_len;
        req->content_type = call->content_type;
    }
    req->is_list = call->is_list;
    req->delay_ms = call->delay_ms;
    req->keep_3xx = call->answer_raw;
    req->raw_url = call->no_token;
    req->no_retry = call->no_token;
    req->form_fields = call->form;
    req->upload_file = call->upload_file;
    req->upload_field = call->upload_field;
    req->upload_name = call->upload_name;
    req->upload_type = call->upload_type;
    if (call->sink_ud) {
        lcb_sink *sk = lua_touserdata(L, call->sink_ud);
        req->sink = sink_write;
        req->sink_ud = sk;
        req->max_download_size = (uint64_t)sk->max;
    }
    return 0;
}

/* Pushes the body as a string once lc_json_validate found it valid JSON
 * with at most max_values values (objects and list pages are read in
 * place, span.c); the parser's code with a message pushed otherwise. */
static int push_validated(lua_State *L, const char *text, size_t len, size_t max_values)
{
    char msg[160];
    size_t off = lc_json_skip_prefix(text, len);
    int rc = lc_json_validate_max(text + off, len - off, max_values, msg, sizeof msg);
    if (rc != LC_JSON_OK) {
        lua_pushstring(L, msg);
        return rc;
    }
    lua_pushlstring(L, text + off, len - off);
    return LC_JSON_OK;
}

/* An answer as it came, for transfers that are not API calls. */
static void push_answer(lua_State *L, lc_response *resp)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, resp->status);
    lua_setfield(L, -2, "status");
    lua_createtable(L, 0, (int)resp->nheaders);
    for (size_t i = 0; i < resp->nheaders; i++) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (const char *p = resp->headers[i].name; *p; p++)
            luaL_addchar(&b, (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p));
        luaL_pushresult(&b);
        lua_pushstring(L, resp->headers[i].value);
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "headers");
    if (resp->body) {
        lua_pushlstring(L, resp->body, resp->body_len);
        lua_setfield(L, -2, "body");
    }
}

void lcb_request_decode(lua_State *L, const char *method, lc_response *resp, int want_next,
                        size_t max_values)
{
    int rc = LC_JSON_OK;
    if (want_next & LCB_DECODE_ANSWER) {
        push_answer(L, resp);
        return;
    }
    int raw = want_next & LCB_DECODE_RAW;
    want_next &= ~LCB_DECODE_RAW;
    if (resp->body_len == 0 || lc_json_skip_prefix(resp->body, resp->body_len) == resp->body_len) {
        lua_pushnil(L);
    } else if ((rc = raw ? push_validated(L, resp->body, resp->body_len, max_values)
                         : lcb_push_json_max(L, resp->body, resp->body_len, 0, max_values))
               != LC_JSON_OK) {
        /* A 2xx we cannot read: say what arrived, typed, with the body. A
         * body of more values than max_values is a limit, as its bytes are
         * (a page of "{}," costs far more decoded than on the wire). */
        lc_error err;
        lc_error_init(&err);
        if (rc == LC_JSON_TOO_MANY) {
            lc_error_set(&err, LC_LIMIT_EXCEEDED, "the answer has more than max_values (%zu) "
                         "JSON values", max_values);
            err.limit = "max_values";
        } else {
            lc_error_set(&err, LC_INVALID_RESPONSE, "the answer is not valid JSON (%s)",
                         lua_tostring(L, -1));
        }
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

void lcb_request_perform(lua_State *L, int client_idx, const lcb_call *call, int want_next)
{
    client_idx = lua_absindex(L, client_idx);
    int base = lua_gettop(L);
    lc_request req;
    if (lcb_request_encode(L, client_idx, call, want_next, &req)) return;
    /* lcb_request_encode checked the type; the parameters' encoding may
     * have run Lua (a __tostring) that closed the client. */
    lcb_client *cl = lua_touserdata(L, client_idx);
    if (!cl->c) luaL_error(L, "the client is closed");
    lc_error err;
    lc_error_init(&err);
    lc_response resp;
    if (lc_perform(cl->c, &req, &resp, &err) != 0) lcb_raise_error(L, &err, &resp);
    lcb_request_decode(L, call->method, &resp, want_next | (call->raw ? LCB_DECODE_RAW : 0) |
                       (call->answer_raw ? LCB_DECODE_ANSWER : 0), (size_t)cl->max_values);
    lc_response_clear(&resp);
    lcb_keep_top(L, base, want_next ? 2 : 1);
}

/* ------------------------------------------------------------ sinks
 *
 * A download's destination: libcurl hands the body to sink_write inside
 * its own machinery, so nothing there touches Lua. The FILE* belongs to a
 * Lua file handle (an lcanvas.outfile's temporary file) that the sink
 * keeps alive as its user value; the box of the transfer keeps the sink. */

#define SINK_MT "lcanvas.Sink"

static double sink_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sink_progress(lcb_sink *sk, int force)
{
    double now = sink_clock();
    if (!force && now - sk->drawn < 0.1) return;   /* a terminal needs ten a second at most */
    sk->drawn = now;
    char text[256];
    if (sk->x && sk->total < 0) sk->total = lc_xfer_expected_size(sk->x);
    int64_t total = sk->total;
    if (total > 0)
        snprintf(text, sizeof text, "%s %.1f of %.1f MB (%d%%)", sk->label, (double)sk->bytes / 1e6,
                 (double)total / 1e6, (int)((double)sk->bytes * 100.0 / (double)total));
    else
        snprintf(text, sizeof text, "%s %.1f MB", sk->label, (double)sk->bytes / 1e6);
    lcb_status_text(text);
}

static int sink_write(void *ud, const char *data, size_t len)
{
    lcb_sink *sk = ud;
    if (fwrite(data, 1, len, sk->f) != len) {
        sk->err = errno ? errno : EIO;
        return -1;
    }
    sk->bytes += (lua_Integer)len;
    if (sk->label[0]) sink_progress(sk, 0);
    return 0;
}

void lcb_push_sink(lua_State *L, int file_idx, const char *label, lua_Integer max_size)
{
    file_idx = lua_absindex(L, file_idx);
    luaL_Stream *fh = luaL_checkudata(L, file_idx, LUA_FILEHANDLE);
    if (!fh->closef) luaL_argerror(L, file_idx, "attempt to use a closed file");
    lcb_sink *sk = lua_newuserdatauv(L, sizeof *sk, 1);
    memset(sk, 0, sizeof *sk);
    sk->f = fh->f;
    sk->total = -1;
    /* A fresh file (nothing written yet) gets a large buffer: a big
     * download then costs a write(2) a quarter MiB, not one per 8 KiB. */
    if (ftell(sk->f) == 0) setvbuf(sk->f, NULL, _IOFBF, 256 * 1024);
    sk->max = max_size > 0 ? max_size : 0;
    if (label) snprintf(sk->label, sizeof sk->label, "%s", label);
    luaL_setmetatable(L, SINK_MT);
    lua_pushvalue(L, file_idx);
    lua_setiuservalue(L, -2, 1);
}

void lcb_request_sink_attach(lua_State *L, int idx, lc_xfer *x)
{
    lcb_sink *sk = luaL_checkudata(L, idx, SINK_MT);
    sk->x = x;
}

lua_Integer lcb_sink_bytes(lua_State *L, int idx)
{
    return ((lcb_sink *)luaL_checkudata(L, idx, SINK_MT))->bytes;
}

const char *lcb_sink_error(lua_State *L, int idx)
{
    lcb_sink *sk = luaL_checkudata(L, idx, SINK_MT);
    return sk->err ? strerror(sk->err) : NULL;
}

/* The transfer is gone (consumed or freed): the sink must not ask it. */
void lcb_sink_detach(lua_State *L, int idx)
{
    lcb_sink *sk = luaL_testudata(L, idx, SINK_MT);
    if (sk) {
        /* The last count, once bytes came (a redirect step brings none). */
        if (sk->label[0] && sk->bytes > 0) sink_progress(sk, 1);
        sk->x = NULL;
    }
}

int lcb_request_page_items(lua_State *L, int body, int next_idx, const char *root,
                           const char *path)
{
    body = lua_absindex(L, body);
    next_idx = lua_absindex(L, next_idx);
    int items = body;
    if (root && lua_istable(L, body)) {
        lua_pushstring(L, root);
        lua_rawget(L, body);
        items = lua_gettop(L);
    }
    /* meta.pagination.next when there was no Link header. */
    if (lua_istable(L, body) && lua_isnil(L, next_idx)) {
        lua_getfield(L, body, "meta");
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "pagination");
            if (lua_istable(L, -1)) {
                lua_getfield(L, -1, "next");
                if (lua_type(L, -1) == LUA_TSTRING) lua_replace(L, next_idx);
                else lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (lua_isnil(L, items)) {
        /* 204 or an empty body: an empty page. */
        lua_newtable(L);
        items = lua_gettop(L);
    }
    /* An object where a list belongs (a non-empty table with no items). */
    int not_list = !lua_istable(L, items);
    if (!not_list && lua_rawlen(L, items) == 0) {
        lua_pushnil(L);
        if (lua_next(L, items)) {
            lua_pop(L, 2);
            not_list = 1;
        }
    }
    if (not_list) {
        if (root)
            lcb_raise_kind(L, LC_INVALID_RESPONSE,
                           "expected a list under the key '%s' in the answer to GET %s", root, path);
        lcb_raise_kind(L, LC_INVALID_RESPONSE, "expected a JSON array in the answer to GET %s", path);
    }
    return items;
}

/* ------------------------------------------------------------ encoders */

/* core.encode_segment(s) (lcanvas.encode_segment): one path segment percent-encoded as requests send ids ("sis_user_id:CS/101.1" gives "sis_user_id:CS%2F101%2E1"). */
static int l_encode_segment(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char *e = lc_encode_segment(s, len);
    if (!e) return luaL_error(L, "out of memory");
    lua_pushstring(L, e);
    lc_free(e);
    return 1;
}

/* core.encode_path(path) (lcanvas.encode_path): each '/'-separated segment of path encoded as by encode_segment ("users/a b" gives "users/a%20b"). */
static int l_encode_path(lua_State *L)
{
    const char *s = luaL_checkstring(L, 1);
    char *e = lc_encode_path(s);
    if (!e) return luaL_error(L, "out of memory");
    lua_pushstring(L, e);
    lc_free(e);
    return 1;
}

void lcb_open_request(lua_State *L)
{
    lcb_class(L, SINK_MT, NULL, NULL);
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"encode_segment", l_encode_segment},
        {"encode_path", l_encode_path},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
