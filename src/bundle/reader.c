/* SPDX-License-Identifier: MIT */
/*
 * Reading a bundle, which is untrusted: libarchive parses the tar layer
 * and decompresses; members are matched by name against a fixed list and
 * never used as paths; the two big ones are streamed into mkstemp files,
 * the rest into memory under a cap; every size is checked against its cap
 * and against the data that is there.  Offsets in messages are bytes of
 * the (decompressed) archive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "bundle/internal.h"
#include "util/str.h"

#define COPY_CHUNK (1u << 20)

enum member {
	M_MANIFEST,
	M_UNAME,
	M_SWAPS,
	M_MEMINFO,
	M_SYSCTL_VM,
	M_PROCS,
	M_KALLSYMS,
	M_PERF_DATA,
	M_COUNT,
};

static const char *const member_names[M_COUNT] = {
	SD_BUNDLE_MANIFEST, SD_BUNDLE_UNAME,	SD_BUNDLE_SWAPS,
	SD_BUNDLE_MEMINFO,  SD_BUNDLE_SYSCTL_VM, SD_BUNDLE_PROCS,
	SD_BUNDLE_KALLSYMS, SD_BUNDLE_PERF_DATA,
};

struct sd_bundle {
	char *perf_path, *ksyms_path;
	struct sd_perf_archive *dsos; /* "dsos/..." members, or NULL */
	char *format;
	char *kernel_build_id; /* manifest, checked to be hex */
	struct sd_host *host;
	struct sd_diags diags;
	/* small members while reading */
	char *text[M_COUNT];
	size_t text_len[M_COUNT];
	bool seen[M_COUNT];
};

struct ctx {
	struct sd_bundle *b;
	struct archive *in;
	/* the input again, to tell a cut first header from a foreign file */
	int fd;
	const void *mem;
	size_t mem_len;
	const char *tmpdir;
	struct sd_diags *why; /* fatal reasons */
};

static int fail(struct ctx *c, int err, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct ctx *c, int err, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (c->why)
		sd_diags_vadd(c->why, SD_ERROR, err, off, fmt, ap);
	va_end(ap);
	return err;
}

