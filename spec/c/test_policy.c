/* Table-driven tests of the engine's pure policy (src/core/policy.h): the
 * retry decision, backoff and jitter, Retry-After, the random draw, the
 * rate gate's arithmetic and the OAuth2 refresh margin. They pin down what
 * the engine does today, oddities included (noted where they appear), so
 * that a later change of behaviour is a visible, deliberate diff here.
 * Prints "N passed, M failed"; exits non-zero on any failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "lcanvas.h"
#include <curl/curl.h>

#include "policy.h"
#include "check.h"

/* ------------------------------------------------------------ retries */

static void test_idempotent(void)
{
    static const struct { const char *method; int want; } rows[] = {
        {"GET", 1}, {"PUT", 1}, {"DELETE", 1}, {"HEAD", 1},
        {"POST", 0}, {"PATCH", 0}, {"OPTIONS", 0},
        {"get", 0},  /* the engine upper-cases methods before asking */
        {"", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (!CHECK(lc_policy_idempotent(rows[i].method) == rows[i].want))
            fprintf(stderr, "    method %s\n", rows[i].method);
}

enum { NONE = LC_RETRY_NONE, ERR = LC_RETRY_ERROR, THR = LC_RETRY_THROTTLED };

static void test_retry_table(void)
{
    static const struct {
        lc_kind kind;
        long status;
        int idem, no_retry, attempt, throttled, max;
        int want;
    } rows[] = {
        /* success and the client's mistakes are final */
        {LC_OK, 200, 1, 0, 0, 0, 3, NONE},
        {LC_OK, 304, 1, 0, 0, 0, 3, NONE},
        {LC_BAD_REQUEST, 400, 1, 0, 0, 0, 3, NONE},
        {LC_INVALID_ACCESS_TOKEN, 401, 1, 0, 0, 0, 3, NONE},  /* oauth.c's business */
        {LC_UNAUTHORIZED, 401, 1, 0, 0, 0, 3, NONE},
        {LC_FORBIDDEN, 403, 1, 0, 0, 0, 3, NONE},
        {LC_RESOURCE_DOES_NOT_EXIST, 404, 1, 0, 0, 0, 3, NONE},
        {LC_CONFLICT, 409, 1, 0, 0, 0, 3, NONE},
        {LC_UNPROCESSABLE_ENTITY, 422, 1, 0, 0, 0, 3, NONE},
        /* 5xx: only the gateway trio, only idempotent methods */
        {LC_CANVAS_EXCEPTION, 500, 1, 0, 0, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 501, 1, 0, 0, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 502, 1, 0, 0, 0, 3, ERR},
        {LC_CANVAS_EXCEPTION, 503, 1, 0, 0, 0, 3, ERR},
        {LC_CANVAS_EXCEPTION, 504, 1, 0, 0, 0, 3, ERR},
        {LC_CANVAS_EXCEPTION, 505, 1, 0, 0, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 502, 0, 0, 0, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 503, 0, 0, 0, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 504, 0, 0, 0, 0, 3, NONE},
        /* no answer at all */
        {LC_NETWORK_ERROR, 0, 1, 0, 0, 0, 3, ERR},
        {LC_TIMEOUT, 0, 1, 0, 0, 0, 3, ERR},
        {LC_NETWORK_ERROR, 0, 0, 0, 0, 0, 3, NONE},  /* a POST may have been applied */
        {LC_TIMEOUT, 0, 0, 0, 0, 0, 3, NONE},
        /* the max_retries budget */
        {LC_NETWORK_ERROR, 0, 1, 0, 2, 0, 3, ERR},
        {LC_NETWORK_ERROR, 0, 1, 0, 3, 0, 3, NONE},
        {LC_NETWORK_ERROR, 0, 1, 0, 4, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 503, 1, 0, 0, 0, 0, NONE},
        {LC_CANVAS_EXCEPTION, 503, 1, 0, 0, 0, 1, ERR},
        {LC_CANVAS_EXCEPTION, 503, 1, 0, 1, 0, 1, NONE},
        {LC_TIMEOUT, 0, 1, 0, 0, 11, 3, ERR},  /* throttled answers spend nothing here */
        /* no_retry (upload steps, the token refresh) wins over everything */
        {LC_NETWORK_ERROR, 0, 1, 1, 0, 0, 3, NONE},
        {LC_CANVAS_EXCEPTION, 503, 1, 1, 0, 0, 3, NONE},
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 1, 0, 0, 3, NONE},
        /* throttling: its own budget of LC_THROTTLE_RETRIES, any method */
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 0, 0, 3, THR},
        {LC_RATE_LIMIT_EXCEEDED, 429, 0, 0, 0, 0, 3, THR},  /* never reached Canvas's code */
        {LC_RATE_LIMIT_EXCEEDED, 403, 0, 0, 0, 0, 3, THR},  /* 403 "Rate Limit Exceeded" */
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 3, 0, 3, THR},  /* max_retries spent: still */
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 9, 0, 3, THR},
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 0, LC_THROTTLE_RETRIES - 1, 3, THR},
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 0, LC_THROTTLE_RETRIES, 3, NONE},
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 0, LC_THROTTLE_RETRIES + 5, 3, NONE},
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 0, 0, 1, THR},
        /* Oddity: max_retries = 0 turns the throttle budget off as well. */
        {LC_RATE_LIMIT_EXCEEDED, 429, 1, 0, 0, 0, 0, NONE},
        /* Oddity: the retry on 502-504 looks at the status, not the kind. */
        {LC_INVALID_RESPONSE, 503, 1, 0, 0, 0, 3, ERR},
        {LC_INVALID_RESPONSE, 200, 1, 0, 0, 0, 3, NONE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int got = (int)lc_policy_retry(rows[i].kind, rows[i].status, rows[i].idem, rows[i].no_retry,
                                       rows[i].attempt, rows[i].throttled, rows[i].max);
        if (!CHECK(got == rows[i].want))
            fprintf(stderr, "    row %zu: %s %ld idem=%d no_retry=%d attempt=%d throttled=%d "
                    "max=%d: got %d, want %d\n", i, lc_kind_name(rows[i].kind), rows[i].status,
                    rows[i].idem, rows[i].no_retry, rows[i].attempt, rows[i].throttled,
                    rows[i].max, got, rows[i].want);
    }
}

