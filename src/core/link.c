/* RFC 8288 Link header parsing, lenient where servers are sloppy (white
 * space, folded lines, bare rel values, empty list elements, other params)
 * and strict where guessing would be dangerous: an entry that does not
 * parse ends the search, and entries before it still count. Reads only up
 * to the header's NUL. Case folding is ASCII only, independent of locale. */
#include <stdlib.h>
#include <string.h>

#include "link.h"

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_ws(const char *p)
{
    while (is_ws(*p)) p++;
    return p;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int same_word(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i])) return 0;
    return 1;
}

/* RFC 7230 token characters (parameter names and bare values). */
static int is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Is `rel` one of the white-space separated names in [v, v+n)? */
static int rel_listed(const char *v, size_t n, const char *rel, size_t rlen)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws(v[i])) i++;
        size_t start = i;
        while (i < n && !is_ws(v[i])) i++;
        if (i > start && i - start == rlen && same_word(v + start, rel, rlen)) return 1;
    }
    return 0;
}

typedef struct param {
    const char *name, *val;
    size_t nlen, vlen;
} param;

/* One `; name[=value]` at p (just after the ';'). Returns the position after
 * it, or NULL when it does not parse. An empty parameter (";;") is allowed. */
static const char *read_param(const char *p, param *out)
{
    p = skip_ws(p);
    out->name = p;
    while (is_tchar(*p)) p++;
    out->nlen = (size_t)(p - out->name);
    out->val = p;
    out->vlen = 0;
    p = skip_ws(p);
    if (*p != '=') return out->nlen || *p == ';' || *p == ',' || !*p ? p : NULL;
    if (!out->nlen) return NULL;
    p = skip_ws(p + 1);
    if (*p == '"') {
        const char *q = ++p;
        while (*q && *q != '"') q += (q[0] == '\\' && q[1]) ? 2 : 1;
        if (!*q) return NULL;  /* unterminated quote */
        out->val = p;
        out->vlen = (size_t)(q - p);
        return q + 1;
    }
    out->val = p;
    while (*p && *p != ';' && *p != ',' && !is_ws(*p)) p++;
    out->vlen = (size_t)(p - out->val);
    return p;
}

static char *copy_url(const char *s, const char *e)
{
    while (s < e && is_ws(*s)) s++;
    while (e > s && is_ws(e[-1])) e--;
    if (s == e) return NULL;  /* following an empty link would loop */
    char *out = malloc((size_t)(e - s) + 1);
    if (!out) return NULL;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return out;
}

char *lc_link_find(const char *header, const char *rel)
{
    if (!header || !rel || !*rel) return NULL;
    size_t rlen = strlen(rel);
    const char *p = header;
    for (;;) {
        p = skip_ws(p);
        while (*p == ',') p = skip_ws(p + 1);
        if (*p != '<') return NULL;  /* the end, or not a link */
        const char *url = p + 1, *close = strchr(url, '>');
        if (!close) return NULL;
        p = skip_ws(close + 1);
        int match = 0, seen_rel = 0;
        while (*p == ';') {
            param prm;
            p = read_param(p + 1, &prm);
            if (!p) return NULL;
            /* Only the first rel counts (RFC 8288, 3.3). */
            if (!seen_rel && prm.nlen == 3 && same_word(prm.name, "rel", 3)) {
                seen_rel = 1;
                match = rel_listed(prm.val, prm.vlen, rel, rlen);
            }
            p = skip_ws(p);
        }
        if (*p != ',' && *p) return NULL;
        if (match) return copy_url(url, close);
    }
}
