/* SPDX-License-Identifier: MIT */
/*
 * Samples handed out in place (sd_reader_next_samples()): runs of the
 * samples of a flush that have the common layout, read where they lie
 * and decoded into views, with the queue's state in locals while a run
 * is taken.  The record other than a sample that ends a run is taken
 * off the queue by the same loop (sd_queue_pop() for it again cost
 * ~40 instructions a record, 2.8 M on kstorm with its 73 k side-band
 * records), and the run's oldest and newest time are its first view's
 * and its last's, not compared for each.  next.c's sd_reader_next()
 * gives everything else.
 */
#include <string.h>

#include "reader/internal.h"

/* take_views() copies these as laid out in a sample */
_Static_assert(offsetof(struct sd_sample_view, tid) ==
		       offsetof(struct sd_sample_view, pid) + 4,
	       "view pid, tid adjacent");

/* The record other than a sample that ends a run of views, taken off
 * the queue by take_views() (p NULL: none). */
struct other {
	const uint8_t *p;
	uint64_t offset;
	struct sd_evsel *ev;
	bool compressed;
};

/*
 * sd_reader_next_samples()'s loop: what next.c's pop_plain() does, and a
 * view filled, for each sample while the top run's next record is a
 * sample of the view layout (its fields at fixed places, no test for an
 * absent one), with the queue's state in locals until the loop ends.
 * A record other than a sample is taken off the queue the same way, into
 * *o, and ends the loop.  With two runs in the heap (two CPUs) they trade
 * places here, and the heap's two entries are written when the loop
 * ends; with more, the top run goes back into the heap (inline) where it
 * passes its stop.  The loop ends at a stretch's end (its block goes at
 * the next settle, after the caller is done with the views) and where a
 * run leaves the flush.  A flush hands records out in time order, so the
 * first view and the last are the oldest and the newest.
 */
static size_t take_views(struct sd_reader *r, struct sd_qrun *c,
			 struct sd_sample_view *v, size_t max,
			 struct other *o_rec)
{
	struct sd_queue *q = &r->q;
	struct sd_qhead *h = q->heap;
	/* the other run when there are two: its head's time */
	struct sd_qrun *o = q->nheap == 2 ? &q->runs[h[1].run] : NULL;
	uint64_t ot = o ? h[1].time : 0;
	uint64_t stop = q->stop;
	uint64_t lo = r->time_lo, span = r->time_hi - r->time_lo;
	uint64_t bytes = 0, o_time = 0;
	bool swapped = false;
	struct sd_sample_view *w = v, *wend = v + max;
	const uint8_t *op = NULL;

	while (w != wend) {
		const uint8_t *p = c->p;
		uint32_t len = sd_load16(p + 6, false);
		uint64_t t = c->time;
		if (sd_load32(p, false) != SD_REC_SAMPLE) {
			op = p;
			o_time = t;
			o_rec->offset = c->off;
			o_rec->ev = c->ev_o;
			o_rec->compressed = c->comp;
		} else {
			struct sd_evsel *ev = c->ev_s;
			const struct sd_evx *x = sd_evx(ev);
			uint64_t nr;
			if (!x->view)
				break;
			const uint64_t *ips =
				sd_plain_chain(p, len, x->s_end, &nr);
			if (!ips || t - lo > span)
				break;
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
			w++;
			ev->nr_samples++;
			ev->total_period += period;
		}
		const uint8_t *next = p + len;
		bytes += len;
		if (!sd_qrun_step(q, c, next, len))
			break;
		/* read a round or more ago; the caller hashes the chains */
		sd_prefetch_ahead(next);
		uint64_t nt = c->time;
		if (nt > stop) {
			if (nt > q->limit) {
				q->top = NULL;
				q->moved = true;
				break;
			}
			if (!o) {
				/* three runs or more: the heap told now,
				 * inline (the heap is the queue's own while
				 * there is no o); one run has its stop at
				 * the limit */
				c = sd_queue_top_passed(q, nt);
				q->top = c;
				stop = q->stop;
			} else {
				/* past its stop, the other run comes first;
				 * it goes on while its records are older
				 * than nt (or as old, when its stretch was
				 * pushed first) */
				struct sd_qrun *y = o;
				uint64_t s2 = y->cur < c->cur ? nt : nt - 1;
				o = c;
				ot = nt;
				c = y;
				stop = sd_queue_cap_stop(s2);
				swapped = true;
			}
		}
		if (op)
			break;
	}
	size_t n = (size_t)(w - v);
	q->bytes -= bytes;
	o_rec->p = op;
	if (op)
		q->last_flush = o_time;
	else if (n)
		q->last_flush = w[-1].time;
	if (n) {
		uint64_t first = v[0].time, last = w[-1].time;
		/* first - 1 < x - 1: below x or x is 0 (first is not 0) */
		if (first - 1 < r->stats.first_time - 1)
			r->stats.first_time = first;
		if (last > r->stats.last_time)
			r->stats.last_time = last;
	}
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
	struct other o;
	size_t n = take_views(r, c, v, (size_t)max, &o);
	if (o.p) {
		int err = sd_deliver_other(r, o.p, sd_load16(o.p + 6, false),
					   o.offset, o.compressed, o.ev,
					   sd_load32(o.p, false), other);
		if (err < 0)
			return err;
	}
	return (int)n;
}
