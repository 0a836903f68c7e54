/* URLs and origins: parsing an origin (scheme, host, port), the same-origin
 * rule that keeps the token on Canvas's host, checking a configured base
 * URL, and building a request's full URL. Separate from the engine because
 * these are the security decisions of the client (which URLs may carry the
 * token), worth reading and testing on their own. Parsing is libcurl's
 * (CURLU), so we agree with what curl will actually connect to. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_internal.h"
#include "params.h"

void lc_origin_free(lc_origin *o)
{
    curl_free(o->scheme);
    curl_free(o->host);
    o->scheme = o->host = NULL;
}

int lc_origin_parse(const char *url, lc_origin *o, char **path_out)
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
    if (!ok) lc_origin_free(o);
    return ok;
}

static int is_absolute_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

char *lc_url_origin(const char *url, lc_error *err)
{
    lc_origin o;
    /* curl would take "https:///x" as host "x"; an origin needs its host
     * right after "//", as the Lua side has always read it. */
    const char *host = url && is_absolute_http(url) ? strstr(url, "//") + 2 : NULL;
    if (!host || !*host || strchr("/?#", *host) || !lc_origin_parse(url, &o, NULL)) {
        if (err) lc_error_set(err, LC_INVALID_ARGUMENT, "not an absolute http(s) URL");
        return NULL;
    }
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_printf(&b, "%s://%s:%ld", o.scheme, o.host, o.port);
    lc_origin_free(&o);
    char *s = lc_buf_detach(&b, NULL);
    if (!s && err) lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
    return s;
}

/* A dotted-quad IPv4 address in 127.0.0.0/8: four decimal parts 0-255,
 * nothing else. A name that merely starts with "127." (127.attacker.example)
 * is resolved by DNS and can be anywhere. */
static int is_ipv4_loopback(const char *h)
{
    int parts = 0;
    while (parts < 4) {
        int digits = 0;
        long v = 0;
        while (*h >= '0' && *h <= '9' && digits < 4) v = v * 10 + (*h++ - '0'), digits++;
        if (!digits || v > 255) return 0;
        if (parts == 0 && v != 127) return 0;
        parts++;
        if (parts < 4 && *h++ != '.') return 0;
    }
    return *h == '\0';
}

static int is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || is_ipv4_loopback(host) ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

int lc_url_is_loopback(const char *url)
{
    lc_origin o;
    if (!lc_origin_parse(url, &o, NULL)) return 0;
    int yes = is_loopback(o.host);
    lc_origin_free(&o);
    return yes;
}

int lc_client_same_origin(const lc_client *c, const char *url)
{
    lc_origin a, b;
    int same = 0;
    if (!c->origin || !lc_origin_parse(c->origin, &a, NULL)) return 0;
    if (lc_origin_parse(url, &b, NULL)) {
        same = strcmp(a.scheme, b.scheme) == 0 && strcmp(a.host, b.host) == 0 && a.port == b.port;
        lc_origin_free(&b);
    }
    lc_origin_free(&a);
    return same;
}

/* The checks on a trimmed base URL; *origin_out on success. */
static int check_base(const char *base, int allow_insecure, lc_error *err, char **origin_out)
{
    lc_origin o;
    char *path = NULL;
    if (!is_absolute_http(base)) {
        lc_error_set(err, LC_INVALID_ARGUMENT,
                     "base URL must start with https:// (got '%s')", base);
        return 0;
    }
    if (!lc_origin_parse(base, &o, &path)) {
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
    lc_origin_free(&o);
    return ok;
}

int lc_base_url_check(const char *base_url, int allow_insecure, char **trimmed_out,
                      char **origin_out, lc_error *err)
{
    /* Trim surrounding white space and trailing slashes. */
    const char *s = base_url;
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '/')) n--;
    char *trimmed = lc_xstrndup(s, n);
    if (!trimmed) {
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return 0;
    }
    if (!*trimmed) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "base URL is empty");
        free(trimmed);
        return 0;
    }
    *origin_out = NULL;
    if (!check_base(trimmed, allow_insecure, err, origin_out)) {
        free(trimmed);
        return 0;
    }
    *trimmed_out = trimmed;
    return 1;
}

