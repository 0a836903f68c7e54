/* The HTTP engine: client configuration, building requests, and driving
 * transfers on libcurl's multi interface with retries, backoff and a
 * rate-limit gate. One transfer at a time (lc_perform) is just the
 * degenerate case of many, so the Lua scheduler needs no second engine. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "lcanvas.h"
#include "buf.h"
#include "json.h"
#include "link.h"
#include "params.h"

#define DRAIN_PER_S      10.0  /* Canvas refills the bucket at 10 units/s */
#define RESERVE_PER_REQ  50.0  /* and reserves 50 for each request in flight */
#define RETRY_AFTER_MAX  120.0
/* Throttled answers never reached Canvas's code, so they are retried on their
 * own budget (on top of max_retries): under a busy bucket several in a row
 * are normal and must not fail the request. */
#define THROTTLE_RETRIES 12

/* X_AWAIT_TOKEN: held (in the active list) until the OAuth2 refresh in
 * flight ends; then it goes back to X_WAITING or fails with the refresh. */
enum { X_NEW, X_WAITING, X_RUNNING, X_AWAIT_TOKEN, X_DONE };

/* Refresh this long before the token endpoint's expiry, at most (a tenth of
 * the lifetime for short-lived tokens). */
#define REFRESH_MARGIN_S 60.0

struct lc_xfer {
    lc_client *c;
    char *method, *url, *body;
    size_t body_len;
    struct curl_slist *headers;
    struct curl_slist *auth_node; /* the Authorization line, linked in front of `headers` */
    uint64_t token_gen;          /* the client's token generation the last attempt sent */
    int token_retried;           /* already retried once after a token refresh */
    int is_refresh;              /* the client's own OAuth2 refresh transfer */
    int no_retry, raw_url, state, attempt, failed;
    int throttled;               /* throttled answers so far (own retry budget) */
    int popped;                  /* taken off the done queue by lc_client_next_done */
    int abandoned;               /* nobody wants the answer: freed when it ends */
    char **form;                 /* name, value pairs, NULL-terminated */
    char *upload_file, *upload_field, *upload_name, *upload_type;
    curl_mime *mime;
    double not_before, started;
    CURL *easy;
    lc_buf rbody;
    lc_header *hdrs;
    size_t nhdrs, caphdrs;
    lc_response resp;
    lc_error err;
    void *ud;
    lc_xfer *prev, *next;        /* the client's active list */
    lc_xfer *done_next;          /* the client's finished queue */
    char errbuf[CURL_ERROR_SIZE];
};

struct lc_client {
    char *base, *api, *origin;
    char *auth_header, *ua_header, *accept_header;
    lc_auth_scheme auth;
    /* OAuth2 refresh. The secrets live here and in the refresh transfer's
     * body only; both are wiped when freed. */
    char *token;                 /* current access token (NULL until the first refresh) */
    char *rf_client_id, *rf_secret, *rf_token;
    lc_xfer *refresh_x;          /* the refresh in flight, or NULL */
    uint64_t token_gen;          /* bumped by every new token */
    double token_expires, token_expires_wall, token_margin; /* 0: unknown */
    int refresh_dead;            /* the server refused the refresh token: stop asking */
    lc_kind rf_fail_kind;        /* why the last refresh failed (no secrets in it) */
    long rf_fail_status;
    char *rf_fail_msg, *rf_fail_body;
    char *rf_url;                /* <base>/login/oauth2/token */
    char *ca_file, *as_user_id;
    long timeout_ms, connect_timeout_ms;
    int max_retries, per_page;
    double backoff_base, backoff_max, low_water;
    void (*on_log)(void *, const lc_log_entry *);
    void *log_ud;
    CURLM *multi;
    CURL **pool;
    size_t npool, cappool;
    lc_xfer *active, *active_tail;  /* in submission order: first come, first started */
    lc_xfer *done_head, *done_tail;
    int nrunning, nactive;
    double rl_remaining, rl_cost, rl_time;
    int rl_known;
    uint64_t nstarted, rl_started; /* attempts started, in total and by the last report */
    uint64_t rng;
    lc_stats stats;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ------------------------------------------------------------ origins */

typedef struct origin {
    char *scheme, *host;
    long port;
} origin;

static void origin_free(origin *o)
{
    curl_free(o->scheme);
    curl_free(o->host);
    o->scheme = o->host = NULL;
}

static int origin_parse(const char *url, origin *o, char **path_out)
{
    CURLU *u = curl_url();
    char *port = NULL;
    int ok = 0;
    o->scheme = o->host = NULL;
    if (!u) return 0;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        o->port = strtol(port, NULL, 10);
        for (char *h = o->host; *h; h++) *h = (char)tolower((unsigned char)*h);
        ok = 1;
        if (path_out && curl_url_get(u, CURLUPART_PATH, path_out, 0) != CURLUE_OK) ok = 0;
    }
    curl_free(port);
    curl_url_cleanup(u);
    if (!ok) origin_free(o);
    return ok;
}

static int is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