static const char *tmpdir_of(const struct sd_bundle_opts *o)
{
	const char *t = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/*
 * Reads up to n bytes of the current member: fewer only at its end.
 * Returns the count or the error (sd_larc_error()).
 */
static ssize_t member_read(struct ctx *c, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		la_ssize_t r = archive_read_data(c->in, (char *)buf + got,
						 n - got);
		if (r < 0)
			return sd_larc_error(c->in);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* below, with the raw reader */
static int raw_tail(struct ctx *c, uint64_t off, uint64_t max, int fd,
		    uint64_t *got);

static int make_temp(struct ctx *c, const char *what, char **path)
{
	char *p = NULL;
	int fd;

	if (!(p = sd_asprintf("%s/swapdiag-bundle-%s.XXXXXX", c->tmpdir, what)))
		return -ENOMEM;
	fd = mkostemp(p, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		fail(c, err, UINT64_MAX,
		     "cannot make a temporary file in %s for the bundle's %s: "
		     "%s (set TMPDIR to a writable directory)",
		     c->tmpdir, what, strerror(-err));
		free(p);
		return err;
	}
	*path = p;
	return fd;
}

/*
 * Streams a member into a new temporary file.  A member cut short keeps
 * what was there and returns -SD_E_TRUNCATED (with *got set).
 */
static int extract(struct ctx *c, uint64_t size, const char *what,
		   char **path, uint64_t *got)
{
	struct statvfs vfs;
	uint8_t *buf;
	int fd, err = 0;

	*got = 0;
	/* a hostile size field must not fill the disk before it fails */
	if (!statvfs(c->tmpdir, &vfs) && vfs.f_frsize &&
	    size / vfs.f_frsize >= (uint64_t)vfs.f_bavail)
		return fail(c, -ENOSPC, sd_larc_offset(c->in),
			    "the bundle's %s needs %llu bytes, more than %s has "
			    "free (set TMPDIR to a larger directory)",
			    what, (unsigned long long)size, c->tmpdir);
	fd = make_temp(c, what, path);
	if (fd < 0)
		return fd;
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	uint64_t data_off = sd_larc_offset(c->in);
	while (*got < size) {
		uint64_t left = size - *got;
		size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
		ssize_t r = member_read(c, buf, want);
		if (r < 0) {
			err = (int)r;
			break;
		}
		if (r && (err = sd_write_all(fd, buf, (size_t)r))) {
			fail(c, err, UINT64_MAX,
			     "writing the bundle's %s to %s: %s", what, *path,
			     strerror(-err));
			break;
		}
		*got += (uint64_t)r;
		if ((size_t)r < want) {
			err = -SD_E_TRUNCATED;
			break;
		}
	}
	free(buf);
	if (err == -SD_E_TRUNCATED) {
		uint64_t more = 0;
		int terr = raw_tail(c, data_off + *got, size - *got, fd, &more);
		*got += more;
		if (terr)
			err = terr;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static enum member member_of(const char *name)
{
	for (int i = 0; i < M_COUNT; i++)
		if (!strcmp(name, member_names[i]))
			return (enum member)i;
	return M_COUNT;
}

/* Returns 0 to go on, 1 to stop reading (a usable end), or an error. */
static int read_member(struct ctx *c, struct archive_entry *e,
		       const char *name, uint64_t hdr_off)
{
	struct sd_bundle *b = c->b;
	enum member k = member_of(name);
	uint64_t got = 0, size = (uint64_t)archive_entry_size(e);
	mode_t type = archive_entry_filetype(e);
	int err = 0;

	if ((type != AE_IFREG && type != AE_IFDIR) ||
	    archive_entry_hardlink(e) || archive_entry_symlink(e))
		return fail(c, -EBADMSG, hdr_off,
			    "member '%s' is a link or special file; a bundle "
			    "holds regular files only",
			    name);
	if (type == AE_IFREG && k == M_COUNT && !strncmp(name, "dsos/", 5)) {
		/* swapdiag record --with-dsos: perf archive names */
		if (!b->dsos && !(b->dsos = sd_pa_new(c->tmpdir, c->why, &err)))
			return err;
		err = sd_pa_member(b->dsos, c->in, name + 5, size, c->tmpdir,
				   c->why);
		if (err == -SD_E_TRUNCATED || err == -SD_E_ZSTD)
			return fail(c, err, sd_larc_offset(c->in),
				    "the bundle is %s inside member '%s'",
				    err == -SD_E_TRUNCATED ? "truncated"
							   : "damaged",
				    name);
		return err < 0 ? err : 0;
	}
	if (type == AE_IFDIR || k == M_COUNT)
		return 0; /* directories, members of a later version:
			   * libarchive skips their data */
	if (!archive_entry_size_is_set(e))
		return fail(c, -EBADMSG, hdr_off,
			    "member '%s' has no size", name);
	if (b->seen[k])
		return fail(c, -EBADMSG, hdr_off, "member '%s' appears twice",
			    name);
	b->seen[k] = true;
	if (k == M_PERF_DATA || k == M_KALLSYMS) {
		uint64_t cap = k == M_PERF_DATA ? SD_BUNDLE_MAX_PERF_DATA
						: SD_BUNDLE_MAX_KALLSYMS;
		if (size > cap)
			return fail(c, -SD_E_LIMIT, hdr_off,
				    "member '%s' claims %llu bytes, over the "
				    "limit of %llu",
				    name, (unsigned long long)size,
				    (unsigned long long)cap);
		err = extract(c, size, name,
			      k == M_PERF_DATA ? &b->perf_path : &b->ksyms_path,
			      &got);
		if (err == -SD_E_TRUNCATED && k == M_PERF_DATA && got) {
			/* the perf.data reader makes the most of the rest */
			sd_diags_add(&b->diags, SD_WARNING, SD_E_TRUNCATED,
				     sd_larc_offset(c->in),
				     "the bundle is truncated: its perf.data "
				     "has %llu of %llu bytes",
				     (unsigned long long)got,
				     (unsigned long long)size);
			return 1; /* stop reading */
		}
	} else if (size > SD_BUNDLE_MAX_SMALL) {
		return fail(c, -SD_E_LIMIT, hdr_off,
			    "member '%s' claims %llu bytes, over the limit of "
			    "%u",
			    name, (unsigned long long)size,
			    SD_BUNDLE_MAX_SMALL);
	} else {
		b->text[k] = malloc((size_t)size + 1);
		if (!b->text[k])
			return -ENOMEM;
		ssize_t r = member_read(c, b->text[k], (size_t)size);
		err = r < 0 ? (int)r : (size_t)r < size ? -SD_E_TRUNCATED : 0;
		b->text[k][err ? 0 : size] = 0;
		b->text_len[k] = err ? 0 : (size_t)size;
	}
	if (err == -SD_E_TRUNCATED)
		return fail(c, err, sd_larc_offset(c->in),
			    "the bundle is truncated inside member '%s' "
			    "(%llu bytes claimed)",
			    name, (unsigned long long)size);
	if (err == -SD_E_ZSTD)
		return fail(c, err, sd_larc_offset(c->in),
			    "the bundle's compressed data is damaged inside "
			    "member '%s' (%s)",
			    name, sd_larc_why(c->in));
	return err;
}

/* The manifest: checks the format, takes what the host context needs. */
static int read_manifest(struct ctx *c)
{
	struct sd_bundle *b = c->b;
	json_error_t jerr;
	json_t *doc = json_loadb(b->text[M_MANIFEST], b->text_len[M_MANIFEST],
				 JSON_REJECT_DUPLICATES, &jerr);
	const char *fmt;

	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return fail(c, -EBADMSG, UINT64_MAX,
			    "the bundle's manifest.json is not a JSON object "
			    "(%s)",
			    doc ? "another JSON value" : jerr.text);
	}
	fmt = json_string_value(json_object_get(doc, "format"));
	if (!fmt || strncmp(fmt, "swapdiag-bundle/", 16)) {
		json_decref(doc);
		return fail(c, -SD_E_BAD_MAGIC, UINT64_MAX,
			    "manifest.json does not name the format "
			    "swapdiag-bundle/N: not a swapdiag bundle");
	}
	if (strcmp(fmt, SD_BUNDLE_FORMAT)) {
		int err = fail(c, -ENOTSUP, UINT64_MAX,
			       "bundle format '%.40s' is not %s, the one this "
			       "swapdiag reads (a newer swapdiag made it?)",
			       fmt, SD_BUNDLE_FORMAT);
		json_decref(doc);
		return err;
	}
	b->format = strdup(fmt);
	struct sd_host *h = b->host;
	const char *s;
	if ((s = json_string_value(json_object_get(doc, "created"))) && *s)
		h->created = strndup(s, 64);
	if ((s = json_string_value(json_object_get(doc, "record_command"))))
		h->record_command = strndup(s, 4096);
	/* the host kernel's build-id: hex, at most 64 bytes' worth */
	if ((s = json_string_value(json_object_get(doc, "kernel_build_id")))) {
		size_t n = strlen(s);
		bool hex = n && n % 2 == 0 && n <= 128 &&
			   strspn(s, "0123456789abcdef") == n;
		if (hex)
			b->kernel_build_id = strdup(s);
		else
			sd_diags_add(&b->diags, SD_WARNING, EBADMSG, UINT64_MAX,
				     "manifest.json: kernel_build_id is not a "
				     "build-id; the bundle's kallsyms is checked "
				     "against the recording instead");
	}
	json_t *d = json_object_get(doc, "duration_s");
	if (json_is_number(d) && json_number_value(d) >= 0)
		h->duration_s = json_number_value(d);
	json_t *f = json_object_get(doc, "forks");
	json_t *p0 = json_object_get(f, "processes_start"),
	       *p1 = json_object_get(f, "processes_end"),
	       *sec = json_object_get(f, "seconds");
	if (json_is_integer(p0) && json_is_integer(p1) &&
	    json_integer_value(p1) >= json_integer_value(p0) &&
	    json_integer_value(p0) >= 0) {
		h->forks = json_integer_value(p1) - json_integer_value(p0);
		if (json_is_number(sec) && json_number_value(sec) > 0.1)
			h->forks_per_s =
				(double)h->forks / json_number_value(sec);
	}
	json_decref(doc);
	return 0;
}

static char *first_line(const char *t, size_t n)
{
	size_t k = 0;

	while (k < n && k < 1024 && t[k] != '\n')
		k++;
	char *s = strndup(t, k);
	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* The input again for sd_larc_raw_*(). */
static struct sd_larc_src src_of(const struct ctx *c)
{
	return (struct sd_larc_src){c->fd, c->mem, c->mem_len};
}

static size_t head_len(struct ctx *c, size_t max)
{
	struct sd_larc_src src = src_of(c);

	return sd_larc_head_len(&src, max);
}

static int raw_tail(struct ctx *c, uint64_t off, uint64_t max, int fd,
		    uint64_t *got)
{
	struct sd_larc_src src = src_of(c);

	return sd_larc_raw_copy(&src, off, max, fd, got);
}

/*
 * libarchive stops reading at the tar end marker, before the zstd frame's
 * checksum: one more pass through the decompressor alone checks it, so
 * that damage inside a member is found (a cut stream was reported as
 * truncated already, or is now).
 */
static int check_frame(struct ctx *c)
{
	struct sd_larc_src src = src_of(c);
	char why[256] = "";
	int err = sd_larc_raw_check(&src, why, sizeof why);

	if (err == -SD_E_TRUNCATED && !c->b->diags.n)
		sd_diags_add(&c->b->diags, SD_WARNING, SD_E_TRUNCATED,
			     UINT64_MAX,
			     "the bundle's compressed stream ends early");
	else if (err == -SD_E_ZSTD)
		return fail(c, err, UINT64_MAX,
			    "the bundle's compressed data is damaged (%s)", why);
	return err == -SD_E_TRUNCATED ? 0 : err;
}

static int read_all(struct ctx *c)
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
					return fail(c, -SD_E_TRUNCATED, off,
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
				return fail(c, err, off, "cannot read the bundle: %s",
					    sd_larc_why(c->in));
			if (b->seen[M_PERF_DATA] && err == -SD_E_TRUNCATED) {
				/* perf.data is whole: what follows is optional */
				sd_diags_add(&b->diags, SD_NOTE, SD_E_TRUNCATED,
					     off,
					     "the bundle has no end-of-archive "
					     "marker");
				break;
			}
			if (err == -SD_E_ZSTD)
				return fail(c, err, off,
					    "the bundle's compressed data is "
					    "damaged (%s)",
					    sd_larc_why(c->in));
			if (!members) {
				size_t n = head_len(c, 512);
				if (n > 0 && n < 512)
					return fail(c, -SD_E_TRUNCATED, off,
						    "the bundle ends inside a "
						    "member header");
			}
			if (err == -SD_E_TRUNCATED)
				return fail(c, err, off,
					    "the bundle ends inside a member "
					    "header");
			return fail(c, members ? err : -SD_E_BAD_MAGIC, off,
				    "%s: %s",
				    members ? "damaged member header"
					    : "not a swapdiag bundle",
				    sd_larc_why(c->in));
		}
		uint64_t hdr_off = (uint64_t)archive_read_header_position(c->in);
		const char *name = sd_larc_name(e);
		if (!sd_tar_name_ok(name))
			return fail(c, -EBADMSG, hdr_off,
				    "%s: member name is empty, absolute, leaves "
				    "the archive (\"..\") or has control "
				    "characters",
				    members ? "damaged member header"
					    : "not a swapdiag bundle");
		if (!members && strcmp(name, SD_BUNDLE_MANIFEST))
			return fail(c, -SD_E_BAD_MAGIC, hdr_off,
				    "a tar archive whose first member is not "
				    "manifest.json: not a swapdiag bundle");
		members++;
		err = read_member(c, e, name, hdr_off);
		if (err < 0)
			return err;
		if (err == 1)
			break;
		/* past the padding: at the end, off then says whether the
		 * zero blocks were there */
		if (archive_read_data_skip(c->in) < ARCHIVE_WARN) {
			err = sd_larc_error(c->in);
			if (err == -SD_E_TRUNCATED && b->seen[M_PERF_DATA]) {
				sd_diags_add(&b->diags, SD_NOTE, SD_E_TRUNCATED,
					     sd_larc_offset(c->in),
					     "the bundle ends after its perf.data, "
					     "without the end-of-archive marker");
				break;
			}
			return fail(c, err, sd_larc_offset(c->in),
				    "the bundle ends inside the padding after "
				    "'%s'",
				    name);
		}
		if (members == 1 && (err = read_manifest(c)))
			return err;
	}
	if (!b->seen[M_PERF_DATA])
		return fail(c, -EBADMSG, UINT64_MAX,
			    "the bundle has no perf.data");
	if (archive_filter_code(c->in, 0) == ARCHIVE_FILTER_ZSTD &&
	    (err = check_frame(c)))
		return err;
	if (b->text[M_UNAME])
		b->host->uname = first_line(b->text[M_UNAME], b->text_len[M_UNAME]);
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

static int open_common(struct ctx *c, struct sd_bundle **out)
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
	struct ctx c = {.tmpdir = tmpdir_of(o), .why = diags};
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
	struct ctx c = {.tmpdir = tmpdir_of(o), .why = diags, .fd = -1,
			.mem = buf, .mem_len = len};

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
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	/* through the stream: a zstd block can be 128 KiB before the first
	 * header comes out of it */
	err = probe(sd_larc_read_fd(fd, SD_LARC_ZSTD));
	close(fd);
	return err;
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
