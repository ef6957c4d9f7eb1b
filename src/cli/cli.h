/* SPDX-License-Identifier: MIT */
/* Exit codes and output files of the swapdiag tool; its messages (msg.h). */
#ifndef SD_CLI_H
#define SD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <swapdiag/error.h>

#include "cli/msg.h"

enum cli_exit {
	CLI_EXIT_OK = 0,      /* analysed, nothing at or above --fail-on */
	CLI_EXIT_FINDING = 1, /* a finding at or above --fail-on */
	CLI_EXIT_INPUT = 2,   /* the input could not be analysed */
	CLI_EXIT_USAGE = 64,  /* wrong usage (EX_USAGE) */
};

/* "-" is standard output. */
FILE *cli_open_output(const char *path);
int cli_close_output(FILE *f, const char *path);
/* The JSON error document (sd_report_json_error()) to json, if given. */
void cli_json_error(const char *json, const char *input, int err,
		    const struct sd_diags *why);
/* Whether standard output's reader has gone (EPIPE: `| head -1`), after
 * a write to it failed. */
bool cli_stdout_gone(void);

/* Reads all of standard input into *buf (malloc'd); 0, or -1 with the
 * message given. */
int cli_slurp_stdin(void **buf, size_t *len);

#endif
