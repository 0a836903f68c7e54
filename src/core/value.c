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

lc_value *lc_value_string(const char *s, size_t len)
{
    lc_value *v = make(LC_T_STRING);
    if (!v) return NULL;
    v->u.str.s = malloc(len + 1);
    if (!v->u.str.s) {
        free(v);
        return NULL;
    }
    if (len) memcpy(v->u.str.s, s, len);
    v->u.str.s[len] = '\0';
    v->u.str.len = len;
    return v;
}

void lc_value_free(lc_value *v)
{
    if (!v) return;
    switch (v->type) {
    case LC_T_STRING: free(v->u.str.s); break;
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
    default: break;
    }
    free(v);
}

int lc_array_push(lc_value *arr, lc_value *v)
{
    if (!arr || arr->type != LC_T_ARRAY || !v) {
        lc_value_free(v);
        return -1;
    }
    if (arr->u.arr.n == arr->u.arr.cap) {
        size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;
        lc_value **p = realloc(arr->u.arr.items, cap * sizeof *p);
        if (!p) {
            lc_value_free(v);
            return -1;
        }
        arr->u.arr.items = p;
        arr->u.arr.cap = cap;
    }
    arr->u.arr.items[arr->u.arr.n++] = v;
    return 0;
}

int lc_object_set(lc_value *obj, const char *key, size_t klen, lc_value *v)
{
    if (!obj || obj->type != LC_T_OBJECT || !v) {
        lc_value_free(v);
        return -1;
    }
    for (size_t i = 0; i < obj->u.obj.n; i++) {
        lc_member *m = &obj->u.obj.m[i];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0) {
            lc_value_free(m->val);
            m->val = v;
            return 0;
        }
    }
    if (obj->u.obj.n == obj->u.obj.cap) {
        size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 4;
        lc_member *p = realloc(obj->u.obj.m, cap * sizeof *p);
        if (!p) {
            lc_value_free(v);
            return -1;
        }
        obj->u.obj.m = p;
        obj->u.obj.cap = cap;
    }
    char *k = malloc(klen + 1);
    if (!k) {
        lc_value_free(v);
        return -1;
    }
    if (klen) memcpy(k, key, klen);
    k[klen] = '\0';
    lc_member *m = &obj->u.obj.m[obj->u.obj.n++];
    m->key = k;
    m->klen = klen;
    m->val = v;
    return 0;
}

lc_value *lc_object_get(const lc_value *obj, const char *key)
{
    if (!obj || obj->type != LC_T_OBJECT) return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < obj->u.obj.n; i++) {
        const lc_member *m = &obj->u.obj.m[i];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0) return m->val;
    }
    return NULL;
}

const char *lc_value_str(const lc_value *v)
{
    return v && v->type == LC_T_STRING ? v->u.str.s : NULL;
}

lc_value *lc_value_path(const lc_value *v, const char *dotted)
{
    char key[128];
    const char *p = dotted;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof key) return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        v = lc_object_get(v, key);
        p += n + (dot ? 1 : 0);
    }
    return (lc_value *)v;
}
