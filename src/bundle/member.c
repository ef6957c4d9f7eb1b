/* SPDX-License-Identifier: MIT */
/*
 * One member of a bundle: matched by name against a fixed list and never
 * used as a path; perf.data and kallsyms streamed into mkstemp files, the
 * small ones read into memory, every size checked against its cap and
 * against the data that is there; "dsos/..." members handed to the perf
 * archive reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/read.h"
#include "util/str.h"

#define COPY_CHUNK (1u << 20)

static const char *const member_names[M_COUNT] = {
	SD_BUNDLE_MANIFEST, SD_BUNDLE_UNAME,	SD_BUNDLE_SWAPS,
	SD_BUNDLE_MEMINFO,  SD_BUNDLE_SYSCTL_VM, SD_BUNDLE_PROCS,
	SD_BUNDLE_KALLSYMS, SD_BUNDLE_PERF_DATA,
};

/*
 * Reads up to n bytes of the current member: fewer only at its end.
 * Returns the count or the error (sd_larc_error()).
 */
static ssize_t member_read(struct sd_br_ctx *c, void *buf, size_t n)
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

static int make_temp(struct sd_br_ctx *c, const char *what, char **path)
{
	char *p = NULL;
	int fd;

	if (!(p = sd_asprintf("%s/swapdiag-bundle-%s.XXXXXX", c->tmpdir, what)))
		return -ENOMEM;
	fd = mkostemp(p, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		sd_br_fail(c, err, UINT64_MAX,
			   "cannot make a temporary file in %s for the "
			   "bundle's %s: "
			   "%s (set TMPDIR to a writable directory)",
			   c->tmpdir, what, strerror(-err));
		free(p);
		return err;
	}
	*path = p;
	return fd;
}

static int raw_tail(struct sd_br_ctx *c, uint64_t off, uint64_t max, int fd,
		    uint64_t *got)
{
	struct sd_larc_src src = sd_br_src(c);

	return sd_larc_raw_copy(&src, off, max, fd, got);
}


/*
 * Streams a member into a new temporary file.  A member cut short keeps
 * what was there and returns -SD_E_TRUNCATED (with *got set).
 */
static int extract(struct sd_br_ctx *c, uint64_t size, const char *what,
		   char **path, uint64_t *got)
{
	struct statvfs vfs;
	uint8_t *buf;
	int fd, err = 0;

	*got = 0;
	/* a hostile size field must not fill the disk before it fails */
	if (!statvfs(c->tmpdir, &vfs) && vfs.f_frsize &&
	    size / vfs.f_frsize >= (uint64_t)vfs.f_bavail)
		return sd_br_fail(
			c, -ENOSPC, sd_larc_offset(c->in),
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
			sd_br_fail(c, err, UINT64_MAX,
				   "writing the bundle's %s to %s: %s", what,
				   *path, strerror(-err));
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
int sd_br_member(struct sd_br_ctx *c, struct archive_entry *e,
			const char *name, uint64_t hdr_off)
{
	struct sd_bundle *b = c->b;
	enum member k = member_of(name);
	uint64_t got = 0, size = (uint64_t)archive_entry_size(e);
	mode_t type = archive_entry_filetype(e);
	int err = 0;

	if ((type != AE_IFREG && type != AE_IFDIR) ||
	    archive_entry_hardlink(e) || archive_entry_symlink(e))
		return sd_br_fail(
			c, -EBADMSG, hdr_off,
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
			return sd_br_fail(c, err, sd_larc_offset(c->in),
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
		return sd_br_fail(c, -EBADMSG, hdr_off,
				  "member '%s' has no size", name);
	if (b->seen[k])
		return sd_br_fail(c, -EBADMSG, hdr_off,
				  "member '%s' appears twice", name);
	b->seen[k] = true;
	if (k == M_PERF_DATA || k == M_KALLSYMS) {
		uint64_t cap = k == M_PERF_DATA ? SD_BUNDLE_MAX_PERF_DATA
						: SD_BUNDLE_MAX_KALLSYMS;
		if (size > cap)
			return sd_br_fail(
				c, -SD_E_LIMIT, hdr_off,
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
		return sd_br_fail(
			c, -SD_E_LIMIT, hdr_off,
			"member '%s' claims %llu bytes, over the limit of "
			"%u",
			name, (unsigned long long)size, SD_BUNDLE_MAX_SMALL);
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
		return sd_br_fail(c, err, sd_larc_offset(c->in),
				  "the bundle is truncated inside member '%s' "
				  "(%llu bytes claimed)",
				  name, (unsigned long long)size);
	if (err == -SD_E_ZSTD)
		return sd_br_fail(
			c, err, sd_larc_offset(c->in),
			"the bundle's compressed data is damaged inside "
			"member '%s' (%s)",
			name, sd_larc_why(c->in));
	return err;
}

