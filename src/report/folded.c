/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <swapdiag/report.h>

int sd_report_folded(FILE *out, struct sd_analysis *a,
		     const struct sd_evsel *ev)
{
	const struct sd_folded_line *lines;
	size_t n;
	int err = sd_stacks_folded(a->stacks, a->machine, ev->index, &lines, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		unsigned long long c = lines[i].count;
		/* --off-cpu: ns summed per line, written in microseconds */
		if (a->off_cpu_weights && !(c = (c + 500) / 1000))
			continue;
		fprintf(out, "%s %llu\n", lines[i].stack, c);
	}
	return ferror(out) ? -EIO : 0;
}
