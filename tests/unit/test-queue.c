/* SPDX-License-Identifier: MIT */
/*
 * The reader's time-ordering queue (src/reader/ordered.c) and the blocks
 * queued records lie in (block.c), on their own: every flush is checked
 * against a plain model of perf's ordered_events -- at a FINISHED_ROUND,
 * everything queued with a time up to the newest time of the round before
 * goes out, sorted by time, equal times in push order; at the end,
 * everything.  The model sorts with qsort on (time, push number).
 */
#include "test.h"

#include "reader/internal.h"

/* xorshift64*: the same sequence on every run */
static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

struct item {
	uint64_t time;
	uint64_t seq;
};

/* the model: what is queued, and what came out so far */
static struct item *pend;
static size_t npend, cappend;
static uint64_t m_next_flush, m_max_time, m_last;

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static void model_push(uint64_t t, uint64_t seq)
{
	if (npend == cappend) {
		cappend = cappend ? cappend * 2 : 1024;
		pend = realloc(pend, cappend * sizeof *pend);
	}
	pend[npend++] = (struct item){t, seq};
	if (t > m_max_time)
		m_max_time = t;
}

/* Pops the queue's flush and checks it against the model's flush to
 * limit; 1 if they agree. */
static int check_flush(struct sd_queue *q, uint64_t limit)
{
	const struct sd_qent *e;
	size_t k = 0, n;
	int ok = 1;

	qsort(pend, npend, sizeof *pend, item_cmp);
	for (n = 0; n < npend && pend[n].time <= limit; n++)
		;
	while ((e = sd_queue_pop(q))) {
		/* the entry's offset field carries the push number */
		if (k >= n || e->time != pend[k].time ||
		    e->offset != pend[k].seq)
			ok = 0;
		k++;
	}
	if (k != n)
		ok = 0;
	if (n)
		m_last = pend[n - 1].time;
	memmove(pend, pend + n, (npend - n) * sizeof *pend);
	npend -= n;
	if (q->last_flush != m_last)
		ok = 0;
	return ok;
}

static void queue_item(struct sd_queue *q, uint64_t t, uint64_t seq,
		       struct sd_block *b)
{
	struct sd_qent e = {.time = t, .offset = seq, .len = 8, .blk = b};

	CHECK(sd_queue_push(q, &e) == 0);
	model_push(t, seq);
}

/*
 * ncpu buffers written in turn, per buffer records in time order
 * (ring buffers are), rounds of per records per buffer; jitter makes
 * times equal or out of order across buffers; late puts an old time
 * into a buffer now and then (a record perf would call out of order).
 */
static void run_rounds(unsigned ncpu, unsigned rounds, unsigned per,
		       uint64_t jitter, unsigned late)
{
	struct sd_queue q = {0};
	uint64_t seq = 0, now = 1000;
	int ok = 1;

	npend = 0;
	m_next_flush = m_max_time = m_last = 0;
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t start = now;
		for (unsigned c = 0; c < ncpu; c++) {
			uint64_t t = start + (jitter ? rnd() % jitter : 0);
			for (unsigned i = 0; i < per; i++) {
				t += 1 + (jitter ? rnd() % jitter : 0);
				uint64_t tt = t;
				if (late && rnd() % late == 0)
					tt = t > 500 ? t - 500 : 1;
				queue_item(&q, tt, seq++, NULL);
				if (t > now)
					now = t;
			}
		}
		/* FINISHED_ROUND */
		sd_queue_round(&q);
		ok &= check_flush(&q, m_next_flush);
		m_next_flush = m_max_time;
	}
	sd_queue_final(&q);
	ok &= check_flush(&q, UINT64_MAX);
	CHECK(ok);
	CHECK_U64(npend, 0);
	CHECK_U64(sd_queue_len(&q), 0);
	CHECK_U64(q.bytes, 0);
	sd_queue_fini(&q);
}

TEST(one_buffer)
{
	run_rounds(1, 50, 300, 0, 0);
}

TEST(two_buffers)
{
	run_rounds(2, 80, 200, 3, 0);
}

TEST(many_buffers_equal_times)
{
	/* jitter 1: times repeat across and within buffers */
	run_rounds(64, 20, 20, 1, 0);
}

TEST(out_of_order_records)
{
	run_rounds(4, 60, 100, 5, 7);
}

/* Random times, rounds of random length: anything goes. */
TEST(random_times)
{
	struct sd_queue q = {0};
	uint64_t seq = 0;
	int ok = 1;

	npend = 0;
	m_next_flush = m_max_time = m_last = 0;
	for (unsigned r = 0; r < 300; r++) {
		unsigned n = (unsigned)(rnd() % 200);
		for (unsigned i = 0; i < n; i++)
			queue_item(&q, 1 + rnd() % 100000, seq++, NULL);
		sd_queue_round(&q);
		ok &= check_flush(&q, m_next_flush);
		m_next_flush = m_max_time;
	}
	sd_queue_final(&q);
	ok &= check_flush(&q, UINT64_MAX);
	CHECK(ok);
	sd_queue_fini(&q);
}

