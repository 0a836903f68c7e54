/* The JSON reader on any bytes: the event parser (what the binding builds
 * Lua tables from), the validator (what objects read in place rely on) and
 * the tree decoder must agree on what is valid and why not, and
 * whatever decodes must encode and decode again to the same text. */
#include "fuzz.h"
#include "json.h"

static int ok_null(void *ud) { (void)ud; return 0; }
static int ok_bool(void *ud, int b) { (void)ud; (void)b; return 0; }
static int ok_int(void *ud, int64_t i) { (void)ud; (void)i; return 0; }
static int ok_double(void *ud, double d) { (void)ud; (void)d; return 0; }
static int ok_str(void *ud, const char *s, size_t n) { (void)ud; (void)s; (void)n; return 0; }
static int ok_mark(void *ud) { (void)ud; return 0; }

static const lc_json_handler events = {
    ok_null, ok_bool, ok_int, ok_double, ok_str, ok_str, ok_mark, ok_mark, ok_mark, ok_mark,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[128];
    char *scratch = malloc(size + 1);
    if (!scratch) return 0;
    int rc = lc_json_parse(text, size, &events, NULL, scratch, err, sizeof err);
    free(scratch);
    FUZZ_ASSERT(rc == LC_JSON_OK || rc == LC_JSON_SYNTAX || rc == LC_JSON_TOO_DEEP);
    char verr[128];
    FUZZ_ASSERT(lc_json_validate(text, size, verr, sizeof verr) == rc);
    FUZZ_ASSERT(rc == LC_JSON_OK || strcmp(err, verr) == 0);

    lc_value *v = lc_json_decode(text, size, err, sizeof err);
    FUZZ_ASSERT((v != NULL) == (rc == LC_JSON_OK));
    FUZZ_ASSERT(lc_json_skip_prefix(text, size) <= size);
    if (!v) return 0;
    lc_buf a, b;
    lc_buf_init(&a);
    lc_buf_init(&b);
    if (lc_json_encode(v, &a) == 0 && !a.oom) {
        lc_value *w = lc_json_decode(a.data, a.len, err, sizeof err);
        FUZZ_ASSERT(w != NULL);
        FUZZ_ASSERT(lc_json_encode(w, &b) == 0);
        FUZZ_ASSERT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        lc_value_free(w);
    }
    lc_buf_free(&a);
    lc_buf_free(&b);
    lc_value_free(v);
    return 0;
}
