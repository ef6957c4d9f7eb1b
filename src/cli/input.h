/* SPDX-License-Identifier: MIT */
/*
 * What travels with the recording (input.c): a swapdiag bundle given as
 * the input, and the recording's perf archive.  libswapdiag reads them
 * (swapdiag/bundle.h: sd_bundle_input); this file says what happened and
 * removes their temporary files at exit and on SIGINT, SIGTERM and SIGHUP.
 */
#ifndef SD_CLI_INPUT_H
#define SD_CLI_INPUT_H

#include <stdbool.h>

#include <swapdiag/bundle.h>
#include <swapdiag/symbols.h>

/*
 * Opens input (sd_bundle_input_open()): a bundle is extracted, its
 * kallsyms becoming sym's unless --kallsyms or --vmlinux was given;
 * anything else is left to the analysis.  Prints its messages (and the
 * JSON error document to json, if given); returns 0 with *out (freed at
 * exit), or the exit status to leave with.
 */
int cli_input_open(const char *input, const char *json,
		   struct sd_symbol_opts *sym, struct sd_bundle_input **out);

struct cli_archive {
	const struct sd_perf_archive *archive; /* NULL: none */
	const char *path;
	bool named; /* --archive */
};

/*
 * The perf archive for this run: named (--archive), else the input's
 * .tar.bz2/.tar.xz/.tar.zst/.tar.gz beside it (not for bundles or
 * standard input), else a bundle's --with-dsos files.  A perf archive
 * given as the input is refused with a message saying what to run; one
 * found beside that cannot be read is a warning.  Returns 0 (out filled,
 * maybe with no archive) or an exit code.
 */
int cli_input_archive(struct sd_bundle_input *in, const char *named,
		      const char *json, struct cli_archive *out);

#endif
