/* Timestamps as Canvas and Catalog write them. */
#include <math.h>

#include "fuzz.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    double t = 0;
    int frac = -1;
    if (lc_parse_time(s, &t, &frac)) {
        FUZZ_ASSERT(isfinite(t));
        FUZZ_ASSERT(frac == 0 || frac == 1);
    }
    free(s);
    return 0;
}
