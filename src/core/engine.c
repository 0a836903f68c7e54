/* The transfer engine: libcurl's multi interface driving every queued
 * transfer of a client. It starts transfers in submission order when the
 * rate gate allows, collects finished attempts, asks policy.c whether to
 * retry and when, and hands finished transfers to the done queue. One
 * transfer at a time (lc_perform) is just the degenerate case of many, so
 * the Lua scheduler needs no second engine; loop.c drives it (sockets,
 * timers, poll). What an attempt sends is
 * xfer.c's business; the token refresh is oauth.c's. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_internal.h"
#include "policy.h"

double lc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ the lists */

static void active_unlink(lc_xfer *x)
{
    lc_client *c = x->c;
    if (x->prev) x->prev->next = x->next;
    else if (c->active == x) c->active = x->next;
    else return;
    if (x->next) x->next->prev = x->prev;
    else c->active_tail = x->prev;
    x->prev = x->next = NULL;
    c->nactive--;
}

void lc_xfer_submit(lc_xfer *x)
{
    lc_client *c = x->c;
    if (x->state != X_NEW) return;
    x->state = X_WAITING;
    x->not_before = x->delay > 0 ? lc_now_s() + x->delay : 0;
    x->next = NULL;
    x->prev = c->active_tail;
    if (c->active_tail) c->active_tail->next = x;
    else c->active = x;
    c->active_tail = x;
    c->nactive++;
}

static void done_remove(lc_client *c, lc_xfer *x)
{
    lc_xfer **pp = &c->done_head, *prev = NULL;
    while (*pp && *pp != x) {
        prev = *pp;
        pp = &(*pp)->done_next;
    }
    if (!*pp) return;
    *pp = x->done_next;
    if (c->done_tail == x) c->done_tail = prev;
    x->done_next = NULL;
}

void lc_engine_forget(lc_xfer *x)
{
    lc_client *c = x->c;
    if (x->state == X_RUNNING) {
        curl_multi_remove_handle(c->multi, x->easy);
        c->nrunning--;
    }
    if (x->state == X_WAITING || x->state == X_RUNNING || x->state == X_AWAIT_TOKEN)
        active_unlink(x);
    if (x->state != X_DONE && c->refresh_x == x) c->refresh_x = NULL;
    /* A popped transfer touches no client state, so it may outlive the client. */
    if (x->state == X_DONE && !x->popped) done_remove(c, x);
}

void lc_engine_finish(lc_xfer *x)
{
    lc_client *c = x->c;
    active_unlink(x);
    x->state = X_DONE;
    if (x->is_refresh) {
        lc_oauth_refresh_finished(c, x);
        return;
    }
    if (x->abandoned) {
        x->popped = 1;
        lc_xfer_free(x);
        return;
    }
    if (x->failed && !x->err.url) {  /* a failed refresh names the token endpoint */
        free(x->err.method);
        x->err.method = lc_xstrdup(x->method);
        x->err.url = lc_xstrdup(x->url);
    }
    if (c->done_tail) c->done_tail->done_next = x;
    else c->done_head = x;
    c->done_tail = x;
    x->done_next = NULL;
}

lc_xfer *lc_client_next_done(lc_client *c)
{
    lc_xfer *x = c->done_head;
    if (!x) return NULL;
    c->done_head = x->done_next;
    if (!c->done_head) c->done_tail = NULL;
    x->done_next = NULL;
    x->popped = 1;
    return x;
}

void lc_xfer_abandon(lc_xfer *x)
{
    if (!x) return;
    if (x->state != X_RUNNING) {
        lc_xfer_free(x);
        return;
    }
    /* Cutting a request midway resets its connection (and the server sees
     * an aborted request); let it end quietly instead. */
    x->abandoned = 1;
    x->no_retry = 1;
    x->ud = NULL;
}

/* ------------------------------------------------------------ starting */

static int start(lc_xfer *x, double now)
{
    lc_client *c = x->c;
    if (!lc_xfer_prepare(x)) return 0;
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) return 0;
    x->state = X_RUNNING;
    x->started = now;
    x->deadline = now + (double)c->timeout_ms / 1000.0;
    c->nrunning++;
    c->nstarted++;
    c->stats.requests++;
    return 1;
}

