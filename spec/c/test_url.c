/* Table-driven tests of src/core/url.c: lc_url_origin (the origin the Lua
 * side compares upload Locations against), the same-origin rule that keeps
 * the token on Canvas's host, the checks on a configured base URL, and the
 * full URL a request is sent to. No request leaves the process.
 * Prints "N passed, M failed"; exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcanvas.h"
#include "client_internal.h"  /* to read the URL a transfer was built with */
#include "check.h"

static void test_url_origin(void)
{
    static const struct { const char *url, *want; } rows[] = {
        {"https://canvas.example.edu/api/v1/users", "https://canvas.example.edu:443"},
        {"https://canvas.example.edu", "https://canvas.example.edu:443"},
        {"HTTP://Example.COM", "http://example.com:80"},
        {"HTTPS://Files.Example.com/a?b#c", "https://files.example.com:443"},
        {"http://localhost:8080/x?y#z", "http://localhost:8080"},
        {"https://user:pw@Files.example.com/up", "https://files.example.com:443"},
        {"https://h:443/", "https://h:443"},
        {"http://h:443", "http://h:443"},
        {"https://h:80/", "https://h:80"},
        {"http://127.0.0.1:39999/files/1", "http://127.0.0.1:39999"},
        {"http://[::1]:3000/a", "http://[::1]:3000"},
        {"http://[::1]/", "http://[::1]:80"},
        {"https://h/?next=http://other/", "https://h:443"},
        /* not an absolute http(s) URL */
        {"/api/v1/users", NULL}, {"users/5", NULL}, {"", NULL}, {NULL, NULL},
        {"//host/x", NULL}, {"ftp://host/x", NULL}, {"mailto:a@b", NULL},
        {"https://", NULL}, {"https:///path", NULL}, {"http:/host/x", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        lc_error err;
        lc_error_init(&err);
        char *got = lc_url_origin(rows[i].url, &err);
        int ok = got && rows[i].want ? strcmp(got, rows[i].want) == 0 : !got && !rows[i].want;
        if (!CHECK(ok))
            fprintf(stderr, "    %s: got %s, want %s\n", rows[i].url ? rows[i].url : "NULL",
                    got ? got : "NULL", rows[i].want ? rows[i].want : "NULL");
        CHECK(err.kind == (rows[i].want ? LC_OK : LC_INVALID_ARGUMENT));
        lc_free(got);
        lc_error_clear(&err);
    }
    char *o = lc_url_origin("relative", NULL);  /* the error is optional */
    CHECK(o == NULL);
}

static lc_client *client_for(const char *base, int allow_insecure, lc_error *err)
{
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = base;
    cfg.token = "secret-token";
    cfg.allow_insecure = allow_insecure;
    cfg.max_retries = -1;
    return lc_client_new(&cfg, err);
}

static void test_base_url(void)
{
    static const struct {
        const char *base;
        int insecure;
        const char *want_base;   /* NULL: refused */
        const char *want_msg;    /* a part of the message when refused */
    } rows[] = {
        {"https://canvas.example.edu", 0, "https://canvas.example.edu/", NULL},
        {"  https://canvas.example.edu//  ", 0, "https://canvas.example.edu/", NULL},
        {"https://canvas.example.edu/sub/", 0, "https://canvas.example.edu/sub/", NULL},
        {"http://localhost:3000", 0, "http://localhost:3000/", NULL},
        {"http://127.0.0.1:3000", 0, "http://127.0.0.1:3000/", NULL},
        {"http://[::1]:3000", 0, "http://[::1]:3000/", NULL},
        {"http://canvas.example.edu", 1, "http://canvas.example.edu/", NULL},
        {"http://canvas.example.edu", 0, NULL, "refusing plain http:// to canvas.example.edu"},
        /* issue 16: only a real loopback address counts, not a name that
         * starts like one (DNS puts it anywhere) */
        {"http://127.1.2.3:3000", 0, "http://127.1.2.3:3000/", NULL},
        {"http://127.attacker.example", 0, NULL, "refusing plain http:// to 127.attacker.example"},
        {"http://127.0.0.1.attacker.example", 0, NULL, "refusing plain http://"},
        {"http://127.0.0.1x", 0, NULL, "refusing plain http://"},
        {"http://127.0.0.256", 0, NULL, "refusing plain http://"},
        {"http://localhost.attacker.example", 0, NULL, "refusing plain http://"},
        {"http://128.0.0.1", 0, NULL, "refusing plain http://"},
        {"canvas.example.edu", 0, NULL, "must start with https://"},
        {"ftp://canvas.example.edu", 0, NULL, "must start with https://"},
        {"   /// ", 0, NULL, "base URL is empty"},
        {"https://canvas.example.edu/api/v1", 0, NULL,
         "must not contain /api/v1 (give 'https://canvas.example.edu'"},
        {"https://canvas.example.edu/?x=1", 0, NULL, "must not have a query or fragment"},
        {"https://canvas.example.edu/#top", 0, NULL, "must not have a query or fragment"},
        {"https://", 0, NULL, "must start with https:// (got 'https:')"},  /* trimmed first */
        {"https://[::1", 0, NULL, "is not a valid URL"},
        {"https://bad host", 0, NULL, "is not a valid URL"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        lc_error err;
        lc_error_init(&err);
        lc_client *c = client_for(rows[i].base, rows[i].insecure, &err);
        if (rows[i].want_base) {
            if (CHECK(c != NULL)) CHECK_STR(strdup(lc_client_base_url(c)), rows[i].want_base);
            else fprintf(stderr, "    %s: %s\n", rows[i].base, err.message);
        } else {
            CHECK(c == NULL);
            CHECK(err.kind == LC_INVALID_ARGUMENT);
            if (!CHECK(err.message && strstr(err.message, rows[i].want_msg)))
                fprintf(stderr, "    %s: %s\n", rows[i].base, err.message ? err.message : "NULL");
        }
        lc_client_free(c);
        lc_error_clear(&err);
    }
}

static void test_same_origin(void)
{
    lc_error err;
    lc_error_init(&err);
    lc_client *c = client_for("https://Canvas.Example.edu/", 0, &err);
    if (!CHECK(c != NULL)) return;
    static const struct { const char *url; int same; } rows[] = {
        {"https://canvas.example.edu/api/v1/users?page=2", 1},
        {"https://CANVAS.example.edu:443/x", 1},
        {"HTTPS://canvas.example.edu", 1},
        {"https://user@canvas.example.edu/x", 1},
        {"http://canvas.example.edu/x", 0},         /* another scheme */
        {"https://canvas.example.edu:8443/x", 0},   /* another port */
        {"https://files.example.edu/x", 0},
        {"https://canvas.example.edu.evil.test/x", 0},
        {"https://evil.test/?u=https://canvas.example.edu/", 0},
        {"users/5", 0}, {"", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (!CHECK(lc_client_same_origin(c, rows[i].url) == rows[i].same))
            fprintf(stderr, "    %s\n", rows[i].url);
    lc_client_free(c);
}

/* The URL lc_xfer_new builds, or the error's kind as "!Kind". */
static char *built(lc_client *c, const char *path, const char *query, int is_list, int raw)
{
    lc_request req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.is_list = is_list;
    req.raw_url = raw;
    lc_error err;
    lc_error_init(&err);
    lc_xfer *x = lc_xfer_new(c, &req, &err);
    char *out;
    if (x) {
        out = strdup(x->url);
        lc_xfer_free(x);
    } else {
        char b[64];
        snprintf(b, sizeof b, "!%s", lc_kind_name(err.kind));
        out = strdup(b);
    }
    lc_error_clear(&err);
    return out;
}

static void test_build_url(void)
{
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "https://canvas.example.edu";
    cfg.token = "secret-token";
    cfg.per_page = 10;
    lc_error err;
    lc_error_init(&err);
    lc_client *c = lc_client_new(&cfg, &err);
    if (!CHECK(c != NULL)) return;
    static const struct {
        const char *path, *query;
        int list, raw;
        const char *want;
    } rows[] = {
        {"users/5", NULL, 0, 0, "https://canvas.example.edu/api/v1/users/5"},
        {"/users/5", NULL, 0, 0, "https://canvas.example.edu/api/v1/users/5"},
        {"/api/v1/users/5", NULL, 0, 0, "https://canvas.example.edu/api/v1/users/5"},
        {"users", "a=1&b[]=2", 0, 0, "https://canvas.example.edu/api/v1/users?a=1&b[]=2"},
        {"users?x=1", "a=1", 0, 0, "https://canvas.example.edu/api/v1/users?x=1&a=1"},
        {"users", NULL, 1, 0, "https://canvas.example.edu/api/v1/users?per_page=10"},
        {"users", "a=1", 1, 0, "https://canvas.example.edu/api/v1/users?a=1&per_page=10"},
        {"users", "per_page=3", 1, 0, "https://canvas.example.edu/api/v1/users?per_page=3"},
        /* a next link: absolute, on the origin, taken as it is */
        {"https://canvas.example.edu/api/v1/users?page=2", NULL, 1, 0,
         "https://canvas.example.edu/api/v1/users?page=2"},
        {"https://files.example.edu/x", NULL, 0, 0, "!ForeignOrigin"},
        {"http://canvas.example.edu/x", NULL, 0, 0, "!ForeignOrigin"},
        /* issue 16: another scheme is never pasted under the API root */
        {"ftp://canvas.example.edu/x", NULL, 0, 0, "!ForeignOrigin"},
        {"file:///etc/passwd", NULL, 0, 0, "!ForeignOrigin"},
        /* raw URLs: anywhere, but absolute, and never a client default */
        {"https://files.example.edu/up?sig=1", NULL, 1, 1, "https://files.example.edu/up?sig=1"},
        {"users", NULL, 0, 1, "!InvalidArgument"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        CHECK_STR(built(c, rows[i].path, rows[i].query, rows[i].list, rows[i].raw), rows[i].want);
    lc_client_free(c);

    cfg.as_user_id = "sis_user_id:a b";
    c = lc_client_new(&cfg, &err);
    if (!CHECK(c != NULL)) return;
    CHECK_STR(built(c, "users", NULL, 1, 0),
              "https://canvas.example.edu/api/v1/users?per_page=10&as_user_id=sis_user_id%3Aa%20b");
    CHECK_STR(built(c, "users", "as_user_id=7", 0, 0),
              "https://canvas.example.edu/api/v1/users?as_user_id=7");
    CHECK_STR(built(c, "https://files.example.edu/up", NULL, 0, 1), "https://files.example.edu/up");
    lc_client_free(c);
}

/* issue 16: Link targets are URI references resolved against the page's
 * URL (RFC 3986, 5.2; RFC 8288, 3.1) */
static void test_resolve(void)
{
    static const struct { const char *base, *ref, *want; } rows[] = {
        {"https://h/prefix/api/v1/users?page=1", "?page=2", "https://h/prefix/api/v1/users?page=2"},
        {"https://h/prefix/api/v1/users?page=1", "users?page=2",
         "https://h/prefix/api/v1/users?page=2"},
        {"https://h/prefix/api/v1/f/rel/1", "2?x=y", "https://h/prefix/api/v1/f/rel/2?x=y"},
        {"https://h/prefix/api/v1/users", "/api/v1/users?page=2", "https://h/api/v1/users?page=2"},
        {"https://h/a/b", "../c", "https://h/c"},
        {"https://h/a/b", "//other.example/x", "https://other.example/x"},
        {"https://h/a/b", "https://h/a/b?page=3", "https://h/a/b?page=3"},
        {"https://h/a/b", "ftp://other/x", "ftp://other/x"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char *got = lc_url_resolve(rows[i].base, rows[i].ref);
        if (!CHECK(got && strcmp(got, rows[i].want) == 0))
            fprintf(stderr, "    %s + %s: got %s\n", rows[i].base, rows[i].ref, got ? got : "NULL");
        free(got);
    }
    /* the response's next link comes resolved */
    lc_response r;
    lc_response_init(&r);
    lc_header h = {"Link", "<2?x=y>; rel=\"next\""};
    r.headers = &h;
    r.nheaders = 1;
    r.url = "https://h/prefix/api/v1/f/rel/1";
    char *next = lc_response_next_url(&r);
    CHECK_STR(next, "https://h/prefix/api/v1/f/rel/2?x=y");
}

int main(void)
{
    test_resolve();
    test_url_origin();
    test_base_url();
    test_same_origin();
    test_build_url();
    return check_report();
}
