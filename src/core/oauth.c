/* The OAuth2 refresh state machine. The refresh is one more transfer in
 * the same multi engine (a raw URL: no Authorization header, no
 * masquerading), so tasks keep running while it is in flight and
 * lc_perform drives it like any other. Transfers that need the token wait
 * in X_AWAIT_TOKEN meanwhile; when it ends they go back to X_WAITING (new
 * token) or fail with the refresh's error. At most one refresh is in flight
 * per client, and a transfer is retried after a refresh only once.
 * Separate from engine.c because it is the one place that handles the
 * client's secrets after configuration. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_internal.h"
#include "json.h"
#include "json_internal.h"
#include "params.h"
#include "policy.h"

static int refresh_begin(lc_client *c)
{
    lc_buf form, url;
    lc_buf_init(&form);
    lc_buf_init(&url);
    /* Sized up front: a growing buffer would leave copies in freed memory. */
    lc_buf_reserve(&form, 3 * (strlen(c->rf_client_id) + strlen(c->rf_secret) + strlen(c->rf_token)) + 80);
    lc_buf_puts(&form, "grant_type=refresh_token&client_id=");
    lc_form_escape(&form, c->rf_client_id, strlen(c->rf_client_id));
    lc_buf_puts(&form, "&client_secret=");
    lc_form_escape(&form, c->rf_secret, strlen(c->rf_secret));
    lc_buf_puts(&form, "&refresh_token=");
    lc_form_escape(&form, c->rf_token, strlen(c->rf_token));
    /* On the configured origin only: c->base is it by construction. */
    lc_buf_puts(&url, c->rf_url);
    lc_xfer *x = NULL;
    if (!form.oom && !url.oom) {
        lc_request req;
        memset(&req, 0, sizeof req);
        req.method = "POST";
        req.path = url.data;
        req.body = form.data;
        req.body_len = form.len;
        req.raw_url = 1;
        req.no_retry = 1;
        lc_error err;
        lc_error_init(&err);
        x = lc_xfer_new(c, &req, &err);
        lc_error_clear(&err);
    }
    if (form.data) memset(form.data, 0, form.cap);
    lc_buf_free(&form);
    lc_buf_free(&url);
    if (!x) return 0;
    x->is_refresh = 1;
    c->refresh_x = x;
    c->stats.token_refreshes++;
    lc_xfer_submit(x);
    return 1;
}

/* Replaces every occurrence of a secret in `s` (in place) by '*', as
 * errors are scrubbed (secrets.c). Messages come from the server's answer. */
static void scrub(lc_client *c, char *s)
{
    if (s) lc_scrub_secrets(c, s, strlen(s));
}

/* Overwrites every string of a decoded token answer before it is freed: it
 * holds the new access token, which must not linger in freed memory. */
static void wipe_value(lc_value *v)
{
    if (!v) return;
    if (v->type == LC_T_STRING && v->u.str.s) {
        memset(v->u.str.s, 0, v->u.str.len);
    } else if (v->type == LC_T_ARRAY) {
        for (size_t i = 0; i < v->u.arr.n; i++) wipe_value(v->u.arr.items[i]);
    } else if (v->type == LC_T_OBJECT) {
        for (size_t i = 0; i < v->u.obj.n; i++) {
            memset(v->u.obj.m[i].key, 0, v->u.obj.m[i].klen);
            wipe_value(v->u.obj.m[i].val);
        }
    }
}

/* Fails a transfer that waited for the refresh with the refresh's error. */
static void fail_waiter(lc_client *c, lc_xfer *x)
{
    x->failed = 1;
    lc_error_set(&x->err, c->rf_fail_kind, "%s", c->rf_fail_msg ? c->rf_fail_msg : "the token refresh failed");
    x->err.status = c->rf_fail_status;
    free(x->err.body);
    x->err.body = lc_xstrdup(c->rf_fail_body);
    x->err.body_len = x->err.body ? strlen(x->err.body) : 0;
    free(x->err.method);
    free(x->err.url);
    x->err.method = lc_xstrdup("POST");
    x->err.url = lc_xstrdup(c->rf_url);
    x->resp.status = c->rf_fail_status;
    free(x->resp.url);
    x->resp.url = lc_xstrdup(x->url);
    lc_xfer_release_easy(x);
    lc_engine_finish(x);
}

int lc_oauth_token_ready(lc_client *c, lc_xfer *x, double now)
{
    if (x->raw_url || !c->rf_token) return 1;
    int stale = c->refresh_x != NULL || !c->token ||
                (!c->refresh_dead && c->token_expires > 0 && now >= c->token_expires - c->token_margin);
    if (!stale) return 1;
    if (!c->refresh_x && c->refresh_dead) {  /* no token, and the server refused to give one */
        fail_waiter(c, x);
        return 0;
    }
    if (!c->refresh_x && !refresh_begin(c)) {
        x->failed = 1;
        lc_error_set(&x->err, LC_OUT_OF_MEMORY, "could not start the token refresh");
        lc_engine_finish(x);
        return 0;
    }
    x->state = X_AWAIT_TOKEN;
    return 0;
}

