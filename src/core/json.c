/* Strict RFC 8259 JSON reader (event driven, allocation free) and a compact
 * writer. The reader's whole point is exact integers: Canvas ids go past
 * 2^53, so an integral literal that fits int64_t never touches a double.
 *
 * Choices the RFC leaves open:
 *  - A lone UTF-16 surrogate escape (\ud800 not followed by a low half, or a
 *    stray \udc00) becomes U+FFFD. Canvas text is user content; one broken
 *    emoji in a discussion post should not make a whole page unreadable, and
 *    the replacement keeps the result valid UTF-8.
 *  - Raw bytes >= 0x80 inside strings are passed through unvalidated.
 *  - Duplicate object keys are reported as they come; lc_json_decode keeps
 *    the first position and the last value, like lc_object_set.
 *  - Numbers too large for a double come out as +/-HUGE_VAL, as strtod has it.
 * The writer refuses inf/nan and nesting deeper than LC_JSON_MAX_DEPTH. */
#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ------------------------------------------------------------ reader */

typedef struct parser {
    const char *base;   /* start of the text: error offsets count from here */
    const char *p;
    const char *end;
    char *scratch;
    const lc_json_handler *h;
    void *ud;
    char *err;
    size_t errlen;
} parser;

static int is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws_run(parser *ps)
{
    while (ps->p < ps->end && is_ws(*ps->p)) ps->p++;
}

/* Canvas sends compact JSON: usually there is nothing to skip, and that
 * case should cost a compare, not a call. */
static inline void skip_ws(parser *ps)
{
    if (ps->p < ps->end && (unsigned char)*ps->p <= ' ') skip_ws_run(ps);
}

static int report(parser *ps, int rc, const char *at, const char *what)
{
    if (ps->err && ps->errlen)
        snprintf(ps->err, ps->errlen, "%s at byte %zu", what, (size_t)(at - ps->base));
    return rc;
}

/* The generic syntax error: names the offending byte, or the end. */
static int unexpected(parser *ps, const char *at)
{
    char what[40];
    if (at >= ps->end) return report(ps, LC_JSON_SYNTAX, ps->end, "unexpected end of input");
    unsigned char c = (unsigned char)*at;
    if (c >= 0x20 && c < 0x7f)
        snprintf(what, sizeof what, "unexpected character '%c'", c);
    else
        snprintf(what, sizeof what, "unexpected byte 0x%02X", c);
    return report(ps, LC_JSON_SYNTAX, at, what);
}

static int aborted(parser *ps, const char *at)
{
    return report(ps, LC_JSON_ABORTED, at, "parse aborted by the handler");
}

size_t lc_json_skip_prefix(const char *text, size_t len)
{
    size_t i = 0;
    if (!text) return 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && is_ws(text[i])) i++;
    /* Old Canvas guarded JSON against <script> inclusion with this. */
    if (len - i >= 9 && memcmp(text + i, "while(1);", 9) == 0) {
        i += 9;
        while (i < len && is_ws(text[i])) i++;
    }
    return i;
}

