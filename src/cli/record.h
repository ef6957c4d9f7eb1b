/* SPDX-License-Identifier: MIT */
/* swapdiag record, and bundles as input of the analysis. */
#ifndef SD_CLI_RECORD_H
#define SD_CLI_RECORD_H

#include <swapdiag/bundle.h>
#include <swapdiag/symbols.h>

/* "swapdiag record ..." (argv[0] is "record"); returns the exit status. */
int cli_record(int argc, char **argv);

/*
 * If input is a bundle, extracts it: *data becomes its perf.data (a
 * temporary file removed at exit, or on SIGINT/SIGTERM/SIGHUP), sym's
 * kallsyms its kallsyms unless --kallsyms or --vmlinux was given, and
 * *host its host context.  Otherwise changes nothing.  Prints its own
 * messages (and the JSON error document to json, if given); returns 0
 * or the exit status to leave with.
 */
int cli_bundle_input(const char *input, const char *json,
		     struct sd_symbol_opts *sym, const char **data,
		     const struct sd_host **host);

#endif