/* Every kind without an HTTP answer, and every status as lc_classify sees
 * it: retried only for the kinds and statuses the table above names. */
static void test_retry_every_kind_and_status(void)
{
    for (int k = 0; k < LC_KIND_COUNT; k++) {
        int want = k == LC_NETWORK_ERROR || k == LC_TIMEOUT ? ERR
                 : k == LC_RATE_LIMIT_EXCEEDED ? THR : NONE;
        if (!CHECK((int)lc_policy_retry((lc_kind)k, 0, 1, 0, 0, 0, 3) == want))
            fprintf(stderr, "    kind %s (GET, no answer)\n", lc_kind_name((lc_kind)k));
        want = k == LC_RATE_LIMIT_EXCEEDED ? THR : NONE;
        if (!CHECK((int)lc_policy_retry((lc_kind)k, 0, 0, 0, 0, 0, 3) == want))
            fprintf(stderr, "    kind %s (POST, no answer)\n", lc_kind_name((lc_kind)k));
    }
    static const char throttled[] = "403 Forbidden (Rate Limit Exceeded)";
    for (long status = 100; status < 600; status++) {
        for (int body = 0; body < 2; body++) {
            const char *b = body ? throttled : "{}";
            lc_kind kind = lc_classify(status, 0, b, strlen(b));
            int gateway = status == 502 || status == 503 || status == 504;
            int thr = status == 429 || (status == 403 && body);
            int get = (int)lc_policy_retry(kind, status, 1, 0, 0, 0, 3);
            int post = (int)lc_policy_retry(kind, status, 0, 0, 0, 0, 3);
            if (!CHECK(get == (thr ? THR : gateway ? ERR : NONE)) ||
                !CHECK(post == (thr ? THR : NONE)))
                fprintf(stderr, "    status %ld body %s\n", status, b);
        }
    }
}

