/* SPDX-License-Identifier: MIT */
/*
 * Writing a bundle: libarchive writes the ustar members (pax only past
 * ustar's limits) into one zstd frame with a checksum, and the manifest
 * comes first in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "config.h"
#include "bundle/internal.h"

#if HAVE_ZSTD
#include <zstd.h>
#endif

#define COPY_CHUNK (1u << 20)

struct sd_bundle_writer {
	struct archive *a;
	int fd;
	int io_err; /* what the output said, for write_error() */
#if HAVE_ZSTD
	ZSTD_CCtx *cctx;
	uint8_t *obuf;
	size_t ocap;
#endif
	size_t members;
	bool failed, finished;
	bool discard; /* freeing an unfinished writer: output dropped */
};

static int write_error(struct sd_bundle_writer *w)
{
	int e = archive_errno(w->a);

	w->failed = true;
	if (w->io_err)
		return w->io_err;
	/* libarchive's own codes are EILSEQ, EINVAL and -1 */
	return e > 0 && e != EILSEQ && e != EINVAL ? -e : -EIO;
}

#if HAVE_ZSTD
/*
 * zstd is run here rather than by libarchive's filter, which writes no
 * frame checksum: with one, damage inside a bundle is found by the
 * decompressor (libarchive's reader checks it) instead of going unnoticed.
 */
static int zpush(struct sd_bundle_writer *w, const void *p, size_t n,
		 ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {p, n, 0};
	int err;

	for (;;) {
		ZSTD_outBuffer out = {w->obuf, w->ocap, 0};
		size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			return -SD_E_ZSTD;
		if (out.pos && (err = sd_write_all(w->fd, w->obuf, out.pos)))
			return err;
		if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return 0;
	}
}
#endif

/* libarchive's output: the tar stream, compressed here or written. */
static la_ssize_t out_cb(struct archive *a, void *arg, const void *p,
			 size_t n)
{
	struct sd_bundle_writer *w = arg;
	int err;

	if (w->discard)
		return (la_ssize_t)n;
#if HAVE_ZSTD
	if (w->cctx)
		err = zpush(w, p, n, ZSTD_e_continue);
	else
#endif
		err = sd_write_all(w->fd, p, n);
	if (err) {
		w->io_err = err;
		archive_set_error(a, err == -SD_E_ZSTD ? EIO : -err,
				  "cannot write the bundle");
		return -1;
	}
	return (la_ssize_t)n;
}

int sd_bundle_writer_new(int fd, bool compress, struct sd_bundle_writer **out)
{
	struct sd_bundle_writer *w = calloc(1, sizeof *w);
	int err = -ENOMEM;

	if (!w || !(w->a = archive_write_new()))
		goto fail;
	w->fd = fd;
	if (compress) {
#if HAVE_ZSTD
		w->cctx = ZSTD_createCCtx();
		w->ocap = ZSTD_CStreamOutSize();
		w->obuf = malloc(w->ocap);
		if (!w->cctx || !w->obuf)
			goto fail;
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
#else
		err = -SD_E_NO_ZSTD;
		goto fail;
#endif
	}
	/* ustar for everything a bundle holds, a pax header only for what
	 * ustar cannot say (a member of 8 GiB or more) */
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK)
		goto fail;
	/* no padding of the last block to 10 KiB: the output ends with the
	 * end-of-archive blocks */
	archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open2(w->a, w, NULL, out_cb, NULL, NULL) !=
	    ARCHIVE_OK) {
		err = write_error(w);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (w) {
		w->finished = true;
		sd_bundle_writer_free(w);
	}
	return err;
}

struct sd_bundle_writer *sd_bundle_writer_free(struct sd_bundle_writer *w)
{
	if (!w)
		return NULL;
	/* an unfinished archive gets no end-of-archive marker: closing
	 * (which frees libarchive's output buffer) writes into nothing */
	if (w->a) {
		w->discard = !w->finished;
		archive_write_free(w->a);
	}
#if HAVE_ZSTD
	ZSTD_freeCCtx(w->cctx);
	free(w->obuf);
#endif
	free(w);
	return NULL;
}

static int header(struct sd_bundle_writer *w, const char *name, uint64_t size,
		  uint64_t mtime)
{
	struct archive_entry *e;
	int r;

	if (w->failed || w->finished)
		return -EINVAL;
	if (!w->members && strcmp(name, SD_BUNDLE_MANIFEST))
		return -EINVAL; /* the manifest identifies a bundle */
	if (!sd_tar_name_ok(name))
		return -EINVAL;
	e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return write_error(w);
	w->members++;
	return 0;
}