int lc_client_same_origin(const lc_client *c, const char *url)
{
    origin a, b;
    int same = 0;
    if (!origin_parse(c->origin, &a, NULL)) return 0;
    if (origin_parse(url, &b, NULL)) {
        same = strcmp(a.scheme, b.scheme) == 0 && strcmp(a.host, b.host) == 0 && a.port == b.port;
        origin_free(&b);
    }
    origin_free(&a);
    return same;
}

/* ------------------------------------------------------------ client */

static int curl_ready;  /* curl_global_init is once per process by design */

/* Frees a string that held a secret, overwriting it first so the token does
 * not linger in freed memory. */
static void wipe_free(char *s)
{
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = 0;
    free(s);
}

static int has_control_char(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
    return 0;
}

static char *make_auth_header(lc_auth_scheme auth, const char *token)
{
    lc_buf b;
    lc_buf_init(&b);
    /* Sized up front: a growing buffer would leave copies in freed memory. */
    lc_buf_reserve(&b, strlen(token) + 40);
    if (auth == LC_AUTH_CATALOG_TOKEN)
        lc_buf_printf(&b, "Authorization: Token token=\"%s\"", token);
    else
        lc_buf_printf(&b, "Authorization: Bearer %s", token);
    return lc_buf_detach(&b, NULL);
}

static int check_base(const char *base, int allow_insecure, lc_error *err, char **origin_out)
{
    origin o;
    char *path = NULL;
    if (strncasecmp(base, "http://", 7) != 0 && strncasecmp(base, "https://", 8) != 0) {
        lc_error_set(err, LC_INVALID_ARGUMENT,
                     "base URL must start with https:// (got '%s')", base);
        return 0;
    }
    if (!origin_parse(base, &o, &path)) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "base URL '%s' is not a valid URL", base);
        return 0;
    }
    int ok = 1;
    if (strstr(path, "/api/v1")) {
        lc_error_set(err, LC_INVALID_ARGUMENT,
                     "base URL must not contain /api/v1 (give '%.*s'; the API path is added)",
                     (int)(strstr(base, "/api/v1") ? strstr(base, "/api/v1") - base : 0), base);
        ok = 0;
    } else if (strchr(base, '?') || strchr(base, '#')) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "base URL must not have a query or fragment");
        ok = 0;
    } else if (strcmp(o.scheme, "http") == 0 && !allow_insecure && !is_loopback(o.host)) {
        lc_error_set(err, LC_INVALID_ARGUMENT,
                     "refusing plain http:// to %s: the token would cross the network "
                     "unencrypted (use https://, or set allow_insecure)", o.host);
        ok = 0;
    }
    if (ok) {
        lc_buf b;
        lc_buf_init(&b);
        if (o.port == (strcmp(o.scheme, "https") == 0 ? 443 : 80))
            lc_buf_printf(&b, "%s://%s", o.scheme, o.host);
        else
            lc_buf_printf(&b, "%s://%s:%ld", o.scheme, o.host, o.port);
        *origin_out = lc_buf_detach(&b, NULL);
    }
    curl_free(path);
    origin_free(&o);
    return ok;
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
            if (!*vals[i] || has_control_char(vals[i])) {
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
    if (cfg->token && has_control_char(cfg->token)) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "the token contains a control character");
        return NULL;
    }
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            lc_error_set(err, LC_NETWORK_ERROR, "libcurl failed to initialise");
            return NULL;
        }
        curl_ready = 1;
    }

    /* Trim surrounding white space and trailing slashes. */
    const char *s = cfg->base_url;
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '/')) n--;
    char *trimmed = xstrndup(s, n);
    if (!trimmed) {
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    char *origin_str = NULL;
    if (!*trimmed) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "base URL is empty");
        free(trimmed);
        return NULL;
    }
    if (!check_base(trimmed, cfg->allow_insecure, err, &origin_str)) {
        free(trimmed);
        return NULL;
    }

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
        c->token = xstrdup(cfg->token);
        c->auth_header = c->token ? make_auth_header(cfg->auth, cfg->token) : NULL;
        if (!c->auth_header) goto oom;
    }
    if (nrefresh) {
        c->rf_client_id = xstrdup(cfg->refresh_client_id);
        c->rf_secret = xstrdup(cfg->refresh_client_secret);
        c->rf_token = xstrdup(cfg->refresh_token);
        lc_buf_printf(&b, "%s/login/oauth2/token", trimmed);
        c->rf_url = lc_buf_detach(&b, NULL);
        if (!c->rf_client_id || !c->rf_secret || !c->rf_token || !c->rf_url) goto oom;
    }
    if (cfg->user_agent)
        lc_buf_printf(&b, "User-Agent: %s", cfg->user_agent);
    else
        lc_buf_printf(&b, "User-Agent: lcanvas/%s libcurl/%s", LCANVAS_VERSION,
                      curl_version_info(CURLVERSION_NOW)->version);
    c->ua_header = lc_buf_detach(&b, NULL);
    lc_buf_printf(&b, "Accept: %s",
                  cfg->string_ids ? "application/json+canvas-string-ids, application/json"
                                  : "application/json");
    c->accept_header = lc_buf_detach(&b, NULL);
    c->ca_file = xstrdup(cfg->ca_file);
    c->as_user_id = cfg->as_user_id && *cfg->as_user_id ? xstrdup(cfg->as_user_id) : NULL;
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
    free(trimmed);
    return c;
