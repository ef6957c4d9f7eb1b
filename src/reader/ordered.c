/* SPDX-License-Identifier: MIT */
/*
 * Time ordering, as perf's ordered_events does it.
 *
 * perf record writes each CPU's ring buffer in turn and a FINISHED_ROUND
 * record after every pass over all buffers.  No record written after a
 * round can be older than anything written before the round before it, so
 * at each FINISHED_ROUND everything up to the newest timestamp seen by the
 * previous round is delivered in time order (stable for equal times), and
 * the rest waits.  Records without a timestamp (0 or none) pass through at
 * once (next.c).  Memory is two rounds of records; without FINISHED_ROUND
 * records the queue is capped at SD_MAX_QUEUE_BYTES, then the older half
 * goes out (perf's OE_FLUSH__HALF).
 *
 * Nothing is copied or sorted.  Records are queued where they lie (their
 * block stays while they are queued, block.c), in stretches: records read
 * back to back, in time order (a CPU's part of a round, because a ring
 * buffer is written in time order).  Stretches stay in push order in a
 * ring and are linked into runs, each in time order: a new stretch goes
 * at the end of the run whose last record is the newest no newer than
 * its first (among the last few runs), so each CPU's buffer stays one run
 * from round to round.  A flush takes the smallest head of the runs that
 * have anything to deliver from a binary heap keyed by (time, position of
 * the head's stretch): positions are push order, and a stretch's records
 * were pushed one after the other, so equal times come out in push
 * order, as a stable sort would give them.  The top run goes on without
 * the heap while it stays first; two runs (two CPUs) trade places inline
 * (next.c).  What a flush leaves stays where it is, and the space before
 * it is taken again by later pushes; only a full ring is rewritten.  The
 * bytes queued are given back a stretch at a time (when it is delivered
 * whole, or its run's cursor goes back into it at a flush's end), not
 * for each record taken.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

#define AT(q, pos) (&(q)->v[(pos) & ((q)->cap - 1)])
/* the runs a new stretch may join: the last ones pushed to */
#define JOIN_SCAN 16

static inline bool live(const struct sd_qent *e)
{
	return e->data != e->end;
}

/* Run c's cursor on its head stretch. */
static void cursor_load(struct sd_queue *q, struct sd_qrun *c)
{
	const struct sd_qent *e = AT(q, c->cur);

	c->p = e->data;
	c->pend = e->end;
	c->time = e->time;
	c->off = e->offset;
	c->comp = e->compressed;
	c->ev_s = e->ev_s;
	c->ev_o = e->ev_o;
	c->s_time = e->ev_s ? sd_evx(e->ev_s)->s_time : 0;
	c->t_time = e->ev_o ? sd_evx(e->ev_o)->t_time : 0;
	c->loaded = true;
	/* its times do not go down: within the window from end to end */
	c->v_end = e->ev_s && sd_evx(e->ev_s)->view &&
			   e->time >= q->time_lo && e->tlast <= q->time_hi
		? sd_evx(e->ev_s)->s_end
		: SD_NO_VIEW;
}

/* Run c's cursor back into its head stretch. */
static void cursor_save(struct sd_queue *q, struct sd_qrun *c)
{
	if (c->loaded && c->cur != SD_QNONE) {
		struct sd_qent *e = AT(q, c->cur);
		q->bytes -= (size_t)(c->p - e->data);
		e->data = c->p;
		e->time = c->time;
		e->offset = c->off;
	}
	c->loaded = false;
}

/* The run to take from next, unless a block is to be let go first. */
static void set_top(struct sd_queue *q)
{
	q->top = q->nheap && !q->held ? &q->runs[q->heap[0].run] : NULL;
}

void sd_queue_top_moved(struct sd_queue *q, const uint8_t *next, uint64_t t)
{
	struct sd_qhead *h = q->heap;
	struct sd_qrun *c = &q->runs[h[0].run];
	bool done = false, same = true;

	c->p = next;
	if (next == c->pend) {
		/* the stretch is delivered: its block goes at the next pop */
		struct sd_qent *e = AT(q, c->cur);
		q->bytes -= (size_t)(e->end - e->data);
		e->data = e->end;
		q->held = e->blk;
		c->cur = e->next;
		if (c->cur != SD_QNONE) {
			cursor_load(q, c);
			t = c->time;
			h[0].pos = c->cur;
			/* the stop was for the stretch before: another
			 * position breaks ties otherwise */
			same = false;
		} else {
			c->last = SD_QNONE;
			done = true;
		}
	} else {
		c->time = t;
	}
	if (!done && same && t <= q->stop) {
		h[0].time = t;
	} else if (!done && t <= q->limit) {
		h[0].time = t;
		if (q->nheap == 2) {
			/* two runs (two CPUs) taking turns: one compare */
			if (sd_qhead_before(h[1], h[0])) {
				struct sd_qhead x = h[0];
				h[0] = h[1];
				h[1] = x;
			}
			q->stop = sd_queue_cap_stop(h[0].pos < h[1].pos ? h[1].time
							     : h[1].time - 1);
			set_top(q);
			return;
		}
		sd_queue_sift_down(q, 0);
		sd_queue_set_stop(q);
	} else {
		h[0] = h[--q->nheap];
		if (q->nheap > 1)
			sd_queue_sift_down(q, 0);
		sd_queue_set_stop(q);
	}
	set_top(q);
}

