/* SPDX-License-Identifier: MIT */
/*
 * sd_reader_next_samples(): samples handed out in place.  A recording
 * of two CPUs' buffers, whose samples take turns in time, is read twice:
 * record by record with sd_reader_next(), and in runs of views with
 * sd_reader_next_samples() (sd_reader_next() for what is not a view).
 * Both must give the same records in the same order, and each sample the
 * fields the builder wrote: those are known from its tid, which numbers
 * it.  Samples of an event without PERIOD are no views; neither is
 * anything of a file in the other byte order.  Besides agreeing with each
 * other, both must give perf's order: by time, and records of the same
 * time in the order they lie in the file (the order they were queued).
 * With EXIT records among them, SD_SKIP_EXIT leaves out the whole ones
 * and only them, either way of reading.  Call chains that do not fill
 * their sample exactly, or pass the cap, are no views.
 */
#include "test.h"

#include <unistd.h>

#include <swapdiag/reader.h>

#include "pdbuild.h"

#define ST_VIEW (SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_TIME |            \
		 SD_SAMPLE_ID | SD_SAMPLE_CPU | SD_SAMPLE_PERIOD |          \
		 SD_SAMPLE_CALLCHAIN)
#define ST_NOPERIOD (ST_VIEW & ~(uint64_t)SD_SAMPLE_PERIOD)

enum { ROUNDS = 150, PER_CPU = 50 };

/* CPUs' buffers in the recording: two take turns; with three, the two
 * that come first take turns until the third comes first, which the
 * heap of the flush is then told */
static unsigned ncpu = 2;
/* the CPUs sample at the same times (else CPU c at 2c modulo 2 * ncpu):
 * which buffer goes first is told by where its stretch lies */
static bool ties;
/* an EXIT after sample i when i % 11 == 3, a damaged one (no time in
 * its body) after sample 7 of the first round */
static bool exits;
/* the last of three CPUs samples from half-way through a round on (into
 * the next round's times): in a flush the first two take turns while
 * its run waits in the heap, then all three do */
static bool late;

/* Sample i of a CPU's part of a round: tid 1000 + i, the other event
 * when i % 13 == 5, a COMM after it when i % 11 == 0. */
static bool other_event(unsigned i)
{
	return i % 13 == 5;
}

static size_t frames_of(uint32_t tid)
{
	return 1 + (tid - 1000) % 7;
}

static void build(struct pd_buf *b)
{
	static const uint64_t ids0[] = {11, 12, 13}, ids1[] = {21, 22, 23};
	struct pd_event ev[2] = {
		{.attr = {.sample_type = ST_VIEW,
			  .flags = SD_ATTR_SAMPLE_ID_ALL, .period = 1},
		 .ids = ids0, .nr_ids = 3},
		{.attr = {.type = SD_TYPE_SOFTWARE, .config = 9,
			  .sample_type = ST_NOPERIOD,
			  .flags = SD_ATTR_SAMPLE_ID_ALL, .period = 1},
		 .ids = ids1, .nr_ids = 3},
	};
	uint64_t ips[8];
	size_t data = pd_file_begin(b, ev, 2);

	for (unsigned round = 0; round < ROUNDS; round++) {
		for (uint32_t cpu = 0; cpu < ncpu; cpu++) {
			/* CPU c at times 2c modulo 2 * ncpu (or all at 0
			 * modulo 2 * ncpu): a flush takes turns between
			 * the buffers */
			uint64_t t0 = 1200 + (uint64_t)round * 2 * ncpu * PER_CPU;
			if (late && cpu == 2)
				t0 += ncpu * PER_CPU;
			for (unsigned i = 0; i < PER_CPU; i++) {
				uint64_t ct = t0 + 2 * ncpu * i + (ties ? 0 : 2 * cpu);
				bool oth = other_event(i);
				struct pd_sample s = {
					.misc = i % 2 ? SD_MISC_USER
						      : SD_MISC_KERNEL,
					.ip = ct,
					.id = {.pid = 100 + cpu,
					       .tid = 1000 + i, .time = ct,
					       .id = (oth ? 21 : 11) + cpu,
					       .cpu = cpu},
					.period = i + 1,
					.ips = ips,
					.nr_ips = frames_of(1000 + i),
				};
				for (size_t k = 0; k < s.nr_ips; k++)
					ips[k] = ct * 100 + k;
				pd_sample(b, oth ? ST_NOPERIOD : ST_VIEW, &s);
				if (exits && i % 11 == 3)
					pd_task(b, SD_REC_EXIT, ST_VIEW,
						100 + cpu, 100 + cpu,
						1000 + i, 1000 + i, ct + 1);
				if (exits && i == 7 && round == 0) {
					struct pd_ids id = {
						.pid = 100 + cpu, .tid = 1000 + i,
						.time = ct + 1, .id = 11 + cpu,
						.cpu = cpu};
					size_t at = pd_rec_begin(b, SD_REC_EXIT, 0);
					pd_put32(b, 100 + cpu); /* pid */
					pd_put32(b, 100 + cpu); /* ppid */
					pd_put32(b, 1000 + i);  /* tid */
					pd_put32(b, 1000 + i);  /* ptid */
					pd_put_trailer(b, ST_VIEW, &id);
					pd_rec_end(b, at);
				}
				if (i % 11 == 0) {
					struct pd_ids id = {
						.pid = 100 + cpu, .tid = 1000 + i,
						.time = ct + 1, .id = 11 + cpu,
						.cpu = cpu};
					pd_comm(b, ST_VIEW, &id, "worker",
						false);
				}
			}
		}
		pd_finished_round(b);
	}
	pd_file_end(b, data, NULL, NULL);
}

