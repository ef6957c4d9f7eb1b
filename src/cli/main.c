/* SPDX-License-Identifier: MIT */
/*
 * swapdiag: what to run and where the output goes, and the exit code.
 * Everything it reports is computed by libswapdiag; the options are
 * parsed in args.c.
 *
 * The analysis is not freed before exit (leave_at_exit): the kernel takes
 * the whole address space back at once, and freeing it first -- tens of
 * thousands of heap blocks, a few dozen mappings -- only costs time: on
 * kstorm 0.57 ms of CPU a run (sd_analysis_free in 12 profiled runs, its
 * munmap calls included; the exit took no longer without it) and 28 of
 * its 47 munmap calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/diff.h"
#include "cli/input.h"
#include "cli/record.h"
#include "util/asan.h"
#include "util/heap.h"

static int run_headers(const struct cli_opts *o)
{
	struct sd_reader *r;
	struct sd_diags why;
	const struct sd_record *rec;
	int err;

	sd_diags_init(&why);
	err = sd_reader_open(o->data, 0, &why, &r);
	if (err) {
		cli_print_diags(o->input, &why);
		sd_diags_clear(&why);
		cli_error_input(o->input, err);
		return CLI_EXIT_INPUT;
	}
	while ((err = sd_reader_next(r, &rec)) > 0)
		;
	if (err < 0) {
		cli_print_diags(o->input, sd_reader_diags(r));
		cli_error_input(o->input, err);
		sd_reader_free(r);
		return CLI_EXIT_INPUT;
	}
	err = sd_report_headers(stdout, r, o->input);
	cli_print_diags(o->input, sd_reader_diags(r));
	sd_reader_free(r);
	return err ? CLI_EXIT_INPUT : CLI_EXIT_OK;
}

static const struct sd_evsel *pick_event(const struct cli_opts *o,
					 struct sd_analysis *a)
{
	if (!o->event) {
		const struct sd_evsel *ev = sd_analysis_default_evsel(a);
		if (!ev)
			cli_error("%s: the recording describes no events, so there "
				  "are no stacks to write",
				  o->input);
		return ev;
	}
	const struct sd_evsel *ev = sd_analysis_find_evsel(a, o->event);
	if (!ev) {
		size_t n = sd_analysis_nr_evsels(a);
		cli_error("%s: no event '%s' in this recording; it has:",
			  o->input, o->event);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", sd_analysis_evsel(a, i)->name);
	}
	return ev;
}

/* One output: the folded stacks, the JSON report, the flame graph or the
 * verdict (text or markdown), to path ("-": standard output); 0, or -1
 * with the message given.  Standard output closed by its reader (EPIPE,
 * `| head -1`) is no failure: what it did not take is not wanted. */
enum output { OUT_FOLDED, OUT_JSON, OUT_SVG, OUT_VERDICT };

static int emit(const struct cli_opts *o, struct sd_analysis *a,
		const struct sd_diagnosis *d, const struct sd_evsel *ev,
		enum output what, const char *path)
{
	FILE *out = cli_open_output(path);
	int err;

	if (!out)
		return -1;
	switch (what) {
	case OUT_FOLDED:
		err = sd_report_folded(out, a, ev, &o->fold);
		break;
	case OUT_JSON:
		err = sd_report_json(out, a, d, o->input);
		break;
	case OUT_SVG: {
		struct sd_svg_opts so = {.weight = o->fold.weight};
		err = sd_report_svg(out, a, ev, d, o->input, &so);
		break;
	}
	default: {
		bool color = !o->no_color && isatty(STDOUT_FILENO) &&
			     !getenv("NO_COLOR");
		err = o->markdown ? sd_report_markdown(out, a, d, o->input)
				  : sd_report_text(out, a, d, o->input, color);
		break;
	}
	}
	if (out == stdout && (err == -EIO || ferror(out) || fflush(out)) &&
	    cli_stdout_gone())
		return 0;
	if (cli_close_output(out, path))
		return -1;
	if (err)
		cli_error("writing '%s' failed: %s", path, sd_strerror(err));
	return err ? -1 : 0;
}