oom:
    free(trimmed);
    free(origin_str);
    lc_client_free(c);
    lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
    return NULL;
}

void lc_client_free(lc_client *c)
{
    if (!c) return;
    while (c->active) lc_xfer_free(c->active);
    while (c->done_head) lc_xfer_free(c->done_head);
    for (size_t i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    if (c->multi) curl_multi_cleanup(c->multi);
    free(c->base);
    free(c->api);
    free(c->origin);
    /* Don't leave the tokens lying around in freed memory. */
    wipe_free(c->auth_header);
    wipe_free(c->token);
    wipe_free(c->rf_client_id);
    wipe_free(c->rf_secret);
    wipe_free(c->rf_token);
    free(c->rf_fail_msg);
    free(c->rf_fail_body);
    free(c->rf_url);
    free(c->ua_header);
    free(c->accept_header);
    free(c->ca_file);
    free(c->as_user_id);
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

/* ------------------------------------------------------------ responses */

void lc_response_init(lc_response *r)
{
    memset(r, 0, sizeof *r);
}

static void headers_free(lc_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

void lc_response_clear(lc_response *r)
{
    if (!r) return;
    free(r->body);
    free(r->url);
    headers_free(r->headers, r->nheaders);
    lc_response_init(r);
}

static const char *find_header(const lc_header *h, size_t n, const char *name)
{
    const char *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0) found = h[i].value;
    return found;
}

const char *lc_response_header(const lc_response *r, const char *name)
{
    return find_header(r->headers, r->nheaders, name);
}

char *lc_response_next_url(const lc_response *r)
{
    const char *link = lc_response_header(r, "Link");
    return link ? lc_link_find(link, "next") : NULL;
}

/* ------------------------------------------------------------ transfers */

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

static void reset_attempt(lc_xfer *x)
{
    lc_buf_clear(&x->rbody);
    headers_free(x->hdrs, x->nhdrs);
    x->hdrs = NULL;
    x->nhdrs = x->caphdrs = 0;
    x->errbuf[0] = '\0';
}

static int is_idempotent(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
           strcmp(m, "HEAD") == 0;
}

/* Adds `key=value` to the query part of `b` unless the key is already there. */
static void add_query_param(lc_buf *b, size_t query_start, const char *key, const char *value)
{
    if (query_start && lc_params_has_key(b->data + query_start, key)) return;
    lc_buf_putc(b, query_start && b->data[b->len - 1] != '?' ? '&' : '?');
    if (!query_start) query_start = b->len;
    lc_buf_puts(b, key);
    lc_buf_putc(b, '=');
    lc_form_escape(b, value, strlen(value));
}

static int build_url(lc_client *c, const lc_request *req, lc_buf *b, lc_error *err)
{
    const char *p = req->path;
    int absolute = strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0;
    if (req->raw_url) {
        if (!absolute) {
            lc_error_set(err, LC_INVALID_ARGUMENT, "raw URL must be absolute");
            return 0;
        }
    } else if (absolute) {
        if (!lc_client_same_origin(c, p)) {
            origin o;
            if (origin_parse(p, &o, NULL)) {
                lc_error_set(err, LC_FOREIGN_ORIGIN,
                             "refusing to send the token to %s://%s:%ld, which is not the "
                             "configured Canvas origin %s", o.scheme, o.host, o.port, c->origin);
                origin_free(&o);
            } else {
                lc_error_set(err, LC_FOREIGN_ORIGIN, "refusing to follow an unparseable URL");
            }
            return 0;
        }
    } else {
        while (*p == '/') p++;
        /* A caller writing "/api/v1/users" gets the same as "users". */
        if (strncmp(p, "api/v1/", 7) == 0) p += 7;
        lc_buf_puts(b, c->api);
    }
    lc_buf_puts(b, p);
    const char *q = strchr(b->data ? b->data : "", '?');
    size_t qs = q ? (size_t)(q - b->data) + 1 : 0;
    if (req->query && *req->query) {
        lc_buf_putc(b, qs ? '&' : '?');
        if (!qs) qs = b->len;
        lc_buf_puts(b, req->query);
    }
    if (!req->raw_url) {
        char pp[24];
        if (req->is_list && !absolute) {
            snprintf(pp, sizeof pp, "%d", c->per_page);
            add_query_param(b, qs, "per_page", pp);
            if (!qs) qs = (size_t)(strchr(b->data, '?') - b->data) + 1;
        }
        if (c->as_user_id) add_query_param(b, qs, "as_user_id", c->as_user_id);
    }
    if (b->oom) {
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return 0;
    }
    return 1;
}

lc_xfer *lc_xfer_new(lc_client *c, const lc_request *req, lc_error *err)
{
    if (!req || !req->method || !req->path) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "request needs a method and a path");
        return NULL;
    }
    lc_buf url;
    lc_buf_init(&url);
    if (!build_url(c, req, &url, err)) {
        lc_buf_free(&url);
        return NULL;
    }
    lc_xfer *x = calloc(1, sizeof *x);
    if (!x) {
        lc_buf_free(&url);
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    x->c = c;
    x->url = lc_buf_detach(&url, NULL);
    x->method = strdup(req->method);
    for (char *m = x->method; m && *m; m++) *m = (char)toupper((unsigned char)*m);
    x->no_retry = req->no_retry;
    x->raw_url = req->raw_url;
    lc_buf_init(&x->rbody);
    lc_response_init(&x->resp);
    lc_error_init(&x->err);
    int ok = x->url && x->method;
    if (req->body) {
        x->body = xstrndup(req->body, req->body_len);
        x->body_len = req->body_len;
        ok = ok && x->body;
    }

    /* The Authorization line is added by start(): the token may change
     * (OAuth2 refresh) between attempts. */
    struct curl_slist *h = NULL;
    const char *fixed[3];
    size_t nfixed = 0;
    fixed[nfixed++] = c->ua_header;
    fixed[nfixed++] = c->accept_header;
    fixed[nfixed++] = "Expect:";  /* no 100-continue round trip before bodies */
    for (size_t i = 0; ok && i < nfixed; i++) {
        struct curl_slist *t = curl_slist_append(h, fixed[i]);
        if (!t) ok = 0; else h = t;
    }
    if (ok && req->body && !req->upload_file) {
        lc_buf ct;
        lc_buf_init(&ct);
        lc_buf_printf(&ct, "Content-Type: %s",
                      req->content_type ? req->content_type : "application/x-www-form-urlencoded");
        struct curl_slist *t = ct.oom ? NULL : curl_slist_append(h, ct.data);
        lc_buf_free(&ct);
        if (!t) ok = 0; else h = t;
    }
    for (const char *e = req->extra_headers; ok && e && *e;) {
        const char *nl = strchr(e, '\n');
        size_t len = nl ? (size_t)(nl - e) : strlen(e);
        if (len) {
            char *line = xstrndup(e, len);
            struct curl_slist *t = line ? curl_slist_append(h, line) : NULL;
            free(line);
            if (!t) ok = 0; else h = t;
        }
        e += len + (nl ? 1 : 0);
    }
    x->headers = h;
    if (ok && req->upload_file) {
        size_t nf = 0;
        while (req->form_fields && req->form_fields[nf]) nf++;
        x->form = calloc(nf + 1, sizeof *x->form);
        ok = x->form != NULL;
        for (size_t i = 0; ok && i < nf; i++) ok = (x->form[i] = strdup(req->form_fields[i])) != NULL;
        x->upload_file = xstrdup(req->upload_file);
        x->upload_field = xstrdup(req->upload_field ? req->upload_field : "file");
        x->upload_name = xstrdup(req->upload_name);
        x->upload_type = xstrdup(req->upload_type);
        ok = ok && x->upload_file && x->upload_field;
    }
    if (!ok) {
        lc_xfer_free(x);
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    x->state = X_NEW;
    return x;
}

void lc_xfer_submit(lc_xfer *x)
{
    lc_client *c = x->c;
    if (x->state != X_NEW) return;
    x->state = X_WAITING;
    x->not_before = 0;
    x->next = NULL;
    x->prev = c->active_tail;
    if (c->active_tail) c->active_tail->next = x;
    else c->active = x;
    c->active_tail = x;
    c->nactive++;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    lc_xfer *x = ud;
    size_t n = size * nmemb;
    return lc_buf_append(&x->rbody, ptr, n) == 0 ? n : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    lc_xfer *x = ud;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue): start the header set over. */
        headers_free(x->hdrs, x->nhdrs);
        x->hdrs = NULL;
        x->nhdrs = x->caphdrs = 0;
        return n;
    }
    const char *colon = memchr(ptr, ':', n);
    if (!colon) return n;
    size_t nl = (size_t)(colon - ptr);
    const char *v = colon + 1, *end = ptr + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    if (x->nhdrs == x->caphdrs) {
        size_t cap = x->caphdrs ? x->caphdrs * 2 : 16;
        lc_header *nh = realloc(x->hdrs, cap * sizeof *nh);
        if (!nh) return 0;
        x->hdrs = nh;
        x->caphdrs = cap;
    }
    char *name = xstrndup(ptr, nl), *value = xstrndup(v, (size_t)(end - v));
    if (!name || !value) {
        free(name);
        free(value);
        return 0;
    }
    x->hdrs[x->nhdrs].name = name;
    x->hdrs[x->nhdrs].value = value;
    x->nhdrs++;
    return n;
}

