/* SPDX-License-Identifier: MIT */
/* A stall finding's sentences, and a process's pids, in words: one
 * wording for the text and markdown reports (stall.c). */
#ifndef SD_REPORT_STALL_H
#define SD_REPORT_STALL_H

#include <stddef.h>
#include <stdint.h>

#include <swapdiag/detect.h>

/* "12 D-state sleeps, blocked 40.1 ms in total, longest 20.0 ms (1
 * without a recorded wake-up)", or "12 D-state sleeps seen (durations
 * unknown: sampled sched_switch)", into buf. */
void sd_report_stall_line(const struct sd_finding *f, char *buf, size_t len);

/* What follows a victim's comm: "(pid 9828) 2 sleeps, 3.3 ms in all,
 * longest 2.1 ms" (no times when they are unknown). */
void sd_report_victim_line(const struct sd_victim *v, char *buf, size_t len);

/* What follows a holder's comm: "(pid 9828, 2 sleeps)". */
void sd_report_holder_line(const struct sd_holder *h, char *buf, size_t len);

/* What follows a process's comm: " (pids 11 12 13 14 +3)", at most four
 * pids of the n listed (of total), "" when none is known (a last pid of
 * UINT32_MAX is a task whose pid is not known). */
void sd_report_pids(const uint32_t *pids, size_t n, size_t total, char *buf,
		    size_t len);

#endif
