/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record, the bundle: the host context taken as the recording
 * starts (uname -a, /proc/swaps, /proc/meminfo, vm.* sysctls, the
 * processes with the most swap, /proc/kallsyms), perf.data and the
 * sampled DSOs written with the manifest (src/bundle/ makes the archive)
 * into a staging directory beside the output, then renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>
#include <swapdiag/symbols.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "config.h"

#define KALLSYMS_MAX (1u << 30)
#define SMALL_MAX (4u << 20)

/*
 * The running kernel's build-id (hex into buf), from /sys/kernel/notes, or
 * NULL: with it the bundle's kallsyms is checked against the recording's
 * kernel build-id when the bundle is analysed.
 */
const char *record_host_kernel_build_id(char *buf)
{
	struct sd_build_id id;
	char *notes;
	size_t len;

	if (sd_host_read_file("/sys/kernel/notes", 1 << 16, &notes, &len))
		return NULL;
	int err = sd_notes_build_id(notes, len, &id);
	free(notes);
	if (err)
		return NULL;
	sd_build_id_hex(&id, buf);
	return buf;
}

static int write_members(int fd, const struct record_member *m, size_t n,
			const struct sd_bundle_dsos *dsos,
			const struct sd_bundle_meta *meta)
{
	size_t nd = dsos ? dsos->n : 0;
	struct sd_bundle_entry *files = calloc(n + nd + 1, sizeof *files);
	struct sd_bundle_writer *w = NULL;
	char *manifest = NULL;
	size_t mlen;
	uint64_t mtime = (uint64_t)meta->created;
	int err;

	if (!files)
		return -ENOMEM;
	/* the DSOs before perf.data, which stays last */
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i == n - 1)
			for (size_t j = 0; j < nd; j++)
				files[k++] = (struct sd_bundle_entry){
					dsos->v[j].member, dsos->v[j].size,
					"sampled DSO, by build-id"};
		files[k++] = (struct sd_bundle_entry){m[i].name, m[i].size,
						      m[i].content};
	}
	err = sd_bundle_manifest(meta, files, n + nd, &manifest, &mlen);
	free(files);
	if (!err)
		err = sd_bundle_writer_new(fd, HAVE_ZSTD, &w);
	if (!err)
		err = sd_bundle_writer_add(w, SD_BUNDLE_MANIFEST, manifest, mlen,
					   mtime);
	for (size_t i = 0; i < n && !err; i++) {
		if (i == n - 1 && nd)
			err = cli_record_add_dsos(w, dsos, mtime);
		if (!err)
			err = m[i].fd >= 0
			      ? sd_bundle_writer_add_fd(w, m[i].name, m[i].fd, mtime)
			      : sd_bundle_writer_add(w, m[i].name, m[i].buf,
						     m[i].len, mtime);
	}
	if (!err)
		err = sd_bundle_writer_finish(w);
	sd_bundle_writer_free(w);
	free(manifest);
	return err;
}

static char *uname_a(void)
{
	struct utsname u;
	char *s = NULL;

	if (uname(&u) || asprintf(&s, "%s %s %s %s %s GNU/Linux\n", u.sysname,
				  u.nodename, u.release, u.version,
				  u.machine) < 0)
		return NULL;
	return s;
}

char *record_default_output(void)
{
	char host[256] = "host", stamp[32], *out = NULL;
	time_t t = time(NULL);
	struct tm tm;

	gethostname(host, sizeof host - 1);
	for (char *p = host; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20)
			*p = '_';
	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	if (asprintf(&out, "swapdiag-%s-%s%s", host, stamp,
		     HAVE_ZSTD ? SD_BUNDLE_SUFFIX_ZST : SD_BUNDLE_SUFFIX_TAR) < 0)
		return NULL;
	return out;
}