/* --- strings */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at `s`; -1 unless all four are there. */
static long hex4(const char *s, const char *end)
{
    if (end - s < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(s[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *put_utf8(char *d, unsigned long cp)
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

/* `*s` points just past "\u". Writes the code point (pairing surrogates)
 * to `*d`; advances both. An escape is 6 source bytes and yields at most 3
 * UTF-8 bytes (a pair: 12 and 4), so the text never outgrows the source. */
static int unicode_escape(parser *ps, const char **s, char **d)
{
    long cp = hex4(*s, ps->end);
    if (cp < 0) return report(ps, LC_JSON_SYNTAX, *s - 2, "invalid \\u escape");
    *s += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        const char *q = *s;
        long lo = (ps->end - q >= 6 && q[0] == '\\' && q[1] == 'u') ? hex4(q + 2, ps->end) : -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            *s += 6;
        } else {
            cp = 0xFFFD;  /* the next escape, if any, is read on its own */
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    *d = put_utf8(*d, (unsigned long)cp);
    return 0;
}

static int simple_escape(char e, char *out)
{
    switch (e) {
    case '"': *out = '"'; return 0;
    case '\\': *out = '\\'; return 0;
    case '/': *out = '/'; return 0;
    case 'b': *out = '\b'; return 0;
    case 'f': *out = '\f'; return 0;
    case 'n': *out = '\n'; return 0;
    case 'r': *out = '\r'; return 0;
    case 't': *out = '\t'; return 0;
    default: return -1;
    }
}

/* Bytes that end a plain run inside a string: controls, '"' and '\\'. */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,  /* 0x50: '\\' */
};                                                    /* the rest: 0 */

/* Unescapes the string whose opening quote is at ps->p into the scratch
 * area, NUL-terminated (the token is at least two bytes longer than its
 * text, so the NUL fits too). Plain bytes are copied as they are scanned. */
static int read_string(parser *ps, size_t *outlen)
{
    const char *s = ps->p + 1, *end = ps->end;
    char *d = ps->scratch;
    for (;;) {
        while (s < end && !str_stop[(unsigned char)*s]) *d++ = *s++;
        if (s >= end) return unexpected(ps, end);
        if (*s == '"') break;
        if (*s != '\\') {
            char what[48];
            snprintf(what, sizeof what, "control character 0x%02X in string",
                     (unsigned)(unsigned char)*s);
            return report(ps, LC_JSON_SYNTAX, s, what);
        }
        if (s + 1 >= end) return unexpected(ps, end);
        if (s[1] == 'u') {
            s += 2;
            if (unicode_escape(ps, &s, &d) != 0) return LC_JSON_SYNTAX;
        } else if (simple_escape(s[1], d) == 0) {
            d++;
            s += 2;
        } else {
            return report(ps, LC_JSON_SYNTAX, s, "invalid escape in string");
        }
    }
    *d = '\0';
    *outlen = (size_t)(d - ps->scratch);
    ps->p = s + 1;
    return 0;
}

/* --- numbers */

/* strtod honours LC_NUMERIC; a host that called setlocale() may expect ','.
 * Retry with the locale's own decimal point rather than misread "0.5". */
static double c_strtod(char *buf, size_t n)
{
    char *stop;
    double d = strtod(buf, &stop);
    if ((size_t)(stop - buf) == n) return d;
    const char *dp = localeconv()->decimal_point;
    char *dot = strchr(buf, '.');
    if (dot && dp && dp[0] && !dp[1]) {
        *dot = dp[0];
        d = strtod(buf, NULL);
        *dot = '.';
    }
    return d;
}

/* Enough significant digits that cutting the rest (and leaving a sticky
 * non-zero digit in their place) cannot change the rounding: any point
 * halfway between two doubles has at most 767 significant digits. */
#define LONG_NUM_DIGITS 800
#define EXP_CAP 1000000000000000LL  /* far beyond any exponent that matters */

static long long add_capped(long long a, long long b)
{
    long long s = a + b;  /* operands stay within +/-2*EXP_CAP: no overflow */
    return s > EXP_CAP ? EXP_CAP : s < -EXP_CAP ? -EXP_CAP : s;
}

/* Converts a long literal (already validated) without copying it whole:
 * it is rewritten as <significant digits>e<exponent> on the stack. This
 * keeps the reader allocation free and within its scratch contract. */
static double long_number(const char *s, size_t n)
{
    char buf[LONG_NUM_DIGITS + 32];
    size_t i = 0, nd = 0;
    int neg = s[0] == '-', in_frac = 0, sticky = 0;
    long long exp10 = 0;  /* value = digits * 10^exp10 */
    if (neg) {
        buf[nd++] = '-';
        i++;
    }
    size_t first = nd;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = 1;
            continue;
        }
        if (in_frac) exp10 = add_capped(exp10, -1);
        if (nd == first && s[i] == '0') continue;  /* leading zero */
        if (nd - first < LONG_NUM_DIGITS) {
            buf[nd++] = s[i];
        } else {
            exp10 = add_capped(exp10, 1);
            sticky |= s[i] != '0';
        }
    }
    if (nd == first) return neg ? -0.0 : 0.0;
    if (sticky) {
        buf[nd++] = '1';
        exp10 = add_capped(exp10, -1);
    }
    if (i < n) {  /* exponent */
        int eneg = s[++i] == '-';
        if (s[i] == '-' || s[i] == '+') i++;
        long long e = 0;
        for (; i < n; i++) {
            e = e * 10 + (s[i] - '0');
            if (e > EXP_CAP) e = EXP_CAP;
        }
        exp10 = add_capped(exp10, eneg ? -e : e);
    }
    int w = snprintf(buf + nd, sizeof buf - nd, "e%lld", exp10);
    return c_strtod(buf, nd + (size_t)w);
}

#if FLT_EVAL_METHOD == 0
/* Powers of ten that a double holds exactly. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#endif

/* The common short case without strtod: when the digits form an integer
 * m < 2^53 and the decimal exponent is within +/-22, m and 10^|e| are both
 * exact doubles, so one IEEE multiply or divide rounds correctly. Returns 0
 * when the literal is outside that range (strtod then decides). */
static int quick_double(const char *s, size_t n, double *out)
{
#if FLT_EVAL_METHOD == 0
    size_t i = s[0] == '-';
    uint64_t m = 0;
    int digits = 0, e = 0, frac = 0;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            frac = 1;
            continue;
        }
        if (digits || s[i] != '0') digits++;
        if (digits > 15) return 0;  /* keeps m below 10^15 < 2^53 */
        m = m * 10 + (uint64_t)(s[i] - '0');
        e -= frac;
    }
    if (i < n) {
        int eneg = s[++i] == '-', x = 0;
        if (s[i] == '-' || s[i] == '+') i++;
        for (; i < n; i++) {
            x = x * 10 + (s[i] - '0');
            if (x > 400) return 0;
        }
        e += eneg ? -x : x;
    }
    if (e < -22 || e > 22) return 0;
    double d = (double)m;
    d = e < 0 ? d / exact_pow10[-e] : d * exact_pow10[e];
    *out = s[0] == '-' ? -d : d;
    return 1;