/* ------------------------------------------------------------ delays */

static void test_retry_after(void)
{
    static const struct { const char *value; double want; } rows[] = {
        {"5", 5}, {"0", 0}, {"2.5", 2.5}, {"120", 120},
        {"121", LC_RETRY_AFTER_MAX}, {"86400", LC_RETRY_AFTER_MAX},
        {"99999999999999999999999", LC_RETRY_AFTER_MAX},
        {"1e308", LC_RETRY_AFTER_MAX},
        {NULL, -1}, {"", -1}, {"soon", -1}, {"-1", -1}, {"-0.5", -1},
        {"inf", -1}, {"nan", -1}, {"1e999", -1},  /* overflows to infinity */
        /* Oddity: the HTTP-date form is not understood; the engine falls
         * back to its own backoff. */
        {"Wed, 21 Oct 2015 07:28:00 GMT", -1},
        {"Sun, 06 Nov 1994 08:49:37 GMT", -1},
        /* strtod's leniency, kept: white space, trailing junk, hex, exponents */
        {" 7", 7}, {"3s", 3}, {"3, 4", 3}, {"0x10", 16}, {"1e1", 10},
        {"-0", 0},  /* negative zero passes the "< 0" test: retry at once */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        double got = lc_policy_retry_after(rows[i].value);
        if (!CHECK(got == rows[i].want))
            fprintf(stderr, "    Retry-After %s: got %g, want %g\n",
                    rows[i].value ? rows[i].value : "(none)", got, rows[i].want);
    }
}

static void test_backoff(void)
{
    /* r = 0: exactly half the exponential delay; growth by 2 each retry */
    static const struct { double base, max; int n; double r, want; } rows[] = {
        {0.5, 30, 0, 0, 0.25}, {0.5, 30, 1, 0, 0.5}, {0.5, 30, 2, 0, 1.0},
        {0.5, 30, 3, 0, 2.0}, {0.5, 30, 5, 0, 8.0},
        {0.5, 30, 6, 0, 15.0},     /* 32 capped at 30, then halved */
        {0.5, 30, 40, 0, 15.0},
        {0.5, 30, 2000, 0, 15.0},  /* 2^2000 is infinity: still capped */
        {0.5, 30, 0, 0.5, 0.375}, {0.5, 30, 6, 0.5, 22.5},
        {1.0, 4, 1, 0.25, 1.25}, {1.0, 4, 3, 0.25, 2.5},
        {0.1, 0.1, 0, 0, 0.05},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        CHECK_NUM(lc_policy_backoff(rows[i].base, rows[i].max, rows[i].n, rows[i].r),
                  rows[i].want, 1e-12);

    /* Jitter bounds: [d/2, d] for every draw in [0, 1). */
    uint64_t state = 42;
    int in_bounds = 1;
    for (int i = 0; i < 10000; i++) {
        int n = i % 10;
        double d = 0.5 * pow(2.0, n);
        if (d > 30) d = 30;
        double got = lc_policy_backoff(0.5, 30, n, lc_policy_random(&state));
        if (!(got >= d / 2 && got <= d)) in_bounds = 0;
    }
    CHECK(in_bounds);
    /* The largest draw, 1 - 2^-53: 0.5 + 0.5 * r rounds to 1, so the upper
     * bound is reached (in floating point only). */
    CHECK(lc_policy_backoff(0.5, 30, 0, 1.0 - 1.0 / 9007199254740992.0) == 0.5);
}

static void test_random(void)
{
    /* splitmix64 from state 0: its published first outputs, top 53 bits */
    uint64_t s = 0;
    CHECK(lc_policy_random(&s) * 9007199254740992.0 == 7956156453446585.0);
    CHECK(lc_policy_random(&s) * 9007199254740992.0 == 3886858653415212.0);
    CHECK(lc_policy_random(&s) * 9007199254740992.0 == 238094247788840.0);
    CHECK(s == 3 * 0x9e3779b97f4a7c15ull);

    uint64_t a = 12345, b = 12345;
    int same = 1, range = 1;
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double x = lc_policy_random(&a);
        if (x != lc_policy_random(&b)) same = 0;
        if (!(x >= 0 && x < 1)) range = 0;
        sum += x;
    }
    CHECK(same);
    CHECK(range);
    CHECK(fabs(sum / 100000 - 0.5) < 0.01);
}