static CURL *easy_get(lc_client *c)
{
    if (c->npool) return c->pool[--c->npool];
    return curl_easy_init();
}

static void easy_put(lc_client *c, CURL *e)
{
    if (!e) return;
    if (c->npool == c->cappool) {
        size_t cap = c->cappool ? c->cappool * 2 : 8;
        CURL **np = realloc(c->pool, cap * sizeof *np);
        if (!np) {
            curl_easy_cleanup(e);
            return;
        }
        c->pool = np;
        c->cappool = cap;
    }
    curl_easy_reset(e);
    c->pool[c->npool++] = e;
}

static int setup_mime(lc_xfer *x)
{
    x->mime = curl_mime_init(x->easy);
    if (!x->mime) return 0;
    for (size_t i = 0; x->form[i] && x->form[i + 1]; i += 2) {
        curl_mimepart *p = curl_mime_addpart(x->mime);
        if (!p || curl_mime_name(p, x->form[i]) != CURLE_OK ||
            curl_mime_data(p, x->form[i + 1], CURL_ZERO_TERMINATED) != CURLE_OK)
            return 0;
    }
    /* The file part goes last: storage back ends stop reading form fields
     * once the file starts. curl streams it from disk. */
    curl_mimepart *p = curl_mime_addpart(x->mime);
    if (!p || curl_mime_name(p, x->upload_field) != CURLE_OK ||
        curl_mime_filedata(p, x->upload_file) != CURLE_OK)
        return 0;
    if (x->upload_name && curl_mime_filename(p, x->upload_name) != CURLE_OK) return 0;
    if (x->upload_type && curl_mime_type(p, x->upload_type) != CURLE_OK) return 0;
    return curl_easy_setopt(x->easy, CURLOPT_MIMEPOST, x->mime) == CURLE_OK;
}