/* One record as either way of reading gives it. */
struct got {
	uint32_t type;
	uint16_t misc;
	unsigned evi;
	uint64_t offset, time, ip, period;
	uint32_t pid, tid;
	uint64_t nr;
	bool chain_ok; /* ips[k] == time * 100 + k */
	bool view;
};

static bool chain_ok(const uint64_t *ips, uint64_t nr, uint64_t t)
{
	for (uint64_t k = 0; k < nr; k++)
		if (ips[k] != t * 100 + k)
			return false;
	return true;
}

static struct got of_record(const struct sd_record *rec)
{
	struct got g = {
		.type = rec->type, .misc = rec->misc,
		.evi = rec->evsel ? rec->evsel->index : 99,
		.offset = rec->offset, .time = rec->id.time,
	};

	if (rec->type == SD_REC_SAMPLE) {
		g.ip = rec->sample.ip;
		g.period = rec->sample.period;
		g.pid = rec->id.pid;
		g.tid = rec->id.tid;
		g.nr = rec->sample.nr_ips;
		g.chain_ok = chain_ok(rec->sample.ips, g.nr, g.time);
	}
	return g;
}

static struct got of_view(const struct sd_sample_view *v)
{
	return (struct got){
		.type = SD_REC_SAMPLE, .misc = v->misc,
		.evi = v->evsel->index, .offset = v->offset,
		.time = v->time, .ip = v->ip, .period = v->period,
		.pid = v->pid, .tid = v->tid, .nr = v->nr_ips,
		.chain_ok = chain_ok(v->ips, v->nr_ips, v->time),
		.view = true,
	};
}

static size_t read_plain(struct sd_reader *r, struct got *out, size_t max)
{
	const struct sd_record *rec;
	size_t n = 0;

	while (n < max && sd_reader_next(r, &rec) > 0)
		out[n++] = of_record(rec);
	return n;
}

/* Views in runs of at most 1, 2, 7 and 64 by turns. */
static size_t read_views(struct sd_reader *r, struct got *out, size_t max)
{
	static const size_t runs[] = {1, 2, 7, 64};
	struct sd_sample_view v[64];
	const struct sd_record *rec;
	size_t n = 0, turn = 0;

	while (n < max) {
		int k = sd_reader_next_samples(r, v, (int)runs[turn++ % 4],
					       &rec);
		CHECK(k >= 0);
		if (k < 0)
			break;
		for (int i = 0; i < k && n < max; i++)
			out[n++] = of_view(&v[i]);
		if (rec && n < max)
			out[n++] = of_record(rec);
		if (k || rec)
			continue;
		if (sd_reader_next(r, &rec) <= 0)
			break;
		out[n++] = of_record(rec);
	}
	return n;
}

