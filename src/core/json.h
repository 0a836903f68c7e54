/* JSON reading and writing. Lua-free.
 *
 * The reader is event driven (SAX style) so that a binding can build its own
 * values directly without an intermediate tree, and it never allocates: string
 * contents are unescaped into a caller-supplied scratch buffer of at least
 * `len` bytes. A handler callback may therefore longjmp out (as a Lua error
 * does) without leaking anything.
 *
 * Numbers: a literal with no fraction and no exponent that fits int64_t is
 * reported through on_int, exactly; anything else through on_double. */
#ifndef LC_JSON_H
#define LC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "value.h"

#define LC_JSON_MAX_DEPTH 512

typedef struct lc_json_handler {
    int (*on_null)(void *ud);
    int (*on_bool)(void *ud, int b);
    int (*on_int)(void *ud, int64_t i);
    int (*on_double)(void *ud, double d);
    int (*on_string)(void *ud, const char *s, size_t len);
    int (*on_key)(void *ud, const char *s, size_t len);
    int (*on_begin_object)(void *ud);
    int (*on_end_object)(void *ud);
    int (*on_begin_array)(void *ud);
    int (*on_end_array)(void *ud);
} lc_json_handler;           /* a callback returning non-zero aborts the parse */

enum { LC_JSON_OK = 0, LC_JSON_SYNTAX = -1, LC_JSON_ABORTED = -2, LC_JSON_TOO_DEEP = -3,
       LC_JSON_TOO_MANY = -4 };

/* Offset of the first meaningful byte: skips a UTF-8 BOM, white space and the
 * `while(1);` prefix old Canvas puts in front of JSON bodies. */
size_t lc_json_skip_prefix(const char *text, size_t len);

/* Parses exactly one JSON value (trailing white space allowed) after
 * lc_json_skip_prefix. `scratch` must hold at least `len` bytes; with scratch
 * NULL the text is only checked and `h` is not called (lc_json_validate). On failure
 * `errbuf` gets a message such as "unexpected '}' at byte 17". */
int lc_json_parse(const char *text, size_t len, const lc_json_handler *h, void *ud,
                  char *scratch, char *errbuf, size_t errlen);

/* The same, stopping with LC_JSON_TOO_MANY ("more than N values at byte
 * K") at value number max_values + 1 (0: no limit). Every value counts:
 * scalars, and each object or array once, empty or not. */
int lc_json_parse_max(const char *text, size_t len, const lc_json_handler *h, void *ud,
                      char *scratch, size_t max_values, char *errbuf, size_t errlen);

/* Checks that text is one JSON value as lc_json_parse would read it, with
 * the same error messages, without producing anything: strings are scanned,
 * not unescaped, so it needs no scratch and costs about half a parse. 0 when
 * valid, else an LC_JSON_* code with errbuf set. */
int lc_json_validate(const char *text, size_t len, char *errbuf, size_t errlen);
int lc_json_validate_max(const char *text, size_t len, size_t max_values, char *errbuf,
                         size_t errlen);

/* Builds a tree; NULL on syntax error (message in errbuf) or OOM. */
lc_value *lc_json_decode(const char *text, size_t len, char *errbuf, size_t errlen);

/* Compact encoding. Integers print exactly; doubles with up to 17 significant
 * digits (round-trip), never as "inf"/"nan" (those are an error, -1). */
int lc_json_encode(const lc_value *v, lc_buf *out);
int lc_json_write_string(lc_buf *out, const char *s, size_t len);
int lc_json_write_double(lc_buf *out, double d);

#endif
