/* Dynamically typed value tree. Objects are small arrays of members kept in
 * insertion order: requests and Canvas records have few keys, and the order
 * is what a caller wrote or what the server sent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

static lc_value *make(lc_type t)
{
    lc_value *v = calloc(1, sizeof *v);
    if (v) v->type = t;
    return v;
}

lc_value *lc_value_null(void) { return make(LC_T_NULL); }
lc_value *lc_value_array(void) { return make(LC_T_ARRAY); }
lc_value *lc_value_object(void) { return make(LC_T_OBJECT); }

lc_value *lc_value_bool(int b)
{
    lc_value *v = make(LC_T_BOOL);
    if (v) v->u.b = b != 0;
    return v;
}

lc_value *lc_value_int(int64_t i)
{
    lc_value *v = make(LC_T_INT);
    if (v) v->u.i = i;
    return v;
}

lc_value *lc_value_double(double d)
{
    lc_value *v = make(LC_T_DOUBLE);
    if (v) v->u.d = d;
    return v;
}

static char *copy_bytes(const char *s, size_t len)
{
    if (len == SIZE_MAX) return NULL;
    char *p = malloc(len + 1);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

lc_value *lc_value_string(const char *s, size_t len)
{
    lc_value *v = make(LC_T_STRING);
    if (!v) return NULL;
    v->u.str.s = copy_bytes(s, len);
    if (!v->u.str.s) {
        free(v);
        return NULL;
    }
    v->u.str.len = len;
    return v;
}

void lc_value_free(lc_value *v)
{
    if (!v) return;
    switch (v->type) {
    case LC_T_STRING:
        free(v->u.str.s);
        break;
    case LC_T_ARRAY:
        for (size_t i = 0; i < v->u.arr.n; i++) lc_value_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case LC_T_OBJECT:
        for (size_t i = 0; i < v->u.obj.n; i++) {
            free(v->u.obj.m[i].key);
            lc_value_free(v->u.obj.m[i].val);
        }
        free(v->u.obj.m);
        break;
    case LC_T_NULL:
    case LC_T_BOOL:
    case LC_T_INT:
    case LC_T_DOUBLE:
        break;
    }
    free(v);
}

/* Doubles `*cap` (starting at 4) and reallocs `*items`; -1 on OOM. */
static int grow(void **items, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap : 2;
    if (n > SIZE_MAX / 2 / elem) return -1;
    void *p = realloc(*items, n * 2 * elem);
    if (!p) return -1;
    *items = p;
    *cap = n * 2;
    return 0;
}

int lc_array_push(lc_value *arr, lc_value *v)
{
    if (!arr || arr->type != LC_T_ARRAY || !v) goto fail;
    if (arr->u.arr.n == arr->u.arr.cap) {
        void *items = arr->u.arr.items;
        if (grow(&items, &arr->u.arr.cap, sizeof *arr->u.arr.items) != 0) goto fail;
        arr->u.arr.items = items;
    }
    arr->u.arr.items[arr->u.arr.n++] = v;
    return 0;
fail:
    lc_value_free(v);
    return -1;
}

static lc_member *find(const lc_value *obj, const char *key, size_t klen)
{
    for (size_t i = 0; i < obj->u.obj.n; i++) {
        lc_member *m = &obj->u.obj.m[i];
        if (m->klen == klen && (klen == 0 || memcmp(m->key, key, klen) == 0)) return m;
    }
    return NULL;
}

int lc_object_set(lc_value *obj, const char *key, size_t klen, lc_value *v)
{
    if (!obj || obj->type != LC_T_OBJECT || !v || (!key && klen)) goto fail;
    lc_member *m = find(obj, key, klen);
    if (m) {  /* keeps the original position, as a JSON object's last duplicate wins */
        lc_value_free(m->val);
        m->val = v;
        return 0;
    }
    if (obj->u.obj.n == obj->u.obj.cap) {
        void *items = obj->u.obj.m;
        if (grow(&items, &obj->u.obj.cap, sizeof *obj->u.obj.m) != 0) goto fail;
        obj->u.obj.m = items;
    }
    char *k = copy_bytes(key, klen);
    if (!k) goto fail;
    m = &obj->u.obj.m[obj->u.obj.n++];
    m->key = k;
    m->klen = klen;
    m->val = v;
    return 0;
fail:
    lc_value_free(v);
    return -1;
}

lc_value *lc_object_get(const lc_value *obj, const char *key)
{
    if (!obj || obj->type != LC_T_OBJECT || !key) return NULL;
    lc_member *m = find(obj, key, strlen(key));
    return m ? m->val : NULL;
}

const char *lc_value_str(const lc_value *v)
{
    return v && v->type == LC_T_STRING ? v->u.str.s : NULL;
}

/* Each dot-separated segment is one object key, so "" names the empty key
 * and "a..b" passes through a member called "". Arrays are not indexed. */
lc_value *lc_value_path(const lc_value *v, const char *dotted)
{
    if (!dotted) return NULL;
    const char *seg = dotted;
    for (;;) {
        if (!v || v->type != LC_T_OBJECT) return NULL;
        const char *dot = strchr(seg, '.');
        size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
        lc_member *m = find(v, seg, n);
        if (!m) return NULL;
        if (!dot) return m->val;
        v = m->val;
        seg = dot + 1;
    }
}