/* ------------------------------------------------------------ rate gate */

static void test_rate_number(void)
{
    static const struct { const char *value; int ok; double want; } rows[] = {
        {"700.5", 1, 700.5}, {"0", 1, 0}, {" 3", 1, 3}, {"12abc", 1, 12},
        {"-5", 1, -5},  /* Oddity: a negative level is taken as it is */
        {NULL, 0, 0}, {"", 0, 0}, {"abc", 0, 0}, {"inf", 0, 0}, {"nan", 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        double v = -12345;
        int ok = lc_policy_rate_number(rows[i].value, &v);
        CHECK(ok == rows[i].ok);
        CHECK(v == (rows[i].ok ? rows[i].want : -12345));  /* untouched when refused */
    }
}

static void test_rate_estimate(void)
{
    CHECK(isinf(lc_policy_rate_estimate(0, 5, 0, 100)));  /* no report yet */
    CHECK(lc_policy_rate_estimate(0, NAN, 0, 0) > 1e300);
    CHECK_NUM(lc_policy_rate_estimate(1, 100, 10, 10), 100, 0);
    CHECK_NUM(lc_policy_rate_estimate(1, 100, 10, 12), 100 + 2 * LC_DRAIN_PER_S, 1e-9);
    CHECK_NUM(lc_policy_rate_estimate(1, 100, 10, 10.5), 105, 1e-9);
    CHECK_NUM(lc_policy_rate_estimate(1, -50, 0, 1), -40, 1e-9);
    /* Oddity: no ceiling at the bucket's size; a long pause estimates more
     * than Canvas will ever have. */
    CHECK_NUM(lc_policy_rate_estimate(1, 700, 0, 1000), 10700, 1e-9);
}

static void test_gate_delay(void)
{
    static const struct {
        double est, low;
        uint64_t since;
        int running;
        double max, want;
    } rows[] = {
        /* no report yet: go */
        {INFINITY, 100, 0, 0, 30, 0}, {INFINITY, 100, 1000, 1, 30, 0},
        /* above, at and below the low-water mark, nothing started since */
        {700, 100, 0, 0, 30, 0}, {100.5, 100, 0, 0, 30, 0},
        {100, 100, 0, 0, 30, 0},         /* at the mark still goes */
        {99, 100, 0, 1, 30, -1},         /* below: wait for a running one */
        {99, 100, 0, 0, 30, 0.1},        /* or for the drain: 1 unit at 10/s */
        {50, 100, 0, 0, 30, 5},
        {0, 100, 0, 0, 30, 10},
        {-50, 100, 0, 0, 30, 15},
        /* each request started since the report reserves LC_RESERVE_PER_REQ */
        {150, 100, 1, 0, 30, 0}, {149, 100, 1, 0, 30, 0.1}, {149, 100, 1, 1, 30, -1},
        {300, 100, 4, 0, 30, 0}, {299, 100, 4, 0, 30, 0.1},
        {300, 100, 5, 0, 30, 5}, {300, 100, 5, 3, 30, -1},
        /* the wait is capped at max_delay (the client's backoff_max) */
        {0, 100, 100, 0, 30, 30}, {0, 100, 0, 0, 2, 2}, {0, 100, 0, 0, 10, 10},
        /* another low-water mark */
        {10, 0.5, 0, 0, 30, 0}, {600, 1000, 0, 0, 60, 40},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        double got = lc_policy_gate_delay(rows[i].est, rows[i].low, rows[i].since,
                                          rows[i].running, rows[i].max);
        if (!CHECK(fabs(got - rows[i].want) < 1e-9))
            fprintf(stderr, "    row %zu: got %g, want %g\n", i, got, rows[i].want);
    }
}

/* The two together, as the engine uses them: Canvas said 150 left at t=0,
 * and two requests started since. */
static void test_gate_over_time(void)
{
    double low = 100, est;
    est = lc_policy_rate_estimate(1, 150, 0, 0);
    CHECK_NUM(lc_policy_gate_delay(est, low, 2, 0, 30), 5, 1e-9);  /* need 200: 50 at 10/s */
    est = lc_policy_rate_estimate(1, 150, 0, 5);
    CHECK_NUM(lc_policy_gate_delay(est, low, 2, 0, 30), 0, 0);      /* refilled to 200 */
    est = lc_policy_rate_estimate(1, 150, 0, 4);
    CHECK_NUM(lc_policy_gate_delay(est, low, 2, 0, 30), 1, 1e-9);
}

static void test_refresh_margin(void)
{
    CHECK_NUM(lc_policy_refresh_margin(3600), LC_REFRESH_MARGIN_S, 0);
    CHECK_NUM(lc_policy_refresh_margin(600), 60, 0);
    CHECK_NUM(lc_policy_refresh_margin(599), 59.9, 1e-9);
    CHECK_NUM(lc_policy_refresh_margin(100), 10, 1e-9);
    CHECK_NUM(lc_policy_refresh_margin(1), 0.1, 1e-12);
}

/* issue 16: what the gate believes of X-Rate-Limit-Remaining */
static void test_rate_clamp(void)
{
    CHECK_NUM(lc_policy_rate_clamp(-1e15, 1e6), 0, 0);
    CHECK_NUM(lc_policy_rate_clamp(-0.5, 1e6), 0, 0);
    CHECK_NUM(lc_policy_rate_clamp(0, 1e6), 0, 0);
    CHECK_NUM(lc_policy_rate_clamp(599.5, 1e6), 599.5, 0);
    CHECK_NUM(lc_policy_rate_clamp(1e15, 1e6), 1e6, 0);
    CHECK_NUM(lc_policy_rate_clamp(700, 600), 600, 0);
    CHECK_NUM(lc_policy_rate_clamp(NAN, 600), 0, 0);
    /* after -1e15 the gate waits a bounded time, then lets requests go */
    double est = lc_policy_rate_estimate(1, lc_policy_rate_clamp(-1e15, 1e6), 0, 0);
    double d = lc_policy_gate_delay(est, 100, 0, 0, 30);
    CHECK(d > 0 && d <= 10);
    est = lc_policy_rate_estimate(1, lc_policy_rate_clamp(-1e15, 1e6), 0, d);
    CHECK_NUM(lc_policy_gate_delay(est, 100, 0, 0, 30), 0, 0);
}

/* issue 16: libcurl's failures, kinds and limits */
static void test_curl_kind(void)
{
    static const struct {
        int rc;
        const char *errbuf, *over;
        int in_headers;
        lc_kind want;
        const char *limit;
    } rows[] = {
        {CURLE_WRITE_ERROR, "", "max_response_size", 0, LC_LIMIT_EXCEEDED, "max_response_size"},
        {CURLE_WRITE_ERROR, "", "header_size", 1, LC_LIMIT_EXCEEDED, "header_size"},
        {CURLE_FILESIZE_EXCEEDED, "Maximum file size exceeded", NULL, 1, LC_LIMIT_EXCEEDED,
         "max_response_size"},
        {CURLE_OUT_OF_MEMORY, "Out of memory", NULL, 1, LC_LIMIT_EXCEEDED, "header_size"},
        {CURLE_OUT_OF_MEMORY, "Out of memory", NULL, 0, LC_OUT_OF_MEMORY, NULL},
        {CURLE_RECV_ERROR, "Too large response headers: 307250 > 307200", NULL, 1,
         LC_LIMIT_EXCEEDED, "header_size"},
        {CURLE_URL_MALFORMAT, "URL rejected: Malformed input", NULL, 0, LC_INVALID_ARGUMENT, NULL},
        {CURLE_UNSUPPORTED_PROTOCOL, "Protocol \"ftp\" not supported", NULL, 0,
         LC_INVALID_ARGUMENT, NULL},
        {CURLE_OPERATION_TIMEDOUT, "Operation timed out", NULL, 0, LC_TIMEOUT, NULL},
        {CURLE_COULDNT_CONNECT, "Connection refused", NULL, 0, LC_NETWORK_ERROR, NULL},
        {CURLE_PARTIAL_FILE, "transfer closed", NULL, 0, LC_NETWORK_ERROR, NULL},
        {CURLE_RECV_ERROR, "Connection reset by peer", NULL, 0, LC_NETWORK_ERROR, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const char *limit = "unset";
        lc_kind k = lc_policy_curl_kind(rows[i].rc, rows[i].errbuf, rows[i].over,
                                        rows[i].in_headers, &limit);
        if (!CHECK(k == rows[i].want) ||
            !CHECK(rows[i].limit ? limit && strcmp(limit, rows[i].limit) == 0 : limit == NULL))
            fprintf(stderr, "    row %zu: got %s limit %s\n", i, lc_kind_name(k),
                    limit ? limit : "NULL");
        /* none of the limits or local errors is retried */
        if (k == LC_LIMIT_EXCEEDED || k == LC_INVALID_ARGUMENT || k == LC_OUT_OF_MEMORY)
            CHECK(lc_policy_retry(k, 0, 1, 0, 0, 0, 3) == LC_RETRY_NONE);
    }
    CHECK(strcmp(lc_kind_name(LC_LIMIT_EXCEEDED), "LimitExceeded") == 0);
}

/* issue 16: only Canvas's own throttle body makes a 403 a throttle */
static void test_throttle_body(void)
{
    static const struct { const char *body; lc_kind want; } rows[] = {
        {"403 Forbidden (Rate Limit Exceeded)", LC_RATE_LIMIT_EXCEEDED},
        {"403 Forbidden (Rate Limit Exceeded)\n", LC_RATE_LIMIT_EXCEEDED},
        {"Rate Limit Exceeded", LC_RATE_LIMIT_EXCEEDED},
        {"Rate Limit Exceeded\r\n", LC_RATE_LIMIT_EXCEEDED},
        {"{\"errors\":[{\"message\":\"Rate Limit Exceeded is not why\"}]}", LC_FORBIDDEN},
        {"<html>Rate Limit Exceeded</html>", LC_FORBIDDEN},
        {"user_name: Rate Limit Exceeded", LC_FORBIDDEN},
        {"", LC_FORBIDDEN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (!CHECK(lc_classify(403, 0, rows[i].body, strlen(rows[i].body)) == rows[i].want))
            fprintf(stderr, "    body %s\n", rows[i].body);
    CHECK(lc_classify(403, 0, NULL, 0) == LC_FORBIDDEN);
}

int main(void)
{
    test_rate_clamp();
    test_curl_kind();
    test_throttle_body();
    test_idempotent();
    test_retry_table();
    test_retry_every_kind_and_status();
    test_retry_after();
    test_backoff();
    test_random();
    test_rate_number();
    test_rate_estimate();
    test_gate_delay();
    test_gate_over_time();
    test_refresh_margin();
    return check_report();
}
