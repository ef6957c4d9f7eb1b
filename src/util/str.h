/* SPDX-License-Identifier: MIT */
/* printf into a new string: the one vasprintf wrapper of the library. */
#ifndef SD_UTIL_STR_H
#define SD_UTIL_STR_H

#include <stdarg.h>

/* A malloc'ed, formatted string; NULL when memory runs out. */
char *sd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* sd_asprintf() with a va_list (ap is used up). */
char *sd_vasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif
