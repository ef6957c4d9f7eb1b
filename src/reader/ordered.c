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
 * once.  Memory is two rounds of records; without FINISHED_ROUND records
 * the queue is capped at SD_MAX_QUEUE_BYTES, then the older half goes out.
 *
 * Queued records are copied into per-round chunks; a round's chunks are
 * freed when its last record has been delivered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

/* A round's records go into chunks that double from FIRST_CHUNK to CHUNK:
 * a small input never allocates a MiB (under ASan or valgrind every large
 * allocation is an mmap of its own), a large one soon uses big chunks. */
#define FIRST_CHUNK (1u << 14)
#define CHUNK (1u << 20)

static struct sd_qround *round_get(struct sd_queue *q, uint32_t id)
{
	if (id < q->round_base || id - q->round_base >= q->nrounds_alloc)
		return NULL;
	return &q->rounds[id - q->round_base];
}

/* Keeps a delivered round's chunk for reuse (the smallest kept one
 * makes room if there is none), or frees it. */
static void chunk_release(struct sd_queue *q, struct sd_qchunk c)
{
	size_t max = sizeof q->spare / sizeof q->spare[0], small = 0;

	if (q->nspare < max) {
		q->spare[q->nspare++] = c;
		return;
	}
	for (size_t i = 1; i < max; i++)
		if (q->spare[i].size < q->spare[small].size)
			small = i;
	if (q->spare[small].size < c.size) {
		struct sd_qchunk t = q->spare[small];
		q->spare[small] = c;
		c = t;
	}
	free(c.p);
}

/* A chunk of at least sz bytes: the largest kept one if it is big
 * enough, else a new one. */
static struct sd_qchunk chunk_get(struct sd_queue *q, size_t sz)
{
	size_t big = 0;

	for (size_t i = 1; i < q->nspare; i++)
		if (q->spare[i].size > q->spare[big].size)
			big = i;
	if (q->nspare && q->spare[big].size >= sz) {
		struct sd_qchunk c = q->spare[big];
		q->spare[big] = q->spare[--q->nspare];
		return c;
	}
	return (struct sd_qchunk){malloc(sz), sz};
}

static void rounds_trim(struct sd_queue *q)
{
	size_t k = 0;

	while (k < q->nrounds_alloc && q->rounds[k].closed &&
	       q->rounds[k].live == 0) {
		for (size_t i = 0; i < q->rounds[k].nchunks; i++)
			chunk_release(q, q->rounds[k].chunks[i]);
		free(q->rounds[k].chunks);
		k++;
	}
	if (!k)
		return;
	memmove(q->rounds, q->rounds + k,
		(q->nrounds_alloc - k) * sizeof *q->rounds);
	q->nrounds_alloc -= k;
	q->round_base += (uint32_t)k;
}

static uint8_t *round_alloc(struct sd_queue *q, uint32_t len)
{
	struct sd_qround *rd;
	size_t need = (len + 7u) & ~7u;

	if (q->nrounds_alloc == 0)
		q->round_base = q->cur_round; /* skip empty rounds */
	while (q->cur_round - q->round_base >= q->nrounds_alloc) {
		/* doubling: a record held back (a timestamp far ahead) keeps
		 * every round after it, one per FINISHED_ROUND */
		if (q->nrounds_alloc == q->rounds_cap) {
			size_t cap = q->rounds_cap ? q->rounds_cap * 2 : 4;
			struct sd_qround *v =
				realloc(q->rounds, cap * sizeof *v);
			if (!v)
				return NULL;
			q->rounds = v;
			q->rounds_cap = cap;
		}
		memset(&q->rounds[q->nrounds_alloc], 0, sizeof *q->rounds);
		q->rounds[q->nrounds_alloc].closed =
			q->round_base + q->nrounds_alloc < q->cur_round;
		q->nrounds_alloc++;
	}
	rd = round_get(q, q->cur_round);
	if (!rd->nchunks || rd->used + need > rd->size) {
		size_t sz = rd->nchunks ? rd->size * 2 : FIRST_CHUNK;
		if (sz > CHUNK)
			sz = CHUNK;
		if (sz < need)
			sz = need;
		struct sd_qchunk *cv = realloc(rd->chunks,
					       (rd->nchunks + 1) * sizeof *cv);
		if (!cv)
			return NULL;
		rd->chunks = cv;
		cv[rd->nchunks] = chunk_get(q, sz);
		if (!cv[rd->nchunks].p)
			return NULL;
		rd->size = cv[rd->nchunks].size;
		rd->nchunks++;
		rd->used = 0;
	}
	uint8_t *p = rd->chunks[rd->nchunks - 1].p + rd->used;
	rd->used += need;
	rd->live++;
	return p;
}

