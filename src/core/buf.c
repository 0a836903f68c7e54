/* Growable byte buffer. Once an allocation has failed the buffer refuses
 * every further append (until cleared or detached), so a sequence of appends
 * can never leave a hole in the middle of the text and be checked only once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define LC_BUF_MIN_CAP 64

void lc_buf_init(lc_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

void lc_buf_free(lc_buf *b)
{
    free(b->data);
    lc_buf_init(b);
}

/* The old text is gone, so a past failure no longer taints the buffer. */
void lc_buf_clear(lc_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data) b->data[0] = '\0';
}

static int grow(lc_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : LC_BUF_MIN_CAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    if (!b->data) p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

int lc_buf_reserve(lc_buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (extra >= SIZE_MAX - b->len) {  /* len + extra + NUL would wrap */
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    return need <= b->cap && b->data ? 0 : grow(b, need);
}

int lc_buf_append(lc_buf *b, const void *p, size_t n)
{
    const char *src = p;
    /* Appending a piece of the buffer itself must survive the realloc. */
    int inside = b->data && n && src >= b->data && src < b->data + b->cap;
    size_t off = inside ? (size_t)(src - b->data) : 0;
    if (lc_buf_reserve(b, n) != 0) return -1;
    if (inside) src = b->data + off;
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int lc_buf_puts(lc_buf *b, const char *s)
{
    return lc_buf_append(b, s, strlen(s));
}

int lc_buf_putc(lc_buf *b, char c)
{
    if (b->len + 1 < b->cap && !b->oom) {  /* the common case, no call */
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return lc_buf_append(b, &c, 1);
}

#if defined(__GNUC__)
/* The header only marks lc_buf_printf; this lets the compiler check the
 * va_list pass-through too. */
int lc_buf_vprintf(lc_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#endif

/* Formats straight into the spare room; only text that does not fit is
 * formatted a second time after growing. */
int lc_buf_vprintf(lc_buf *b, const char *fmt, va_list ap)
{
    if (lc_buf_reserve(b, 32) != 0) return -1;
    va_list again;
    va_copy(again, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    int rc = 0;
    if (n < 0) {
        rc = -1;
    } else if ((size_t)n < room) {
        b->len += (size_t)n;
    } else if (lc_buf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    } else {
        rc = -1;
    }
    va_end(again);
    b->data[b->len] = '\0';  /* undo a truncated or failed attempt */
    return rc;
}

int lc_buf_printf(lc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = lc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* A buffer that ran out of memory holds incomplete text: hand out nothing
 * rather than something silently truncated. */
char *lc_buf_detach(lc_buf *b, size_t *len)
{
    char *p = b->data;
    size_t n = b->len;
    if (b->oom) {
        free(p);
        p = NULL;
        n = 0;
    } else if (!p) {
        p = malloc(1);
        if (p) p[0] = '\0';
    }
    lc_buf_init(b);
    if (len) *len = n;
    return p;
}
