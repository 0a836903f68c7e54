/* The floor for the benchmarks: a plain C libcurl loop doing the same
 * requests as lcanvas (one reused easy handle, keep-alive) and a full JSON
 * parse of every answer with the core's parser, counting items.
 *   cloop users BASE_URL N      GET BASE/api/v1/users/1..N
 *   cloop pages FIRST_URL       follow Link rel="next" from FIRST_URL
 * Prints the number of objects read. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "json.h"
#include "link.h"

typedef struct body { char *data; size_t len, cap; } body;

static size_t on_body(char *p, size_t s, size_t n, void *ud)
{
    body *b = ud;
    size_t k = s * n;
    if (b->len + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + k + 1) cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) return 0;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return k;
}

static size_t on_header(char *p, size_t s, size_t n, void *ud)
{
    char **next = ud;
    size_t k = s * n;
    if (k > 5 && strncasecmp(p, "Link:", 5) == 0) {
        char *v = strndup(p + 5, k - 5);
        free(*next);
        *next = lc_link_find(v, "next");
        free(v);
    }
    return k;
}

typedef struct counter { int depth; long objects; } counter;
static int c_begin_obj(void *ud) { counter *c = ud; if (++c->depth <= 2) c->objects++; return 0; }
static int c_end(void *ud) { ((counter *)ud)->depth--; return 0; }
static int c_begin_arr(void *ud) { ((counter *)ud)->depth++; return 0; }
static int c_null(void *ud) { (void)ud; return 0; }
static int c_bool(void *ud, int b) { (void)ud; (void)b; return 0; }
static int c_int(void *ud, int64_t i) { (void)ud; (void)i; return 0; }
static int c_dbl(void *ud, double d) { (void)ud; (void)d; return 0; }
static int c_str(void *ud, const char *s, size_t l) { (void)ud; (void)s; (void)l; return 0; }

static const lc_json_handler H = {c_null, c_bool, c_int, c_dbl, c_str, c_str,
                                  c_begin_obj, c_end, c_begin_arr, c_end};

static char *scratch;
static size_t scratch_cap;

static long parse(body *b)
{
    counter c = {0, 0};
    char err[128];
    if (scratch_cap < b->len + 1) {
        scratch_cap = b->len + 1;
        scratch = realloc(scratch, scratch_cap);
    }
    size_t off = lc_json_skip_prefix(b->data, b->len);
    if (lc_json_parse(b->data + off, b->len - off, &H, &c, scratch, err, sizeof err) != 0) {
        fprintf(stderr, "cloop: bad JSON: %s\n", err);
        exit(1);
    }
    return c.objects;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cloop users BASE N | cloop pages FIRST_URL\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *e = curl_easy_init();
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Authorization: Bearer bench-token");
    h = curl_slist_append(h, "Accept: application/json");
    body b = {0};
    char *next = NULL;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &next);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    long total = 0;
    char url[4096];
    if (strcmp(argv[1], "users") == 0 && argc >= 4) {
        long n = atol(argv[3]);
        for (long i = 1; i <= n; i++) {
            snprintf(url, sizeof url, "%s/api/v1/users/%ld", argv[2], i);
            b.len = 0;
            curl_easy_setopt(e, CURLOPT_URL, url);
            if (curl_easy_perform(e) != CURLE_OK) return 1;
            total += parse(&b);
        }
    } else {
        snprintf(url, sizeof url, "%s", argv[2]);
        for (;;) {
            b.len = 0;
            curl_easy_setopt(e, CURLOPT_URL, url);
            if (curl_easy_perform(e) != CURLE_OK) return 1;
            total += parse(&b);
            if (!next) break;
            snprintf(url, sizeof url, "%s", next);
            free(next);
            next = NULL;
        }
    }
    printf("%ld\n", total);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    free(b.data);
    free(scratch);
    curl_global_cleanup();
    return 0;
}
