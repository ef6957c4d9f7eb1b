/* SPDX-License-Identifier: MIT */
/*
 * Reading a `perf archive` tarball (layout in swapdiag/bundle.h) in one
 * streamed pass with libarchive.  The archive is untrusted: a member is
 * kept only if its name has the shape of a build-id cache file, and is
 * written under a name made from the parsed build-id and kind -- never
 * under its own name -- into a private mkdtemp directory:
 *
 *	DIR/[kernel.kallsyms]/ID/kallsyms
 *	DIR/.build-id/xx/REST/elf | debug | vdso
 *
 * which is where the symbol stage looks in a build-id cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <swapdiag/reader.h>

#include "bundle/internal.h"
#include "util/str.h"

#define COPY_CHUNK (1u << 20)
#define KERNEL_DIR "[kernel.kallsyms]"

enum kind { K_KALLSYMS, K_ELF, K_DEBUG, K_VDSO, K_NONE };
static const char *const kind_names[] = {"kallsyms", "elf", "debug", "vdso"};

struct held {
	struct sd_build_id id;
	bool kernel;
};

struct sd_perf_archive {
	char *dir;
	char **paths; /* files, then directories in creation order */
	size_t nr_paths, cap_paths, nr_files;
	struct held *ids;
	size_t nr_ids;
	uint64_t total;
	struct sd_diags diags;
};

struct pctx {
	struct sd_perf_archive *pa;
	struct archive *in;
	const char *tmpdir;
	struct sd_diags *why;
	size_t kept;
	bool cut; /* damage ended the reading */
};

static int fail(struct pctx *c, int err, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct pctx *c, int err, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (c->why)
		sd_diags_vadd(c->why, SD_ERROR, err, off, fmt, ap);
	va_end(ap);
	return err;
}

static int parse_hex_id(const char *s, size_t n, struct sd_build_id *id)
{
	if (n < 2 || n % 2 || n > 2 * SD_BUILD_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v = 0;
		for (size_t k = 0; k < 2; k++) {
			char ch = s[i + k];
			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else
				return -1;
		}
		id->data[i / 2] = (uint8_t)v;
	}
	id->size = (uint8_t)(n / 2);
	return 0;
}

static enum kind kind_of(const char *s)
{
	for (int k = 0; k < K_NONE; k++)
		if (!strcmp(s, kind_names[k]))
			return (enum kind)k;
	return K_NONE;
}

/*
 * The build-id, kind and kernel flag of a member name, or false for a
 * name that is not a build-id cache file (probes, directories' other
 * contents, anything else).
 *	DSO.../ID/KIND, [kernel.kallsyms]/ID (old), .build-id/xx/REST/KIND
 *	(an archive made with tar -h)
 */
static bool parse_name(const char *name, struct sd_build_id *id,
		       enum kind *kind, bool *kernel)
{
	const char *comp[64];
	size_t len[64], n = 0;
	const char *p = name;

	while (*p && n < 64) {
		size_t w = strcspn(p, "/");
		if (w) {
			comp[n] = p;
			len[n++] = w;
		}
		p += w;
		while (*p == '/')
			p++;
	}
	if (n < 2 || *p)
		return false;
	*kernel = len[0] == strlen(KERNEL_DIR) &&
		  !memcmp(comp[0], KERNEL_DIR, len[0]);
	if (len[0] == 9 && !memcmp(comp[0], ".build-id", 9)) {
		char hex[2 * SD_BUILD_ID_MAX + 1];
		if (n != 4 || len[1] != 2 || len[1] + len[2] > 2 * SD_BUILD_ID_MAX)
			return false;
		memcpy(hex, comp[1], 2);
		memcpy(hex + 2, comp[2], len[2]);
		if (parse_hex_id(hex, 2 + len[2], id))
			return false;
		char k[16];
		if (len[3] >= sizeof k)
			return false;
		memcpy(k, comp[3], len[3]);
		k[len[3]] = 0;
		*kind = kind_of(k);
		*kernel = *kind == K_KALLSYMS;
		return *kind != K_NONE;
	}
	if (*kernel && n == 2)
		return !parse_hex_id(comp[1], len[1], id) &&
		       (*kind = K_KALLSYMS, true);
	char k[16];
	if (len[n - 1] >= sizeof k || parse_hex_id(comp[n - 2], len[n - 2], id))
		return false;
	memcpy(k, comp[n - 1], len[n - 1]);
	k[len[n - 1]] = 0;
	*kind = kind_of(k);
	if (*kind == K_NONE || (*kind == K_KALLSYMS) != *kernel)
		return false;
	return true;
}

