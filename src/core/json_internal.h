/* The JSON decoder's entry points private to the core. Not installed. */
#ifndef LC_JSON_INTERNAL_H
#define LC_JSON_INTERNAL_H

#include "json.h"
#include "lc_internal.h"

/* lc_json_decode for an answer holding a secret (the OAuth token answer):
 * the parser's scratch copy of the strings, which keeps the tail of a long
 * string that shorter ones overwrote only in part, is wiped before it is
 * freed. Wiping the tree is the caller's job (oauth.c). */
LC_INTERNAL lc_value *lc_json_decode_secret(const char *text, size_t len, char *errbuf,
                                            size_t errlen);

#endif
