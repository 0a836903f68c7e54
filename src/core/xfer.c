/* One transfer: an lc_request turned into a curl easy handle (URL, headers,
 * body or multipart form, the Authorization line of the current token) and
 * the bytes captured from it. Separate from engine.c, which decides when a
 * transfer starts, retries or ends, and from response.c, which makes the
 * answer and its error out of what was captured. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

/* ------------------------------------------------------------ building */

/* with_body: a request with a body also turns off libcurl's Expect:
 * 100-continue (a round trip before large bodies); without one libcurl
 * sends no Expect, and a header fewer is less work on every request. */
static struct curl_slist *fixed_headers(const lc_client *c, int with_body, int *ok)
{
    const char *fixed[] = {c->ua_header, c->accept_header, "Expect:"};
    struct curl_slist *h = NULL;
    for (size_t i = 0; i < (with_body ? 3u : 2u); i++) {
        struct curl_slist *t = curl_slist_append(h, fixed[i]);
        if (!t) {
            curl_slist_free_all(h);
            *ok = 0;
            return NULL;
        }
        h = t;
    }
    return h;
}

lc_xfer *lc_xfer_new(lc_client *c, const lc_request *req, lc_error *err)
{
    if (!req || !req->method || !req->path) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "request needs a method and a path");
        return NULL;
    }
    if (!c->origin) {
        lc_error_set(err, LC_INVALID_ARGUMENT, "this client is a clock: it runs timers, not requests");
        return NULL;
    }
    lc_buf url;
    lc_buf_init(&url);
    if (!lc_build_url(c, req, &url, err)) {
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
    x->keep_3xx = req->keep_3xx || req->raw_url;
    x->delay = req->delay_ms > 0 ? (double)req->delay_ms / 1000.0 : 0;
    x->sink = req->sink;
    x->sink_ud = req->sink_ud;
    x->max_sink = req->max_download_size ? req->max_download_size : c->max_download;
    lc_buf_init(&x->rbody);
    lc_buf_init(&x->hbuf);
    lc_response_init(&x->resp);
    lc_error_init(&x->err);
    int ok = x->url && x->method;
    if (req->body) {
        x->body = lc_xstrndup(req->body, req->body_len);
        x->body_len = req->body_len;
        ok = ok && x->body;
    }

    /* The Authorization line is added by lc_xfer_prepare(): the token may
     * change (OAuth2 refresh) between attempts. A request with no headers
     * of its own shares the client's list of the fixed ones. */
    int own = req->body || req->upload_file || (req->extra_headers && *req->extra_headers);
    struct curl_slist *h = NULL;
    if (ok && !own && !c->fixed_hl) c->fixed_hl = fixed_headers(c, 0, &ok);
    if (ok && !own) {
        h = c->fixed_hl;
        x->shared_hl = 1;
    } else if (ok) {
        h = fixed_headers(c, 1, &ok);
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
            char *line = lc_xstrndup(e, len);
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
        x->upload_file = lc_xstrdup(req->upload_file);
        x->upload_field = lc_xstrdup(req->upload_field ? req->upload_field : "file");
        x->upload_name = lc_xstrdup(req->upload_name);
        x->upload_type = lc_xstrdup(req->upload_type);
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

/* ------------------------------------------------------------ one attempt */

lc_xfer *lc_timer_new(lc_client *c, long delay_ms, lc_error *err)
{
    lc_xfer *x = calloc(1, sizeof *x);
    if (!x) {
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    x->c = c;
    x->is_timer = 1;
    x->delay = delay_ms > 0 ? (double)delay_ms / 1000.0 : 0;
    /* What an error (an interrupt) names: no method or URL of its own. */
    x->method = lc_xstrdup("WAIT");
    x->url = lc_xstrdup("");
    lc_buf_init(&x->rbody);
    lc_buf_init(&x->hbuf);
    lc_response_init(&x->resp);
    lc_error_init(&x->err);
    if (!x->method || !x->url) {
        lc_xfer_free(x);
        lc_error_set(err, LC_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    x->state = X_NEW;
    return x;
}

static void reset_attempt(lc_xfer *x)
{
    x->sinking = -1;  /* decided at the first byte of the body */
    lc_buf_clear(&x->rbody);
    lc_buf_clear(&x->hbuf);
    x->nhdrs = 0;
    x->errbuf[0] = '\0';
    x->over_limit = NULL;
    x->hdr_bytes = 0;
}

/* libcurl hands us the body after decoding gzip/deflate, so the limit
 * applies to what we would hold in memory: a small bomb is stopped as soon
 * as its output passes it. Returning less than n aborts the transfer. */
static size_t to_sink(lc_xfer *x, char *ptr, size_t n)
{
    if (n > x->max_sink || x->sunk > x->max_sink - n) {
        x->over_limit = "max_download_size";
        return 0;
    }
    if (x->sink(x->sink_ud, ptr, n) != 0) {
        x->sink_failed = 1;
        return 0;
    }
    x->sunk += n;
    /* A download takes as long as it takes: the timeout counts from the
     * last byte that arrived (a stalled one still ends). */
    x->deadline = lc_now_s() + (double)x->c->timeout_ms / 1000.0;
    return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    lc_xfer *x = ud;
    size_t n = size * nmemb;
    if (x->sinking < 0) {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        x->sinking = x->sink && status >= 200 && status < 300;
    }
    if (x->sinking) return to_sink(x, ptr, n);
    if (n > x->c->max_response || x->rbody.len > x->c->max_response - n) {
        x->over_limit = "max_response_size";
        return 0;
    }
    return lc_buf_append(&x->rbody, ptr, n) == 0 ? n : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    lc_xfer *x = ud;
    size_t n = size * nmemb;
    x->hdr_bytes += n;
    if (x->hdr_bytes > LC_MAX_HEADER_BYTES) {
        x->over_limit = "header_size";
        return 0;
    }
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue): start the header set over. */
        lc_buf_clear(&x->hbuf);
        x->nhdrs = 0;
        return n;
    }
    /* The block must hold exactly two NULs a header for headers_point;
     * libcurl refuses a NUL in a header line, this only makes sure. */
    const char *z = memchr(ptr, '\0', n);
    if (z) n = (size_t)(z - ptr);
    const char *colon = memchr(ptr, ':', n);
    if (!colon) return size * nmemb;
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
    size_t at = x->hbuf.len, vl = (size_t)(end - v), need = nl + vl + 2;
    const char *old = x->hbuf.data;
    /* Room for a typical answer's headers at once, not a doubling each few. */
    if (lc_buf_reserve(&x->hbuf, x->hbuf.cap || need > 1024 ? need : 1024) != 0) return 0;
    char *p = x->hbuf.data + at;
    memcpy(p, ptr, nl);
    p[nl] = '\0';
    memcpy(p + nl + 1, v, vl);
    p[nl + 1 + vl] = '\0';
    x->hbuf.len = at + nl + vl + 2;
    x->hbuf.data[x->hbuf.len] = '\0';
    if (x->hbuf.data != old) lc_headers_point(x->hdrs, x->nhdrs, x->hbuf.data);
    x->hdrs[x->nhdrs].name = p;
    x->hdrs[x->nhdrs].value = p + nl + 1;
    x->nhdrs++;
    return size * nmemb;
}

/* The options every request of the client shares. Set once per handle: a
 * pooled handle keeps them (a curl_easy_reset and setting them all again
 * cost about a fifth of a small GET). */
static void easy_client_options(const lc_client *c, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(e, CURLOPT_PROXY, c->proxy);
    curl_easy_setopt(e, CURLOPT_NOPROXY, c->noproxy);
    /* Through an http proxy an https request is always a CONNECT tunnel
     * (libcurl's own choice; said here so that it cannot change). */
    if (strncmp(c->origin, "https:", 6) == 0) curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
    /* A Content-Length above the limit is refused before any body is read. */
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response);
    /* The request timeout is the engine's (lc_engine_expire). */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
}

/* Easy handles are pooled per client: a reused handle keeps its connection
 * cache and TLS session. */
static CURL *easy_get(lc_client *c)
{
    if (c->npool) return c->pool[--c->npool];
    CURL *e = curl_easy_init();
    if (e) easy_client_options(c, e);
    return e;
}

/* plain: the handle ran a GET and set nothing but the client's options and
 * the per-attempt pointers, which are cleared here; any other request
 * (method, body, form) is reset to the client's options. */
static void easy_put(lc_client *c, CURL *e, int plain)
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
    if (plain) {
        /* Nothing of the finished transfer stays reachable from the handle. */
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, NULL);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, NULL);
        curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    } else {
        curl_easy_reset(e);
        easy_client_options(c, e);
    }
    c->pool[c->npool++] = e;
}