static void finish(lc_xfer *x);

static void auth_node_free(lc_xfer *x)
{
    if (!x->auth_node) return;
    x->auth_node->next = NULL;  /* the rest belongs to x->headers */
    volatile char *p = x->auth_node->data;
    while (p && *p) *p++ = 0;
    curl_slist_free_all(x->auth_node);
    x->auth_node = NULL;
}

/* The header list for this attempt: the client's current token in front
 * of the transfer's own headers (none for a raw URL). */
static struct curl_slist *attempt_headers(lc_xfer *x, int *ok)
{
    lc_client *c = x->c;
    *ok = 1;
    if (x->raw_url || !c->auth_header) return x->headers;
    if (!x->auth_node || x->token_gen != c->token_gen) {
        auth_node_free(x);
        x->auth_node = curl_slist_append(NULL, c->auth_header);
        if (!x->auth_node) {
            *ok = 0;
            return NULL;
        }
        x->auth_node->next = x->headers;
    }
    x->token_gen = c->token_gen;
    return x->auth_node;
}

static int start(lc_xfer *x, double now)
{
    lc_client *c = x->c;
    int hok;
    struct curl_slist *hl = attempt_headers(x, &hok);
    if (!hok) return 0;
    CURL *e = x->easy ? x->easy : easy_get(c);
    if (!e) return 0;
    x->easy = e;
    reset_attempt(x);
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    if (x->upload_file) {
        if (x->mime) curl_mime_free(x->mime);
        x->mime = NULL;
        if (!setup_mime(x)) return 0;
    } else if (strcmp(x->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(x->method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
        if (x->body || strcmp(x->method, "DELETE") != 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        }
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) return 0;
    x->state = X_RUNNING;
    x->started = now;
    c->nrunning++;
    c->nstarted++;
    c->stats.requests++;
    return 1;
}

/* Estimated bucket level now: Canvas drains 10 units/s since we last looked. */
static double rate_estimate(const lc_client *c, double now)
{
    if (!c->rl_known) return INFINITY;
    return c->rl_remaining + DRAIN_PER_S * (now - c->rl_time);
}

/* Seconds to hold a new start back so the bucket stays above the low-water
 * mark; 0 to go now, <0 to wait for a running transfer to finish.
 * Canvas's X-Rate-Limit-Remaining already subtracts the reserve of every
 * request it had in flight, so only the requests started since that answer
 * still need their reserve counted. The result: as many in flight as the
 * bucket allows, fewer as it drains, none below the low-water mark. */
static double gate_delay(const lc_client *c, double now)
{
    double need = c->low_water + RESERVE_PER_REQ * (double)(c->nstarted - c->rl_started);
    double est = rate_estimate(c, now);
    if (est >= need) return 0;
    if (c->nrunning > 0) return -1;
    double d = (need - est) / DRAIN_PER_S;
    return d > c->backoff_max ? c->backoff_max : d;
}

static double next_random(lc_client *c)
{
    uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static int token_ready(lc_client *c, lc_xfer *x, double now);

static void start_due(lc_client *c, double now)
{
    for (lc_xfer *x = c->active, *nx; x; x = nx) {
        nx = x->next;  /* token_ready may finish x (a refresh that cannot happen) */
        if (x->state != X_WAITING || x->not_before > now) continue;
        if (!token_ready(c, x, now)) continue;
        double d = gate_delay(c, now);
        if (d < 0) break;
        if (d > 0) {
            x->not_before = now + d;
            c->stats.throttle_waits++;
            c->stats.throttle_wait_s += d;
            /* Trust the model: after the wait the bucket has refilled. */
            continue;
        }
        if (!start(x, now)) {
            x->failed = 1;
            lc_error_set(&x->err, LC_OUT_OF_MEMORY, "could not start the request");
            finish(x);
            return;  /* the list changed under us; the next run continues */
        }
    }
}

static void copy_headers(lc_header **dst, size_t *n, const lc_header *src, size_t count)
{
    *dst = NULL;
    *n = 0;
    if (!count) return;
    lc_header *h = calloc(count, sizeof *h);
    if (!h) return;
    for (size_t i = 0; i < count; i++) {
        h[i].name = xstrdup(src[i].name);
        h[i].value = xstrdup(src[i].value);
    }
    *dst = h;
    *n = count;
}

static void note_rate_limit(lc_client *c, lc_xfer *x, double now)
{
    const char *rem = find_header(x->hdrs, x->nhdrs, "X-Rate-Limit-Remaining");
    const char *cost = find_header(x->hdrs, x->nhdrs, "X-Request-Cost");
    if (rem) {
        char *end;
        double v = strtod(rem, &end);
        if (end != rem && isfinite(v)) {
            c->rl_remaining = v;
            c->rl_time = now;
            c->rl_known = 1;
            c->rl_started = c->nstarted;
        }
    }
    if (cost) {
        char *end;
        double v = strtod(cost, &end);
        if (end != cost && isfinite(v)) c->rl_cost = v;
    }
}

/* Seconds from a Retry-After header (delta-seconds form), or -1. */
static double retry_after(const lc_xfer *x)
{
    const char *v = find_header(x->hdrs, x->nhdrs, "Retry-After");
    if (!v) return -1;
    char *end;
    double s = strtod(v, &end);
    if (end == v || !isfinite(s) || s < 0) return -1;
    return s > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : s;
}

static char *error_report_id(const char *body, size_t len)
{
    static const char key[] = "\"error_report_id\"";
    if (!body) return NULL;
    for (size_t i = 0; i + sizeof key - 1 < len; i++) {
        if (memcmp(body + i, key, sizeof key - 1) != 0) continue;
        size_t j = i + sizeof key - 1;
        while (j < len && (body[j] == ' ' || body[j] == ':' || body[j] == '"')) j++;
        size_t k = j;
        while (k < len && body[k] != '"' && body[k] != ',' && body[k] != '}' && body[k] != ' ') k++;
        return k > j ? xstrndup(body + j, k - j) : NULL;
    }
    return NULL;
}

static void fill_http_error(lc_xfer *x, long status, lc_kind kind)
{
    lc_error *e = &x->err;
    char *msg = lc_error_message_from_body(x->rbody.data, x->rbody.len);
    lc_error_set(e, kind, "%s", msg ? msg : "");
    if (!msg) {
        free(e->message);
        e->message = NULL;
        lc_buf b;
        lc_buf_init(&b);
        lc_buf_printf(&b, "HTTP %ld", status);
        e->message = lc_buf_detach(&b, NULL);
    }
    free(msg);
    e->status = status;
    e->body = x->rbody.len ? xstrndup(x->rbody.data, x->rbody.len) : NULL;
    e->body_len = e->body ? x->rbody.len : 0;
    e->error_report_id = error_report_id(x->rbody.data, x->rbody.len);
    copy_headers(&e->headers, &e->nheaders, x->hdrs, x->nhdrs);
}

static void refresh_finished(lc_client *c, lc_xfer *x);

static void finish(lc_xfer *x)
{
    lc_client *c = x->c;
    active_unlink(x);
    x->state = X_DONE;
    if (x->is_refresh) {
        refresh_finished(c, x);
        return;
    }
    if (x->abandoned) {
        x->popped = 1;
        lc_xfer_free(x);
        return;
    }
    if (x->failed && !x->err.url) {  /* a failed refresh names the token endpoint */
        free(x->err.method);
        x->err.method = xstrdup(x->method);
        x->err.url = xstrdup(x->url);
    }
    if (c->done_tail) c->done_tail->done_next = x;
    else c->done_head = x;
    c->done_tail = x;
    x->done_next = NULL;
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
    const char *rem = find_header(x->hdrs, x->nhdrs, "X-Rate-Limit-Remaining");
    e.rate_remaining = rem ? strtod(rem, NULL) : NAN;
    c->on_log(c->log_ud, &e);
}

/* ------------------------------------------------------------ OAuth2 refresh
 *
 * The refresh is one more transfer in the same multi engine (a raw URL:
 * no Authorization header, no masquerading), so tasks keep running while it
 * is in flight and lc_perform drives it like any other. Transfers that need
 * the token wait in X_AWAIT_TOKEN meanwhile; when it ends they go back to
 * X_WAITING (new token) or fail with the refresh's error. At most one
 * refresh is in flight per client, and a transfer is retried after a
 * refresh only once. */

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

/* Replaces every occurrence of a secret in `s` (in place) by '*'. Belt and
 * braces: messages come from the server's answer. */
static void scrub(lc_client *c, char *s)
{
    if (!s) return;
    const char *secrets[] = {c->rf_secret, c->rf_token, c->token};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        const char *t = secrets[i];
        if (!t || strlen(t) < 4) continue;
        for (char *p = strstr(s, t); p; p = strstr(p, t)) memset(p, '*', strlen(t));
    }
}

/* Fails a transfer that waited for the refresh with the refresh's error. */
static void fail_waiter(lc_client *c, lc_xfer *x)
{
    x->failed = 1;
    lc_error_set(&x->err, c->rf_fail_kind, "%s", c->rf_fail_msg ? c->rf_fail_msg : "the token refresh failed");
    x->err.status = c->rf_fail_status;
    free(x->err.body);
    x->err.body = xstrdup(c->rf_fail_body);
    x->err.body_len = x->err.body ? strlen(x->err.body) : 0;
    free(x->err.method);
    free(x->err.url);
    x->err.method = xstrdup("POST");
    x->err.url = xstrdup(c->rf_url);
    x->resp.status = c->rf_fail_status;
    free(x->resp.url);
    x->resp.url = xstrdup(x->url);
    easy_put(c, x->easy);
    x->easy = NULL;
    if (x->mime) {
        curl_mime_free(x->mime);
        x->mime = NULL;
    }
    finish(x);
}

/* 1 when x may start now. Otherwise x waits for a refresh (started here if
 * none is in flight) or, when none can happen, has failed. */
static int token_ready(lc_client *c, lc_xfer *x, double now)
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
        finish(x);
        return 0;
    }
    x->state = X_AWAIT_TOKEN;
    return 0;
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
    c->rf_fail_body = xstrdup(body);
    scrub(c, c->rf_fail_msg);
    scrub(c, c->rf_fail_body);
    c->rf_fail_kind = kind;
    c->rf_fail_status = status;
}

