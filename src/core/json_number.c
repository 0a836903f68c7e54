/* JSON number text to the nearest double, correctly rounded and locale
 * proof, without allocating: the one numeric conversion of the reader
 * (json_read.c), kept apart because its care (a fast exact path, long
 * literals cut to 800 significant digits, the host's LC_NUMERIC) is a
 * subject of its own. Integers that fit int64_t never come here. */
#include <float.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_number.h"

/* strtod honours LC_NUMERIC; a host that called setlocale() may expect ','.
 * Retry with the locale's own decimal point rather than misread "0.5". */
static double c_strtod(char *buf, size_t n)
{
    char *stop;
    double d = strtod(buf, &stop);
    if ((size_t)(stop - buf) == n) return d;
    const char *dp = localeconv()->decimal_point;
    char *dot = strchr(buf, '.');
    if (dot && dp && dp[0] && !dp[1]) {
        *dot = dp[0];
        d = strtod(buf, NULL);
        *dot = '.';
    }
    return d;
}

/* Enough significant digits that cutting the rest (and leaving a sticky
 * non-zero digit in their place) cannot change the rounding: any point
 * halfway between two doubles has at most 767 significant digits. */
#define LONG_NUM_DIGITS 800
#define EXP_CAP 1000000000000000LL  /* far beyond any exponent that matters */

static long long add_capped(long long a, long long b)
{
    long long s = a + b;  /* operands stay within +/-2*EXP_CAP: no overflow */
    return s > EXP_CAP ? EXP_CAP : s < -EXP_CAP ? -EXP_CAP : s;
}

/* Converts a long literal (already validated) without copying it whole:
 * it is rewritten as <significant digits>e<exponent> on the stack. This
 * keeps the reader allocation free and within its scratch contract. */
static double long_number(const char *s, size_t n)
{
    char buf[LONG_NUM_DIGITS + 32];
    size_t i = 0, nd = 0;
    int neg = s[0] == '-', in_frac = 0, sticky = 0;
    long long exp10 = 0;  /* value = digits * 10^exp10 */
    if (neg) {
        buf[nd++] = '-';
        i++;
    }
    size_t first = nd;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = 1;
            continue;
        }
        if (in_frac) exp10 = add_capped(exp10, -1);
        if (nd == first && s[i] == '0') continue;  /* leading zero */
        if (nd - first < LONG_NUM_DIGITS) {
            buf[nd++] = s[i];
        } else {
            exp10 = add_capped(exp10, 1);
            sticky |= s[i] != '0';
        }
    }
    if (nd == first) return neg ? -0.0 : 0.0;
    if (sticky) {
        buf[nd++] = '1';
        exp10 = add_capped(exp10, -1);
    }
    if (i < n) {  /* exponent */
        int eneg = s[++i] == '-';
        if (s[i] == '-' || s[i] == '+') i++;
        long long e = 0;
        for (; i < n; i++) {
            e = e * 10 + (s[i] - '0');
            if (e > EXP_CAP) e = EXP_CAP;
        }
        exp10 = add_capped(exp10, eneg ? -e : e);
    }
    int w = snprintf(buf + nd, sizeof buf - nd, "e%lld", exp10);
    return c_strtod(buf, nd + (size_t)w);
}

#if FLT_EVAL_METHOD == 0
/* Powers of ten that a double holds exactly. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#endif

/* The common short case without strtod: when the digits form an integer
 * m < 2^53 and the decimal exponent is within +/-22, m and 10^|e| are both
 * exact doubles, so one IEEE multiply or divide rounds correctly. Returns 0
 * when the literal is outside that range (strtod then decides). */
static int quick_double(const char *s, size_t n, double *out)
{
#if FLT_EVAL_METHOD == 0
    size_t i = s[0] == '-';
    uint64_t m = 0;
    int digits = 0, e = 0, frac = 0;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            frac = 1;
            continue;
        }
        if (digits || s[i] != '0') digits++;
        if (digits > 15) return 0;  /* keeps m below 10^15 < 2^53 */
        m = m * 10 + (uint64_t)(s[i] - '0');
        e -= frac;
    }
    if (i < n) {
        int eneg = s[++i] == '-', x = 0;
        if (s[i] == '-' || s[i] == '+') i++;
        for (; i < n; i++) {
            x = x * 10 + (s[i] - '0');
            if (x > 400) return 0;
        }
        e += eneg ? -x : x;
    }
    if (e < -22 || e > 22) return 0;
    double d = (double)m;
    d = e < 0 ? d / exact_pow10[-e] : d * exact_pow10[e];
    *out = s[0] == '-' ? -d : d;
    return 1;
#else
    (void)s;
    (void)n;
    (void)out;
    return 0;
#endif
}

double lc_json_to_double(const char *s, size_t n)
{
    double q;
    if (quick_double(s, n, &q)) return q;
    char buf[64];
    if (n >= sizeof buf) return long_number(s, n);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return c_strtod(buf, n);
}
