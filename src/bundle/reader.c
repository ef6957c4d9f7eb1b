/* SPDX-License-Identifier: MIT */
/*
 * Reading a bundle, which is untrusted: libarchive parses the tar layer
 * and decompresses; members are matched by name against a fixed list and
 * never used as paths; the two big ones are streamed into mkstemp files,
 * the rest into memory under a cap; every size is checked against its cap
 * and against the data that is there.  Offsets in messages are bytes of
 * the (decompressed) archive.
 *
 * This file walks the archive's members in order and opens, probes and
 * frees a bundle; member.c takes each member, manifest.c reads the
 * manifest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/read.h"

int sd_br_fail(struct sd_br_ctx *c, int err, uint64_t off, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (c->why)
		sd_diags_vadd(c->why, SD_ERROR, err, off, fmt, ap);
	va_end(ap);
	return err;
}

static size_t head_len(struct sd_br_ctx *c, size_t max)
{
	struct sd_larc_src src = sd_br_src(c);

	return sd_larc_head_len(&src, max);
}

/*
 * libarchive stops reading at the tar end marker, before the zstd frame's
 * checksum: one more pass through the decompressor alone checks it, so
 * that damage inside a member is found (a cut stream was reported as
 * truncated already, or is now).
 */
static int check_frame(struct sd_br_ctx *c)
{
	struct sd_larc_src src = sd_br_src(c);
	char why[256] = "";
	int err = sd_larc_raw_check(&src, why, sizeof why);

	if (err == -SD_E_TRUNCATED && !c->b->diags.n)
		sd_diags_add(&c->b->diags, SD_WARNING, SD_E_TRUNCATED,
			     UINT64_MAX,
			     "the bundle's compressed stream ends early");
	else if (err == -SD_E_ZSTD)
		return sd_br_fail(
			c, err, UINT64_MAX,
			"the bundle's compressed data is damaged (%s)", why);
	return err == -SD_E_TRUNCATED ? 0 : err;
}

static int read_all(struct sd_br_ctx *c)
{
	struct sd_bundle *b = c->b;
	size_t members = 0;
	int err;

	for (;;) {
		struct archive_entry *e;
		uint64_t off = sd_larc_offset(c->in);
		int r = archive_read_next_header(c->in, &e);

		if (r == ARCHIVE_EOF) {
			/* libarchive takes the end of the data for the end of
			 * the archive; its zero blocks are what say so */
			if (sd_larc_offset(c->in) == off && members) {
				if (!b->seen[M_PERF_DATA])
					return sd_br_fail(
						c, -SD_E_TRUNCATED, off,
						"the bundle ends before its "
						"perf.data");
				sd_diags_add(&b->diags, SD_NOTE, SD_E_TRUNCATED,
					     off,
					     "the bundle has no end-of-archive "
					     "marker");
			}
			break;
		}
		if (r < ARCHIVE_WARN) {
			err = sd_larc_error(c->in);
			if (err == -ENOMEM || err == -EIO)
				return sd_br_fail(c, err, off,
						  "cannot read the bundle: %s",
						  sd_larc_why(c->in));
			if (b->seen[M_PERF_DATA] && err == -SD_E_TRUNCATED) {
				/* perf.data is whole: the rest is optional */
				sd_diags_add(&b->diags, SD_NOTE, SD_E_TRUNCATED,
					     off,
					     "the bundle has no end-of-archive "
					     "marker");
				break;
			}
			if (err == -SD_E_ZSTD)
				return sd_br_fail(
					c, err, off,
					"the bundle's compressed data is "
					"damaged (%s)",
					sd_larc_why(c->in));
			if (!members) {
				size_t n = head_len(c, 512);
				if (n > 0 && n < 512)
					return sd_br_fail(
						c, -SD_E_TRUNCATED, off,
						"the bundle ends inside a "
						"member header");
			}
			if (err == -SD_E_TRUNCATED)
				return sd_br_fail(
					c, err, off,
					"the bundle ends inside a member "
					"header");
			return sd_br_fail(c, members ? err : -SD_E_BAD_MAGIC,
					  off, "%s: %s",
					  members ? "damaged member header"
						  : "not a swapdiag bundle",
					  sd_larc_why(c->in));
		}
		uint64_t hdr_off =
			(uint64_t)archive_read_header_position(c->in);
		const char *name = sd_larc_name(e);
		if (!sd_tar_name_ok(name))
			return sd_br_fail(
				c, -EBADMSG, hdr_off,
				"%s: member name is empty, absolute, leaves "
				"the archive (\"..\") or has control "
				"characters",
				members ? "damaged member header"
					: "not a swapdiag bundle");
		if (!members && strcmp(name, SD_BUNDLE_MANIFEST))
			return sd_br_fail(
				c, -SD_E_BAD_MAGIC, hdr_off,
				"a tar archive whose first member is not "
				"manifest.json: not a swapdiag bundle");
		members++;
		err = sd_br_member(c, e, name, hdr_off);
		if (err < 0)
			return err;
		if (err == 1)
			break;
		/* past the padding: at the end, off then says whether the
		 * zero blocks were there */
		if (archive_read_data_skip(c->in) < ARCHIVE_WARN) {
			err = sd_larc_error(c->in);
			if (err == -SD_E_TRUNCATED && b->seen[M_PERF_DATA]) {
				sd_diags_add(
					&b->diags, SD_NOTE, SD_E_TRUNCATED,
					sd_larc_offset(c->in),
					"the bundle ends after its perf.data, "
					"without the end-of-archive marker");
				break;
			}
			return sd_br_fail(
				c, err, sd_larc_offset(c->in),
				"the bundle ends inside the padding after "
				"'%s'",
				name);
		}
		if (members == 1 && (err = sd_br_manifest(c)))
			return err;
	}
	if (!b->seen[M_PERF_DATA])
		return sd_br_fail(c, -EBADMSG, UINT64_MAX,
				  "the bundle has no perf.data");
	if (archive_filter_code(c->in, 0) == ARCHIVE_FILTER_ZSTD &&
	    (err = check_frame(c)))
		return err;
	if (b->text[M_UNAME])
		b->host->uname = sd_br_first_line(b->text[M_UNAME],
						  b->text_len[M_UNAME]);
	return 0;
}

