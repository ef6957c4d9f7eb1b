/* SPDX-License-Identifier: MIT */
/* swapdiag record: its options and --help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/bundle.h>

#include "cli/cli.h"
#include "cli/record.h"

#define DEFAULT_SECONDS 30.0
#define MAX_SECONDS 86400.0

static const char record_usage[] =
	"Usage: swapdiag record [-d SECONDS] [-o BUNDLE] [--with-dsos] [-- COMMAND...]\n"
	"\n"
	"Records this host with perf (as root) for SECONDS, or while COMMAND\n"
	"runs, and writes one bundle file with what swapdiag needs to analyse\n"
	"it on any machine: perf.data, /proc/kallsyms, uname -a, /proc/swaps,\n"
	"/proc/meminfo, the vm.* sysctls and the processes with the most memory\n"
	"in swap.  Analyse it with 'swapdiag BUNDLE'.\n"
	"\n"
	"  -d, --duration SECONDS  how long to record (default 30; with COMMAND:\n"
	"                          at most this long, default until it exits)\n"
	"  -o, --output BUNDLE     the bundle to write (default\n"
	"                          swapdiag-HOST-YYYYmmdd-HHMMSS" SD_BUNDLE_SUFFIX_ZST
	")\n"
	"      --perf PATH         the perf to run (default: perf in PATH)\n"
	"      --with-dsos         add the sampled user DSOs (and their debug\n"
	"                          files), by build-id in perf archive layout, so\n"
	"                          that user frames are named on any machine\n"
	"      --dso-cap MIB       at most this much of them (default 256)\n"
	"  -q, --quiet             only errors on standard error\n"
	"  -h, --help              this help\n"
	"\n"
	"What runs: perf record -a -g -e cpu-clock/freq=999/ -e sched:sched_switch\n"
	"[-e lock:contention_begin -e lock:contention_end] -- sleep SECONDS\n"
	"\n"
	"Exit status:\n"
	"  0   the bundle was written\n"
	"  2   nothing could be recorded (perf missing, not root, ...)\n"
	"  64  wrong usage\n";

int record_parse_args(int argc, char **argv, struct record_opts *o)
{
	static const struct option opts[] = {
		{"duration", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"perf", required_argument, NULL, 'P'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"with-dsos", no_argument, NULL, 'D'},
		{"dso-cap", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof *o);
	o->seconds = DEFAULT_SECONDS;
	o->dso_cap = CLI_DSO_CAP_DEFAULT;
	optind = 1;
	opterr = 0;
	/* '+': the first word that is no option starts COMMAND */
	while ((c = getopt_long(argc, argv, "+:d:o:qh", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'd':
			o->seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(o->seconds > 0) ||
			    o->seconds > MAX_SECONDS) {
				cli_usage_error("-d takes seconds, more than 0 "
						"and at most %.0f, not '%s'",
						MAX_SECONDS, optarg);
				return -1;
			}
			o->seconds_given = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'P':
			o->perf = optarg;
			break;
		case 'D':
			o->with_dsos = true;
			break;
		case 'C':
			if (cli_parse_mib(optarg, &o->dso_cap)) {
				cli_usage_error("--dso-cap takes MiB, 1 to "
						"65536, not '%s'", optarg);
				return -1;
			}
			break;
		case 'q':
			cli_quiet = true;
			break;
		case 'h':
			fputs(record_usage, stdout);
			exit(CLI_EXIT_OK);
		case ':':
			cli_usage_error("option '%s' needs an argument",
					argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				cli_usage_error("unknown option '-%c' of "
						"'swapdiag record'", optopt);
			else
				cli_usage_error("unknown option '%s' of "
						"'swapdiag record'",
						argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		o->command = argv + optind;
	return 0;
}
