/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "report/window.h"

static void app(char *buf, size_t n, size_t *k, const char *fmt, ...)
{
	va_list ap;

	if (*k >= n - 1)
		return;
	va_start(ap, fmt);
	int r = vsnprintf(buf + *k, n - *k, fmt, ap);
	va_end(ap);
	if (r > 0)
		*k = *k + (size_t)r >= n ? n - 1 : *k + (size_t)r;
}

static void put_time(char *buf, size_t n, size_t *k, uint64_t t,
		     const char *open)
{
	if (t)
		app(buf, n, k, "%" PRIu64 ".%06" PRIu64, t / 1000000000,
		    t % 1000000000 / 1000);
	else
		app(buf, n, k, "%s", open);
}

bool sd_window_describe(const struct sd_analysis *a, char *buf, size_t n)
{
	size_t k = 0;

	if (!n)
		return false;
	buf[0] = 0;
	if (!a->time.n)
		return false;
	app(buf, n, &k, "time window %s (", a->time.spec);
	for (size_t i = 0; i < a->time.n; i++) {
		if (i)
			app(buf, n, &k, ", ");
		put_time(buf, n, &k, a->time.w[i].start, "start");
		app(buf, n, &k, " to ");
		put_time(buf, n, &k, a->time.w[i].end, "end");
	}
	app(buf, n, &k, " s): %" PRIu64 " samples in it, %" PRIu64 " outside",
	    a->samples, a->time_skipped);
	return true;
}
