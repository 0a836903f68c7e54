/* The parameter and URL encoders: Rails-style form encoding of any JSON
 * object (nested objects and arrays), and the form and path escapes of any
 * bytes. What they write is plain ASCII a URL can carry: unreserved
 * characters, '%XX', and the encoder's own '=', '&', '[', ']' (escaped
 * further by nobody). */
#include <ctype.h>

#include "fuzz.h"
#include "json.h"
#include "params.h"

static int url_safe(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch) || strchr("-._~", ch) || (extra && strchr(extra, ch))) continue;
        if (ch == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            i += 2;
            continue;
        }
        return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    lc_buf b;
    lc_buf_init(&b);
    FUZZ_ASSERT(lc_form_escape(&b, s, size) == 0);
    FUZZ_ASSERT(url_safe(b.data ? b.data : "", b.len, NULL));
    lc_buf_clear(&b);
    FUZZ_ASSERT(lc_path_escape(&b, s, size) == 0);
    FUZZ_ASSERT(memchr(b.data ? b.data : "", '?', b.len) == NULL);
    FUZZ_ASSERT(memchr(b.data ? b.data : "", '#', b.len) == NULL);
    lc_buf_clear(&b);
    FUZZ_ASSERT(lc_path_escape_all(&b, s, size) == 0);
    FUZZ_ASSERT(url_safe(b.data ? b.data : "", b.len, NULL));
    lc_buf_clear(&b);

    char err[128];
    lc_value *v = lc_json_decode(s, size, err, sizeof err);
    if (v && v->type == LC_T_OBJECT && lc_params_encode(v, &b) == 0) {
        char *q = fuzz_cstr((const uint8_t *)(b.data ? b.data : ""), b.len);
        FUZZ_ASSERT(strlen(q) == b.len);  /* no NUL sneaks into a query */
        FUZZ_ASSERT(url_safe(q, b.len, "=&[]"));
        (void)lc_params_has_key(q, "per_page");
        free(q);
    }
    lc_value_free(v);
    lc_buf_free(&b);
    return 0;
}
