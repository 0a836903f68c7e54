/* Unit tests for the Lua-free core primitives: JSON, Rails parameters,
 * escaping, Link parsing, timestamps. Prints "N passed, M failed". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "link.h"
#include "params.h"
#include "timefmt.h"
#include "value.h"

static int passed, failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) passed++;                                                  \
        else {                                                               \
            failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                 \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        if (g_ && strcmp(g_, w_) == 0) passed++;                             \
        else {                                                               \
            failed++;                                                        \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                    g_ ? g_ : "(null)", w_);                                 \
        }                                                                    \
    } while (0)

static lc_value *decode(const char *s)
{
    char err[128];
    return lc_json_decode(s, strlen(s), err, sizeof err);
}

/* Decode then re-encode; returns a static copy for comparisons. */
static const char *roundtrip(const char *s)
{
    static char out[1024];
    lc_value *v = decode(s);
    if (!v) return "(parse error)";
    lc_buf b;
    lc_buf_init(&b);
    lc_json_encode(v, &b);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    lc_buf_free(&b);
    lc_value_free(v);
    return out;
}

static const char *parse_error(const char *s)
{
    static char err[128];
    lc_value *v = lc_json_decode(s, strlen(s), err, sizeof err);
    if (v) {
        lc_value_free(v);
        return "(parsed)";
    }
    return err;
}

static void test_json_numbers(void)
{
    lc_value *v = decode("[5, 5.0, 1e3, -0, 43460000000000001, 9223372036854775807, "
                         "-9223372036854775808, 9223372036854775808, 0.1]");
    CHECK(v && v->type == LC_T_ARRAY && v->u.arr.n == 9);
    if (!v) return;
    lc_value **it = v->u.arr.items;
    CHECK(it[0]->type == LC_T_INT && it[0]->u.i == 5);
    CHECK(it[1]->type == LC_T_DOUBLE && it[1]->u.d == 5.0);
    CHECK(it[2]->type == LC_T_DOUBLE && it[2]->u.d == 1000.0);
    CHECK(it[3]->type == LC_T_INT && it[3]->u.i == 0);
    CHECK(it[4]->type == LC_T_INT && it[4]->u.i == INT64_C(43460000000000001));
    CHECK(it[5]->type == LC_T_INT && it[5]->u.i == INT64_MAX);
    CHECK(it[6]->type == LC_T_INT && it[6]->u.i == INT64_MIN);
    CHECK(it[7]->type == LC_T_DOUBLE && it[7]->u.d == 9223372036854775808.0);
    CHECK(it[8]->type == LC_T_DOUBLE && it[8]->u.d == 0.1);
    lc_value_free(v);
    CHECK_STR(roundtrip("[43460000000000001,5.0,0.1,1e300,-2.5]"),
              "[43460000000000001,5.0,0.1,1e+300,-2.5]");
}

static void test_json_strings(void)
{
    lc_value *v = decode("{\"a\\u00e9\":\"x\\n\\\"y\\\"\\u20ac\\ud83d\\ude00\\/\"}");
    CHECK(v && v->type == LC_T_OBJECT && v->u.obj.n == 1);
    if (v) {
        CHECK_STR(v->u.obj.m[0].key, "a\xc3\xa9");
        CHECK_STR(lc_value_str(v->u.obj.m[0].val), "x\n\"y\"\xe2\x82\xac\xf0\x9f\x98\x80/");
        lc_value_free(v);
    }
    /* a lone surrogate becomes U+FFFD instead of failing the document */
    v = decode("\"\\ud800x\"");
    CHECK(v && strcmp(lc_value_str(v), "\xef\xbf\xbdx") == 0);
    lc_value_free(v);
    CHECK_STR(roundtrip("\"tab\\there \\u0001\""), "\"tab\\there \\u0001\"");
}