char *lc_url_resolve(const char *base, const char *ref)
{
    CURLU *u = curl_url();
    char *out = NULL, *res = NULL;
    if (!u) return NULL;
    if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        res = lc_xstrdup(out);
    curl_free(out);
    curl_url_cleanup(u);
    return res;
}

/* "scheme://..." with a scheme other than http(s): never a path under the
 * API root (an ftp:// next link must not end up inside our URL). */
static int is_other_scheme(const char *p)
{
    const char *s = p;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return 0;
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.') s++;
    return strncmp(s, "://", 3) == 0;
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

/* What a byte that cannot stand in a URL is called in the refusal. */
static void describe_byte(unsigned char ch, char *out, size_t n)
{
    if (ch == ' ') snprintf(out, n, "a space");
    else if (ch < 0x20 || ch == 0x7f) snprintf(out, n, "a control character (0x%02x)", ch);
    else if (ch >= 0x80) snprintf(out, n, "a non-ASCII byte (0x%02x)", ch);
    else snprintf(out, n, "'%c'", ch);
}

/* A byte a path may hold as it is: printable ASCII but for the ones RFC
 * 3986 leaves out. A switch, not strchr: this runs over every request's path. */
static int url_byte_ok(unsigned char ch)
{
    if (ch <= 0x20 || ch >= 0x7f) return 0;
    switch (ch) {
    case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}': case '#':
        return 0;
    default:
        return 1;
    }
}

int lc_path_check(const char *path, lc_error *err)
{
    /* RFC 3986 leaves these out of every part of a URL; a caller's path
     * holding one was not escaped, and guessing which '/' or '%' were meant
     * literally could send the request somewhere else. Refused before any
     * request, never retried. */
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (url_byte_ok(*p)) continue;
        char what[40];
        describe_byte(*p, what, sizeof what);
        if (err) {
            char *fixed = lc_encode_path(path);
            lc_error_set(err, LC_INVALID_ARGUMENT,
                         "the path \"%s\" has %s at byte %zu, which cannot go into a URL as it is: "
                         "escape each segment first (lc_encode_path / lcanvas.encode_path give \"%s\")",
                         path, what, (size_t)(p - (const unsigned char *)path) + 1,
                         fixed ? fixed : "?");
            free(fixed);
        }
        return 0;
    }
    return 1;
}

int lc_build_url(const lc_client *c, const lc_request *req, lc_buf *b, lc_error *err)
{
    const char *p = req->path;
    int absolute = is_absolute_http(p);
    if (req->raw_url) {
        if (!absolute) {
            lc_error_set(err, LC_INVALID_ARGUMENT, "raw URL must be absolute");
            return 0;
        }
    } else if (absolute) {
        if (!lc_client_same_origin(c, p)) {
            lc_origin o;
            if (lc_origin_parse(p, &o, NULL)) {
                lc_error_set(err, LC_FOREIGN_ORIGIN,
                             "refusing to send the token to %s://%s:%ld, which is not the "
                             "configured Canvas origin %s", o.scheme, o.host, o.port, c->origin);
                lc_origin_free(&o);
            } else {
                lc_error_set(err, LC_FOREIGN_ORIGIN, "refusing to follow an unparseable URL");
            }
            return 0;
        }
    } else if (is_other_scheme(p)) {
        lc_error_set(err, LC_FOREIGN_ORIGIN, "refusing to follow a non-http(s) URL (%.*s...)",
                     (int)(strstr(p, "://") - p + 3), p);
        return 0;
    } else {
        if (!lc_path_check(p, err)) return 0;
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
