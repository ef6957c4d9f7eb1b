/* SPDX-License-Identifier: MIT */
/*
 * The reader's caps on counts and lengths read from a file: each one, hit,
 * gives a diagnostic (SD_E_LIMIT) and keeps what fits, and the file is
 * still read.  And counts that are not capped grow in linear time: these
 * tests time out (30 s, ASan) when an array grows one element at a time.  Inputs are little-endian perf.data files built here field
 * by field; the caps are those of src/reader/internal.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/reader.h>

#include "reader/internal.h"
#include "test.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put_bytes(struct buf *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	if (src)
		memcpy(b->p + b->len, src, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_bytes(b, &v, 8); /* the tests run little-endian */
}

static void put_u32(struct buf *b, uint32_t v)
{
	put_bytes(b, &v, 4);
}

#define SAMPLE_TYPE (SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_CALLCHAIN)

/*
 * A file: header; nattrs attrs (64 bytes, cpu-clock, SAMPLE_TYPE), the
 * first with nids ids; the data (records, as given); the features of the
 * bitmap with the given sections, in bit order.
 */
struct file {
	size_t nattrs, nids;
	uint64_t sample_type, flags; /* 0: SAMPLE_TYPE, none */
	const struct buf *data;
	unsigned nfeat;
	unsigned feat[4];
	const struct buf *sec[4];
};

static void build(struct buf *b, const struct file *f)
{
	size_t attrs = 104, asz = 64 + 16;
	size_t ids = attrs + f->nattrs * asz;
	size_t data = ids + 8 * f->nids;
	uint64_t bits[4] = {0};

	memset(b, 0, sizeof *b);
	put_bytes(b, "PERFILE2", 8);
	put_u64(b, 104);
	put_u64(b, asz);
	put_u64(b, attrs);
	put_u64(b, f->nattrs * asz);
	put_u64(b, data);
	put_u64(b, f->data ? f->data->len : 0);
	put_u64(b, 0); /* event_types */
	put_u64(b, 0);
	for (unsigned i = 0; i < f->nfeat; i++)
		bits[f->feat[i] / 64] |= 1ull << (f->feat[i] % 64);
	for (int i = 0; i < 4; i++)
		put_u64(b, bits[i]);
	for (size_t i = 0; i < f->nattrs; i++) {
		put_u32(b, SD_TYPE_SOFTWARE); /* type */
		put_u32(b, 64);               /* size */
		put_u64(b, 0);                /* config: cpu-clock */
		put_u64(b, 1);                /* sample_period */
		put_u64(b, f->sample_type ? f->sample_type : SAMPLE_TYPE);
		put_u64(b, 0);                /* read_format */
		put_u64(b, f->flags);         /* flags */
		put_bytes(b, NULL, 16);       /* wakeup, bp_type, config1 */
		put_u64(b, i ? 0 : ids);      /* ids.offset */
		put_u64(b, i ? 0 : 8 * f->nids); /* ids.size */
	}
	for (size_t i = 0; i < f->nids; i++)
		put_u64(b, 1000 + i);
	if (f->data)
		put_bytes(b, f->data->p, f->data->len);
	size_t table = b->len, at = table + 16 * f->nfeat;
	for (unsigned i = 0; i < f->nfeat; i++) {
		put_u64(b, at);
		put_u64(b, f->sec[i]->len);
		at += f->sec[i]->len;
	}
	for (unsigned i = 0; i < f->nfeat; i++)
		put_bytes(b, f->sec[i]->p, f->sec[i]->len);
}

/* A SAMPLE of SAMPLE_TYPE with an nr-entry call chain. */
static void put_sample(struct buf *b, uint64_t nr)
{
	size_t size = 8 + 8 + 8 + 8 + 8 * nr;

	put_u32(b, SD_REC_SAMPLE);
	put_bytes(b, "\x01\x00", 2); /* misc: kernel */
	uint16_t sz = (uint16_t)size;
	put_bytes(b, &sz, 2);
	put_u64(b, 0xffffffff81000000ull); /* ip */
	put_u32(b, 42);                    /* pid */
	put_u32(b, 42);                    /* tid */
	put_u64(b, nr);
	put_u64(b, SD_CONTEXT_KERNEL);
	for (uint64_t i = 1; i < nr; i++)
		put_u64(b, 0xffffffff81000000ull + i);
}

static struct sd_reader *open_buf(const struct buf *b)
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

TEST(too_many_attrs)
{
	struct buf data = {0}, b;
	uint64_t max;

	put_sample(&data, 3);
	build(&b, &(struct file){.nattrs = SD_MAX_EVSELS + 1, .nids = 0,
				 .data = &data});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		CHECK_U64(sd_reader_nr_evsels(r), SD_MAX_EVSELS);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	free(b.p);
	free(data.p);
}

