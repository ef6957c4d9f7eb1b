/* SPDX-License-Identifier: MIT */
/* A stall finding's sentences and a process's pids, for the text and
 * markdown reports. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "report/stall.h"

/* snprintf at buf + *at, which stays within len */
#define APPEND(buf, len, at, ...)                                              \
	do {                                                                   \
		if (*(at) < (len)) {                                           \
			int n_ = snprintf((buf) + *(at), (len) - *(at),        \
					  __VA_ARGS__);                        \
			*(at) += n_ > 0 ? (size_t)n_ : 0;                      \
		}                                                              \
	} while (0)

void sd_report_stall_line(const struct sd_finding *f, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	APPEND(buf, len, &at, "%" PRIu64 " D-state sleeps", f->stalls);
	if (f->durations_known) {
		APPEND(buf, len, &at, ", blocked %.1f ms in total, longest "
		       "%.1f ms", f->blocked_ms_total, f->blocked_ms_max);
		if (f->stalls_unfinished)
			APPEND(buf, len, &at, " (%" PRIu64 " without a recorded "
			       "wake-up)", f->stalls_unfinished);
	} else {
		APPEND(buf, len, &at, " seen (durations unknown: sampled "
		       "sched_switch)");
	}
}

void sd_report_victim_line(const struct sd_victim *v, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	APPEND(buf, len, &at, "(pid %u) %" PRIu64 " sleep%s", v->pid, v->stalls,
	       v->stalls == 1 ? "" : "s");
	if (!isnan(v->blocked_ms))
		APPEND(buf, len, &at, ", %.*f ms in all, longest %.*f ms",
		       v->blocked_ms < 1 ? 2 : 1, v->blocked_ms,
		       v->max_ms < 1 ? 2 : 1, v->max_ms);
}

void sd_report_holder_line(const struct sd_holder *h, char *buf, size_t len)
{
	if (len)
		snprintf(buf, len, "(pid %u, %" PRIu64 " sleep%s)", h->pid,
			 h->stalls, h->stalls == 1 ? "" : "s");
}

void sd_report_pids(const uint32_t *pids, size_t n, size_t total, char *buf,
		    size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (n && pids[n - 1] == UINT32_MAX) {
		n--;
		total--;
	}
	if (!total)
		return;
	APPEND(buf, len, &at, " (pid%s", total > 1 ? "s" : "");
	for (size_t k = 0; k < n && k < 4; k++)
		APPEND(buf, len, &at, " %u", pids[k]);
	if (total > 4)
		APPEND(buf, len, &at, " +%zu", total - 4);
	APPEND(buf, len, &at, ")");
}
