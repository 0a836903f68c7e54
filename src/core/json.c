/* A strict, allocation-free JSON reader (RFC 8259) that reports events,
 * and a compact writer. Integral literals that fit int64_t are reported
 * exactly, which is the point: Canvas ids go past 2^53. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct parser {
    const char *p, *start, *end;
    char *scratch;
    const lc_json_handler *h;
    void *ud;
    int depth;
    int rc;
    char *err;
    size_t errlen;
} parser;

static int fail(parser *ps, int rc, const char *what)
{
    if (ps->rc == LC_JSON_OK) {
        ps->rc = rc;
        if (ps->err && ps->errlen) {
            size_t off = (size_t)(ps->p - ps->start);
            if (ps->p >= ps->end)
                snprintf(ps->err, ps->errlen, "unexpected end of input at byte %zu", off);
            else if (what)
                snprintf(ps->err, ps->errlen, "%s at byte %zu", what, off);
            else if ((unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x7f)
                snprintf(ps->err, ps->errlen, "unexpected character '%c' at byte %zu", *ps->p, off);
            else
                snprintf(ps->err, ps->errlen, "unexpected byte 0x%02x at byte %zu",
                         (unsigned char)*ps->p, off);
        }
    }
    return -1;
}

#define EMIT(ps, cb, ...)                                                          \
    do {                                                                           \
        if ((ps)->h->cb && (ps)->h->cb((ps)->ud, ##__VA_ARGS__) != 0)              \
            return fail((ps), LC_JSON_ABORTED, "parse stopped by the handler");    \
    } while (0)

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

size_t lc_json_skip_prefix(const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) i++;
    /* Old Canvas guarded JSON against script inclusion with this prefix. */
    if (len - i >= 9 && memcmp(text + i, "while(1);", 9) == 0) {
        i += 9;
        while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) i++;
    }
    return i;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4) {
        ps->p = ps->end;
        return fail(ps, LC_JSON_SYNTAX, NULL);
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)ps->p[i]);
        if (h < 0) {
            ps->p += i;
            return fail(ps, LC_JSON_SYNTAX, "bad \\u escape");
        }
        v = v * 16 + (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return 0;
}

static char *put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    return d;
}

/* Reads a string starting at the opening quote. The unescaped text goes to
 * the scratch area (never longer than the source). Lone surrogates become
 * U+FFFD: Canvas content is user text and one bad escape should not make a
 * whole page unreadable. */
static int read_string(parser *ps, const char **out, size_t *outlen)
{
    ps->p++;  /* opening quote */
    const char *run = ps->p;
    /* Fast path: no escapes, point straight into the source. */
    while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20) ps->p++;
    if (ps->p < ps->end && *ps->p == '"') {
        *out = run;
        *outlen = (size_t)(ps->p - run);
        ps->p++;
        return 0;
    }
    char *d = ps->scratch;
    memcpy(d, run, (size_t)(ps->p - run));
    d += ps->p - run;
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            *out = ps->scratch;
            *outlen = (size_t)(d - ps->scratch);
            return 0;
        }
        if (c < 0x20) return fail(ps, LC_JSON_SYNTAX, "control character in string");
        if (c != '\\') {
            *d++ = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end) break;
        char e = *ps->p++;
        switch (e) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (read_hex4(ps, &cp) != 0) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                    const char *save = ps->p;
                    ps->p += 2;
                    if (read_hex4(ps, &lo) != 0) return -1;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        cp = 0xFFFD;
                        ps->p = save;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            /* \uXXXX is 6 source bytes and at most 3 UTF-8 bytes (a pair is
             * 12 and 4), so the scratch area never overflows. */
            d = put_utf8(d, cp);
            break;
        }
        default:
            ps->p--;
            return fail(ps, LC_JSON_SYNTAX, "bad escape in string");
        }
    }
    return fail(ps, LC_JSON_SYNTAX, NULL);
}

