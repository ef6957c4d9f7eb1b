/* SPDX-License-Identifier: MIT */
/*
 * swapdiag's command line: the usage text, the options and their checks
 * (swapdiag(1) documents each).  `swapdiag record` has its own
 * (record_args.c).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>

#include "cli/args.h"
#include "cli/cli.h"

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

int cli_parse_args(int argc, char **argv, struct cli_opts *o)
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
