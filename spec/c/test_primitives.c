/* Unit tests for the Lua-free core primitives: buffers, values, JSON,
 * Rails parameters, escaping and Link parsing.
 * Inputs and scratch areas are allocated at their exact size, so running
 * under AddressSanitizer also proves that nothing reads or writes past them.
 * Prints "N passed, M failed"; exits non-zero on any failure. */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lcanvas.h"
#include "json.h"
#include "link.h"
#include "params.h"
#include "timefmt.h"
#include "value.h"

static int passed, failed;

static void check(int ok, const char *file, int line, const char *expr)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
}

/* Compares and then frees `got` (a malloc'd string, or NULL). */
static void check_str(char *got, const char *want, const char *file, int line, const char *expr)
{
    int ok = got && want ? strcmp(got, want) == 0 : got == NULL && want == NULL;
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n    got:  %s%s%s\n    want: %s%s%s\n", file,
                line, expr, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
                want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
    }
    free(got);
}

#define CHECK(cond) check((cond) != 0, __FILE__, __LINE__, #cond)
#define CHECK_STR(got, want) check_str((got), (want), __FILE__, __LINE__, #got)

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "test: out of memory\n");
        exit(2);
    }
    memcpy(p, s, n);
    return p;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "test: out of memory\n");
        exit(2);
    }
    return p;
}

/* A copy with no terminating NUL: reading past the end is an ASan error. */
static char *exact(const char *s, size_t n)
{
    char *p = xmalloc(n);
    if (n) memcpy(p, s, n);
    return p;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static char *buf_take(lc_buf *b)
{
    char *s = lc_buf_detach(b, NULL);
    return s ? s : xstrdup("(oom)");
}

/* ------------------------------------------------------------ buf */

static void test_buf(void)
{
    lc_buf b;
    lc_buf_init(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && !b.oom);
    for (int i = 0; i < 2000; i++) CHECK(i == 0 || lc_buf_printf(&b, "%d,", i) == 0);
    CHECK(b.len > 7000 && !b.oom && b.cap > b.len && b.data[b.len] == '\0');
    CHECK(strncmp(b.data, "1,2,3,", 6) == 0);

    /* vprintf larger than the spare room takes the second path */
    lc_buf_clear(&b);
    CHECK(b.len == 0 && b.data && b.data[0] == '\0');
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lc_buf_puts(&b, "<");
    CHECK(lc_buf_printf(&b, "%s|%d", big, 42) == 0);
    CHECK(b.len == 1 + 2999 + 3 && strcmp(b.data + b.len - 3, "|42") == 0);

    /* appending a piece of itself survives the reallocations (a fresh
     * buffer, so that they really happen) */
    lc_buf self;
    lc_buf_init(&self);
    lc_buf_puts(&self, "abc");
    for (int i = 0; i < 12; i++) lc_buf_append(&self, self.data + (i & 1), self.len - (i & 1));
    CHECK(self.len == 10923 && memcmp(self.data + self.len - 3, "abc", 3) == 0 && self.data[self.len] == '\0');
    lc_buf_free(&self);

    lc_buf_clear(&b);
    CHECK(lc_buf_putc(&b, 'a') == 0 && lc_buf_putc(&b, '\0') == 0 && lc_buf_putc(&b, 'b') == 0);
    CHECK(b.len == 3 && memcmp(b.data, "a\0b", 4) == 0);
    CHECK(lc_buf_append(&b, NULL, 0) == 0 && b.len == 3);
    CHECK(lc_buf_reserve(&b, 1000) == 0 && b.cap >= 1004 && b.len == 3);

    /* a failed allocation sticks until the text is dropped */
    CHECK(lc_buf_reserve(&b, SIZE_MAX - 2) == -1 && b.oom);
    CHECK(lc_buf_puts(&b, "more") == -1 && b.len == 3);
    CHECK(lc_buf_printf(&b, "%d", 7) == -1 && b.len == 3);
    size_t n = 99;
    CHECK(lc_buf_detach(&b, &n) == NULL && n == 0);
    CHECK(b.data == NULL && b.len == 0 && !b.oom);

    lc_buf_puts(&b, "hello");
    char *s = lc_buf_detach(&b, &n);
    CHECK(s && strcmp(s, "hello") == 0 && n == 5);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    free(s);
    s = lc_buf_detach(&b, &n);
    CHECK(s && s[0] == '\0' && n == 0);
    free(s);

    lc_buf_puts(&b, "x");
    lc_buf_reserve(&b, SIZE_MAX);
    CHECK(b.oom);
    lc_buf_clear(&b);
    CHECK(!b.oom && lc_buf_puts(&b, "ok") == 0 && strcmp(b.data, "ok") == 0);
    lc_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
    lc_buf_free(&b);
}

/* ------------------------------------------------------------ value */

static void test_value(void)
{
    lc_value *o = lc_value_object();
    CHECK(o && o->type == LC_T_OBJECT && o->u.obj.n == 0);
    CHECK(lc_object_set(o, "a", 1, lc_value_int(1)) == 0);
    CHECK(lc_object_set(o, "b", 1, lc_value_string("x\0y", 3)) == 0);
    CHECK(lc_object_set(o, "a", 1, lc_value_int(2)) == 0);  /* replaces, frees the old */
    CHECK(o->u.obj.n == 2 && strcmp(o->u.obj.m[0].key, "a") == 0);
    CHECK(lc_object_get(o, "a") && lc_object_get(o, "a")->u.i == 2);
    CHECK(lc_object_get(o, "b")->u.str.len == 3 && memcmp(lc_object_get(o, "b")->u.str.s, "x\0y", 4) == 0);
    CHECK(lc_object_get(o, "c") == NULL);
    CHECK(lc_object_set(o, "", 0, lc_value_bool(5)) == 0 && lc_object_get(o, "")->u.b == 1);
    CHECK(lc_object_set(o, "k\0z", 3, lc_value_null()) == 0 && o->u.obj.n == 4);
    CHECK(lc_object_get(o, "k") == NULL);  /* the key with a NUL is "k\0z", not "k" */
    CHECK(lc_value_str(lc_object_get(o, "b")) != NULL && lc_value_str(lc_object_get(o, "a")) == NULL);
    CHECK(lc_value_str(NULL) == NULL && lc_object_get(NULL, "a") == NULL);

    lc_value *arr = lc_value_array();
    for (int i = 0; i < 100; i++) CHECK(i == 0 || lc_array_push(arr, lc_value_int(i)) == 0);
    CHECK(arr->u.arr.n == 99 && arr->u.arr.items[98]->u.i == 99);
    CHECK(lc_object_get(arr, "a") == NULL);
    /* the wrong container still takes ownership (and frees) */
    CHECK(lc_array_push(o, lc_value_int(1)) == -1);
    CHECK(lc_object_set(arr, "a", 1, lc_value_int(1)) == -1);
    CHECK(lc_array_push(arr, NULL) == -1 && lc_object_set(o, "z", 1, NULL) == -1);
    CHECK(lc_object_set(o, "arr", 3, arr) == 0);

    lc_value *d = lc_value_double(2.5);
    CHECK(d && d->type == LC_T_DOUBLE && same_bits(d->u.d, 2.5));
    lc_value_free(d);
    lc_value *s = lc_value_string(NULL, 0);
    CHECK(s && s->u.str.len == 0 && s->u.str.s[0] == '\0');
    lc_value_free(s);
    lc_value_free(o);
    lc_value_free(NULL);

    char err[128];
    const char *doc = "{\"meta\":{\"pagination\":{\"next\":\"u2\",\"a.b\":1}},\"\":{\"x\":2},\"l\":[1]}";
    lc_value *v = lc_json_decode(doc, strlen(doc), err, sizeof err);
    CHECK(v != NULL);
    CHECK(lc_value_path(v, "meta.pagination.next") && strcmp(lc_value_str(lc_value_path(v, "meta.pagination.next")), "u2") == 0);
    CHECK(lc_value_path(v, "meta.pagination") && lc_value_path(v, "meta.pagination")->type == LC_T_OBJECT);
    CHECK(lc_value_path(v, "meta.pagination.prev") == NULL);
    CHECK(lc_value_path(v, "meta.pagination.next.deeper") == NULL);  /* through a string */
    CHECK(lc_value_path(v, "meta.pagination.a.b") == NULL);          /* dots always split */
    CHECK(lc_value_path(v, "l.0") == NULL);                          /* arrays are not indexed */
    CHECK(lc_value_path(v, ".x") && lc_value_path(v, ".x")->u.i == 2);  /* the empty key */
    CHECK(lc_value_path(v, "nope") == NULL && lc_value_path(NULL, "a") == NULL);
    CHECK(lc_value_path(v, NULL) == NULL);
    lc_value_free(v);
}

/* ------------------------------------------------------------ JSON events */

/* Records every event as text: "[ i:1 s:x { k:a n } ]". */
typedef struct recorder {
    lc_buf log;
    int bad_nul;     /* a string or key that was not NUL-terminated */
    int stop_after;  /* abort on this event number (1-based); 0: never */
    int count;
} recorder;

static int note(recorder *r, const char *fmt, const char *s, size_t n)
{
    if (r->log.len) lc_buf_putc(&r->log, ' ');
    lc_buf_puts(&r->log, fmt);
    if (s) lc_buf_append(&r->log, s, n);
    r->count++;
    return r->stop_after && r->count >= r->stop_after;
}

static int r_null(void *ud) { return note(ud, "n", NULL, 0); }
static int r_bool(void *ud, int b) { return note(ud, b ? "t" : "f", NULL, 0); }
static int r_int(void *ud, int64_t i)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, i);
    return note(ud, "i:", num, strlen(num));
}
static int r_double(void *ud, double d)
{
    char num[40];
    snprintf(num, sizeof num, "%.17g", d);
    return note(ud, "d:", num, strlen(num));
}
static int r_string(void *ud, const char *s, size_t n)
{
    recorder *r = ud;
    if (s[n] != '\0') r->bad_nul = 1;
    return note(r, "s:", s, n);
}
static int r_key(void *ud, const char *s, size_t n)
{
    recorder *r = ud;
    if (s[n] != '\0') r->bad_nul = 1;
    return note(r, "k:", s, n);
}
static int r_bobj(void *ud) { return note(ud, "{", NULL, 0); }
static int r_eobj(void *ud) { return note(ud, "}", NULL, 0); }
static int r_barr(void *ud) { return note(ud, "[", NULL, 0); }
static int r_earr(void *ud) { return note(ud, "]", NULL, 0); }