static bool same(const struct got *x, const struct got *y)
{
	return x->type == y->type && x->misc == y->misc && x->evi == y->evi &&
	       x->offset == y->offset && x->time == y->time &&
	       x->ip == y->ip && x->period == y->period && x->pid == y->pid &&
	       x->tid == y->tid && x->nr == y->nr &&
	       x->chain_ok == y->chain_ok;
}

/* What the builder wrote for a sample with this tid and time. */
static bool sample_as_built(const struct got *g)
{
	uint32_t i = g->tid - 1000;
	unsigned cpu = g->pid - 100;

	return g->ip == g->time && g->chain_ok && cpu < ncpu &&
	       g->time % (2 * ncpu) == (ties ? 0 : 2 * cpu) && i < PER_CPU &&
	       g->nr == frames_of(g->tid) &&
	       g->misc == (i % 2 ? SD_MISC_USER : SD_MISC_KERNEL) &&
	       g->evi == (other_event(i) ? 1u : 0u) &&
	       g->period == (other_event(i) ? 1u : i + 1);
}

/* The views reader on the bytes of b: in memory, or from a file (read
 * in windows into blocks, which are reused while the reader goes on). */
static struct sd_reader *open_views(const struct pd_buf *b, bool file)
{
	struct sd_reader *r = NULL;
	char path[] = "/tmp/sd-test-views-XXXXXX";

	if (!file) {
		CHECK(sd_reader_open_mem(b->p, b->len, "views", 0, NULL, &r) ==
		      0);
		return r;
	}
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return NULL;
	unlink(path);
	CHECK(write(fd, b->p, b->len) == (ssize_t)b->len);
	CHECK(sd_reader_open_fd(fd, "views", 0, NULL, &r) == 0);
	return r;
}

static void check_views(bool be, bool file)
{
	enum { MAX = 40000 };
	struct got *want = calloc(MAX, sizeof *want);
	struct got *got = calloc(MAX, sizeof *got);
	struct pd_buf b = {.be = be};
	struct sd_reader *r1 = NULL, *r2 = NULL;
	size_t nw = 0, ng = 0, views = 0, samples = 0, comms = 0;
	size_t diff = 0, unbuilt = 0, backwards = 0, other_views = 0;
	size_t ties_misordered = 0, tied = 0;

	build(&b);
	CHECK(sd_reader_open_mem(b.p, b.len, "records", 0, NULL, &r1) == 0);
	r2 = open_views(&b, file);
	if (!r1 || !r2)
		goto out;
	nw = read_plain(r1, want, MAX);
	ng = read_views(r2, got, MAX);
	CHECK_U64(ng, nw);
	for (size_t i = 0; i < nw && i < ng; i++) {
		struct got y = got[i];
		views += y.view;
		diff += !same(&want[i], &y);
		if (i && y.time < got[i - 1].time)
			backwards++;
		if (i && y.time == got[i - 1].time) {
			tied++;
			ties_misordered += y.offset < got[i - 1].offset;
		}
		if (y.type == SD_REC_COMM) {
			/* of the first event by its trailer's id, which
			 * the read loop tells without the id map */
			comms++;
			unbuilt += y.evi != 0 || y.time % 2 != 1;
		}
		if (y.type != SD_REC_SAMPLE)
			continue;
		samples++;
		unbuilt += !sample_as_built(&y);
		other_views += y.view && y.evi != 0;
	}
	CHECK_U64(diff, 0);
	CHECK_U64(unbuilt, 0);
	CHECK_U64(backwards, 0);
	CHECK_U64(ties_misordered, 0);
	/* with ties, a sample of each CPU but the last has its time */
	if (ties)
		CHECK(tied >= ROUNDS * (ncpu - 1) * PER_CPU / 2);
	CHECK_U64(samples, ROUNDS * ncpu * PER_CPU);
	CHECK_U64(comms, ROUNDS * ncpu * ((PER_CPU + 10) / 11));
	/* the other event's samples (4 of 50) have no PERIOD: no views;
	 * the other byte order: none at all; else all but the first record
	 * of a flush (one a round and the last) */
	CHECK_U64(other_views, 0);
	if (be)
		CHECK_U64(views, 0);
	else
		CHECK(views >= ROUNDS * ncpu * (PER_CPU - 4) - (ROUNDS + 1) &&
		      views <= ROUNDS * ncpu * (PER_CPU - 4));
	for (size_t e = 0; e < 2; e++) {
		const struct sd_evsel *a = sd_reader_evsel(r1, e);
		const struct sd_evsel *c = sd_reader_evsel(r2, e);
		CHECK_U64(c->nr_samples, a->nr_samples);
		CHECK_U64(c->total_period, a->total_period);
	}
	/* periods 1..50 but those of the other event (1 each) */
	CHECK_U64(sd_reader_evsel(r2, 0)->total_period,
		  ROUNDS * ncpu * (50 * 51 / 2 - (6 + 19 + 32 + 45)));
	CHECK_U64(sd_reader_stats(r2)->first_time,
		  sd_reader_stats(r1)->first_time);
	CHECK_U64(sd_reader_stats(r2)->last_time,
		  sd_reader_stats(r1)->last_time);
	CHECK_U64(sd_reader_stats(r2)->first_time, 1200);
out:
	sd_reader_free(r1);
	sd_reader_free(r2);
	pd_buf_free(&b);
	free(want);
	free(got);
}

