/* Rails-style parameter encoding and percent-escaping.
 * Nesting deeper than LC_JSON_MAX_DEPTH is refused (-1), like the JSON
 * writer, so a runaway structure cannot exhaust the C stack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lcanvas.h"
#include "params.h"

/* Which bytes each escaping flavour leaves alone. */
enum {
    KEEP_FORM = 1,  /* - _ . ~                    */
    KEEP_KEY = 2,   /* - _ . ~ and the brackets   */
    KEEP_PATH = 4,  /* - _ ~ :                    */
    KEEP_SEG = 8    /* - _ ~                      */
};

static int keeps(unsigned char c, unsigned flavour)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return 1;
    switch (c) {
    case '-':
    case '_':
    case '~': return 1;
    case '.': return (flavour & (KEEP_FORM | KEEP_KEY)) != 0;
    case '[':
    case ']': return (flavour & KEEP_KEY) != 0;
    case ':': return (flavour & KEEP_PATH) != 0;
    default: return 0;
    }
}

/* Byte-wise: each byte of a UTF-8 sequence becomes its own %XX. */
static int escape(lc_buf *out, const char *s, size_t len, unsigned flavour)
{
    static const char hex[] = "0123456789ABCDEF";
    if (len > (SIZE_MAX - 1) / 3 || lc_buf_reserve(out, len * 3) != 0) {
        out->oom = 1;
        return -1;
    }
    char *d = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (keeps(c, flavour)) {
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

int lc_form_escape(lc_buf *out, const char *s, size_t len) { return escape(out, s, len, KEEP_FORM); }
int lc_path_escape(lc_buf *out, const char *s, size_t len) { return escape(out, s, len, KEEP_PATH); }
int lc_path_escape_all(lc_buf *out, const char *s, size_t len) { return escape(out, s, len, KEEP_SEG); }

/* Numbers as Rails reads them: the JSON writer's shortest round-trip form,
 * minus the ".0" it adds to keep floats floats (3.0 -> "3"), then escaped
 * ("1e+300" carries a '+', which a form decoder would read as a space). */
static int put_double(lc_buf *out, double d)
{
    lc_buf tmp;
    lc_buf_init(&tmp);
    int rc = lc_json_write_double(&tmp, d);
    if (rc == 0) {
        size_t n = tmp.len;
        if (n >= 2 && memcmp(tmp.data + n - 2, ".0", 2) == 0) n -= 2;
        rc = escape(out, tmp.data, n, KEEP_FORM);
    }
    lc_buf_free(&tmp);
    return rc;
}

static int put_scalar(lc_buf *out, const lc_value *v)
{
    switch (v->type) {
    case LC_T_BOOL: return lc_buf_puts(out, v->u.b ? "true" : "false");
    case LC_T_INT: return lc_json_encode(v, out);  /* exact, no sign issues */
    case LC_T_DOUBLE: return put_double(out, v->u.d);
    case LC_T_STRING: return escape(out, v->u.str.s, v->u.str.len, KEEP_FORM);
    case LC_T_NULL:
    case LC_T_ARRAY:
    case LC_T_OBJECT: break;
    }
    return -1;
}

static int by_key(const void *pa, const void *pb)
{
    const lc_member *a = *(const lc_member *const *)pa, *b = *(const lc_member *const *)pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n ? memcmp(a->key, b->key, n) : 0;
    if (c) return c;
    return (a->klen > b->klen) - (a->klen < b->klen);
}

typedef struct encoder {
    lc_buf name;  /* the escaped name built so far, e.g. "user[avatar]" */
    lc_buf *out;
} encoder;

static int encode(encoder *e, const lc_value *v, int depth);

static int encode_scalar(encoder *e, const lc_value *v)
{
    lc_buf *out = e->out;
    if (out->len) lc_buf_putc(out, '&');
    lc_buf_append(out, e->name.data, e->name.len);
    lc_buf_putc(out, '=');
    return put_scalar(out, v) != 0 || out->oom ? -1 : 0;
}

/* Members in byte order (a sorted view; the tree itself is untouched), each
 * under name[key], or under plain key at the top. */
static int encode_object(encoder *e, const lc_value *v, int depth)
{
    size_t n = v->u.obj.n, mark = e->name.len;
    if (n == 0) return 0;
    const lc_member **sorted = malloc(n * sizeof *sorted);
    if (!sorted) return -1;
    for (size_t i = 0; i < n; i++) sorted[i] = &v->u.obj.m[i];
    qsort(sorted, n, sizeof *sorted, by_key);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        e->name.len = mark;
        if (depth > 0) lc_buf_putc(&e->name, '[');
        escape(&e->name, sorted[i]->key, sorted[i]->klen, KEEP_KEY);
        if (depth > 0) lc_buf_putc(&e->name, ']');
        rc = e->name.oom ? -1 : encode(e, sorted[i]->val, depth + 1);
    }
    free(sorted);
    return rc;
}

/* Every item under name[]: scalars directly, containers nested further
 * (entry[][name]=A for a list of objects). */
static int encode_array(encoder *e, const lc_value *v, int depth)
{
    if (lc_buf_append(&e->name, "[]", 2) != 0) return -1;
    size_t mark = e->name.len;
    int rc = 0;
    for (size_t i = 0; i < v->u.arr.n && rc == 0; i++) {
        e->name.len = mark;
        rc = encode(e, v->u.arr.items[i], depth + 1);
    }
    return rc;
}

static int encode(encoder *e, const lc_value *v, int depth)
{
    if (!v || depth > LC_JSON_MAX_DEPTH) return -1;
    size_t mark = e->name.len;
    int rc = -1;
    switch (v->type) {
    case LC_T_NULL: return 0;
    case LC_T_OBJECT: rc = encode_object(e, v, depth); break;
    case LC_T_ARRAY: rc = encode_array(e, v, depth); break;
    case LC_T_BOOL:
    case LC_T_INT:
    case LC_T_DOUBLE:
    case LC_T_STRING: rc = encode_scalar(e, v); break;
    }
    e->name.len = mark;
    if (e->name.data) e->name.data[mark] = '\0';
    return rc;
}

int lc_params_encode(const lc_value *params, lc_buf *out)
{
    if (!params || params->type != LC_T_OBJECT || !out || out->oom) return -1;
    encoder e;
    lc_buf_init(&e.name);
    e.out = out;
    int rc = encode(&e, params, 0);
    lc_buf_free(&e.name);
    return rc;
}

/* Pairs are separated by '&'; a pair names the key when it is `name`, then
 * '=' (or nothing: a bare flag). `name[...]` is a different key. */
int lc_params_has_key(const char *q, const char *name)
{
    if (!q || !name || !*name) return 0;
    size_t n = strlen(name);
    for (const char *p = q;;) {
        if (strncmp(p, name, n) == 0 && (p[n] == '=' || p[n] == '&' || p[n] == '\0')) return 1;
        p = strchr(p, '&');
        if (!p) return 0;
        p++;
    }
}

/* ------------------------------------------------------------ public API */

char *lc_encode_params(const lc_value *params, lc_error *err)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_puts(&b, "");
    if (!params || params->type != LC_T_OBJECT) {
        lc_buf_free(&b);
        if (err) lc_error_set(err, LC_INVALID_ARGUMENT, "parameters must be an object");
        return NULL;
    }
    if (lc_params_encode(params, &b) != 0 || b.oom) {
        int oom = b.oom;
        lc_buf_free(&b);
        if (err)
            lc_error_set(err, oom ? LC_OUT_OF_MEMORY : LC_INVALID_ARGUMENT,
                         oom ? "out of memory" : "parameters nested too deeply");
        return NULL;
    }
    return lc_buf_detach(&b, NULL);
}

char *lc_encode_segment(const char *s, size_t len)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_puts(&b, "");
    if (lc_path_escape(&b, s, len) != 0 || b.oom) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_detach(&b, NULL);
}

char *lc_encode_path(const char *path)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_puts(&b, "");
    for (const char *p = path;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        lc_path_escape(&b, p, n);
        if (!slash) break;
        lc_buf_putc(&b, '/');
        p = slash + 1;
    }
    if (b.oom) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_detach(&b, NULL);
}
