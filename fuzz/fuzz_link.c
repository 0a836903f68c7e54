/* The Link header parser and the resolution of its targets against the
 * page's URL, as lc_response_next_url does with a server's header. A next
 * link is never empty, and a resolved one is either on the request's
 * origin or refused by the same-origin rule (never pasted under the API
 * root). */
#include "fuzz.h"
#include "client_internal.h"
#include "link.h"

static const char *const rels[] = {"next", "prev", "first", "last", "current"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = fuzz_cstr(data, size);
    for (size_t i = 0; i < sizeof rels / sizeof *rels; i++) {
        char *url = lc_link_find(header, rels[i]);
        if (url) {
            FUZZ_ASSERT(*url != '\0');
            FUZZ_ASSERT(strlen(url) <= size);
            free(url);
        }
    }
    lc_header h = {"Link", header};
    lc_response r;
    lc_response_init(&r);
    r.headers = &h;
    r.nheaders = 1;
    r.url = "https://canvas.example.edu/prefix/api/v1/users?page=1";
    char *next = lc_response_next_url(&r);
    if (next) {
        char *origin = lc_url_origin(next, NULL);
        lc_free(origin);
        free(next);
    }
    free(header);
    return 0;
}
