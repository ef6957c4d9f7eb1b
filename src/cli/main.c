/* SPDX-License-Identifier: MIT */
/*
 * swapdiag: options, messages and exit codes.  Everything it reports is
 * computed by libswapdiag; this file only decides what to run and where
 * the output goes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>

#include "cli/cli.h"
#include "cli/diff.h"
#include "cli/input.h"
#include "cli/record.h"
#include "util/heap.h"

static const char usage_text[] =
	"Usage: swapdiag [OPTIONS] FILE|BUNDLE|-\n"
	"       swapdiag record [-d SECONDS] [-o BUNDLE] [-- COMMAND...]\n"
	"       swapdiag diff [OPTIONS] BEFORE AFTER (see 'swapdiag diff --help')\n"
	"\n"
	"Reads a perf.data recording (perf record -ag; '-' reads pipe-mode data\n"
	"from standard input), or the text a ticket carries instead (perf script\n"
	"output, folded stacks, perf report --stdio call graphs; told apart by\n"
	"their content), and diagnoses fork/exec swap-entry work and\n"
	"mmap_lock stalls.  A BUNDLE from 'swapdiag record' (which records this\n"
	"host: see 'swapdiag record --help') is read with its kallsyms, and its\n"
	"host context (swap, swappiness, swapped processes) joins the report.\n"
	"\n"
	"Output (the verdict goes to standard output unless it carries JSON or\n"
	"folded stacks):\n"
	"      --json FILE        write the JSON report (schema swapdiag-report/1)\n"
	"                         to FILE ('-': standard output)\n"
	"      --folded OUT       write folded stacks (flamegraph.pl input) of one\n"
	"                         event to OUT ('-': standard output)\n"
	"      --svg OUT          write an interactive flame graph (SVG) of one\n"
	"                         event to OUT ('-': standard output), the\n"
	"                         verdict in its title, the frames a finding\n"
	"                         matched highlighted; open it in a browser\n"
	"      --event NAME       the event for --folded and --svg (default: the first\n"
	"                         sampling event that is not a tracepoint or dummy)\n"
	"      --time WINDOWS     analyse only the samples inside time windows,\n"
	"                         in perf's syntax: START,STOP in the recording's\n"
	"                         seconds (as perf script prints them; several\n"
	"                         separated by spaces), or percent of its span:\n"
	"                         10%-20%, 10%/2 (the second 10% slice), several\n"
	"                         separated by commas; applies to the verdict,\n"
	"                         --json, --folded and --svg\n"
	"      --off-cpu          with --folded/--svg and --event sched:sched_switch:\n"
	"                         weigh each switch-out stack by the microseconds\n"
	"                         until the task is switched in again (needs every\n"
	"                         switch recorded, not a sampled sched_switch)\n"
	"      --weight W         what --folded and --svg weigh a stack by: period\n"
	"                         (default: each sample's period, as perf script |\n"
	"                         stackcollapse-perf.pl and the verdict's shares;\n"
	"                         1 a sample for tracepoints) or samples (counts)\n"
	"      --folded-with LIST stackcollapse-perf.pl's annotations in --folded,\n"
	"                         LIST of pid, tid, kernel, jit, all, addrs,\n"
	"                         comma-separated (its --pid --tid ... options)\n"
	"      --headers          print what the file says about itself and exit\n"
	"      --fail-on LEVEL    exit 1 when the severity (the verdict's first\n"
	"                         word) is at or above LEVEL: info, warning\n"
	"                         (default), critical, or never\n"
	"      --format FMT       the verdict as text (default) or markdown (a\n"
	"                         ticket comment)\n"
	"      --no-color         no colours (default: colours on a terminal)\n"
	"  -q, --quiet            no warnings on standard error\n"
	"  -v, --verbose          every message (one per binary without\n"
	"                         symbols, instead of one summary line)\n"
	"      --progress         show progress on standard error (default: on a\n"
	"      --no-progress      terminal)\n"
	"\n"
	"Symbols:\n"
	"      --kallsyms FILE    kernel symbols: a copy of /proc/kallsyms from the\n"
	"                         recorded host (may be zstd-compressed)\n"
	"      --kallsyms-unchecked\n"
	"                         use kernel symbols that fail the check against\n"
	"                         the recording anyway, with a warning (default:\n"
	"                         the verdict is UNKNOWN, exit status 2)\n"
	"      --vmlinux FILE     kernel symbols from a vmlinux image\n"
	"      --symfs DIR        look for user-space binaries under DIR only\n"
	"      --buildid-dir DIR  perf's build-id cache (default: ~/.debug)\n"
	"      --archive FILE     a 'perf archive' tarball of the recording (its\n"
	"                         kallsyms and DSOs, by build-id; read in place,\n"
	"                         nothing unpacked into ~/.debug).  Without it,\n"
	"                         FILE.tar.bz2 (.tar.xz, .tar.zst, .tar.gz) beside\n"
	"                         the recording is read\n"
	"\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n"
	"\n"
	"Exit status:\n"
	"  0   analysed, the severity below --fail-on (OK: nothing found)\n"
	"  1   the severity is at or above --fail-on\n"
	"  2   the input could not be analysed, or UNKNOWN (no kernel symbols,\n"
	"      or kernel symbols of another kernel, so nothing could be judged)\n"
	"  64  wrong usage\n";

enum {
	OPT_FOLDED = 256,
	OPT_EVENT,
	OPT_HEADERS,
	OPT_KALLSYMS,
	OPT_VMLINUX,
	OPT_SYMFS,
	OPT_BUILDID_DIR,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_JSON,
	OPT_FAIL_ON,
	OPT_NO_COLOR,
	OPT_FORMAT,
	OPT_SVG,
	OPT_TIME,
	OPT_OFF_CPU,
	OPT_KALLSYMS_UNCHECKED,
	OPT_ARCHIVE,
	OPT_WEIGHT,
	OPT_FOLDED_WITH,
};

static const struct option long_opts[] = {
	{"folded", required_argument, NULL, OPT_FOLDED},
	{"event", required_argument, NULL, OPT_EVENT},
	{"headers", no_argument, NULL, OPT_HEADERS},
	{"kallsyms", required_argument, NULL, OPT_KALLSYMS},
	{"vmlinux", required_argument, NULL, OPT_VMLINUX},
	{"symfs", required_argument, NULL, OPT_SYMFS},
	{"buildid-dir", required_argument, NULL, OPT_BUILDID_DIR},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"json", required_argument, NULL, OPT_JSON},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"svg", required_argument, NULL, OPT_SVG},
	{"time", required_argument, NULL, OPT_TIME},
	{"off-cpu", no_argument, NULL, OPT_OFF_CPU},
	{"kallsyms-unchecked", no_argument, NULL, OPT_KALLSYMS_UNCHECKED},
	{"archive", required_argument, NULL, OPT_ARCHIVE},
	{"weight", required_argument, NULL, OPT_WEIGHT},
	{"folded-with", required_argument, NULL, OPT_FOLDED_WITH},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

struct cli_opts {
	const char *input;
	const char *data; /* the file read: input, or a bundle's perf.data */
	const char *folded;
	const char *svg;
	const char *event;
	const char *json;
	const char *archive; /* --archive */
	int fail_on;
	bool no_color;
	bool markdown; /* --format markdown */
	bool headers;
	const char *time; /* --time */
	bool off_cpu;
	struct sd_time_filter time_filter;
	int progress; /* -1: if stderr is a terminal */
	struct sd_symbol_opts symbols;
	struct sd_folded_opts fold; /* --weight, --folded-with */
};

