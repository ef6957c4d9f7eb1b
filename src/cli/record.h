/* SPDX-License-Identifier: MIT */
/* swapdiag record. */
#ifndef SD_CLI_RECORD_H
#define SD_CLI_RECORD_H

#include <swapdiag/bundle.h>
#include <swapdiag/symbols.h>

/* "swapdiag record ..." (argv[0] is "record"); returns the exit status. */
int cli_record(int argc, char **argv);

/* ---- record --with-dsos (record_dsos.c) ---- */
#define CLI_DSO_CAP_DEFAULT (256ull << 20)
struct sd_bundle_dsos;
struct sd_bundle_writer;
/* MiB (1 to 65536) into bytes; -1 if it is not that. */
int cli_parse_mib(const char *s, uint64_t *bytes);
/*
 * Picks the files of perf_data's sampled user DSOs within cap bytes and
 * says what was taken and what was left out.  0 or an error.
 */
int cli_record_dsos(const char *perf_data, uint64_t cap,
		    struct sd_bundle_dsos *out);
/* Writes them into the bundle. */
int cli_record_add_dsos(struct sd_bundle_writer *w,
			const struct sd_bundle_dsos *d, uint64_t mtime);

/*
 * tracefs for the recording (tracefs.c).  tracefs_prepare mounts it if no
 * tracefs events directory is visible: in a private mount namespace of
 * this process when it can make one (private_ns), else on the host;
 * paths are what it mounted, in order.  0 when tracepoints are visible
 * (mounted or not), else -errno of the failed mount (nothing is left
 * mounted then).  tracefs_release unmounts what tracefs_prepare mounted;
 * 0 or -errno of the first umount that failed.
 */
struct tracefs_mount {
	const char *paths[3];
	size_t n;
	bool private_ns;
	int err;
};
int tracefs_prepare(struct tracefs_mount *m);
int tracefs_release(struct tracefs_mount *m);
/* The tracefs events directory, or NULL. */
const char *tracefs_events_dir(void);

#endif
