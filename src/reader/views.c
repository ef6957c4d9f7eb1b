/* SPDX-License-Identifier: MIT */
/*
 * Samples handed out in place (sd_reader_next_samples()): runs of the
 * samples of a flush that have the common layout, read where they lie
 * and decoded into views, with the queue's state in locals while a run
 * is taken.  next.c's sd_reader_next() gives everything else.
 */
#include <string.h>

#include "reader/internal.h"

/* take_views() copies these as laid out in a sample */
_Static_assert(offsetof(struct sd_sample_view, tid) ==
		       offsetof(struct sd_sample_view, pid) + 4,
	       "view pid, tid adjacent");

/*
 * sd_reader_next_samples()'s loop: what next.c's pop_plain() does, and a
 * view filled, for each sample while the top run's next record is a
 * sample of the view layout (its fields at fixed places, no test for an
 * absent one), with the queue's state in locals until the loop ends.
 * With two runs in the heap (two CPUs) they trade places here, and the
 * heap's two entries are written when the loop ends; with more, the top
 * run goes back into the heap (inline) where it passes its stop.  The
 * loop ends at a stretch's end (its block goes at the next settle, after
 * the caller is done with the views) and where a run leaves the flush.
 * *at_other: it ended at a record other than a sample, the top run's
 * next.
 */
static size_t take_views(struct sd_reader *r, struct sd_qrun *c,
			 struct sd_sample_view *v, size_t max, bool *at_other)
{
	struct sd_queue *q = &r->q;
	struct sd_qhead *h = q->heap;
	/* the other run when there are two: its head's time */
	struct sd_qrun *o = q->nheap == 2 ? &q->runs[h[1].run] : NULL;
	uint64_t ot = o ? h[1].time : 0;
	uint64_t stop = q->stop, limit = q->limit;
	uint64_t lo = r->time_lo, span = r->time_hi - r->time_lo;
	uint64_t bytes = 0, first = r->stats.first_time;
	uint64_t last = r->stats.last_time, t = 0, taken = 0;
	bool swapped = false;
	size_t n = 0;

	while (n < max) {
		const uint8_t *p = c->p;
		struct sd_evsel *ev = c->ev_s;
		const struct sd_evx *x = sd_evx(ev);
		if (sd_load32(p, false) != SD_REC_SAMPLE) {
			*at_other = true;
			break;
		}
		if (!x->view)
			break;
		uint32_t len = sd_load16(p + 6, false);
		uint64_t nr;
		const uint64_t *ips = sd_plain_chain(p, len, x->s_end, &nr);
		t = c->time;
		if (!ips || t - lo > span)
			break;

		struct sd_sample_view *w = &v[n++];
		uint64_t period = sd_load64(p + x->s_period, false);
		w->evsel = ev;
		w->time = t;
		w->ip = sd_load64(p + x->s_ip, false);
		w->period = period;
		w->ips = ips;
		w->offset = c->off;
		w->nr_ips = (uint32_t)nr;
		memcpy(&w->pid, p + x->s_tid, 8);
		w->misc = sd_load16(p + 4, false);
		ev->nr_samples++;
		ev->total_period += period;
		/* t - 1 < x - 1: below x or x is 0 (t is not 0) */
		if (t - 1 < first - 1)
			first = t;
		if (t > last)
			last = t;

		const uint8_t *next = p + len;
		taken = t;
		bytes += len;
		if (!sd_qrun_step(q, c, next, len))
			break;
		/* read a round or more ago; the caller hashes the chains */
		sd_prefetch_ahead(next);
		uint64_t nt = c->time;
		if (nt <= stop)
			continue;
		if (nt > limit) {
			q->top = NULL;
			q->moved = true;
			break;
		}
		if (!o) {
			/* three runs or more: the heap told now, inline
			 * (the heap is the queue's own while there is no
			 * o); one run has its stop at the limit */
			c = sd_queue_top_passed(q, nt);
			q->top = c;
			stop = q->stop;
			continue;
		}
		/* past its stop, the other run comes first; it goes on
		 * while its records are older than nt (or as old, when its
		 * stretch was pushed first) */
		struct sd_qrun *y = o;
		uint64_t s2 = y->cur < c->cur ? nt : nt - 1;
		o = c;
		ot = nt;
		c = y;
		stop = s2 < UINT64_MAX - 1 ? s2 : UINT64_MAX - 1;
		swapped = true;
	}
	q->bytes -= bytes;
	if (n)
		q->last_flush = taken;
	r->stats.first_time = first;
	r->stats.last_time = last;
	if (swapped) {
		h[0] = (struct sd_qhead){c->time, c->cur, (size_t)(c - q->runs)};
		h[1] = (struct sd_qhead){ot, o->cur, (size_t)(o - q->runs)};
		q->stop = stop;
		if (q->top)
			q->top = c;
	}
	return n;
}

int sd_reader_next_samples(struct sd_reader *r, struct sd_sample_view *v,
			   int max, const struct sd_record **other)
{
	struct sd_queue *q = &r->q;
	struct sd_qrun *c = q->top;

	*other = NULL;
	if (r->swap || max <= 0)
		return 0;
	if (!c) {
		if (!q->moved && !q->held)
			return 0;
		sd_queue_settle(q);
		c = q->top;
		if (!c)
			return 0;
	}
	/* a stretch's end stops the loop (top NULL): its block goes at
	 * the next settle, after the caller is done with these views */
	bool at_other = false;
	size_t n = take_views(r, c, v, (size_t)max, &at_other);
	if (at_other) {
		struct sd_qrec e;
		sd_queue_pop(q, &e, false);
		int err = sd_deliver_other(r, e.p, e.len, e.offset, e.compressed,
					e.ev, sd_load32(e.p, false), other);
		if (err < 0)
			return err;
	}
	return (int)n;
}