/* --folded-with LIST: stackcollapse-perf.pl's option names */
static int parse_folded_with(const char *list, unsigned *with)
{
	static const struct {
		const char *name;
		unsigned flags;
	} names[] = {
		{"pid", SD_FOLD_PID},
		{"tid", SD_FOLD_TID},
		{"kernel", SD_FOLD_KERNEL},
		{"jit", SD_FOLD_JIT},
		{"all", SD_FOLD_KERNEL | SD_FOLD_JIT},
		{"addrs", SD_FOLD_ADDRS},
	};
	const char *p = list;

	*with = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		size_t i;
		for (i = 0; i < sizeof names / sizeof *names; i++)
			if (strlen(names[i].name) == n &&
			    !strncmp(p, names[i].name, n))
				break;
		if (i == sizeof names / sizeof *names) {
			cli_usage_error("--folded-with takes a comma-separated "
					"list of pid, tid, kernel, jit, all and "
					"addrs; '%.*s' is none of them",
					(int)n, p);
			return -1;
		}
		*with |= names[i].flags;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int parse_args(int argc, char **argv, struct cli_opts *o)
{
	int c;

	memset(o, 0, sizeof *o);
	/* the sampled DSOs' symbol tables load on the second core */
	o->symbols.prefetch = true;
	o->progress = -1;
	o->fail_on = SD_LEVEL_WARNING;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_FOLDED:
			o->folded = optarg;
			break;
		case OPT_EVENT:
			o->event = optarg;
			break;
		case OPT_HEADERS:
			o->headers = true;
			break;
		case OPT_KALLSYMS:
			o->symbols.kallsyms = optarg;
			break;
		case OPT_VMLINUX:
			o->symbols.vmlinux = optarg;
			break;
		case OPT_SYMFS:
			o->symbols.symfs = optarg;
			break;
		case OPT_BUILDID_DIR:
			o->symbols.buildid_dir = optarg;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			o->progress = 0;
			break;
		case OPT_JSON:
			o->json = optarg;
			break;
		case OPT_FAIL_ON:
			if (sd_level_parse(optarg, &o->fail_on)) {
				cli_usage_error("--fail-on takes info, warning, "
						"critical or never, not '%s'",
						optarg);
				return -1;
			}
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "markdown")) {
				o->markdown = true;
			} else if (strcmp(optarg, "text")) {
				cli_usage_error("--format takes text or markdown, "
						"not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_SVG:
			o->svg = optarg;
			break;
		case OPT_OFF_CPU:
			o->off_cpu = true;
			break;
		case OPT_TIME: {
			char why[256];
			o->time = optarg;
			if (sd_time_parse(optarg, &o->time_filter, why,
					  sizeof why)) {
				cli_usage_error("--time: %s", why);
				return -1;
			}
			break;
		}
		case OPT_KALLSYMS_UNCHECKED:
			o->symbols.kallsyms_unchecked = true;
			break;
		case OPT_ARCHIVE:
			o->archive = optarg;
			break;
		case OPT_WEIGHT:
			if (!strcmp(optarg, "period")) {
				o->fold.weight = SD_WEIGHT_PERIOD;
			} else if (!strcmp(optarg, "samples")) {
				o->fold.weight = SD_WEIGHT_SAMPLES;
			} else {
				cli_usage_error("--weight takes period or samples, "
						"not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_FOLDED_WITH:
			if (parse_folded_with(optarg, &o->fold.with))
				return -1;
			break;
		case 'q':
			cli_quiet = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(CLI_EXIT_OK);
		case 'V':
			printf("swapdiag %s\n", SWAPDIAG_VERSION);
			exit(CLI_EXIT_OK);
		case ':':
			cli_usage_error("option '%s' needs an argument",
					argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				cli_usage_error("unknown option '-%c'", optopt);
			else
				cli_usage_error("unknown option '%s'",
						argv[optind - 1]);
			return -1;
		}
	}
	if (optind == argc) {
		cli_usage_error("no input file (give a perf.data path, or '-' "
				"for standard input)");
		return -1;
	}
	if (optind + 1 < argc) {
		cli_usage_error("one input file at a time ('%s' is extra)",
				argv[optind + 1]);
		return -1;
	}
	o->input = argv[optind];
	if (o->off_cpu && !o->folded && !o->svg) {
		cli_usage_error("--off-cpu weighs the stacks of --folded or "
				"--svg: give one of them (with --event "
				"sched:sched_switch)");
		return -1;
	}
	if ((o->json && !strcmp(o->json, "-")) +
		    (o->folded && !strcmp(o->folded, "-")) +
		    (o->svg && !strcmp(o->svg, "-")) > 1) {
		cli_usage_error("only one of --json, --folded and --svg can go "
				"to standard output");
		return -1;
	}
	return 0;
}

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
	if (parse_args(argc, argv, &o))
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
	sd_analysis_free(a);
	free(stdin_buf);
	return rc;
}