static const lc_json_handler recording = {r_null, r_bool, r_int, r_double, r_string, r_key,
                                          r_bobj, r_eobj, r_barr, r_earr};

/* Parses `n` bytes with exact-size input and scratch. */
static int parse_n(const char *text, size_t n, const lc_json_handler *h, void *ud, char *err,
                   size_t errlen)
{
    char *in = exact(text, n), *scratch = xmalloc(n);
    int rc = lc_json_parse(in, n, h, ud, scratch, err, errlen);
    free(in);
    free(scratch);
    return rc;
}

/* The event log, or "ERR(rc): message". */
static char *events_n(const char *text, size_t n)
{
    recorder r = {{0}, 0, 0, 0};
    char err[160];
    lc_buf_init(&r.log);
    int rc = parse_n(text, n, &recording, &r, err, sizeof err);
    if (rc != LC_JSON_OK) {
        lc_buf_clear(&r.log);
        lc_buf_printf(&r.log, "ERR(%d): %s", rc, err);
    } else if (r.bad_nul) {
        lc_buf_puts(&r.log, " (not NUL-terminated)");
    }
    return buf_take(&r.log);
}

static char *events(const char *text) { return events_n(text, strlen(text)); }

/* The error message, or "OK". Validates with no handler at all. */
/* The parser's verdict; the validator (exact-size input) must give the
 * same code and message, which every error case below then checks too. */
static char *error_of(const char *text)
{
    char err[160], verr[160];
    size_t n = strlen(text);
    int rc = parse_n(text, n, NULL, NULL, err, sizeof err);
    char *in = exact(text, n);
    int vrc = lc_json_validate(in, n, verr, sizeof verr);
    free(in);
    if (vrc != rc || (rc != LC_JSON_OK && strcmp(err, verr) != 0)) return xstrdup("VALIDATOR DIFFERS");
    return xstrdup(rc == LC_JSON_OK ? "OK" : err);
}

static int rc_of(const char *text)
{
    char err[160];
    lc_json_handler none = {0};
    return parse_n(text, strlen(text), &none, NULL, err, sizeof err);
}

