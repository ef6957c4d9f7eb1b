/* SPDX-License-Identifier: MIT */
/* The --time window a report covers, in words (text, markdown, SVG). */
#ifndef SD_REPORT_WINDOW_H
#define SD_REPORT_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include <swapdiag/analysis.h>

/* "time window 0%-50% (640.374340 to 641.131351 s): 2405 samples in it,
 * 2468 outside"; false (buf empty) with no --time. */
bool sd_window_describe(const struct sd_analysis *a, char *buf, size_t n);

#endif
