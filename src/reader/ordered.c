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
 * Nothing is copied or sorted.  An entry says where its record lies (its
 * block stays while it is queued, block.c).  Entries stay in push order,
 * which is a few runs already in time order: each CPU's part of a round
 * is one, because a ring buffer is written in time order.  A push starts a
 * new run only when its time is older than the entry before it.  A flush
 * takes the smallest head of the runs that have anything to deliver (a
 * run's head is its oldest entry) from a binary heap keyed by (time, run):
 * runs are in push order, so equal times come out in push order, as a
 * stable sort would give them.  One or two such runs (one or two CPUs)
 * are taken inline (sd_queue_pop() in internal.h).  The entries are a ring (struct sd_queue):
 * what a flush leaves stays where it is, and the space before it is taken
 * again by later pushes; only a full ring is rewritten.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

#define AT(q, pos) (&(q)->v[(pos) & ((q)->cap - 1)])

static inline bool head_before(struct sd_qhead a, struct sd_qhead b)
{
	return a.time < b.time || (a.time == b.time && a.run < b.run);
}

static void sift_down(struct sd_queue *q, size_t i)
{
	size_t n = q->nheap;
	struct sd_qhead *h = q->heap, x = h[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && head_before(h[c + 1], h[c]))
			c++;
		if (!head_before(h[c], x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

void sd_queue_sift(struct sd_queue *q)
{
	sift_down(q, 0);
}

/* Where pushes may just append: while the last run ends at the tail and
 * the ring has room. */
static void set_fast_end(struct sd_queue *q)
{
	q->fast_end = q->nruns && q->runs[q->nruns - 1].end == q->tail ?
			      q->head + q->cap : 0;
}

/*
 * Starts delivering everything with time <= limit: the runs whose head
 * (their oldest entry) is that old go into the heap; the others have
 * nothing for this flush.
 */
static void flush_upto(struct sd_queue *q, uint64_t limit)
{
	q->limit = limit;
	q->nheap = 0;
	/* heap_cap >= runs_cap, kept so by push */
	for (size_t i = 0; i < q->nruns; i++) {
		struct sd_qrun *rn = &q->runs[i];
		uint64_t t;
		if (rn->cur != rn->end && (t = AT(q, rn->cur)->time) <= limit)
			q->heap[q->nheap++] = (struct sd_qhead){t, i};
	}
	for (size_t i = q->nheap / 2; i-- > 0;)
		sift_down(q, i);
	q->flushing = q->nheap > 0;
}

/* The flush is over: runs it emptied go, and the space before the first
 * live entry is free again. */
static void flush_end(struct sd_queue *q)
{
	size_t k = 0;

	for (size_t i = 0; i < q->nruns; i++) {
		struct sd_qrun rn = q->runs[i];
		if (rn.cur == rn.end)
			continue;
		if (k && q->runs[k - 1].end == rn.cur &&
		    AT(q, rn.cur - 1)->time <= AT(q, rn.cur)->time)
			q->runs[k - 1].end = rn.end; /* one run with the last */
		else
			q->runs[k++] = rn;
	}
	q->nruns = k;
	q->head = k ? q->runs[0].cur : q->tail;
	q->nheap = 0;
	q->flushing = false;
	set_fast_end(q);
}

/* The head of the heap's first run, which then moves on. */
static const struct sd_qent *take(struct sd_queue *q)
{
	struct sd_qrun *rn = &q->runs[q->heap[0].run];
	const struct sd_qent *e = AT(q, rn->cur);
	uint64_t t;

	rn->cur++;
	if (rn->cur != rn->end && (t = AT(q, rn->cur)->time) <= q->limit)
		q->heap[0].time = t;
	else
		q->heap[0] = q->heap[--q->nheap];
	if (q->nheap > 1)
		sift_down(q, 0);
	return e;
}

const struct sd_qent *sd_queue_pop_slow(struct sd_queue *q)
{
	if (q->held) {
		sd_block_unref(q->held);
		q->held = NULL;
	}
	if (!q->flushing)
		return NULL;
	if (!q->nheap) {
		flush_end(q);
		return NULL;
	}
	const struct sd_qent *e = take(q);
	q->held = e->blk;
	q->bytes -= e->len;
	q->last_flush = e->time;
	return e;
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

	for (size_t i = 0; i < q->nruns; i++)
		n += (size_t)(q->runs[i].end - q->runs[i].cur);
	return n;
}

/*
 * Rewrites the ring into a new one of cap entries: the live entries from
 * position 0 on, run after run, runs in order together joined; with
 * merge, all of them as one run in time order (the heap's order).
 */
static int relayout(struct sd_queue *q, size_t cap, bool merge)
{
	struct sd_qent *w = malloc(cap * sizeof *w);
	uint64_t o = 0;
	size_t k = 0;

	if (!w)
		return -ENOMEM;
	if (merge && q->nruns > 1) {
		flush_upto(q, UINT64_MAX);
		while (q->nheap)
			w[o++] = *take(q);
		q->flushing = false;
		q->runs[0].cur = 0;
		q->runs[0].end = o;
		k = 1;
	} else {
		for (size_t i = 0; i < q->nruns; i++) {
			struct sd_qrun rn = q->runs[i];
			if (rn.cur == rn.end)
				continue;
			bool join = k && w[o - 1].time <= AT(q, rn.cur)->time;
			if (!join)
				q->runs[k].cur = o;
			for (uint64_t p = rn.cur; p < rn.end; p++)
				w[o++] = *AT(q, p);
			if (join)
				q->runs[k - 1].end = o;
			else
				q->runs[k++].end = o;
		}
	}
	free(q->v);
	q->v = w;
	q->cap = cap;
	q->nruns = k;
	q->head = 0;
	q->tail = o;
	set_fast_end(q);
	return 0;
}

int sd_queue_push_slow(struct sd_queue *q, const struct sd_qent *e)
{
	if (q->tail - q->head == q->cap) {
		/* full: the same size if at most half of it is live (the rest
		 * is space a held-back entry keeps from reuse), else twice */
		size_t live = sd_queue_len(q), cap = q->cap ? q->cap : 256;
		if (q->cap && live > q->cap / 2)
			cap = q->cap * 2;
		if (cap < q->cap || relayout(q, cap, false))
			return -ENOMEM;
	}
	struct sd_qrun *last = q->nruns ? &q->runs[q->nruns - 1] : NULL;
	if (last && last->end == q->tail &&
	    e->time >= AT(q, q->tail - 1)->time) {
		last->end++;
	} else {
		if (q->nruns == q->runs_cap &&
		    grow((void **)&q->runs, &q->runs_cap, sizeof *q->runs))
			return -ENOMEM;
		/* the heap holds up to one index per run */
		if (q->heap_cap < q->runs_cap &&
		    grow((void **)&q->heap, &q->heap_cap, sizeof *q->heap))
			return -ENOMEM;
		q->runs[q->nruns].cur = q->tail;
		q->runs[q->nruns].end = q->tail + 1;
		q->nruns++;
	}
	*AT(q, q->tail) = *e;
	q->tail++;
	sd_block_ref(e->blk);
	q->last_time = e->time;
	if (e->time > q->max_time)
		q->max_time = e->time;
	q->bytes += e->len;
	set_fast_end(q);
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

void sd_queue_half(struct sd_queue *q)
{
	if (q->flushing || q->tail == q->head)
		return;
	/* one run in time order, to tell where the older half ends */
	if (relayout(q, q->cap, true)) {
		/* no memory for that: deliver it all, in order */
		flush_upto(q, UINT64_MAX);
		return;
	}
	flush_upto(q, AT(q, q->tail / 2)->time);
}

void sd_queue_fini(struct sd_queue *q)
{
	if (q->held)
		sd_block_unref(q->held);
	for (size_t i = 0; i < q->nruns; i++)
		for (uint64_t p = q->runs[i].cur; p < q->runs[i].end; p++)
			sd_block_unref(AT(q, p)->blk);
	free(q->v);
	free(q->runs);
	free(q->heap);
	memset(q, 0, sizeof *q);
}