static void test_json_grammar(void)
{
    CHECK_STR(events("[1, \"two\", 3.5, true, false, null, {\"k\": {}}, []]"),
              "[ i:1 s:two d:3.5 t f n { k:k { } } [ ] ]");
    CHECK_STR(events(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\":{\"c\":null} } \n"),
              "{ k:a [ i:1 i:2 ] k:b { k:c n } }");
    CHECK_STR(events("\"top\""), "s:top");
    CHECK_STR(events("0"), "i:0");
    CHECK_STR(events("true"), "t");
    CHECK_STR(events("null "), "n");
    CHECK_STR(events("{}"), "{ }");
    CHECK_STR(events("[[[]]]"), "[ [ [ ] ] ]");
    CHECK_STR(events("{\"a\":1,\"a\":2}"), "{ k:a i:1 k:a i:2 }");  /* events keep duplicates */

    /* trailing commas, missing pieces, wrong brackets */
    CHECK_STR(error_of("[1,]"), "unexpected character ']' at byte 3");
    CHECK_STR(error_of("{\"a\":1,}"), "unexpected character '}' at byte 7");
    CHECK_STR(error_of("{\"id\": 1, \"name\": 2,\n}"), "unexpected character '}' at byte 21");
    CHECK_STR(error_of("[,1]"), "unexpected character ',' at byte 1");
    CHECK_STR(error_of("[1 2]"), "unexpected character '2' at byte 3");
    CHECK_STR(error_of("{\"a\" 1}"), "unexpected character '1' at byte 5");
    CHECK_STR(error_of("{\"a\":}"), "unexpected character '}' at byte 5");
    CHECK_STR(error_of("{a:1}"), "unexpected character 'a' at byte 1");
    CHECK_STR(error_of("{'a':1}"), "unexpected character ''' at byte 1");
    CHECK_STR(error_of("{1:1}"), "unexpected character '1' at byte 1");
    CHECK_STR(error_of("[1}"), "unexpected character '}' at byte 2");
    CHECK_STR(error_of("{\"a\":1]"), "unexpected character ']' at byte 6");
    CHECK_STR(error_of("]"), "unexpected character ']' at byte 0");
    CHECK_STR(error_of("[1] x"), "unexpected character 'x' at byte 4");
    CHECK_STR(error_of("[1][2]"), "unexpected character '[' at byte 3");
    CHECK_STR(error_of("1 2"), "unexpected character '2' at byte 2");
    /* end of input everywhere */
    CHECK_STR(error_of(""), "unexpected end of input at byte 0");
    CHECK_STR(error_of("   "), "unexpected end of input at byte 3");
    CHECK_STR(error_of("[1"), "unexpected end of input at byte 2");
    CHECK_STR(error_of("[1,"), "unexpected end of input at byte 3");
    CHECK_STR(error_of("{\"id\": 1, \"name\": "), "unexpected end of input at byte 18");
    CHECK_STR(error_of("{\"a\""), "unexpected end of input at byte 4");
    CHECK_STR(error_of("{\"a"), "unexpected end of input at byte 3");
    CHECK_STR(error_of("\"abc\\"), "unexpected end of input at byte 5");
    CHECK_STR(error_of("tru"), "unexpected end of input at byte 3");
    /* literals */
    CHECK_STR(error_of("trux"), "unexpected character 'x' at byte 3");
    CHECK_STR(error_of("True"), "unexpected character 'T' at byte 0");
    CHECK_STR(error_of("nul"), "unexpected end of input at byte 3");
    CHECK_STR(error_of("falsey"), "unexpected character 'y' at byte 5");
    CHECK_STR(error_of("[truefalse]"), "unexpected character 'f' at byte 5");
    CHECK_STR(error_of("NaN"), "unexpected character 'N' at byte 0");
    CHECK_STR(error_of("Infinity"), "unexpected character 'I' at byte 0");
    CHECK_STR(error_of("-Infinity"), "unexpected character 'I' at byte 1");
    CHECK_STR(error_of("[nan]"), "unexpected character 'a' at byte 2");
    CHECK_STR(error_of("undefined"), "unexpected character 'u' at byte 0");
    /* numbers */
    CHECK_STR(error_of("012"), "leading zero in number at byte 1");
    CHECK_STR(error_of("-012"), "leading zero in number at byte 2");
    CHECK_STR(error_of("[00]"), "leading zero in number at byte 2");
    CHECK_STR(error_of("1."), "unexpected end of input at byte 2");
    CHECK_STR(error_of("1.e5"), "unexpected character 'e' at byte 2");
    CHECK_STR(error_of(".5"), "unexpected character '.' at byte 0");
    CHECK_STR(error_of("+1"), "unexpected character '+' at byte 0");
    CHECK_STR(error_of("-"), "unexpected end of input at byte 1");
    CHECK_STR(error_of("- 1"), "unexpected character ' ' at byte 1");
    CHECK_STR(error_of("1e"), "unexpected end of input at byte 2");
    CHECK_STR(error_of("1e+"), "unexpected end of input at byte 3");
    CHECK_STR(error_of("1E-x"), "unexpected character 'x' at byte 3");
    CHECK_STR(error_of("0x10"), "unexpected character 'x' at byte 1");
    CHECK_STR(error_of("1.5.2"), "unexpected character '.' at byte 3");
    CHECK_STR(error_of("[1,-]"), "unexpected character ']' at byte 4");
    CHECK_STR(events("[0, -0, 0.5, -0.5e-1, 1E2, 1e+2, 0e0]"),
              "[ i:0 i:0 d:0.5 d:-0.050000000000000003 d:100 d:100 d:0 ]");
    /* strings */
    CHECK_STR(error_of("\"a\x01\""), "control character 0x01 in string at byte 2");
    CHECK_STR(error_of("\"tab\there\""), "control character 0x09 in string at byte 4");
    CHECK_STR(error_of("\"new\nline\""), "control character 0x0A in string at byte 4");
    /* every byte value inside a string: controls rejected, the rest kept */
    int wrong = 0;
    for (int c = 0; c < 256; c++) {
        char doc[4] = {'"', (char)c, '"', 0}, err[96], want[96];
        recorder r = {{0}, 0, 0, 0};
        lc_buf_init(&r.log);
        int rc = parse_n(doc, 3, &recording, &r, err, sizeof err);
        snprintf(want, sizeof want, "control character 0x%02X in string at byte 1", (unsigned)c);
        if (c < 0x20) wrong += rc != LC_JSON_SYNTAX || strcmp(err, want) != 0;
        else if (c == '"' || c == '\\') wrong += rc != LC_JSON_SYNTAX;
        else wrong += rc != LC_JSON_OK || r.log.len != 3 || (unsigned char)r.log.data[2] != c;
        lc_buf_free(&r.log);
    }
    CHECK(wrong == 0);
    CHECK_STR(error_of("\"\\x\""), "invalid escape in string at byte 1");
    CHECK_STR(error_of("\"ok\\'\""), "invalid escape in string at byte 3");
    CHECK_STR(error_of("\"\\u12G4\""), "invalid \\u escape at byte 1");
    CHECK_STR(error_of("\"\\u12\""), "invalid \\u escape at byte 1");
    CHECK_STR(error_of("\"\\u12"), "invalid \\u escape at byte 1");
    CHECK_STR(error_of("\"unterminated"), "unexpected end of input at byte 13");
    CHECK_STR(error_of("\"a\"\"b\""), "unexpected character '\"' at byte 3");
    CHECK_STR(error_of("\xff"), "unexpected byte 0xFF at byte 0");
    CHECK_STR(error_of("[1]\x00"), "OK");  /* strlen stops at the NUL: "[1]" */
    CHECK_STR(events_n("[1]\0", 4), "ERR(-1): unexpected byte 0x00 at byte 3");
    CHECK_STR(events_n("\"a\0b\"", 5), "ERR(-1): control character 0x00 in string at byte 2");
    CHECK(rc_of("[1,]") == LC_JSON_SYNTAX && rc_of("[1]") == LC_JSON_OK);
    /* long strings: the validator skips eight bytes at a time until a stop byte */
    CHECK_STR(error_of("\"abcdefghijklmnopqrstuvwxyz0123\x01\""),
              "control character 0x01 in string at byte 31");
    CHECK_STR(error_of("[\"abcdefghijklmnopqrstuvwxyz\\q\"]"), "invalid escape in string at byte 28");
    CHECK_STR(error_of("\"abcdefgh\\\"ijklmnopqrstuvw\\u00e9xyz\u00e9\u00e9\u00e9\u00e9\""), "OK");
    CHECK_STR(error_of("\"abcdefghijklmnopqrstuvwxyz\\u12g4\""), "invalid \\u escape at byte 27");

    /* no message buffer at all is fine too */
    char scratch[8];
    CHECK(lc_json_parse("[1,]", 4, NULL, NULL, scratch, NULL, 0) == LC_JSON_SYNTAX);
    CHECK(lc_json_parse(NULL, 0, NULL, NULL, NULL, NULL, 0) == LC_JSON_SYNTAX);
    char err[8];
    CHECK(lc_json_parse("[1,]", 4, NULL, NULL, scratch, err, sizeof err) == LC_JSON_SYNTAX);
    CHECK(strlen(err) == 7);  /* truncated, still terminated */
}

static void test_json_prefix(void)
{
    CHECK(lc_json_skip_prefix("while(1);{}", 11) == 9);
    CHECK(lc_json_skip_prefix("\xEF\xBB\xBF  while(1);  \n[1]", 20) == 17);
    CHECK(lc_json_skip_prefix("  [1]", 5) == 2);
    CHECK(lc_json_skip_prefix("while(1)", 8) == 0);
    CHECK(lc_json_skip_prefix("while(1);", 9) == 9);
    CHECK(lc_json_skip_prefix("", 0) == 0);
    CHECK(lc_json_skip_prefix("\xEF\xBB", 2) == 0);
    CHECK(lc_json_skip_prefix("   ", 3) == 3);
    CHECK_STR(events("while(1);{\"id\":1}"), "{ k:id i:1 }");
    CHECK_STR(events("while(1); \r\n [true]"), "[ t ]");
    CHECK_STR(events("\xEF\xBB\xBF{}"), "{ }");
    CHECK_STR(events("\xEF\xBB\xBF while(1);\t\"x\" "), "s:x");
    CHECK_STR(error_of("while(1);"), "unexpected end of input at byte 9");
    CHECK_STR(error_of("while(1);[1,]"), "unexpected character ']' at byte 12");
    CHECK_STR(error_of("while(1)[1]"), "unexpected character 'w' at byte 0");
    CHECK_STR(error_of("while(1);while(1);[1]"), "unexpected character 'w' at byte 9");
    CHECK_STR(error_of("[1] \xEF\xBB\xBF"), "unexpected byte 0xEF at byte 4");
    CHECK_STR(error_of(" \xEF\xBB\xBF[1]"), "unexpected byte 0xEF at byte 1");
}