static int read_number(parser *ps)
{
    const char *s = ps->p;
    int integral = 1;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end) return fail(ps, LC_JSON_SYNTAX, NULL);
    if (*ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            return fail(ps, LC_JSON_SYNTAX, "leading zero in number");
    } else if (*ps->p >= '1' && *ps->p <= '9') {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    } else {
        return fail(ps, LC_JSON_SYNTAX, NULL);
    }
    if (ps->p < ps->end && *ps->p == '.') {
        integral = 0;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, LC_JSON_SYNTAX, "digit expected after '.'");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integral = 0;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, LC_JSON_SYNTAX, "digit expected in exponent");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    size_t n = (size_t)(ps->p - s);
    if (integral) {
        /* Exact int64, with overflow detection; too big falls to double. */
        const char *q = s;
        int neg = *q == '-';
        if (neg) q++;
        uint64_t acc = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        int overflow = 0;
        for (; q < ps->p; q++) {
            unsigned dgt = (unsigned)(*q - '0');
            if (acc > (limit - dgt) / 10) {
                overflow = 1;
                break;
            }
            acc = acc * 10 + dgt;
        }
        if (!overflow) {
            int64_t v = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
            EMIT(ps, on_int, v);
            return 0;
        }
    }
    /* strtod needs a terminated copy; numbers are short, so the stack does,
     * and anything absurdly long goes through the scratch area. */
    char small[64];
    char *buf = n < sizeof small ? small : ps->scratch;
    memcpy(buf, s, n);
    buf[n] = '\0';
    double d = strtod(buf, NULL);
    EMIT(ps, on_double, d);
    return 0;
}

static int parse_value(parser *ps);

static int expect_literal(parser *ps, const char *lit, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
        return fail(ps, LC_JSON_SYNTAX, NULL);
    ps->p += n;
    return 0;
}

static int parse_object(parser *ps)
{
    ps->p++;
    EMIT(ps, on_begin_object);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        EMIT(ps, on_end_object);
        return 0;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') return fail(ps, LC_JSON_SYNTAX, NULL);
        const char *k;
        size_t kl;
        if (read_string(ps, &k, &kl) != 0) return -1;
        EMIT(ps, on_key, k, kl);
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') return fail(ps, LC_JSON_SYNTAX, NULL);
        ps->p++;
        if (parse_value(ps) != 0) return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            EMIT(ps, on_end_object);
            return 0;
        }
        return fail(ps, LC_JSON_SYNTAX, NULL);
    }
}

static int parse_array(parser *ps)
{
    ps->p++;
    EMIT(ps, on_begin_array);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        EMIT(ps, on_end_array);
        return 0;
    }
    for (;;) {
        if (parse_value(ps) != 0) return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            EMIT(ps, on_end_array);
            return 0;
        }
        return fail(ps, LC_JSON_SYNTAX, NULL);
    }
}

static int parse_value(parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, LC_JSON_SYNTAX, NULL);
    switch (*ps->p) {
    case '{':
    case '[': {
        if (++ps->depth > LC_JSON_MAX_DEPTH)
            return fail(ps, LC_JSON_TOO_DEEP, "nesting deeper than 512");
        int rc = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
        ps->depth--;
        return rc;
    }
    case '"': {
        const char *s;
        size_t n;
        if (read_string(ps, &s, &n) != 0) return -1;
        EMIT(ps, on_string, s, n);
        return 0;
    }
    case 't':
        if (expect_literal(ps, "true", 4) != 0) return -1;
        EMIT(ps, on_bool, 1);
        return 0;
    case 'f':
        if (expect_literal(ps, "false", 5) != 0) return -1;
        EMIT(ps, on_bool, 0);
        return 0;
    case 'n':
        if (expect_literal(ps, "null", 4) != 0) return -1;
        EMIT(ps, on_null);
        return 0;
    default:
        return read_number(ps);
    }
}

int lc_json_parse(const char *text, size_t len, const lc_json_handler *h, void *ud,
                  char *scratch, char *errbuf, size_t errlen)
{
    parser ps = {0};
    ps.start = text;
    ps.p = text + lc_json_skip_prefix(text, len);
    ps.end = text + len;
    ps.scratch = scratch;
    ps.h = h;
    ps.ud = ud;
    ps.err = errbuf;
    ps.errlen = errlen;
    if (errbuf && errlen) errbuf[0] = '\0';
    if (parse_value(&ps) != 0) return ps.rc;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, LC_JSON_SYNTAX, "unexpected data after the JSON value");
        return ps.rc;
    }
    return LC_JSON_OK;
}

/* ------------------------------------------------------------ tree */

typedef struct builder {
    lc_value *root;
    lc_value *stack[LC_JSON_MAX_DEPTH + 1];
    int depth;
    char *key;       /* pending member name */
    size_t klen;
} builder;

static int add(builder *b, lc_value *v)
{
    if (!v) return -1;
    if (b->depth == 0) {
        b->root = v;
        return 0;
    }
    lc_value *top = b->stack[b->depth - 1];
    int rc = top->type == LC_T_ARRAY ? lc_array_push(top, v) : lc_object_set(top, b->key, b->klen, v);
    free(b->key);
    b->key = NULL;
    return rc;
}

