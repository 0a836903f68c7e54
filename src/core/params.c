/* Rails-style parameter encoding and percent-escaping. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "params.h"

static const char hex[] = "0123456789ABCDEF";

static int escape(lc_buf *out, const char *s, size_t len, const char *keep)
{
    if (lc_buf_reserve(out, len * 3) != 0) return -1;
    char *d = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            (c && strchr(keep, c))) {
            *d++ = (char)c;
        } else {
            *d++ = '%';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
        }
    }
    out->len = (size_t)(d - out->data);
    out->data[out->len] = '\0';
    return 0;
}

int lc_form_escape(lc_buf *out, const char *s, size_t len) { return escape(out, s, len, "-_.~"); }
int lc_path_escape(lc_buf *out, const char *s, size_t len) { return escape(out, s, len, "-_~:"); }
int lc_path_escape_all(lc_buf *out, const char *s, size_t len) { return escape(out, s, len, "-_~"); }

static int put_scalar(lc_buf *out, const lc_value *v)
{
    char num[40];
    switch (v->type) {
    case LC_T_BOOL: return lc_buf_puts(out, v->u.b ? "true" : "false");
    case LC_T_INT:
        snprintf(num, sizeof num, "%" PRId64, v->u.i);
        return lc_buf_puts(out, num);
    case LC_T_DOUBLE: {
        /* Shortest round-trip form, without JSON's forced ".0": 3.0 -> 3. */
        lc_buf tmp;
        lc_buf_init(&tmp);
        if (lc_json_write_double(&tmp, v->u.d) != 0) {
            lc_buf_free(&tmp);
            return -1;
        }
        size_t n = tmp.len;
        if (n > 2 && strcmp(tmp.data + n - 2, ".0") == 0) n -= 2;
        int rc = lc_form_escape(out, tmp.data, n);
        lc_buf_free(&tmp);
        return rc;
    }
    case LC_T_STRING: return lc_form_escape(out, v->u.str.s, v->u.str.len);
    default: return -1;
    }
}

static int cmp_members(const void *a, const void *b)
{
    const lc_member *x = *(const lc_member *const *)a, *y = *(const lc_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* prefix: the escaped key so far ("user[avatar]"), or empty at the top.
 * Each name is escaped; the brackets stay literal, as Rails writes them. */
static int encode(const lc_value *v, lc_buf *prefix, lc_buf *out)
{
    size_t mark = prefix->len;
    int rc = 0;
    switch (v->type) {
    case LC_T_NULL: return 0;
    case LC_T_OBJECT: {
        if (v->u.obj.n == 0) return 0;
        const lc_member **sorted = malloc(v->u.obj.n * sizeof *sorted);
        if (!sorted) return -1;
        for (size_t i = 0; i < v->u.obj.n; i++) sorted[i] = &v->u.obj.m[i];
        qsort(sorted, v->u.obj.n, sizeof *sorted, cmp_members);
        for (size_t i = 0; i < v->u.obj.n && rc == 0; i++) {
            prefix->len = mark;
            if (mark) lc_buf_putc(prefix, '[');
            escape(prefix, sorted[i]->key, sorted[i]->klen, "-_.~");
            if (mark) lc_buf_putc(prefix, ']');
            rc = prefix->oom ? -1 : encode(sorted[i]->val, prefix, out);
        }
        free(sorted);
        break;
    }
    case LC_T_ARRAY:
        if (!mark) return -1;  /* a bare list has no name */
        lc_buf_puts(prefix, "[]");
        for (size_t i = 0; i < v->u.arr.n && rc == 0; i++) rc = encode(v->u.arr.items[i], prefix, out);
        break;
    default:
        if (!mark) return -1;
        if (out->len) lc_buf_putc(out, '&');
        lc_buf_append(out, prefix->data, prefix->len);
        lc_buf_putc(out, '=');
        rc = put_scalar(out, v);
        if (out->oom) rc = -1;
        break;
    }
    prefix->len = mark;
    if (prefix->data) prefix->data[mark] = '\0';
    return rc;
}

int lc_params_encode(const lc_value *params, lc_buf *out)
{
    if (!params || params->type != LC_T_OBJECT) return -1;
    lc_buf prefix;
    lc_buf_init(&prefix);
    int rc = encode(params, &prefix, out);
    lc_buf_free(&prefix);
    return rc;
}

int lc_params_has_key(const char *q, const char *name)
{
    size_t n = strlen(name);
    if (!q) return 0;
    for (const char *p = q; *p;) {
        if (strncmp(p, name, n) == 0 && (p[n] == '=' || p[n] == '&' || p[n] == '\0')) return 1;
        const char *amp = strchr(p, '&');
        if (!amp) break;
        p = amp + 1;
    }
    return 0;
}
