/* SPDX-License-Identifier: MIT */
/* One forker of a swap finding in words (text and markdown reports). */
#ifndef SD_REPORT_FORKER_H
#define SD_REPORT_FORKER_H

#include <stdbool.h>
#include <stddef.h>

#include <swapdiag/detect.h>

/* "apache2 forked 74/s (223 forks), each fork spent 3.5 ms copying swap
 * entries (1.1 GiB of its memory in swap)" into buf (page tables instead
 * of swap entries when !swap). */
void sd_report_forker_line(const struct sd_forker *k, bool swap, char *buf,
			   size_t len);

#endif