static int b_null(void *ud) { return add(ud, lc_value_null()); }
static int b_bool(void *ud, int v) { return add(ud, lc_value_bool(v)); }
static int b_int(void *ud, int64_t v) { return add(ud, lc_value_int(v)); }
static int b_double(void *ud, double v) { return add(ud, lc_value_double(v)); }
static int b_string(void *ud, const char *s, size_t n) { return add(ud, lc_value_string(s, n)); }

static int b_key(void *ud, const char *s, size_t n)
{
    builder *b = ud;
    free(b->key);
    b->key = malloc(n + 1);
    if (!b->key) return -1;
    memcpy(b->key, s, n);
    b->key[n] = '\0';
    b->klen = n;
    return 0;
}

static int b_begin(builder *b, lc_value *v)
{
    if (!v || add(b, v) != 0) return -1;
    b->stack[b->depth++] = v;
    return 0;
}

static int b_begin_object(void *ud) { return b_begin(ud, lc_value_object()); }
static int b_begin_array(void *ud) { return b_begin(ud, lc_value_array()); }

static int b_end(void *ud)
{
    builder *b = ud;
    b->depth--;
    return 0;
}

lc_value *lc_json_decode(const char *text, size_t len, char *errbuf, size_t errlen)
{
    static const lc_json_handler h = {b_null, b_bool, b_int, b_double, b_string, b_key,
                                      b_begin_object, b_end, b_begin_array, b_end};
    builder *b = calloc(1, sizeof *b);
    char *scratch = malloc(len + 1);
    lc_value *out = NULL;
    if (!b || !scratch) {
        if (errbuf && errlen) snprintf(errbuf, errlen, "out of memory");
    } else if (lc_json_parse(text, len, &h, b, scratch, errbuf, errlen) == LC_JSON_OK) {
        out = b->root;
        b->root = NULL;
    } else if (errbuf && errlen && !errbuf[0]) {
        snprintf(errbuf, errlen, "out of memory");
    }
    if (b) {
        lc_value_free(b->root);
        free(b->key);
    }
    free(b);
    free(scratch);
    return out;
}

/* ------------------------------------------------------------ writer */

int lc_json_write_string(lc_buf *out, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    lc_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        lc_buf_append(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': lc_buf_puts(out, "\\\""); break;
        case '\\': lc_buf_puts(out, "\\\\"); break;
        case '\n': lc_buf_puts(out, "\\n"); break;
        case '\r': lc_buf_puts(out, "\\r"); break;
        case '\t': lc_buf_puts(out, "\\t"); break;
        case '\b': lc_buf_puts(out, "\\b"); break;
        case '\f': lc_buf_puts(out, "\\f"); break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15], 0};
            lc_buf_puts(out, u);
        }
        }
    }
    lc_buf_append(out, s + run, len - run);
    lc_buf_putc(out, '"');
    return out->oom ? -1 : 0;
}

int lc_json_write_double(lc_buf *out, double d)
{
    char num[40];
    if (!isfinite(d)) return -1;
    /* The shortest of 15/16/17 significant digits that reads back exactly. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, d);
        if (strtod(num, NULL) == d) break;
    }
    /* Keep it recognisably a float: 5.0 stays "5.0", not "5". */
    if (!strpbrk(num, ".eEn")) strcat(num, ".0");
    return lc_buf_puts(out, num);
}

int lc_json_encode(const lc_value *v, lc_buf *out)
{
    char num[32];
    switch (v->type) {
    case LC_T_NULL: return lc_buf_puts(out, "null");
    case LC_T_BOOL: return lc_buf_puts(out, v->u.b ? "true" : "false");
    case LC_T_INT:
        snprintf(num, sizeof num, "%" PRId64, v->u.i);
        return lc_buf_puts(out, num);
    case LC_T_DOUBLE: return lc_json_write_double(out, v->u.d);
    case LC_T_STRING: return lc_json_write_string(out, v->u.str.s, v->u.str.len);
    case LC_T_ARRAY:
        lc_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (i) lc_buf_putc(out, ',');
            if (lc_json_encode(v->u.arr.items[i], out) != 0) return -1;
        }
        return lc_buf_putc(out, ']');
    case LC_T_OBJECT:
        lc_buf_putc(out, '{');
        for (size_t i = 0; i < v->u.obj.n; i++) {
            if (i) lc_buf_putc(out, ',');
            lc_json_write_string(out, v->u.obj.m[i].key, v->u.obj.m[i].klen);
            lc_buf_putc(out, ':');
            if (lc_json_encode(v->u.obj.m[i].val, out) != 0) return -1;
        }
        return lc_buf_putc(out, '}');
    }
    return -1;
}
