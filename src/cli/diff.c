/* SPDX-License-Identifier: MIT */
/*
 * swapdiag diff [OPTIONS] BEFORE AFTER: two inputs analysed alike,
 * compared by libswapdiag (swapdiag/diff.h), rendered by it
 * (swapdiag/diffreport.h); this file only reads options and picks the
 * exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/diff.h>
#include <swapdiag/diffreport.h>
#include <swapdiag/report.h>

#include "cli/cli.h"
#include "cli/diff.h"
#include "cli/input.h"

static const char diff_usage[] =
	"Usage: swapdiag diff [OPTIONS] BEFORE AFTER\n"
	"\n"
	"Analyses two recordings (perf.data, a bundle, or text as for\n"
	"swapdiag) alike and says whether the change between them helped.\n"
	"The first line is the outcome: IMPROVED, UNCHANGED, WORSE, MIXED or\n"
	"UNKNOWN; then per finding the share (or stalls per second) before\n"
	"and after, samples, stalls, blocked and longest ms, and the\n"
	"processes that appeared or disappeared in it.  A change counts when\n"
	"it exceeds 3 standard errors (binomial for shares, Poisson for stall\n"
	"rates): see swapdiag(1).\n"
	"\n"
	"      --json FILE        write the comparison (schema swapdiag-diff/1,\n"
	"                         with both complete reports) to FILE ('-':\n"
	"                         standard output)\n"
	"      --format FMT       text (default) or markdown (a ticket comment)\n"
	"      --svg OUT          a differential flame graph: AFTER's, each frame\n"
	"                         coloured by the change of its share (red grew,\n"
	"                         blue shrank)\n"
	"      --event NAME       the event of --svg (default: the first sampling\n"
	"                         event that is not a tracepoint or dummy)\n"
	"      --weight W         what --svg weighs a stack by: period (default)\n"
	"                         or samples, as for swapdiag --svg\n"
	"      --fail-on LEVEL    exit 1 when AFTER is significantly worse on a\n"
	"                         finding whose severity (after) is at or above\n"
	"                         LEVEL: info, warning (default), critical, never\n"
	"      --time WINDOWS     the same time windows on both sides (as for\n"
	"                         swapdiag)\n"
	"      --kallsyms FILE, --vmlinux FILE, --symfs DIR, --buildid-dir DIR\n"
	"                         symbols, for both sides (a bundle brings its\n"
	"                         own kallsyms)\n"
	"  -q, --quiet            no warnings on standard error\n"
	"  -v, --verbose          every message\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 unless AFTER is significantly worse on a finding at or\n"
	"above --fail-on (1); 2 when a side cannot be analysed or judged\n"
	"(UNKNOWN); 64 wrong usage.\n";

enum {
	D_JSON = 256,
	D_FORMAT,
	D_FAIL_ON,
	D_TIME,
	D_KALLSYMS,
	D_VMLINUX,
	D_SYMFS,
	D_BUILDID_DIR,
	D_NO_PROGRESS,
	D_SVG,
	D_EVENT,
	D_WEIGHT,
};

static const struct option diff_opts[] = {
	{"json", required_argument, NULL, D_JSON},
	{"format", required_argument, NULL, D_FORMAT},
	{"fail-on", required_argument, NULL, D_FAIL_ON},
	{"time", required_argument, NULL, D_TIME},
	{"kallsyms", required_argument, NULL, D_KALLSYMS},
	{"vmlinux", required_argument, NULL, D_VMLINUX},
	{"symfs", required_argument, NULL, D_SYMFS},
	{"buildid-dir", required_argument, NULL, D_BUILDID_DIR},
	{"no-progress", no_argument, NULL, D_NO_PROGRESS},
	{"svg", required_argument, NULL, D_SVG},
	{"event", required_argument, NULL, D_EVENT},
	{"weight", required_argument, NULL, D_WEIGHT},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct side {
	const char *input, *data;
	struct sd_symbol_opts symbols;
	const struct sd_host *host;
	struct sd_analysis *a;
	struct sd_diagnosis *d;
};

static int analyse(struct side *s, const struct sd_time_filter *time)
{
	struct sd_diags why;
	struct sd_bundle_input *in;
	int rc = cli_input_open(s->input, NULL, &s->symbols, &in);
	if (rc)
		return rc;
	s->data = sd_bundle_input_data(in);
	s->host = sd_bundle_input_host(in);
	struct sd_analysis_opts ao = {
		.path = s->data,
		.symbols = s->symbols,
		.host = s->host,
		.time = time,
	};
	sd_diags_init(&why);
	int err = sd_analysis_run(&ao, &why, &s->a);
	if (err) {
		cli_print_diags(s->input, &why);
		cli_error_input(s->input, err);
		sd_diags_clear(&why);
		return CLI_EXIT_INPUT;
	}
	cli_print_problems(s->input, &s->a->diags);
	err = sd_diagnose(s->a, &s->d);
	if (err) {
		cli_error("%s: diagnosis failed: %s", s->input, sd_strerror(err));
		return CLI_EXIT_INPUT;
	}
	return 0;
}

static const struct sd_evsel *event_of(const struct side *s,
				       const char *name)
{
	const struct sd_evsel *ev = name ? sd_analysis_find_evsel(s->a, name)
					 : sd_analysis_default_evsel(s->a);
	if (!ev)
		cli_error("%s: no event '%s' for --svg in this recording",
			  s->input, name ? name : "(default)");
	return ev;
}

/* --svg: AFTER's flame graph coloured by the change since BEFORE. */
static int write_svg(const char *path, const char *event, enum sd_weight w,
		     const struct side sides[2], const struct sd_diff *df)
{
	const struct sd_evsel *eb = event_of(&sides[0], event);
	const struct sd_evsel *ea = event_of(&sides[1], event);
	char title[256];

	if (!eb || !ea)
		return -1;
	snprintf(title, sizeof title, "%s: %s -> %s",
		 sd_diff_outcome_name(df->outcome), sides[0].input,
		 sides[1].input);
	struct sd_svg_opts o = {.title = title, .before = sides[0].a,
				.before_ev = eb, .weight = w};
	FILE *out = cli_open_output(path);
	if (!out)
		return -1;
	int err = sd_report_svg(out, sides[1].a, ea, sides[1].d,
				sides[1].input, &o);
	if (out == stdout && err && cli_stdout_gone())
		err = 0;
	if (cli_close_output(out, path))
		return -1;
	if (err)
		cli_error("writing '%s' failed: %s", path, sd_strerror(err));
	return err ? -1 : 0;
}