static int add_path(struct sd_perf_archive *pa, char *path)
{
	if (pa->nr_paths == pa->cap_paths) {
		size_t cap = pa->cap_paths ? 2 * pa->cap_paths : 16;
		char **v = realloc(pa->paths, cap * sizeof *v);
		if (!v) {
			free(path);
			return -ENOMEM;
		}
		pa->paths = v;
		pa->cap_paths = cap;
	}
	pa->paths[pa->nr_paths++] = path;
	return 0;
}

/* mkdir under the archive's directory, remembered for removal. */
static int make_dir(struct sd_perf_archive *pa, const char *rel)
{
	char *p = NULL;

	if (!(p = sd_asprintf("%s/%s", pa->dir, rel)))
		return -ENOMEM;
	if (mkdir(p, 0700)) {
		int err = errno == EEXIST ? 0 : -errno;
		free(p);
		return err;
	}
	return add_path(pa, p);
}

static bool held(const struct sd_perf_archive *pa, const struct sd_build_id *id,
		 bool kernel)
{
	for (size_t i = 0; i < pa->nr_ids; i++)
		if (pa->ids[i].kernel == kernel && pa->ids[i].id.size == id->size &&
		    !memcmp(pa->ids[i].id.data, id->data, id->size))
			return true;
	return false;
}

static void hex_of(const struct sd_build_id *id, char *hex)
{
	for (size_t i = 0; i < id->size; i++)
		sprintf(hex + 2 * i, "%02x", id->data[i]);
	hex[2 * id->size] = 0;
}

/* Streams the current member into its place; 0, or an error. */
static int keep(struct pctx *c, const char *name, const struct sd_build_id *id,
		enum kind kind, bool kernel, uint64_t size)
{
	struct sd_perf_archive *pa = c->pa;
	char hex[2 * SD_BUILD_ID_MAX + 1], rel[160], *path = NULL;
	struct statvfs vfs;
	uint64_t got = 0;
	int fd, err = 0;

	if (size > SD_PERF_ARCHIVE_MAX_MEMBER)
		return fail(c, -SD_E_LIMIT, (uint64_t)archive_read_header_position(c->in),
			    "member '%s' claims %llu bytes, over the limit of "
			    "%llu",
			    name, (unsigned long long)size,
			    SD_PERF_ARCHIVE_MAX_MEMBER);
	if (pa->total + size > SD_PERF_ARCHIVE_MAX_TOTAL)
		return fail(c, -SD_E_LIMIT, UINT64_MAX,
			    "the perf archive's symbol files pass %llu bytes "
			    "at member '%s'",
			    SD_PERF_ARCHIVE_MAX_TOTAL, name);
	if (!statvfs(c->tmpdir, &vfs) && vfs.f_frsize &&
	    size / vfs.f_frsize >= (uint64_t)vfs.f_bavail)
		return fail(c, -ENOSPC, UINT64_MAX,
			    "the perf archive's '%s' needs %llu bytes, more "
			    "than %s has free (set TMPDIR to a larger "
			    "directory)",
			    name, (unsigned long long)size, c->tmpdir);
	hex_of(id, hex);
	if (kernel) {
		if ((err = make_dir(pa, KERNEL_DIR)))
			return err;
		snprintf(rel, sizeof rel, KERNEL_DIR "/%s", hex);
	} else {
		if ((err = make_dir(pa, ".build-id")))
			return err;
		snprintf(rel, sizeof rel, ".build-id/%.2s", hex);
		if ((err = make_dir(pa, rel)))
			return err;
		snprintf(rel, sizeof rel, ".build-id/%.2s/%s", hex, hex + 2);
	}
	if ((err = make_dir(pa, rel)))
		return err;
	if (!(path = sd_asprintf("%s/%s/%s", pa->dir, rel, kind_names[kind])))
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		free(path);
		/* a second copy of the same file: the first one stays */
		return err == -EEXIST ? 0 : err;
	}
	/* files go before the directories in the removal order */
	if ((err = add_path(pa, path))) {
		close(fd);
		return err;
	}
	memmove(pa->paths + 1, pa->paths, (pa->nr_paths - 1) * sizeof *pa->paths);
	pa->paths[0] = path;
	pa->nr_files++;
	uint8_t *buf = malloc(COPY_CHUNK);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		la_ssize_t r = archive_read_data(c->in, buf, COPY_CHUNK);
		if (r < 0) {
			err = sd_larc_error(c->in);
			break;
		}
		if (r == 0)
			break;
		if ((err = sd_write_all(fd, buf, (size_t)r)))
			break;
		got += (uint64_t)r;
	}
	free(buf);
	if (close(fd) && !err)
		err = -errno;
	if (err)
		return err;
	pa->total += got;
	c->kept++;
	if (!held(pa, id, kernel) && pa->nr_ids < SD_PERF_ARCHIVE_MAX_IDS) {
		struct held *v = realloc(pa->ids, (pa->nr_ids + 1) * sizeof *v);
		if (!v)
			return -ENOMEM;
		pa->ids = v;
		pa->ids[pa->nr_ids].id = *id;
		pa->ids[pa->nr_ids++].kernel = kernel;
	}
	return 0;
}

