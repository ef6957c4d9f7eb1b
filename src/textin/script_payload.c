/* SPDX-License-Identifier: MIT */
/* perf script tracepoint payloads the stall tracker needs: sched_switch
 * and lock contention, and the side-band record lines (see script.h for
 * their layouts). */
#include <string.h>

#include "textin/script.h"

/* value of "key=" up to the next " key2=" (comms may hold spaces) */
static bool field(const char *s, size_t n, const char *key, const char *next,
		  const char **v, size_t *vn)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl <= n; i++) {
		if (memcmp(s + i, key, kl) || (i && s[i - 1] != ' '))
			continue;
		const char *b = s + i + kl, *e = s + n;
		if (next) {
			size_t nl = strlen(next);
			for (const char *p = b; p + 1 + nl <= s + n; p++)
				if (*p == ' ' && !memcmp(p + 1, next, nl)) {
					e = p;
					break;
				}
		} else {
			e = b;
			while (e < s + n && !sd_tis_space(*e))
				e++;
		}
		*v = b;
		*vn = (size_t)(e - b);
		return true;
	}
	return false;
}

void sd_tscript_switch(const char *s, size_t n, struct sw_payload *p)
{
	const char *v;
	size_t vn;
	uint64_t x;

	memset(p, 0, sizeof *p);
	if (!field(s, n, "prev_comm=", "prev_pid=", &v, &vn))
		return;
	sd_tcopy(p->prev_comm, sizeof p->prev_comm, v, vn);
	if (!field(s, n, "prev_pid=", NULL, &v, &vn) || !sd_tparse_u64(v, vn, &x) ||
	    x >= UINT32_MAX)
		return;
	p->prev_pid = (uint32_t)x;
	if (!field(s, n, "prev_state=", NULL, &v, &vn) || !vn)
		return;
	sd_tcopy(p->prev_state, sizeof p->prev_state, v, vn);
	if (!field(s, n, "next_comm=", "next_pid=", &v, &vn))
		return;
	sd_tcopy(p->next_comm, sizeof p->next_comm, v, vn);
	if (!field(s, n, "next_pid=", NULL, &v, &vn) || !sd_tparse_u64(v, vn, &x) ||
	    x >= UINT32_MAX)
		return;
	p->next_pid = (uint32_t)x;
	p->ok = true;
}

bool sd_tscript_is_switch(const char *e, size_t n)
{
	static const char k[] = "sched_switch";
	return n >= sizeof k - 1 && !memcmp(e + n - (sizeof k - 1), k, sizeof k - 1) &&
	       (n == sizeof k - 1 || e[n - sizeof k] == ':');
}

int sd_tscript_lock_event(const char *e, size_t n)
{
	static const char *const k[2] = {"contention_begin", "contention_end"};
	for (int i = 0; i < 2; i++) {
		size_t kl = strlen(k[i]);
		if (n >= kl && !memcmp(e + n - kl, k[i], kl) &&
		    (n == kl || e[n - kl - 1] == ':'))
			return i + 1;
	}
	return 0;
}

void sd_tscript_lock(const char *s, size_t n, int kind,
		       struct lock_payload *p)
{
	static const char *const names[] = {"SPIN", "READ", "WRITE", "RT",
					    "PERCPU", "MUTEX"};
	size_t i = 0, b;

	memset(p, 0, sizeof *p);
	p->kind = kind;
	while (i < n && sd_tis_space(s[i]))
		i++;
	b = i;
	while (i < n && !sd_tis_space(s[i]))
		i++;
	if (!sd_tparse_hex(s + b, i - b, &p->addr))
		return;
	p->ok = true;
	const char *v;
	size_t vn;
	if (kind != 1 || !field(s, n, "(flags=", NULL, &v, &vn))
		return;
	for (size_t k = 0; k < vn;) {
		size_t e = k;
		while (e < vn && v[e] != '|' && v[e] != ')')
			e++;
		for (unsigned f = 0; f < sizeof names / sizeof *names; f++)
			if (e - k == strlen(names[f]) &&
			    !memcmp(v + k, names[f], e - k))
				p->flags |= 1u << f;
		k = e + 1;
	}
}


size_t sd_tscript_record_at(const char *s, size_t n)
{
	static const char k[] = "PERF_RECORD_";
	const char *p = s;

	while ((p = memmem(p, n - (size_t)(p - s), k, sizeof k - 1))) {
		if (p == s || sd_tis_space(p[-1]))
			return (size_t)(p - s);
		p++;
	}
	return n;
}

/* An unsigned decimal at s[*i..n) up to its end, below UINT32_MAX. */
static bool id_at(const char *s, size_t n, size_t *i, uint32_t *v)
{
	size_t b = *i;
	uint64_t x;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	if (!sd_tparse_u64(s + b, *i - b, &x) || x >= UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool char_at(const char *s, size_t n, size_t *i, char c)
{
	if (*i >= n || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

bool sd_tscript_fork(const char *s, size_t n, struct sd_text_fork *f)
{
	static const char k[] = "PERF_RECORD_FORK(";
	size_t i = sizeof k - 1;

	return n >= i && !memcmp(s, k, i) && id_at(s, n, &i, &f->pid) &&
	       char_at(s, n, &i, ':') && id_at(s, n, &i, &f->tid) &&
	       char_at(s, n, &i, ')') && char_at(s, n, &i, ':') &&
	       char_at(s, n, &i, '(') && id_at(s, n, &i, &f->ppid) &&
	       char_at(s, n, &i, ':') && id_at(s, n, &i, &f->ptid) &&
	       char_at(s, n, &i, ')');
}