static void drop_texts(struct sd_bundle *b)
{
	for (int i = 0; i < M_COUNT; i++) {
		free(b->text[i]);
		b->text[i] = NULL;
	}
}

struct sd_bundle *sd_bundle_free(struct sd_bundle *b)
{
	if (!b)
		return NULL;
	if (b->perf_path)
		unlink(b->perf_path);
	if (b->ksyms_path)
		unlink(b->ksyms_path);
	sd_perf_archive_free(b->dsos);
	free(b->perf_path);
	free(b->ksyms_path);
	free(b->format);
	free(b->kernel_build_id);
	drop_texts(b);
	sd_host_free(b->host);
	sd_diags_clear(&b->diags);
	free(b);
	return NULL;
}

static int open_common(struct sd_br_ctx *c, struct sd_bundle **out)
{
	struct sd_bundle *b = c->b;
	struct sd_host *h = NULL;
	int err;

	sd_diags_init(&b->diags);
	/* the host's numbers first: the manifest adds to them */
	err = sd_host_parse(NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, &b->host);
	if (!err)
		err = read_all(c);
	if (!err) {
		err = sd_host_parse(b->text[M_SWAPS], b->text_len[M_SWAPS],
				    b->text[M_MEMINFO], b->text_len[M_MEMINFO],
				    b->text[M_SYSCTL_VM],
				    b->text_len[M_SYSCTL_VM], b->text[M_PROCS],
				    b->text_len[M_PROCS], &b->diags, &h);
	}
	if (!err) {
		/* keep what the manifest and uname gave */
		struct sd_host *m = b->host;
		h->uname = m->uname;
		h->created = m->created;
		h->record_command = m->record_command;
		h->duration_s = m->duration_s;
		h->forks = m->forks;
		h->forks_per_s = m->forks_per_s;
		m->uname = m->created = m->record_command = NULL;
		sd_host_free(m);
		b->host = h;
	}
	archive_read_free(c->in);
	c->in = NULL;
	drop_texts(b);
	if (err) {
		sd_bundle_free(b);
		return err;
	}
	*out = b;
	return 0;
}

int sd_bundle_open(const char *path, const struct sd_bundle_opts *o,
		   struct sd_diags *diags, struct sd_bundle **out)
{
	struct sd_br_ctx c = {.tmpdir = sd_bundle_tmpdir(o), .why = diags};
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	c.fd = fd;
	c.b = calloc(1, sizeof *c.b);
	c.in = c.b ? sd_larc_read_fd(fd, SD_LARC_ZSTD) : NULL;
	if (!c.in) {
		free(c.b);
		close(fd);
		return -ENOMEM;
	}
	err = open_common(&c, out);
	close(fd);
	return err;
}

int sd_bundle_open_mem(const void *buf, size_t len,
		       const struct sd_bundle_opts *o, struct sd_diags *diags,
		       struct sd_bundle **out)
{
	struct sd_br_ctx c = {.tmpdir = sd_bundle_tmpdir(o), .why = diags,
			      .fd = -1, .mem = buf, .mem_len = len};

	c.b = calloc(1, sizeof *c.b);
	c.in = c.b ? sd_larc_read_mem(buf, len, SD_LARC_ZSTD) : NULL;
	if (!c.in) {
		free(c.b);
		return -ENOMEM;
	}
	return open_common(&c, out);
}

/* 1 if the archive's first member is the manifest. */
static int probe(struct archive *a)
{
	struct archive_entry *e;
	int r;

	if (!a)
		return -ENOMEM;
	r = archive_read_next_header(a, &e);
	r = r >= ARCHIVE_WARN && !strcmp(sd_larc_name(e), SD_BUNDLE_MANIFEST);
	archive_read_free(a);
	return r;
}

int sd_bundle_probe_mem(const void *head, size_t len)
{
	return probe(sd_larc_read_mem(head, len, SD_LARC_ZSTD));
}

int sd_bundle_probe(const char *path)
{
	/* through the stream: a zstd block can be 128 KiB before the first
	 * header comes out of it */
	return sd_larc_probe_path(path, SD_LARC_ZSTD, probe);
}

const char *sd_bundle_perf_data(const struct sd_bundle *b)
{
	return b->perf_path;
}

const char *sd_bundle_kallsyms(const struct sd_bundle *b)
{
	return b->ksyms_path;
}

const struct sd_perf_archive *sd_bundle_dsos(const struct sd_bundle *b)
{
	return b->dsos;
}

const struct sd_host *sd_bundle_host(const struct sd_bundle *b)
{
	return b->host;
}

const char *sd_bundle_kernel_build_id(const struct sd_bundle *b)
{
	return b->kernel_build_id;
}

const char *sd_bundle_format(const struct sd_bundle *b)
{
	return b->format;
}

struct sd_diags *sd_bundle_diags(struct sd_bundle *b)
{
	return &b->diags;
}

size_t sd_bundle_temp_files(const struct sd_bundle *b, const char **paths,
			    size_t max)
{
	size_t n = 0;

	if (b->perf_path && n < max)
		paths[n++] = b->perf_path;
	if (b->ksyms_path && n < max)
		paths[n++] = b->ksyms_path;
	return n;
}
