/* SPDX-License-Identifier: MIT */
/*
 * Collecting the host context on the recorded host: /proc files whose
 * size is unknown until read, the vm sysctls, and the processes with the
 * most memory in swap.  The texts made here are the ones host.c parses.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/internal.h"
#include "util/file.h"
#include "util/str.h"

#define SYSCTL_VALUE_MAX 4096
#define STATUS_MAX (64u << 10)

struct buf {
	char *p;
	size_t n, cap;
	int err;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	buf_add(b, s, strlen(s));
	free(s);
}

static int buf_finish(struct buf *b, char **out, size_t *len)
{
	if (!b->err && !b->p)
		buf_add(b, "", 0);
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*out = b->p;
	*len = b->n;
	return 0;
}

int sd_host_read_file(const char *path, size_t max, char **out, size_t *len)
{
	return sd_read_file(path, max, out, len);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sd_host_collect_sysctl(const char *dir, const char *prefix, char **out,
			   size_t *len)
{
	DIR *d = opendir(dir);
	struct buf b = {0};
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **v = realloc(names, cap * sizeof *v);
			if (!v) {
				b.err = -ENOMEM;
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(e->d_name))) {
			b.err = -ENOMEM;
			break;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && !b.err; i++) {
		struct stat st;
		char *v = NULL;
		size_t vl;
		int fd = openat(dirfd(d), names[i],
				O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		/* write-only ones (drop_caches, compact_memory) are skipped */
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
		    sd_read_fd(fd, SYSCTL_VALUE_MAX, &v, &vl)) {
			close(fd);
			continue;
		}
		close(fd);
		/* one line: runs of whitespace (tabs, newlines) -> one space */
		size_t o = 0;
		bool space = false;
		for (size_t k = 0; k < vl; k++) {
			unsigned char c = (unsigned char)v[k];
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				space = o > 0;
				continue;
			}
			if (space)
				v[o++] = ' ';
			space = false;
			v[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
		v[o] = 0;
		buf_printf(&b, "%s.%s = %s\n", prefix, names[i], v);
		free(v);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return buf_finish(&b, out, len);
}

struct proc_row {
	uint32_t pid;
	int64_t swap_kib, rss_kib;
	char comm[64];
};

static int by_swap_desc(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->swap_kib != y->swap_kib)
		return x->swap_kib > y->swap_kib ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* "Key:\tvalue" of a status text, bounded by the text. */
static const char *status_field(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			p += kl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int64_t status_kib(const char *text, const char *key)
{
	const char *v = status_field(text, key);
	char *end;

	if (!v)
		return -1;
	long long x = strtoll(v, &end, 10);
	return end == v || x < 0 ? -1 : (int64_t)x;
}

int sd_host_collect_procs(const char *proc_root, size_t top, char **out,
			  size_t *len)
{
	DIR *d = opendir(proc_root);
	struct proc_row *rows = NULL;
	size_t n = 0, cap = 0;
	struct buf b = {0};
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && !b.err) {
		char path[64], *text = NULL, *end;
		size_t tl;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || end == e->d_name || pid > UINT32_MAX)
			continue;
		snprintf(path, sizeof path, "%lu/status", pid);
		int fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone meanwhile */
		int err = sd_read_fd(fd, STATUS_MAX, &text, &tl);
		close(fd);
		if (err)
			continue;
		struct proc_row r = {.pid = (uint32_t)pid};
		r.swap_kib = status_kib(text, "VmSwap");
		r.rss_kib = status_kib(text, "VmRSS");
		const char *name = status_field(text, "Name");
		if (name) {
			size_t k = strcspn(name, "\n");
			if (k >= sizeof r.comm)
				k = sizeof r.comm - 1;
			memcpy(r.comm, name, k);
			r.comm[k] = 0;
		}
		free(text);
		if (r.swap_kib <= 0)
			continue; /* kernel threads have none */
		for (char *c = r.comm; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		if (!r.comm[0])
			strcpy(r.comm, "?");
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			struct proc_row *v = realloc(rows, cap * sizeof *v);
			if (!v) {
				b.err = -ENOMEM;
				break;
			}
			rows = v;
		}
		rows[n++] = r;
	}
	closedir(d);
	if (n > 1)
		qsort(rows, n, sizeof *rows, by_swap_desc);
	buf_printf(&b, "# processes with the most memory in swap (VmSwap of "
		       "/proc/PID/status), heaviest first; KiB\n"
		       "# pid\tcomm\tvmswap_kib\tvmrss_kib\n");
	for (size_t i = 0; i < n && i < top; i++)
		buf_printf(&b, "%u\t%s\t%lld\t%lld\n", rows[i].pid, rows[i].comm,
			   (long long)rows[i].swap_kib,
			   (long long)rows[i].rss_kib);
	free(rows);
	return buf_finish(&b, out, len);
}

int sd_host_forks_since_boot(const char *proc_stat, int64_t *out)
{
	char *text = NULL;
	size_t len;
	int err = sd_host_read_file(proc_stat, 16u << 20, &text, &len);

	if (err)
		return err;
	err = -ENOENT;
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, "processes ", 10)) {
			char *end;
			long long v = strtoll(p + 10, &end, 10);
			if (end != p + 10 && v >= 0) {
				*out = v;
				err = 0;
			}
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	free(text);
	return err;
}
