/* SPDX-License-Identifier: MIT */
/* perf's --time syntax (see swapdiag/timewin.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/timewin.h>

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (why && len)
		vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "SEC[.NSEC]" (at most 9 fraction digits) -> ns, as perf's
 * parse_nsec_time(); [s, e) is the text. */
static int parse_sec(const char *s, const char *e, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0;
	int digits = 0;

	if (s == e || !isdigit((unsigned char)*s))
		return -1;
	for (; s < e && isdigit((unsigned char)*s); s++) {
		if (sec > UINT64_MAX / 10 / 1000000000ull)
			return -1;
		sec = sec * 10 + (uint64_t)(*s - '0');
	}
	if (s < e && *s == '.') {
		for (s++; s < e && isdigit((unsigned char)*s); s++) {
			if (++digits > 9)
				return -1;
			frac = frac * 10 + (uint64_t)(*s - '0');
		}
	}
	if (s != e)
		return -1;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	return 0;
}

/* "P%" -> 0..1 over [s, e) */
static int parse_pct(const char *s, const char *e, double *p)
{
	char buf[64];
	char *end;

	if (e - s < 2 || e[-1] != '%' || (size_t)(e - s) >= sizeof buf)
		return -1;
	memcpy(buf, s, (size_t)(e - s - 1));
	buf[e - s - 1] = 0;
	if (!isdigit((unsigned char)buf[0]) && buf[0] != '.')
		return -1;
	*p = strtod(buf, &end) / 100.0;
	return *end ? -1 : 0;
}

static int parse_percent(const char *spec, struct sd_time_filter *f,
			 char *why, size_t len)
{
	const char *p = spec;

	f->percent = true;
	while (*p) {
		const char *e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		if (f->n == SD_MAX_TIME_WINDOWS)
			return fail(why, len, "more than %d time windows",
				    SD_MAX_TIME_WINDOWS);
		struct sd_time_window *w = &f->w[f->n];
		const char *slash = memchr(p, '/', (size_t)(e - p));
		const char *dash = memchr(p, '-', (size_t)(e - p));
		double a, b;
		if (slash) {
			char *end;
			long i = strtol(slash + 1, &end, 10);
			if (parse_pct(p, slash, &a) || end != e || i < 1 ||
			    a <= 0)
				goto bad;
			w->pct_start = a * (double)(i - 1);
			w->pct_end = a * (double)i;
		} else if (dash) {
			if (parse_pct(p, dash, &a) || parse_pct(dash + 1, e, &b))
				goto bad;
			w->pct_start = a;
			w->pct_end = b;
		} else {
			if (parse_pct(p, e, &a))
				goto bad;
			w->pct_start = 0;
			w->pct_end = a;
		}
		if (w->pct_start < 0 || w->pct_end > 1 + 1e-12 ||
		    w->pct_start > w->pct_end)
			return fail(why, len, "time window '%.*s' is not inside "
				    "0%%-100%% with its start before its end",
				    (int)(e - p), p);
		f->n++;
		p = *e ? e + 1 : e;
		continue;
bad:
		return fail(why, len, "cannot read time window '%.*s': percent "
			    "windows are A%%-B%%, P%%/N or P%% (e.g. 0%%-50%%, "
			    "10%%/2), several separated by commas",
			    (int)(e - p), p);
	}
	return 0;
}

static int parse_abs(const char *spec, struct sd_time_filter *f, char *why,
		     size_t len)
{
	const char *p = spec;

	f->resolved = true;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && !isspace((unsigned char)*e))
			e++;
		const char *comma = memchr(p, ',', (size_t)(e - p));
		if (f->n == SD_MAX_TIME_WINDOWS)
			return fail(why, len, "more than %d time windows",
				    SD_MAX_TIME_WINDOWS);
		struct sd_time_window *w = &f->w[f->n];
		w->start = w->end = 0;
		if (!comma || memchr(comma + 1, ',', (size_t)(e - comma - 1)) ||
		    (comma > p && parse_sec(p, comma, &w->start)) ||
		    (e > comma + 1 && parse_sec(comma + 1, e, &w->end)))
			return fail(why, len, "cannot read time window '%.*s': "
				    "it is START,STOP in seconds of the "
				    "recording (as perf script prints them, "
				    "e.g. 640.5,641.0; either may be empty), "
				    "several separated by spaces, or percent "
				    "windows like 0%%-50%%",
				    (int)(e - p), p);
		if (w->end && w->end < w->start)
			return fail(why, len, "time window '%.*s' ends before "
				    "it starts", (int)(e - p), p);
		if (f->n && (!f->w[f->n - 1].end ||
			     f->w[f->n - 1].end >= w->start))
			return fail(why, len, "time windows must be in order "
				    "and apart ('%.*s' overlaps the one before)",
				    (int)(e - p), p);
		f->n++;
		p = e;
	}
	if (!f->n)
		return fail(why, len, "empty time window");
	return 0;
}

int sd_time_parse(const char *spec, struct sd_time_filter *f, char *why,
		  size_t len)
{
	memset(f, 0, sizeof *f);
	f->spec = spec;
	if (!spec || !*spec)
		return fail(why, len, "empty time window");
	if (strchr(spec, '%'))
		return parse_percent(spec, f, why, len);
	return parse_abs(spec, f, why, len);
}

void sd_time_resolve(struct sd_time_filter *f, uint64_t first, uint64_t last)
{
	if (!f->percent)
		return;
	uint64_t total = last > first ? last - first : 0;
	f->first = first;
	f->last = last;
	for (size_t i = 0; i < f->n; i++) {
		struct sd_time_window *w = &f->w[i];
		w->start = first + (uint64_t)llround(w->pct_start * (double)total);
		w->end = first + (uint64_t)llround(w->pct_end * (double)total);
		if (w->end > w->start && w->end != last)
			w->end -= 1;
	}
	f->resolved = true;
}

bool sd_time_keep(const struct sd_time_filter *f, uint64_t t)
{
	if (!f || !f->n || !t)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		const struct sd_time_window *w = &f->w[i];
		if (t >= w->start && (!w->end || t <= w->end))
			return true;
	}
	return false;
}
