/* Reading JSON that the core's parser has already validated, in place:
 * where each item of an array starts and ends, and one member of an
 * object, without building Lua tables. Lazy objects (object.c) and list
 * pages (list_load.c) use it so that an item costs a userdata, not a table
 * of every field, until a script asks for more than a scalar field.
 *
 * Every function here assumes valid JSON (checked by lc_json_parse first):
 * it only tracks strings, escapes and nesting. */
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "lcb_json.h"
#include "lcb_span.h"

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Index just past the string whose opening quote is at i. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        const char *q = memchr(s + i, '"', n - i);
        if (!q) return n;
        i = (size_t)(q - s);
        /* Escaped if preceded by an odd run of backslashes. */
        size_t b = 0;
        while (b < i && s[i - 1 - b] == '\\') b++;
        if (b % 2 == 0) return i + 1;
    }
    return n;
}

size_t lcb_span_skip(const char *s, size_t i, size_t n)
{
    i = skip_ws(s, i, n);
    if (i >= n) return n;
    if (s[i] == '"') return skip_string(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i, n);
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
            i++;
        }
        return n;
    }
    /* number or literal */
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' &&
           s[i] != '\r' && s[i] != '\t')
        i++;
    return i;
}

size_t lcb_span_items(const char *s, size_t n, size_t start, lcb_span *out, size_t max)
{
    size_t i = skip_ws(s, start, n), k = 0;
    if (i >= n || s[i] != '[') return 0;
    i = skip_ws(s, i + 1, n);
    while (i < n && s[i] != ']') {
        size_t end = lcb_span_skip(s, i, n);
        if (k < max) {
            out[k].off = i;
            out[k].len = end - i;
        }
        k++;
        i = skip_ws(s, end, n);
        if (i < n && s[i] == ',') i = skip_ws(s, i + 1, n);
    }
    return k;
}

int lcb_span_member(const char *s, size_t len, const char *key, size_t klen, lcb_span *val)
{
    size_t i = skip_ws(s, 0, len);
    if (i >= len || s[i] != '{') return -1;
    i = skip_ws(s, i + 1, len);
    /* The last of duplicate keys wins, as in the full decoder (json_in.c):
     * the whole object is read. An escaped key after the last plain match
     * might decode to the key: then only decoding can tell. */
    int found = 0, unsure = 0;
    while (i < len && s[i] == '"') {
        size_t kend = skip_string(s, i, len);  /* past the closing quote */
        const char *k = s + i + 1;
        size_t kl = kend - i - 2;
        if (memchr(k, '\\', kl)) unsure = 1;
        i = skip_ws(s, kend, len);
        i = skip_ws(s, i + 1, len);           /* the ':' */
        size_t vend = lcb_span_skip(s, i, len);
        if (kl == klen && memcmp(k, key, klen) == 0) {
            val->off = i;
            val->len = vend - i;
            found = 1;
            unsure = 0;
        }
        i = skip_ws(s, vend, len);
        if (i < len && s[i] == ',') i = skip_ws(s, i + 1, len);
    }
    return unsure ? -1 : found;
}

/* A plain integer literal that fits int64 without doubt (at most 18 digits). */
static int small_int(const char *s, size_t len, lua_Integer *out)
{
    size_t i = 0;
    int neg = 0;
    if (len && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || len - i > 18 || (s[i] == '0' && len - i > 1)) return 0;
    lua_Integer v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

int lcb_span_push_scalar(lua_State *L, const char *s, size_t len)
{
    switch (s[0]) {
    case '{':
    case '[':
        return 0;
    case '"':
        if (!memchr(s + 1, '\\', len - 2)) {
            lua_pushlstring(L, s + 1, len - 2);
            return 1;
        }
        break;
    case 't':
        lua_pushboolean(L, 1);
        return 1;
    case 'f':
        lua_pushboolean(L, 0);
        return 1;
    case 'n':
        lua_pushnil(L);  /* a null member reads as absent */
        return 1;
    default: {
        lua_Integer v;
        if (small_int(s, len, &v)) {
            lua_pushinteger(L, v);
            return 1;
        }
    }
    }
    /* Escapes, big integers, floats: the full decoder, exactly. */
    if (!lcb_push_json(L, s, len)) lua_error(L);
    return 1;
}
