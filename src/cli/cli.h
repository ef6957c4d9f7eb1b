/* SPDX-License-Identifier: MIT */
/* Messages, exit codes and output files of the swapdiag tool. */
#ifndef SD_CLI_H
#define SD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <swapdiag/error.h>

enum cli_exit {
	CLI_EXIT_OK = 0,      /* analysed, nothing at or above --fail-on */
	CLI_EXIT_FINDING = 1, /* a finding at or above --fail-on */
	CLI_EXIT_INPUT = 2,   /* the input could not be analysed */
	CLI_EXIT_USAGE = 64,  /* wrong usage (EX_USAGE) */
};

extern bool cli_quiet;
/* The subcommand running ("record", "diff"), or NULL: usage errors
 * point at its --help. */
extern const char *cli_command;
extern bool cli_verbose; /* -v: every message, one per binary */

/* "swapdiag: error: ...", always. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "swapdiag: warning: ...", unless -q. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "swapdiag: ...", unless -q. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_error() and "Try 'swapdiag [COMMAND] --help' ...". */
void cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* "swapdiag: error: cannot read 'x.data': <why>" plus what to do. */
void cli_error_input(const char *path, int err);
/* Every diagnostic, as "swapdiag: warning: FILE: byte N: text"; the
 * user binaries without symbols in one line unless -v. */
void cli_print_diags(const char *path, const struct sd_diags *d);
/* The same, warnings and errors only (the notes are in the report). */
void cli_print_problems(const char *path, const struct sd_diags *d);

void cli_progress(void *arg, uint64_t done, uint64_t total);
void cli_progress_done(void);

/* "-" is standard output. */
FILE *cli_open_output(const char *path);
int cli_close_output(FILE *f, const char *path);
/* Whether standard output's reader has gone (EPIPE: `| head -1`), after
 * a write to it failed. */
bool cli_stdout_gone(void);

/* Reads all of standard input into *buf (malloc'd); 0, or -1 with the
 * message given. */
int cli_slurp_stdin(void **buf, size_t *len);

#endif
