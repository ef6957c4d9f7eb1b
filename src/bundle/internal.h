/* SPDX-License-Identifier: MIT */
/*
 * Bundle internals: the libarchive glue shared by the bundle reader and
 * writer and the perf archive reader.  libarchive parses and writes the
 * tar layer (ustar, pax, GNU) and runs the compressors through their
 * libraries (never external programs); what is checked on top of it --
 * names, member kinds, sizes against caps -- is here.
 */
#ifndef SD_BUNDLE_INTERNAL_H
#define SD_BUNDLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <swapdiag/bundle.h>

struct archive;
struct archive_entry;

#define SD_TAR_NAME_MAX 255

/* Decompressors a reader accepts (all through libraries). */
enum {
	SD_LARC_ZSTD = 1 << 0,
	SD_LARC_BZIP2 = 1 << 1,
	SD_LARC_XZ = 1 << 2,  /* and lzma */
	SD_LARC_GZIP = 1 << 3,
	SD_LARC_ALL = 0xf,
};

/*
 * A tar reader for untrusted input: the tar formats only, the filters
 * asked for, opened on fd (stays the caller's) or on a buffer.  NULL on
 * failure to allocate; a failure to open is left for the first
 * archive_read_next_header() to report.
 */
struct archive *sd_larc_read_fd(int fd, unsigned filters);
struct archive *sd_larc_read_mem(const void *buf, size_t len,
				 unsigned filters);

/*
 * What went wrong in a, as an error code: -SD_E_TRUNCATED (the data
 * ended early), -SD_E_ZSTD (the compressed stream is damaged: zstd,
 * bzip2, xz or gzip), a negative errno from the system (-EIO, -ENOMEM),
 * else -EBADMSG (a damaged tar structure).
 */
int sd_larc_error(struct archive *a);
/* libarchive's own words for it ("Truncated tar archive"). */
const char *sd_larc_why(struct archive *a);
/* Decompressed bytes of the archive consumed so far. */
uint64_t sd_larc_offset(struct archive *a);

/*
 * A member name that stays inside the archive: not empty, relative, no
 * ".." component, no control characters or backslashes, at most
 * SD_TAR_NAME_MAX bytes.
 */
bool sd_tar_name_ok(const char *name);

/* The entry's name with leading "./" dropped. */
const char *sd_larc_name(struct archive_entry *e);

/*
 * A bundle's DSO members (perf archive names under "dsos/") go through
 * the perf archive reader's checks into a directory of their own:
 * sd_pa_new() makes it (NULL and *err on failure, the reason in why);
 * sd_pa_member() takes the current member of in under its name without
 * "dsos/": 1 kept, 0 not a DSO file name (skipped), or an error.
 */
struct sd_perf_archive *sd_pa_new(const char *tmpdir, struct sd_diags *why,
				  int *err);
int sd_pa_member(struct sd_perf_archive *pa, struct archive *in,
		 const char *name, uint64_t size, const char *tmpdir,
		 struct sd_diags *why);

/*
 * The input a tar reader was opened on, again (a file from its start, or
 * the buffer), for passes through the decompressor alone (libarchive's
 * raw format): where its tar view cannot tell or give enough.
 */
struct sd_larc_src {
	int fd;          /* -1: mem */
	const void *mem;
	size_t len;
};
/* Decompressed bytes at the start, up to max (1024): a cut first header
 * or no tar at all. */
size_t sd_larc_head_len(const struct sd_larc_src *src, size_t max);
/*
 * Appends decompressed bytes [off, off + max) to fd, as many as there are
 * before the end or damage (*got): libarchive (3.6) hands out nothing of
 * a member the archive ends inside.
 */
int sd_larc_raw_copy(const struct sd_larc_src *src, uint64_t off,
		     uint64_t max, int fd, uint64_t *got);
/* Decompresses it all: 0, or the error (sd_larc_error()), its words in
 * why. */
int sd_larc_raw_check(const struct sd_larc_src *src, char *why, size_t len);

/* write(2) until done, through EINTR. */
int sd_write_all(int fd, const void *p, size_t n);

/* Where a reader's temporary files go: o->tmpdir, else $TMPDIR, else
 * /tmp. */
const char *sd_bundle_tmpdir(const struct sd_bundle_opts *o);

/*
 * probe() on a tar reader of path (sd_larc_read_fd() with filters, NULL
 * without memory), path opened for the call; probe frees the reader.
 * Returns what probe does, or -errno when path cannot be opened.
 */
int sd_larc_probe_path(const char *path, unsigned filters,
		       int (*probe)(struct archive *a));

#endif
