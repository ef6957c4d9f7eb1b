/* SPDX-License-Identifier: MIT */
/* One forker in words, for the text and markdown reports. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/forker.h"

void sd_report_forker_line(const struct sd_forker *k, bool swap, char *buf,
			   size_t len)
{
	const char *base = strrchr(k->exe, '/');
	int n;

	base = base ? base + 1 : k->exe;
	if (!isnan(k->forks_per_s))
		n = snprintf(buf, len, "%s forked %.0f/s (%" PRIu64 " forks)",
			     base, k->forks_per_s, k->forks);
	else
		n = snprintf(buf, len, "%s forked %" PRIu64 " times", base,
			     k->forks);
	if (n < 0 || (size_t)n >= len)
		return;
	if (!isnan(k->cpu_ms_per_fork))
		n += snprintf(buf + n, len - (size_t)n,
			      ", each fork spent %.1f ms copying %s",
			      k->cpu_ms_per_fork,
			      swap ? "swap entries" : "page tables");
	if (n < 0 || (size_t)n >= len)
		return;
	if (k->swap_kib >= 1024 * 1024)
		snprintf(buf + n, len - (size_t)n, " (%.1f GiB of its memory "
			 "in swap)", (double)k->swap_kib / (1024.0 * 1024.0));
	else if (k->swap_kib >= 0)
		snprintf(buf + n, len - (size_t)n, " (%.0f MiB of its memory "
			 "in swap)", (double)k->swap_kib / 1024.0);
}
