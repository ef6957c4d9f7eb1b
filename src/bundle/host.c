/* SPDX-License-Identifier: MIT */
/*
 * The host context of a bundle, parsed from its text members.  Each text
 * is (buf, len), not trusted to end in NUL or newline; lines longer than
 * MAX_LINE and lines that do not parse are skipped and counted in one
 * warning per member.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/internal.h"

#define MAX_LINE 4096
#define MAX_SWAPS 64
#define MAX_VM 512
#define MAX_PROCS 100

struct lines {
	const char *p, *end;
};

/* The next line as a NUL-terminated copy in buf; false at the end. */
static bool next_line(struct lines *l, char *buf, bool *too_long)
{
	if (!l->p || l->p >= l->end)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	size_t n = (size_t)((nl ? nl : l->end) - l->p);
	*too_long = n >= MAX_LINE;
	if (!*too_long) {
		memcpy(buf, l->p, n);
		buf[n] = 0;
	} else {
		buf[0] = 0;
	}
	l->p = nl ? nl + 1 : l->end;
	return true;
}

/* A decimal integer that is the whole of s (after blanks), >= 0. */
static bool parse_i64(const char *s, int64_t *out)
{
	int64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s)
		return false;
	*out = v;
	return true;
}

/* Like parse_i64, with an optional leading '-'. */
static bool parse_s64(const char *s, int64_t *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-') {
		int64_t v;
		if (!parse_i64(s + 1, &v))
			return false;
		*out = -v;
		return true;
	}
	return parse_i64(s, out);
}

/* Control characters (and DEL) become '?': names are shown to people. */
static char *clean_dup(const char *s)
{
	char *d = strdup(s);

	for (char *p = d; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return d;
}

/* /proc/swaps escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s)
{
	char *d = malloc(strlen(s) + 1), *o = d;

	if (!d)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	for (char *p = d; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return d;
}

/* Splits s at runs of blanks (tabs too if tabs), up to max fields. */
static size_t split(char *s, char **f, size_t max, const char *seps)
{
	size_t n = 0;

	while (*s && n < max) {
		s += strspn(s, seps);
		if (!*s)
			break;
		f[n++] = s;
		s += strcspn(s, seps);
		if (*s)
			*s++ = 0;
	}
	return n;
}

/*
 *	Filename	Type		Size		Used	Priority
 *	/dev/vda2	partition	2097148		524288	-2
 */
static int parse_swaps(struct sd_host *h, const char *t, size_t len,
		       uint64_t *bad)
{
	struct lines l = {t, t + len};
	char *line = malloc(MAX_LINE), *f[6];
	bool too_long, first = true;
	int err = 0;

	if (!line)
		return -ENOMEM;
	while (next_line(&l, line, &too_long)) {
		if (first) {
			first = false;
			if (!strncmp(line, "Filename", 8))
				continue;
		}
		if (too_long) {
			(*bad)++;
			continue;
		}
		size_t n = split(line, f, 6, " \t");
		if (!n)
			continue;
		struct sd_host_swap s = {.size_kib = -1, .used_kib = -1,
					 .priority = -1};
		if (n != 5 || !parse_i64(f[2], &s.size_kib) ||
		    !parse_i64(f[3], &s.used_kib) ||
		    !parse_s64(f[4], &s.priority) || h->nr_swaps >= MAX_SWAPS) {
			(*bad)++;
			continue;
		}
		struct sd_host_swap *v = realloc(h->swaps, (h->nr_swaps + 1) *
								   sizeof *v);
		if (!v) {
			err = -ENOMEM;
			break;
		}
		h->swaps = v;
		s.name = unescape_octal(f[0]);
		s.type = clean_dup(f[1]);
		h->swaps[h->nr_swaps++] = s;
		if (!s.name || !s.type) {
			err = -ENOMEM;
			break;
		}
	}
	free(line);
	return err;
}

/* "MemTotal:        8024156 kB" */
static int parse_meminfo(struct sd_host *h, const char *t, size_t len,
			 uint64_t *bad)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"MemTotal", offsetof(struct sd_host, mem_total_kib)},
		{"MemAvailable", offsetof(struct sd_host, mem_available_kib)},
		{"SwapTotal", offsetof(struct sd_host, swap_total_kib)},
		{"SwapFree", offsetof(struct sd_host, swap_free_kib)},
		{"SwapCached", offsetof(struct sd_host, swap_cached_kib)},
		{"AnonPages", offsetof(struct sd_host, anon_pages_kib)},
	};
	struct lines l = {t, t + len};
	char *line = malloc(MAX_LINE);
	bool too_long;

	if (!line)
		return -ENOMEM;
	while (next_line(&l, line, &too_long)) {
		char *colon = too_long ? NULL : strchr(line, ':');
		if (!colon) {
			if (line[0] || too_long)
				(*bad)++;
			continue;
		}
		*colon = 0;
		char *v = colon + 1;
		size_t vl = strlen(v);
		if (vl >= 3 && !strcmp(v + vl - 3, " kB"))
			v[vl - 3] = 0;
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (strcmp(line, keys[i].key))
				continue;
			int64_t x;
			if (parse_i64(v, &x))
				memcpy((char *)h + keys[i].off, &x, sizeof x);
			else
				(*bad)++;
		}
	}
	free(line);
	return 0;
}

