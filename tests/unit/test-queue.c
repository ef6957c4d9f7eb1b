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

#include <sys/wait.h>

#include "config.h"
#include "pdbuild.h"
#include "reader/internal.h"
#if HAVE_ZSTD
#include <zstd.h>
#endif

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

/*
 * The records queued: 16 bytes each (a SAMPLE header and its time, the
 * one field of the event below), laid out in push order in an arena,
 * with a gap now and then so that they make stretches of several
 * lengths; a record's offset is where it lies in the arena, which is
 * also its push order (the model's seq).
 */
static struct sd_evx evx = {
	.ev = {.sample_type = SD_SAMPLE_TIME},
	.s_time = 8,
	.s_end = 16,
};
static uint8_t *arena;
static size_t arena_at;
#define ARENA (8u << 20)

/* A test's start: no records in the arena, the model empty. */
static void model_reset(void)
{
	if (!arena)
		arena = calloc(1, ARENA);
	arena_at = 0;
	npend = 0;
	m_next_flush = m_max_time = m_last = 0;
}

/* Pops the queue's flush and checks it against the model's flush to
 * limit; 1 if they agree. */
static int check_flush(struct sd_queue *q, uint64_t limit)
{
	struct sd_qrec e;
	size_t k = 0, n;
	int ok = 1;

	qsort(pend, npend, sizeof *pend, item_cmp);
	for (n = 0; n < npend && pend[n].time <= limit; n++)
		;
	while (sd_queue_pop(q, &e, false)) {
		if (k >= n || e.time != pend[k].time ||
		    e.offset != pend[k].seq || e.p != arena + e.offset ||
		    e.len != 16 || e.ev != &evx.ev ||
		    sd_load64(e.p + 8, false) != e.time)
			ok = 0;
		k++;
	}
	if (k != n)
		ok = 0;
	if (n)
		m_last = pend[n - 1].time;
	memmove(pend, pend + n, (npend - n) * sizeof *pend);
	npend -= n;
	if (q->last_flush != m_last || q->bytes != 16 * npend)
		ok = 0;
	return ok;
}

/* Queues a record of time t (in block b) after a gap of gap records. */
static void queue_gap(struct sd_queue *q, uint64_t t, unsigned gap,
		      struct sd_block *b)
{
	arena_at += 16 * (size_t)gap;
	CHECK(arena_at + 16 <= ARENA);
	uint8_t *p = arena + arena_at;
	uint32_t type = SD_REC_SAMPLE;
	uint16_t misc = 0, size = 16;
	memcpy(p, &type, 4);
	memcpy(p + 4, &misc, 2);
	memcpy(p + 6, &size, 2);
	memcpy(p + 8, &t, 8);
	CHECK(sd_queue_push(q, p, 16, t, &evx.ev, b, arena_at, false, true) ==
	      0);
	model_push(t, arena_at);
	arena_at += 16;
}

