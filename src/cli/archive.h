/* SPDX-License-Identifier: MIT */
/* perf archive tarballs beside a recording (archive.c). */
#ifndef SD_CLI_ARCHIVE_H
#define SD_CLI_ARCHIVE_H

#include <stdbool.h>

struct sd_perf_archive;

struct cli_archive {
	struct sd_perf_archive *archive; /* NULL: none */
	const char *path;
	bool named; /* --archive */
};

/*
 * The perf archive for this run: named (--archive), else data's
 * .tar.bz2/.tar.xz/.tar.zst/.tar.gz beside it (not for bundles or
 * standard input).  A perf archive given as the input is refused with a
 * message saying what to run.  Returns 0 (out filled, maybe with no
 * archive) or an exit code; its temporary files are removed at exit and
 * on signals.
 */
int cli_archive_input(const char *input, const char *data, bool bundle,
		      const char *named, const char *json,
		      struct cli_archive *out);

#endif