int lc_oauth_after_invalid_token(lc_client *c, lc_xfer *x, double now)
{
    if (!c->rf_token || x->raw_url || x->is_refresh || x->token_retried) return -1;
    /* An expired or revoked token: refresh (once for all the transfers that
     * hit it together) and retry this request once with the new token. A
     * 401 means Canvas did nothing, so this is safe for a POST too. */
    if (!x->abandoned && !c->refresh_dead) {
        int wait = 1;
        if (x->token_gen != c->token_gen) wait = 0;  /* a newer token is already here */
        else if (!c->refresh_x && !refresh_begin(c)) wait = -1;
        if (wait >= 0) {
            x->token_retried = 1;
            x->attempt++;
            c->stats.retries++;
            x->state = wait ? X_AWAIT_TOKEN : X_WAITING;
            x->not_before = now;
            return 0;
        }
    }
    /* The token endpoint refused to refresh this very token: say so, as the
     * transfers that waited for that refresh did. */
    if (c->refresh_dead && x->token_gen == c->token_gen && c->rf_fail_msg) {
        fail_waiter(c, x);
        return 1;
    }
    return -1;
}

/* Text of a JSON string member of `v`, or NULL. */
static const char *json_str(const lc_value *v, const char *key)
{
    return lc_value_str(lc_object_get(v, key));
}

static void refresh_failed(lc_client *c, lc_kind kind, long status, const char *detail, const char *body)
{
    lc_buf b;
    lc_buf_init(&b);
    if (status)
        lc_buf_printf(&b, "refreshing the access token failed: the token endpoint answered %ld%s%s%s",
                      status, detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
    else
        lc_buf_printf(&b, "refreshing the access token failed: %s", detail ? detail : lc_kind_name(kind));
    free(c->rf_fail_msg);
    free(c->rf_fail_body);
    c->rf_fail_msg = lc_buf_detach(&b, NULL);
    c->rf_fail_body = lc_xstrdup(body);
    scrub(c, c->rf_fail_msg);
    scrub(c, c->rf_fail_body);
    c->rf_fail_kind = kind;
    c->rf_fail_status = status;
}

/* Takes the new access token `tok` (and its lifetime from the answer `v`). */
static int take_token(lc_client *c, const char *tok, const lc_value *v, double now)
{
    char *hdr = lc_make_auth_header(c->auth, tok);
    char *copy = lc_xstrdup(tok);
    if (!hdr || !copy) {
        lc_wipe_free(hdr);
        lc_wipe_free(copy);
        refresh_failed(c, LC_OUT_OF_MEMORY, 0, "out of memory", NULL);
        return 0;
    }
    lc_wipe_free(c->auth_header);
    lc_wipe_free(c->token);
    c->auth_header = hdr;
    c->token = copy;
    c->token_gen++;
    c->refresh_dead = 0;
    lc_value *ein = lc_object_get(v, "expires_in");
    double secs = !ein ? 0 : ein->type == LC_T_INT ? (double)ein->u.i
                : ein->type == LC_T_DOUBLE ? ein->u.d : 0;
    if (secs > 0 && isfinite(secs)) {
        c->token_expires = now + secs;
        c->token_expires_wall = (double)time(NULL) + secs;
        c->token_margin = lc_policy_refresh_margin(secs);
    } else {
        c->token_expires = c->token_expires_wall = c->token_margin = 0;
    }
    free(c->rf_fail_msg);
    free(c->rf_fail_body);
    c->rf_fail_msg = c->rf_fail_body = NULL;
    return 1;
}

void lc_oauth_refresh_finished(lc_client *c, lc_xfer *x)
{
    double now = lc_now_s();
    c->refresh_x = NULL;
    lc_value *v = NULL;
    const char *tok = NULL;
    int refreshed = 0;
    char errbuf[128];
    if (x->resp.body && x->resp.body_len) {
        size_t skip = lc_json_skip_prefix(x->resp.body, x->resp.body_len);
        v = lc_json_decode_secret(x->resp.body + skip, x->resp.body_len - skip, errbuf, sizeof errbuf);
    }
    if (!x->failed) tok = json_str(v, "access_token");
    if (tok && *tok && !lc_has_control_char(tok)) {
        refreshed = take_token(c, tok, v, now);
    } else if (x->failed && x->err.status) {
        /* invalid_grant (400) or invalid_client (401): the refresh token or
         * the key is no good, and asking again will not change that. */
        const char *code = json_str(v, "error"), *desc = json_str(v, "error_description");
        lc_buf d;
        lc_buf_init(&d);
        if (code) lc_buf_printf(&d, "%s%s%s", code, desc ? ": " : "", desc ? desc : "");
        else if (x->err.message) lc_buf_puts(&d, x->err.message);
        char *detail = lc_buf_detach(&d, NULL);
        if (x->err.status == 400 || x->err.status == 401) c->refresh_dead = 1;
        refresh_failed(c, LC_INVALID_ACCESS_TOKEN, x->err.status, detail && *detail ? detail : NULL,
                       x->resp.body);
        free(detail);
    } else if (x->failed) {
        /* Network trouble or a timeout: a later request may try again. */
        refresh_failed(c, x->err.kind, 0, x->err.message, NULL);
    } else {
        refresh_failed(c, LC_INVALID_RESPONSE, x->resp.status,
                       "the answer has no access_token", NULL);
    }
    wipe_value(v);
    lc_value_free(v);
    if (x->resp.body) memset(x->resp.body, 0, x->resp.body_len);
    x->popped = 1;
    lc_xfer_free(x);
    for (lc_xfer *w = c->active, *nw; w; w = nw) {
        nw = w->next;
        if (w->state != X_AWAIT_TOKEN) continue;
        if (refreshed) {
            w->state = X_WAITING;
            w->not_before = now;
        } else {
            fail_waiter(c, w);
        }
    }
}