/*
 * One record far in the future stays queued through every round; the
 * ring is rewritten around it (the space before it taken again) rather
 * than grown without end.
 */
TEST(held_back_record)
{
	struct sd_queue q = {0};
	uint64_t seq = 0, t = 10;
	int ok = 1;

	npend = 0;
	m_next_flush = m_max_time = m_last = 0;
	queue_item(&q, UINT64_MAX - 1, seq++, NULL);
	/* the model's flush limit is the newest time of the round before;
	 * the future record makes that everything: flush by hand */
	for (unsigned r = 0; r < 400; r++) {
		for (unsigned i = 0; i < 100; i++)
			queue_item(&q, t++, seq++, NULL);
		q.next_flush = t - 1; /* what a round of sane times gives */
		sd_queue_round(&q);
		ok &= check_flush(&q, t - 1);
	}
	CHECK(ok);
	CHECK_U64(sd_queue_len(&q), 1);
	/* 400 x 100 pushed, at most ~2 rounds live: the ring stays small */
	CHECK(q.cap <= 1024);
	sd_queue_final(&q);
	CHECK(check_flush(&q, UINT64_MAX));
	sd_queue_fini(&q);
}

/* Without rounds, sd_queue_half() delivers the older half in order. */
TEST(half)
{
	struct sd_queue q = {0};
	int ok = 1;

	npend = 0;
	m_next_flush = m_max_time = m_last = 0;
	for (uint64_t i = 0; i < 1000; i++)
		queue_item(&q, 1 + rnd() % 5000, i, NULL);
	sd_queue_half(&q);
	/* the limit is the time of the middle entry in time order */
	qsort(pend, npend, sizeof *pend, item_cmp);
	uint64_t mid = pend[npend / 2].time;
	ok &= check_flush(&q, mid);
	CHECK(ok);
	CHECK(npend < 500 + 1 && npend > 0);
	sd_queue_final(&q);
	CHECK(check_flush(&q, UINT64_MAX));
	sd_queue_fini(&q);
}

/*
 * Blocks: an entry keeps its block; the block of the entry popped last
 * stays until the next pop; a block whose writer is done and whose last
 * entry is gone goes back to the pool (kept for reuse up to max_free,
 * else freed).
 */
TEST(blocks_live_while_queued)
{
	struct sd_bpool pool = {.std_cap = 4096, .max_free = 1};
	struct sd_queue q = {0};
	struct sd_block *a = sd_block_get(&pool, 100);
	struct sd_block *b = sd_block_get(&pool, 100);
	uint64_t seq = 0;

	npend = 0;
	m_next_flush = m_max_time = m_last = 0;
	CHECK(a && b && a->cap == 4096);
	CHECK_U64(pool.nblocks, 2);
	queue_item(&q, 10, seq++, a);
	queue_item(&q, 30, seq++, a);
	queue_item(&q, 20, seq++, b);
	CHECK_U64(a->refs, 2);
	CHECK_U64(b->refs, 1);
	sd_block_done(a); /* the writer moves on: a stays for its entries */
	sd_block_done(b);
	CHECK_U64(pool.nblocks, 2);
	CHECK_U64(pool.nfree, 0);

	sd_queue_final(&q);
	const struct sd_qent *e = sd_queue_pop(&q); /* 10, in a */
	CHECK(e && e->time == 10 && e->blk == a);
	e = sd_queue_pop(&q); /* 20, in b */
	CHECK(e && e->time == 20 && e->blk == b);
	CHECK_U64(a->refs, 1); /* 30 still queued */
	e = sd_queue_pop(&q); /* 30: b's last entry was the one before */
	CHECK(e && e->time == 30 && e->blk == a);
	CHECK_U64(pool.nfree, 1); /* b back in the pool */
	CHECK(sd_queue_pop(&q) == NULL);
	/* a too now; the pool keeps one, so it is freed */
	CHECK_U64(pool.nblocks, 1);
	CHECK_U64(pool.nfree, 1);
	/* a reused block comes from the free list */
	struct sd_block *c = sd_block_get(&pool, 10);
	CHECK(c == b);
	CHECK_U64(pool.nfree, 0);
	sd_block_done(c);
	sd_queue_fini(&q);
	sd_bpool_fini(&pool);
	CHECK_U64(pool.nblocks, 0);
	free(pend);
	pend = NULL;
	npend = cappend = 0;
}

int main(void)
{
	RUN(one_buffer);
	RUN(two_buffers);
	RUN(many_buffers_equal_times);
	RUN(out_of_order_records);
	RUN(random_times);
	RUN(held_back_record);
	RUN(half);
	RUN(blocks_live_while_queued);
	return test_exit();
}