/* Records read record by record (r1) without, and in views (r2) and
 * record by record (r3) with SD_SKIP_EXIT: r2 and r3 give r1's records
 * but its whole EXITs, the damaged EXIT skipped by all three with its
 * warning, every EXIT counted. */
static void check_skip_exit(void)
{
	enum { MAX = 40000 };
	struct got *want = calloc(MAX, sizeof *want);
	struct got *got = calloc(MAX, sizeof *got);
	struct got *got3 = calloc(MAX, sizeof *got3);
	struct pd_buf b = {0};
	struct sd_reader *r1 = NULL, *r2 = NULL, *r3 = NULL;
	size_t nw = 0, ng, ng3, nexit = 0, diff = 0, diff3 = 0;

	exits = true;
	build(&b);
	exits = false;
	CHECK(sd_reader_open_mem(b.p, b.len, "records", 0, NULL, &r1) == 0);
	CHECK(sd_reader_open_mem(b.p, b.len, "skip", 0, NULL, &r2) == 0);
	CHECK(sd_reader_open_mem(b.p, b.len, "skip3", 0, NULL, &r3) == 0);
	if (!r1 || !r2 || !r3)
		goto out;
	sd_reader_skip(r2, SD_SKIP_EXIT);
	sd_reader_skip(r3, SD_SKIP_EXIT);
	size_t n1 = read_plain(r1, want, MAX);
	ng = read_views(r2, got, MAX);
	ng3 = read_plain(r3, got3, MAX);
	for (size_t i = 0; i < n1; i++) {
		if (want[i].type == SD_REC_EXIT) {
			nexit++;
			continue;
		}
		want[nw++] = want[i];
	}
	CHECK_U64(nexit, ROUNDS * 2 * ((PER_CPU + 7) / 11));
	CHECK_U64(ng, nw);
	CHECK_U64(ng3, nw);
	for (size_t i = 0; i < nw && i < ng && i < ng3; i++) {
		diff += !same(&want[i], &got[i]);
		diff3 += !same(&want[i], &got3[i]);
	}
	CHECK_U64(diff, 0);
	CHECK_U64(diff3, 0);
	struct sd_reader *rs[] = {r1, r2, r3};
	for (size_t k = 0; k < 3; k++) {
		const struct sd_reader_stats *st = sd_reader_stats(rs[k]);
		CHECK_U64(st->records[SD_REC_EXIT], nexit + 2);
		CHECK_U64(st->bad_records, 2);
	}
out:
	sd_reader_free(r1);
	sd_reader_free(r2);
	sd_reader_free(r3);
	pd_buf_free(&b);
	free(want);
	free(got);
	free(got3);
}

