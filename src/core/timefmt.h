/* Timestamps as Canvas and Catalog write them. Lua-free. */
#ifndef LC_TIMEFMT_H
#define LC_TIMEFMT_H

/* Parses "2012-05-30T17:45:25Z", "...T17:45:25.123Z", "...T10:45:25-07:00",
 * "2012-05-30" and Catalog's "2025/08/04 14:01:12 +0000" into seconds since
 * the epoch (UTC). Returns 1 on success; sets *has_fraction when the text
 * had fractional seconds. 0 for anything else. */
int lc_parse_time(const char *s, double *epoch, int *has_fraction);

#endif
