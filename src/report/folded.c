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
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s %llu\n", lines[i].stack,
			(unsigned long long)lines[i].count);
	return ferror(out) ? -EIO : 0;
}
