/* The client object: configuration checks, new/free, accessors and stats.
 * The string helpers its sibling files share are str.c's, the secrets'
 * handling secrets.c's. How a request
 * travels lives elsewhere: url.c (which URL, which origin), xfer.c (the
 * curl handle of one transfer), engine.c (driving many), policy.c (when to
 * retry or wait) and oauth.c (refreshing the token). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_internal.h"

static int curl_ready;  /* curl_global_init is once per process by design */

static int curl_init(lc_error *err)
{
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            lc_error_set(err, LC_NETWORK_ERROR, "libcurl failed to initialise");
            return 0;
        }
        curl_ready = 1;
    }
    return 1;
}

/* The environment's proxy for the origin, chosen as libcurl chooses it
 * (<scheme>_proxy, then its upper-case form except HTTP_PROXY, then
 * all_proxy/ALL_PROXY; no_proxy/NO_PROXY), but once per client: libcurl
 * reads these five variables on every transfer it starts, which was about
 * 1.5% of a small GET. Requests to other hosts (uploads) still let libcurl
 * read them itself (lc_xfer_prepare).
 *
 * A loopback origin never goes through a proxy, as if no_proxy named it:
 * plain http is allowed there only because the bytes stay on this machine,
 * and a proxy would read the token in clear text. An https origin through
 * an http proxy is tunnelled (CONNECT, lc_xfer_prepare): the proxy sees the
 * host name, never the request. */
static int proxy_from_env(lc_client *c)
{
    if (lc_url_is_loopback(c->origin)) {
        c->proxy = strdup("");
        c->noproxy = strdup("*");
        return c->proxy && c->noproxy;
    }
    char name[32];
    size_t n = strcspn(c->origin, ":");
    if (n > 16) n = 16;
    for (size_t i = 0; i < n; i++) name[i] = (char)tolower((unsigned char)c->origin[i]);
    memcpy(name + n, "_proxy", 7);
    const char *v = getenv(name);
    if (!v && strcmp(name, "http_proxy") != 0) {
        for (size_t i = 0; name[i]; i++) name[i] = (char)toupper((unsigned char)name[i]);
        v = getenv(name);
    }
    if (!v) v = getenv("all_proxy");
    if (!v) v = getenv("ALL_PROXY");
    const char *np = getenv("no_proxy");
    if (!np) np = getenv("NO_PROXY");
    c->proxy = strdup(v ? v : "");
    c->noproxy = strdup(np ? np : "");
    return c->proxy && c->noproxy;
}

