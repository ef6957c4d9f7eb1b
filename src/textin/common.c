/* SPDX-License-Identifier: MIT */
/* Lines, name lists, numbers and header lines for the text parsers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "textin/internal.h"

bool sd_tlines_next(struct sd_tlines *it, struct sd_tline *ln)
{
	if (it->off >= it->len)
		return false;
	const char *s = it->buf + it->off;
	size_t left = it->len - it->off;
	const char *nl = memchr(s, '\n', left);
	size_t n = nl ? (size_t)(nl - s) : left;

	ln->s = s;
	ln->off = it->off;
	ln->no = ++it->no;
	it->off += nl ? n + 1 : n;
	if (n && s[n - 1] == '\r')
		n--;
	ln->n = n;
	return true;
}

void sd_tnames_fini(struct sd_tnames *t)
{
	free(t->arena);
	free(t->offs);
	free(t->kern);
	free(t->ptrs);
	size_t max = t->max;
	memset(t, 0, sizeof *t);
	t->max = max;
}

int sd_tnames_push(struct sd_tnames *t, const char *s, size_t len, bool kernel)
{
	if (t->n >= (t->max ? t->max : SD_TEXT_MAX_FRAMES)) {
		t->truncated = true;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		size_t *o = realloc(t->offs, cap * sizeof *o);
		if (!o)
			return -ENOMEM;
		t->offs = o;
		bool *k = realloc(t->kern, cap * sizeof *k);
		if (!k)
			return -ENOMEM;
		t->kern = k;
		t->cap = cap;
	}
	if (len > SIZE_MAX / 2 - t->alen - 1)
		return -ENOMEM;
	if (t->alen + len + 1 > t->acap) {
		size_t cap = t->acap ? t->acap : 1024;
		while (cap < t->alen + len + 1)
			cap *= 2;
		char *a = realloc(t->arena, cap);
		if (!a)
			return -ENOMEM;
		t->arena = a;
		t->acap = cap;
	}
	char *w = t->arena + t->alen;
	for (size_t i = 0; i < len; i++)
		w[i] = s[i] ? s[i] : '?';
	w[len] = '\0';
	t->offs[t->n] = t->alen;
	t->kern[t->n] = kernel;
	t->alen += len + 1;
	t->n++;
	return 0;
}

int sd_tnames_ptrs(struct sd_tnames *t, const char *const **out)
{
	if (t->n > t->pcap) {
		const char **p = realloc(t->ptrs, t->n * sizeof *p);
		if (!p)
			return -ENOMEM;
		t->ptrs = p;
		t->pcap = t->n;
	}
	for (size_t i = 0; i < t->n; i++)
		t->ptrs[i] = t->arena + t->offs[i];
	*out = t->ptrs;
	return 0;
}

bool sd_text_u64(const char *s, size_t n, uint64_t *v)
{
	return sd_tparse_u64(s, n, v);
}

bool sd_tparse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (!n || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!sd_tis_digit(s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

bool sd_tparse_hex(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (!n || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!sd_tis_hex(c))
			return false;
		unsigned d = sd_tis_digit(c) ? (unsigned)(c - '0')
			     : (c >= 'a')    ? (unsigned)(c - 'a' + 10)
					     : (unsigned)(c - 'A' + 10);
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

bool sd_tparse_decimal(const char *s, size_t n, double *v)
{
	double x = 0, scale = 1;
	size_t i = 0, digits = 0;

	for (; i < n && sd_tis_digit(s[i]); i++, digits++)
		x = x * 10 + (s[i] - '0');
	if (i < n && s[i] == '.') {
		for (i++; i < n && sd_tis_digit(s[i]); i++, digits++) {
			scale /= 10;
			x += (s[i] - '0') * scale;
		}
	}
	if (i != n || !digits || digits > 30)
		return false;
	*v = x;
	return true;
}

/* "# hostname : vm" -> ("hostname", "vm"); other comment lines are not. */
int sd_theader_line(const char *s, size_t n, const struct sd_text_ops *ops)
{
	char key[64], val[4096];
	size_t i = 0;

	if (!ops->header || !n || s[0] != '#')
		return 0;
	for (i = 1; i < n && sd_tis_space(s[i]); i++)
		;
	size_t k0 = i;
	const char *colon = memchr(s + i, ':', n - i);
	if (!colon)
		return 0;
	size_t k1 = (size_t)(colon - s);
	/* " : " separates key and value; keys are words and spaces */
	if (k1 == k0 || s[k1 - 1] != ' ')
		return 0;
	while (k1 > k0 && s[k1 - 1] == ' ')
		k1--;
	if (k1 - k0 >= sizeof key)
		return 0;
	for (size_t j = k0; j < k1; j++)
		if (!(s[j] == ' ' || (s[j] >= 'a' && s[j] <= 'z') ||
		      (s[j] >= 'A' && s[j] <= 'Z')))
			return 0;
	size_t v0 = (size_t)(colon - s) + 1, v1 = n;
	while (v0 < v1 && sd_tis_space(s[v0]))
		v0++;
	while (v1 > v0 && sd_tis_space(s[v1 - 1]))
		v1--;
	if (v1 - v0 >= sizeof val)
		v1 = v0 + sizeof val - 1;
	memcpy(key, s + k0, k1 - k0);
	key[k1 - k0] = '\0';
	for (size_t j = v0; j < v1; j++)
		val[j - v0] = s[j] ? s[j] : '?';
	val[v1 - v0] = '\0';
	return ops->header(ops->arg, key, val);
}

void sd_tbad_line(struct sd_diags *d, struct sd_text_result *res,
		  const struct sd_tline *ln, const char *what)
{
	char shown[61];
	size_t k = 0;

	for (size_t i = 0; i < ln->n && k < sizeof shown - 1; i++)
		shown[k++] = (ln->s[i] >= 32 && ln->s[i] < 127) ? ln->s[i] : '?';
	shown[k] = '\0';
	if (res)
		res->bad_lines++;
	if (d)
		sd_diags_add(d, SD_WARNING, SD_E_BAD_RECORD, UINT64_MAX,
			     "line %llu: %s, skipped: '%s%s'",
			     (unsigned long long)ln->no, what, shown,
			     ln->n > k ? "..." : "");
}
