/* SPDX-License-Identifier: MIT */
/*
 * Samples handed out in place (sd_reader_next_samples()): runs of the
 * samples of a flush that have the common layout, read where they lie
 * and decoded into views, and the kernel records between them, with the
 * queue's state in locals while a run is taken.  next.c's
 * sd_reader_next() gives everything else.
 */
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

/* A record other than a sample that take_views() took off the queue,
 * parsed after it: where it lies, and the view it goes in. */
struct tv_raw {
	const uint8_t *p;
	struct sd_evsel *ev;
	uint64_t offset;
	size_t at;
	bool compressed;
};

/*
 * sd_reader_next_samples()'s loop: what next.c's pop_plain() does, and a
 * view filled, for each sample while the top run's next record is a
 * sample of the view layout (its fields at fixed places, no test for an
 * absent one), with the queue's state in locals until the loop ends.
 * Records other than samples are taken off the same way, up to
 * SD_VIEW_RECS of them, into raw (parsed once the loop is over, which
 * has no call): a side band of tracking records cuts a flush every few
 * samples, and ending the loop at each would make its work per sample
 * work per record.  The loop ends at a stretch's end (its block goes at
 * the next settle, after the caller is done with the views) and where a
 * run leaves the flush.  *nraw: how many went into raw.
 */
static size_t take_views(struct sd_reader *r, struct sd_qrun *c,
			 struct sd_sample_view *v, size_t max,
			 struct tv_raw *raw, size_t *nraw)
{
	struct sd_queue *q = &r->q;
	struct sd_qhead *h = q->heap;
	struct tv_state st = {.c = c, .stop = q->stop, .limit = q->limit};
	uint64_t lo = r->time_lo, span = r->time_hi - r->time_lo;
	uint64_t bytes = 0;
	struct sd_sample_view *w = v, *wend = v + max;
	struct tv_raw *x_raw = raw;

	/* the other run when there are two: its head's time */
	if (q->nheap == 2) {
		st.o = &q->runs[h[1].run];
		st.ot = h[1].time;
	}
	while (w < wend) {
		c = st.c;
		const uint8_t *p = c->p;
		uint32_t len = sd_load16(p + 6, false);
		uint64_t t = c->time;
		if (sd_load32(p, false) != SD_REC_SAMPLE) {
			if (x_raw == raw + SD_VIEW_RECS)
				break;
			*x_raw = (struct tv_raw){p, c->ev_o, c->off,
						 (size_t)(w - v), c->comp};
			w->evsel = NULL;
			w->other = &r->vrecs[x_raw - raw];
			w->time = t;
			x_raw++;
			w++;
			bytes += len;
			if (!tv_advance(q, &st, p + len, len))
				break;
			continue;
		}
		struct sd_evsel *ev = c->ev_s;
		const struct sd_evx *x = sd_evx(ev);
		if (!x->view)
			break;
		uint64_t nr;
		const uint64_t *ips = sd_plain_chain(p, len, x->s_end, &nr);
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
		bytes += len;
		if (!tv_advance(q, &st, p + len, len))
			break;
	}
	size_t n = (size_t)(w - v);
	q->bytes -= bytes;
	if (n) {
		/* a flush gives its records in time order: the first and
		 * the last sample taken are the oldest and the newest */
		q->last_flush = v[n - 1].time;
		struct sd_sample_view *a = v, *z = w - 1;
		while (a < w && !a->evsel)
			a++;
		while (z > a && !z->evsel)
			z--;
		if (a < w) {
			/* t - 1 < x - 1: below x or x is 0 (t is not 0) */
			if (a->time - 1 < r->stats.first_time - 1)
				r->stats.first_time = a->time;
			if (z->time > r->stats.last_time)
				r->stats.last_time = z->time;
		}
	}
	if (st.swapped) {
		c = st.c;
		h[0] = (struct sd_qhead){c->time, c->cur, (size_t)(c - q->runs)};
		h[1] = (struct sd_qhead){st.ot, st.o->cur,
					 (size_t)(st.o - q->runs)};
		q->stop = st.stop;
		if (q->top)
			q->top = c;
	}
	*nraw = (size_t)(x_raw - raw);
	return n;
}

/* A record's string that lies in the reader's scratch (it lay
 * unterminated, and was copied there), which the next such record would
 * overwrite. */
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
 * The records take_views() took, parsed into r->vrecs as
 * sd_reader_next() would give them; a record whose string was copied to
 * the scratch keeps that buffer (its slot's goes to the reader in
 * exchange).  A record that was skipped (said in the diagnostics) leaves
 * its view: the views after it move up.  The views' count, or -ENOMEM.
 */
_Static_assert(SD_VIEW_RECS <= 32, "parse_raw() marks records in 32 bits");
static int parse_raw(struct sd_reader *r, struct sd_sample_view *v, size_t n,
		     const struct tv_raw *raw, size_t nraw)
{
	uint32_t skipped = 0;

	for (size_t k = 0; k < nraw; k++) {
		const struct tv_raw *w = &raw[k];
		struct sd_record *rec = &r->vrecs[k];
		const struct sd_record *out;
		int rc = sd_deliver_other(r, w->p, sd_load16(w->p + 6, false),
					  w->offset, w->compressed, w->ev,
					  sd_load32(w->p, false), rec, &out);
		if (rc < 0)
			return rc;
		if (!rc)
			skipped |= 1u << k;
		if (r->str_scratch && in_scratch(r, rec)) {
			char *own = r->str_scratch;
			size_t cap = r->str_cap;
			r->str_scratch = r->vstr[k];
			r->str_cap = r->vstr_cap[k];
			r->vstr[k] = own;
			r->vstr_cap[k] = cap;
		}
	}
	if (!skipped)
		return (int)n;
	size_t j = raw[0].at;
	for (size_t i = j, k = 0; i < n; i++) {
		if (!v[i].evsel && (skipped >> k++) & 1)
			continue;
		v[j++] = v[i];
	}
	return (int)j;
}

int sd_reader_next_samples(struct sd_reader *r, struct sd_sample_view *v,
			   int max)
{
	struct sd_queue *q = &r->q;
	struct sd_qrun *c = q->top;
	struct tv_raw raw[SD_VIEW_RECS];
	size_t nraw;

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
	size_t n = take_views(r, c, v, (size_t)max, raw, &nraw);
	if (!nraw)
		return (int)n;
	return parse_raw(r, v, n, raw, nraw);
}