#else
    (void)s;
    (void)n;
    (void)out;
    return 0;
#endif
}

static double to_double(const char *s, size_t n)
{
    double q;
    if (quick_double(s, n, &q)) return q;
    char buf[64];
    if (n >= sizeof buf) return long_number(s, n);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return c_strtod(buf, n);
}

/* Scans a number at ps->p. Integral literals are accumulated while
 * scanning, with an exact overflow test, so that int64 values (INT64_MIN
 * included) never go through a double. */
static int read_number(parser *ps)
{
    const char *start = ps->p, *p = ps->p, *end = ps->end;
    int neg = 0, integral = 1, overflow = 0;
    uint64_t acc = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || !is_digit(*p)) return unexpected(ps, p);
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p)) return report(ps, LC_JSON_SYNTAX, p, "leading zero in number");
    } else {
        const uint64_t tenth = UINT64_C(922337203685477580);  /* INT64_MAX / 10 */
        const unsigned last = neg ? 8u : 7u;                   /* its last digit */
        for (; p < end && is_digit(*p); p++) {
            unsigned dg = (unsigned)(*p - '0');
            if (acc < tenth || (acc == tenth && dg <= last))
                acc = acc * 10 + dg;
            else
                overflow = 1;
        }
    }
    if (p < end && *p == '.') {
        integral = 0;
        if (++p >= end || !is_digit(*p)) return unexpected(ps, p);
        while (p < end && is_digit(*p)) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = 0;
        if (++p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || !is_digit(*p)) return unexpected(ps, p);
        while (p < end && is_digit(*p)) p++;
    }
    ps->p = p;
    const lc_json_handler *h = ps->h;
    if (integral && !overflow) {
        int64_t v = !neg ? (int64_t)acc
                         : acc > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)acc;
        if (h->on_int && h->on_int(ps->ud, v)) return aborted(ps, start);
    } else if (h->on_double) {
        if (h->on_double(ps->ud, to_double(start, (size_t)(p - start)))) return aborted(ps, start);
    }
    return 0;
}

/* --- structure */

/* true, false or null at ps->p; reports the first byte that differs. */
static int read_literal(parser *ps, const char *word, size_t n)
{
    size_t avail = (size_t)(ps->end - ps->p);
    for (size_t i = 0; i < n; i++)
        if (i >= avail || ps->p[i] != word[i]) return unexpected(ps, ps->p + i);
    ps->p += n;
    return 0;
}

enum { OPENED_ARRAY = 1, OPENED_OBJECT = 2 };

/* One value at ps->p. Returns 0 when a complete value was consumed,
 * OPENED_* when a non-empty container was opened (pushed on `stack`), or an
 * error (negative). */
