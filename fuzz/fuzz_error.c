/* Canvas error bodies: the message picked from any body, the error report
 * id, and the classification of an answer (a 403 is a throttle only for
 * Canvas's own text). */
#include "fuzz.h"
#include "lcanvas.h"

/* Canvas's throttle text, give or take surrounding white space. */
static int is_throttle_text(const char *b, size_t n)
{
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\r' || b[n - 1] == '\n')) n--;
    while (n && (*b == ' ' || *b == '\r' || *b == '\n')) b++, n--;
    return (n == 35 && memcmp(b, "403 Forbidden (Rate Limit Exceeded)", 35) == 0) ||
           (n == 19 && memcmp(b, "Rate Limit Exceeded", 19) == 0);
}

static const long statuses[] = {200, 302, 400, 401, 403, 404, 409, 422, 429, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char *msg = lc_error_message_from_body(body, size);
    if (msg) {
        FUZZ_ASSERT(strlen(msg) <= size + 64);
        free(msg);
    }
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        lc_kind k = lc_classify(statuses[i], (int)(size & 1), body, size);
        FUZZ_ASSERT(k >= LC_OK && k < LC_KIND_COUNT);
        FUZZ_ASSERT((k == LC_OK) == (statuses[i] < 400));
        if (k == LC_RATE_LIMIT_EXCEEDED && statuses[i] == 403) FUZZ_ASSERT(is_throttle_text(body, size));
        FUZZ_ASSERT(lc_kind_name(k) != NULL);
    }
    return 0;
}
