/* The answer of a transfer: the lc_response a caller gets (status, body,
 * headers in one block, the next page's URL) and the lc_error of a failed
 * answer (message, body, report id, headers, secrets scrubbed). xfer.c
 * captures the bytes; this file owns what is made of them. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_internal.h"
#include "link.h"

/* ------------------------------------------------------------ responses */

void lc_response_init(lc_response *r)
{
    memset(r, 0, sizeof *r);
}

/* A header set keeps its names and values in one block (name\0value\0 in
 * order) rather than two allocations a header: see lcanvas.h. */
void lc_headers_free(lc_header *h, size_t n)
{
    if (n) free(h[0].name);
    free(h);
}

/* Points h[0..n) at the pairs stored in block, in order. */
void lc_headers_point(lc_header *h, size_t n, char *block)
{
    for (size_t i = 0; i < n; i++) {
        h[i].name = block;
        block += strlen(block) + 1;
        h[i].value = block;
        block += strlen(block) + 1;
    }
}

void lc_response_clear(lc_response *r)
{
    if (!r) return;
    free(r->body);
    free(r->url);
    lc_headers_free(r->headers, r->nheaders);
    lc_response_init(r);
}

const char *lc_find_header(const lc_header *h, size_t n, const char *name)
{
    const char *found = NULL;
    int first = tolower((unsigned char)name[0]);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)h[i].name[0]) == first && strcasecmp(h[i].name, name) == 0)
            found = h[i].value;
    return found;
}

const char *lc_response_header(const lc_response *r, const char *name)
{
    return lc_find_header(r->headers, r->nheaders, name);
}

char *lc_response_next_url(const lc_response *r)
{
    const char *link = lc_response_header(r, "Link");
    char *ref = link ? lc_link_find(link, "next") : NULL;
    if (!ref || !r->url) return ref;
    /* RFC 8288: a target is a URI reference resolved against the request's
     * URL (RFC 3986, 5.2), not pasted onto the API root. */
    char *abs = lc_url_resolve(r->url, ref);
    if (!abs) return ref;  /* unresolvable: lc_build_url refuses it */
    free(ref);
    return abs;
}


/* ------------------------------------------------------------ the answer */

void lc_xfer_take_response(lc_xfer *x, long status)
{
    x->resp.status = status;
    x->resp.body = lc_buf_detach(&x->rbody, &x->resp.body_len);
    if (x->nhdrs) {
        x->resp.headers = x->hdrs;
        x->resp.nheaders = x->nhdrs;
        x->hdrs = NULL;
        x->nhdrs = x->caphdrs = 0;
        (void)lc_buf_detach(&x->hbuf, NULL);  /* now owned through headers[0].name */
    }
    x->resp.url = lc_xstrdup(x->url);
}

static void copy_headers(lc_header **dst, size_t *n, const lc_header *src, size_t count)
{
    *dst = NULL;
    *n = 0;
    if (!count) return;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += strlen(src[i].name) + strlen(src[i].value) + 2;
    lc_header *h = calloc(count, sizeof *h);
    char *block = malloc(total);
    if (!h || !block) {
        free(h);
        free(block);
        return;
    }
    char *p = block;
    for (size_t i = 0; i < count; i++) {
        size_t nl = strlen(src[i].name) + 1, vl = strlen(src[i].value) + 1;
        memcpy(p, src[i].name, nl);
        memcpy(p + nl, src[i].value, vl);
        p += nl + vl;
    }
    lc_headers_point(h, count, block);
    *dst = h;
    *n = count;
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
        return k > j ? lc_xstrndup(body + j, k - j) : NULL;
    }
    return NULL;
}

void lc_xfer_fill_http_error(lc_xfer *x, long status, lc_kind kind)
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
    e->body = x->rbody.len ? lc_xstrndup(x->rbody.data, x->rbody.len) : NULL;
    e->body_len = e->body ? x->rbody.len : 0;
    e->error_report_id = error_report_id(x->rbody.data, x->rbody.len);
    /* A server that echoes the token (one refreshed since the caller
     * configured it, too) must not put it into an error a script prints. */
    if (e->message) lc_scrub_secrets(x->c, e->message, strlen(e->message));
    if (e->body) lc_scrub_secrets(x->c, e->body, e->body_len);
    copy_headers(&e->headers, &e->nheaders, x->hdrs, x->nhdrs);
    /* Headers too: a proxy or a debugging server may echo Authorization. */
    for (size_t i = 0; i < e->nheaders; i++)
        lc_scrub_secrets(x->c, e->headers[i].value, strlen(e->headers[i].value));
}
