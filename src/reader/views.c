/* SPDX-License-Identifier: MIT */
/*
 * Samples handed out in place (sd_reader_next_samples()): runs of the
 * samples of a flush that have the common layout, read where they lie
 * and decoded into views, with the queue's state in locals while a run
 * is taken.  The record other than a sample that ends a run is taken
 * off the queue by the same loop (sd_queue_pop() for it again cost
 * ~40 instructions a record, 2.8 M on kstorm with its 73 k side-band
 * records), and the run's oldest and newest time are its first view's
 * and its last's, not compared for each.  The loop keeps few locals (a
 * spilled one costs a load a sample): the queue's bytes are given back
 * a stretch at a time (ordered.c), not counted here, and the other
 * run's time is its cursor's.  Whether a stretch's samples are views
 * is told once, when its run's cursor is loaded (ordered.c: its sample
 * event's layout, and its first and last time within SAMPLE_TIME's
 * range), not for each sample: a stretch with a damaged time gives no
 * views at all (kstorm -1.96 M instructions, synth300k -2.1 M).
 * Two runs in the heap (two CPUs) trade places in the loop; so do the
 * two that come first of three, while the third waits (its time and
 * where it lies kept in the loop): a CPU's buffer whose times went back
 * a little between two of its stretches is two runs, and a two-CPU
 * recording has three runs in a quarter of its flushes (kstorm: 40.8 k
 * turns in 45.6 k samples taken inline, not by the heap; -2.0 M
 * instructions, kstorm-z -1.6 M).
 * next.c's sd_reader_next() gives everything else.
 */
#include <string.h>

#include "reader/internal.h"
#include "reader/other.h"

/* take_views() copies these as laid out in a sample */
_Static_assert(offsetof(struct sd_sample_view, tid) ==
		       offsetof(struct sd_sample_view, pid) + 4,
	       "view pid, tid adjacent");

/* The loop's state: the top run, the other when there are two or three
 * (else NULL), the top run's stop, and whether the two traded places.
 * With three, z is the third run's heap entry, which stays while the two
 * take turns, and zc and zo the newest times at which c and o still come
 * before it. */
struct turn {
	struct sd_qrun *c, *o;
	uint64_t stop;
	uint64_t zc, zo;
	struct sd_qhead z;
	bool swapped;
};

/* sd_queue_top_passed() out of line: with two runs, or three, the loops
 * seldom need the heap (kstorm: 1.7 k times in 236 k records), and it
 * would take registers the loop keeps its state in. */
static __attribute__((noinline)) struct sd_qrun *
top_passed(struct sd_queue *q, uint64_t t)
{
	return sd_queue_top_passed(q, t);
}

/* The newest time at which a run whose head stretch is at pos comes
 * before the heap entry k (at k's time when pushed first). */
static inline uint64_t stop_at(uint64_t pos, struct sd_qhead k)
{
	return sd_queue_cap_stop(pos < k.pos ? k.time : k.time - 1);
}

/* The heap written back from the loop's state: the top run, the other,
 * and with three runs the third. */
static inline __attribute__((always_inline)) void
heap_back(struct sd_queue *q, const struct turn *t, bool three)
{
	struct sd_qhead *h = q->heap;
	const struct sd_qrun *c = t->c, *o = t->o;

	/* a run in the heap has its cursor's time there */
	h[0] = (struct sd_qhead){c->time, c->cur, (size_t)(c - q->runs)};
	h[1] = (struct sd_qhead){o->time, o->cur, (size_t)(o - q->runs)};
	if (three)
		h[2] = t->z;
}

/*
 * The top run t->c moves past its record p of len bytes, as next.c's
 * pop_plain() would move it: false when the loop ends there, at its
 * stretch's end or where it leaves the flush.  With two runs in the heap
 * (two CPUs) they trade places here when it passes its stop, and so do
 * the first two of three (three) until the third comes first; else it
 * goes back into the heap (top_passed()).
 */
