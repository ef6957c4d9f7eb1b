/* SPDX-License-Identifier: MIT */
/* The options of an analysis run (args.c parses them). */
#ifndef SD_CLI_ARGS_H
#define SD_CLI_ARGS_H

#include <stdbool.h>

#include <swapdiag/analysis.h>
#include <swapdiag/report.h>

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

/*
 * Fills *o from the command line (-h and -V print and exit); 0, or -1
 * after a usage message (exit with CLI_EXIT_USAGE then).  o->input is
 * the one operand.
 */
int cli_parse_args(int argc, char **argv, struct cli_opts *o);

#endif
