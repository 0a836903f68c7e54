/* Strict RFC 8259 JSON reader, event driven and allocation free (the tree
 * builder is json_decode.c, the writer json_write.c, the number conversion
 * json_number.c). Its whole point is exact integers: Canvas ids go past
 * 2^53, so an integral literal that fits int64_t never touches a double.
 *
 * Choices the RFC leaves open:
 *  - A lone UTF-16 surrogate escape (\ud800 not followed by a low half, or a
 *    stray \udc00) becomes U+FFFD. Canvas text is user content; one broken
 *    emoji in a discussion post should not make a whole page unreadable, and
 *    the replacement keeps the result valid UTF-8.
 *  - Raw bytes >= 0x80 inside strings are passed through unvalidated.
 *  - Duplicate object keys are reported as they come. Every reader of the
 *    project lets the last one win (lc_json_decode keeps the first position
 *    and the last value, like lc_object_set; the binding's decoder and its
 *    in-place reader, span.c, read the last), as Ruby's, JavaScript's and
 *    Python's parsers do.
 *  - Numbers too large for a double come out as +/-HUGE_VAL, as strtod has it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "json_number.h"

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
    size_t values_left;  /* values still allowed (lc_json_parse_max) */
    size_t max_values;
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

/* The error for a raw control byte inside a string. */
static int control_in_string(parser *ps, const char *s)
{
    char what[48];
    snprintf(what, sizeof what, "control character 0x%02X in string", (unsigned)(unsigned char)*s);
    return report(ps, LC_JSON_SYNTAX, s, what);
}

/* Whether any byte of v is '"', '\\' or below 0x20 (the classic "has a
 * zero byte" test on v XOR each stop byte, and on v less 0x20 each). */
static inline int has_stop_byte(uint64_t v)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    uint64_t z = ((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v);
    return (z & highs) != 0;
}

/* The string at ps->p, checked but not unescaped (lc_json_validate): the
 * same errors as read_string below, nothing written. */
static int skip_string(parser *ps)
{
    const char *s = ps->p + 1, *end = ps->end;
    for (;;) {
        /* Eight bytes at a time while none is '"', '\\' or a control. */
        while (end - s >= 8) {
            uint64_t v;
            memcpy(&v, s, 8);
            if (has_stop_byte(v)) break;
            s += 8;
        }
        while (s < end && !str_stop[(unsigned char)*s]) s++;
        if (s >= end) return unexpected(ps, end);
        if (*s == '"') break;
        if (*s != '\\') return control_in_string(ps, s);
        if (s + 1 >= end) return unexpected(ps, end);
        char c;
        if (s[1] == 'u') {
            if (hex4(s + 2, end) < 0) return report(ps, LC_JSON_SYNTAX, s, "invalid \\u escape");
            s += 6;
        } else if (simple_escape(s[1], &c) == 0) {
            s += 2;
        } else {
            return report(ps, LC_JSON_SYNTAX, s, "invalid escape in string");
        }
    }
    ps->p = s + 1;
    return 0;
}

/* Unescapes the string whose opening quote is at ps->p into the scratch
 * area, NUL-terminated (the token is at least two bytes longer than its
 * text, so the NUL fits too). Plain bytes are copied as they are scanned. */
static int read_string(parser *ps, size_t *outlen)
{
    if (!ps->scratch) {
        *outlen = 0;
        return skip_string(ps);
    }
    const char *s = ps->p + 1, *end = ps->end;
    char *d = ps->scratch;
    for (;;) {
        while (s < end && !str_stop[(unsigned char)*s]) *d++ = *s++;
        if (s >= end) return unexpected(ps, end);
        if (*s == '"') break;
        if (*s != '\\') return control_in_string(ps, s);
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
        if (h->on_double(ps->ud, lc_json_to_double(start, (size_t)(p - start)))) return aborted(ps, start);
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
        /* Every value counts, an empty container too: a page of "{}," is
         * a few bytes a value on the wire and far more once decoded. */
        if (ps->values_left-- == 0) {
            char what[64];
            snprintf(what, sizeof what, "more than %zu values", ps->max_values);
            skip_ws(ps);
            return report(ps, LC_JSON_TOO_MANY, ps->p, what);
        }
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
    return lc_json_parse_max(text, len, h, ud, scratch, 0, errbuf, errlen);
}

int lc_json_parse_max(const char *text, size_t len, const lc_json_handler *h, void *ud,
                      char *scratch, size_t max_values, char *errbuf, size_t errlen)
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
    ps.h = h && scratch ? h : &none;  /* no scratch: only checked (lc_json_validate) */
    ps.ud = ud;
    ps.err = errbuf;
    ps.errlen = errlen;
    ps.max_values = max_values;
    ps.values_left = max_values ? max_values : SIZE_MAX;
    if (errbuf && errlen) errbuf[0] = '\0';
    return parse_document(&ps);
}

int lc_json_validate(const char *text, size_t len, char *errbuf, size_t errlen)
{
    return lc_json_validate_max(text, len, 0, errbuf, errlen);
}

int lc_json_validate_max(const char *text, size_t len, size_t max_values, char *errbuf,
                         size_t errlen)
{
    /* No scratch: read_string only scans; no handler: nothing is called. */
    return lc_json_parse_max(text, len, NULL, NULL, NULL, max_values, errbuf, errlen);
}
