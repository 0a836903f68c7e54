#include <ctype.h>
#include <string.h>

#include "timefmt.h"

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil-from-days inverse), so no timegm()/TZ dependency. */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int lc_parse_time(const char *s, double *epoch, int *has_fraction)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    double frac = 0;
    if (!s) return 0;
    const char *p = s;
    if (!digits(&p, 4, &y)) return 0;
    char sep = *p;
    if (sep != '-' && sep != '/') return 0;
    p++;
    if (!digits(&p, 2, &mo) || *p++ != sep || !digits(&p, 2, &d)) return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return 0;
    *has_fraction = 0;
    long offset = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) return 0;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec)) return 0;
        }
        if (*p == '.' || *p == ',') {
            double scale = 0.1;
            p++;
            if (!isdigit((unsigned char)*p)) return 0;
            while (isdigit((unsigned char)*p)) {
                frac += (*p++ - '0') * scale;
                scale /= 10;
            }
            *has_fraction = 1;
        }
        if (h > 23 || mi > 59 || sec > 60) return 0;
        while (*p == ' ') p++;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!digits(&p, 2, &oh)) return 0;
            if (*p == ':') p++;
            if (isdigit((unsigned char)*p) && !digits(&p, 2, &om)) return 0;
            offset = sign * (oh * 3600L + om * 60L);
        } else if (*p) {
            return 0;
        }
    }
    if (*p) return 0;
    long long t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - offset;
    *epoch = (double)t + frac;
    return 1;
}
