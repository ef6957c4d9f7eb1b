/* SPDX-License-Identifier: MIT */
/*
 * perf script text, line by line.  A sample is a header line
 *
 *	comm  pid[/tid]  [cpu]  secs.frac:  [period]  event:  [payload|ip sym (dso)]
 *
 * (fields after pid optional, as -F leaves them out; the comm may hold
 * spaces and is right-aligned when the sample has no call chain), then one
 * line per frame, leaf first,
 *
 *	<whitespace> addr sym[+off] (dso)
 *
 * and a blank line.  The header is found as stackcollapse-perf.pl finds it
 * (the first "pid" after the comm), but only where an event or a time
 * follows, so that folded lines and frame lines never pass for one.  Each
 * line is read here on its own; script.c assembles them into samples.
 */
#include <string.h>

#include "textin/script.h"

struct tok {
	const char *s;
	size_t n;
};

#define MAX_TOKS 24

static size_t tokenize(const char *s, size_t n, struct tok *t, size_t max)
{
	size_t k = 0, i = 0;

	while (k < max) {
		while (i < n && sd_tis_space(s[i]))
			i++;
		if (i >= n)
			break;
		size_t b = i;
		while (i < n && !sd_tis_space(s[i]))
			i++;
		t[k].s = s + b;
		t[k].n = i - b;
		k++;
	}
	return k;
}

