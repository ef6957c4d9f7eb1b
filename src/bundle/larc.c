/* SPDX-License-Identifier: MIT */
/*
 * libarchive glue: readers limited to the tar formats and to the
 * compressors libarchive has libraries for (the "all" setting would also
 * run external programs such as lrzip on untrusted input), and the
 * mapping of its errors onto ours.  libarchive reports its errors as
 * text with ARCHIVE_ERRNO_FILE_FORMAT / ARCHIVE_ERRNO_MISC, so the kind
 * of damage is told from its messages ("Truncated tar archive", "...
 * decompression failed") -- checked against 3.6 by tests/bundle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/internal.h"

#define READ_BLOCK (64u << 10)
#define COPY_CHUNK (1u << 20)

const char *sd_bundle_tmpdir(const struct sd_bundle_opts *o)
{
	const char *t = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

int sd_larc_probe_path(const char *path, unsigned filters,
		       int (*probe)(struct archive *a))
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	char m[8];

	if (fd < 0)
		return -errno;
	/*
	 * A file that starts with perf.data's magic ("PERFILE2", either
	 * byte order) is no archive the probes look for: no compressed
	 * stream, and as a tar (or raw data) its first member would be
	 * "PERFILE2..." (or "data"), neither a bundle's manifest nor a perf
	 * archive's cache name.  Said without libarchive, which is then
	 * not loaded at all (archive_dl.c).
	 */
	if (pread(fd, m, sizeof m, 0) == (ssize_t)sizeof m &&
	    (!memcmp(m, "PERFILE2", 8) || !memcmp(m, "2ELIFREP", 8))) {
		close(fd);
		return 0;
	}
	err = probe(sd_larc_read_fd(fd, filters));
	close(fd);
	return err;
}

int sd_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static struct archive *reader(unsigned filters)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_format_tar(a);
	if (filters & SD_LARC_ZSTD)
		archive_read_support_filter_zstd(a);
	if (filters & SD_LARC_BZIP2)
		archive_read_support_filter_bzip2(a);
	if (filters & SD_LARC_XZ) {
		archive_read_support_filter_xz(a);
		archive_read_support_filter_lzma(a);
	}
	if (filters & SD_LARC_GZIP)
		archive_read_support_filter_gzip(a);
	return a;
}

struct archive *sd_larc_read_fd(int fd, unsigned filters)
{
	struct archive *a = reader(filters);

	if (a && archive_read_open_fd(a, fd, READ_BLOCK) == ARCHIVE_FATAL &&
	    archive_errno(a) == ENOMEM) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

struct archive *sd_larc_read_mem(const void *buf, size_t len,
				 unsigned filters)
{
	struct archive *a = reader(filters);

	/* libarchive does not write to the buffer */
	if (a && archive_read_open_memory(a, (void *)(uintptr_t)buf, len) ==
			 ARCHIVE_FATAL &&
	    archive_errno(a) == ENOMEM) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

const char *sd_larc_why(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s && *s ? s : "damaged archive";
}

int sd_larc_error(struct archive *a)
{
	const char *s = archive_error_string(a);
	int e = archive_errno(a);

	if (e == ENOMEM)
		return -ENOMEM;
	if (s && (strstr(s, "runcated") || strstr(s, "nexpected end") ||
		  strstr(s, "remature end")))
		return -SD_E_TRUNCATED;
	if (s && (strstr(s, "ecompress") || strstr(s, "zstd") ||
		  strstr(s, "bzip2") || strstr(s, "xz ") ||
		  strstr(s, "lzma") || strstr(s, "gzip") ||
		  strstr(s, "Zstd") || strstr(s, "ompressed")))
		return -SD_E_ZSTD;
	/* libarchive's own codes: EILSEQ (file format), EINVAL (misuse), -1
	 * (misc); others come from the system */
	if (e > 0 && e != EILSEQ && e != EINVAL)
		return -e;
	return -EBADMSG;
}

uint64_t sd_larc_offset(struct archive *a)
{
	la_int64_t n = archive_filter_bytes(a, 0);

	return n > 0 ? (uint64_t)n : 0;
}

bool sd_tar_name_ok(const char *name)
{
	size_t n = strlen(name);
	const char *p = name;

	if (!n || n > SD_TAR_NAME_MAX || name[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			return false;
	}
	while (*p) {
		size_t w = strcspn(p, "/");
		if (w == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += w;
		if (*p == '/')
			p++;
	}
	return true;
}

const char *sd_larc_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname(e);

	if (!n)
		return "";
	while (n[0] == '.' && n[1] == '/')
		n += 2;
	return n;
}

/* ---- raw passes: the same input decompressed, not parsed ------------- */

static struct archive *raw_open(const struct sd_larc_src *src)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r;

	if (!a)
		return NULL;
	archive_read_support_format_raw(a);
	archive_read_support_filter_zstd(a);
	if (src->fd >= 0 && lseek(src->fd, 0, SEEK_SET) == 0)
		r = archive_read_open_fd(a, src->fd, READ_BLOCK);
	else if (src->mem)
		r = archive_read_open_memory(a, (void *)(uintptr_t)src->mem,
					     src->len);
	else
		r = ARCHIVE_FATAL;
	if (r != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

size_t sd_larc_head_len(const struct sd_larc_src *src, size_t max)
{
	struct archive *a = raw_open(src);
	char buf[1024];
	size_t got = 0;
	la_ssize_t n;

	if (!a)
		return 0;
	if (max > sizeof buf)
		max = sizeof buf;
	while (got < max && (n = archive_read_data(a, buf + got, max - got)) > 0)
		got += (size_t)n;
	archive_read_free(a);
	return got;
}

int sd_larc_raw_copy(const struct sd_larc_src *src, uint64_t off,
		     uint64_t max, int fd, uint64_t *got)
{
	struct archive *a = raw_open(src);
	uint8_t *buf;
	int err = 0;

	*got = 0;
	if (!a)
		return 0;
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		archive_read_free(a);
		return -ENOMEM;
	}
	while (off || *got < max) {
		size_t want = off ? (off < COPY_CHUNK ? (size_t)off : COPY_CHUNK)
				  : (max - *got < COPY_CHUNK ? (size_t)(max - *got)
							     : COPY_CHUNK);
		la_ssize_t n = archive_read_data(a, buf, want);
		if (n <= 0)
			break; /* the end, or where the damage starts */
		if (off) {
			off -= (uint64_t)n;
			continue;
		}
		if ((err = sd_write_all(fd, buf, (size_t)n)))
			break;
		*got += (uint64_t)n;
	}
	free(buf);
	archive_read_free(a);
	return err;
}

int sd_larc_raw_check(const struct sd_larc_src *src, char *why, size_t len)
{
	struct archive *a = raw_open(src);
	uint8_t *buf = malloc(COPY_CHUNK);
	la_ssize_t n;
	int err = 0;

	if (a && buf) {
		while ((n = archive_read_data(a, buf, COPY_CHUNK)) > 0)
			;
		if (n < 0) {
			err = sd_larc_error(a);
			snprintf(why, len, "%s", sd_larc_why(a));
		}
	} else if (!buf) {
		err = -ENOMEM;
	}
	free(buf);
	if (a)
		archive_read_free(a);
	return err;
}