TEST(skip_exit)
{
	check_skip_exit();
}

/*
 * Call chains that do not fill their sample the plain way are no views,
 * and sd_reader_next() takes them the general way, with its message:
 * one whose nr leaves 8 bytes after it (tid 2001), one over the cap of
 * 4096 addresses (tid 2003), among plain ones (tids 2000, 2002, 2004),
 * several times over so that some lie inside runs of views.
 */
TEST(odd_chains)
{
	static const uint64_t ids[] = {11};
	struct pd_event ev = {
		.attr = {.sample_type = ST_VIEW,
			 .flags = SD_ATTR_SAMPLE_ID_ALL, .period = 1},
		.ids = ids, .nr_ids = 1,
	};
	enum { BIG = 4097, MAX = 64 };
	uint64_t *ips = calloc(BIG, sizeof *ips);
	struct got want[MAX], got[MAX];
	struct pd_buf b = {0};
	struct sd_reader *r1 = NULL, *r2 = NULL;
	size_t data = pd_file_begin(&b, &ev, 1);

	for (unsigned k = 0; k < 15; k++) {
		uint32_t i = k % 5;
		uint64_t t = 1000 + k;
		struct pd_sample sm = {
			.misc = SD_MISC_KERNEL, .ip = t,
			.id = {.pid = 7, .tid = 2000 + i, .time = t, .id = 11},
			.period = 1, .ips = ips,
			.nr_ips = i == 3 ? BIG : 3,
		};
		for (size_t f = 0; f < sm.nr_ips; f++)
			ips[f] = t * 100 + f;
		pd_sample(&b, ST_VIEW, &sm);
		if (i == 1) /* nr one short: 8 bytes after the chain */
			pd_patch_uint(&b, b.len - 8 * (sm.nr_ips + 1),
				      sm.nr_ips - 1, 8);
	}
	pd_finished_round(&b);
	pd_file_end(&b, data, NULL, NULL);
	CHECK(sd_reader_open_mem(b.p, b.len, "records", 0, NULL, &r1) == 0);
	CHECK(sd_reader_open_mem(b.p, b.len, "views", 0, NULL, &r2) == 0);
	if (!r1 || !r2)
		goto out;
	size_t nw = read_plain(r1, want, MAX);
	size_t ng = read_views(r2, got, MAX);
	size_t views = 0, odd_views = 0, diff = 0;
	CHECK_U64(nw, 15);
	CHECK_U64(ng, 15);
	for (size_t k = 0; k < nw && k < ng; k++) {
		uint32_t i = got[k].tid - 2000;
		diff += !same(&want[k], &got[k]);
		views += got[k].view;
		odd_views += got[k].view && (i == 1 || i == 3);
		CHECK_U64(got[k].nr, i == 1 ? 2 : i == 3 ? 4096 : 3);
		CHECK(got[k].chain_ok);
	}
	CHECK_U64(diff, 0);
	CHECK_U64(odd_views, 0);
	CHECK(views >= 8);
	/* a warning for each short nr, a note for each long chain */
	CHECK_U64(sd_reader_diags(r1)->n, 6);
	CHECK_U64(sd_reader_diags(r2)->n, 6);
out:
	sd_reader_free(r1);
	sd_reader_free(r2);
	pd_buf_free(&b);
	free(ips);
}

/*
 * The recording's first and last sample time from a run of views: a
 * COMM older than every sample comes first (sd_reader_next() gives it,
 * so no sample is taken before the views), then ten samples in one run;
 * its first view is the oldest, its last the newest.
 */
