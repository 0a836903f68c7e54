/* The client option `verbose`: one line per request on stderr, with the
 * bodies at level 2, and the token redacted from anything printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lcb_log.h"

/* The log's state: owned by a userdata anchored in the client's field
 * table (so it lives as long as the client), read from the core's log
 * callback. The callback runs inside libcurl's machinery, so it only
 * writes to stderr and never calls Lua. */
typedef struct verbose_log {
    int level;          /* 1: one line per request, 2: with bodies */
    size_t token_len;
    char token[];       /* to redact from bodies a script may have echoed */
} verbose_log;

static char verbose_key;  /* its address keys the anchor */

static const char marker[] = "[REDACTED]";

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
        /* The core already redacted what it holds (a refreshed token too):
         * its marker is printed whole as well. */
        if (len - i >= sizeof marker - 1 && memcmp(s + i, marker, sizeof marker - 1) == 0) {
            fputs(marker, stderr);
            i += sizeof marker - 1;
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

void lcb_log_setup(lua_State *L, int fields_idx, int level, const char *token, lc_config *cfg)
{
    fields_idx = lua_absindex(L, fields_idx);
    size_t tlen = token ? strlen(token) : 0;
    verbose_log *vl = lua_newuserdatauv(L, sizeof *vl + tlen + 1, 0);
    vl->level = level;
    vl->token_len = tlen;
    if (token) memcpy(vl->token, token, tlen + 1);
    else vl->token[0] = '\0';
    lua_rawsetp(L, fields_idx, &verbose_key);
    cfg->on_log = on_log;
    cfg->log_ud = vl;
}

/* Does an encoded parameter name say its value is a secret? */
static int secret_name(const char *k, size_t n)
{
    static const char *const words[] = {"token", "secret", "password", NULL};
    for (int w = 0; words[w]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++) {
            size_t j = 0;
            while (j < wl && (k[i + j] | 0x20) == words[w][j]) j++;
            if (j == wl) return 1;
        }
    }
    return 0;
}

void lcb_log_push_redacted(lua_State *L, const lc_client *c, const char *s, size_t len, int form)
{
    size_t n = 0;
    char *clean = lc_client_redact(c, s, len, &n);
    if (!clean) luaL_error(L, "out of memory");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && clean[end] != '&') end++;
        const char *eq = form ? memchr(clean + i, '=', end - i) : NULL;
        if (eq && secret_name(clean + i, (size_t)(eq - (clean + i)))) {
            luaL_addlstring(&b, clean + i, (size_t)(eq - (clean + i)) + 1);
            luaL_addstring(&b, "[REDACTED]");
        } else {
            luaL_addlstring(&b, clean + i, end - i);
        }
        if (end < n) luaL_addchar(&b, '&');
        i = end + 1;
    }
    lc_free(clean);
    luaL_pushresult(&b);
}