char *record_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Removes the staging directory and what is in it (our files only). */
void record_remove_staging(const char *dir)
{
	static const char *const names[] = {"perf.data", "perf.data.old",
					    "bundle.partial"};
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* One member in b: from memory (buf, len) or an open file (fd). */
static struct record_member *add(struct record_bundle *b, const char *name,
				 const char *content)
{
	struct record_member *m = &b->m[b->n];

	*m = (struct record_member){name, content, NULL, 0, -1, 0};
	return m;
}

int record_collect_host(struct record_bundle *b)
{
	static const struct {
		const char *name, *path, *content;
	} procfiles[] = {
		{SD_BUNDLE_SWAPS, "/proc/swaps", "/proc/swaps"},
		{SD_BUNDLE_MEMINFO, "/proc/meminfo", "/proc/meminfo"},
	};
	struct record_member *mp;
	int err;

	mp = add(b, SD_BUNDLE_UNAME, "uname -a");
	if ((mp->buf = uname_a())) {
		mp->len = strlen(mp->buf);
		b->n++;
	}
	for (size_t i = 0; i < 2; i++) {
		mp = add(b, procfiles[i].name, procfiles[i].content);
		if (!sd_host_read_file(procfiles[i].path, SMALL_MAX, &mp->buf,
				       &mp->len))
			b->n++;
		else
			cli_warn("cannot read %s: left out of the bundle",
				 procfiles[i].path);
	}
	mp = add(b, SD_BUNDLE_SYSCTL_VM, "/proc/sys/vm/*");
	if (!sd_host_collect_sysctl("/proc/sys/vm", "vm", &mp->buf, &mp->len))
		b->n++;
	else
		cli_warn("cannot read /proc/sys/vm: left out of the bundle");
	mp = add(b, SD_BUNDLE_PROCS, "top processes by VmSwap (/proc/PID/status)");
	if (!sd_host_collect_procs("/proc", RECORD_TOP_PROCS, &mp->buf,
				   &mp->len))
		b->n++;
	else
		cli_warn("cannot list the processes in /proc: left out of the "
			 "bundle");
	mp = add(b, SD_BUNDLE_KALLSYMS, "/proc/kallsyms");
	if ((err = sd_host_read_file("/proc/kallsyms", KALLSYMS_MAX, &mp->buf,
				     &mp->len))) {
		cli_error("cannot copy /proc/kallsyms: %s", sd_strerror(err));
		return -1;
	}
	b->n++;
	return 0;
}

void record_add_perf_data(struct record_bundle *b, int fd, uint64_t size)
{
	struct record_member *mp = add(b, SD_BUNDLE_PERF_DATA,
				       "perf record output");

	mp->fd = fd;
	mp->size = size;
	b->n++;
	for (size_t i = 0; i < b->n; i++)
		if (b->m[i].fd < 0)
			b->m[i].size = b->m[i].len;
}

int record_write_bundle(const struct record_bundle *b, const char *partial,
			const char *output, const struct sd_bundle_dsos *dsos,
			const struct sd_bundle_meta *meta)
{
	struct stat st;
	int err;
	int ofd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (ofd < 0) {
		cli_error("cannot write '%s': %s", partial, strerror(errno));
		return -1;
	}
	err = write_members(ofd, b->m, b->n, dsos, meta);
	if (!err && fsync(ofd))
		err = -errno;
	if (close(ofd) && !err)
		err = -errno;
	if (!err && rename(partial, output))
		err = -errno;
	if (err) {
		cli_error("cannot write the bundle '%s': %s", output,
			  sd_strerror(err));
		return -1;
	}
	if (!stat(output, &st))
		cli_info("wrote %s (%.1f MiB): analyse it here or on any "
			 "machine with 'swapdiag %s'",
			 output, (double)st.st_size / (1 << 20), output);
	return 0;
}

void record_bundle_clear(struct record_bundle *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->m[i].buf);
		if (b->m[i].fd >= 0)
			close(b->m[i].fd);
	}
	b->n = 0;
}
