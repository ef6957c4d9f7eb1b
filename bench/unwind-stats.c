/* SPDX-License-Identifier: MIT */
/*
 * unwind-stats: what DWARF unwinding costs on one recording.
 *
 * usage: unwind-stats FILE [SYMFS [KALLSYMS]]
 *
 * Runs the whole analysis (as swapdiag FILE does, without the reports) and
 * prints the wall time, and the unwinder's own counters: samples with
 * registers and a stack copy, how many libdw walked and how many the memo
 * answered, frames, Dwfl sessions and modules, and the time inside
 * sd_unwind().  For BENCHMARKS.md; not installed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <swapdiag/analysis.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sd_analysis_opts o = {0};
	struct sd_analysis *a;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [SYMFS [KALLSYMS]]\n", argv[0]);
		return 64;
	}
	o.path = argv[1];
	o.symbols.symfs = argc > 2 ? argv[2] : NULL;
	o.symbols.kallsyms = argc > 3 ? argv[3] : NULL;
	o.symbols.buildid_dir = "/nonexistent-buildid-cache";
	o.symbols.no_host_kernel = argc > 3;
	double t0 = now();
	int err = sd_analysis_run(&o, NULL, &a);
	double t1 = now();
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], sd_strerror(err));
		return 1;
	}
	printf("wall %.3f s, %" PRIu64 " samples\n", t1 - t0, a->samples);
	if (a->unwinder) {
		const struct sd_unwind_stats *s = sd_unwinder_stats(a->unwinder);
		printf("unwind: %" PRIu64 " samples, %" PRIu64 " walked, %" PRIu64
		       " from the memo, %" PRIu64 " frames (%.1f per sample), %"
		       PRIu64 " with the IP only, %" PRIu64 " Dwfl sessions, %"
		       PRIu64 " modules, %.3f s (%.1f us per sample)\n",
		       s->samples, s->unwound, s->cached, s->frames,
		       s->samples ? (double)s->frames / s->samples : 0,
		       s->one_frame, s->dwfls, s->modules, s->ns / 1e9,
		       s->samples ? s->ns / 1e3 / s->samples : 0);
	}
	printf("distinct stacks: %zu\n", sd_stacks_count(a->stacks));
	sd_analysis_free(a);
	return 0;
}
