/* Internal to the JSON reader: number text to double (json_number.c). */
#ifndef LC_JSON_NUMBER_H
#define LC_JSON_NUMBER_H

#include <stddef.h>

/* The double nearest to the JSON number literal s[0..n) (already validated
 * by the reader: -?digits[.digits][e[+-]digits]), as strtod in the "C"
 * locale would round it; +/-HUGE_VAL when it is too large. */
#if defined(__GNUC__)
__attribute__((visibility("hidden")))
#endif
double lc_json_to_double(const char *s, size_t n);

#endif