/* Writes the reports the options ask for; returns an exit code.  Files
 * first, standard output last, so that a reader that stops early (`|
 * head -1`) never costs a file its content. */
static int report(const struct cli_opts *o, struct sd_analysis *a)
{
	struct sd_diagnosis *d = NULL;
	const struct sd_evsel *ev = NULL;
	int err, rc = CLI_EXIT_OK;
	const char *paths[3] = {o->folded, o->json, o->svg};
	bool any_stdout = false;

	for (int i = 0; i < 3; i++)
		any_stdout |= paths[i] && !strcmp(paths[i], "-");
	if (o->folded || o->svg) {
		ev = pick_event(o, a);
		if (!ev)
			return CLI_EXIT_INPUT;
		/* as stackcollapse-perf.pl's "Filtering for events of type" */
		uint64_t other = sd_analysis_other_samples(a, ev);
		if (o->folded && other)
			cli_warn("%s: --folded writes the stacks of %s only; "
				 "%" PRIu64 " samples of other events are left "
				 "out (choose one with --event)",
				 o->input, ev->name, other);
	}
	if (o->off_cpu) {
		char why[512];
		err = sd_analysis_off_cpu(a, ev, why, sizeof why);
		if (err) {
			cli_error("%s: %s", o->input, why);
			return CLI_EXIT_INPUT;
		}
		const struct sd_offcpu *oc = &a->offcpu;
		if (oc->no_switch_in || oc->still_off || oc->dropped)
			cli_note("%s: --off-cpu: %llu of %llu switch-outs timed "
				 "to their switch-in; %llu without a recorded "
				 "switch-in (the task ran again first) and %llu "
				 "not switched in before the end are not "
				 "counted%s",
				 o->input, (unsigned long long)oc->paired,
				 (unsigned long long)oc->switch_outs,
				 (unsigned long long)oc->no_switch_in,
				 (unsigned long long)oc->still_off,
				 oc->dropped ? " (and some beyond the tracker's "
					       "limit)" : "");
	}
	/* --folded alone is a conversion: no verdict, no grading */
	bool conversion = o->folded && !o->json && !o->svg;
	if (!conversion) {
		err = sd_diagnose(a, &d);
		if (err) {
			cli_error("%s: diagnosis failed: %s", o->input,
				  sd_strerror(err));
			return CLI_EXIT_INPUT;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 3; i++) {
			if (!paths[i] || !strcmp(paths[i], "-") != (pass == 1))
				continue;
			if (emit(o, a, d, ev, (enum output)i, paths[i]))
				rc = CLI_EXIT_INPUT;
		}
		if (pass == 1 && !any_stdout && d &&
		    emit(o, a, d, NULL, OUT_VERDICT, "-"))
			rc = CLI_EXIT_INPUT;
	}
	if (!d) {
		/* --folded alone: stacks named by another kernel's symbols
		 * are no clean result (the warning on stderr says why) */
		const struct sd_kernel_symbols *ks = sd_analysis_kernel_symbols(a);
		if (rc == CLI_EXIT_OK && ks && ks->matches == 0 && !ks->unchecked)
			rc = CLI_EXIT_INPUT;
		return rc;
	}
	if (rc == CLI_EXIT_OK && (int)d->level >= o->fail_on &&
	    d->level != SD_LEVEL_NONE)
		rc = CLI_EXIT_FINDING;
	/* nothing could be judged: not a clean bill of health */
	if (rc == CLI_EXIT_OK && d->unknown)
		rc = CLI_EXIT_INPUT;
	/* kernel symbols of another kernel: nothing judged, whatever --fail-on */
	if (d->kernel_symbols_wrong && rc != CLI_EXIT_INPUT)
		rc = CLI_EXIT_INPUT;
	sd_diagnosis_free(d);
	return rc;
}

