#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void lc_buf_init(lc_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

void lc_buf_free(lc_buf *b)
{
    free(b->data);
    lc_buf_init(b);
}

void lc_buf_clear(lc_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

int lc_buf_reserve(lc_buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;  /* room for the terminating NUL */
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int lc_buf_append(lc_buf *b, const void *p, size_t n)
{
    if (lc_buf_reserve(b, n) != 0) return -1;
    if (n) memcpy(b->data + b->len, p, n);
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
    return lc_buf_append(b, &c, 1);
}

int lc_buf_vprintf(lc_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    char small[256];
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(again);
        return -1;
    }
    int rc;
    if ((size_t)n < sizeof small) {
        rc = lc_buf_append(b, small, (size_t)n);
    } else if (lc_buf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
        rc = 0;
    } else {
        rc = -1;
    }
    va_end(again);
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

char *lc_buf_detach(lc_buf *b, size_t *len)
{
    char *p = b->data;
    if (b->oom) {
        lc_buf_free(b);
        if (len) *len = 0;
        return NULL;
    }
    if (!p) {
        p = malloc(1);
        if (p) p[0] = '\0';
    }
    if (len) *len = b->len;
    lc_buf_init(b);
    return p;
}