/* ... with a gap one time in five */
static void queue_item(struct sd_queue *q, uint64_t t)
{
	queue_gap(q, t, rnd() % 5 == 0, NULL);
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
	uint64_t now = 1000;
	int ok = 1;

	model_reset();
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t start = now;
		for (unsigned c = 0; c < ncpu; c++) {
			uint64_t t = start + (jitter ? rnd() % jitter : 0);
			for (unsigned i = 0; i < per; i++) {
				t += 1 + (jitter ? rnd() % jitter : 0);
				uint64_t tt = t;
				if (late && rnd() % late == 0)
					tt = t > 500 ? t - 500 : 1;
				queue_item(&q, tt);
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
	int ok = 1;

	model_reset();
	for (unsigned r = 0; r < 300; r++) {
		unsigned n = (unsigned)(rnd() % 200);
		for (unsigned i = 0; i < n; i++)
			queue_item(&q, 1 + rnd() % 100000);
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
	uint64_t t = 10;
	int ok = 1;

	model_reset();
	queue_item(&q, UINT64_MAX - 1);
	/* the model's flush limit is the newest time of the round before;
	 * the future record makes that everything: flush by hand */
	for (unsigned r = 0; r < 400; r++) {
		for (unsigned i = 0; i < 100; i++)
			queue_item(&q, t++);
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

	model_reset();
	for (uint64_t i = 0; i < 1000; i++)
		queue_item(&q, 1 + rnd() % 5000);
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

	model_reset();
	CHECK(a && b && a->cap == 4096);
	CHECK_U64(pool.nblocks, 2);
	/* 10 and 30 lie back to back in a: one stretch, one reference;
	 * 20 lies elsewhere, in b */
	queue_gap(&q, 10, 0, a);
	queue_gap(&q, 30, 0, a);
	queue_gap(&q, 20, 1, b);
	CHECK_U64(a->refs, 1);
	CHECK_U64(b->refs, 1);
	sd_block_done(a); /* the writer moves on: a stays for its entries */
	sd_block_done(b);
	CHECK_U64(pool.nblocks, 2);
	CHECK_U64(pool.nfree, 0);

	sd_queue_final(&q);
	struct sd_qrec e;
	CHECK(sd_queue_pop(&q, &e, false)); /* 10, in a */
	CHECK(e.time == 10 && e.offset == 0);
	CHECK(sd_queue_pop(&q, &e, false)); /* 20, in b */
	CHECK(e.time == 20 && e.offset == 48);
	CHECK_U64(a->refs, 1); /* 30 still queued */
	CHECK(sd_queue_pop(&q, &e, false)); /* 30: b's last record was the
					       * one before */
	CHECK(e.time == 30 && e.offset == 16);
	CHECK_U64(pool.nfree, 1); /* b back in the pool */
	CHECK(!sd_queue_pop(&q, &e, false));
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
	free(arena);
	arena = NULL;
}

/*
 * The reader over a recording of several MiB read from a file (256 KiB
 * blocks that queued records keep) and from a pipe (64 KiB blocks) gives
 * the same records in the same order as over the same bytes in memory
 * (no blocks at all): records cut by block ends, blocks kept while their
 * records wait, recycled after.  Two events, two CPUs' buffers per round,
 * samples of 1 to 40 frames, COMMs timed by their trailer or untimed.
 */
#define ST (SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_TIME | SD_SAMPLE_ID | \
	    SD_SAMPLE_CPU | SD_SAMPLE_PERIOD | SD_SAMPLE_CALLCHAIN)

enum build_mode { PLAIN, PIPE, ZSTD };

/* the bytes put through zstd by build() */
static uint64_t zbytes;

#if HAVE_ZSTD
/*
 * A CPU's part of a round as perf record -z writes it: one COMPRESSED
 * record, the next piece of one zstd stream (flushed, never ended).
 */
static void put_compressed(struct pd_buf *b, ZSTD_CStream *cs,
			   const struct pd_buf *chunk)
{
	size_t cap = ZSTD_compressBound(chunk->len) + 64;
	uint8_t *out = malloc(cap);
	ZSTD_inBuffer in = {chunk->p, chunk->len, 0};
	ZSTD_outBuffer o = {out, cap, 0};

	while (in.pos < in.size)
		CHECK(!ZSTD_isError(ZSTD_compressStream(cs, &o, &in)));
	while (ZSTD_flushStream(cs, &o) > 0)
		;
	CHECK(o.pos < 60000);
	zbytes += chunk->len;
	size_t at = pd_rec_begin(b, SD_REC_COMPRESSED, 0);
	pd_put_bytes(b, out, o.pos);
	pd_rec_end(b, at);
	free(out);
}
#endif

/* rounds false: no FINISHED_ROUND, so records wait to the end */
static void build(struct pd_buf *b, enum build_mode mode, bool rounds)
{
	bool pipe = mode == PIPE;
	struct pd_buf chunk = {0}, *cb = b;
#if HAVE_ZSTD
	ZSTD_CStream *cs = NULL;
	if (mode == ZSTD) {
		cs = ZSTD_createCStream();
		ZSTD_initCStream(cs, 1);
		cb = &chunk;
	}
#endif
	static const uint64_t ids0[] = {11, 12}, ids1[] = {21, 22};
	struct pd_event ev[2] = {
		{.attr = {.sample_type = ST, .flags = SD_ATTR_SAMPLE_ID_ALL,
			  .period = 1},
		 .ids = ids0, .nr_ids = 2},
		{.attr = {.type = SD_TYPE_SOFTWARE, .config = 9,
			  .sample_type = ST, .flags = SD_ATTR_SAMPLE_ID_ALL,
			  .period = 1},
		 .ids = ids1, .nr_ids = 2},
	};
	uint64_t ips[40], t = 1000;
	size_t data = 0;

	if (pipe) {
		pd_pipe_begin(b);
		pd_pipe_attr(b, &ev[0]);
		pd_pipe_attr(b, &ev[1]);
	} else {
		data = pd_file_begin(b, ev, 2);
	}
	for (unsigned round = 0; round < 400; round++) {
		uint64_t start = t;
		for (uint32_t cpu = 0; cpu < 2; cpu++) {
			uint64_t ct = start + cpu;
			for (unsigned i = 0; i < 60; i++) {
				ct += 1 + rnd() % 3;
				size_t n = 1 + rnd() % 40;
				for (size_t k = 0; k < n; k++)
					ips[k] = ct * 100 + k;
				struct pd_sample s = {
					.misc = SD_MISC_KERNEL, .ip = ct,
					.id = {.pid = 7, .tid = 7, .time = ct,
					       .id = 11 + cpu, .cpu = cpu},
					.period = 1, .ips = ips, .nr_ips = n,
				};
				pd_sample(cb, ST, &s);
				if (i % 17 == 0) {
					struct pd_ids id = {
						.pid = 7, .tid = 7,
						.time = i % 34 ? ct : 0,
						.id = 21 + cpu, .cpu = cpu};
					pd_comm(cb, ST, &id, "worker", false);
				}
				if (ct > t)
					t = ct;
			}
#if HAVE_ZSTD
			if (cs) {
				put_compressed(b, cs, &chunk);
				chunk.len = 0;
			}
#endif
		}
		if (rounds)
			pd_finished_round(b);
	}
	if (!pipe)
		pd_file_end(b, data, NULL, NULL);
#if HAVE_ZSTD
	ZSTD_freeCStream(cs);
#endif
	pd_buf_free(&chunk);
}

/* What a record was, to compare two reads. */
struct seen {
	uint32_t type;
	uint64_t time, ip, nr, first, last;
	const void *ev; /* compared by index */
	unsigned evi;
};

/* the most decode blocks read_records() saw allocated at once */
static size_t zblocks_peak;

static size_t read_records(struct sd_reader *r, struct seen *out, size_t max)
{
	const struct sd_record *rec;
	size_t n = 0;

	zblocks_peak = 0;
	while (n < max && sd_reader_next(r, &rec) > 0) {
		if (r->zpool.nblocks > zblocks_peak)
			zblocks_peak = r->zpool.nblocks;
		struct seen x = {.type = rec->type, .time = rec->id.time};
		x.evi = rec->evsel ? rec->evsel->index : 99;
		if (rec->type == SD_REC_SAMPLE) {
			x.ip = rec->sample.ip;
			x.nr = rec->sample.nr_ips;
			x.first = rec->sample.ips[0];
			x.last = rec->sample.ips[x.nr - 1];
		} else if (rec->type == SD_REC_COMM) {
			x.ip = strlen(rec->comm.comm);
		}
		out[n++] = x;
	}
	return n;
}

static int same_records(const struct seen *a, size_t na, const struct seen *b,
			size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].type != b[i].type || a[i].time != b[i].time ||
		    a[i].ip != b[i].ip || a[i].nr != b[i].nr ||
		    a[i].first != b[i].first || a[i].last != b[i].last ||
		    a[i].evi != b[i].evi)
			return 0;
	return 1;
}

TEST(blocks_in_files_and_pipes)
{
	enum { MAX = 80000 };
	struct seen *want = calloc(MAX, sizeof *want);
	struct seen *got = calloc(MAX, sizeof *got);
	char path[] = "/tmp/sd-test-queue-XXXXXX";

	for (int pipe_mode = 0; pipe_mode < 2; pipe_mode++) {
		struct pd_buf b = {0};
		struct sd_reader *r = NULL;
		build(&b, pipe_mode ? PIPE : PLAIN, true);
		CHECK(b.len > (4u << 20)); /* many blocks */
		CHECK(sd_reader_open_mem(b.p, b.len, "mem", 0, NULL, &r) == 0);
		size_t nw = r ? read_records(r, want, MAX) : 0;
		CHECK(nw > 40000);
		sd_reader_free(r);
		r = NULL;

		int fd;
		if (!pipe_mode) {
			fd = mkstemp(path);
			CHECK(fd >= 0);
			CHECK(write(fd, b.p, b.len) == (ssize_t)b.len);
			unlink(path);
		} else {
			int pfd[2];
			CHECK(pipe(pfd) == 0);
			pid_t pid = fork();
			if (pid == 0) {
				close(pfd[0]);
				size_t off = 0;
				while (off < b.len) {
					ssize_t k = write(pfd[1], b.p + off,
							  b.len - off);
					if (k <= 0)
						_exit(1);
					off += (size_t)k;
				}
				_exit(0);
			}
			close(pfd[1]);
			fd = pfd[0];
		}
		CHECK(sd_reader_open_fd(fd, "fd", 0, NULL, &r) == 0);
		size_t ng = r ? read_records(r, got, MAX) : 0;
		CHECK(same_records(want, nw, got, ng));
		if (r) {
			/* after the end everything the reader read into is
			 * gone */
			CHECK(r->src.blk == NULL);
			CHECK_U64(r->src.pool.nblocks, 0);
			CHECK_U64(r->q.cap, 0);
			CHECK_U64(sd_reader_stats(r)->bytes_consumed, b.len);
		}
		sd_reader_free(r);
		if (pipe_mode) {
			int st = 1;
			wait(&st);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		pd_buf_free(&b);
	}
	free(want);
	free(got);
}

/*
 * sd_reader_skip(SD_SKIP_SAMPLE_IDS): the same records, the samples
 * without their id, stream id, CPU and address, the other records with
 * their trailer's time alone; everything else as read in full (the fast path of sd_reader_next() and the general one:
 * the other-order file takes the general one).
 */
static void check_skip(bool be)
{
	struct pd_buf b = {.be = be};
	struct sd_reader *r1 = NULL, *r2 = NULL;
	const struct sd_record *x, *y;
	size_t n = 0, bad = 0, samples = 0;

	build(&b, PLAIN, true);
	CHECK(sd_reader_open_mem(b.p, b.len, "full", 0, NULL, &r1) == 0);
	CHECK(sd_reader_open_mem(b.p, b.len, "skip", 0, NULL, &r2) == 0);
	if (!r1 || !r2)
		goto out;
	sd_reader_skip(r2, SD_SKIP_SAMPLE_IDS);
	for (;;) {
		int a = sd_reader_next(r1, &x), c = sd_reader_next(r2, &y);
		if (a != c) {
			bad++;
			break;
		}
		if (a <= 0)
			break;
		n++;
		if (x->type != y->type || x->offset != y->offset ||
		    !x->evsel != !y->evsel ||
		    (x->evsel && x->evsel->index != y->evsel->index) ||
		    x->id.time != y->id.time ||
		    x->id.has_time != y->id.has_time) {
			bad++;
			continue;
		}
		if (x->type != SD_REC_SAMPLE) {
			/* other records keep their trailer's time alone */
			bad += y->id.pid || y->id.tid || y->id.id ||
			       y->id.stream_id || y->id.cpu ||
			       y->id.has_tid || y->id.has_id ||
			       y->id.has_cpu;
			continue;
		}
		bad += x->id.pid != y->id.pid || x->id.tid != y->id.tid ||
		       x->id.has_tid != y->id.has_tid;
		samples++;
		bad += x->sample.ip != y->sample.ip ||
		       x->sample.period != y->sample.period ||
		       x->sample.nr_ips != y->sample.nr_ips ||
		       memcmp(x->sample.ips, y->sample.ips,
			      8 * x->sample.nr_ips) != 0;
		/* read in full: the event's ids and the CPU */
		bad += x->id.id != 11 + x->id.cpu || !x->id.has_id ||
		       !x->id.has_cpu;
		bad += y->id.id != 0 || y->id.stream_id != 0 ||
		       y->id.cpu != 0 || y->id.has_id || y->id.has_cpu ||
		       y->sample.addr != 0;
	}
	CHECK(n > 40000 && samples > 40000);
	CHECK_U64(bad, 0);
out:
	sd_reader_free(r1);
	sd_reader_free(r2);
	pd_buf_free(&b);
}

TEST(skip_sample_ids)
{
	check_skip(false);
	check_skip(true);
}

#if HAVE_ZSTD
/*
 * perf record -z: a stream of about 9 MB decoded, many times a decode
 * block, read from a file decodes straight into the blocks, zstd reading
 * back across their ends; the records are those of the same recording
 * uncompressed, read from memory.  With FINISHED_ROUND records, queued
 * records lie within a window and two blocks are taken in turn; without,
 * every record waits to the end, and so does every block.
 */
static void check_blocks_zstd(bool rounds)
{
	enum { MAX = 80000 };
	struct seen *want = calloc(MAX, sizeof *want);
	struct seen *got = calloc(MAX, sizeof *got);
	struct pd_buf plain = {0}, z = {0};
	struct sd_reader *r = NULL;
	char path[] = "/tmp/sd-test-queue-XXXXXX";
	uint64_t seed = rng;

	build(&plain, PLAIN, rounds);
	rng = seed;
	zbytes = 0;
	build(&z, ZSTD, rounds);
	CHECK(z.len < plain.len / 3);
	CHECK(sd_reader_open_mem(plain.p, plain.len, "mem", 0, NULL, &r) == 0);
	size_t nw = r ? read_records(r, want, MAX) : 0;
	CHECK(nw > 40000);
	sd_reader_free(r);
	r = NULL;

	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, z.p, z.len) == (ssize_t)z.len);
	unlink(path);
	CHECK(sd_reader_open_fd(fd, "fd", 0, NULL, &r) == 0);
	size_t ng = r ? read_records(r, got, MAX) : 0;
	CHECK(same_records(want, nw, got, ng));
	if (r) {
		const struct sd_reader_stats *st = sd_reader_stats(r);
		CHECK_U64(st->decompressed_bytes, zbytes);
		CHECK_U64(st->records[SD_REC_COMPRESSED], 800);
		CHECK_U64(st->bad_records, 0);
		CHECK_U64(sd_reader_diags(r)->n, 0);
		if (rounds)
			CHECK_U64(zblocks_peak, 2);
		else
			CHECK(zblocks_peak > 8);
		/* after the end the decode blocks are gone */
		CHECK(r->dblk == NULL);
		CHECK_U64(r->zpool.nblocks, 0);
	}
	sd_reader_free(r);
	pd_buf_free(&plain);
	pd_buf_free(&z);
	free(want);
	free(got);
}

TEST(blocks_zstd)
{
	check_blocks_zstd(true);
	check_blocks_zstd(false);
}
#endif

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
	RUN(blocks_in_files_and_pipes);
	RUN(skip_sample_ids);
#if HAVE_ZSTD
	RUN(blocks_zstd);
#endif
	return test_exit();
}
