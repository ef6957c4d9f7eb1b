/* SPDX-License-Identifier: MIT */
/*
 * Samples handed out in place (sd_reader_next_samples()): runs of the
 * samples of a flush that have the common layout, read where they lie
 * and decoded into views, and the kernel records between them, with the
 * queue's state in locals while a run is taken.  next.c's
 * sd_reader_next() gives everything else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

/* take_views() copies these as laid out in a sample */
_Static_assert(offsetof(struct sd_sample_view, tid) ==
		       offsetof(struct sd_sample_view, pid) + 4,
	       "view pid, tid adjacent");

/* A flush's state while take_views() runs: the top run c, the other
 * run o when there are two (its head at ot), c's stop. */
struct tv_state {
	struct sd_qrun *c, *o;
	uint64_t ot, stop, limit;
	bool swapped;
};

/*
 * The top run moved past its record of len bytes to next: false when the
 * loop must end there (its stretch or the flush is over for it), else
 * true with st->c the run to take from next.  With two runs they trade
 * places here, and the heap's two entries are written when the loop
 * ends; with more, the top run goes back into the heap (inline) where it
 * passes its stop.
 */
static inline __attribute__((always_inline)) bool
tv_advance(struct sd_queue *q, struct tv_state *st, const uint8_t *next,
	   uint32_t len)
{
	struct sd_qrun *c = st->c;

	if (!sd_qrun_step(q, c, next, len))
		return false;
	/* read a round or more ago; the caller hashes the chains */
	sd_prefetch_ahead(next);
	uint64_t nt = c->time;
	if (nt <= st->stop)
		return true;
	if (nt > st->limit) {
		q->top = NULL;
		q->moved = true;
		return false;
	}
	if (!st->o) {
		/* three runs or more: the heap told now, inline (the heap
		 * is the queue's own while there is no o); one run has its
		 * stop at the limit */
		st->c = sd_queue_top_passed(q, nt);
		q->top = st->c;
		st->stop = q->stop;
		return true;
	}
	/* past its stop, the other run comes first; it goes on while its
	 * records are older than nt (or as old, when its stretch was
	 * pushed first) */
	struct sd_qrun *y = st->o;
	uint64_t s2 = y->cur < c->cur ? nt : nt - 1;
	st->o = c;
	st->ot = nt;
	st->c = y;
	st->stop = s2 < UINT64_MAX - 1 ? s2 : UINT64_MAX - 1;
	st->swapped = true;
	return true;
}

/* A record's string copied to the reader's scratch (it lay
 * unterminated), which the next such record would overwrite. */
static bool in_scratch(const struct sd_reader *r, const struct sd_record *rec)
{
	const char *str = NULL;

	if (rec->type == SD_REC_COMM)
		str = rec->comm.comm;
	else if (rec->type == SD_REC_MMAP || rec->type == SD_REC_MMAP2)
		str = rec->mmap.filename;
	return str && str == r->str_scratch;
}

/*
 * sd_reader_next_samples()'s loop: what next.c's pop_plain() does, and a
 * view filled, for each sample while the top run's next record is a
 * sample of the view layout (its fields at fixed places, no test for an
 * absent one), with the queue's state in locals until the loop ends.
 * Records other than samples go on the same way, parsed into r->vrecs:
 * a side band of tracking records cuts a flush every few samples, and
 * ending the loop at each would make its work per sample work per
 * record.  The loop ends at a stretch's end (its block goes at the next
 * settle, after the caller is done with the views), where a run leaves
 * the flush, when r->vrecs is full or a record's string took the
 * reader's scratch.  *err: -ENOMEM when a record could not be parsed
 * for want of memory.
 */
static size_t take_views(struct sd_reader *r, struct sd_qrun *c,
			 struct sd_sample_view *v, size_t max, int *err)
{
	struct sd_queue *q = &r->q;
	struct sd_qhead *h = q->heap;
	struct tv_state st = {.c = c, .stop = q->stop, .limit = q->limit};
	uint64_t bytes = 0, first = r->stats.first_time;
	/* taken: the time of the record taken last (0: none, every
	 * queued record has a time) */
	uint64_t last = r->stats.last_time, t = 0, taken = 0;
	size_t n = 0, nrecs = 0;

	/* the other run when there are two: its head's time */
	if (q->nheap == 2) {
		st.o = &q->runs[h[1].run];
		st.ot = h[1].time;
	}
	while (n < max) {
		c = st.c;
		const uint8_t *p = c->p;
		uint32_t len = sd_load16(p + 6, false);
		uint32_t type = sd_load32(p, false);
		if (type != SD_REC_SAMPLE) {
			if (nrecs == SD_VIEW_RECS)
				break;
			struct sd_record *rec = &r->vrecs[nrecs];
			const struct sd_record *out;
			struct sd_evsel *ev = c->ev_o;
			uint64_t off = c->off;
			bool comp = c->comp;
			taken = c->time;
			bytes += len;
			bool on = tv_advance(q, &st, p + len, len);
			int rc = sd_deliver_other(r, p, len, off, comp, ev, type,
						  rec, &out);
			if (rc < 0) {
				*err = rc;
				break;
			}
			if (rc) {
				v[n++].other = rec;
				nrecs++;
				if (r->str_scratch && in_scratch(r, rec))
					break;
			}
			if (!on)
				break;
			continue;
		}
		struct sd_evsel *ev = c->ev_s;
		const struct sd_evx *x = sd_evx(ev);
		if (!x->view)
			break;
		uint64_t nr;
		const uint64_t *ips = sd_plain_chain(p, len, x->s_end, &nr);
		t = c->time;
		if (!ips || t - r->time_lo > r->time_hi - r->time_lo)
			break;

		struct sd_sample_view *w = &v[n++];
		uint64_t period = sd_load64(p + x->s_period, false);
		w->evsel = ev;
		w->time = t;
		w->ip = sd_load64(p + x->s_ip, false);
		w->period = period;
		w->ips = ips;
		w->offset = c->off;
		w->other = NULL;
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

		taken = t;
		bytes += len;
		if (!tv_advance(q, &st, p + len, len))
			break;
	}
	q->bytes -= bytes;
	if (taken)
		q->last_flush = taken;
	r->stats.first_time = first;
	r->stats.last_time = last;
	if (st.swapped) {
		c = st.c;
		h[0] = (struct sd_qhead){c->time, c->cur, (size_t)(c - q->runs)};
		h[1] = (struct sd_qhead){st.ot, st.o->cur,
					 (size_t)(st.o - q->runs)};
		q->stop = st.stop;
		if (q->top)
			q->top = c;
	}
	return n;
}

int sd_reader_next_samples(struct sd_reader *r, struct sd_sample_view *v,
			   int max)
{
	struct sd_queue *q = &r->q;
	struct sd_qrun *c = q->top;

	if (r->swap || max <= 0)
		return 0;
	if (!r->vrecs &&
	    !(r->vrecs = malloc(SD_VIEW_RECS * sizeof *r->vrecs)))
		return -ENOMEM;
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
	int err = 0;
	size_t n = take_views(r, c, v, (size_t)max, &err);
	return err ? err : (int)n;
}