static void test_json_grammar(void)
{
    CHECK_STR(roundtrip("while(1);{\"id\":1}"), "{\"id\":1}");
    CHECK_STR(roundtrip("\xef\xbb\xbf [true,false,null] "), "[true,false,null]");
    CHECK_STR(roundtrip("{\"a\":{\"b\":[{},[]]}}"), "{\"a\":{\"b\":[{},[]]}}");
    CHECK_STR(parse_error("[1,]"), "unexpected character ']' at byte 3");
    CHECK_STR(parse_error("{\"a\":1,}"), "unexpected character '}' at byte 7");
    CHECK_STR(parse_error("012"), "leading zero in number at byte 1");
    CHECK_STR(parse_error("[1"), "unexpected end of input at byte 2");
    CHECK_STR(parse_error("{\"id\": 1, \"name\": "), "unexpected end of input at byte 18");
    CHECK(strcmp(parse_error("NaN"), "(parsed)") != 0);
    CHECK(strcmp(parse_error("\"a\x01\""), "(parsed)") != 0);
    CHECK(strcmp(parse_error("[1] x"), "(parsed)") != 0);
    CHECK(strcmp(parse_error(""), "(parsed)") != 0);
    CHECK(strcmp(parse_error("1."), "(parsed)") != 0);
    CHECK(strcmp(parse_error("\"\\x\""), "(parsed)") != 0);

    char deep[2000];
    size_t n = 0;
    for (int i = 0; i < 600; i++) deep[n++] = '[';
    for (int i = 0; i < 600; i++) deep[n++] = ']';
    deep[n] = '\0';
    CHECK(strstr(parse_error(deep), "nesting deeper than 512") != NULL);
    n = 0;
    for (int i = 0; i < 500; i++) deep[n++] = '[';
    for (int i = 0; i < 500; i++) deep[n++] = ']';
    deep[n] = '\0';
    CHECK_STR(parse_error(deep), "(parsed)");
}

static int stop_at_string(void *ud, const char *s, size_t n)
{
    (void)ud; (void)s; (void)n;
    return 1;
}

static void test_json_abort(void)
{
    lc_json_handler h = {0};
    h.on_string = stop_at_string;
    char scratch[64], err[64];
    const char *doc = "[1, \"x\", 2]";
    CHECK(lc_json_parse(doc, strlen(doc), &h, NULL, scratch, err, sizeof err) == LC_JSON_ABORTED);
}

static const char *encode_params(lc_value *v)
{
    static char out[512];
    lc_buf b;
    lc_buf_init(&b);
    int rc = lc_params_encode(v, &b);
    snprintf(out, sizeof out, "%s", rc == 0 ? (b.data ? b.data : "") : "(error)");
    lc_buf_free(&b);
    lc_value_free(v);
    return out;
}

static void test_params(void)
{
    CHECK_STR(encode_params(decode("{\"user\":{\"name\":\"Jo\",\"avatar\":{\"url\":\"u\"}}}")),
              "user[avatar][url]=u&user[name]=Jo");
    CHECK_STR(encode_params(decode("{\"include\":[\"a\",\"b\"]}")), "include[]=a&include[]=b");
    CHECK_STR(encode_params(decode("{\"entry\":[{\"name\":\"A\",\"value\":90},{\"name\":\"B\",\"value\":80}]}")),
              "entry[][name]=A&entry[][value]=90&entry[][name]=B&entry[][value]=80");
    CHECK_STR(encode_params(decode("{\"a\":{\"types\":[\"x\"]}}")), "a[types][]=x");
    CHECK_STR(encode_params(decode("{\"z\":true,\"a\":false,\"n\":null,\"e\":[],\"o\":{},\"i\":43460000000000001,\"d\":2.5,\"w\":3.0}")),
              "a=false&d=2.5&i=43460000000000001&w=3&z=true");
    CHECK_STR(encode_params(decode("{\"search term\":\"caf\\u00e9 & co/1\"}")),
              "search%20term=caf%C3%A9%20%26%20co%2F1");
    CHECK_STR(encode_params(decode("[1,2]")), "(error)");
    CHECK(lc_params_has_key("a=1&per_page=5", "per_page"));
    CHECK(lc_params_has_key("per_page=5", "per_page"));
    CHECK(lc_params_has_key("x=1&per_page", "per_page"));
    CHECK(!lc_params_has_key("xper_page=5", "per_page"));
    CHECK(!lc_params_has_key("per_page[x]=5", "per_page"));
    CHECK(!lc_params_has_key(NULL, "per_page"));
}

