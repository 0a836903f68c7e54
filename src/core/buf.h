/* Growable byte buffer used across the core. Lua-free.
 * Every appending function returns 0 on success and -1 when memory ran out;
 * after a failure the buffer keeps what it had and `oom` is set, so callers
 * may append a whole sequence and check once at the end. */
#ifndef LC_BUF_H
#define LC_BUF_H

#include <stddef.h>
#include <stdarg.h>

typedef struct lc_buf {
    char  *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    int    oom;
} lc_buf;

void  lc_buf_init(lc_buf *b);
void  lc_buf_free(lc_buf *b);
void  lc_buf_clear(lc_buf *b);                /* len = 0, keeps the allocation */
int   lc_buf_reserve(lc_buf *b, size_t extra);
int   lc_buf_append(lc_buf *b, const void *p, size_t n);
int   lc_buf_puts(lc_buf *b, const char *s);
int   lc_buf_putc(lc_buf *b, char c);
int   lc_buf_printf(lc_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int   lc_buf_vprintf(lc_buf *b, const char *fmt, va_list ap);
/* Hands the storage to the caller (free() it); the buffer is left empty.
 * Returns an empty malloc'd string for an empty buffer, NULL on OOM. */
char *lc_buf_detach(lc_buf *b, size_t *len);

#endif