static void test_json_strings(void)
{
    CHECK_STR(events("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""), "s:a\"b\\c/d\b\f\n\r\t");
    CHECK_STR(events("\"\\u0041\\u00e9\\u00E9\\u20ac\\uFFFF\""),
              "s:A\xc3\xa9\xc3\xa9\xe2\x82\xac\xef\xbf\xbf");
    CHECK_STR(events("\"\\ud83d\\ude00\""), "s:\xf0\x9f\x98\x80");          /* U+1F600 */
    CHECK_STR(events("\"\\uD834\\uDD1E\""), "s:\xf0\x9d\x84\x9e");          /* U+1D11E */
    CHECK_STR(events("\"\\udbff\\udfff\""), "s:\xf4\x8f\xbf\xbf");          /* U+10FFFF */
    CHECK_STR(events("\"\\ud800\\udc00\""), "s:\xf0\x90\x80\x80");          /* U+10000 */
    CHECK_STR(events("\"\\u007f\\u0080\\u07ff\\u0800\""), "s:\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80");
    /* lone surrogates become U+FFFD; the next escape still counts */
    CHECK_STR(events("\"\\ud800x\""), "s:\xef\xbf\xbdx");
    CHECK_STR(events("\"\\udc00\""), "s:\xef\xbf\xbd");
    CHECK_STR(events("\"\\ud800\""), "s:\xef\xbf\xbd");
    CHECK_STR(events("\"\\ud800\\u0041\""), "s:\xef\xbf\xbd" "A");
    CHECK_STR(events("\"\\ud800\\ud800\\udc00\""), "s:\xef\xbf\xbd\xf0\x90\x80\x80");
    CHECK_STR(events("\"\\ude00\\ud83d\""), "s:\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_STR(events("\"\\ud800\\n\""), "s:\xef\xbf\xbd\n");
    CHECK_STR(error_of("\"\\ud800\\uZZZZ\""), "invalid \\u escape at byte 7");
    CHECK_STR(events("\"raw \xc3\xa9 \xf0\x9f\x98\x80 utf-8\""), "s:raw \xc3\xa9 \xf0\x9f\x98\x80 utf-8");
    CHECK_STR(events("\"\x7f\""), "s:\x7f");
    CHECK_STR(events("\"\""), "s:");
    CHECK_STR(events("{\"\":\"\"}"), "{ k: s: }");
    CHECK_STR(events("{\"k\\u00e9y\\n\":1}"), "{ k:k\xc3\xa9y\n i:1 }");

    /* \u0000 decodes to a real NUL byte inside the string */
    char err[64];
    lc_value *v = lc_json_decode("\"a\\u0000b\"", 10, err, sizeof err);
    CHECK(v && v->type == LC_T_STRING && v->u.str.len == 3 && memcmp(v->u.str.s, "a\0b", 4) == 0);
    lc_value_free(v);

    /* a document that is only escapes fills the scratch area exactly */
    CHECK_STR(events("\"\\n\\n\\n\""), "s:\n\n\n");
    CHECK_STR(events("\"\\u00e9\""), "s:\xc3\xa9");
    CHECK_STR(events("\"\\ud83d\\ude00\\ud83d\\ude00\""), "s:\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
    CHECK_STR(events("\"x\""), "s:x");

    /* long strings with escapes far apart */
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_putc(&b, '"');
    for (int i = 0; i < 1000; i++) lc_buf_puts(&b, "abcdefgh\\t");
    lc_buf_putc(&b, '"');
    char *ev = events_n(b.data, b.len);
    CHECK(ev && strncmp(ev, "s:abcdefgh\tabcdefgh\t", 20) == 0 && strlen(ev) == 2 + 9000);
    free(ev);
    lc_buf_free(&b);
}

static lc_value *decode_exact(const char *text, size_t n, char *err, size_t errlen)
{
    char *in = exact(text, n);
    lc_value *v = lc_json_decode(in, n, err, errlen);
    free(in);
    return v;
}

static int is_int(const char *text, int64_t want)
{
    char err[128];
    lc_value *v = decode_exact(text, strlen(text), err, sizeof err);
    int ok = v && v->type == LC_T_INT && v->u.i == want;
    lc_value_free(v);
    return ok;
}

static int is_double(const char *text, double want)
{
    char err[128];
    lc_value *v = decode_exact(text, strlen(text), err, sizeof err);
    int ok = v && v->type == LC_T_DOUBLE && same_bits(v->u.d, want);
    lc_value_free(v);
    return ok;
}

/* The reader's double for `text` must be what strtod makes of it. */
static int matches_strtod(const char *text)
{
    return is_double(text, strtod(text, NULL));
}

static void test_json_numbers(void)
{
    CHECK(is_int("5", 5));
    CHECK(is_int("-5", -5));
    CHECK(is_int("0", 0));
    CHECK(is_int("-0", 0));
    CHECK(is_int("43460000000000001", INT64_C(43460000000000001)));
    CHECK(is_int("-43460000000000001", -INT64_C(43460000000000001)));
    CHECK(is_int("9007199254740993", INT64_C(9007199254740993)));  /* 2^53 + 1 */
    CHECK(is_int("9223372036854775807", INT64_MAX));
    CHECK(is_int("-9223372036854775807", -INT64_MAX));
    CHECK(is_int("-9223372036854775808", INT64_MIN));
    CHECK(is_int("9223372036854775806", INT64_MAX - 1));
    CHECK(is_int("922337203685477580", INT64_C(922337203685477580)));
    CHECK(is_int("[9223372036854775807]", 0) == 0);  /* sanity: not a scalar */
    CHECK(is_double("9223372036854775808", 9223372036854775808.0));
    CHECK(is_double("-9223372036854775809", -9223372036854775808.0));
    CHECK(is_double("9223372036854775810", 9223372036854775808.0));
    CHECK(is_double("18446744073709551616", 18446744073709551616.0));
    CHECK(is_double("100000000000000000000000", 1e23));
    CHECK(is_double("5.0", 5.0));
    CHECK(is_double("1e3", 1000.0));
    CHECK(is_double("1E3", 1000.0));
    CHECK(is_double("1e-3", 0.001));
    CHECK(is_double("0.1", 0.1));
    CHECK(is_double("-0.0", -0.0));
    CHECK(!is_double("-0.0", 0.0));
    CHECK(is_double("-0e5", -0.0));
    CHECK(is_double("2.5", 2.5));
    CHECK(is_double("1.7976931348623157e308", 1.7976931348623157e308));
    CHECK(is_double("5e-324", 5e-324));
    CHECK(is_double("1e400", HUGE_VAL));
    CHECK(is_double("-1e400", -HUGE_VAL));
    CHECK(is_double("1e-400", 0.0));
    CHECK(is_double("43460000000000001.0", 43460000000000001.0));

    /* literals too long for the stack copy: rewritten, still exact */
    char lit[4096];
    memset(lit, '9', 100);
    lit[100] = '\0';
    CHECK(matches_strtod(lit));  /* a 100-digit integer, the whole document */
    memset(lit, '1', 1000);
    lit[1000] = '\0';
    CHECK(matches_strtod(lit));
    strcpy(lit, "-0.");
    memset(lit + 3, '0', 900);
    strcpy(lit + 903, "123456789e+910");
    CHECK(matches_strtod(lit));
    CHECK(is_double(lit, -1.23456789e9));
    strcpy(lit, "123456789012345678901234567890123456789012345678901234567890.5e-400");
    CHECK(matches_strtod(lit));
    strcpy(lit, "0.00000000000000000000000000000000000000000000000000000000000000000000001");
    CHECK(matches_strtod(lit) && is_double(lit, 1e-71));
    strcpy(lit, "1.0000000000000000000000000000000000000000000000000000000000000000000000e99999999999999999999");
    CHECK(is_double(lit, HUGE_VAL));
    strcpy(lit, "1.0000000000000000000000000000000000000000000000000000000000000000000000e-99999999999999999999");
    CHECK(is_double(lit, 0.0));
    strcpy(lit, "0.0000000000000000000000000000000000000000000000000000000000000000000000e99999999999999999999");
    CHECK(is_double(lit, 0.0));
    strcpy(lit, "1e00000000000000000000000000000000000000000000000000000000000000000000000000000005");
    CHECK(is_double(lit, 1e5));
    /* 2^53 + 1 is halfway between two doubles: ties go to even, but a
     * non-zero digit 1000 places later must tip it up. */
    strcpy(lit, "9007199254740993.");
    memset(lit + 17, '0', 1000);
    strcpy(lit + 1017, "1");
    CHECK(is_double(lit, 9007199254740994.0) && matches_strtod(lit));
    lit[1017] = '\0';
    CHECK(is_double(lit, 9007199254740992.0) && matches_strtod(lit));
    strcpy(lit, "90071992547409930");
    memset(lit + 17, '0', 1000);
    strcpy(lit + 1017, "1e-1002");
    CHECK(is_double(lit, 9007199254740994.0) && matches_strtod(lit));
    /* near the bottom of the subnormals, digits far out matter too */
    strcpy(lit, "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125");
    size_t len = strlen(lit);
    strcpy(lit + len, "e-324");  /* exactly 2^-1075: halfway between 0 and 2^-1074 */
    CHECK(is_double(lit, 0.0) && matches_strtod(lit));
    lit[len - 1] = '6';
    CHECK(is_double(lit, 5e-324) && matches_strtod(lit));
    lit[len - 1] = '5';
    memset(lit + len, '0', 200);  /* the tipping digit past the 800 kept */
    strcpy(lit + len + 200, "1e-324");
    CHECK(is_double(lit, 5e-324) && matches_strtod(lit));

    CHECK_STR(events("[1, 1.0, 1e0, -1]"), "[ i:1 d:1 d:1 i:-1 ]");
}

/* A deterministic pseudo-random sequence (no libc rand state). */
static unsigned next_rand(uint64_t *state)
{
    *state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (unsigned)(*state >> 33);
}

/* Random literals of every shape, checked against strtoll / strtod: the
 * reader's integer path, its quick double path and strtod must agree. */
static void test_json_numbers_random(void)
{
    uint64_t st = 42;
    int bad = 0;
    for (int k = 0; k < 30000; k++) {
        char lit[96];
        size_t n = 0;
        if (next_rand(&st) % 3 == 0) lit[n++] = '-';
        unsigned idig = 1 + next_rand(&st) % 21;
        lit[n++] = idig == 1 ? (char)('0' + next_rand(&st) % 10) : (char)('1' + next_rand(&st) % 9);
        for (unsigned i = 1; i < idig; i++) lit[n++] = (char)('0' + next_rand(&st) % 10);
        int integral = 1;
        if (next_rand(&st) % 2) {
            integral = 0;
            lit[n++] = '.';
            unsigned fdig = 1 + next_rand(&st) % 20;
            for (unsigned i = 0; i < fdig; i++) lit[n++] = (char)('0' + next_rand(&st) % 10);
        }
        if (next_rand(&st) % 3 == 0) {
            integral = 0;
            n += (size_t)snprintf(lit + n, sizeof lit - n, "%s%d", next_rand(&st) % 2 ? "e" : "E",
                                  (int)(next_rand(&st) % 80) - 40);
        }
        lit[n] = '\0';
        char err[128];
        lc_value *v = decode_exact(lit, n, err, sizeof err);
        char *stop;
        errno = 0;
        long long ll = strtoll(lit, &stop, 10);
        int fits = integral && errno == 0;
        if (!v) bad++;
        else if (fits ? v->type != LC_T_INT || v->u.i != ll
                      : v->type != LC_T_DOUBLE || !same_bits(v->u.d, strtod(lit, NULL))) {
            if (bad++ < 5) fprintf(stderr, "number mismatch for %s\n", lit);
        }
        lc_value_free(v);
    }
    CHECK(bad == 0);
    /* the edges of the quick path */
    CHECK(matches_strtod("123456789012345.6"));  /* 16 digits: strtod */
    CHECK(matches_strtod("999999999999999e22"));
    CHECK(matches_strtod("999999999999999e23"));
    CHECK(matches_strtod("1e22") && matches_strtod("1e23") && matches_strtod("1e-22") && matches_strtod("1e-23"));
    CHECK(matches_strtod("9007199254740993.0"));
    CHECK(matches_strtod("0.000000000000000000000000000001"));
    CHECK(matches_strtod("100000000000000000000000000000.0"));
    CHECK(matches_strtod("0.30000000000000004") && matches_strtod("4.35") && matches_strtod("-12.5e-3"));
    CHECK(is_double("-0.0e-5", -0.0) && is_double("0.0e400", 0.0));
}

static void test_json_depth(void)
{
    enum { DEEP = 600 };
    char deep[2 * DEEP + 16];
    size_t n = 0;
    for (int i = 0; i < DEEP; i++) deep[n++] = '[';
    for (int i = 0; i < DEEP; i++) deep[n++] = ']';
    CHECK_STR(events_n(deep, n), "ERR(-3): nesting deeper than 512 at byte 512");
    char err[128];
    CHECK(decode_exact(deep, n, err, sizeof err) == NULL && strcmp(err, "nesting deeper than 512 at byte 512") == 0);

    /* 512 levels are fine, 513 are not; empty containers count */
    for (int depth = 500; depth <= 513; depth++) {
        n = 0;
        for (int i = 0; i < depth; i++) deep[n++] = '[';
        for (int i = 0; i < depth; i++) deep[n++] = ']';
        lc_value *v = decode_exact(deep, n, err, sizeof err);
        CHECK(depth <= 512 ? v != NULL : v == NULL);
        if (v) {
            lc_buf b;
            lc_buf_init(&b);
            CHECK(lc_json_encode(v, &b) == 0 && b.len == n && memcmp(b.data, deep, n) == 0);
            lc_buf_free(&b);
        }
        lc_value_free(v);
    }
    /* objects too, and a deep open document without its closing half */
    lc_buf b;
    lc_buf_init(&b);
    for (int i = 0; i < 513; i++) lc_buf_puts(&b, "{\"a\":");
    CHECK_STR(events_n(b.data, b.len), "ERR(-3): nesting deeper than 512 at byte 2560");
    lc_buf_clear(&b);
    for (int i = 0; i < 512; i++) lc_buf_puts(&b, "{\"a\":");
    lc_buf_puts(&b, "1");
    for (int i = 0; i < 512; i++) lc_buf_putc(&b, '}');
    lc_value *v = decode_exact(b.data, b.len, err, sizeof err);
    CHECK(v != NULL);
    lc_value_free(v);
    lc_buf_clear(&b);
    for (int i = 0; i < 100000; i++) lc_buf_putc(&b, '[');
    CHECK(decode_exact(b.data, b.len, err, sizeof err) == NULL && strstr(err, "nesting deeper than 512") != NULL);
    lc_buf_free(&b);
}

static void test_json_abort(void)
{
    recorder r = {{0}, 0, 2, 0};
    char err[128];
    lc_buf_init(&r.log);
    int rc = parse_n("[1, \"x\", 2]", 11, &recording, &r, err, sizeof err);
    CHECK(rc == LC_JSON_ABORTED && r.count == 2 && strcmp(r.log.data, "[ i:1") == 0);
    CHECK(strcmp(err, "parse aborted by the handler at byte 1") == 0);
    /* every kind of event can stop the parse, and nothing is seen after it */
    const char *doc = "{\"k\":[null,true,-1,2.5,\"s\",{}]}";
    for (int stop = 1; stop <= 13; stop++) {
        lc_buf_clear(&r.log);
        r.stop_after = stop;
        r.count = 0;
        rc = parse_n(doc, strlen(doc), &recording, &r, err, sizeof err);
        CHECK(rc == (stop <= 12 ? LC_JSON_ABORTED : LC_JSON_OK) && r.count == (stop <= 12 ? stop : 12));
        CHECK(rc == LC_JSON_OK || strstr(err, "aborted") != NULL);
    }
    lc_buf_free(&r.log);
    /* a handler with some callbacks missing just skips those events */
    lc_json_handler partial = {0};
    partial.on_int = r_int;
    r = (recorder){{0}, 0, 0, 0};
    lc_buf_init(&r.log);
    CHECK(parse_n(doc, strlen(doc), &partial, &r, err, sizeof err) == LC_JSON_OK);
    CHECK(strcmp(r.log.data, "i:-1") == 0);
    lc_buf_free(&r.log);
}

/* Every truncation and many single-byte corruptions of a real document:
 * whatever they are, parsing must end cleanly (ASan watches the bounds). */
static void test_json_torture(void)
{
    const char *doc =
        "while(1);{\"id\":43460000000000001,\"name\":\"Jos\\u00e9 \\ud83d\\ude00\",\"score\":-12.5e-3,"
        "\"tags\":[\"a\",\"b\\n\",[],{}],\"ok\":true,\"none\":null,\"f\":false,\"n\":[0,-0,1e9]}";
    size_t n = strlen(doc);
    char err[160];
    int full_ok = 0, prefixes_ok = 0;
    for (size_t i = 0; i <= n; i++) {
        lc_value *v = decode_exact(doc, i, err, sizeof err);
        if (i == n) full_ok = v != NULL;
        else if (v) prefixes_ok++;
        else CHECK(strstr(err, " at byte ") != NULL);
        lc_value_free(v);
    }
    CHECK(full_ok && prefixes_ok == 0);
    char *copy = xstrdup(doc);
    int no_offset = 0;
    static const char bytes[] = "\"\\{}[]:,0-.eE\x01\x80 u";
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sizeof bytes - 1; j++) {
            char saved = copy[i];
            copy[i] = bytes[j];
            lc_value *v = decode_exact(copy, n, err, sizeof err);
            if (!v && strstr(err, " at byte ") == NULL) no_offset++;
            lc_value_free(v);
            copy[i] = saved;
        }
    }
    free(copy);
    CHECK(no_offset == 0);
}

