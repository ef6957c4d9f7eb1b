/* SPDX-License-Identifier: MIT */
/*
 * The reader's caps on counts and lengths read from a file: each one, hit,
 * gives a diagnostic (SD_E_LIMIT) and keeps what fits, and the file is
 * still read.  And counts that are not capped grow in linear time: these
 * tests time out (30 s, ASan) when an array grows one element at a time.
 * Inputs are perf.data files built with pdbuild.h, in both byte orders
 * (the four long ones in one each); the caps are those of
 * src/reader/internal.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/reader.h>

#include "pdbuild.h"
#include "reader/internal.h"
#include "test.h"

#define SAMPLE_TYPE (SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_CALLCHAIN)

/*
 * A file: header; nattrs attrs (64 bytes, cpu-clock, SAMPLE_TYPE), the
 * first with nids ids (1000, 1001, ...); the records data() writes; the
 * feature sections given.
 */
struct file {
	size_t nattrs, nids;
	uint64_t sample_type, flags; /* 0: SAMPLE_TYPE, none */
	void (*data)(struct pd_buf *b, const void *arg);
	const void *arg;
	size_t nfeat;
	struct pd_feature feat[4];
};

static void build(struct pd_buf *b, const struct file *f)
{
	struct pd_event *ev = calloc(f->nattrs, sizeof *ev);
	uint64_t *ids = calloc(f->nids + 1, sizeof *ids);

	if (!ev || !ids)
		abort();
	for (size_t i = 0; i < f->nids; i++)
		ids[i] = 1000 + i;
	for (size_t i = 0; i < f->nattrs; i++)
		ev[i].attr = (struct pd_attr){
			.type = SD_TYPE_SOFTWARE,
			.config = 0, /* cpu-clock */
			.period = 1,
			.sample_type = f->sample_type ? f->sample_type
						      : SAMPLE_TYPE,
			.flags = f->flags,
		};
	ev[0].ids = ids;
	ev[0].nr_ids = f->nids;
	size_t data = pd_file_begin(b, ev, f->nattrs);
	f->data(b, f->arg);
	pd_file_end_features(b, data, f->feat, f->nfeat);
	free(ids);
	free(ev);
}

/* A kernel SAMPLE of SAMPLE_TYPE with an nr-entry call chain. */
static void put_sample(struct pd_buf *b, uint64_t nr)
{
	uint64_t *ips = malloc(nr * sizeof *ips);

	if (!ips)
		abort();
	ips[0] = SD_CONTEXT_KERNEL;
	for (uint64_t i = 1; i < nr; i++)
		ips[i] = 0xffffffff81000000ull + i;
	pd_sample(b, SAMPLE_TYPE,
		  &(struct pd_sample){.misc = SD_MISC_KERNEL,
				      .ip = 0xffffffff81000000ull,
				      .id = {.pid = 42, .tid = 42},
				      .ips = ips,
				      .nr_ips = nr});
	free(ips);
}

/* The data of most files here: one sample with a 3-entry chain. */
static void one_sample(struct pd_buf *b, const void *arg)
{
	(void)arg;
	put_sample(b, 3);
}

static struct sd_reader *open_buf(const struct pd_buf *b)
{
	struct sd_reader *r = NULL;
	struct sd_diags why;

	sd_diags_init(&why);
	CHECK_U64(sd_reader_open_mem(b->p, b->len, "limits.data", 0, &why, &r),
		  0);
	sd_diags_clear(&why);
	return r;
}

/* The first diagnostic of code SD_E_LIMIT, or NULL. */
static const struct sd_diag *limit_diag(struct sd_reader *r)
{
	const struct sd_diags *d = sd_reader_diags(r);

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].code == SD_E_LIMIT)
			return &d->v[i];
	return NULL;
}

/* Reads every record; returns the number of samples. */
static size_t read_all(struct sd_reader *r, uint64_t *max_nr_ips)
{
	const struct sd_record *rec;
	size_t n = 0;

	*max_nr_ips = 0;
	while (sd_reader_next(r, &rec) > 0) {
		if (rec->type != SD_REC_SAMPLE)
			continue;
		n++;
		if (rec->sample.nr_ips > *max_nr_ips)
			*max_nr_ips = rec->sample.nr_ips;
	}
	return n;
}