TEST(view_times)
{
	static const uint64_t ids[] = {11};
	struct pd_event ev = {
		.attr = {.sample_type = ST_VIEW,
			 .flags = SD_ATTR_SAMPLE_ID_ALL, .period = 1},
		.ids = ids, .nr_ids = 1,
	};
	uint64_t ips[2] = {1, 2};
	struct sd_sample_view v[64];
	const struct sd_record *rec;
	struct pd_buf b = {0};
	struct sd_reader *r = NULL;
	size_t data = pd_file_begin(&b, &ev, 1);
	struct pd_ids cid = {.pid = 7, .tid = 7, .time = 500, .id = 11};

	pd_comm(&b, ST_VIEW, &cid, "first", false);
	for (uint64_t k = 0; k < 10; k++) {
		struct pd_sample sm = {
			.misc = SD_MISC_KERNEL, .ip = k,
			.id = {.pid = 7, .tid = 7, .time = 1000 + k, .id = 11},
			.period = 1, .ips = ips, .nr_ips = 2,
		};
		pd_sample(&b, ST_VIEW, &sm);
	}
	pd_finished_round(&b);
	pd_file_end(&b, data, NULL, NULL);
	CHECK(sd_reader_open_mem(b.p, b.len, "times", 0, NULL, &r) == 0);
	if (!r)
		goto out;
	CHECK(sd_reader_next(r, &rec) > 0 && rec->type == SD_REC_COMM);
	CHECK(sd_reader_next_samples(r, v, 64, &rec) == 10 && !rec);
	CHECK_U64(sd_reader_stats(r)->first_time, 1000);
	CHECK_U64(sd_reader_stats(r)->last_time, 1009);
out:
	sd_reader_free(r);
	pd_buf_free(&b);
}

/*
 * A sample outside SAMPLE_TIME's first and last sample time is no view
 * (its time is damaged: sd_reader_next() gives it without one), nor is
 * any sample of its stretch (a stretch's times are checked at its ends),
 * below the first time or above the last; the stretch between gives
 * views.  Read either way, the same records.
 */
TEST(views_time_window)
{
	static const uint64_t ids[] = {11};
	struct pd_event ev = {
		.attr = {.sample_type = ST_VIEW,
			 .flags = SD_ATTR_SAMPLE_ID_ALL, .period = 1},
		.ids = ids, .nr_ids = 1,
	};
	/* first and last sample time: 1000, 1019 */
	static const uint8_t span[16] = {0xe8, 0x03, 0, 0, 0, 0, 0, 0,
					 0xfb, 0x03, 0, 0, 0, 0, 0, 0};
	struct pd_feature f = {SD_FEAT_SAMPLE_TIME, span, sizeof span};
	/* samples by time; COMMs at time + 1 (each the first record of
	 * its flush, which sd_reader_next() gives); 0 a round */
	enum { COMM = 1 };
	static const uint64_t times[] = {
		399 + COMM, 500, 1000, 1001, 1002, 1003, 1004, 0,
		1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 0,
		1018 + COMM, 1019, 5000, 0};
	uint64_t ips[2] = {1, 2};
	struct got want[32], got[32];
	struct pd_buf b = {0};
	struct sd_reader *r1 = NULL, *r2 = NULL;
	size_t data = pd_file_begin(&b, &ev, 1);

	for (size_t k = 0; k < sizeof times / sizeof *times; k++) {
		struct pd_sample sm = {
			.misc = SD_MISC_KERNEL, .ip = k,
			.id = {.pid = 7, .tid = 7, .time = times[k], .id = 11},
			.period = 1, .ips = ips, .nr_ips = 2,
		};
		if (!times[k])
			pd_finished_round(&b);
		else if (times[k] % 100 == 99 + COMM)
			pd_comm(&b, ST_VIEW, &sm.id, "c", false);
		else
			pd_sample(&b, ST_VIEW, &sm);
	}
	pd_file_end_features(&b, data, &f, 1);
	CHECK(sd_reader_open_mem(b.p, b.len, "plain", 0, NULL, &r1) == 0);
	CHECK(sd_reader_open_mem(b.p, b.len, "views", 0, NULL, &r2) == 0);
	if (!r1 || !r2)
		goto out;
	size_t nw = read_plain(r1, want, 32), ng = read_views(r2, got, 32);
	size_t views = 0, diff = 0;
	CHECK_U64(ng, 19);
	CHECK_U64(nw, ng);
	for (size_t i = 0; i < nw && i < ng; i++) {
		diff += !same(&want[i], &got[i]);
		views += got[i].view;
	}
	CHECK_U64(diff, 0);
	/* the middle stretch's but the first of its flush */
	CHECK_U64(views, 8);
	CHECK_U64(want[1].time, 0);
	CHECK_U64(want[18].time, 0);
	CHECK_U64(sd_reader_stats(r2)->first_time, 1000);
	CHECK_U64(sd_reader_stats(r2)->last_time, 1019);
out:
	sd_reader_free(r1);
	sd_reader_free(r2);
	pd_buf_free(&b);
}