lc_client *lc_client_new(const lc_config *cfg, lc_error *err)
{
    if (!cfg || !cfg->base_url) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "base URL is required");
        return NULL;
    }
    int nrefresh = (cfg->refresh_client_id != NULL) + (cfg->refresh_client_secret != NULL) +
                   (cfg->refresh_token != NULL);
    if (nrefresh && nrefresh < 3) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "refresh needs %s",
                     !cfg->refresh_client_id ? "client_id" :
                     !cfg->refresh_client_secret ? "client_secret" : "refresh_token");
        return NULL;
    }
    if (nrefresh) {
        const char *names[3] = {"client_id", "client_secret", "refresh_token"};
        const char *vals[3] = {cfg->refresh_client_id, cfg->refresh_client_secret, cfg->refresh_token};
        for (int i = 0; i < 3; i++) {
            if (!*vals[i] || lc_has_control_char(vals[i])) {
                lc_error_set(err, LC_INVALID_ARGUMENT, "refresh %s must be a non-empty string "
                             "without control characters", names[i]);
                return NULL;
            }
        }
        if (cfg->auth != LC_AUTH_BEARER) {
            lc_error_set(err, LC_INVALID_ARGUMENT, "refresh works with Bearer tokens only");
            return NULL;
        }
    }
    if ((!cfg->token || !*cfg->token) && !nrefresh) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "an API token is required");
        return NULL;
    }
    if (cfg->token && lc_has_control_char(cfg->token)) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "the token contains a control character");
        return NULL;
    }
    /* Catalog's header quotes the key: a '"' or '\\' would end or escape the
     * quoted string and let the key's text add parameters of its own. */
    if (cfg->token && cfg->auth == LC_AUTH_CATALOG_TOKEN && strpbrk(cfg->token, "\"\\")) {
        lc_error_set(err, LC_INVALID_ARGUMENT,
                     "the Catalog key contains a '\"' or '\\' (not allowed in its quoted header)");
        return NULL;
    }
    /* A CR or LF would end the User-Agent line and start a header of its own. */
    if (cfg->user_agent && lc_has_control_char(cfg->user_agent)) {
        lc_error_set(err, LC_INVALID_ARGUMENT,
                     "user_agent contains a control character (CR, LF, ...): it would "
                     "split the header");
        return NULL;
    }
    if (!curl_init(err)) return NULL;

    char *trimmed = NULL, *origin_str = NULL;
    if (!lc_base_url_check(cfg->base_url, cfg->allow_insecure, &trimmed, &origin_str, err))
        return NULL;

    lc_client *c = calloc(1, sizeof *c);
    lc_buf b;
    if (!c) goto oom;
    c->origin = origin_str;
    origin_str = NULL;
    lc_buf_init(&b);
    lc_buf_printf(&b, "%s/", trimmed);
    c->base = lc_buf_detach(&b, NULL);
    lc_buf_printf(&b, "%s/%s", trimmed, cfg->api_prefix ? cfg->api_prefix : "api/v1/");
    c->api = lc_buf_detach(&b, NULL);
    c->auth = cfg->auth;
    int has_token = cfg->token && *cfg->token;
    if (has_token) {
        c->token = lc_xstrdup(cfg->token);
        c->auth_header = c->token ? lc_make_auth_header(cfg->auth, cfg->token) : NULL;
        if (!c->auth_header) goto oom;
    }
    if (nrefresh) {
        c->rf_client_id = lc_xstrdup(cfg->refresh_client_id);
        c->rf_secret = lc_xstrdup(cfg->refresh_client_secret);
        c->rf_token = lc_xstrdup(cfg->refresh_token);
        lc_buf_printf(&b, "%s/login/oauth2/token", trimmed);
        c->rf_url = lc_buf_detach(&b, NULL);
        if (!c->rf_client_id || !c->rf_secret || !c->rf_token || !c->rf_url) goto oom;
    }
    if (cfg->user_agent)
        lc_buf_printf(&b, "User-Agent: %s", cfg->user_agent);
    else
        /* Short on purpose: libcurl 7.88 writes each custom header into the
         * request a byte at a time (~90 instructions a byte, every request),
         * and " libcurl/x.y.z" cost 1.2% of a small GET. */
        lc_buf_printf(&b, "User-Agent: lcanvas/%s", LCANVAS_VERSION);
    c->ua_header = lc_buf_detach(&b, NULL);
    lc_buf_printf(&b, "Accept: %s",
                  cfg->string_ids ? "application/json+canvas-string-ids, application/json"
                                  : "application/json");
    c->accept_header = lc_buf_detach(&b, NULL);
    if (!proxy_from_env(c)) goto oom;
    c->ca_file = lc_xstrdup(cfg->ca_file);
    c->as_user_id = cfg->as_user_id && *cfg->as_user_id ? lc_xstrdup(cfg->as_user_id) : NULL;
    if (!c->base || !c->api || !c->ua_header || !c->accept_header ||
        (cfg->ca_file && !c->ca_file))
        goto oom;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000;
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
    c->max_retries = cfg->max_retries >= 0 ? cfg->max_retries : 3;
    c->per_page = cfg->per_page > 0 ? cfg->per_page : 100;
    c->backoff_base = cfg->backoff_base_s > 0 ? cfg->backoff_base_s : 0.5;
    c->backoff_max = cfg->backoff_max_s > 0 ? cfg->backoff_max_s : 30.0;
    c->low_water = cfg->rate_low_water > 0 ? cfg->rate_low_water : 100.0;
    c->max_response = cfg->max_response_size > 0 ? cfg->max_response_size : LC_DEFAULT_MAX_RESPONSE;
    c->max_download = cfg->max_download_size > 0 ? cfg->max_download_size : LC_DEFAULT_MAX_DOWNLOAD;
    c->rate_max_wait = cfg->rate_max_wait > 0 ? cfg->rate_max_wait : 600.0;
    c->rate_max_remaining = cfg->rate_max_remaining > 0 ? cfg->rate_max_remaining : 1e6;
    c->on_log = cfg->on_log;
    c->log_ud = cfg->log_ud;
    c->rl_remaining = c->rl_cost = NAN;
    c->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15ull;
    c->multi = curl_multi_init();
    if (!c->multi) goto oom;
    /* Keep a handful of connections per host so concurrent tasks reuse them. */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 32L);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    lc_engine_setup(c);
    free(trimmed);
    return c;
oom:
    free(trimmed);
    free(origin_str);
    lc_client_free(c);
    lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
    return NULL;
}

lc_client *lc_clock_new(lc_error *err)
{
    if (!curl_init(err)) return NULL;
    lc_client *c = calloc(1, sizeof *c);
    if (!c || !(c->multi = curl_multi_init())) {
        free(c);
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    c->rl_remaining = c->rl_cost = NAN;
    lc_engine_setup(c);
    return c;
}

void lc_client_free(lc_client *c)
{
    if (!c) return;
    while (c->active) lc_xfer_free(c->active);
    while (c->done_head) lc_xfer_free(c->done_head);
    for (size_t i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    lc_xfer_free_auth_lists(c);
    curl_slist_free_all(c->fixed_hl);
    if (c->multi) curl_multi_cleanup(c->multi);
    lc_engine_teardown(c);
    free(c->base);
    free(c->api);
    free(c->origin);
    /* Don't leave the tokens lying around in freed memory. */
    lc_wipe_free(c->auth_header);
    lc_wipe_free(c->token);
    lc_wipe_free(c->rf_client_id);
    lc_wipe_free(c->rf_secret);
    lc_wipe_free(c->rf_token);
    free(c->rf_fail_msg);
    free(c->rf_fail_body);
    free(c->rf_url);
    free(c->ua_header);
    free(c->accept_header);
    free(c->ca_file);
    free(c->as_user_id);
    free(c->proxy);
    free(c->noproxy);
    free(c);
}

const char *lc_client_base_url(const lc_client *c) { return c->base; }
double lc_client_token_expires_at(const lc_client *c) { return c->token_expires_wall; }
const char *lc_client_api_url(const lc_client *c) { return c->api; }

void lc_client_rate_limit(const lc_client *c, double *remaining, double *cost)
{
    if (remaining) *remaining = c->rl_remaining;
    if (cost) *cost = c->rl_cost;
}

void lc_client_stats(const lc_client *c, lc_stats *out)
{
    *out = c->stats;
}

int lc_client_pending(const lc_client *c)
{
    return c->nactive;
}