static bool parse_id(const char *s, size_t n, uint32_t *v)
{
	uint64_t x;

	if (n == 2 && s[0] == '-' && s[1] == '1') {
		*v = SD_TEXT_NO_PID;
		return true;
	}
	if (!sd_tparse_u64(s, n, &x) || x >= UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "pid", "pid/tid" (either may be -1) */
static bool pid_token(const struct tok *t, uint32_t *pid, uint32_t *tid,
		      bool *both)
{
	const char *slash = memchr(t->s, '/', t->n);

	if (!slash) {
		*both = false;
		return parse_id(t->s, t->n, tid) && ((*pid = *tid), true);
	}
	*both = true;
	return parse_id(t->s, (size_t)(slash - t->s), pid) &&
	       parse_id(slash + 1, t->n - (size_t)(slash - t->s) - 1, tid);
}

static bool cpu_token(const struct tok *t)
{
	if (t->n < 3 || t->s[0] != '[' || t->s[t->n - 1] != ']')
		return false;
	for (size_t i = 1; i + 1 < t->n; i++)
		if (!sd_tis_digit(t->s[i]))
			return false;
	return true;
}

/* "640.374340:" -> ns (the fraction is µs, or ns with --ns) */
static bool time_token(const struct tok *t, uint64_t *ns)
{
	uint64_t sec, frac = 0;
	size_t n = t->n;

	if (n < 2 || t->s[n - 1] != ':')
		return false;
	n--;
	const char *dot = memchr(t->s, '.', n);
	size_t sn = dot ? (size_t)(dot - t->s) : n;
	if (!sd_tparse_u64(t->s, sn, &sec) || sec > 18000000000ull)
		return false;
	if (dot) {
		size_t fn = n - sn - 1;
		if (!fn || fn > 9 || !sd_tparse_u64(dot + 1, fn, &frac))
			return false;
		for (size_t i = fn; i < 9; i++)
			frac *= 10;
	}
	*ns = sec * 1000000000ull + frac;
	return true;
}

bool sd_tscript_header(const char *s, size_t n, struct header *h)
{
	struct tok t[MAX_TOKS];
	size_t nt = tokenize(s, n, t, MAX_TOKS);

	for (size_t k = 1; k < nt; k++) {
		bool both;
		memset(h, 0, sizeof *h);
		if (!pid_token(&t[k], &h->pid, &h->tid, &both))
			continue;
		h->pid_given = both;
		size_t j = k + 1;
		if (j < nt && cpu_token(&t[j])) {
			uint64_t c;
			if (sd_tparse_u64(t[j].s + 1, t[j].n - 2, &c) &&
			    c < UINT32_MAX) {
				h->has_cpu = true;
				h->cpu = (uint32_t)c;
			}
			j++;
		}
		if (j < nt && time_token(&t[j], &h->time)) {
			h->has_time = true;
			j++;
		}
		if (j + 1 < nt && sd_tparse_u64(t[j].s, t[j].n, &h->period) &&
		    t[j + 1].n >= 2 && t[j + 1].s[t[j + 1].n - 1] == ':') {
			h->has_period = true;
			j++;
		}
		if (j < nt && t[j].n >= 2 && t[j].s[t[j].n - 1] == ':' &&
		    t[j].s[0] != ':') {
			h->event = t[j].s;
			h->event_n = t[j].n - 1;
			j++;
		} else if (!h->has_time) {
			continue;
		} else {
			h->has_period = false;
		}
		const char *end = t[j - 1].s + t[j - 1].n;
		h->rest = end;
		h->rest_n = n - (size_t)(end - s);
		h->comm = t[0].s;
		size_t cn = (size_t)(t[k].s - t[0].s);
		while (cn && sd_tis_space(h->comm[cn - 1]))
			cn--;
		h->comm_n = cn;
		return true;
	}
	return false;
}

static bool is_word(char c)
{
	return sd_tis_hex(c) || c == '_' || (c >= 'g' && c <= 'z') ||
	       (c >= 'G' && c <= 'Z');
}

bool sd_tscript_frame(const char *s, size_t n, struct frame *f)
{
	size_t i = 0;

	memset(f, 0, sizeof *f);
	while (i < n && sd_tis_space(s[i]))
		i++;
	size_t a0 = i;
	while (i < n && is_word(s[i]))
		i++;
	if (i == a0)
		return false;
	size_t p = i; /* end of (\w+) */
	while (i < n && sd_tis_space(s[i]))
		i++;
	size_t q = i; /* end of \s* */
	size_t rn = n;
	while (rn > q && sd_tis_space(s[rn - 1]))
		rn--;
	if (rn == q) {
		if (!sd_tparse_hex(s + a0, p - a0, &f->addr))
			return false;
		f->has_addr = true;
		f->pc = s + a0;
		f->pc_n = p - a0;
		f->sym = "[unknown]";
		f->sym_n = 9;
		return true;
	}
	/* (.+) \((.*)\): the last " (" with a ')' after it, searched from
	 * the end of (\w+) on */
	size_t close = n, split = n;
	for (size_t k = n; k-- > p;)
		if (s[k] == ')') {
			close = k;
			break;
		}
	for (size_t k = close; close < n && k-- > p;)
		if (s[k] == ' ' && k + 2 <= close && s[k + 1] == '(') {
			split = k;
			break;
		}
	size_t sym0 = q;
	if (split == n) {
		/* no " (dso)" (-F ip,sym): the rest is the symbol */
		split = rn;
		close = n;
	} else if (split < q + 1) {
		/* (.+) needs a character: \s* gives one back, or \w+ does
		 * ("7f..  (dso)" is the symbol " ") */
		if (split >= p + 1)
			sym0 = split - 1;
		else if (p - a0 >= 2)
			sym0 = --p;
		else
			return false;
	}
	if (!sd_tparse_hex(s + a0, p - a0, &f->addr))
		return false;
	f->has_addr = true;
	f->pc = s + a0;
	f->pc_n = p - a0;
	f->sym = s + sym0;
	f->sym_n = split - sym0;
	if (close < n) {
		f->dso = s + split + 2;
		f->dso_n = close - split - 2;
	}
	return true;
}

bool sd_tscript_srcline(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && sd_tis_space(s[i]))
		i++;
	if (i == 0 || i == n)
		return false;
	const char *colon = NULL;
	for (size_t k = n; k-- > i;)
		if (s[k] == ':') {
			colon = s + k;
			break;
		}
	if (!colon)
		return memchr(s + i, '[', n - i) && s[n - 1] == ']';
	uint64_t v;
	return sd_tparse_u64(colon + 1, (size_t)(s + n - colon - 1), &v);
}

bool sd_tscript_inline_frame(const char *s, size_t n, struct frame *f)
{
	struct tok t[MAX_TOKS];
	size_t nt = tokenize(s, n, t, MAX_TOKS);

	for (size_t k = 0; k + 1 < nt; k++) {
		uint64_t a;
		if (!sd_tparse_hex(t[k].s, t[k].n, &a))
			continue;
		size_t off = (size_t)(t[k].s - s);
		if (sd_tscript_frame(s + off, n - off, f) && f->dso)
			return true;
	}
	return false;
}

bool sd_text_script_period(const char *s, size_t n, uint64_t *weight,
			   const char **event, size_t *event_n)
{
	*weight = 1;
	*event = NULL;
	*event_n = 0;
	/* :\s*(\d+)*\s+(\S+):\s*$ -- from the end: "event:" as the last
	 * token, blanks, maybe digits, blanks, ':' */
	while (n && (sd_tis_space(s[n - 1]) || s[n - 1] == '\n'))
		n--;
	if (n < 2 || s[n - 1] != ':')
		return false;
	size_t t = n - 1;
	while (t && !sd_tis_space(s[t - 1]) && s[t - 1] != '\n')
		t--;
	if (t == n - 1 || !t)
		return false; /* (\S+) empty, or no blank before it */
	size_t w = t;
	while (w && (sd_tis_space(s[w - 1]) || s[w - 1] == '\n'))
		w--;
	size_t d = w;
	while (d && sd_tis_digit(s[d - 1]))
		d--;
	size_t c = d;
	if (d < w)
		while (c && (sd_tis_space(s[c - 1]) || s[c - 1] == '\n'))
			c--;
	if (!c || s[c - 1] != ':')
		return false;
	uint64_t v;
	/* Perl: a period of "0" is false, so 1; "00" is true, so 0 */
	if (d < w && !(w - d == 1 && s[d] == '0') &&
	    sd_tparse_u64(s + d, w - d, &v))
		*weight = v;
	*event = s + t;
	*event_n = n - 1 - t;
	return true;
}