static const char *esc(int (*f)(lc_buf *, const char *, size_t), const char *s)
{
    static char out[256];
    lc_buf b;
    lc_buf_init(&b);
    f(&b, s, strlen(s));
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    lc_buf_free(&b);
    return out;
}

static void test_escaping(void)
{
    CHECK_STR(esc(lc_path_escape, "sis_user_id:CS/101.1"), "sis_user_id:CS%2F101%2E1");
    CHECK_STR(esc(lc_path_escape, "self"), "self");
    CHECK_STR(esc(lc_path_escape, "sis_login_id:jdoe@example.com"), "sis_login_id:jdoe%40example%2Ecom");
    CHECK_STR(esc(lc_path_escape_all, "a:b c"), "a%3Ab%20c");
    CHECK_STR(esc(lc_form_escape, "a-b_c.d~e f+g"), "a-b_c.d~e%20f%2Bg");
}

static void test_link(void)
{
    const char *canvas =
        "<https://x.test/api/v1/users?page=1&per_page=10>; rel=\"current\","
        "<https://x.test/api/v1/users?page=2&per_page=10>; rel=\"next\","
        "<https://x.test/api/v1/users?page=1&per_page=10>; rel=\"first\","
        "<https://x.test/api/v1/users?page=5&per_page=10>; rel=\"last\"";
    char *u = lc_link_find(canvas, "next");
    CHECK_STR(u, "https://x.test/api/v1/users?page=2&per_page=10");
    free(u);
    u = lc_link_find(canvas, "last");
    CHECK_STR(u, "https://x.test/api/v1/users?page=5&per_page=10");
    free(u);
    CHECK(lc_link_find(canvas, "prev") == NULL);
    u = lc_link_find("<http://a/b?x=1,2>;rel=NEXT", "next");
    CHECK_STR(u, "http://a/b?x=1,2");
    free(u);
    u = lc_link_find("<http://a/1>; title=\"x\"; rel=\"prev next\"", "next");
    CHECK_STR(u, "http://a/1");
    free(u);
    CHECK(lc_link_find("", "next") == NULL);
    CHECK(lc_link_find("<http://a/1; rel=next", "next") == NULL);
    CHECK(lc_link_find("garbage", "next") == NULL);
    CHECK(lc_link_find("<http://a/1>; rel=\"next", "next") == NULL);
}

static void test_time(void)
{
    double t;
    int frac;
    CHECK(lc_parse_time("2012-05-30T17:45:25Z", &t, &frac) && t == 1338399925.0 && !frac);
    CHECK(lc_parse_time("2012-05-30T10:45:25-07:00", &t, &frac) && t == 1338399925.0);
    CHECK(lc_parse_time("2012-05-30T17:45:25.5Z", &t, &frac) && t == 1338399925.5 && frac);
    CHECK(lc_parse_time("2025/08/04 14:01:12 +0000", &t, &frac) && t == 1754316072.0);
    CHECK(lc_parse_time("1969-12-31T23:59:59Z", &t, &frac) && t == -1.0);
    CHECK(!lc_parse_time("2012-13-01T00:00:00Z", &t, &frac));
    CHECK(!lc_parse_time("yesterday", &t, &frac));
    CHECK(!lc_parse_time("2012-05-30T17:45:25Zjunk", &t, &frac));
}

static void test_buf(void)
{
    lc_buf b;
    lc_buf_init(&b);
    for (int i = 0; i < 1000; i++) lc_buf_printf(&b, "%d,", i);
    CHECK(b.len > 3000 && !b.oom);
    size_t n;
    char *s = lc_buf_detach(&b, &n);
    CHECK(s && strncmp(s, "0,1,2,", 6) == 0 && strlen(s) == n);
    CHECK(b.data == NULL && b.len == 0);
    free(s);
    s = lc_buf_detach(&b, &n);
    CHECK(s && *s == '\0' && n == 0);
    free(s);
}

int main(void)
{
    test_json_numbers();
    test_json_strings();
    test_json_grammar();
    test_json_abort();
    test_params();
    test_escaping();
    test_link();
    test_time();
    test_buf();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