/* A push may extend the last stretch only while it is live and ends
 * where tail_end says. */
static void check_tail(struct sd_queue *q)
{
	if (q->tail_end && (q->tail == q->head || !live(AT(q, q->tail - 1)) ||
			    AT(q, q->tail - 1)->end != q->tail_end))
		q->tail_end = NULL;
}

/*
 * Starts delivering everything with time <= limit: the runs whose head
 * (their oldest record) is that old go into the heap, each read through
 * its cursor; the others have nothing for this flush.
 */
static void flush_upto(struct sd_queue *q, uint64_t limit)
{
	q->limit = limit;
	q->nheap = 0;
	/* heap_cap >= runs_cap, kept so by push */
	for (size_t i = 0; i < q->nruns; i++) {
		struct sd_qrun *rn = &q->runs[i];
		uint64_t t;
		if (rn->cur != SD_QNONE && (t = AT(q, rn->cur)->time) <= limit) {
			q->heap[q->nheap++] = (struct sd_qhead){t, rn->cur, i};
			cursor_load(q, rn);
		}
	}
	for (size_t i = q->nheap / 2; i-- > 0;)
		sd_queue_sift_down(q, i);
	q->flushing = q->nheap > 0;
	sd_queue_set_stop(q);
	set_top(q);
}

/* The flush is over: the cursors go back into their stretches, runs it
 * emptied go, and the space before the first live stretch is free
 * again. */
static void flush_end(struct sd_queue *q)
{
	size_t k = 0;
	uint64_t head = q->tail;

	for (size_t i = 0; i < q->nruns; i++) {
		struct sd_qrun *rn = &q->runs[i];
		cursor_save(q, rn);
		if (rn->cur == SD_QNONE)
			continue;
		if (rn->cur < head)
			head = rn->cur;
		q->runs[k++] = *rn;
	}
	q->nruns = k;
	q->head = head;
	q->nheap = 0;
	q->flushing = false;
	q->top = NULL;
	q->moved = false;
	check_tail(q);
}

void sd_queue_settle(struct sd_queue *q)
{
	if (q->moved) {
		struct sd_qrun *c = &q->runs[q->heap[0].run];
		q->moved = false;
		sd_queue_top_moved(q, c->p, c->time);
	}
	if (q->held) {
		sd_block_unref(q->held);
		q->held = NULL;
		set_top(q);
	}
}

bool sd_queue_pop_slow(struct sd_queue *q, struct sd_qrec *out)
{
	sd_queue_settle(q);
	if (!q->flushing)
		return false;
	if (!q->nheap) {
		flush_end(q);
		return false;
	}
	set_top(q); /* not NULL: nothing is held, the heap has a run */
	return sd_queue_pop(q, out, q->swap);
}

static int grow(void **v, size_t *cap, size_t elem)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, c * elem);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

size_t sd_queue_len(const struct sd_queue *q)
{
	size_t n = 0;

	for (uint64_t p = q->head; p < q->tail; p++)
		n += live(AT(q, p));
	return n;
}

/*
 * Rewrites the ring into a new one of cap stretches: the live ones from
 * position 0 on, in the order they were, the links and runs moved with
 * them.
 */
static int relayout(struct sd_queue *q, size_t cap)
{
	struct sd_qent *w = malloc(cap * sizeof *w);
	uint64_t o = 0;

	if (!w)
		return -ENOMEM;
	for (uint64_t p = q->head; p < q->tail; p++) {
		struct sd_qent *e = AT(q, p);
		if (!live(e))
			continue;
		e->newpos = o;
		w[o++] = *e;
	}
	for (uint64_t i = 0; i < o; i++)
		if (w[i].next != SD_QNONE)
			w[i].next = AT(q, w[i].next)->newpos;
	for (size_t i = 0; i < q->nruns; i++) {
		struct sd_qrun *rn = &q->runs[i];
		if (rn->cur != SD_QNONE) {
			rn->cur = AT(q, rn->cur)->newpos;
			rn->last = AT(q, rn->last)->newpos;
		}
	}
	free(q->v);
	q->v = w;
	q->cap = cap;
	q->head = 0;
	q->tail = o;
	check_tail(q);
	return 0;
}