static int read_value(parser *ps, unsigned char *stack, size_t *depth)
{
    const lc_json_handler *h = ps->h;
    skip_ws(ps);
    if (ps->p >= ps->end) return unexpected(ps, ps->p);
    const char *tok = ps->p;
    size_t n = 0;
    int rc;
    switch (*tok) {
    case '{':
    case '[': {
        int obj = *tok == '{';
        if (*depth == LC_JSON_MAX_DEPTH) {
            char what[40];
            snprintf(what, sizeof what, "nesting deeper than %d", LC_JSON_MAX_DEPTH);
            return report(ps, LC_JSON_TOO_DEEP, tok, what);
        }
        int (*begin)(void *) = obj ? h->on_begin_object : h->on_begin_array;
        int (*finish)(void *) = obj ? h->on_end_object : h->on_end_array;
        if (begin && begin(ps->ud)) return aborted(ps, tok);
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
            if (finish && finish(ps->ud)) return aborted(ps, ps->p);
            ps->p++;
            return 0;
        }
        stack[(*depth)++] = (unsigned char)obj;
        return obj ? OPENED_OBJECT : OPENED_ARRAY;
    }
    case '"':
        if ((rc = read_string(ps, &n)) != 0) return rc;
        if (h->on_string && h->on_string(ps->ud, ps->scratch, n)) return aborted(ps, tok);
        return 0;
    case 't':
        if ((rc = read_literal(ps, "true", 4)) != 0) return rc;
        if (h->on_bool && h->on_bool(ps->ud, 1)) return aborted(ps, tok);
        return 0;
    case 'f':
        if ((rc = read_literal(ps, "false", 5)) != 0) return rc;
        if (h->on_bool && h->on_bool(ps->ud, 0)) return aborted(ps, tok);
        return 0;
    case 'n':
        if ((rc = read_literal(ps, "null", 4)) != 0) return rc;
        if (h->on_null && h->on_null(ps->ud)) return aborted(ps, tok);
        return 0;
    default:
        return read_number(ps);
    }
}

/* `"key" :` at ps->p (after white space). */
static int read_key(parser *ps)
{
    size_t n = 0;
    int rc;
    skip_ws(ps);
    const char *tok = ps->p;
    if (tok >= ps->end || *tok != '"') return unexpected(ps, tok);
    if ((rc = read_string(ps, &n)) != 0) return rc;
    if (ps->h->on_key && ps->h->on_key(ps->ud, ps->scratch, n)) return aborted(ps, tok);
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':') return unexpected(ps, ps->p);
    ps->p++;
    return 0;
}

/* After a complete value inside containers: closes as many as end here and
 * stops after a ',' (setting *need_key for an object) or at depth 0. */
static int after_value(parser *ps, unsigned char *stack, size_t *depth, int *need_key)
{
    while (*depth > 0) {
        int obj = stack[*depth - 1];
        skip_ws(ps);
        if (ps->p >= ps->end) return unexpected(ps, ps->p);
        char c = *ps->p;
        if (c == ',') {
            ps->p++;
            *need_key = obj;
            return 0;
        }
        if (c != (obj ? '}' : ']')) return unexpected(ps, ps->p);
        int (*finish)(void *) = obj ? ps->h->on_end_object : ps->h->on_end_array;
        if (finish && finish(ps->ud)) return aborted(ps, ps->p);
        ps->p++;
        (*depth)--;
    }
    return 0;
}

/* Iterative, with an explicit stack of open containers (1 = object), so
 * hostile nesting cannot exhaust the C stack. */
static int parse_document(parser *ps)
{
    unsigned char stack[LC_JSON_MAX_DEPTH];
    size_t depth = 0;
    int need_key = 0, rc;
    do {
        if (need_key && (rc = read_key(ps)) != 0) return rc;
        rc = read_value(ps, stack, &depth);
        if (rc > 0) {
            need_key = rc == OPENED_OBJECT;
            continue;
        }
        if (rc != 0) return rc;
        need_key = 0;
        if ((rc = after_value(ps, stack, &depth, &need_key)) != 0) return rc;
    } while (depth > 0);
    skip_ws(ps);
    return ps->p < ps->end ? unexpected(ps, ps->p) : LC_JSON_OK;
}

int lc_json_parse(const char *text, size_t len, const lc_json_handler *h, void *ud,
                  char *scratch, char *errbuf, size_t errlen)
{
    static const lc_json_handler none = {0};
    parser ps;
    if (!text) {
        text = "";
        len = 0;
    }
    ps.base = text;
    ps.p = text + lc_json_skip_prefix(text, len);
    ps.end = text + len;
    ps.scratch = scratch;
    ps.h = h ? h : &none;
    ps.ud = ud;
    ps.err = errbuf;
    ps.errlen = errlen;
    if (errbuf && errlen) errbuf[0] = '\0';
    return parse_document(&ps);
}

/* ------------------------------------------------------------ tree */

typedef struct builder {
    lc_value *root;
    lc_value *open[LC_JSON_MAX_DEPTH];  /* containers being filled */
    size_t depth;
    lc_buf key;                         /* pending member name */
    int oom;
} builder;

