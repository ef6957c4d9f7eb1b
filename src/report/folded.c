/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include <swapdiag/report.h>

#include "report/out.h"

int sd_report_folded(FILE *out, struct sd_analysis *a,
		     const struct sd_evsel *ev, const struct sd_folded_opts *o)
{
	struct sd_folded *fo;
	enum sd_weight w = o ? o->weight : SD_WEIGHT_PERIOD;
	int err = sd_folded_new(a->stacks, a->machine, ev->index,
				o ? o->with : 0, &fo);
	char buf[1 << 16];
	struct sd_out wr;

	if (err)
		return err;
	sd_out_init(&wr, out, buf, sizeof buf);
	for (size_t i = 0, n = sd_folded_count(fo); i < n && !err; i++) {
		uint64_t count, period, c;
		/* the text goes straight into the buffer, counted once the
		 * line is kept */
		size_t room = wr.cap - wr.len;
		size_t len = sd_folded_line(fo, i, wr.buf + wr.len, room, &count,
					    &period);
		/* --off-cpu: ns summed per line, written in microseconds */
		if (a->off_cpu_weights) {
			c = (count + 500) / 1000;
			if (!c)
				continue;
		} else {
			c = sd_analysis_weight(a, ev, w, count, period);
		}
		if (len < room) {
			wr.len += len;
		} else if (len < wr.cap) {
			sd_out_flush(&wr);
			wr.len = sd_folded_line(fo, i, wr.buf, wr.cap, &count,
						&period);
		} else {
			char *big = malloc(len + 1);
			if (!big) {
				err = -ENOMEM;
				break;
			}
			sd_folded_line(fo, i, big, len + 1, &count, &period);
			sd_out_bytes(&wr, big, len);
			free(big);
		}
		/* " count\n" in place (the buffer holds far more than 22) */
		char *at = sd_out_room(&wr, 22);
		size_t digits = sd_out_dec(at + 1, c);
		at[0] = ' ';
		at[digits + 1] = '\n';
		wr.len += digits + 2;
	}
	sd_out_flush(&wr);
	sd_folded_free(fo);
	if (err)
		return err;
	return ferror(out) ? -EIO : 0;
}
