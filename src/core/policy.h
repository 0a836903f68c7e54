/* The retry, backoff and rate-gate policy of the transfer engine, as pure
 * functions: every input is an argument (the clock reading `now`, the random
 * draw, the counters), nothing reads a client, a clock or a random source.
 * engine.c asks them; spec/c/test_policy.c pins them down table by table.
 * Internal to the core (not installed). Lua-free. */
#ifndef LC_POLICY_H
#define LC_POLICY_H

#include <stdint.h>
#include "lcanvas.h"

#include "lc_internal.h"

#define LC_DRAIN_PER_S       10.0  /* Canvas refills the bucket at 10 units/s */
#define LC_RESERVE_PER_REQ   50.0  /* and reserves 50 for each request in flight */
#define LC_RETRY_AFTER_MAX  120.0  /* a longer Retry-After is cut to this */
/* Throttled answers never reached Canvas's code, so they are retried on their
 * own budget (on top of max_retries): under a busy bucket several in a row
 * are normal and must not fail the request. */
#define LC_THROTTLE_RETRIES  12
/* Refresh an OAuth2 token this long before its expiry, at most. */
#define LC_REFRESH_MARGIN_S  60.0

/* ------------------------------------------------------------ retries */

typedef enum lc_retry {
    LC_RETRY_NONE = 0,   /* final: hand the answer or the error to the caller */
    LC_RETRY_ERROR,      /* retry on the max_retries budget (attempt + 1) */
    LC_RETRY_THROTTLED   /* retry on the throttle budget (throttled + 1) */
} lc_retry;

/* GET, PUT, DELETE and HEAD (upper case, as the engine stores methods). */
LC_INTERNAL int lc_policy_idempotent(const char *method);

/* Whether a finished attempt is tried again. `kind` and `status` are the
 * attempt's outcome (status 0 without an HTTP answer); `attempt` and
 * `throttled` count the retries already spent on each budget.
 *  - A throttle answer (LC_RATE_LIMIT_EXCEEDED) is retried, whatever the
 *    method, while throttled < LC_THROTTLE_RETRIES, unless no_retry or
 *    max_retries is 0; it never spends the max_retries budget.
 *  - Otherwise, while attempt < max_retries, an idempotent method is retried
 *    on a network error, a timeout, and on 502, 503 or 504.
 *  - Nothing else is retried (a POST never is, but for throttling). */
LC_INTERNAL lc_retry lc_policy_retry(lc_kind kind, long status, int idempotent,
                                     int no_retry, int attempt, int throttled,
                                     int max_retries);

/* Seconds from a Retry-After header value, capped at LC_RETRY_AFTER_MAX;
 * -1 when absent (NULL) or not a finite, non-negative number. Only the
 * delta-seconds form is understood (an HTTP date gives -1: the caller then
 * backs off exponentially); strtod's leniency is kept ("2.5", " 7", "3s",
 * "1e2" and "0x10" all read as numbers). */
LC_INTERNAL double lc_policy_retry_after(const char *value);

/* Exponential backoff before retry number `n` (0 for the first):
 * min(base * 2^n, max), scaled by a jitter factor 0.5 + 0.5 * r, where
 * `r` is a random draw in [0, 1). So the delay lies in [d/2, d] (d itself
 * only through rounding, for the largest draws). */
LC_INTERNAL double lc_policy_backoff(double base, double max, int n, double r);

/* The next draw in [0, 1) of a splitmix64 generator whose state is *state
 * (advanced). Deterministic: the engine seeds one state per client. */
LC_INTERNAL double lc_policy_random(uint64_t *state);

/* The kind of a transfer libcurl ended with `rc` (not CURLE_OK; an int so
 * this header needs no curl.h). `errbuf` is curl's message, `over_limit`
 * the limit our own callbacks stopped it for (or NULL). *limit is set to
 * the limit's name for LC_LIMIT_EXCEEDED, else NULL.
 *  - over our limit, a Content-Length above it (CURLE_FILESIZE_EXCEEDED) or
 *    headers over libcurl's own caps (its "Too large response headers", or
 *    CURLE_OUT_OF_MEMORY while `in_headers`: a status line came, no body
 *    yet): LC_LIMIT_EXCEEDED, never retried;
 *  - a URL libcurl cannot use (malformed, unsupported scheme): the caller's
 *    LC_INVALID_ARGUMENT, never retried;
 *  - a timeout: LC_TIMEOUT; everything else: LC_NETWORK_ERROR. */
LC_INTERNAL lc_kind lc_policy_curl_kind(int rc, const char *errbuf, const char *over_limit,
                                        int in_headers, const char **limit);

/* ------------------------------------------------------------ rate gate */

/* A rate-limit header's number (X-Rate-Limit-Remaining, X-Request-Cost):
 * 1 with *out set when `value` starts with a finite number, else 0. */
LC_INTERNAL int lc_policy_rate_number(const char *value, double *out);

/* What the gate believes of a reported X-Rate-Limit-Remaining `v`: v
 * clamped to [0, max]. Canvas's bucket never holds more than its high-water
 * mark and a negative level only means "empty"; believing -1e15 would hold
 * every later request forever, believing 1e15 would turn the gate off. */
LC_INTERNAL double lc_policy_rate_clamp(double v, double max);

/* The bucket's estimated level at `now`: the `remaining` Canvas reported at
 * `seen_at`, refilled at LC_DRAIN_PER_S since; +infinity when `known` is 0
 * (no report yet). */
LC_INTERNAL double lc_policy_rate_estimate(int known, double remaining, double seen_at,
                                           double now);

/* Seconds to hold a new start back so the bucket stays above `low_water`;
 * 0 to go now, -1 to wait for a running transfer to finish (when `running`
 * is non-zero), otherwise at most `max_delay`. X-Rate-Limit-Remaining
 * already subtracts the reserve of every request Canvas had in flight, so
 * only `started_since` (attempts started since that report) still count
 * LC_RESERVE_PER_REQ each. */
LC_INTERNAL double lc_policy_gate_delay(double estimate, double low_water,
                                        uint64_t started_since, int running,
                                        double max_delay);

/* ------------------------------------------------------------ OAuth2 */

/* How long before expiry a token of `lifetime` seconds is refreshed:
 * a tenth of the lifetime, at most LC_REFRESH_MARGIN_S. */
LC_INTERNAL double lc_policy_refresh_margin(double lifetime);

#endif
