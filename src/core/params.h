/* URL building pieces and Rails-style parameter encoding. Lua-free.
 *
 * Rails nesting, for an object of parameters:
 *   {user:{name:"Jo"}}                 -> user[name]=Jo
 *   {include:["a","b"]}                -> include[]=a&include[]=b
 *   {entry:[{name:"A",value:90}]}      -> entry[][name]=A&entry[][value]=90
 *   {a:{types:["x"]}}                  -> a[types][]=x
 * Object keys are emitted in byte-wise sorted order (deterministic requests),
 * arrays in order. Booleans are true/false, integers without ".0", doubles
 * in the shortest form that round-trips. Empty arrays and objects and null
 * emit nothing. Keys and values are form-encoded (space -> %20, brackets in
 * the key left literal as Rails expects). */
#ifndef LC_PARAMS_H
#define LC_PARAMS_H

#include <stddef.h>
#include "buf.h"
#include "value.h"

/* Appends `k=v&k=v...` for an LC_T_OBJECT (anything else: -1). If `out`
 * already holds text, the first pair is preceded by '&'. 0 ok, -1 error/OOM. */
int lc_params_encode(const lc_value *params, lc_buf *out);

/* True when the encoded query/body `q` has a top-level key `name`
 * (e.g. "per_page"), so a caller's own value wins over a client default. */
int lc_params_has_key(const char *q, const char *name);

/* Percent-encodes one component for a query string or form body:
 * keeps A-Z a-z 0-9 - _ . ~ and escapes everything else as %XX. */
int lc_form_escape(lc_buf *out, const char *s, size_t len);

/* Percent-encodes one path segment holding an id. Keeps A-Z a-z 0-9 - _ ~
 * and ':' (so `sis_user_id:X` stays readable); escapes everything else,
 * '.' and '/' included: "sis_user_id:CS/101.1" -> "sis_user_id:CS%2F101%2E1". */
int lc_path_escape(lc_buf *out, const char *s, size_t len);

/* Same as lc_path_escape, but also for ':' — for free-text segments such as
 * folder names in resolve_path. */
int lc_path_escape_all(lc_buf *out, const char *s, size_t len);

#endif
