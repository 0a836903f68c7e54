/* Error kinds, classification of HTTP answers, and messages from Canvas's
 * several error body shapes. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcanvas.h"
#include "buf.h"
#include "json.h"

static const char *const kind_names[LC_KIND_COUNT] = {
    [LC_OK] = "OK",
    [LC_BAD_REQUEST] = "BadRequest",
    [LC_INVALID_ACCESS_TOKEN] = "InvalidAccessToken",
    [LC_UNAUTHORIZED] = "Unauthorized",
    [LC_RATE_LIMIT_EXCEEDED] = "RateLimitExceeded",
    [LC_FORBIDDEN] = "Forbidden",
    [LC_RESOURCE_DOES_NOT_EXIST] = "ResourceDoesNotExist",
    [LC_CONFLICT] = "Conflict",
    [LC_UNPROCESSABLE_ENTITY] = "UnprocessableEntity",
    [LC_CANVAS_EXCEPTION] = "CanvasException",
    [LC_NETWORK_ERROR] = "NetworkError",
    [LC_TIMEOUT] = "Timeout",
    [LC_INVALID_RESPONSE] = "InvalidResponse",
    [LC_REQUIRED_FIELD_MISSING] = "RequiredFieldMissing",
    [LC_FOREIGN_ORIGIN] = "ForeignOrigin",
    [LC_INVALID_ARGUMENT] = "InvalidArgument",
    [LC_OUT_OF_MEMORY] = "OutOfMemory",
    [LC_INTERRUPTED] = "Interrupted",
    [LC_LIMIT_EXCEEDED] = "LimitExceeded",
};

const char *lc_kind_name(lc_kind kind)
{
    if ((int)kind < 0 || kind >= LC_KIND_COUNT) return "CanvasException";
    return kind_names[kind];
}

/* Canvas's throttle answer: app/middleware/request_throttle.rb
 * (rate_limit_exceeded) sends 403 with the plain-text body
 * "403 Forbidden (Rate Limit Exceeded)\n". Only that body (or the bare
 * phrase) counts: a 403 that merely mentions the phrase somewhere (a JSON
 * error, a page quoting it) is an ordinary Forbidden and is not retried. */
static int is_throttle_body(const char *body, size_t n)
{
    static const char full[] = "403 Forbidden (Rate Limit Exceeded)";
    static const char bare[] = "Rate Limit Exceeded";
    if (!body) return 0;
    while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' ')) n--;
    while (n && (*body == ' ' || *body == '\n' || *body == '\r')) body++, n--;
    return (n == sizeof full - 1 && memcmp(body, full, n) == 0) ||
           (n == sizeof bare - 1 && memcmp(body, bare, n) == 0);
}

lc_kind lc_classify(long status, int has_www_authenticate, const char *body, size_t body_len)
{
    if (status < 400) return LC_OK;
    switch (status) {
    case 400: return LC_BAD_REQUEST;
    case 401: return has_www_authenticate ? LC_INVALID_ACCESS_TOKEN : LC_UNAUTHORIZED;
    case 403:
        return is_throttle_body(body, body_len) ? LC_RATE_LIMIT_EXCEEDED : LC_FORBIDDEN;
    case 404: return LC_RESOURCE_DOES_NOT_EXIST;
    case 409: return LC_CONFLICT;
    case 422: return LC_UNPROCESSABLE_ENTITY;
    case 429: return LC_RATE_LIMIT_EXCEEDED;
    default:  return LC_CANVAS_EXCEPTION;
    }
}

void lc_error_init(lc_error *e)
{
    memset(e, 0, sizeof *e);
}

void lc_error_clear(lc_error *e)
{
    if (!e) return;
    free(e->message);
    free(e->method);
    free(e->url);
    free(e->body);
    free(e->error_report_id);
    /* one block for all names and values, starting at the first name */
    if (e->nheaders) free(e->headers[0].name);
    free(e->headers);
    lc_error_init(e);
}

void lc_error_set(lc_error *e, lc_kind kind, const char *fmt, ...)
{
    if (!e) return;
    lc_buf b;
    va_list ap;
    lc_buf_init(&b);
    va_start(ap, fmt);
    lc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(e->message);
    e->message = lc_buf_detach(&b, NULL);
    e->kind = kind;
}

static char *dup_value_string(const lc_value *v)
{
    const char *s = lc_value_str(v);
    return s ? strdup(s) : NULL;
}

/* errors: [{"message": ..}] | "text" | {"field": [{"message": ..}] or "text"},
 * nested any depth ({"user": {}, "pseudonym": {"unique_id": [..]}}): the
 * first member that says something wins, named by its keys. */
static char *message_from_errors(const lc_value *errs, int depth)
{
    if (!errs || depth > 8) return NULL;
    if (errs->type == LC_T_STRING) return dup_value_string(errs);
    if (errs->type == LC_T_ARRAY) {
        for (size_t i = 0; i < errs->u.arr.n; i++) {
            const lc_value *item = errs->u.arr.items[i];
            char *out = item->type == LC_T_STRING ? dup_value_string(item)
                                                  : dup_value_string(lc_object_get(item, "message"));
            if (out) return out;
        }
        return NULL;
    }
    if (errs->type != LC_T_OBJECT) return NULL;
    for (size_t i = 0; i < errs->u.obj.n; i++) {
        const lc_member *m = &errs->u.obj.m[i];
        char *inner = message_from_errors(m->val, depth + 1);
        if (!inner) continue;   /* Canvas sends empty {"user": {}} first */
        /* "base" carries a whole sentence; other keys name the field. */
        if (strcmp(m->key, "base") == 0 || strstr(inner, m->key)) return inner;
        lc_buf b;
        lc_buf_init(&b);
        lc_buf_printf(&b, "%s: %s", m->key, inner);
        free(inner);
        return lc_buf_detach(&b, NULL);
    }
    return NULL;
}

char *lc_error_message_from_body(const char *body, size_t len)
{
    if (!body || len == 0) return NULL;
    char msg[128];
    lc_value *doc = lc_json_decode(body, len, msg, sizeof msg);
    if (doc) {
        char *out = message_from_errors(lc_object_get(doc, "errors"), 0);
        if (!out) out = dup_value_string(lc_object_get(doc, "message"));
        lc_value_free(doc);
        return out;
    }
    /* A short plain-text body (the throttle's) is a fine message; an HTML
     * error page is not, so only take one line without markup. */
    size_t start = lc_json_skip_prefix(body, len);
    size_t end = start;
    while (end < len && body[end] != '\n' && body[end] != '\r' && end - start < 200) end++;
    if (end == start || memchr(body + start, '<', end - start)) return NULL;
    char *out = malloc(end - start + 1);
    if (!out) return NULL;
    memcpy(out, body + start, end - start);
    out[end - start] = '\0';
    return out;
}