static inline __attribute__((always_inline)) bool
step(struct sd_queue *q, struct turn *t, const uint8_t *p, uint32_t len,
     bool three)
{
	struct sd_qrun *c = t->c;
	const uint8_t *next = p + len;

	if (!sd_qrun_step(q, c, next, len))
		return false;
	/* read a round or more ago; the caller hashes the chains */
	sd_prefetch_ahead(next);
	uint64_t nt = c->time;
	if (nt <= t->stop)
		return true;
	if (nt > q->limit) {
		q->top = NULL;
		q->moved = true;
		return false;
	}
	if (!t->o) {
		/* one run, four or more, or three once the third came
		 * first: the heap told now (it is the queue's own while
		 * there is no o); one run has its stop at the limit */
		t->c = top_passed(q, nt);
		q->top = t->c;
		t->stop = q->stop;
		return true;
	}
	/* past its stop, the other run comes first; it goes on while its
	 * records are older than nt (or as old, when its stretch was
	 * pushed first): no cap, a queued record's time is below
	 * UINT64_MAX (next.c) */
	struct sd_qrun *y = t->o;
	if (three && y->time > t->zo) {
		/* the third run comes first: the heap from here on */
		heap_back(q, t, true);
		t->o = NULL;
		t->swapped = false;
		t->c = top_passed(q, nt);
		q->top = t->c;
		t->stop = q->stop;
		return true;
	}
	uint64_t stop = y->cur < c->cur ? nt : nt - 1;
	if (three) {
		/* ... and before the third run */
		uint64_t zy = t->zo;
		stop = stop < zy ? stop : zy;
		t->zo = t->zc;
		t->zc = zy;
	}
	t->stop = stop;
	t->o = c;
	t->c = y;
	t->swapped = true;
	return true;
}

/*
 * sd_reader_next_samples()'s loop: what next.c's pop_plain() does, and a
 * view filled, for each sample while the top run's next record is a
 * sample of the view layout (its fields at fixed places, no test for an
 * absent one), with the queue's state in locals until the loop ends.  A
 * record other than a sample that comes next is taken off the queue the
 * same way, into *o (its p NULL: none was), and ends the loop.  With two
 * runs the heap's two entries are written when the loop ends.  The loop
 * also ends at a stretch's end (its block goes at the next settle, after
 * the caller is done with the views) and where a run leaves the flush.
 * A flush hands records out in time order, so the first view and the
 * last are the oldest and the newest.
 */
static inline __attribute__((always_inline)) size_t
take_views(struct sd_reader *r, struct sd_qrun *c, struct sd_sample_view *v,
	   size_t max, struct sd_qrec *o, bool three)
{
	struct sd_queue *q = &r->q;
	struct sd_qhead *h = q->heap;
	struct turn tn = {
		.c = c,
		/* the other run when there are two */
		.o = q->nheap == 2 ? &q->runs[h[1].run] : NULL,
		.stop = q->stop,
	};

	if (three) {
		/* the other is the child that comes first */
		bool second = sd_qhead_before(h[2], h[1]);
		struct sd_qhead y = h[1 + second];
		tn.z = h[2 - second];
		tn.o = &q->runs[y.run];
		tn.zc = stop_at(c->cur, tn.z);
		tn.zo = stop_at(y.pos, tn.z);
	}
	struct sd_sample_view *w = v, *wend = v + max;
	bool more = true;

	o->p = NULL;
	while (more && w != wend) {
		c = tn.c;
		const uint8_t *p = c->p;
		uint32_t len = sd_load16(p + 6, false);
		uint64_t t = c->time;
		if (sd_load32(p, false) != SD_REC_SAMPLE) {
			o->p = p;
			o->time = t;
			o->offset = c->off;
			o->ev = c->ev_o;
			o->compressed = c->comp;
			step(q, &tn, p, len, three);
			break;
		}
		uint64_t nr;
		const uint64_t *ips = sd_plain_chain(p, len, c->v_end, &nr);
		if (!ips)
			break;
		struct sd_evsel *ev = c->ev_s;
		const struct sd_evx *x = sd_evx(ev);
		uint64_t period = sd_load64(p + x->s_period, false);
		/* in a general register: the two counts below are not
		 * worth a vector add (five instructions for two) */
		__asm__("" : "+r"(period));
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
		more = step(q, &tn, p, len, three);
	}
	size_t n = (size_t)(w - v);
	if (o->p)
		q->last_flush = o->time;
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
	if (tn.swapped) {
		heap_back(q, &tn, three);
		q->stop = tn.stop;
		if (q->top)
			q->top = tn.c;
	}
	return n;
}

/* The views and the record that ends them (take_views()), that record
 * parsed. */
static inline __attribute__((always_inline)) int
views_and_other(struct sd_reader *r, struct sd_qrun *c,
		struct sd_sample_view *v, int max,
		const struct sd_record **other, bool three)
{
	struct sd_qrec o;
	size_t n = take_views(r, c, v, (size_t)max, &o, three);

	if (o.p) {
		int err = deliver_other(r, o.p, o.offset, o.compressed, o.ev,
					other, false);
		if (err < 0)
			return err;
	}
	return (int)n;
}

/* Three runs in the heap: a loop of its own, out of line, so that the
 * common loop keeps its registers. */
static __attribute__((noinline)) int
views_three(struct sd_reader *r, struct sd_qrun *c, struct sd_sample_view *v,
	    int max, const struct sd_record **other)
{
	return views_and_other(r, c, v, max, other, true);
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
	if (q->nheap == 3)
		return views_three(r, c, v, max, other);
	return views_and_other(r, c, v, max, other, false);
}
