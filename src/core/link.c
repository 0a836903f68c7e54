/* Link header parsing. Canvas's shape:
 *   <https://x/api/v1/users?page=2>; rel="next",<https://...>; rel="last" */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "link.h"

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Does the rel value [v, v+n) list `rel` among its space-separated names? */
static int rel_matches(const char *v, size_t n, const char *rel)
{
    size_t rl = strlen(rel), i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)v[i])) i++;
        size_t start = i;
        while (i < n && !isspace((unsigned char)v[i])) i++;
        if (i - start == rl && strncasecmp(v + start, rel, rl) == 0) return 1;
    }
    return 0;
}

char *lc_link_find(const char *header, const char *rel)
{
    if (!header || !rel) return NULL;
    const char *p = header;
    for (;;) {
        p = skip_ws(p);
        while (*p == ',') p = skip_ws(p + 1);
        if (*p != '<') return NULL;
        const char *url = p + 1, *close = strchr(url, '>');
        if (!close) return NULL;
        p = close + 1;
        int match = 0;
        /* Parameters up to the next entry: ;name=value or ;name="value". */
        for (;;) {
            p = skip_ws(p);
            if (*p != ';') break;
            p = skip_ws(p + 1);
            const char *name = p;
            while (*p && *p != '=' && *p != ';' && *p != ',' && *p != ' ') p++;
            size_t nlen = (size_t)(p - name);
            p = skip_ws(p);
            const char *val = p;
            size_t vlen = 0;
            if (*p == '=') {
                p = skip_ws(p + 1);
                if (*p == '"') {
                    val = ++p;
                    while (*p && *p != '"') p++;
                    if (!*p) return NULL;
                    vlen = (size_t)(p - val);
                    p++;
                } else {
                    val = p;
                    while (*p && *p != ';' && *p != ',') p++;
                    vlen = (size_t)(p - val);
                    while (vlen && isspace((unsigned char)val[vlen - 1])) vlen--;
                }
            }
            if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 && rel_matches(val, vlen, rel))
                match = 1;
        }
        if (match) {
            size_t n = (size_t)(close - url);
            char *out = malloc(n + 1);
            if (!out) return NULL;
            memcpy(out, url, n);
            out[n] = '\0';
            return out;
        }
        p = skip_ws(p);
        if (*p != ',') return NULL;
    }
}