/* Appends without the duplicate scan of lc_object_set, which would make
 * big objects quadratic; duplicates are settled when the object closes. */
static int member_append(lc_value *obj, const char *key, size_t klen, lc_value *v)
{
    if (obj->u.obj.n == obj->u.obj.cap) {
        size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 4;
        if (cap > SIZE_MAX / sizeof *obj->u.obj.m) return -1;
        lc_member *m = realloc(obj->u.obj.m, cap * sizeof *m);
        if (!m) return -1;
        obj->u.obj.m = m;
        obj->u.obj.cap = cap;
    }
    char *k = malloc(klen + 1);
    if (!k) return -1;
    memcpy(k, key, klen + 1);
    lc_member *m = &obj->u.obj.m[obj->u.obj.n++];
    m->key = k;
    m->klen = klen;
    m->val = v;
    return 0;
}

static int same_key(const lc_member *a, const lc_member *b)
{
    return a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0;
}

static int member_order(const void *pa, const void *pb)
{
    const lc_member *a = *(const lc_member *const *)pa, *b = *(const lc_member *const *)pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c) return c;
    if (a->klen != b->klen) return a->klen < b->klen ? -1 : 1;
    return a < b ? -1 : a > b;  /* position: the array is one block */
}

static int has_duplicates(const lc_value *obj)
{
    const lc_member *m = obj->u.obj.m;
    for (size_t i = 1; i < obj->u.obj.n; i++)
        for (size_t j = 0; j < i; j++)
            if (same_key(&m[i], &m[j])) return 1;
    return 0;
}

/* First position, last value: the outcome of calling lc_object_set for
 * each member in turn, in O(n log n) via a sorted view. */
static int settle_duplicates(lc_value *obj)
{
    size_t n = obj->u.obj.n;
    if (n < 2 || (n <= 32 && !has_duplicates(obj))) return 0;
    lc_member **by_key = malloc(n * sizeof *by_key);
    if (!by_key) return -1;
    for (size_t i = 0; i < n; i++) by_key[i] = &obj->u.obj.m[i];
    qsort(by_key, n, sizeof *by_key, member_order);
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && same_key(by_key[a], by_key[b]); b++) continue;
        if (b - a < 2) continue;
        lc_value *last = by_key[b - 1]->val;
        by_key[b - 1]->val = by_key[a]->val;
        by_key[a]->val = last;
        for (size_t k = a + 1; k < b; k++) {
            free(by_key[k]->key);
            lc_value_free(by_key[k]->val);
            by_key[k]->key = NULL;
        }
    }
    free(by_key);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (obj->u.obj.m[i].key) obj->u.obj.m[kept++] = obj->u.obj.m[i];
    obj->u.obj.n = kept;
    return 0;
}

/* Hangs `v` under the innermost open container (or makes it the root). */
static int attach(builder *b, lc_value *v)
{
    int rc = -1;
    if (!v) {
        rc = -1;
    } else if (b->depth == 0) {
        b->root = v;
        rc = 0;
    } else if (b->open[b->depth - 1]->type == LC_T_ARRAY) {
        rc = lc_array_push(b->open[b->depth - 1], v);  /* frees v on failure */
        v = NULL;
    } else {
        rc = member_append(b->open[b->depth - 1], b->key.data ? b->key.data : "", b->key.len, v);
    }
    if (rc != 0) {
        lc_value_free(v);
        b->oom = 1;
    }
    return rc;
}

static int b_null(void *ud) { return attach(ud, lc_value_null()); }
static int b_bool(void *ud, int v) { return attach(ud, lc_value_bool(v)); }
static int b_int(void *ud, int64_t v) { return attach(ud, lc_value_int(v)); }
static int b_double(void *ud, double v) { return attach(ud, lc_value_double(v)); }
static int b_string(void *ud, const char *s, size_t n) { return attach(ud, lc_value_string(s, n)); }

static int b_key(void *ud, const char *s, size_t n)
{
    builder *b = ud;
    lc_buf_clear(&b->key);
    if (lc_buf_append(&b->key, s, n) == 0) return 0;
    b->oom = 1;
    return -1;
}

static int b_begin(builder *b, lc_value *v)
{
    if (attach(b, v) != 0) return -1;
    b->open[b->depth++] = v;  /* the parser bounds depth to the array size */
    return 0;
}

static int b_begin_object(void *ud) { return b_begin(ud, lc_value_object()); }
static int b_begin_array(void *ud) { return b_begin(ud, lc_value_array()); }