static void refresh_finished(lc_client *c, lc_xfer *x)
{
    double now = now_s();
    c->refresh_x = NULL;
    lc_value *v = NULL;
    const char *tok = NULL;
    int refreshed = 0;
    char errbuf[128];
    if (x->resp.body && x->resp.body_len) {
        size_t skip = lc_json_skip_prefix(x->resp.body, x->resp.body_len);
        v = lc_json_decode(x->resp.body + skip, x->resp.body_len - skip, errbuf, sizeof errbuf);
    }
    if (!x->failed) tok = json_str(v, "access_token");
    if (tok && *tok && !has_control_char(tok)) {
        char *hdr = make_auth_header(c->auth, tok);
        char *copy = xstrdup(tok);
        if (hdr && copy) {
            wipe_free(c->auth_header);
            wipe_free(c->token);
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
                c->token_margin = secs / 10 < REFRESH_MARGIN_S ? secs / 10 : REFRESH_MARGIN_S;
            } else {
                c->token_expires = c->token_expires_wall = c->token_margin = 0;
            }
            free(c->rf_fail_msg);
            free(c->rf_fail_body);
            c->rf_fail_msg = c->rf_fail_body = NULL;
            refreshed = 1;
        } else {
            wipe_free(hdr);
            wipe_free(copy);
            refresh_failed(c, LC_OUT_OF_MEMORY, 0, "out of memory", NULL);
        }
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
    lc_value_free(v);
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

/* Returns 1 when the transfer finished, 0 when it waits for a retry. */
static int complete(lc_xfer *x, CURLcode rc, double now)
{
    lc_client *c = x->c;
    long status = 0;
    lc_kind kind = LC_OK;
    curl_multi_remove_handle(c->multi, x->easy);
    c->nrunning--;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        kind = rc == CURLE_OPERATION_TIMEDOUT ? LC_TIMEOUT : LC_NETWORK_ERROR;
        status = 0;
    } else {
        note_rate_limit(c, x, now);
        kind = lc_classify(status, find_header(x->hdrs, x->nhdrs, "WWW-Authenticate") != NULL,
                           x->rbody.data, x->rbody.len);
    }
    log_attempt(c, x, status, kind, now);

    /* An expired or revoked token: refresh (once for all the transfers that
     * hit it together) and retry this request once with the new token. A
     * 401 means Canvas did nothing, so this is safe for a POST too. */
    if (kind == LC_INVALID_ACCESS_TOKEN && c->rf_token && !x->raw_url && !x->is_refresh &&
        !x->abandoned && !x->token_retried && !c->refresh_dead) {
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
    if (kind == LC_INVALID_ACCESS_TOKEN && c->rf_token && !x->raw_url && !x->is_refresh &&
        !x->token_retried && c->refresh_dead && x->token_gen == c->token_gen && c->rf_fail_msg) {
        fail_waiter(c, x);
        return 1;
    }

    int retry = 0;
    if (kind == LC_RATE_LIMIT_EXCEEDED && !x->no_retry && c->max_retries > 0 &&
        x->throttled < THROTTLE_RETRIES) {
        retry = 1;  /* never reached Canvas's code */
        x->throttled++;
    } else if (!x->no_retry && x->attempt < c->max_retries) {
        if (kind == LC_RATE_LIMIT_EXCEEDED) retry = 0;
        else if (is_idempotent(x->method) &&
                 (kind == LC_NETWORK_ERROR || kind == LC_TIMEOUT ||
                  status == 502 || status == 503 || status == 504))
            retry = 1;
    }
    if (retry) {
        double delay = retry_after(x);
        int n = kind == LC_RATE_LIMIT_EXCEEDED ? x->throttled - 1 : x->attempt;
        if (delay < 0) {
            delay = c->backoff_base * pow(2.0, n);
            if (delay > c->backoff_max) delay = c->backoff_max;
            delay *= 0.5 + 0.5 * next_random(c);  /* jitter spreads out retry storms */
        }
        /* A throttled retry also passes the rate gate, which holds it until
         * the bucket has refilled. */
        if (kind != LC_RATE_LIMIT_EXCEEDED) x->attempt++;
        x->state = X_WAITING;
        x->not_before = now + delay;
        c->stats.retries++;
        return 0;
    }

    easy_put(c, x->easy);
    x->easy = NULL;
    if (x->mime) {
        curl_mime_free(x->mime);
        x->mime = NULL;
    }
    if (kind == LC_TIMEOUT || kind == LC_NETWORK_ERROR) {
        x->failed = 1;
        if (kind == LC_TIMEOUT)
            lc_error_set(&x->err, kind, "no answer within %.3g s (%s)",
                         (double)c->timeout_ms / 1000.0, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        else
            lc_error_set(&x->err, kind, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    } else if (kind != LC_OK) {
        x->failed = 1;
        fill_http_error(x, status, kind);
    }
    x->resp.status = status;
    x->resp.body = lc_buf_detach(&x->rbody, &x->resp.body_len);
    x->resp.headers = x->hdrs;
    x->resp.nheaders = x->nhdrs;
    x->hdrs = NULL;
    x->nhdrs = x->caphdrs = 0;
    x->resp.url = xstrdup(x->url);
    finish(x);
    return 1;
}

static int collect(lc_client *c)
{
    int finished = 0, left;
    CURLMsg *m;
    double now = now_s();
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

int lc_client_run(lc_client *c, long max_wait_ms)
{
    int running = 0;
    double now = now_s();
    start_due(c, now);
    if (curl_multi_perform(c->multi, &running) != CURLM_OK) return -1;
    int finished = collect(c);
    if (finished || c->nactive == 0) return finished;

    /* Sleep in poll until a socket is ready, the next delayed start is due,
     * or the caller's limit. */
    long wait = max_wait_ms < 0 ? 0 : max_wait_ms;
    for (lc_xfer *x = c->active; x; x = x->next) {
        if (x->state != X_WAITING) continue;
        double d = (x->not_before - now) * 1000.0;
        long ms = d <= 0 ? 0 : (long)ceil(d);
        if (ms < wait) wait = ms;
    }
    if (wait > 0 || c->nrunning > 0) {
        if (curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL) != CURLM_OK) return -1;
    }
    start_due(c, now_s());
    if (curl_multi_perform(c->multi, &running) != CURLM_OK) return -1;
    return collect(c);
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

int lc_xfer_done(const lc_xfer *x)
{
    return x->state == X_DONE;
}

int lc_xfer_result(lc_xfer *x, lc_response **resp, lc_error **err)
{
    if (resp) *resp = &x->resp;
    if (err) *err = &x->err;
    return x->failed ? -1 : 0;
}

void *lc_xfer_userdata(const lc_xfer *x) { return x->ud; }
void  lc_xfer_set_userdata(lc_xfer *x, void *ud) { x->ud = ud; }

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

void lc_xfer_free(lc_xfer *x)
{
    if (!x) return;
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
    if (x->easy) {
        /* A transfer cut off midway leaves its connection in an unknown state. */
        curl_easy_cleanup(x->easy);
    }
    if (x->mime) curl_mime_free(x->mime);
    auth_node_free(x);
    curl_slist_free_all(x->headers);
    if (x->form)
        for (size_t i = 0; x->form[i]; i++) free(x->form[i]);
    free(x->form);
    free(x->upload_file);
    free(x->upload_field);
    free(x->upload_name);
    free(x->upload_type);
    free(x->method);
    free(x->url);
    if (x->is_refresh) {
        /* The form carried the client secret and the refresh token; the
         * answer, the new access token. */
        wipe_free(x->body);
        if (x->resp.body) memset(x->resp.body, 0, x->resp.body_len);
        if (x->rbody.data) memset(x->rbody.data, 0, x->rbody.len);
    } else {
        free(x->body);
    }
    lc_buf_free(&x->rbody);
    headers_free(x->hdrs, x->nhdrs);
    lc_response_clear(&x->resp);
    lc_error_clear(&x->err);
    free(x);
}

int lc_perform(lc_client *c, const lc_request *req, lc_response *resp, lc_error *err)
{
    lc_response_init(resp);
    lc_xfer *x = lc_xfer_new(c, req, err);
    if (!x) return -1;
    lc_xfer_submit(x);
    while (x->state != X_DONE) {
        if (lc_client_run(c, 1000) < 0) {
            lc_xfer_free(x);
            lc_error_set(err, LC_NETWORK_ERROR, "the transfer engine failed");
            return -1;
        }
    }
    /* Other transfers that finished meanwhile stay queued for whoever
     * drives them; lc_xfer_free takes only ours out of the queue. */
    *resp = x->resp;
    lc_response_init(&x->resp);
    int rc = 0;
    if (x->failed) {
        lc_error_clear(err);
        *err = x->err;
        lc_error_init(&x->err);
        rc = -1;
    }
    lc_xfer_free(x);
    return rc;
}
