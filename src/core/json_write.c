/* The JSON writer: compact text from an lc_value tree, strings escaped,
 * integers exact, doubles in the shortest form that reads back to the same
 * bits, never "inf"/"nan" (an error) and never deeper than the reader
 * accepts. Separate from the reader: nothing is shared but json.h. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

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