/*
 * What main leaves to the kernel at exit: kept reachable from here, so
 * that valgrind's leak check finds nothing lost (volatile: stores that
 * nothing reads would be optimised away).  Built with AddressSanitizer it
 * is freed instead, so that LeakSanitizer checks the whole teardown.
 */
#if SD_ASAN
static void leave_at_exit(struct sd_analysis *a, void *stdin_buf)
{
	sd_analysis_free(a);
	free(stdin_buf);
}
#else
static struct sd_analysis *volatile left_analysis;
static void *volatile left_stdin_buf;

static void leave_at_exit(struct sd_analysis *a, void *stdin_buf)
{
	left_analysis = a;
	left_stdin_buf = stdin_buf;
}
#endif

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct sd_analysis *a = NULL;
	struct sd_diags why;
	int err, rc;

	if (argc > 1 && !strcmp(argv[1], "record"))
		return cli_record(argc - 1, argv + 1);
	/* before anything is allocated for an analysis */
	sd_heap_tune();
	if (argc > 1 && !strcmp(argv[1], "diff")) {
		signal(SIGPIPE, SIG_IGN);
		return cli_diff(argc - 1, argv + 1);
	}
	/* a reader that goes away is an EPIPE on that stream, not the end
	 * of the files still to write (not for record: perf and COMMAND
	 * would inherit it) */
	signal(SIGPIPE, SIG_IGN);
	if (cli_parse_args(argc, argv, &o))
		return CLI_EXIT_USAGE;
	struct sd_bundle_input *in;
	const char *user_kallsyms = o.symbols.kallsyms;
	rc = cli_input_open(o.input, o.json, &o.symbols, &in);
	if (rc)
		return rc;
	o.data = sd_bundle_input_data(in);
	const struct sd_host *host = sd_bundle_input_host(in);
	if (o.headers)
		return run_headers(&o);
	struct cli_archive arc;
	rc = cli_input_archive(in, o.archive, o.json, &arc);
	if (rc)
		return rc;
	/* what the user names comes first: --archive over a bundle's kallsyms */
	if (arc.named)
		o.symbols.kallsyms = user_kallsyms;

	struct sd_analysis_opts ao = {
		.path = o.data,
		.symbols = o.symbols,
		.host = host,
		.archive = arc.archive,
		.archive_path = arc.path,
		.archive_named = arc.named,
		.fold_with = o.fold.with,
	};
	if (o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO))) {
		ao.progress = cli_progress;
		ao.progress_arg = NULL;
	}
	if (o.time)
		ao.time = &o.time_filter;
	ao.off_cpu = o.off_cpu;
	/* percent windows need the span before the first sample counts: a
	 * pipe is read into memory so that it can be read twice */
	void *stdin_buf = NULL;
	if (o.time && o.time_filter.percent && !strcmp(o.data, "-")) {
		size_t len;
		if (cli_slurp_stdin(&stdin_buf, &len))
			return CLI_EXIT_INPUT;
		ao.buf = stdin_buf;
		ao.len = len;
	}
	sd_diags_init(&why);
	err = sd_analysis_run(&ao, &why, &a);
	cli_progress_done();
	if (err) {
		cli_print_diags(o.input, &why);
		cli_error_input(o.input, err);
		cli_json_error(o.json, o.input, err, &why);
		sd_diags_clear(&why);
		free(stdin_buf);
		return CLI_EXIT_INPUT;
	}
	/* text input: its notes are in the report (once), not here too;
	 * --folded alone writes no report */
	if (a->reader || (o.folded && !o.json && !o.svg))
		cli_print_diags(o.input, &a->diags);
	else
		cli_print_problems(o.input, &a->diags);
	rc = report(&o, a);
	leave_at_exit(a, stdin_buf);
	return rc;
}
