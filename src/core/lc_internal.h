/* LC_INTERNAL marks functions shared between the core's files but not
 * exported from liblcanvas.so: the public contract stays lcanvas.h. */
#ifndef LC_INTERNAL_H
#define LC_INTERNAL_H

#if defined(__GNUC__)
#define LC_INTERNAL __attribute__((visibility("hidden")))
#else
#define LC_INTERNAL
#endif

#endif