TEST(too_many_ids)
{
	struct buf data = {0}, b;
	uint64_t max;

	put_sample(&data, 3);
	build(&b, &(struct file){.nattrs = 2, .nids = SD_MAX_IDS + 1,
				 .data = &data});
	struct sd_reader *r = open_buf(&b); /* was: refused, no message */
	if (r) {
		CHECK_U64(sd_reader_evsel(r, 0)->nr_ids, SD_MAX_IDS);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	free(b.p);
	free(data.p);
}

TEST(callchain_too_deep)
{
	struct buf data = {0}, b;
	uint64_t max;

	put_sample(&data, 5000);
	put_sample(&data, 7); /* read right after the long one */
	build(&b, &(struct file){.nattrs = 1, .data = &data});
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
	free(b.p);
	free(data.p);
}

static void put_perf_string(struct buf *b, const char *s, size_t n)
{
	size_t padded = (n + 1 + 63) / 64 * 64;

	put_u32(b, (uint32_t)padded);
	put_bytes(b, s, n);
	put_bytes(b, NULL, padded - n);
}

TEST(long_strings)
{
	struct buf data = {0}, host = {0}, cmd = {0}, b;
	uint64_t max;
	size_t n = 5000;
	char *s = malloc(n);

	memset(s, 'h', n);
	put_perf_string(&host, s, n);
	put_u32(&cmd, 20); /* argc: 20 x 4000 bytes, more than 64 KiB */
	memset(s, 'c', n);
	for (int i = 0; i < 20; i++)
		put_perf_string(&cmd, s, 4000);
	put_sample(&data, 3);
	build(&b, &(struct file){.nattrs = 1, .data = &data, .nfeat = 2,
				 .feat = {SD_FEAT_HOSTNAME, SD_FEAT_CMDLINE},
				 .sec = {&host, &cmd}});
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
	free(b.p);
	free(host.p);
	free(cmd.p);
	free(data.p);
}

TEST(too_many_build_ids)
{
	struct buf data = {0}, ids = {0}, b;
	uint64_t max;

	for (unsigned i = 0; i < SD_MAX_BUILD_IDS + 10; i++) {
		put_u32(&ids, 0);           /* type */
		put_bytes(&ids, "\x01\x00", 2); /* misc: kernel */
		put_bytes(&ids, "\x28\x00", 2); /* size 40 */
		put_u32(&ids, (uint32_t)-1); /* pid */
		put_bytes(&ids, NULL, 24);   /* build-id, size, pad */
		put_bytes(&ids, "/x\0", 4);  /* filename */
	}
	put_sample(&data, 3);
	build(&b, &(struct file){.nattrs = 1, .data = &data, .nfeat = 1,
				 .feat = {SD_FEAT_BUILD_ID}, .sec = {&ids}});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		CHECK_U64(sd_reader_info(r)->nr_build_ids, SD_MAX_BUILD_IDS);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	free(b.p);
	free(ids.p);
	free(data.p);
}

/* Records with time (sample_type IP|TID|TIME): SAMPLE, FINISHED_ROUND. */
static void put_timed_sample(struct buf *b, uint64_t time)
{
	put_u32(b, SD_REC_SAMPLE);
	put_bytes(b, "\x01\x00\x20\x00", 4); /* misc kernel, size 32 */
	put_u64(b, 0xffffffff81000000ull);
	put_u32(b, 42);
	put_u32(b, 42);
	put_u64(b, time);
}

static void put_round(struct buf *b)
{
	put_u32(b, SD_REC_FINISHED_ROUND);
	put_bytes(b, "\x00\x00\x08\x00", 4);
}

/*
 * A sample stamped far in the future is held back to the end, and keeps
 * every round after it: 200 000 FINISHED_ROUNDs used to grow the round
 * array one by one (quadratic); all samples still come out.
 */
TEST(many_rounds_behind_a_held_record)
{
	struct buf data = {0}, b;
	uint64_t max;

	put_timed_sample(&data, 1ull << 62);
	for (int i = 0; i < 200000; i++) {
		if (i % 1000 == 0)
			put_timed_sample(&data, 1000 + (uint64_t)i);
		put_round(&data);
	}
	build(&b, &(struct file){
			  .nattrs = 1, .data = &data,
			  .sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
					 SD_SAMPLE_TIME,
			  .flags = SD_ATTR_SAMPLE_ID_ALL});
	struct sd_reader *r = open_buf(&b);
	if (r)
		CHECK_U64(read_all(r, &max), 201);
	sd_reader_free(r);
	free(b.p);
	free(data.p);
}

/* 65 536 one-byte arguments: the command line buffer doubles, and is cut
 * at 64 KiB. */
TEST(many_short_arguments)
{
	struct buf data = {0}, cmd = {0}, b;
	uint64_t max;

	put_u32(&cmd, 65536);
	for (int i = 0; i < 65536; i++) {
		put_u32(&cmd, 4);
		put_bytes(&cmd, "x\0\0", 4);
	}
	put_sample(&data, 3);
	build(&b, &(struct file){.nattrs = 1, .data = &data, .nfeat = 1,
				 .feat = {SD_FEAT_CMDLINE}, .sec = {&cmd}});
	struct sd_reader *r = open_buf(&b);
	if (r) {
		const char *cl = sd_reader_info(r)->cmdline;
		CHECK(cl && strlen(cl) > 65000 && strlen(cl) < 65536);
		CHECK(limit_diag(r) != NULL);
		CHECK_U64(read_all(r, &max), 1);
	}
	sd_reader_free(r);
	free(b.p);
	free(cmd.p);
	free(data.p);
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