int cli_diff(int argc, char **argv)
{
	const char *json = NULL, *time = NULL, *svg = NULL, *event = NULL;
	enum sd_weight weight = SD_WEIGHT_PERIOD;
	bool markdown = false;
	int fail_on = SD_LEVEL_WARNING, c, rc;
	struct sd_symbol_opts sym = {.prefetch = true};
	struct sd_time_filter tf;

	cli_command = "diff";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qvh", diff_opts, NULL)) != -1) {
		switch (c) {
		case D_JSON:
			json = optarg;
			break;
		case D_FORMAT:
			if (!strcmp(optarg, "markdown")) {
				markdown = true;
			} else if (strcmp(optarg, "text")) {
				cli_usage_error("--format takes text or markdown, "
						"not '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case D_FAIL_ON:
			if (sd_level_parse(optarg, &fail_on)) {
				cli_usage_error("--fail-on takes info, warning, "
						"critical or never, not '%s'",
						optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case D_TIME: {
			char why[256];
			time = optarg;
			if (sd_time_parse(optarg, &tf, why, sizeof why)) {
				cli_usage_error("--time: %s", why);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case D_KALLSYMS:
			sym.kallsyms = optarg;
			break;
		case D_VMLINUX:
			sym.vmlinux = optarg;
			break;
		case D_SYMFS:
			sym.symfs = optarg;
			break;
		case D_BUILDID_DIR:
			sym.buildid_dir = optarg;
			break;
		case D_NO_PROGRESS:
			break;
		case D_SVG:
			svg = optarg;
			break;
		case D_EVENT:
			event = optarg;
			break;
		case D_WEIGHT:
			if (!strcmp(optarg, "period")) {
				weight = SD_WEIGHT_PERIOD;
			} else if (!strcmp(optarg, "samples")) {
				weight = SD_WEIGHT_SAMPLES;
			} else {
				cli_usage_error("--weight takes period or samples, "
						"not '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'q':
			cli_quiet = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(diff_usage, stdout);
			return CLI_EXIT_OK;
		case ':':
			cli_usage_error("option '%s' needs an argument",
					argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			cli_usage_error("unknown option '%s' of swapdiag diff",
					argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_usage_error("swapdiag diff compares two inputs: BEFORE AFTER "
				"(%d given)", argc - optind);
		return CLI_EXIT_USAGE;
	}
	struct side sides[2] = {{.input = argv[optind], .symbols = sym},
				{.input = argv[optind + 1], .symbols = sym}};
	if (json && svg && !strcmp(json, "-") && !strcmp(svg, "-")) {
		cli_usage_error("only one of --json and --svg can go to "
				"standard output");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(sides[0].input, "-") && !strcmp(sides[1].input, "-")) {
		cli_usage_error("only one of BEFORE and AFTER can be standard "
				"input");
		return CLI_EXIT_USAGE;
	}
	rc = analyse(&sides[0], time ? &tf : NULL);
	if (!rc)
		rc = analyse(&sides[1], time ? &tf : NULL);
	struct sd_diff *df = NULL;
	if (!rc) {
		int err = sd_diff_compare(sides[0].d, sides[1].d, &df);
		if (err) {
			cli_error("comparing failed: %s", sd_strerror(err));
			rc = CLI_EXIT_INPUT;
		}
	}
	if (!rc) {
		struct sd_diff_side b = {sides[0].a, sides[0].d, sides[0].input};
		struct sd_diff_side a = {sides[1].a, sides[1].d, sides[1].input};
		if (json) {
			FILE *out = cli_open_output(json);
			int err = out ? sd_report_diff_json(out, df, &b, &a) : -1;
			/* closing names a failed write; else say the report's */
			if (out && cli_close_output(out, json))
				err = -1;
			else if (out && err)
				cli_error("writing the JSON comparison to '%s' "
					  "failed: %s", json, sd_strerror(err));
			if (err)
				rc = CLI_EXIT_INPUT;
		}
		if (svg && write_svg(svg, event, weight, sides, df))
			rc = CLI_EXIT_INPUT;
		if ((!json || strcmp(json, "-")) && (!svg || strcmp(svg, "-"))) {
			int err = markdown
					  ? sd_report_diff_markdown(stdout, df, &b, &a)
					  : sd_report_diff_text(stdout, df, &b, &a);
			if ((err || fflush(stdout)) && !cli_stdout_gone()) {
				cli_error("writing the comparison to standard "
					  "output failed: %s",
					  err ? sd_strerror(err) : strerror(errno));
				rc = CLI_EXIT_INPUT;
			}
		}
		if (!rc && df->outcome == SD_DIFF_UNKNOWN)
			rc = CLI_EXIT_INPUT;
		else if (!rc && df->worse_level != SD_LEVEL_NONE &&
			 (int)df->worse_level >= fail_on)
			rc = CLI_EXIT_FINDING;
	}
	sd_diff_free(df);
	for (int i = 0; i < 2; i++) {
		sd_diagnosis_free(sides[i].d);
		sd_analysis_free(sides[i].a);
	}
	return rc;
}
