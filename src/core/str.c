/* Small string helpers every file of the client shares: copies that keep
 * NULL as NULL, a bounded copy, and the control-character test that keeps
 * a configured value from splitting a header. Apart from client.c so that
 * no file needs the client object for them. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "lc_str.h"
#include "lcanvas.h"

char *lc_xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *lc_xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void lc_free(void *p)
{
    free(p);
}

void lc_wipe_free(char *s)
{
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = 0;
    free(s);
}

/* Volatile: a plain memset right before free may be optimised away. */
void lc_wipe(void *p, size_t n)
{
    volatile char *v = p;
    while (n--) *v++ = 0;
}

int lc_has_control_char(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
    return 0;
}