static int qent_cmp(const struct sd_qent *a, const struct sd_qent *b)
{
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/*
 * Sorts v[0, n) by (time, seq).  Ring buffers are written in time order,
 * so the array is a few long sorted runs: a natural merge sort does
 * O(n log runs) work and nothing when it is already sorted.
 */
static int sort_entries(struct sd_queue *q, struct sd_qent *v, size_t n)
{
	size_t i;

	for (i = 1; i < n && qent_cmp(&v[i - 1], &v[i]) <= 0; i++)
		;
	if (i >= n)
		return 0;
	/* one buffer for every round: resident after the first */
	if (q->tmpcap < n) {
		struct sd_qent *t = realloc(q->tmp, n * sizeof *t);
		if (!t)
			return -ENOMEM;
		q->tmp = t;
		q->tmpcap = n;
	}
	struct sd_qent *tmp = q->tmp;
	struct sd_qent *src = v, *dst = tmp;
	for (;;) {
		size_t runs = 0, lo = 0;
		while (lo < n) {
			size_t mid = lo + 1;
			while (mid < n && qent_cmp(&src[mid - 1], &src[mid]) <= 0)
				mid++;
			size_t hi = mid;
			if (hi < n) {
				hi++;
				while (hi < n && qent_cmp(&src[hi - 1], &src[hi]) <= 0)
					hi++;
			}
			size_t a = lo, b = mid, o = lo;
			while (a < mid && b < hi)
				dst[o++] = qent_cmp(&src[b], &src[a]) < 0 ?
						   src[b++] : src[a++];
			while (a < mid)
				dst[o++] = src[a++];
			while (b < hi)
				dst[o++] = src[b++];
			runs++;
			lo = hi;
		}
		struct sd_qent *t = src;
		src = dst;
		dst = t;
		if (runs <= 1)
			break;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	return 0;
}

/* Makes v[head, flush_end) the records with time <= limit, in order. */
static void flush_upto(struct sd_reader *r, uint64_t limit)
{
	struct sd_queue *q = &r->q;
	size_t n = q->n - q->head, k;

	/* nothing queued yet: q->v may still be NULL, and NULL + 0 is
	 * undefined behaviour */
	if (n && sort_entries(q, q->v + q->head, n)) {
		/* out of memory: deliver in arrival order rather than lose */
		limit = UINT64_MAX;
	}
	for (k = q->head; k < q->n && q->v[k].time <= limit; k++)
		;
	q->flush_end = k;
	q->flushing = k > q->head;
	if (k > q->head)
		q->last_flush = q->v[k - 1].time;
}

int sd_queue_push(struct sd_reader *r, const uint8_t *data, uint32_t len,
		  uint64_t time, uint64_t offset, bool compressed)
{
	struct sd_queue *q = &r->q;
	struct sd_qent *e;
	uint8_t *copy;

	if (q->n == q->cap) {
		/* compact delivered entries away before growing */
		if (q->head && !q->flushing) {
			memmove(q->v, q->v + q->head,
				(q->n - q->head) * sizeof *q->v);
			q->n -= q->head;
			q->head = 0;
		}
		if (q->n == q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 256;
			e = realloc(q->v, cap * sizeof *e);
			if (!e)
				return -ENOMEM;
			q->v = e;
			q->cap = cap;
		}
	}
	copy = round_alloc(q, len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	if (time < q->last_flush)
		r->stats.out_of_order++;
	e = &q->v[q->n++];
	*e = (struct sd_qent){time, q->seq++, copy, offset, len, q->cur_round,
			      compressed};
	if (time > q->max_time)
		q->max_time = time;
	q->bytes += len;
	if (q->bytes > SD_MAX_QUEUE_BYTES && !q->flushing) {
		/* perf's OE_FLUSH__HALF: deliver the older half now */
		sd_diags_add(&r->diags, SD_NOTE, SD_E_LIMIT, offset,
			     "more than %u MiB of records between two "
			     "FINISHED_ROUND marks; ordering them in parts",
			     SD_MAX_QUEUE_BYTES >> 20);
		sort_entries(q, q->v + q->head, q->n - q->head);
		size_t mid = q->head + (q->n - q->head) / 2;
		flush_upto(r, q->v[mid].time);
	}
	return 0;
}

void sd_queue_round(struct sd_reader *r)
{
	struct sd_queue *q = &r->q;
	struct sd_qround *rd = round_get(q, q->cur_round);

	if (rd)
		rd->closed = true;
	q->cur_round++;
	flush_upto(r, q->next_flush);
	q->next_flush = q->max_time;
	rounds_trim(q);
}

void sd_queue_final(struct sd_reader *r)
{
	struct sd_qround *rd = round_get(&r->q, r->q.cur_round);

	if (rd)
		rd->closed = true;
	r->q.cur_round++;
	flush_upto(r, UINT64_MAX);
}

const struct sd_qent *sd_queue_pop(struct sd_reader *r)
{
	struct sd_queue *q = &r->q;

	if (!q->flushing || q->head >= q->flush_end) {
		q->flushing = false;
		rounds_trim(q);
		return NULL;
	}
	struct sd_qent *e = &q->v[q->head++];
	struct sd_qround *rd = round_get(q, e->round);
	if (rd && rd->live)
		rd->live--;
	q->bytes -= e->len;
	return e;
}

void sd_queue_fini(struct sd_queue *q)
{
	for (size_t k = 0; k < q->nrounds_alloc; k++) {
		for (size_t i = 0; i < q->rounds[k].nchunks; i++)
			free(q->rounds[k].chunks[i].p);
		free(q->rounds[k].chunks);
	}
	for (size_t i = 0; i < q->nspare; i++)
		free(q->spare[i].p);
	free(q->rounds);
	free(q->v);
	free(q->tmp);
	memset(q, 0, sizeof *q);
}