/* ------------------------------------------------------------ tree + writer */

static char *roundtrip(const char *text)
{
    char err[160];
    lc_value *v = decode_exact(text, strlen(text), err, sizeof err);
    if (!v) return xstrdup(err);
    lc_buf b;
    lc_buf_init(&b);
    if (lc_json_encode(v, &b) != 0) lc_buf_puts(&b, " (encode failed)");
    lc_value_free(v);
    return buf_take(&b);
}

static char *fmt_double(double d)
{
    lc_buf b;
    lc_buf_init(&b);
    if (lc_json_write_double(&b, d) != 0) {
        lc_buf_free(&b);
        return xstrdup("(error)");
    }
    return buf_take(&b);
}

static void test_json_tree(void)
{
    CHECK_STR(roundtrip("{\"b\":1,\"a\":[true,false,null,\"x\"],\"c\":{}}"),
              "{\"b\":1,\"a\":[true,false,null,\"x\"],\"c\":{}}");
    CHECK_STR(roundtrip(" [ 1 , { \"z\" : [ ] } ] "), "[1,{\"z\":[]}]");
    CHECK_STR(roundtrip("[43460000000000001,5.0,0.1,1e300,-2.5,5,1e3,-0.0,-0]"),
              "[43460000000000001,5.0,0.1,1e+300,-2.5,5,1000.0,-0.0,0]");
    CHECK_STR(roundtrip("[9223372036854775807,-9223372036854775808,9223372036854775808]"),
              "[9223372036854775807,-9223372036854775808,9.223372036854776e+18]");
    CHECK_STR(roundtrip("\"tab\\there \\u0001 \\u001f \\\" \\\\ / \\b\\f\\n\\r \\u007f\""),
              "\"tab\\there \\u0001 \\u001f \\\" \\\\ / \\b\\f\\n\\r \x7f\"");
    CHECK_STR(roundtrip("\"\\u00e9\\ud83d\\ude00\\u0000\""), "\"\xc3\xa9\xf0\x9f\x98\x80\\u0000\"");
    CHECK_STR(roundtrip("{\"k\\u0001\\\"\":\"v\"}"), "{\"k\\u0001\\\"\":\"v\"}");
    CHECK_STR(roundtrip("while(1);\xEF\xBB\xBF[1]"), "unexpected byte 0xEF at byte 9");
    CHECK_STR(roundtrip("\xEF\xBB\xBFwhile(1);[1]"), "[1]");
    /* duplicate keys: first position, last value (small and big objects) */
    CHECK_STR(roundtrip("{\"a\":1,\"b\":2,\"a\":{\"x\":[1]},\"c\":3,\"b\":4,\"a\":5}"),
              "{\"a\":5,\"b\":4,\"c\":3}");
    lc_buf in, want;
    lc_buf_init(&in);
    lc_buf_init(&want);
    lc_buf_putc(&in, '{');
    lc_buf_putc(&want, '{');
    for (int i = 0; i < 60; i++) lc_buf_printf(&in, "%s\"k%d\":%d", i ? "," : "", i, i);
    for (int i = 0; i < 60; i += 7) lc_buf_printf(&in, ",\"k%d\":[%d]", i, i);
    lc_buf_puts(&in, ",\"k0\":\"last\"}");
    for (int i = 0; i < 60; i++) {
        if (i == 0) lc_buf_puts(&want, "\"k0\":\"last\"");
        else if (i % 7 == 0) lc_buf_printf(&want, ",\"k%d\":[%d]", i, i);
        else lc_buf_printf(&want, ",\"k%d\":%d", i, i);
    }
    lc_buf_putc(&want, '}');
    char *got = roundtrip(in.data);
    CHECK_STR(got, want.data);
    lc_buf_free(&in);
    lc_buf_free(&want);

    /* decode reports syntax errors and frees what it built */
    char err[128];
    CHECK(lc_json_decode("{\"a\":[1,2,{\"b\":\"c\"", 18, err, sizeof err) == NULL);
    CHECK(strcmp(err, "unexpected end of input at byte 18") == 0);
    CHECK(lc_json_decode("", 0, err, sizeof err) == NULL && strcmp(err, "unexpected end of input at byte 0") == 0);
    CHECK(lc_json_decode("[1,]", 4, NULL, 0) == NULL);

    /* double formatting */
    CHECK_STR(fmt_double(0.1), "0.1");
    CHECK_STR(fmt_double(5.0), "5.0");
    CHECK_STR(fmt_double(-5.0), "-5.0");
    CHECK_STR(fmt_double(100.0), "100.0");
    CHECK_STR(fmt_double(0.0), "0.0");
    CHECK_STR(fmt_double(-0.0), "-0.0");
    CHECK_STR(fmt_double(1e300), "1e+300");
    CHECK_STR(fmt_double(1e-300), "1e-300");
    CHECK_STR(fmt_double(1e21), "1e+21");
    CHECK_STR(fmt_double(123456789012345.0), "123456789012345.0");
    CHECK_STR(fmt_double(1.0 / 3.0), "0.3333333333333333");
    CHECK_STR(fmt_double(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(fmt_double(2.5e-5), "2.5e-05");
    CHECK_STR(fmt_double(9007199254740993.0), "9007199254740992.0");
    CHECK_STR(fmt_double(1.7976931348623157e308), "1.7976931348623157e+308");
    CHECK_STR(fmt_double(5e-324), "4.94065645841247e-324");
    CHECK_STR(fmt_double(HUGE_VAL), "(error)");
    CHECK_STR(fmt_double(-HUGE_VAL), "(error)");
    CHECK_STR(fmt_double(nan("")), "(error)");
    /* every formatted double reads back as the same double */
    double samples[] = {0.1, 1.0 / 3.0, 2.0 / 3.0, 1e23, 5e-324, 4.35, 0.3, 123.456, 1e16, 6.02214076e23};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char *s = fmt_double(samples[i]);
        CHECK(is_double(s, samples[i]));
        free(s);
    }

    /* the writer refuses inf/nan and runaway nesting */
    lc_value *arr = lc_value_array();
    lc_array_push(arr, lc_value_double(HUGE_VAL));
    lc_buf b;
    lc_buf_init(&b);
    CHECK(lc_json_encode(arr, &b) == -1);
    lc_value_free(arr);
    lc_value *root = lc_value_array(), *cur = root;
    for (int i = 0; i < 600; i++) {
        lc_value *next = lc_value_array();
        lc_array_push(cur, next);
        cur = next;
    }
    lc_buf_clear(&b);
    CHECK(lc_json_encode(root, &b) == -1);
    lc_value_free(root);
    lc_buf_clear(&b);
    CHECK(lc_json_encode(NULL, &b) == -1);
    /* strings with embedded NULs and raw control bytes */
    lc_buf_clear(&b);
    CHECK(lc_json_write_string(&b, "a\0b\x1f\x7f", 5) == 0 && strcmp(b.data, "\"a\\u0000b\\u001f\x7f\"") == 0);
    lc_buf_clear(&b);
    CHECK(lc_json_write_string(&b, "", 0) == 0 && strcmp(b.data, "\"\"") == 0);
    lc_buf_clear(&b);
    b.oom = 1;
    CHECK(lc_json_write_string(&b, "x", 1) == -1);
    lc_buf_free(&b);

    /* a tree built by hand */
    lc_value *o = lc_value_object();
    lc_object_set(o, "id", 2, lc_value_int(INT64_MIN));
    lc_object_set(o, "s", 1, lc_value_string("q\"", 2));
    lc_object_set(o, "d", 1, lc_value_double(90.5));
    lc_object_set(o, "n", 1, lc_value_null());
    lc_buf_init(&b);
    CHECK(lc_json_encode(o, &b) == 0);
    CHECK(strcmp(b.data, "{\"id\":-9223372036854775808,\"s\":\"q\\\"\",\"d\":90.5,\"n\":null}") == 0);
    lc_buf_free(&b);
    lc_value_free(o);
}

/* ------------------------------------------------------------ params */

/* Encodes the JSON object `json` as Rails parameters. */
static char *rails(const char *json)
{
    char err[128];
    lc_value *v = lc_json_decode(json, strlen(json), err, sizeof err);
    if (!v) return xstrdup(err);
    lc_buf b;
    lc_buf_init(&b);
    int rc = lc_params_encode(v, &b);
    lc_value_free(v);
    if (rc != 0) {
        lc_buf_free(&b);
        return xstrdup("(error)");
    }
    return buf_take(&b);
}

static void test_params(void)
{
    /* the cases in params.h */
    CHECK_STR(rails("{\"user\":{\"name\":\"Jo\"}}"), "user[name]=Jo");
    CHECK_STR(rails("{\"include\":[\"a\",\"b\"]}"), "include[]=a&include[]=b");
    CHECK_STR(rails("{\"entry\":[{\"name\":\"A\",\"value\":90}]}"), "entry[][name]=A&entry[][value]=90");
    CHECK_STR(rails("{\"a\":{\"types\":[\"x\"]}}"), "a[types][]=x");
    /* more shapes */
    CHECK_STR(rails("{\"entry\":[{\"value\":90,\"name\":\"A\"},{\"name\":\"B\",\"value\":80}]}"),
              "entry[][name]=A&entry[][value]=90&entry[][name]=B&entry[][value]=80");
    CHECK_STR(rails("{\"a\":{\"b\":{\"c\":1,\"d\":[true]}},\"z\":0}"), "a[b][c]=1&a[b][d][]=true&z=0");
    CHECK_STR(rails("{\"user\":{\"name\":\"Jo\",\"avatar\":{\"url\":\"u\"}}}"),
              "user[avatar][url]=u&user[name]=Jo");
    CHECK_STR(rails("{\"m\":[[1,2],[3]]}"), "m[][]=1&m[][]=2&m[][]=3");
    CHECK_STR(rails("{\"b\":1,\"a\":2,\"B\":3,\"aa\":4,\"a_\":5,\"a[\":6}"), "B=3&a=2&a[=6&a_=5&aa=4&b=1");
    CHECK_STR(rails("{\"t\":true,\"f\":false}"), "f=false&t=true");
    CHECK_STR(rails("{\"i\":43460000000000001,\"neg\":-9223372036854775808,\"zero\":0}"),
              "i=43460000000000001&neg=-9223372036854775808&zero=0");
    CHECK_STR(rails("{\"d\":90.5,\"w\":3.0,\"t\":0.1,\"big\":1e300,\"small\":2.5e-5,\"m\":-4.0}"),
              "big=1e%2B300&d=90.5&m=-4&small=2.5e-05&t=0.1&w=3");
    CHECK_STR(rails("{\"n\":null,\"e\":[],\"o\":{},\"a\":[null,[],{}],\"x\":{\"y\":null},\"k\":1}"), "k=1");
    CHECK_STR(rails("{}"), "");
    CHECK_STR(rails("{\"search term\":\"caf\\u00e9 & co/1\"}"), "search%20term=caf%C3%A9%20%26%20co%2F1");
    CHECK_STR(rails("{\"q\":\"a+b=c?d#e%f\\\"g'h\\n<>\"}"), "q=a%2Bb%3Dc%3Fd%23e%25f%22g%27h%0A%3C%3E");
    CHECK_STR(rails("{\"k\":\"-_.~ \"}"), "k=-_.~%20");
    CHECK_STR(rails("{\"user[name]\":\"Jo\",\"a&b\":{\"c d\":\"e\"}}"), "a%26b[c%20d]=e&user[name]=Jo");
    CHECK_STR(rails("{\"\\u00fc\":\"\\ud83d\\ude00\"}"), "%C3%BC=%F0%9F%98%80");
    CHECK_STR(rails("{\"s\":\"\"}"), "s=");
    CHECK_STR(rails("[1,2]"), "(error)");
    CHECK_STR(rails("\"x\""), "(error)");

    /* existing text gets an '&' first; the tree is left in its own order */
    char err[64];
    lc_value *v = lc_json_decode("{\"b\":1,\"a\":2}", 13, err, sizeof err);
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_puts(&b, "x=1");
    CHECK(lc_params_encode(v, &b) == 0 && strcmp(b.data, "x=1&a=2&b=1") == 0);
    CHECK(strcmp(v->u.obj.m[0].key, "b") == 0);
    lc_buf_clear(&b);
    CHECK(lc_params_encode(NULL, &b) == -1);
    lc_value *bad = lc_value_object();
    lc_object_set(bad, "inf", 3, lc_value_double(HUGE_VAL));
    CHECK(lc_params_encode(bad, &b) == -1);
    lc_value_free(bad);
    lc_buf_free(&b);
    lc_value_free(v);

    CHECK(lc_params_has_key("a=1&per_page=5", "per_page"));
    CHECK(lc_params_has_key("per_page=5", "per_page"));
    CHECK(lc_params_has_key("per_page=", "per_page"));
    CHECK(lc_params_has_key("x=1&per_page", "per_page"));
    CHECK(lc_params_has_key("per_page&x=1", "per_page"));
    CHECK(lc_params_has_key("per_page", "per_page"));
    CHECK(lc_params_has_key("a=per_page&per_page=1", "per_page"));
    CHECK(!lc_params_has_key("xper_page=5", "per_page"));
    CHECK(!lc_params_has_key("a=1&xper_page=5", "per_page"));
    CHECK(!lc_params_has_key("per_page[x]=5", "per_page"));
    CHECK(!lc_params_has_key("per_pages=5", "per_page"));
    CHECK(!lc_params_has_key("a=per_page", "per_page"));
    CHECK(!lc_params_has_key("a=1&b=per_page=2", "per_page"));
    CHECK(!lc_params_has_key("", "per_page"));
    CHECK(!lc_params_has_key(NULL, "per_page"));
    CHECK(!lc_params_has_key("per_page=1", ""));
}

static char *esc(int (*f)(lc_buf *, const char *, size_t), const char *s, size_t n)
{
    lc_buf b;
    lc_buf_init(&b);
    if (f(&b, s, n) != 0) {
        lc_buf_free(&b);
        return xstrdup("(error)");
    }
    return buf_take(&b);
}

static void test_escaping(void)
{
    CHECK_STR(esc(lc_path_escape, "sis_user_id:CS/101.1", 20), "sis_user_id:CS%2F101%2E1");
    CHECK_STR(esc(lc_path_escape, "self", 4), "self");
    CHECK_STR(esc(lc_path_escape, "sis_login_id:jdoe@example.com", 29), "sis_login_id:jdoe%40example%2Ecom");
    CHECK_STR(esc(lc_path_escape, "12345", 5), "12345");
    CHECK_STR(esc(lc_path_escape, "a-b_c~d", 7), "a-b_c~d");
    CHECK_STR(esc(lc_path_escape, "uuid:x y?z#w%", 13), "uuid:x%20y%3Fz%23w%25");
    CHECK_STR(esc(lc_path_escape, "caf\xc3\xa9", 5), "caf%C3%A9");
    CHECK_STR(esc(lc_path_escape, "..", 2), "%2E%2E");
    CHECK_STR(esc(lc_path_escape, "a\0b", 3), "a%00b");
    CHECK_STR(esc(lc_path_escape, "", 0), "");
    CHECK_STR(esc(lc_path_escape_all, "a:b c/d.e", 9), "a%3Ab%20c%2Fd%2Ee");
    CHECK_STR(esc(lc_path_escape_all, "my files", 8), "my%20files");
    CHECK_STR(esc(lc_form_escape, "a-b_c.d~e f+g", 13), "a-b_c.d~e%20f%2Bg");
    CHECK_STR(esc(lc_form_escape, "[x]:/?&=", 8), "%5Bx%5D%3A%2F%3F%26%3D");
    CHECK_STR(esc(lc_form_escape, "\xff\x80\x01\x7f", 4), "%FF%80%01%7F");
    CHECK_STR(esc(lc_form_escape, "ABCXYZabcxyz0189", 16), "ABCXYZabcxyz0189");
    /* appends to what is there */
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_puts(&b, "users/");
    lc_path_escape(&b, "sis_user_id:A B", 15);
    CHECK(strcmp(b.data, "users/sis_user_id:A%20B") == 0);
    b.oom = 1;
    CHECK(lc_form_escape(&b, "x", 1) == -1);
    lc_buf_free(&b);
}

/* ------------------------------------------------------------ Link */

static void test_link(void)
{
    const char *canvas =
        "<https://x.test/api/v1/courses/1/users?page=2&per_page=10>; rel=\"current\","
        "<https://x.test/api/v1/courses/1/users?page=3&per_page=10>; rel=\"next\","
        "<https://x.test/api/v1/courses/1/users?page=1&per_page=10>; rel=\"prev\","
        "<https://x.test/api/v1/courses/1/users?page=1&per_page=10>; rel=\"first\","
        "<https://x.test/api/v1/courses/1/users?page=5&per_page=10>; rel=\"last\"";
    CHECK_STR(lc_link_find(canvas, "next"), "https://x.test/api/v1/courses/1/users?page=3&per_page=10");
    CHECK_STR(lc_link_find(canvas, "current"), "https://x.test/api/v1/courses/1/users?page=2&per_page=10");
    CHECK_STR(lc_link_find(canvas, "prev"), "https://x.test/api/v1/courses/1/users?page=1&per_page=10");
    CHECK_STR(lc_link_find(canvas, "first"), "https://x.test/api/v1/courses/1/users?page=1&per_page=10");
    CHECK_STR(lc_link_find(canvas, "last"), "https://x.test/api/v1/courses/1/users?page=5&per_page=10");
    CHECK_STR(lc_link_find(canvas, "NEXT"), "https://x.test/api/v1/courses/1/users?page=3&per_page=10");
    CHECK_STR(lc_link_find(canvas, "nex"), NULL);
    CHECK_STR(lc_link_find(canvas, "nextpage"), NULL);

    /* bookmarks and no "last" */
    const char *bookmark =
        "<https://x.test/api/v1/accounts/1/users?page=first&per_page=10>; rel=\"current\", "
        "<https://x.test/api/v1/accounts/1/users?page=bookmark:WyJhIiwxXQ&per_page=10>; rel=\"next\", "
        "<https://x.test/api/v1/accounts/1/users?page=first&per_page=10>; rel=\"first\"";
    CHECK_STR(lc_link_find(bookmark, "next"), "https://x.test/api/v1/accounts/1/users?page=bookmark:WyJhIiwxXQ&per_page=10");
    CHECK_STR(lc_link_find(bookmark, "last"), NULL);
    /* the last page: no next */
    CHECK_STR(lc_link_find("<https://x/a?page=1>; rel=\"current\",<https://x/a?page=1>; rel=\"first\","
                           "<https://x/a?page=1>; rel=\"last\"", "next"), NULL);

    /* spelling variations */
    CHECK_STR(lc_link_find("<http://a/b?x=1,2>;rel=NEXT", "next"), "http://a/b?x=1,2");
    CHECK_STR(lc_link_find("<http://a/1>; REL=\"Next\"", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; rel=next", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>;rel=next,<http://a/2>;rel=last", "last"), "http://a/2");
    CHECK_STR(lc_link_find("<http://a/1>; title=\"x, y; z\"; rel=\"prev next\"", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; rel=\"prev next\"", "prev"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; rel=\"  prev\tnext  \"", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; rel=\"prevnext\"", "next"), NULL);
    CHECK_STR(lc_link_find("  <http://a/1> ;  rel = \"next\" ; type=\"text/html\"  ", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; rel=prev,\r\n\t<http://a/2>; rel=next", "next"), "http://a/2");
    CHECK_STR(lc_link_find(", ,<http://a/1>; rel=next,,", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>;; rel=next;", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; hreflang; rel=next", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; title=\"a \\\" b\"; rel=next", "next"), "http://a/1");
    CHECK_STR(lc_link_find("< http://a/1 >; rel=next", "next"), "http://a/1");
    CHECK_STR(lc_link_find("<http://a/1>; relx=next", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel=prev; rel=next", "next"), NULL);  /* first rel only */
    CHECK_STR(lc_link_find("<http://a/1>", "next"), NULL);
    /* an entry after the match that is broken does not matter; before, it does */
    CHECK_STR(lc_link_find("<http://a/1>; rel=next, junk", "next"), "http://a/1");
    CHECK_STR(lc_link_find("junk, <http://a/1>; rel=next", "next"), NULL);

    /* malformed */
    CHECK_STR(lc_link_find("", "next"), NULL);
    CHECK_STR(lc_link_find("   ", "next"), NULL);
    CHECK_STR(lc_link_find("garbage", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1; rel=next", "next"), NULL);
    CHECK_STR(lc_link_find("http://a/1>; rel=next", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel=\"next", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel=\"next\\", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel=next junk", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1> rel=next", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; =next", "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel", "next"), NULL);
    CHECK_STR(lc_link_find("<>; rel=next", "next"), NULL);
    CHECK_STR(lc_link_find("<  >; rel=next", "next"), NULL);
    CHECK_STR(lc_link_find("<", "next"), NULL);
    CHECK_STR(lc_link_find(";;;,,,<<>>", "next"), NULL);
    CHECK_STR(lc_link_find(NULL, "next"), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel=next", NULL), NULL);
    CHECK_STR(lc_link_find("<http://a/1>; rel=next", ""), NULL);

    /* every truncation of a real header ends cleanly (ASan checks bounds) */
    size_t n = strlen(canvas);
    for (size_t i = 0; i <= n; i++) {
        char *cut = xmalloc(i + 1);
        memcpy(cut, canvas, i);
        cut[i] = '\0';
        char *u = lc_link_find(cut, "last");
        CHECK(i == n ? u != NULL : u == NULL);
        free(u);
        free(cut);
    }
}

/* A host may switch LC_NUMERIC to a locale with a decimal comma; JSON and
 * URLs must not change. Runs only where such a locale is installed. */
static void test_locale(void)
{
    static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"};
    int found = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !found; i++)
        found = setlocale(LC_NUMERIC, names[i]) != NULL && strcmp(localeconv()->decimal_point, ",") == 0;
    if (!found) {
        setlocale(LC_NUMERIC, "C");
        return;
    }
    CHECK(is_double("0.30000000000000004", 0.1 + 0.2));  /* via strtod */
    CHECK(is_double("0.5", 0.5));
    CHECK(is_double("1234567890.12345678901234567890123456789012345678901234567890123456789", 1234567890.1234568));
    CHECK_STR(fmt_double(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(fmt_double(2.5), "2.5");
    CHECK_STR(fmt_double(1e300), "1e+300");
    CHECK_STR(rails("{\"d\":2.5,\"w\":4.0}"), "d=2.5&w=4");
    CHECK_STR(roundtrip("[1.25,-0.001]"), "[1.25,-0.001]");
    setlocale(LC_NUMERIC, "C");
}

/* Canvas and Catalog timestamps: ISO 8601 with Z, offsets and fractional
 * seconds, dates alone, and Catalog's "2025/08/04 14:01:12 +0000". */
static void test_timefmt(void)
{
    double t = 0;
    int frac = -1;
    CHECK(lc_parse_time("2012-05-30T17:45:25Z", &t, &frac) && t == 1338399925.0 && frac == 0);
    CHECK(lc_parse_time("2012-05-30T10:45:25-07:00", &t, &frac) && t == 1338399925.0);
    CHECK(lc_parse_time("2012-05-31T03:15:25+0930", &t, &frac) && t == 1338399925.0);
    CHECK(lc_parse_time("2024-04-11T15:33:45.503Z", &t, &frac) && frac == 1 &&
          fabs(t - 1712849625.503) < 1e-6);
    CHECK(lc_parse_time("2024-04-11T15:33:45.563514Z", &t, &frac) && frac == 1 &&
          fabs(t - 1712849625.563514) < 1e-6);
    CHECK(lc_parse_time("2025/08/04 14:01:12 +0000", &t, &frac) && t == 1754316072.0 && frac == 0);
    CHECK(lc_parse_time("2025/08/04 16:01:12 +02:00", &t, &frac) && t == 1754316072.0);
    CHECK(lc_parse_time("2025/08/04 14:01:12.25 +0000", &t, &frac) && frac == 1 &&
          t == 1754316072.25);
    CHECK(lc_parse_time("2012-05-30", &t, &frac) && t == 1338336000.0);
    CHECK(lc_parse_time("1969-12-31T23:59:59Z", &t, &frac) && t == -1.0);
    CHECK(lc_parse_time("2024-02-29T00:00:00Z", &t, &frac) && t == 1709164800.0);
    /* Mixed separators, bad fields, trailing junk and NULL are refused. */
    CHECK(!lc_parse_time("2025/08-04 14:01:12 +0000", &t, &frac));
    CHECK(!lc_parse_time("2025-13-04T00:00:00Z", &t, &frac));
    CHECK(!lc_parse_time("2025-08-04T24:00:00Z", &t, &frac));
    CHECK(!lc_parse_time("2025-08-04T12:00:00.Z", &t, &frac));
    CHECK(!lc_parse_time("2025-08-04T12:00:00Zjunk", &t, &frac));
    CHECK(!lc_parse_time("2025/08/04 14:01:12 UTC", &t, &frac));
    CHECK(!lc_parse_time("not a date", &t, &frac));
    CHECK(!lc_parse_time("", &t, &frac));
    CHECK(!lc_parse_time(NULL, &t, &frac));
}

static void check_message(const char *body, const char *want)
{
    CHECK_STR(lc_error_message_from_body(body, strlen(body)), want);  /* frees it */
}

static void test_error_messages(void)
{
    check_message("{\"errors\":[{\"message\":\"The specified resource does not exist.\"}]}",
                  "The specified resource does not exist.");
    check_message("{\"errors\":\"Invalid as_user_id\"}", "Invalid as_user_id");
    check_message("{\"errors\":{\"base\":\"Name can't be blank\"}}", "Name can't be blank");
    check_message("{\"errors\":[{\"field\":\"name\",\"message\":\"too long\"}]}", "too long");
    /* Canvas's user creation: empty members first, the message nested. */
    check_message("{\"errors\":{\"user\":{},\"pseudonym\":{\"unique_id\":[{\"attribute\":"
                  "\"unique_id\",\"type\":\"taken\",\"message\":\"ID already in use\"}]},"
                  "\"observee\":{}}}",
                  "pseudonym: unique_id: ID already in use");
    check_message("{\"errors\":{\"user\":{},\"pseudonym\":{}}}", NULL);
    check_message("{\"message\":\"write conflict for custom_data hash\"}",
                  "write conflict for custom_data hash");
    check_message("403 Forbidden (Rate Limit Exceeded)", "403 Forbidden (Rate Limit Exceeded)");
    check_message("<html><body>Bad gateway</body></html>", NULL);
}

int main(void)
{
    test_buf();
    test_value();
    test_json_grammar();
    test_json_prefix();
    test_json_strings();
    test_json_numbers();
    test_json_numbers_random();
    test_json_depth();
    test_json_abort();
    test_json_torture();
    test_json_tree();
    test_params();
    test_escaping();
    test_link();
    test_locale();
    test_timefmt();
    test_error_messages();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