void lc_xfer_release_easy(lc_xfer *x)
{
    easy_put(x->c, x->easy, x->plain_get);
    x->easy = NULL;
    if (x->mime) {
        curl_mime_free(x->mime);
        x->mime = NULL;
    }
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

/* Frees one Authorization node (not what follows it), wiping the token. */
static void auth_line_free(struct curl_slist *node)
{
    node->next = NULL;
    volatile char *p = node->data;
    while (p && *p) *p++ = 0;
    curl_slist_free_all(node);
}

static void auth_node_free(lc_xfer *x)
{
    if (!x->auth_node) return;
    auth_line_free(x->auth_node);
    x->auth_node = NULL;
}

void lc_xfer_free_auth_lists(lc_client *c)
{
    if (c->auth_hl) auth_line_free(c->auth_hl);
    for (size_t i = 0; i < c->nretired_hl; i++) auth_line_free(c->retired_hl[i]);
    free(c->retired_hl);
    c->auth_hl = NULL;
    c->retired_hl = NULL;
    c->nretired_hl = 0;
}

/* The client's Authorization line in front of its fixed headers, made
 * once per token rather than once per request. */
static struct curl_slist *shared_auth_headers(lc_client *c)
{
    if (c->auth_hl && c->auth_hl_gen == c->token_gen) return c->auth_hl;
    struct curl_slist *node = curl_slist_append(NULL, c->auth_header);
    if (!node) return NULL;
    if (c->auth_hl) {
        struct curl_slist **r = realloc(c->retired_hl, (c->nretired_hl + 1) * sizeof *r);
        if (!r) {
            auth_line_free(node);
            return NULL;
        }
        c->retired_hl = r;
        c->retired_hl[c->nretired_hl++] = c->auth_hl;
    }
    node->next = c->fixed_hl;
    c->auth_hl = node;
    c->auth_hl_gen = c->token_gen;
    return node;
}

/* The header list for this attempt: the client's current token in front
 * of the transfer's own headers (none for a raw URL). */
static struct curl_slist *attempt_headers(lc_xfer *x, int *ok)
{
    lc_client *c = x->c;
    *ok = 1;
    if (x->raw_url || !c->auth_header) return x->headers;
    if (x->shared_hl) {
        struct curl_slist *h = shared_auth_headers(c);
        if (!h) *ok = 0;
        x->token_gen = c->token_gen;
        return h;
    }
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

int lc_xfer_prepare(lc_xfer *x)
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
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    x->plain_get = 0;
    if (x->upload_file) {
        if (x->mime) curl_mime_free(x->mime);
        x->mime = NULL;
        if (!setup_mime(x)) return 0;
    } else if (strcmp(x->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        x->plain_get = 1;
    } else {
        if (strcmp(x->method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
        if (x->body || strcmp(x->method, "DELETE") != 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        }
    }
    if (x->sink) {
        /* A Content-Length above the download limit is refused up front.
         * A larger receive buffer means fewer rounds of the engine for a
         * big body (curl's own tool reads 100 KiB at a time). */
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_sink);
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024);
        x->plain_get = 0;
    }
    if (x->raw_url) {
        /* Another host (a storage service): libcurl reads the proxy
         * variables for it; the handle is reset to the client's after. */
        curl_easy_setopt(e, CURLOPT_PROXY, NULL);
        curl_easy_setopt(e, CURLOPT_NOPROXY, NULL);
        x->plain_get = 0;
    }
    return 1;
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

int64_t lc_xfer_expected_size(const lc_xfer *x)
{
    curl_off_t n = -1;
    if (x->state != X_RUNNING || !x->easy ||
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &n) != CURLE_OK)
        return -1;
    return n < 0 ? -1 : (int64_t)n;
}

uint64_t lc_xfer_sunk(const lc_xfer *x) { return x->sunk; }

void *lc_xfer_userdata(const lc_xfer *x) { return x->ud; }
void  lc_xfer_set_userdata(lc_xfer *x, void *ud) { x->ud = ud; }

void lc_xfer_free(lc_xfer *x)
{
    if (!x) return;
    lc_engine_forget(x);
    if (x->easy) {
        /* A transfer cut off midway leaves its connection in an unknown state. */
        curl_easy_cleanup(x->easy);
    }
    if (x->mime) curl_mime_free(x->mime);
    auth_node_free(x);
    if (!x->shared_hl) curl_slist_free_all(x->headers);
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
        lc_wipe_free(x->body);
        if (x->resp.body) memset(x->resp.body, 0, x->resp.body_len);
        if (x->rbody.data) memset(x->rbody.data, 0, x->rbody.len);
    } else {
        free(x->body);
    }
    lc_buf_free(&x->rbody);
    free(x->hdrs);  /* pointing into hbuf */
    lc_buf_free(&x->hbuf);
    lc_response_clear(&x->resp);
    lc_error_clear(&x->err);
    free(x);
}