static int data(struct sd_bundle_writer *w, const void *p, size_t n)
{
	while (n) {
		la_ssize_t r = archive_write_data(w->a, p, n);
		if (r <= 0)
			return write_error(w);
		p = (const uint8_t *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

int sd_bundle_writer_add(struct sd_bundle_writer *w, const char *name,
			 const void *buf, size_t len, uint64_t mtime)
{
	int err;

	if ((err = header(w, name, len, mtime)) ||
	    (len && (err = data(w, buf, len))))
		w->failed = true;
	return err;
}

int sd_bundle_writer_add_fd(struct sd_bundle_writer *w, const char *name,
			    int fd, uint64_t mtime)
{
	struct stat st;
	uint64_t left;
	uint8_t *buf;
	int err;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((err = header(w, name, (uint64_t)st.st_size, mtime))) {
		w->failed = true;
		return err;
	}
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		w->failed = true;
		return -ENOMEM;
	}
	left = (uint64_t)st.st_size;
	off_t pos = 0;
	while (left) {
		size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
		ssize_t r = pread(fd, buf, want, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO; /* shrank meanwhile */
			break;
		}
		if ((err = data(w, buf, (size_t)r)))
			break;
		left -= (uint64_t)r;
		pos += r;
	}
	free(buf);
	if (err)
		w->failed = true;
	return err;
}

int sd_bundle_writer_finish(struct sd_bundle_writer *w)
{
	if (w->failed || w->finished)
		return -EINVAL;
	/* the end-of-archive blocks, the end of the zstd frame */
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return write_error(w);
#if HAVE_ZSTD
	int err;
	if (w->cctx && (err = zpush(w, NULL, 0, ZSTD_e_end))) {
		w->failed = true;
		return err;
	}
#endif
	w->finished = true;
	return 0;
}

/* argv as one shell-readable line: words with special characters in
 * single quotes. */
static char *join_argv(char *const *argv)
{
	size_t cap = 1, n = 0;
	char *s;

	for (size_t i = 0; argv[i]; i++)
		cap += 4 * strlen(argv[i]) + 3;
	s = malloc(cap);
	if (!s)
		return NULL;
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a != 0;
		for (const char *p = a; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_=/.,:+@%", *p))
				plain = false;
		if (i)
			s[n++] = ' ';
		if (plain) {
			memcpy(s + n, a, strlen(a));
			n += strlen(a);
			continue;
		}
		s[n++] = '\'';
		for (const char *p = a; *p; p++) {
			if (*p == '\'') {
				memcpy(s + n, "'\\''", 4);
				n += 4;
			} else {
				s[n++] = *p;
			}
		}
		s[n++] = '\'';
	}
	s[n] = 0;
	return s;
}

static json_t *argv_json(char *const *argv)
{
	json_t *a;

	if (!argv)
		return json_null();
	a = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static json_t *int_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

int sd_bundle_manifest(const struct sd_bundle_meta *m,
		       const struct sd_bundle_entry *files, size_t nr_files,
		       char **json, size_t *len)
{
	json_t *fl = json_array(), *warn = json_array(), *doc;
	char created[32] = "";
	char *cmd = NULL;
	struct tm tm;
	time_t t = (time_t)m->created;

	if (!fl || !warn)
		goto nomem;
	if (gmtime_r(&t, &tm))
		strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < nr_files; i++)
		json_array_append_new(
			fl, json_pack("{s:s, s:I, s:s}", "name", files[i].name,
				      "size", (json_int_t)files[i].size,
				      "content",
				      files[i].content ? files[i].content : ""));
	for (size_t i = 0; m->warnings && m->warnings[i]; i++)
		json_array_append_new(warn, json_string(m->warnings[i]));
	if (m->record_argv && !(cmd = join_argv(m->record_argv)))
		goto nomem;
	doc = json_pack(
		"{s:s, s:s, s:s, s:s?, s:o, s:s?, s:o, s:f, s:i, s:b, "
		"s:{s:o, s:o, s:f}, s:o, s:o}",
		"format", SD_BUNDLE_FORMAT, "tool_version",
		m->tool_version ? m->tool_version : "", "created", created,
		"hostname", m->hostname, "record_argv",
		argv_json(m->record_argv), "record_command", cmd, "command",
		argv_json(m->command_argv), "duration_s", m->duration_s,
		"perf_exit_status", m->perf_exit_status, "interrupted",
		m->interrupted, "forks", "processes_start",
		int_or_null(m->processes_start), "processes_end",
		int_or_null(m->processes_end), "seconds", m->processes_seconds,
		"warnings", warn, "files", fl);
	free(cmd);
	if (!doc)
		return -ENOMEM;
	*json = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!*json)
		return -ENOMEM;
	*len = strlen(*json);
	return 0;
nomem:
	json_decref(fl);
	json_decref(warn);
	return -ENOMEM;
}