static void check_too_many_attrs(bool be)
{
	struct pd_buf b = {.be = be};
	uint64_t max;

	build(&b, &(struct file){.nattrs = SD_MAX_EVSELS + 1, .nids = 0,
				 .data = one_sample});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		CHECK_U64(sd_reader_nr_evsels(r), SD_MAX_EVSELS);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* The four tests of long counts (attrs, ids, rounds, arguments) run in
 * one byte order each, two in each: the reader's work on them is what
 * the 30 s limit times. */
TEST(too_many_attrs)
{
	check_too_many_attrs(false);
}

static void check_too_many_ids(bool be)
{
	struct pd_buf b = {.be = be};
	uint64_t max;

	build(&b, &(struct file){.nattrs = 2, .nids = SD_MAX_IDS + 1,
				 .data = one_sample});
	struct sd_reader *r = open_buf(&b); /* was: refused, no message */
	if (r) {
		CHECK_U64(sd_reader_evsel(r, 0)->nr_ids, SD_MAX_IDS);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

TEST(too_many_ids)
{
	check_too_many_ids(true);
}

static void deep_then_short(struct pd_buf *b, const void *arg)
{
	(void)arg;
	put_sample(b, 5000);
	put_sample(b, 7); /* read right after the long one */
}

static void check_callchain_too_deep(bool be)
{
	struct pd_buf b = {.be = be};
	uint64_t max;

	build(&b, &(struct file){.nattrs = 1, .data = deep_then_short});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		CHECK_U64(read_all(r, &max), 2);
		CHECK_U64(max, SD_MAX_CALLCHAIN);
		const struct sd_diag *d = limit_diag(r);
		CHECK(d != NULL);
		if (d)
			CHECK_U64(d->offset, 104 + 64 + 16); /* the record */
		CHECK_U64(sd_reader_stats(r)->bad_records, 0);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

TEST(callchain_too_deep)
{
	check_callchain_too_deep(false);
	check_callchain_too_deep(true);
}

/* perf's header string of the first n bytes of s */
static void put_perf_string(struct pd_buf *b, const char *s, size_t n)
{
	size_t padded = (n + 1 + 63) / 64 * 64;

	pd_put32(b, (uint32_t)padded);
	pd_put_bytes(b, s, n);
	pd_put_fill(b, 0, padded - n);
}

static void check_long_strings(bool be)
{
	struct pd_buf host = {.be = be}, cmd = {.be = be}, b = {.be = be};
	uint64_t max;
	size_t n = 5000;
	char *s = malloc(n);

	memset(s, 'h', n);
	put_perf_string(&host, s, n);
	pd_put32(&cmd, 20); /* argc: 20 x 4000 bytes, more than 64 KiB */
	memset(s, 'c', n);
	for (int i = 0; i < 20; i++)
		put_perf_string(&cmd, s, 4000);
	build(&b, &(struct file){
			  .nattrs = 1, .data = one_sample, .nfeat = 2,
			  .feat = {{SD_FEAT_HOSTNAME, host.p, host.len},
				   {SD_FEAT_CMDLINE, cmd.p, cmd.len}}});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		const struct sd_file_info *in = sd_reader_info(r);
		CHECK(in->hostname && strlen(in->hostname) == SD_MAX_STRING);
		CHECK(in->cmdline && strlen(in->cmdline) <= 16 * SD_MAX_STRING);
		CHECK(in->cmdline && strlen(in->cmdline) > 15 * SD_MAX_STRING);
		size_t limits = 0;
		const struct sd_diags *d = sd_reader_diags(r);
		for (size_t i = 0; i < d->n; i++)
			limits += d->v[i].code == SD_E_LIMIT;
		CHECK_U64(limits, 2);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	free(s);
	pd_buf_free(&b);
	pd_buf_free(&host);
	pd_buf_free(&cmd);
}

TEST(long_strings)
{
	check_long_strings(false);
	check_long_strings(true);
}

static void check_too_many_build_ids(bool be)
{
	struct pd_buf ids = {.be = be}, b = {.be = be};
	uint64_t max;

	for (unsigned i = 0; i < SD_MAX_BUILD_IDS + 10; i++) {
		size_t at = pd_rec_begin(&ids, 0, SD_MISC_KERNEL); /* header */
		pd_put32(&ids, (uint32_t)-1);  /* pid */
		pd_put_fill(&ids, 0, 24);      /* build-id, size, pad */
		pd_put_bytes(&ids, "/x\0", 4); /* filename */
		pd_rec_end(&ids, at);          /* size 40 */
	}
	build(&b, &(struct file){.nattrs = 1, .data = one_sample, .nfeat = 1,
				 .feat = {{SD_FEAT_BUILD_ID, ids.p, ids.len}}});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		CHECK_U64(sd_reader_info(r)->nr_build_ids, SD_MAX_BUILD_IDS);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
	pd_buf_free(&ids);
}

TEST(too_many_build_ids)
{
	check_too_many_build_ids(false);
	check_too_many_build_ids(true);
}

#define TIMED_TYPE (SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_TIME)

/* A SAMPLE of TIMED_TYPE. */
static void put_timed_sample(struct pd_buf *b, uint64_t time)
{
	pd_sample(b, TIMED_TYPE,
		  &(struct pd_sample){.misc = SD_MISC_KERNEL,
				      .ip = 0xffffffff81000000ull,
				      .id = {.pid = 42, .tid = 42,
					     .time = time}});
}

/* One sample stamped far in the future, then 200 000 FINISHED_ROUNDs
 * with a sample before every thousandth. */
static void held_then_rounds(struct pd_buf *b, const void *arg)
{
	(void)arg;
	put_timed_sample(b, 1ull << 62);
	for (int i = 0; i < 200000; i++) {
		if (i % 1000 == 0)
			put_timed_sample(b, 1000 + (uint64_t)i);
		pd_finished_round(b);
	}
}

/*
 * A sample stamped far in the future is held back to the end, and keeps
 * every round after it: 200 000 FINISHED_ROUNDs used to grow the round
 * array one by one (quadratic); all samples still come out.
 */
static void check_many_rounds(bool be)
{
	struct pd_buf b = {.be = be};
	uint64_t max;

	build(&b, &(struct file){.nattrs = 1, .data = held_then_rounds,
				 .sample_type = TIMED_TYPE,
				 .flags = SD_ATTR_SAMPLE_ID_ALL});
	struct sd_reader *r = open_buf(&b);
	if (r)
		CHECK_U64(read_all(r, &max), 201);
	sd_reader_free(r);
	pd_buf_free(&b);
}

TEST(many_rounds_behind_a_held_record)
{
	check_many_rounds(false);
}

/* 65 536 one-byte arguments: the command line buffer doubles, and is cut
 * at 64 KiB. */
static void check_many_short_arguments(bool be)
{
	struct pd_buf cmd = {.be = be}, b = {.be = be};
	uint64_t max;

	pd_put32(&cmd, 65536); /* argc */
	for (int i = 0; i < 65536; i++) {
		pd_put32(&cmd, 4);             /* len */
		pd_put_bytes(&cmd, "x\0\0", 4); /* str */
	}
	build(&b, &(struct file){.nattrs = 1, .data = one_sample, .nfeat = 1,
				 .feat = {{SD_FEAT_CMDLINE, cmd.p, cmd.len}}});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		const char *cl = sd_reader_info(r)->cmdline;
		CHECK(cl && strlen(cl) > 65000 && strlen(cl) < 65536);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
	pd_buf_free(&cmd);
}

TEST(many_short_arguments)
{
	check_many_short_arguments(true);
}

int main(void)
{
	RUN(too_many_attrs);
	RUN(too_many_ids);
	RUN(callchain_too_deep);
	RUN(long_strings);
	RUN(too_many_build_ids);
	RUN(many_rounds_behind_a_held_record);
	RUN(many_short_arguments);
	return test_exit();
}
