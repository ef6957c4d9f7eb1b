/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <swapdiag/report.h>

int sd_report_folded(FILE *out, struct sd_analysis *a,
		     const struct sd_evsel *ev, const struct sd_folded_opts *o)
{
	const struct sd_folded_line *lines;
	size_t n;
	enum sd_weight w = o ? o->weight : SD_WEIGHT_PERIOD;
	int err = sd_stacks_folded(a->stacks, a->machine, ev->index,
				   o ? o->with : 0, &lines, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s %llu\n", lines[i].stack,
			(unsigned long long)sd_analysis_weight(
				a, ev, w, lines[i].count, lines[i].period));
	return ferror(out) ? -EIO : 0;
}
