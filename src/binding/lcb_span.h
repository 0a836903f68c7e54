/* lcb_span.h: reading already validated JSON in place (span.c). */
#ifndef LCB_SPAN_H
#define LCB_SPAN_H

#include <stddef.h>

#include <lua.h>

typedef struct lcb_span {
    size_t off, len;
} lcb_span;

/* Index just past the JSON value starting at or after i (white space first). */
size_t lcb_span_skip(const char *s, size_t i, size_t n);

/* The items of the array at `start` (after white space): fills up to `max`
 * spans and returns how many items there are (0 when not an array). */
size_t lcb_span_items(const char *s, size_t n, size_t start, lcb_span *out, size_t max);

/* The value of member `key` of the object s[0..len): 1 found (span in
 * *val; the last of duplicate keys, as the decoder has it), 0 absent, -1
 * cannot tell without decoding (an escaped key after the last match). */
int lcb_span_member(const char *s, size_t len, const char *key, size_t klen, lcb_span *val);

/* Pushes the scalar JSON value s[0..len) (a null member reads as nil) and
 * returns 1; returns 0, pushing nothing, for an object or array. */
int lcb_span_push_scalar(lua_State *L, const char *s, size_t len);

#endif
