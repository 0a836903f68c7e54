/* A small dynamically typed value tree: the C side's picture of JSON and of
 * request parameters. Integers are kept as int64_t so that Canvas ids past
 * 2^53 survive unchanged. Lua-free. */
#ifndef LC_VALUE_H
#define LC_VALUE_H

#include <stddef.h>
#include <stdint.h>

typedef enum lc_type {
    LC_T_NULL, LC_T_BOOL, LC_T_INT, LC_T_DOUBLE, LC_T_STRING, LC_T_ARRAY, LC_T_OBJECT
} lc_type;

typedef struct lc_value lc_value;

typedef struct lc_member {
    char     *key;
    size_t    klen;
    lc_value *val;
} lc_member;

struct lc_value {
    lc_type type;
    union {
        int     b;
        int64_t i;
        double  d;
        struct { char *s; size_t len; } str;            /* NUL-terminated copy */
        struct { lc_value **items; size_t n, cap; } arr;
        struct { lc_member *m; size_t n, cap; } obj;     /* insertion order */
    } u;
};

/* Constructors return NULL on OOM. */
lc_value *lc_value_null(void);
lc_value *lc_value_bool(int b);
lc_value *lc_value_int(int64_t i);
lc_value *lc_value_double(double d);
lc_value *lc_value_string(const char *s, size_t len);
lc_value *lc_value_array(void);
lc_value *lc_value_object(void);
void      lc_value_free(lc_value *v);                 /* NULL-safe, recursive */

/* Take ownership of `v` (also on failure, where `v` is freed). 0 ok, -1 OOM. */
int       lc_array_push(lc_value *arr, lc_value *v);
/* Replaces an existing member of the same key. */
int       lc_object_set(lc_value *obj, const char *key, size_t klen, lc_value *v);

lc_value       *lc_object_get(const lc_value *obj, const char *key);   /* NULL if absent or not an object */
const char     *lc_value_str(const lc_value *v);                        /* NULL unless a string */
lc_value       *lc_value_path(const lc_value *v, const char *dotted);   /* "meta.pagination.next" */

#endif