/* Ends x with LC_LIMIT_EXCEEDED naming the limit it broke. */
static void fail_limit(lc_xfer *x, const char *limit, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void fail_limit(lc_xfer *x, const char *limit, const char *fmt, ...)
{
    lc_buf b;
    va_list ap;
    lc_buf_init(&b);
    va_start(ap, fmt);
    lc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    lc_error_set(&x->err, LC_LIMIT_EXCEEDED, "%s", b.data ? b.data : limit);
    lc_buf_free(&b);
    x->err.limit = limit;
    x->failed = 1;
    if (x->easy) lc_xfer_release_easy(x);
    lc_engine_finish(x);
}

double lc_engine_gate_delay(const lc_client *c, double now)
{
    double est = lc_policy_rate_estimate(c->rl_known, c->rl_remaining, c->rl_time, now);
    return lc_policy_gate_delay(est, c->low_water, c->nstarted - c->rl_started,
                                c->nrunning > 0, c->backoff_max);
}

int lc_engine_start_due(lc_client *c, double now)
{
    int gated = 0, finished = 0;
    for (lc_xfer *x = c->active, *nx; x; x = nx) {
        nx = x->next;  /* the token check may finish x (a refresh that cannot happen) */
        if (x->state != X_WAITING || x->not_before > now) continue;
        if (x->is_timer) {
            /* A timer sends nothing: due is done, whatever the rate gate says. */
            lc_engine_finish(x);
            finished++;
            continue;
        }
        if (gated || !lc_oauth_token_ready(c, x, now)) continue;
        double d = lc_engine_gate_delay(c, now);
        if (d < 0) {
            gated = 1;  /* held until an answer comes; timers behind still end */
            continue;
        }
        if (d > 0) {
            /* Not counted against rate_max_wait: a long queue legitimately
             * waits its turn; the estimate it waits on is bounded instead
             * (rate_max_remaining, and never below 0). */
            x->not_before = now + d;
            c->stats.throttle_waits++;
            c->stats.throttle_wait_s += d;
            /* Trust the model: after the wait the bucket has refilled. */
            continue;
        }
        if (!start(x, now)) {
            x->failed = 1;
            lc_error_set(&x->err, LC_OUT_OF_MEMORY, "could not start the request");
            lc_engine_finish(x);
            return finished + 1;  /* the list changed under us; the next run continues */
        }
    }
    return finished;
}

/* ------------------------------------------------------------ completing */

static void note_rate_limit(lc_client *c, lc_xfer *x, double now)
{
    double v;
    if (lc_policy_rate_number(lc_find_header(x->hdrs, x->nhdrs, "X-Rate-Limit-Remaining"), &v)) {
        /* Believed only within [0, rate_max_remaining]: one absurd value
         * (-1e15) must not hold every later request forever. */
        c->rl_remaining = lc_policy_rate_clamp(v, c->rate_max_remaining);
        c->rl_time = now;
        c->rl_known = 1;
        c->rl_started = c->nstarted;
    }
    if (lc_policy_rate_number(lc_find_header(x->hdrs, x->nhdrs, "X-Request-Cost"), &v))
        c->rl_cost = v;
}

static void log_attempt(lc_client *c, lc_xfer *x, long status, lc_kind kind, double now)
{
    if (!c->on_log) return;
    lc_log_entry e = {
        .method = x->method, .url = x->url, .status = status, .kind = kind,
        .elapsed_ms = (now - x->started) * 1000.0, .attempt = x->attempt,
        .request_body = x->body, .request_body_len = x->body_len,
        .response_body = x->rbody.data, .response_body_len = x->rbody.len,
    };
    if (x->is_refresh) {
        /* The form holds the secret and the refresh token, a good answer the
         * new access token: the log gets neither. */
        static const char shown[] =
            "grant_type=refresh_token&client_id=[REDACTED]&client_secret=[REDACTED]&refresh_token=[REDACTED]";
        e.request_body = shown;
        e.request_body_len = sizeof shown - 1;
        if (status < 400) {
            e.response_body = NULL;
            e.response_body_len = 0;
        }
    }
    /* The log may print bodies: the secrets the client holds now (a token
     * refreshed since the caller configured it too) never reach it, even
     * when the server echoes them. */
    char *rq = NULL, *rs = NULL;
    if (e.request_body && !x->is_refresh) {
        rq = lc_redact_dup(c, e.request_body, e.request_body_len, &e.request_body_len);
        e.request_body = rq;
        if (!rq) e.request_body_len = 0;
    }
    if (e.response_body) {
        rs = lc_redact_dup(c, e.response_body, e.response_body_len, &e.response_body_len);
        e.response_body = rs;
        if (!rs) e.response_body_len = 0;
    }
    const char *rem = lc_find_header(x->hdrs, x->nhdrs, "X-Rate-Limit-Remaining");
    e.rate_remaining = rem ? strtod(rem, NULL) : NAN;
    c->on_log(c->log_ud, &e);
    free(rq);
    free(rs);
}

/* Returns 1 when the transfer finished, 0 when it waits for a retry. */
static int complete(lc_xfer *x, CURLcode rc, double now)
{
    lc_client *c = x->c;
    long status = 0;
    lc_kind kind = LC_OK;
    curl_multi_remove_handle(c->multi, x->easy);
    c->nrunning--;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    const char *limit = NULL;
    if (rc != CURLE_OK) {
        kind = lc_policy_curl_kind(rc, x->errbuf, x->over_limit,
                                   x->hdr_bytes > 0 && x->rbody.len == 0, &limit);
        status = 0;
    } else {
        note_rate_limit(c, x, now);
        kind = lc_classify(status, lc_find_header(x->hdrs, x->nhdrs, "WWW-Authenticate") != NULL,
                           x->rbody.data, x->rbody.len);
        /* Redirects are never followed (the token stays on its origin), and
         * a 3xx is no answer to an API call: its body is not the resource.
         * A raw URL (an upload step) or a download gets the 3xx itself to
         * act on. */
        if (!x->keep_3xx && status >= 300 && status < 400) kind = LC_INVALID_RESPONSE;
    }
    if (x->sink && limit && strcmp(limit, "max_response_size") == 0) limit = "max_download_size";
    log_attempt(c, x, status, kind, now);

    if (kind == LC_INVALID_ACCESS_TOKEN) {
        int handled = lc_oauth_after_invalid_token(c, x, now);
        if (handled >= 0) return handled;
    }

    if (x->sink_failed) {
        /* Our own side failed (a full disk): nothing to retry, nothing of Canvas's. */
        kind = LC_INVALID_ARGUMENT;
        limit = NULL;
    }
    /* Bytes already handed to a sink cannot be taken back: no retry. */
    lc_retry retry = lc_policy_retry(kind, status, lc_policy_idempotent(x->method),
                                     x->no_retry || x->sunk > 0 || x->sink_failed, x->attempt,
                                     x->throttled, c->max_retries);
    if (retry != LC_RETRY_NONE) {
        const char *ra = lc_find_header(x->hdrs, x->nhdrs, "Retry-After");
        double asked;
        if (lc_policy_rate_number(ra, &asked) && asked > c->rate_max_wait) {
            lc_xfer_fill_http_error(x, status, kind);
            lc_xfer_take_response(x, status);
            fail_limit(x, "rate_max_wait", "the server asked to wait %.3g s (Retry-After) before "
                       "retrying, more than rate_max_wait (%.3g s)", asked, c->rate_max_wait);
            return 1;
        }
        if (retry == LC_RETRY_THROTTLED) x->throttled++;
        double delay = lc_policy_retry_after(ra);
        if (delay < 0) {
            int n = retry == LC_RETRY_THROTTLED ? x->throttled - 1 : x->attempt;
            delay = lc_policy_backoff(c->backoff_base, c->backoff_max, n,
                                      lc_policy_random(&c->rng));
        }
        /* A throttled retry also passes the rate gate, which holds it until
         * the bucket has refilled. */
        if (x->held + delay > c->rate_max_wait) {
            lc_xfer_fill_http_error(x, status, kind);
            lc_xfer_take_response(x, status);
            fail_limit(x, "rate_max_wait", "retrying would hold the request %.3g s in all, more "
                       "than rate_max_wait (%.3g s)", x->held + delay, c->rate_max_wait);
            return 1;
        }
        x->held += delay;
        if (retry == LC_RETRY_ERROR) x->attempt++;
        x->state = X_WAITING;
        x->not_before = now + delay;
        c->stats.retries++;
        return 0;
    }

    lc_xfer_release_easy(x);
    if (x->sink_failed) {
        x->failed = 1;
        lc_error_set(&x->err, kind, "the download's destination refused the data (a write "
                     "error after %llu bytes)", (unsigned long long)x->sunk);
    } else if (limit) {
        x->failed = 1;
        if (strcmp(limit, "max_response_size") == 0)
            lc_error_set(&x->err, kind, "the answer is larger than max_response_size (%zu bytes)",
                         c->max_response);
        else if (strcmp(limit, "max_download_size") == 0)
            lc_error_set(&x->err, kind, "the download is larger than max_download_size (%llu bytes)",
                         (unsigned long long)x->max_sink);
        else
            lc_error_set(&x->err, kind, "the answer's headers are larger than accepted "
                         "(header_size: %zu KiB in all, libcurl's 100 KiB a line)",
                         LC_MAX_HEADER_BYTES >> 10);
        x->err.limit = limit;
    } else if (kind == LC_INVALID_RESPONSE && status >= 300 && status < 400) {
        const char *loc = lc_find_header(x->hdrs, x->nhdrs, "Location");
        x->failed = 1;
        lc_xfer_fill_http_error(x, status, kind);
        lc_error_set(&x->err, kind, "unexpected redirect (HTTP %ld%s%s): redirects are not "
                     "followed", status, loc ? " to " : "", loc ? loc : "");
    } else if (rc != CURLE_OK && kind != LC_TIMEOUT && kind != LC_NETWORK_ERROR) {
        x->failed = 1;  /* a URL libcurl refused, or its own memory ran out */
        lc_error_set(&x->err, kind, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    } else if (kind == LC_TIMEOUT || kind == LC_NETWORK_ERROR) {
        x->failed = 1;
        if (kind == LC_TIMEOUT)
            lc_error_set(&x->err, kind, "no answer within %.3g s (%s)",
                         (double)c->timeout_ms / 1000.0, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        else
            lc_error_set(&x->err, kind, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    } else if (kind != LC_OK) {
        x->failed = 1;
        lc_xfer_fill_http_error(x, status, kind);
    }
    lc_xfer_take_response(x, status);
    lc_engine_finish(x);
    return 1;
}

/* The request timeout is kept here rather than by libcurl
 * (CURLOPT_TIMEOUT_MS): libcurl's version costs a timer in its splay tree
 * set and cleared on every transfer, about 1% of a small GET; the running
 * attempts are few and scanned once a round. An attempt past its deadline
 * ends as libcurl's own timeout would, so retries treat it alike. */
int lc_engine_expire(lc_client *c, double now)
{
    int finished = 0;
    for (lc_xfer *x = c->active, *nx; x; x = nx) {
        nx = x->next;
        if (x->state != X_RUNNING || x->deadline > now) continue;
        snprintf(x->errbuf, sizeof x->errbuf, "timed out after %.0f ms with %zu bytes received",
                 (now - x->started) * 1000.0, x->rbody.len);
        finished += complete(x, CURLE_OPERATION_TIMEDOUT, now);
        nx = c->active;  /* completing may have finished others (a refresh's waiters) */
    }
    return finished;
}

int lc_engine_collect(lc_client *c)
{
    int finished = 0, left;
    CURLMsg *m;
    double now = lc_now_s();
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        lc_xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (!x) continue;
        CURLcode rc = m->data.result;
        finished += complete(x, rc, now);  /* x may be gone (abandoned) */
    }
    return finished;
}

/* ------------------------------------------------------------ signals */

/* After lc_interrupt(): every transfer ends now as Interrupted, whether it
 * runs, waits for a retry or is held by the rate gate. Finishing one may
 * finish others (a token refresh and its waiters), so start over from the
 * head each time. */
int lc_engine_interrupt_all(lc_client *c)
{
    int finished = 0;
    while (c->active) {
        lc_xfer *x = c->active;
        if (x->state == X_RUNNING) {
            curl_multi_remove_handle(c->multi, x->easy);
            c->nrunning--;
        }
        x->failed = 1;
        lc_error_set(&x->err, LC_INTERRUPTED, "interrupted by a signal");
        lc_xfer_take_response(x, 0);
        lc_engine_finish(x);
        finished++;
    }
    return finished;
}