/* The run a stretch starting at time t joins: of the last runs, the one
 * whose last record is the newest no newer than t; or -1. */
static ssize_t join_run(const struct sd_queue *q, uint64_t t)
{
	ssize_t best = -1;
	uint64_t best_t = 0;
	size_t stop = q->nruns > JOIN_SCAN ? q->nruns - JOIN_SCAN : 0;

	for (size_t i = q->nruns; i-- > stop;) {
		const struct sd_qrun *rn = &q->runs[i];
		if (rn->cur == SD_QNONE)
			continue;
		uint64_t tl = AT(q, rn->last)->tlast;
		if (tl <= t && (best < 0 || tl > best_t)) {
			best = (ssize_t)i;
			best_t = tl;
		}
	}
	return best;
}

int sd_queue_push_slow(struct sd_queue *q, const uint8_t *p, uint32_t len,
		       uint64_t t, struct sd_evsel *ev, struct sd_block *blk,
		       uint64_t off, bool compressed)
{
	bool sample = sd_load32(p, q->swap) == SD_REC_SAMPLE;

	if (q->tail - q->head == q->cap) {
		/* full: the same size if at most half of it is live (the rest
		 * is space a held-back stretch keeps from reuse), else twice */
		size_t n = sd_queue_len(q), cap = q->cap ? q->cap : 256;
		if (q->cap && n > q->cap / 2)
			cap = q->cap * 2;
		if (cap < q->cap || relayout(q, cap))
			return -ENOMEM;
	}
	ssize_t j = join_run(q, t);
	if (j < 0) {
		if (q->nruns == q->runs_cap &&
		    grow((void **)&q->runs, &q->runs_cap, sizeof *q->runs))
			return -ENOMEM;
		/* the heap holds up to one index per run */
		if (q->heap_cap < q->runs_cap &&
		    grow((void **)&q->heap, &q->heap_cap, sizeof *q->heap))
			return -ENOMEM;
		q->runs[q->nruns] =
			(struct sd_qrun){.cur = SD_QNONE, .last = SD_QNONE};
		j = (ssize_t)q->nruns++;
	}
	struct sd_qrun *rn = &q->runs[j];
	*AT(q, q->tail) = (struct sd_qent){
		.time = t,
		.tlast = t,
		.data = p,
		.end = p + len,
		.blk = blk,
		.ev_s = sample ? ev : NULL,
		.ev_o = sample ? NULL : ev,
		.offset = off,
		.next = SD_QNONE,
		.compressed = compressed,
	};
	if (rn->cur == SD_QNONE)
		rn->cur = q->tail;
	else
		AT(q, rn->last)->next = q->tail;
	rn->last = q->tail;
	q->tail++;
	sd_block_ref(blk);
	q->last_time = t;
	if (t > q->max_time)
		q->max_time = t;
	q->bytes += len;
	q->tail_end = p + len;
	return 0;
}

void sd_queue_round(struct sd_queue *q)
{
	flush_upto(q, q->next_flush);
	q->next_flush = q->max_time;
}

void sd_queue_final(struct sd_queue *q)
{
	flush_upto(q, UINT64_MAX);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void sd_queue_half(struct sd_queue *q)
{
	if (q->flushing || q->tail == q->head)
		return;
	/* the time of the middle record in time order: the older half
	 * goes out */
	size_t n = 0;
	for (uint64_t s = q->head; s < q->tail; s++) {
		const struct sd_qent *e = AT(q, s);
		for (const uint8_t *p = e->data; p != e->end;
		     p += sd_load16(p + 6, q->swap))
			n++;
	}
	uint64_t *ts = malloc((n ? n : 1) * sizeof *ts);
	if (!ts) {
		/* no memory for that: deliver it all, in order */
		flush_upto(q, UINT64_MAX);
		return;
	}
	size_t k = 0;
	for (uint64_t s = q->head; s < q->tail; s++) {
		const struct sd_qent *e = AT(q, s);
		for (const uint8_t *p = e->data; p != e->end;
		     p += sd_load16(p + 6, q->swap))
			ts[k++] = sd_qrec_time(e, p, q->swap);
	}
	qsort(ts, n, sizeof *ts, u64_cmp);
	uint64_t mid = ts[n / 2];
	free(ts);
	flush_upto(q, mid);
}

void sd_queue_fini(struct sd_queue *q)
{
	if (q->held)
		sd_block_unref(q->held);
	for (uint64_t p = q->head; p < q->tail; p++)
		if (live(AT(q, p)))
			sd_block_unref(AT(q, p)->blk);
	free(q->v);
	free(q->runs);
	free(q->heap);
	memset(q, 0, sizeof *q);
}
