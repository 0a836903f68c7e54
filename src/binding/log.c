/* The client option `verbose`: one line per request on stderr, with the
 * bodies at level 2, and the token redacted from anything printed. Also
 * the terminal's status line (the progress line), which every other
 * output erases first and redraws after, so lines never interleave. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lcb_log.h"

/* The status line: the text drawn on stderr's current line (not ended by
 * a newline), whether it is on screen now, and whether the last output
 * left the cursor inside a line (then nothing is drawn until a newline, or
 * it would overwrite that text). One per process: there is one terminal.
 * Plain C state, so the log callback (inside libcurl, no Lua) can use it. */
static struct {
    char text[512];
    size_t width;       /* columns the last drawing covered */
    int shown;
    int partial;
} status;

static void status_blank(void)
{
    fputc('\r', stderr);
    for (size_t i = 0; i < status.width; i++) fputc(' ', stderr);
    fputc('\r', stderr);
}

static void status_paint(void)
{
    size_t len = strlen(status.text);
    fputc('\r', stderr);
    fputs(status.text, stderr);
    for (size_t i = len; i < status.width; i++) fputc(' ', stderr);
    status.width = len;
    status.shown = 1;
    fflush(stderr);
}

void lcb_status_before(void)
{
    fflush(stdout);
    if (!status.shown) return;
    status_blank();
    status.shown = 0;
    fflush(stderr);
}

void lcb_status_after(int at_line_start)
{
    status.partial = !at_line_start;
    if (at_line_start && status.text[0] && !status.shown) status_paint();
}

void lcb_status_text(const char *text)
{
    snprintf(status.text, sizeof status.text, "%s", text);
    if (!status.partial) status_paint();
}

/* core.status_draw(text [, final [, later]]): draws text as the status
 * line; final ends it with a newline (it stays as an ordinary line); later
 * only keeps the text for the next redraw (a throttled update). While the
 * cursor is inside another output's line, the text is only kept too. */
static int l_status_draw(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    int final = lua_toboolean(L, 2);
    if (len >= sizeof status.text) len = sizeof status.text - 1;
    memcpy(status.text, text, len);
    status.text[len] = '\0';
    if (status.partial || (lua_toboolean(L, 3) && !final)) {
        if (final) status.text[0] = '\0';
        return 0;
    }
    status_paint();
    if (final) {
        fputc('\n', stderr);
        fflush(stderr);
        status.text[0] = '\0';
        status.width = 0;
        status.shown = 0;
    }
    return 0;
}

/* core.status_erase(): removes the status line from the screen for good. */
static int l_status_erase(lua_State *L)
{
    (void)L;
    if (status.shown) status_blank();
    fflush(stderr);
    status.text[0] = '\0';
    status.width = 0;
    status.shown = 0;
    return 0;
}

/* core.status_before() / core.status_after(at_line_start): around any
 * other output to the terminal (the host's print and io.write guards). */
static int l_status_before(lua_State *L)
{
    (void)L;
    lcb_status_before();
    return 0;
}

static int l_status_after(lua_State *L)
{
    lcb_status_after(lua_toboolean(L, 1));
    return 0;
}

/* core.status_active(): whether a status line is drawn or waiting. */
static int l_status_active(lua_State *L)
{
    lua_pushboolean(L, status.text[0] != '\0');
    return 1;
}

void lcb_open_log(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"status_draw", l_status_draw}, {"status_erase", l_status_erase},
        {"status_before", l_status_before}, {"status_after", l_status_after},
        {"status_active", l_status_active}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}

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

/* A token character (secrets.c's rule): a secret shorter than 8 bytes is
 * hidden only where it stands as a whole token. */
static int token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' ||
           c >= 0x80;
}

static int token_at(const verbose_log *vl, const char *s, size_t len, size_t i)
{
    size_t k = vl->token_len;
    if (!k || len - i < k || memcmp(s + i, vl->token, k) != 0) return 0;
    if (k >= 8) return 1;
    return !(i > 0 && token_char((unsigned char)s[i - 1])) &&
           !(i + k < len && token_char((unsigned char)s[i + k]));
}

/* Server text reaches a terminal here: a control character (an escape
 * sequence could retitle the window, clear the screen, or forge lines) is
 * written as \xNN, line breaks as spaces. */
static void write_printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || ch == '\r') fputc(' ', stderr);
        else if (ch < 0x20 || ch == 0x7f) fprintf(stderr, "\\x%02x", ch);
        else fputc(ch, stderr);
    }
}

static void write_redacted(const verbose_log *vl, const char *s, size_t len, size_t max)
{
    size_t shown = len > max ? max : len;
    for (size_t i = 0; i < shown;) {
        /* Matched against the whole body: a token the cut would split is
         * still hidden whole, never half-printed. */
        if (token_at(vl, s, len, i)) {
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
        write_printable(s + i, 1);
        i++;
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
    lcb_status_before();
    fprintf(stderr, "lcanvas: %s ", e->method ? e->method : "?");
    write_printable(path, strlen(path));   /* a next link is the server's text */
    fputs(" -> ", stderr);
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
    lcb_status_after(1);
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