/* ---- for the bundle reader: DSO members under "dsos/" ------------------- */

struct sd_perf_archive *sd_pa_new(const char *tmpdir, struct sd_diags *why,
				  int *err)
{
	struct pctx c = {.tmpdir = tmpdir, .why = why};
	struct sd_perf_archive *pa = calloc(1, sizeof *pa);

	*err = -ENOMEM;
	if (!pa)
		return NULL;
	sd_diags_init(&pa->diags);
	c.pa = pa;
	pa->dir = sd_asprintf("%s/swapdiag-bundle-dsos.XXXXXX", tmpdir);
	if (!pa->dir) {
		free(pa);
		return NULL;
	}
	if (!mkdtemp(pa->dir)) {
		*err = -errno;
		fail(&c, *err, UINT64_MAX,
		     "cannot make a temporary directory in %s for the bundle's "
		     "DSOs: %s (set TMPDIR to a writable directory)",
		     tmpdir, strerror(-*err));
		free(pa->dir);
		free(pa);
		return NULL;
	}
	*err = 0;
	return pa;
}

int sd_pa_member(struct sd_perf_archive *pa, struct archive *in,
		 const char *name, uint64_t size, const char *tmpdir,
		 struct sd_diags *why)
{
	struct pctx c = {.pa = pa, .in = in, .tmpdir = tmpdir, .why = why};
	struct sd_build_id id = {0};
	enum kind kind;
	bool kernel;
	int err;

	if (!parse_name(name, &id, &kind, &kernel) || kernel)
		return 0;
	err = keep(&c, name, &id, kind, kernel, size);
	if (err && pa->nr_files)
		unlink(pa->paths[0]); /* a cut file is no symbol file */
	return err ? err : 1;
}

static int read_all(struct pctx *c)
{
	struct sd_perf_archive *pa = c->pa;
	size_t members = 0;

	for (;;) {
		struct archive_entry *e;
		uint64_t off = sd_larc_offset(c->in);
		int r = archive_read_next_header(c->in, &e);
		struct sd_build_id id = {0};
		enum kind kind;
		bool kernel;
		int err;

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			err = sd_larc_error(c->in);
			if (!members || err == -ENOMEM)
				return fail(c, err == -SD_E_TRUNCATED ||
							       err == -ENOMEM
						       ? err
						       : -SD_E_BAD_MAGIC,
					    off, "not a readable perf archive: %s",
					    sd_larc_why(c->in));
			/* what was read stays usable */
			c->cut = true;
			sd_diags_add(&pa->diags, SD_WARNING, err, off,
				     "the perf archive is %s after %zu "
				     "members (%s); the symbol files before "
				     "that are used",
				     err == -SD_E_TRUNCATED ? "truncated"
							    : "damaged",
				     members, sd_larc_why(c->in));
			break;
		}
		members++;
		const char *name = sd_larc_name(e);
		if (archive_entry_filetype(e) != AE_IFREG ||
		    archive_entry_hardlink(e) || !sd_tar_name_ok(name) ||
		    !parse_name(name, &id, &kind, &kernel))
			continue; /* links, directories, probes: skipped */
		err = keep(c, name, &id, kind, kernel,
			   (uint64_t)archive_entry_size(e));
		if (err == -SD_E_TRUNCATED || err == -SD_E_ZSTD || err == -EBADMSG) {
			sd_diags_add(&pa->diags, SD_WARNING, err,
				     sd_larc_offset(c->in),
				     "the perf archive is %s inside '%s'; "
				     "the symbol files before it are used",
				     err == -SD_E_TRUNCATED ? "truncated"
							    : "damaged",
				     name);
			/* the cut file is not a symbol file: drop it */
			unlink(pa->paths[0]);
			c->cut = true;
			break;
		}
		if (err)
			return err;
	}
	if (!c->kept && c->cut)
		return fail(c, -SD_E_TRUNCATED, UINT64_MAX,
			    "the perf archive is cut or damaged before its first "
			    "whole symbol file");
	if (!c->kept)
		return fail(c, -SD_E_BAD_MAGIC, UINT64_MAX,
			    "no kallsyms or ELF file in perf archive form "
			    "([kernel.kallsyms]/ID/kallsyms, DSO/ID/elf): not a "
			    "perf archive, or an empty one");
	return 0;
}

