/* The engine's retry, backoff and rate-gate policy (see policy.h). Kept
 * apart from engine.c and pure (no client, clock or random source inside)
 * so that each decision can be checked with a table of inputs instead of
 * only end to end through a server. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "policy.h"

int lc_policy_idempotent(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
           strcmp(m, "HEAD") == 0;
}

lc_retry lc_policy_retry(lc_kind kind, long status, int idempotent, int no_retry,
                         int attempt, int throttled, int max_retries)
{
    if (kind == LC_RATE_LIMIT_EXCEEDED && !no_retry && max_retries > 0 &&
        throttled < LC_THROTTLE_RETRIES)
        return LC_RETRY_THROTTLED;  /* never reached Canvas's code */
    if (no_retry || attempt >= max_retries || kind == LC_RATE_LIMIT_EXCEEDED) return LC_RETRY_NONE;
    if (idempotent && (kind == LC_NETWORK_ERROR || kind == LC_TIMEOUT ||
                       status == 502 || status == 503 || status == 504))
        return LC_RETRY_ERROR;
    return LC_RETRY_NONE;
}

double lc_policy_retry_after(const char *v)
{
    if (!v) return -1;
    char *end;
    double s = strtod(v, &end);
    if (end == v || !isfinite(s) || s < 0) return -1;
    return s > LC_RETRY_AFTER_MAX ? LC_RETRY_AFTER_MAX : s;
}

double lc_policy_backoff(double base, double max, int n, double r)
{
    double delay = base * pow(2.0, n);
    if (delay > max) delay = max;
    return delay * (0.5 + 0.5 * r);  /* jitter spreads out retry storms */
}

double lc_policy_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;  /* 53 bits: [0, 1) */
}

int lc_policy_rate_number(const char *value, double *out)
{
    if (!value) return 0;
    char *end;
    double v = strtod(value, &end);
    if (end == value || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

double lc_policy_rate_estimate(int known, double remaining, double seen_at, double now)
{
    if (!known) return INFINITY;
    return remaining + LC_DRAIN_PER_S * (now - seen_at);
}

/* The result: as many in flight as the bucket allows, fewer as it drains,
 * none below the low-water mark. */
double lc_policy_gate_delay(double estimate, double low_water, uint64_t started_since,
                            int running, double max_delay)
{
    double need = low_water + LC_RESERVE_PER_REQ * (double)started_since;
    if (estimate >= need) return 0;
    if (running) return -1;
    double d = (need - estimate) / LC_DRAIN_PER_S;
    return d > max_delay ? max_delay : d;
}

double lc_policy_refresh_margin(double lifetime)
{
    return lifetime / 10 < LC_REFRESH_MARGIN_S ? lifetime / 10 : LC_REFRESH_MARGIN_S;
}

double lc_policy_rate_clamp(double v, double max)
{
    if (!(v > 0)) return 0;  /* negative (or NaN) */
    return v > max ? max : v;
}

lc_kind lc_policy_curl_kind(int rc, const char *errbuf, const char *over_limit,
                            int in_headers, const char **limit)
{
    *limit = NULL;
    if (over_limit) {
        *limit = over_limit;
        return LC_LIMIT_EXCEEDED;
    }
    /* libcurl's own cap on all the headers of an answer (300 KiB in 7.88). */
    if (errbuf && strstr(errbuf, "Too large response headers")) {
        *limit = "header_size";
        return LC_LIMIT_EXCEEDED;
    }
    switch (rc) {
    case CURLE_FILESIZE_EXCEEDED:
        *limit = "max_response_size";
        return LC_LIMIT_EXCEEDED;
    case CURLE_OUT_OF_MEMORY:
        /* libcurl's "Avoided giant realloc for header": one header line over
         * its 100 KiB cap, reported as out of memory while the headers were
         * arriving. Not our memory, and a retry gets the same answer. */
        if (in_headers) {
            *limit = "header_size";
            return LC_LIMIT_EXCEEDED;
        }
        return LC_OUT_OF_MEMORY;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return LC_INVALID_ARGUMENT;
    case CURLE_OPERATION_TIMEDOUT:
        return LC_TIMEOUT;
    default:
        return LC_NETWORK_ERROR;
    }
}
