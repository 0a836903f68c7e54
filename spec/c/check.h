/* The few assertion helpers the table-driven C tests share: count passes
 * and failures, print what failed, and end with the "N passed, M failed"
 * line the test runners read. Header-only so that each test stays one
 * program; `static inline` keeps unused helpers silent. */
#ifndef LC_SPEC_CHECK_H
#define LC_SPEC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;

static inline int check_that(int ok, const char *file, int line, const char *expr)
{
    if (ok) check_passed++;
    else {
        check_failed++;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    }
    return ok;
}

/* Numbers equal to within `tol` (both NaN, or both the same infinity, too). */
static inline void check_num(double got, double want, double tol, const char *file, int line,
                             const char *expr)
{
    int ok = (isnan(got) && isnan(want)) || got == want || fabs(got - want) <= tol;
    if (!check_that(ok, file, line, expr))
        fprintf(stderr, "    got:  %.17g\n    want: %.17g\n", got, want);
}

/* Compares and then frees `got` (a malloc'd string, or NULL). */
static inline void check_str(char *got, const char *want, const char *file, int line,
                             const char *expr)
{
    int ok = got && want ? strcmp(got, want) == 0 : got == NULL && want == NULL;
    if (!check_that(ok, file, line, expr))
        fprintf(stderr, "    got:  %s\n    want: %s\n", got ? got : "NULL", want ? want : "NULL");
    free(got);
}

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#define CHECK(cond) check_that((cond) != 0, __FILE__, __LINE__, #cond)
#define CHECK_NUM(got, want, tol) check_num((got), (want), (tol), __FILE__, __LINE__, #got)
#define CHECK_STR(got, want) check_str((got), (want), __FILE__, __LINE__, #got)

#endif
