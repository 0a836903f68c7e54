/* String helpers shared by the core's files (str.c). Not installed. */
#ifndef LC_STR_H
#define LC_STR_H

#include <stddef.h>

#include "lc_internal.h"

LC_INTERNAL char *lc_xstrdup(const char *s);              /* NULL stays NULL */
LC_INTERNAL char *lc_xstrndup(const char *s, size_t n);
LC_INTERNAL void  lc_wipe_free(char *s);                  /* overwrites a secret, then frees it */
LC_INTERNAL void  lc_wipe(void *p, size_t n);             /* zeroes n bytes; never dropped as a dead store */
LC_INTERNAL int   lc_has_control_char(const char *s);     /* CR, LF, any byte < 0x20, DEL */

#endif