TEST(views_host_order)
{
	check_views(false, false);
	check_views(false, true);
}

TEST(views_three_buffers)
{
	ncpu = 3;
	check_views(false, false);
	check_views(false, true);
	ncpu = 2;
}

TEST(views_three_buffers_late)
{
	ncpu = 3;
	late = true;
	check_views(false, false);
	check_views(false, true);
	late = false;
	ncpu = 2;
}

/* Three buffers at the same times: every turn is told by the heap's
 * tie-break on where the stretches lie. */
TEST(views_equal_times)
{
	ncpu = 3;
	ties = true;
	check_views(false, false);
	check_views(false, true);
	ncpu = 2;
	check_views(false, false);
	ties = false;
}

TEST(no_views_other_order)
{
	check_views(true, false);
}

/*
 * A COMM's sample_id_all trailer as both ways of reading give it: every
 * field, or with SD_SKIP_SAMPLE_IDS its time alone (pid, tid, id,
 * stream_id and cpu 0, has_time the only flag), its body the same.
 */
static size_t check_comm_ids(struct sd_reader *r, bool views, bool skip)
{
	struct sd_sample_view v[16];
	const struct sd_record *rec;
	size_t comms = 0, bad = 0;

	for (;;) {
		int k = 0;
		rec = NULL;
		if (views)
			k = sd_reader_next_samples(r, v, 16, &rec);
		if (!k && !rec && sd_reader_next(r, &rec) <= 0)
			break;
		if (!rec || rec->type != SD_REC_COMM)
			continue;
		const struct sd_sample_id *id = &rec->id;
		unsigned cpu = rec->comm.pid - 100;
		comms++;
		bad += id->time % 2 != 1 || !id->has_time ||
		       rec->comm.tid < 1000 || strcmp(rec->comm.comm, "worker");
		if (skip)
			bad += id->pid || id->tid || id->id || id->stream_id ||
			       id->cpu || id->has_tid || id->has_id ||
			       id->has_cpu;
		else
			bad += id->pid != rec->comm.pid ||
			       id->tid != rec->comm.tid || id->id != 11 + cpu ||
			       id->cpu != cpu || !id->has_tid || !id->has_id ||
			       !id->has_cpu;
	}
	CHECK_U64(bad, 0);
	return comms;
}

TEST(skip_ids_side_band)
{
	struct pd_buf b = {0};

	build(&b);
	for (unsigned k = 0; k < 4; k++) {
		bool views = k & 1, skip = k & 2;
		struct sd_reader *r = NULL;
		CHECK(sd_reader_open_mem(b.p, b.len, "ids", 0, NULL, &r) == 0);
		if (!r)
			break;
		if (skip)
			sd_reader_skip(r, SD_SKIP_SAMPLE_IDS);
		CHECK_U64(check_comm_ids(r, views, skip),
			  ROUNDS * ncpu * ((PER_CPU + 10) / 11));
		sd_reader_free(r);
	}
	pd_buf_free(&b);
}

int main(void)
{
	RUN(views_host_order);
	RUN(views_three_buffers);
	RUN(views_three_buffers_late);
	RUN(views_equal_times);
	RUN(no_views_other_order);
	RUN(skip_exit);
	RUN(odd_chains);
	RUN(view_times);
	RUN(views_time_window);
	RUN(skip_ids_side_band);
	return test_exit();
}
