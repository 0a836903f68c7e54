/* URLs from anywhere: a configured base URL (its checks and the plain-http
 * loopback rule), an origin, and a reference resolved against a page's
 * URL. A base URL accepted over plain http without allow_insecure must
 * name a loopback host. */
#include "fuzz.h"
#include "client_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    lc_error err;
    lc_error_init(&err);
    char *trimmed = NULL, *origin = NULL;
    if (lc_base_url_check(s, 0, &trimmed, &origin, &err)) {
        FUZZ_ASSERT(origin != NULL);
        if (strncmp(origin, "http://", 7) == 0) {
            const char *h = origin + 7;
            FUZZ_ASSERT(strncmp(h, "localhost", 9) == 0 || strncmp(h, "127.", 4) == 0 ||
                        strncmp(h, "[::1]", 5) == 0);
            /* and nothing after the loopback name but a port */
            if (strncmp(h, "localhost", 9) == 0) FUZZ_ASSERT(h[9] == '\0' || h[9] == ':');
        }
        free(trimmed);
        free(origin);
    }
    lc_error_clear(&err);
    char *o = lc_url_origin(s, NULL);
    lc_free(o);
    char *r = lc_url_resolve("https://canvas.example.edu/prefix/api/v1/users?page=1", s);
    free(r);
    free(s);
    return 0;
}