static int b_end_array(void *ud)
{
    builder *b = ud;
    b->depth--;
    return 0;
}

static int b_end_object(void *ud)
{
    builder *b = ud;
    if (settle_duplicates(b->open[--b->depth]) == 0) return 0;
    b->oom = 1;
    return -1;
}

lc_value *lc_json_decode(const char *text, size_t len, char *errbuf, size_t errlen)
{
    static const lc_json_handler h = {b_null, b_bool, b_int, b_double, b_string, b_key,
                                      b_begin_object, b_end_object, b_begin_array, b_end_array};
    builder *b = malloc(sizeof *b);
    char *scratch = malloc(len ? len : 1);
    lc_value *out = NULL;
    if (b && scratch) {
        b->root = NULL;
        b->depth = 0;
        b->oom = 0;
        lc_buf_init(&b->key);
        if (lc_json_parse(text, len, &h, b, scratch, errbuf, errlen) == LC_JSON_OK) {
            out = b->root;
        } else {
            lc_value_free(b->root);  /* everything built so far hangs from it */
            if (b->oom && errbuf && errlen) snprintf(errbuf, errlen, "out of memory");
        }
        lc_buf_free(&b->key);
    } else if (errbuf && errlen) {
        snprintf(errbuf, errlen, "out of memory");
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
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hexd[c >> 4];
            esc[5] = hexd[c & 15];
            n = 6;
        }
        lc_buf_append(out, esc, n);
    }
    lc_buf_append(out, s + run, len - run);
    lc_buf_putc(out, '"');
    return out->oom ? -1 : 0;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* snprintf writes the locale's decimal point; JSON and URLs want '.'.
 * Only text with something unexpected in it pays for the locale lookup. */
static void c_decimal_point(char *num)
{
    char *p = num + strspn(num, "0123456789+-.e");
    if (!*p) return;
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && !dp[1] && *p == dp[0]) *p = '.';
}

int lc_json_write_double(lc_buf *out, double d)
{
    char num[48];
    if (!isfinite(d)) return -1;
    /* The shortest of 15, 16, 17 significant digits that reads back to the
     * same bits (17 always does). */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, d);
        if (same_bits(strtod(num, NULL), d)) break;
    }
    c_decimal_point(num);
    /* Keep it a float when read back: 5.0 stays "5.0", not the integer 5. */
    if (!strpbrk(num, ".e")) strcat(num, ".0");
    return lc_buf_puts(out, num);
}

static int write_int(lc_buf *out, int64_t i)
{
    char num[24], *p = num + sizeof num;
    /* -(i + 1) + 1 is the magnitude without overflowing at INT64_MIN */
    uint64_t u = i < 0 ? (uint64_t)(-(i + 1)) + 1 : (uint64_t)i;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0) *--p = '-';
    return lc_buf_append(out, p, (size_t)(num + sizeof num - p));
}

static int encode(const lc_value *v, lc_buf *out, int depth)
{
    if (!v) return -1;
    switch (v->type) {
    case LC_T_NULL: return lc_buf_append(out, "null", 4);
    case LC_T_BOOL: return v->u.b ? lc_buf_append(out, "true", 4) : lc_buf_append(out, "false", 5);
    case LC_T_INT: return write_int(out, v->u.i);
    case LC_T_DOUBLE: return lc_json_write_double(out, v->u.d);
    case LC_T_STRING: return lc_json_write_string(out, v->u.str.s, v->u.str.len);
    case LC_T_ARRAY:
        if (depth >= LC_JSON_MAX_DEPTH) return -1;  /* what we could not read back */
        lc_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (i) lc_buf_putc(out, ',');
            if (encode(v->u.arr.items[i], out, depth + 1) != 0) return -1;
        }
        return lc_buf_putc(out, ']');
    case LC_T_OBJECT:
        if (depth >= LC_JSON_MAX_DEPTH) return -1;
        lc_buf_putc(out, '{');
        for (size_t i = 0; i < v->u.obj.n; i++) {
            const lc_member *m = &v->u.obj.m[i];
            if (i) lc_buf_putc(out, ',');
            lc_json_write_string(out, m->key, m->klen);
            lc_buf_putc(out, ':');
            if (encode(m->val, out, depth + 1) != 0) return -1;
        }
        return lc_buf_putc(out, '}');
    }
    return -1;
}

int lc_json_encode(const lc_value *v, lc_buf *out)
{
    return encode(v, out, 0) != 0 || out->oom ? -1 : 0;
}
