/* lc_json_decode: a JSON text into an lc_value tree, as one more handler
 * of the event-driven reader (json_read.c). Separate from the reader, which
 * never allocates, because this is where the memory and the duplicate-key
 * rule (first position, last value) live. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_internal.h"
#include "lc_str.h"

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

static lc_value *decode(const char *text, size_t len, char *errbuf, size_t errlen, int wipe)
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
    if (scratch && wipe) lc_wipe(scratch, len ? len : 1);
    free(scratch);
    return out;
}

lc_value *lc_json_decode(const char *text, size_t len, char *errbuf, size_t errlen)
{
    return decode(text, len, errbuf, errlen, 0);
}

lc_value *lc_json_decode_secret(const char *text, size_t len, char *errbuf, size_t errlen)
{
    return decode(text, len, errbuf, errlen, 1);
}
