/* SPDX-License-Identifier: MIT */
/*
 * The tool's messages on standard error, in one form:
 * "swapdiag: error: cannot open 'x.data': No such file or directory".
 * Errors always show; warnings, notes and information not with -q.
 * Library error codes are named with sd_strerror(), errno values from
 * the tool's own system calls with strerror().
 */
#ifndef SD_CLI_MSG_H
#define SD_CLI_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/error.h>

extern bool cli_quiet;   /* -q: errors only */
extern bool cli_verbose; /* -v: every message, one per binary */
/* The subcommand running ("record", "diff"), or NULL: usage errors
 * point at its --help. */
extern const char *cli_command;

/* "swapdiag: error: ...". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_error() and "Try 'swapdiag [COMMAND] --help' ...". */
void cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* "swapdiag: error: cannot analyse 'x.data': <why>" plus what to do. */
void cli_error_input(const char *path, int err);
/* "swapdiag: warning: ...": what was skipped and why. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "swapdiag: note: ...". */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "swapdiag: ...": what the tool is doing. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Every diagnostic, as "swapdiag: warning: FILE: byte N: text"; the
 * user binaries without symbols in one line unless -v. */
void cli_print_diags(const char *path, const struct sd_diags *d);
/* The same, warnings and errors only (the notes are in the report). */
void cli_print_problems(const char *path, const struct sd_diags *d);

/* "swapdiag: reading 42% (120 MiB)" on one line, redrawn; the messages
 * above clear it first. */
void cli_progress(void *arg, uint64_t done, uint64_t total);
void cli_progress_done(void);

#endif