/* "vm.swappiness = 60" */
static int parse_sysctl(struct sd_host *h, const char *t, size_t len,
			uint64_t *bad)
{
	struct lines l = {t, t + len};
	char *line = malloc(MAX_LINE);
	bool too_long;
	int err = 0;

	if (!line)
		return -ENOMEM;
	while (next_line(&l, line, &too_long)) {
		if (too_long) {
			(*bad)++;
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		char *eq = strstr(line, " = ");
		if (!eq || strncmp(line, "vm.", 3) || eq == line + 3 ||
		    h->nr_vm >= MAX_VM) {
			(*bad)++;
			continue;
		}
		*eq = 0;
		struct sd_host_setting *v =
			realloc(h->vm, (h->nr_vm + 1) * sizeof *v);
		if (!v) {
			err = -ENOMEM;
			break;
		}
		h->vm = v;
		struct sd_host_setting *s = &h->vm[h->nr_vm++];
		s->name = clean_dup(line + 3);
		s->value = clean_dup(eq + 3);
		if (!s->name || !s->value) {
			err = -ENOMEM;
			break;
		}
		if (!strcmp(s->name, "swappiness")) {
			int64_t x;
			if (parse_i64(s->value, &x))
				h->swappiness = x;
		}
	}
	free(line);
	return err;
}

/* "# ..." comments, then "PID\tCOMM\tVMSWAP_KIB\tVMRSS_KIB" rows */
static int parse_procs(struct sd_host *h, const char *t, size_t len,
		       uint64_t *bad)
{
	struct lines l = {t, t + len};
	char *line = malloc(MAX_LINE), *f[5];
	bool too_long;
	int err = 0;

	if (!line)
		return -ENOMEM;
	while (next_line(&l, line, &too_long)) {
		if (too_long) {
			(*bad)++;
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		/* the comm may hold spaces: split at tabs only */
		size_t n = split(line, f, 5, "\t");
		int64_t pid, swap, rss;
		if (n != 4 || !parse_i64(f[0], &pid) || pid > UINT32_MAX ||
		    !parse_i64(f[2], &swap) || !parse_s64(f[3], &rss) ||
		    h->nr_procs >= MAX_PROCS) {
			(*bad)++;
			continue;
		}
		struct sd_host_proc *v =
			realloc(h->procs, (h->nr_procs + 1) * sizeof *v);
		if (!v) {
			err = -ENOMEM;
			break;
		}
		h->procs = v;
		struct sd_host_proc *p = &h->procs[h->nr_procs++];
		p->comm = clean_dup(f[1]);
		p->pid = (uint32_t)pid;
		p->swap_kib = swap;
		p->rss_kib = rss < 0 ? -1 : rss;
		if (!p->comm) {
			err = -ENOMEM;
			break;
		}
	}
	free(line);
	return err;
}

static int by_swap(const void *a, const void *b)
{
	const struct sd_host_proc *x = a, *y = b;

	if (x->swap_kib != y->swap_kib)
		return x->swap_kib > y->swap_kib ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

struct sd_host *sd_host_free(struct sd_host *h)
{
	if (!h)
		return NULL;
	for (size_t i = 0; i < h->nr_swaps; i++) {
		free(h->swaps[i].name);
		free(h->swaps[i].type);
	}
	for (size_t i = 0; i < h->nr_vm; i++) {
		free(h->vm[i].name);
		free(h->vm[i].value);
	}
	for (size_t i = 0; i < h->nr_procs; i++)
		free(h->procs[i].comm);
	free(h->swaps);
	free(h->vm);
	free(h->procs);
	free(h->uname);
	free(h->created);
	free(h->record_command);
	free(h);
	return NULL;
}

int sd_host_parse(const char *swaps, size_t swaps_len, const char *meminfo,
		  size_t meminfo_len, const char *sysctl_vm,
		  size_t sysctl_vm_len, const char *procs, size_t procs_len,
		  struct sd_diags *diags, struct sd_host **out)
{
	struct sd_host *h = calloc(1, sizeof *h);
	uint64_t bad[4] = {0};
	static const char *const what[4] = {SD_BUNDLE_SWAPS, SD_BUNDLE_MEMINFO,
					    SD_BUNDLE_SYSCTL_VM,
					    SD_BUNDLE_PROCS};
	int err = 0;

	if (!h)
		return -ENOMEM;
	h->duration_s = -1;
	h->swappiness = -1;
	h->mem_total_kib = h->mem_available_kib = h->swap_total_kib =
		h->swap_free_kib = h->swap_cached_kib = h->anon_pages_kib = -1;
	h->forks = -1;
	h->forks_per_s = -1;
	if ((swaps && (err = parse_swaps(h, swaps, swaps_len, &bad[0]))) ||
	    (meminfo &&
	     (err = parse_meminfo(h, meminfo, meminfo_len, &bad[1]))) ||
	    (sysctl_vm &&
	     (err = parse_sysctl(h, sysctl_vm, sysctl_vm_len, &bad[2]))) ||
	    (procs && (err = parse_procs(h, procs, procs_len, &bad[3])))) {
		sd_host_free(h);
		return err;
	}
	if (h->nr_procs > 1)
		qsort(h->procs, h->nr_procs, sizeof *h->procs, by_swap);
	for (size_t i = 0; i < 4 && diags; i++)
		if (bad[i])
			sd_diags_add(diags, SD_WARNING, -EBADMSG, UINT64_MAX,
				     "bundle member %s: %llu line%s skipped "
				     "(not in the expected form, or past a "
				     "limit)",
				     what[i], (unsigned long long)bad[i],
				     bad[i] == 1 ? "" : "s");
	*out = h;
	return 0;
}
