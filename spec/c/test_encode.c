/* The public encoders (lc_encode_params, lc_encode_segment,
 * lc_encode_path) and lc_path_check, which refuses a caller's unescaped
 * path before any request: also through lc_xfer_new and lc_perform, with
 * nothing sent (the client points at a closed port, and the refusal is
 * immediate and never a NetworkError).
 * Prints "N passed, M failed"; exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lcanvas.h"
#include "json.h"
#include "check.h"

static void check_owned(char *got, const char *want, int line)
{
    int ok = got && strcmp(got, want) == 0;
    if (!check_that(ok, __FILE__, line, want)) fprintf(stderr, "  got %s\n", got ? got : "NULL");
    lc_free(got);
}

static void test_params(void)
{
    const char *json = "{\"user\":{\"name\":\"Jo Ann\",\"tags\":[\"a\",\"b&c\"]},"
                       "\"include\":[\"x\"],\"n\":3,\"f\":1.5,\"t\":true,\"z\":null,\"e\":{}}";
    lc_value *v = lc_json_decode(json, strlen(json), NULL, 0);
    check_owned(lc_encode_params(v, NULL),
                "f=1.5&include[]=x&n=3&t=true&user[name]=Jo%20Ann&user[tags][]=a&user[tags][]=b%26c",
                __LINE__);
    lc_value_free(v);
    lc_value *arr = lc_json_decode("[1]", 3, NULL, 0);
    lc_error err;
    lc_error_init(&err);
    CHECK(lc_encode_params(arr, &err) == NULL);
    CHECK(err.kind == LC_INVALID_ARGUMENT);
    lc_error_clear(&err);
    lc_value_free(arr);
}

static void test_segments(void)
{
    check_owned(lc_encode_segment("sis_user_id:CS/101.1", 20), "sis_user_id:CS%2F101%2E1", __LINE__);
    check_owned(lc_encode_segment("a b", 3), "a%20b", __LINE__);
    check_owned(lc_encode_segment("j\xc3\xb6", 3), "j%C3%B6", __LINE__);
    check_owned(lc_encode_segment("", 0), "", __LINE__);
    check_owned(lc_encode_path("users/a b"), "users/a%20b", __LINE__);
    check_owned(lc_encode_path("users/self/profile"), "users/self/profile", __LINE__);
    check_owned(lc_encode_path("folders/by_path/My Files/50%"), "folders/by_path/My%20Files/50%25",
                __LINE__);
}

static void test_path_check(void)
{
    static const struct { const char *path; int ok; const char *says; } rows[] = {
        {"users/self", 1, NULL},
        {"users/sis_user_id:S0042", 1, NULL},
        {"users/a%20b", 1, NULL},
        {"users?search_term=jo&include[]=email", 1, NULL},
        {"users/a b", 0, "a space at byte 8"},
        {"users/a\nb", 0, "a control character (0x0a)"},
        {"users/j\xc3\xb6", 0, "a non-ASCII byte (0xc3)"},
        {"users/a#b", 0, "'#'"},
        {"users/{id}", 0, "'{'"},
        {"users/a\"b", 0, "'\"'"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        lc_error err;
        lc_error_init(&err);
        int ok = lc_path_check(rows[i].path, &err);
        CHECK(ok == rows[i].ok);
        if (!rows[i].ok) {
            CHECK(err.kind == LC_INVALID_ARGUMENT);
            if (!CHECK(err.message && strstr(err.message, rows[i].says)))
                fprintf(stderr, "  %s\n", err.message ? err.message : "(none)");
        }
        lc_error_clear(&err);
    }
    lc_error err;
    lc_error_init(&err);
    lc_path_check("users/a b", &err);
    CHECK(err.message && strstr(err.message, "\"users/a%20b\""));
    lc_error_clear(&err);
}

static void test_refused_before_sending(void)
{
    lc_config cfg = {.base_url = "http://127.0.0.1:9", .token = "t", .max_retries = -1};
    lc_error err;
    lc_error_init(&err);
    lc_client *c = lc_client_new(&cfg, &err);
    if (!CHECK(c != NULL)) return;
    lc_request req = {.method = "GET", .path = "users/a b"};
    CHECK(lc_xfer_new(c, &req, &err) == NULL);
    CHECK(err.kind == LC_INVALID_ARGUMENT);
    lc_error_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lc_response resp;
    CHECK(lc_perform(c, &req, &resp, &err) == -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(err.kind == LC_INVALID_ARGUMENT);   /* not a NetworkError after retries */
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(s < 0.2);
    lc_stats st;
    lc_client_stats(c, &st);
    CHECK(st.requests == 0);
    lc_error_clear(&err);
    lc_response_clear(&resp);
    lc_client_free(c);
}

int main(void)
{
    test_params();
    test_segments();
    test_path_check();
    test_refused_before_sending();
    return check_report();
}