struct sd_perf_archive *sd_perf_archive_free(struct sd_perf_archive *a)
{
	if (!a)
		return NULL;
	/* files first, then directories, the deepest (last made) first */
	for (size_t i = 0; i < a->nr_files; i++)
		unlink(a->paths[i]);
	for (size_t i = a->nr_paths; i-- > a->nr_files;)
		rmdir(a->paths[i]);
	if (a->dir)
		rmdir(a->dir);
	for (size_t i = 0; i < a->nr_paths; i++)
		free(a->paths[i]);
	free(a->paths);
	free(a->ids);
	free(a->dir);
	sd_diags_clear(&a->diags);
	free(a);
	return NULL;
}

static int open_common(struct pctx *c, struct sd_perf_archive **out)
{
	struct sd_perf_archive *pa = c->pa;
	int err;

	sd_diags_init(&pa->diags);
	pa->dir = sd_asprintf("%s/swapdiag-perf-archive.XXXXXX", c->tmpdir);
	if (!pa->dir) {
		err = -ENOMEM;
	} else if (!mkdtemp(pa->dir)) {
		err = -errno;
		fail(c, err, UINT64_MAX,
		     "cannot make a temporary directory in %s for the perf "
		     "archive: %s (set TMPDIR to a writable directory)",
		     c->tmpdir, strerror(-err));
		free(pa->dir);
		pa->dir = NULL;
	} else {
		err = read_all(c);
	}
	archive_read_free(c->in);
	if (err) {
		sd_perf_archive_free(pa);
		return err;
	}
	*out = pa;
	return 0;
}

int sd_perf_archive_open(const char *path, const struct sd_bundle_opts *o,
			 struct sd_diags *diags, struct sd_perf_archive **out)
{
	struct pctx c = {.tmpdir = sd_bundle_tmpdir(o), .why = diags};
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	c.pa = calloc(1, sizeof *c.pa);
	c.in = c.pa ? sd_larc_read_fd(fd, SD_LARC_ALL) : NULL;
	if (!c.in) {
		free(c.pa);
		close(fd);
		return -ENOMEM;
	}
	err = open_common(&c, out);
	close(fd);
	return err;
}

int sd_perf_archive_open_mem(const void *buf, size_t len,
			     const struct sd_bundle_opts *o,
			     struct sd_diags *diags,
			     struct sd_perf_archive **out)
{
	struct pctx c = {.tmpdir = sd_bundle_tmpdir(o), .why = diags};

	c.pa = calloc(1, sizeof *c.pa);
	c.in = c.pa ? sd_larc_read_mem(buf, len, SD_LARC_ALL) : NULL;
	if (!c.in) {
		free(c.pa);
		return -ENOMEM;
	}
	return open_common(&c, out);
}

/* A perf archive starts with cache names (perf-archive.sh lists the
 * .build-id link, then its target); a few members decide. */
static int probe(struct archive *a)
{
	struct archive_entry *e;
	int found = 0;

	if (!a)
		return -ENOMEM;
	for (int i = 0; i < 8 && !found; i++) {
		if (archive_read_next_header(a, &e) < ARCHIVE_WARN)
			break;
		const char *n = sd_larc_name(e);
		struct sd_build_id id;
		enum kind kind;
		bool kernel;
		found = !strncmp(n, ".build-id/", 10) ||
			(sd_tar_name_ok(n) && parse_name(n, &id, &kind, &kernel));
	}
	archive_read_free(a);
	return found;
}

int sd_perf_archive_probe(const char *path)
{
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return sd_larc_probe_path(path, SD_LARC_ALL, probe);
}

int sd_perf_archive_probe_mem(const void *buf, size_t len)
{
	return probe(sd_larc_read_mem(buf, len, SD_LARC_ALL));
}

const char *sd_perf_archive_dir(const struct sd_perf_archive *a)
{
	return a->dir;
}

size_t sd_perf_archive_nr_ids(const struct sd_perf_archive *a)
{
	return a->nr_ids;
}

const struct sd_build_id *sd_perf_archive_id(const struct sd_perf_archive *a,
					     size_t i, bool *kernel)
{
	if (i >= a->nr_ids)
		return NULL;
	if (kernel)
		*kernel = a->ids[i].kernel;
	return &a->ids[i].id;
}

struct sd_diags *sd_perf_archive_diags(struct sd_perf_archive *a)
{
	return &a->diags;
}

size_t sd_perf_archive_temp_files(const struct sd_perf_archive *a,
				  const char **paths, size_t max)
{
	size_t n = 0, files = a->nr_files;

	/* files are at the front; directories in creation order, so the
	 * deepest last: hand those out in reverse */
	for (size_t i = 0; i < files && n < max; i++)
		paths[n++] = a->paths[i];
	for (size_t i = a->nr_paths; i-- > files && n < max;)
		paths[n++] = a->paths[i];
	if (a->dir && n < max)
		paths[n++] = a->dir;
	return n;
}
