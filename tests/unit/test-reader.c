/* SPDX-License-Identifier: MIT */
/*
 * The reader on perf.data inputs built here, field by field, in either
 * byte order: file and pipe mode, attrs of every size perf has written,
 * every sample field perf 6.1 parses, several events, perf's time
 * ordering, damage of every kind, and zstd-compressed records.
 *
 * A test writes one field per line with a comment naming it, through
 * pdbuild.h's buffer that emits u16/u32/u64 in the byte order chosen for
 * the file.  One file is spelled out as a literal byte array (be_literal) so
 * the helpers themselves are checked against the format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#if HAVE_ZSTD
#include <zstd.h>
#endif

#include <swapdiag/reader.h>

#include "pdbuild.h"
#include "test.h"

/* ------------------------------------------------------------------ */
/* Reading: open, collect copies of what comes out, find diagnostics.  */

struct got {
	struct sd_record rec; /* pointers in it are stale */
	int ev;               /* evsel index, -1 for none */
	char str[64];         /* COMM comm, MMAP filename */
	uint64_t ips[8];
	uint8_t raw[16];
};

#define MAX_GOT 64
static struct got got[MAX_GOT];
static size_t got_n;

/* Reads to the end; the first MAX_GOT records are kept in got[]. */
static int read_all(struct sd_reader *r)
{
	const struct sd_record *rec;
	int rc;

	got_n = 0;
	memset(got, 0, sizeof got);
	while ((rc = sd_reader_next(r, &rec)) > 0) {
		if (got_n >= MAX_GOT) {
			got_n++;
			continue;
		}
		struct got *g = &got[got_n++];
		g->rec = *rec;
		g->ev = rec->evsel ? (int)rec->evsel->index : -1;
		if (rec->type == SD_REC_COMM && rec->comm.comm)
			snprintf(g->str, sizeof g->str, "%s", rec->comm.comm);
		if ((rec->type == SD_REC_MMAP || rec->type == SD_REC_MMAP2) &&
		    rec->mmap.filename)
			snprintf(g->str, sizeof g->str, "%s",
				 rec->mmap.filename);
		if (rec->type == SD_REC_SAMPLE) {
			for (uint64_t i = 0; i < rec->sample.nr_ips && i < 8; i++)
				g->ips[i] = rec->sample.ips[i];
			if (rec->sample.raw_size)
				memcpy(g->raw, rec->sample.raw,
				       rec->sample.raw_size < 16 ?
					       rec->sample.raw_size : 16);
		}
	}
	return rc;
}

static void print_diags(const char *what, const struct sd_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  %s: [%d] @%llu %s\n", what, d->v[i].code,
			(unsigned long long)d->v[i].offset,
			d->v[i].text ? d->v[i].text : "");
}

static struct sd_reader *open_buf(const struct pd_buf *b, unsigned flags)
{
	struct sd_reader *r = NULL;
	struct sd_diags why;
	int err;

	sd_diags_init(&why);
	err = sd_reader_open_mem(b->p, b->len, "test.data", flags, &why, &r);
	if (err) {
		fprintf(stderr, "open failed: %s\n", sd_strerror(err));
		print_diags("why", &why);
	}
	sd_diags_clear(&why);
	return r;
}

/* The first diagnostic with this code, or NULL. */
static const struct sd_diag *find_diag(const struct sd_diags *d, int code)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].code == code)
			return &d->v[i];
	return NULL;
}

/* Whether some diagnostic has this code at this offset. */
static bool has_diag_at(const struct sd_diags *d, int code, uint64_t off)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].code == code && d->v[i].offset == off)
			return true;
	return false;
}

static size_t count_diags(const struct sd_diags *d)
{
	return d->n;
}

#define CHECK_NO_DIAGS(r)                                                      \
	do {                                                                   \
		CHECK_U64(count_diags(sd_reader_diags(r)), 0);                 \
		print_diags("unexpected", sd_reader_diags(r));                 \
	} while (0)

/* ------------------------------------------------------------------ */
/* File header and attrs.                                              */

/*
 * A whole big-endian file spelled out: header, one 64-byte attr with
 * freq, sample_id_all and exclude_kernel set, one sample.  This pins the
 * format independently of the helpers above.
 */
TEST(be_literal)
{
	static const uint8_t file[] = {
		/* struct perf_file_header */
		'2', 'E', 'L', 'I', 'F', 'R', 'E', 'P', /* magic, big-endian */
		0, 0, 0, 0, 0, 0, 0, 104,               /* size */
		0, 0, 0, 0, 0, 0, 0, 80,                /* attr_size = 64 + 16 */
		0, 0, 0, 0, 0, 0, 0, 104,               /* attrs.offset */
		0, 0, 0, 0, 0, 0, 0, 80,                /* attrs.size */
		0, 0, 0, 0, 0, 0, 0, 184,               /* data.offset */
		0, 0, 0, 0, 0, 0, 0, 24,                /* data.size */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* event_types.offset */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* event_types.size */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* adds_features[0] */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* adds_features[1] */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* adds_features[2] */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* adds_features[3] */
		/* 104: struct perf_file_attr */
		0, 0, 0, 1,                             /* type: software */
		0, 0, 0, 64,                            /* size */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* config: cpu-clock */
		0, 0, 0, 0, 0, 0, 0x03, 0xe8,           /* sample_freq 1000 */
		0, 0, 0, 0, 0, 0, 0, 0x03,              /* sample_type IP|TID */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* read_format */
		0x04,       /* bits 0-7, MSB first: exclude_kernel (5) */
		0x20,       /* bits 8-15: freq (10) */
		0x20,       /* bits 16-23: sample_id_all (18) */
		0, 0, 0, 0, 0,                          /* bits 24-63 */
		0, 0, 0, 0,                             /* wakeup_events */
		0, 0, 0, 0,                             /* bp_type */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* config1 */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* ids.offset */
		0, 0, 0, 0, 0, 0, 0, 0,                 /* ids.size */
		/* 184: data */
		0, 0, 0, 9,                             /* type: SAMPLE */
		0, 2,                                   /* misc: user */
		0, 24,                                  /* size */
		0xff, 0xff, 0xff, 0xff, 0x81, 0x23, 0x45, 0x67, /* ip */
		0, 0, 0x12, 0x34,                       /* pid */
		0, 0, 0x56, 0x78,                       /* tid */
	};
	struct sd_reader *r = NULL;
	const struct sd_evsel *ev;

	CHECK(!sd_reader_open_mem(file, sizeof file, "be", 0, NULL, &r));
	if (!r)
		return;
	CHECK(sd_reader_info(r)->order == SD_ORDER_BIG);
	CHECK(!sd_reader_info(r)->pipe);
	CHECK_U64(sd_reader_info(r)->data_offset, 184);
	CHECK_U64(sd_reader_info(r)->data_size, 24);
	CHECK_U64(sd_reader_nr_evsels(r), 1);
	ev = sd_reader_evsel(r, 0);
	CHECK_U64(ev->type, SD_TYPE_SOFTWARE);
	CHECK_U64(ev->attr_size, 64);
	CHECK_U64(ev->period_or_freq, 1000);
	CHECK_U64(ev->sample_type, SD_SAMPLE_IP | SD_SAMPLE_TID);
	CHECK_U64(ev->flags, SD_ATTR_EXCLUDE_KERNEL | SD_ATTR_FREQ |
				     SD_ATTR_SAMPLE_ID_ALL);
	CHECK(ev->freq);
	CHECK(ev->sample_id_all);
	CHECK_STR(ev->name, "cpu-clock");
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 1);
	CHECK_U64(got[0].rec.type, SD_REC_SAMPLE);
	CHECK_U64(got[0].rec.misc, SD_MISC_USER);
	CHECK_U64(got[0].rec.offset, 184);
	CHECK_U64(got[0].rec.sample.ip, 0xffffffff81234567ull);
	CHECK_U64(got[0].rec.id.pid, 0x1234);
	CHECK_U64(got[0].rec.id.tid, 0x5678);
	CHECK(got[0].rec.id.has_tid && !got[0].rec.id.has_time);
	CHECK_U64(got[0].rec.sample.period, 1); /* no PERIOD: 1 */
	CHECK_U64(ev->nr_samples, 1);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
}

/* Header fields, feature strings and one sample, in one byte order. */
static void check_file_header(bool be)
{
	static const uint64_t ids[] = {7};
	struct pd_event ev = {
		.attr = {
			.bytes = 112,
			.type = SD_TYPE_SOFTWARE,
			.config = 0, /* cpu-clock */
			.period = 4000,
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_PERIOD,
			.flags = SD_ATTR_FREQ | SD_ATTR_SAMPLE_ID_ALL,
		},
		.ids = ids,
		.nr_ids = 1,
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 0x401000); /* ip */
	pd_put32(&b, 42);       /* pid */
	pd_put32(&b, 43);       /* tid */
	pd_put64(&b, 1000);     /* time */
	pd_put64(&b, 250);      /* period */
	pd_rec_end(&b, at);
	pd_file_end(&b, data, "buildhost", "6.1.0-test");

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	const struct sd_file_info *in = sd_reader_info(r);
	CHECK(!in->pipe);
	CHECK(in->order == (be ? SD_ORDER_BIG : SD_ORDER_LITTLE));
	CHECK_U64(in->file_size, b.len);
	CHECK_U64(in->header_size, 104);
	CHECK_U64(in->data_offset, data);
	CHECK_U64(in->data_size, 40);
	CHECK_STR(in->hostname, "buildhost");
	CHECK_STR(in->os_release, "6.1.0-test");
	CHECK_U64(in->features[0], (1u << SD_FEAT_HOSTNAME) |
					   (1u << SD_FEAT_OSRELEASE));

	const struct sd_evsel *e = sd_reader_evsel(r, 0);
	CHECK_U64(sd_reader_nr_evsels(r), 1);
	CHECK(sd_reader_find_evsel(r, "cpu-clock") == e);
	CHECK_U64(e->attr_size, 112);
	CHECK_U64(e->period_or_freq, 4000);
	CHECK(e->freq && e->sample_id_all);
	CHECK_U64(e->nr_ids, 1);
	CHECK_U64(e->ids[0], 7);

	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 1);
	CHECK_U64(got[0].rec.offset, data);
	CHECK_U64(got[0].rec.size, 40);
	CHECK_U64(got[0].rec.sample.ip, 0x401000);
	CHECK_U64(got[0].rec.id.pid, 42);
	CHECK_U64(got[0].rec.id.tid, 43);
	CHECK_U64(got[0].rec.id.time, 1000);
	CHECK_U64(got[0].rec.sample.period, 250);
	CHECK_U64(e->nr_samples, 1);
	CHECK_U64(e->total_period, 250);
	CHECK_U64(sd_reader_stats(r)->first_time, 1000);
	CHECK_U64(sd_reader_stats(r)->records[SD_REC_SAMPLE], 1);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(file_header)
{
	check_file_header(false);
	check_file_header(true);
}

/*
 * Every attr size perf has written (VER0 64 ... VER8 136) and a larger
 * one from a future perf: fields past attr.size read as 0, the tail of
 * the larger one is ignored, the ids after it are found.
 */
static void check_attr_size(bool be, uint32_t size)
{
	static const uint64_t ids[] = {0x100, 0x101};
	struct pd_event ev = {
		.attr = {
			.bytes = size,
			.type = SD_TYPE_HARDWARE,
			.config = 1, /* instructions */
			.period = 100003,
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_ID |
				       SD_SAMPLE_CPU | SD_SAMPLE_PERIOD,
			.read_format = SD_FORMAT_ID,
			.flags = SD_ATTR_SAMPLE_ID_ALL,
			.branch_sample_type = 0x8001,
			.regs_user = 0xff0,
			.stack_user = 8192,
			.clockid = 1,
			.regs_intr = 0x3,
		},
		.ids = ids,
		.nr_ids = 2,
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_KERNEL);
	pd_put64(&b, 0xffffffff81000010ull); /* ip */
	pd_put32(&b, 1);                     /* pid */
	pd_put32(&b, 2);                     /* tid */
	pd_put64(&b, 5000);                  /* time */
	pd_put64(&b, 0x101);                 /* id */
	pd_put32(&b, 6);                     /* cpu */
	pd_put32(&b, 0);                     /* reserved */
	pd_put64(&b, 100003);                /* period */
	pd_rec_end(&b, at);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	const struct sd_evsel *e = sd_reader_evsel(r, 0);
	CHECK_U64(e->attr_size, size);
	CHECK_U64(e->type, SD_TYPE_HARDWARE);
	CHECK_U64(e->config, 1);
	CHECK_U64(e->period_or_freq, 100003);
	CHECK(!e->freq);
	CHECK(e->sample_id_all);
	CHECK_U64(e->read_format, SD_FORMAT_ID);
	CHECK_U64(e->branch_sample_type, size >= 80 ? 0x8001 : 0);
	CHECK_U64(e->sample_regs_user, size >= 96 ? 0xff0 : 0);
	CHECK_U64(e->sample_stack_user, size >= 96 ? 8192 : 0);
	CHECK_U64(e->clockid, size >= 96 ? 1 : 0);
	CHECK_U64(e->sample_regs_intr, size >= 104 ? 3 : 0);
	CHECK_U64(e->nr_ids, 2);
	CHECK_U64(e->ids[1], 0x101);
	CHECK_STR(e->name, "instructions");
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 1);
	CHECK_U64(got[0].rec.sample.ip, 0xffffffff81000010ull);
	CHECK_U64(got[0].rec.id.time, 5000);
	CHECK_U64(got[0].rec.id.id, 0x101);
	CHECK_U64(got[0].rec.id.cpu, 6);
	CHECK_U64(got[0].rec.sample.period, 100003);
	CHECK_U64(got[0].ev, 0);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(attr_sizes)
{
	static const uint32_t sizes[] = {64, 72, 80, 96, 104, 112, 120, 128,
					 136, 160};

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		check_attr_size(false, sizes[i]);
		check_attr_size(true, sizes[i]);
	}
}

/* attr.size 0 is what perf before 2.6.35 wrote: it means 64. */
TEST(attr_size_zero)
{
	for (int be = 0; be < 2; be++) {
		struct pd_event ev = {
			.attr = {
				.bytes = 64,
				.size_zero = true,
				.type = SD_TYPE_HARDWARE,
				.period = 1000,
				.sample_type = SD_SAMPLE_IP,
			},
		};
		struct pd_buf b = {.be = be};
		size_t data = pd_file_begin(&b, &ev, 1);
		size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
		pd_put64(&b, 0x1234); /* ip */
		pd_rec_end(&b, at);
		pd_file_end(&b, data, NULL, NULL);

		struct sd_reader *r = open_buf(&b, 0);
		CHECK(r != NULL);
		if (r) {
			CHECK_U64(sd_reader_evsel(r, 0)->attr_size, 64);
			CHECK_U64(sd_reader_evsel(r, 0)->period_or_freq, 1000);
			CHECK(!sd_reader_evsel(r, 0)->sample_id_all);
			CHECK_U64(read_all(r), 0);
			CHECK_U64(got_n, 1);
			CHECK_U64(got[0].rec.sample.ip, 0x1234);
			CHECK_NO_DIAGS(r);
		}
		sd_reader_free(r);
		pd_buf_free(&b);
	}
}

/* The bitfield in both orders: every bit lands where perf has it. */
TEST(attr_bitfield)
{
	static const uint64_t words[] = {
		SD_ATTR_FREQ,
		SD_ATTR_SAMPLE_ID_ALL,
		SD_ATTR_FREQ | SD_ATTR_SAMPLE_ID_ALL | SD_ATTR_USE_CLOCKID,
		SD_ATTR_EXCLUDE_USER | (1ull << 0) | (1ull << 63),
	};

	for (int be = 0; be < 2; be++) {
		for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
			struct pd_event ev = {
				.attr = {
					.bytes = 64,
					.sample_type = SD_SAMPLE_IP,
					.flags = words[i],
				},
			};
			struct pd_buf b = {.be = be};
			size_t data = pd_file_begin(&b, &ev, 1);
			pd_file_end(&b, data, NULL, NULL);
			struct sd_reader *r = open_buf(&b, 0);
			CHECK(r != NULL);
			if (r) {
				const struct sd_evsel *e = sd_reader_evsel(r, 0);
				CHECK_U64(e->flags, words[i]);
				CHECK(e->freq == !!(words[i] & SD_ATTR_FREQ));
				CHECK(e->sample_id_all ==
				      !!(words[i] & SD_ATTR_SAMPLE_ID_ALL));
			}
			sd_reader_free(r);
			pd_buf_free(&b);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Sample layouts.                                                     */

#define ALL_FIELDS                                                             \
	(SD_SAMPLE_IDENTIFIER | SD_SAMPLE_IP | SD_SAMPLE_TID |                 \
	 SD_SAMPLE_TIME | SD_SAMPLE_ADDR | SD_SAMPLE_ID |                      \
	 SD_SAMPLE_STREAM_ID | SD_SAMPLE_CPU | SD_SAMPLE_PERIOD |              \
	 SD_SAMPLE_READ | SD_SAMPLE_CALLCHAIN | SD_SAMPLE_RAW |                \
	 SD_SAMPLE_BRANCH_STACK | SD_SAMPLE_REGS_USER |                        \
	 SD_SAMPLE_STACK_USER | SD_SAMPLE_WEIGHT | SD_SAMPLE_DATA_SRC |        \
	 SD_SAMPLE_TRANSACTION | SD_SAMPLE_REGS_INTR | SD_SAMPLE_PHYS_ADDR |   \
	 SD_SAMPLE_CGROUP | SD_SAMPLE_DATA_PAGE_SIZE |                         \
	 SD_SAMPLE_CODE_PAGE_SIZE | SD_SAMPLE_AUX)

/*
 * One event with every field perf 6.1 parses; read_format non-group with
 * everything, branch stacks with hw_idx, 3 user and 2 interrupt regs.
 * The first sample has every variable part empty (call chain of 0 frames,
 * regs abi 0, no user stack, no branches, 4 raw bytes, no aux data); the
 * second has all of them.
 */
static void check_every_field(bool be)
{
	static const uint64_t ids[] = {31};
	struct pd_event ev = {
		.attr = {
			.bytes = 128,
			.type = SD_TYPE_RAW,
			.config = 0x1cd,
			.period = 1,
			.sample_type = ALL_FIELDS,
			.read_format = SD_FORMAT_TOTAL_TIME_ENABLED |
				       SD_FORMAT_TOTAL_TIME_RUNNING |
				       SD_FORMAT_ID | SD_FORMAT_LOST,
			.flags = SD_ATTR_SAMPLE_ID_ALL,
			.branch_sample_type = SD_BRANCH_HW_INDEX | 1,
			.regs_user = 0x7,
			.stack_user = 16,
			.regs_intr = 0x5,
		},
		.ids = ids,
		.nr_ids = 1,
	};
	static const uint8_t stack[16] = "user stack bytes";
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);

	size_t first = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 31);            /* IDENTIFIER */
	pd_put64(&b, 0x400500);      /* IP */
	pd_put32(&b, 500);           /* TID: pid */
	pd_put32(&b, 501);           /*      tid */
	pd_put64(&b, 111);           /* TIME */
	pd_put64(&b, 0);             /* ADDR */
	pd_put64(&b, 31);            /* ID */
	pd_put64(&b, 31);            /* STREAM_ID */
	pd_put32(&b, 1);             /* CPU: cpu */
	pd_put32(&b, 0);             /*      reserved */
	pd_put64(&b, 1);             /* PERIOD */
	pd_put64(&b, 5);             /* READ: value */
	pd_put64(&b, 10);            /*       time_enabled */
	pd_put64(&b, 9);             /*       time_running */
	pd_put64(&b, 31);            /*       id */
	pd_put64(&b, 0);             /*       lost */
	pd_put64(&b, 0);             /* CALLCHAIN: nr */
	pd_put32(&b, 4);             /* RAW: size */
	pd_put_bytes(&b, "abcd", 4); /*    data */
	pd_put64(&b, 0);             /* BRANCH_STACK: nr */
	pd_put64(&b, 0);             /*               hw_idx */
	pd_put64(&b, 0);             /* REGS_USER: abi (none) */
	pd_put64(&b, 0);             /* STACK_USER: size (none) */
	pd_put64(&b, 7);             /* WEIGHT */
	pd_put64(&b, 0x1);           /* DATA_SRC */
	pd_put64(&b, 0);             /* TRANSACTION */
	pd_put64(&b, 0);             /* REGS_INTR: abi (none) */
	pd_put64(&b, 0);             /* PHYS_ADDR */
	pd_put64(&b, 1);             /* CGROUP */
	pd_put64(&b, 4096);          /* DATA_PAGE_SIZE */
	pd_put64(&b, 4096);          /* CODE_PAGE_SIZE */
	pd_put64(&b, 0);             /* AUX: size */
	pd_rec_end(&b, first);

	size_t second = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_KERNEL);
	pd_put64(&b, 31);                     /* IDENTIFIER */
	pd_put64(&b, 0xffffffff81001234ull);  /* IP */
	pd_put32(&b, 1000);                   /* TID: pid */
	pd_put32(&b, 1001);                   /*      tid */
	pd_put64(&b, 123456789);              /* TIME */
	pd_put64(&b, 0xdead0000);             /* ADDR */
	pd_put64(&b, 31);                     /* ID */
	pd_put64(&b, 32);                     /* STREAM_ID */
	pd_put32(&b, 3);                      /* CPU: cpu */
	pd_put32(&b, 0);                      /*      reserved */
	pd_put64(&b, 4000);                   /* PERIOD */
	pd_put64(&b, 77);                     /* READ: value */
	pd_put64(&b, 1000);                   /*       time_enabled */
	pd_put64(&b, 900);                    /*       time_running */
	pd_put64(&b, 31);                     /*       id */
	pd_put64(&b, 2);                      /*       lost */
	pd_put64(&b, 4);                      /* CALLCHAIN: nr */
	pd_put64(&b, SD_CONTEXT_KERNEL);      /*   ips[0] */
	pd_put64(&b, 0xffffffff81001234ull);  /*   ips[1] */
	pd_put64(&b, SD_CONTEXT_USER);        /*   ips[2] */
	pd_put64(&b, 0x401000);               /*   ips[3] */
	pd_put32(&b, 12);                     /* RAW: size (4 + 12: aligned) */
	pd_put_bytes(&b, "raw-payload!", 12); /*   data */
	pd_put64(&b, 2);                      /* BRANCH_STACK: nr */
	pd_put64(&b, 1);                      /*   hw_idx */
	pd_put64(&b, 0x401000);               /*   [0] from */
	pd_put64(&b, 0x402000);               /*       to */
	pd_put64(&b, 0x1);                    /*       flags */
	pd_put64(&b, 0x402010);               /*   [1] from */
	pd_put64(&b, 0x403000);               /*       to */
	pd_put64(&b, 0x2);                    /*       flags */
	pd_put64(&b, 2);                      /* REGS_USER: abi (64-bit) */
	pd_put64(&b, 0x11);                   /*   regs[0] */
	pd_put64(&b, 0x22);                   /*   regs[1] */
	pd_put64(&b, 0x33);                   /*   regs[2] (popcount 0x7) */
	pd_put64(&b, 16);                     /* STACK_USER: size */
	pd_put_bytes(&b, stack, 16);          /*   data */
	pd_put64(&b, 12);                     /*   dyn_size */
	pd_put64(&b, 250);                    /* WEIGHT */
	pd_put64(&b, 0x68100142);             /* DATA_SRC */
	pd_put64(&b, 0x6);                    /* TRANSACTION */
	pd_put64(&b, 2);                      /* REGS_INTR: abi */
	pd_put64(&b, 0x44);                   /*   regs[0] */
	pd_put64(&b, 0x55);                   /*   regs[1] (popcount 0x5) */
	pd_put64(&b, 0x12345000);             /* PHYS_ADDR */
	pd_put64(&b, 0xc0);                   /* CGROUP */
	pd_put64(&b, 65536);                  /* DATA_PAGE_SIZE */
	pd_put64(&b, 2097152);                /* CODE_PAGE_SIZE */
	pd_put64(&b, 8);                      /* AUX: size */
	pd_put_bytes(&b, "auxdata!", 8);      /*   data */
	pd_rec_end(&b, second);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 2);

	const struct got *g = &got[0];
	CHECK_U64(g->rec.offset, first);
	CHECK_U64(g->rec.sample.ip, 0x400500);
	CHECK_U64(g->rec.id.pid, 500);
	CHECK_U64(g->rec.id.tid, 501);
	CHECK_U64(g->rec.id.time, 111);
	CHECK_U64(g->rec.id.cpu, 1);
	CHECK_U64(g->rec.sample.nr_ips, 0);
	CHECK_U64(g->rec.sample.raw_size, 4);
	CHECK(!memcmp(g->raw, "abcd", 4));
	CHECK_U64(g->rec.sample.nr_branches, 0);
	CHECK_U64(g->rec.sample.weight, 7);
	CHECK_U64(g->rec.sample.data_src, 1);
	CHECK_U64(g->rec.sample.cgroup, 1);
	CHECK_U64(g->rec.sample.data_page_size, 4096);
	CHECK_U64(g->rec.sample.code_page_size, 4096);

	g = &got[1];
	CHECK_U64(g->rec.offset, second);
	CHECK_U64(g->ev, 0);
	CHECK_U64(g->rec.misc, SD_MISC_KERNEL);
	CHECK_U64(g->rec.sample.ip, 0xffffffff81001234ull);
	CHECK_U64(g->rec.id.pid, 1000);
	CHECK_U64(g->rec.id.tid, 1001);
	CHECK_U64(g->rec.id.time, 123456789);
	CHECK(g->rec.id.has_tid && g->rec.id.has_time && g->rec.id.has_id &&
	      g->rec.id.has_cpu);
	CHECK_U64(g->rec.sample.addr, 0xdead0000);
	CHECK_U64(g->rec.id.id, 31);
	CHECK_U64(g->rec.id.stream_id, 32);
	CHECK_U64(g->rec.id.cpu, 3);
	CHECK_U64(g->rec.sample.period, 4000);
	CHECK_U64(g->rec.sample.nr_ips, 4);
	CHECK_U64(g->ips[0], SD_CONTEXT_KERNEL);
	CHECK_U64(g->ips[1], 0xffffffff81001234ull);
	CHECK_U64(g->ips[2], SD_CONTEXT_USER);
	CHECK_U64(g->ips[3], 0x401000);
	CHECK_U64(g->rec.sample.raw_size, 12);
	CHECK(!memcmp(g->raw, "raw-payload!", 12));
	CHECK_U64(g->rec.sample.nr_branches, 2);
	CHECK_U64(g->rec.sample.weight, 250);
	CHECK_U64(g->rec.sample.data_src, 0x68100142);
	CHECK_U64(g->rec.sample.transaction, 6);
	CHECK_U64(g->rec.sample.phys_addr, 0x12345000);
	CHECK_U64(g->rec.sample.cgroup, 0xc0);
	CHECK_U64(g->rec.sample.data_page_size, 65536);
	CHECK_U64(g->rec.sample.code_page_size, 2097152);

	CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 2);
	CHECK_U64(sd_reader_evsel(r, 0)->total_period, 4001);
	CHECK_U64(sd_reader_stats(r)->bad_records, 0);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(every_sample_field)
{
	check_every_field(false);
	check_every_field(true);
}

/*
 * READ with PERF_FORMAT_GROUP (nr, then per member value, id, lost) and
 * BRANCH_STACK without hw_idx: the fields after them land right.
 */
static void check_group_read(bool be)
{
	struct pd_event ev = {
		.attr = {
			.bytes = 112,
			.period = 10000,
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_READ | SD_SAMPLE_CALLCHAIN |
				       SD_SAMPLE_BRANCH_STACK |
				       SD_SAMPLE_WEIGHT,
			.read_format = SD_FORMAT_GROUP |
				       SD_FORMAT_TOTAL_TIME_ENABLED |
				       SD_FORMAT_TOTAL_TIME_RUNNING |
				       SD_FORMAT_ID | SD_FORMAT_LOST,
			.branch_sample_type = 1, /* user, no HW_INDEX */
		},
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 0x400100);        /* IP */
	pd_put32(&b, 7);               /* TID: pid */
	pd_put32(&b, 8);               /*      tid */
	pd_put64(&b, 2);               /* READ: nr */
	pd_put64(&b, 100);             /*   time_enabled */
	pd_put64(&b, 90);              /*   time_running */
	pd_put64(&b, 1111);            /*   [0] value */
	pd_put64(&b, 41);              /*       id */
	pd_put64(&b, 0);               /*       lost */
	pd_put64(&b, 2222);            /*   [1] value */
	pd_put64(&b, 42);              /*       id */
	pd_put64(&b, 1);               /*       lost */
	pd_put64(&b, 2);               /* CALLCHAIN: nr */
	pd_put64(&b, SD_CONTEXT_USER); /* ips[0] */
	pd_put64(&b, 0x400100);        /*   ips[1] */
	pd_put64(&b, 1);               /* BRANCH_STACK: nr (no hw_idx) */
	pd_put64(&b, 0x400000);        /*   [0] from */
	pd_put64(&b, 0x400100);        /*       to */
	pd_put64(&b, 0);               /*       flags */
	pd_put64(&b, 99);              /* WEIGHT */
	pd_rec_end(&b, at);

	/* the same event, a plain group read: nr, then values only */
	struct pd_event ev2 = ev;
	ev2.attr.read_format = SD_FORMAT_GROUP;
	struct pd_buf b2 = {.be = be};
	size_t data2 = pd_file_begin(&b2, &ev2, 1);
	at = pd_rec_begin(&b2, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b2, 0x400200); /* IP */
	pd_put32(&b2, 7);        /* TID: pid */
	pd_put32(&b2, 9);        /*      tid */
	pd_put64(&b2, 3);        /* READ: nr */
	pd_put64(&b2, 1);        /*   [0] value */
	pd_put64(&b2, 2);        /*   [1] value */
	pd_put64(&b2, 3);        /*   [2] value */
	pd_put64(&b2, 1);        /* CALLCHAIN: nr */
	pd_put64(&b2, 0x400200); /*   ips[0] */
	pd_put64(&b2, 0);        /* BRANCH_STACK: nr */
	pd_put64(&b2, 55);       /* WEIGHT */
	pd_rec_end(&b2, at);
	pd_file_end(&b, data, NULL, NULL);
	pd_file_end(&b2, data2, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 1);
		CHECK_U64(got[0].rec.sample.ip, 0x400100);
		CHECK_U64(got[0].rec.id.tid, 8);
		CHECK_U64(got[0].rec.sample.nr_ips, 2);
		CHECK_U64(got[0].ips[1], 0x400100);
		CHECK_U64(got[0].rec.sample.nr_branches, 1);
		CHECK_U64(got[0].rec.sample.weight, 99);
		CHECK_NO_DIAGS(r);
	}
	sd_reader_free(r);
	r = open_buf(&b2, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 1);
		CHECK_U64(got[0].rec.sample.ip, 0x400200);
		CHECK_U64(got[0].rec.sample.nr_ips, 1);
		CHECK_U64(got[0].ips[0], 0x400200);
		CHECK_U64(got[0].rec.sample.nr_branches, 0);
		CHECK_U64(got[0].rec.sample.weight, 55);
		CHECK_NO_DIAGS(r);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
	pd_buf_free(&b2);
}

TEST(group_read_and_branches)
{
	check_group_read(false);
	check_group_read(true);
}

/* A sample shorter than its layout is skipped with a warning. */
TEST(sample_too_short)
{
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_PERIOD,
		},
	};
	struct pd_buf b = {0};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t bad = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 0x1000); /* ip */
	pd_put32(&b, 1);      /* pid */
	pd_put32(&b, 1);      /* tid; time and period missing */
	pd_rec_end(&b, bad);
	size_t good = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 0x2000); /* ip */
	pd_put32(&b, 2);      /* pid */
	pd_put32(&b, 2);      /* tid */
	pd_put64(&b, 20);     /* time */
	pd_put64(&b, 3);      /* period */
	pd_rec_end(&b, good);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 1);
		CHECK_U64(got[0].rec.offset, good);
		CHECK_U64(got[0].rec.sample.ip, 0x2000);
		CHECK_U64(sd_reader_stats(r)->bad_records, 1);
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_BAD_RECORD, bad));
		CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Several events.                                                     */

/*
 * Two events whose layouts differ but both start with IDENTIFIER: each
 * sample is parsed by its own event's layout.  An unknown id is counted,
 * not delivered.
 */
static void check_by_identifier(bool be)
{
	static const uint64_t ids0[] = {11, 12}, ids1[] = {21};
	struct pd_event ev[2] = {
		{
			.attr = {
				.bytes = 120,
				.type = SD_TYPE_HARDWARE,
				.config = 0,
				.period = 4000,
				.sample_type = SD_SAMPLE_IDENTIFIER |
					       SD_SAMPLE_IP | SD_SAMPLE_TID |
					       SD_SAMPLE_TIME |
					       SD_SAMPLE_CALLCHAIN |
					       SD_SAMPLE_PERIOD,
				.flags = SD_ATTR_FREQ | SD_ATTR_SAMPLE_ID_ALL,
			},
			.ids = ids0,
			.nr_ids = 2,
		},
		{
			.attr = {
				.type = SD_TYPE_TRACEPOINT,
				.config = 316,
				.period = 1,
				.sample_type = SD_SAMPLE_IDENTIFIER |
					       SD_SAMPLE_IP | SD_SAMPLE_TID |
					       SD_SAMPLE_TIME | SD_SAMPLE_CPU |
					       SD_SAMPLE_PERIOD | SD_SAMPLE_RAW,
				.flags = SD_ATTR_SAMPLE_ID_ALL,
			},
			.ids = ids1,
			.nr_ids = 1,
		},
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, ev, 2);

	size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_KERNEL);
	pd_put64(&b, 12);                    /* IDENTIFIER: event 0 */
	pd_put64(&b, 0xffffffff81000100ull); /* IP */
	pd_put32(&b, 10);                    /* pid */
	pd_put32(&b, 10);                    /* tid */
	pd_put64(&b, 100);                   /* TIME */
	pd_put64(&b, 700);                   /* PERIOD */
	pd_put64(&b, 2);                     /* CALLCHAIN: nr */
	pd_put64(&b, SD_CONTEXT_KERNEL);     /*   ips[0] */
	pd_put64(&b, 0xffffffff81000100ull); /*  ips[1] */
	pd_rec_end(&b, at);

	at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_KERNEL);
	pd_put64(&b, 21);                        /* IDENTIFIER: event 1 */
	pd_put64(&b, 0xffffffff81000200ull);     /* IP */
	pd_put32(&b, 20);                        /* pid */
	pd_put32(&b, 21);                        /* tid */
	pd_put64(&b, 200);                       /* TIME */
	pd_put32(&b, 2);                         /* CPU */
	pd_put32(&b, 0);                         /* reserved */
	pd_put64(&b, 1);                         /* PERIOD */
	pd_put32(&b, 4);                         /* RAW: size */
	pd_put_bytes(&b, "\x01\x02\x03\x04", 4); /* data */
	pd_rec_end(&b, at);

	size_t unknown = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_KERNEL);
	pd_put64(&b, 99);                    /* IDENTIFIER: no such id */
	pd_put64(&b, 0xffffffff81000300ull); /* IP */
	pd_put32(&b, 30);                    /* pid */
	pd_put32(&b, 30);                    /* tid */
	pd_put64(&b, 300);                   /* TIME */
	pd_put64(&b, 0);                     /* whatever follows */
	pd_rec_end(&b, unknown);

	at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 11);       /* IDENTIFIER: event 0 */
	pd_put64(&b, 0x401000); /* IP */
	pd_put32(&b, 40);       /* pid */
	pd_put32(&b, 41);       /* tid */
	pd_put64(&b, 400);      /* TIME */
	pd_put64(&b, 800);      /* PERIOD */
	pd_put64(&b, 1);        /* CALLCHAIN: nr */
	pd_put64(&b, 0x401000); /*   ips[0] */
	pd_rec_end(&b, at);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 3);
	CHECK_U64(got[0].ev, 0);
	CHECK_U64(got[0].rec.id.id, 12);
	CHECK_U64(got[0].rec.sample.nr_ips, 2);
	CHECK_U64(got[0].ips[1], 0xffffffff81000100ull);
	CHECK_U64(got[0].rec.sample.period, 700);
	CHECK_U64(got[1].ev, 1);
	CHECK_U64(got[1].rec.id.tid, 21);
	CHECK_U64(got[1].rec.id.cpu, 2);
	CHECK_U64(got[1].rec.sample.raw_size, 4);
	CHECK(!memcmp(got[1].raw, "\x01\x02\x03\x04", 4));
	CHECK_U64(got[2].ev, 0);
	CHECK_U64(got[2].rec.id.time, 400);
	CHECK_U64(got[2].rec.sample.period, 800);
	CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 2);
	CHECK_U64(sd_reader_evsel(r, 0)->total_period, 1500);
	CHECK_U64(sd_reader_evsel(r, 1)->nr_samples, 1);
	CHECK_STR(sd_reader_evsel(r, 0)->name, "cycles");
	CHECK_STR(sd_reader_evsel(r, 1)->name, "tracepoint-316");
	CHECK_U64(sd_reader_stats(r)->unknown_id_samples, 1);
	CHECK_U64(sd_reader_stats(r)->bad_records, 0);
	CHECK_U64(sd_reader_stats(r)->records[SD_REC_SAMPLE], 4);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(events_by_identifier)
{
	check_by_identifier(false);
	check_by_identifier(true);
}

/*
 * Two events with one layout and PERF_SAMPLE_ID (no IDENTIFIER): the id
 * sits after ip, tid and time in a sample and second from the end of a
 * sample_id_all trailer (before cpu).
 */
static void check_by_id(bool be)
{
	static const uint64_t ids0[] = {1, 2}, ids1[] = {3, 4};
	const uint64_t st = SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_TIME |
			    SD_SAMPLE_ID | SD_SAMPLE_CPU | SD_SAMPLE_PERIOD;
	struct pd_event ev[2] = {
		{
			.attr = {.bytes = 96, .type = SD_TYPE_SOFTWARE,
				 .config = 0, .sample_type = st,
				 .flags = SD_ATTR_SAMPLE_ID_ALL},
			.ids = ids0,
			.nr_ids = 2,
		},
		{
			.attr = {.type = SD_TYPE_SOFTWARE, .config = 1,
				 .sample_type = st,
				 .flags = SD_ATTR_SAMPLE_ID_ALL},
			.ids = ids1,
			.nr_ids = 2,
		},
	};
	static const uint64_t sample_ids[] = {2, 3, 77, 4, 1};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, ev, 2);

	for (size_t i = 0; i < 5; i++) {
		size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
		pd_put64(&b, 0x1000 + i);        /* IP */
		pd_put32(&b, 100);               /* pid */
		pd_put32(&b, 100 + (uint32_t)i); /* tid */
		pd_put64(&b, 1000 * (i + 1));    /* TIME */
		pd_put64(&b, sample_ids[i]);     /* ID */
		pd_put32(&b, (uint32_t)i);       /* CPU */
		pd_put32(&b, 0);                 /* reserved */
		pd_put64(&b, 10 * (i + 1));      /* PERIOD */
		pd_rec_end(&b, at);
	}
	/* a COMM whose trailer says event 1 */
	size_t comm = pd_rec_begin(&b, SD_REC_COMM, 0);
	pd_put32(&b, 100);           /* pid */
	pd_put32(&b, 100);           /* tid */
	pd_put_str(&b, "worker", 8); /* comm */
	pd_put32(&b, 100);           /* trailer: pid */
	pd_put32(&b, 100);           /*          tid */
	pd_put64(&b, 6000);          /*          time */
	pd_put64(&b, 3);             /*          id */
	pd_put32(&b, 5);             /*          cpu */
	pd_put32(&b, 0);             /*          reserved */
	pd_rec_end(&b, comm);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 5);
	static const int want_ev[] = {0, 1, 1, 0};
	static const uint64_t want_ip[] = {0x1000, 0x1001, 0x1003, 0x1004};
	for (size_t i = 0; i < 4; i++) {
		CHECK_U64(got[i].rec.type, SD_REC_SAMPLE);
		CHECK_U64(got[i].ev, want_ev[i]);
		CHECK_U64(got[i].rec.sample.ip, want_ip[i]);
	}
	CHECK_U64(got[2].rec.id.id, 4);
	CHECK_U64(got[2].rec.id.cpu, 3);
	CHECK_U64(got[2].rec.sample.period, 40);
	CHECK_U64(got[4].rec.type, SD_REC_COMM);
	CHECK_U64(got[4].ev, 1);
	CHECK_U64(got[4].rec.id.id, 3);
	CHECK_U64(got[4].rec.id.cpu, 5);
	CHECK_U64(got[4].rec.id.time, 6000);
	CHECK_STR(got[4].str, "worker");
	CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 2);
	CHECK_U64(sd_reader_evsel(r, 0)->total_period, 60);
	CHECK_U64(sd_reader_evsel(r, 1)->nr_samples, 2);
	CHECK_U64(sd_reader_evsel(r, 1)->total_period, 60);
	CHECK_U64(sd_reader_stats(r)->unknown_id_samples, 1);
	CHECK_STR(sd_reader_evsel(r, 1)->name, "task-clock");
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(events_by_id)
{
	check_by_id(false);
	check_by_id(true);
}

/*
 * sample_id_all trailers on COMM, MMAP2, FORK and EXIT with IDENTIFIER:
 * { pid, tid } { time } { cpu, res } { identifier }.
 */
static void put_trailer(struct pd_buf *b, uint32_t pid, uint32_t tid,
			uint64_t time, uint32_t cpu, uint64_t id)
{
	pd_put32(b, pid);  /* trailer: pid */
	pd_put32(b, tid);  /*          tid */
	pd_put64(b, time); /*          time */
	pd_put32(b, cpu);  /*          cpu */
	pd_put32(b, 0);    /*          reserved */
	pd_put64(b, id);   /*          identifier */
}

static void check_trailers(bool be)
{
	static const uint64_t ids0[] = {50}, ids1[] = {60};
	const uint64_t st = SD_SAMPLE_IDENTIFIER | SD_SAMPLE_IP |
			    SD_SAMPLE_TID | SD_SAMPLE_TIME | SD_SAMPLE_CPU;
	struct pd_event ev[2] = {
		{.attr = {.bytes = 136, .sample_type = st,
			  .flags = SD_ATTR_SAMPLE_ID_ALL},
		 .ids = ids0, .nr_ids = 1},
		{.attr = {.type = SD_TYPE_SOFTWARE, .config = 9,
			  .sample_type = st, .flags = SD_ATTR_SAMPLE_ID_ALL},
		 .ids = ids1, .nr_ids = 1},
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, ev, 2);

	size_t at = pd_rec_begin(&b, SD_REC_COMM, SD_MISC_COMM_EXEC);
	pd_put32(&b, 300);          /* pid */
	pd_put32(&b, 301);          /* tid */
	pd_put_str(&b, "httpd", 8); /* comm */
	put_trailer(&b, 300, 301, 1000, 1, 60);
	pd_rec_end(&b, at);

	at = pd_rec_begin(&b, SD_REC_MMAP2, SD_MISC_USER);
	pd_put32(&b, 300);                        /* pid */
	pd_put32(&b, 301);                        /* tid */
	pd_put64(&b, 0x7f0000000000ull);          /* start */
	pd_put64(&b, 0x21000);                    /* len */
	pd_put64(&b, 0x1000);                     /* pgoff */
	pd_put32(&b, 8);                          /* maj */
	pd_put32(&b, 1);                          /* min */
	pd_put64(&b, 123456);                     /* ino */
	pd_put64(&b, 0);                          /* ino_generation */
	pd_put32(&b, 5);                          /* prot: r-x */
	pd_put32(&b, 2);                          /* flags: private */
	pd_put_str(&b, "/usr/lib/libc.so.6", 24); /* filename */
	put_trailer(&b, 300, 301, 2000, 2, 50);
	pd_rec_end(&b, at);

	at = pd_rec_begin(&b, SD_REC_FORK, 0);
	pd_put32(&b, 400);  /* pid */
	pd_put32(&b, 300);  /* ppid */
	pd_put32(&b, 400);  /* tid */
	pd_put32(&b, 301);  /* ptid */
	pd_put64(&b, 3000); /* time */
	put_trailer(&b, 400, 400, 3000, 3, 50);
	pd_rec_end(&b, at);

	at = pd_rec_begin(&b, SD_REC_EXIT, 0);
	pd_put32(&b, 400);  /* pid */
	pd_put32(&b, 300);  /* ppid */
	pd_put32(&b, 400);  /* tid */
	pd_put32(&b, 301);  /* ptid */
	pd_put64(&b, 4000); /* time */
	put_trailer(&b, 400, 400, 4000, 0, 60);
	pd_rec_end(&b, at);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 4);
	static const uint32_t type[] = {SD_REC_COMM, SD_REC_MMAP2, SD_REC_FORK,
					SD_REC_EXIT};
	static const uint32_t pid[] = {300, 300, 400, 400};
	static const uint32_t tid[] = {301, 301, 400, 400};
	static const uint32_t cpu[] = {1, 2, 3, 0};
	static const uint64_t id[] = {60, 50, 50, 60};
	for (size_t i = 0; i < 4; i++) {
		const struct sd_sample_id *s = &got[i].rec.id;
		CHECK_U64(got[i].rec.type, type[i]);
		CHECK(s->has_tid && s->has_time && s->has_cpu && s->has_id);
		CHECK_U64(s->pid, pid[i]);
		CHECK_U64(s->tid, tid[i]);
		CHECK_U64(s->time, 1000 * (i + 1));
		CHECK_U64(s->cpu, cpu[i]);
		CHECK_U64(s->id, id[i]);
		CHECK_U64(got[i].ev, id[i] == 50 ? 0 : 1);
	}
	CHECK_STR(got[0].str, "httpd");
	CHECK(got[0].rec.comm.exec);
	CHECK_U64(got[0].rec.comm.tid, 301);
	CHECK_STR(got[1].str, "/usr/lib/libc.so.6");
	CHECK_U64(got[1].rec.mmap.start, 0x7f0000000000ull);
	CHECK_U64(got[1].rec.mmap.len, 0x21000);
	CHECK_U64(got[1].rec.mmap.pgoff, 0x1000);
	CHECK_U64(got[1].rec.mmap.prot, 5);
	CHECK_U64(got[1].rec.mmap.flags, 2);
	CHECK_U64(got[1].rec.mmap.build_id.size, 0);
	CHECK_U64(got[2].rec.task.ppid, 300);
	CHECK_U64(got[2].rec.task.ptid, 301);
	CHECK_U64(got[2].rec.task.time, 3000);
	CHECK_U64(got[3].rec.task.pid, 400);
	CHECK_U64(got[3].rec.task.time, 4000);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(sample_id_all_trailers)
{
	check_trailers(false);
	check_trailers(true);
}

/*
 * Trailers without some of the fields: an event with TID and TIME (a
 * COMM's trailer is { pid, tid } { time }) and one with TIME, STREAM_ID
 * and CPU ({ time } { stream_id } { cpu }).  What the trailer has not is
 * 0 and not had, whichever way the trailer is read (the host's order by
 * the places attr.c worked out).
 */
static void check_partial_trailers(bool be, bool tid)
{
	uint64_t st = tid ? SD_SAMPLE_TID | SD_SAMPLE_TIME
			  : SD_SAMPLE_TIME | SD_SAMPLE_STREAM_ID | SD_SAMPLE_CPU;
	struct pd_event ev = {
		.attr = {.sample_type = st | SD_SAMPLE_IP,
			 .flags = SD_ATTR_SAMPLE_ID_ALL},
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t at = pd_rec_begin(&b, SD_REC_COMM, 0);

	pd_put32(&b, 30);          /* pid */
	pd_put32(&b, 31);          /* tid */
	pd_put_str(&b, "cron", 8); /* comm */
	if (tid) {
		pd_put32(&b, 30);  /* trailer: pid */
		pd_put32(&b, 31);  /* tid */
	}
	pd_put64(&b, 5000);        /* time */
	if (!tid) {
		pd_put64(&b, 77);  /* stream_id */
		pd_put32(&b, 3);   /* cpu */
		pd_put32(&b, 0);   /* res */
	}
	pd_rec_end(&b, at);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 1);
	const struct sd_sample_id *s = &got[0].rec.id;
	CHECK_U64(got[0].rec.type, SD_REC_COMM);
	CHECK_U64(s->time, 5000);
	CHECK(s->has_time && !s->has_id && s->has_tid == tid &&
	      s->has_cpu == !tid);
	CHECK_U64(s->pid, tid ? 30 : 0);
	CHECK_U64(s->tid, tid ? 31 : 0);
	CHECK_U64(s->id, 0);
	CHECK_U64(s->stream_id, tid ? 0 : 77);
	CHECK_U64(s->cpu, tid ? 0 : 3);
	CHECK_STR(got[0].str, "cron");
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(partial_trailers)
{
	for (int be = 0; be < 2; be++) {
		check_partial_trailers(be, true);
		check_partial_trailers(be, false);
	}
}

/*
 * A record shorter than its event's trailer ({ pid, tid } { time }
 * { cpu, res }: 24 bytes) is damaged, in either byte order: counted and
 * skipped, and the COMM after it read whole.
 */
static void check_short_trailer(bool be)
{
	struct pd_event ev = {
		.attr = {.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
					SD_SAMPLE_TIME | SD_SAMPLE_CPU,
			 .flags = SD_ATTR_SAMPLE_ID_ALL},
	};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t at = pd_rec_begin(&b, SD_REC_LOST_SAMPLES, 0);

	pd_put64(&b, 9);           /* lost */
	pd_put64(&b, 6000);        /* 8 of the trailer's 24 bytes */
	pd_rec_end(&b, at);
	at = pd_rec_begin(&b, SD_REC_COMM, 0);
	pd_put32(&b, 30);          /* pid */
	pd_put32(&b, 31);          /* tid */
	pd_put_str(&b, "cron", 8); /* comm */
	pd_put32(&b, 30);          /* trailer: pid */
	pd_put32(&b, 31);          /* tid */
	pd_put64(&b, 7000);        /* time */
	pd_put32(&b, 2);           /* cpu */
	pd_put32(&b, 0);           /* res */
	pd_rec_end(&b, at);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 1);
	CHECK_U64(sd_reader_stats(r)->bad_records, 1);
	CHECK_U64(sd_reader_stats(r)->lost_samples, 0);
	CHECK_U64(got[0].rec.type, SD_REC_COMM);
	CHECK_U64(got[0].rec.id.time, 7000);
	CHECK_U64(got[0].rec.id.cpu, 2);
	CHECK_STR(got[0].str, "cron");
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(short_trailer)
{
	check_short_trailer(false);
	check_short_trailer(true);
}

/* ------------------------------------------------------------------ */
/* Records.                                                            */

static void check_records(bool be)
{
	struct pd_event ev = {
		.attr = {
			.bytes = 104,
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_PERIOD,
		},
	};
	static const uint8_t bid[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5,
					6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct pd_buf b = {.be = be};
	size_t data = pd_file_begin(&b, &ev, 1);
	size_t off[16], n = 0, at;

	off[n++] = at = pd_rec_begin(&b, SD_REC_COMM, SD_MISC_COMM_EXEC);
	pd_put32(&b, 10);          /* pid */
	pd_put32(&b, 10);          /* tid */
	pd_put_str(&b, "bash", 8); /* comm */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_COMM, 0);
	pd_put32(&b, 10);                    /* pid */
	pd_put32(&b, 11);                    /* tid */
	pd_put_str(&b, "worker-thread", 16); /* comm */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_FORK, 0);
	pd_put32(&b, 12);  /* pid */
	pd_put32(&b, 10);  /* ppid */
	pd_put32(&b, 12);  /* tid */
	pd_put32(&b, 11);  /* ptid */
	pd_put64(&b, 777); /* time */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_MMAP, SD_MISC_USER);
	pd_put32(&b, 12);                /* pid */
	pd_put32(&b, 12);                /* tid */
	pd_put64(&b, 0x400000);          /* start */
	pd_put64(&b, 0x1000);            /* len */
	pd_put64(&b, 0);                 /* pgoff */
	pd_put_str(&b, "/bin/true", 16); /* filename */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_MMAP2,
				     SD_MISC_USER | SD_MISC_MMAP_BUILD_ID);
	pd_put32(&b, 12);                 /* pid */
	pd_put32(&b, 12);                 /* tid */
	pd_put64(&b, 0x7f1000000000ull);  /* start */
	pd_put64(&b, 0x2000);             /* len */
	pd_put64(&b, 0x3000);             /* pgoff */
	pd_put8(&b, 20);                  /* build_id_size */
	pd_put8(&b, 0);                   /* reserved */
	pd_put16(&b, 0);                  /* reserved */
	pd_put_bytes(&b, bid, 20);        /* build_id */
	pd_put32(&b, 7);                  /* prot */
	pd_put32(&b, 1);                  /* flags */
	pd_put_str(&b, "/lib/ld.so", 16); /* filename */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_MMAP2, SD_MISC_USER);
	pd_put32(&b, 12);                /* pid */
	pd_put32(&b, 12);                /* tid */
	pd_put64(&b, 0x7f2000000000ull); /* start */
	pd_put64(&b, 0x4000);            /* len */
	pd_put64(&b, 0);                 /* pgoff */
	pd_put32(&b, 253);               /* maj */
	pd_put32(&b, 0);                 /* min */
	pd_put64(&b, 42);                /* ino */
	pd_put64(&b, 1);                 /* ino_generation */
	pd_put32(&b, 3);                 /* prot */
	pd_put32(&b, 2);                 /* flags */
	pd_put_str(&b, "[heap]", 8);     /* filename */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_LOST, 0);
	pd_put64(&b, 0); /* id */
	pd_put64(&b, 5); /* lost */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_LOST, 0);
	pd_put64(&b, 0); /* id */
	pd_put64(&b, 7); /* lost */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_LOST_SAMPLES, 0);
	pd_put64(&b, 3);               /* lost */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_THROTTLE, 0);
	pd_put64(&b, 888); /* time */
	pd_put64(&b, 0);   /* id */
	pd_put64(&b, 0);   /* stream_id */
	pd_rec_end(&b, at);

	/* not delivered: a newer kernel's, a newer perf's, a bogus type */
	at = pd_rec_begin(&b, 50, 0);
	pd_put_fill(&b, 0x5a, 20);     /* unknown body */
	pd_rec_end(&b, at);
	at = pd_rec_begin(&b, 100, 0);
	pd_put_fill(&b, 0xa5, 12);     /* unknown body */
	pd_rec_end(&b, at);
	at = pd_rec_begin(&b, 200, 0);
	pd_put_fill(&b, 0x33, 8);      /* unknown body */
	pd_rec_end(&b, at);
	pd_finished_round(&b);

	off[n++] = at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(&b, 0x400010); /* ip */
	pd_put32(&b, 12);       /* pid */
	pd_put32(&b, 12);       /* tid */
	pd_put64(&b, 999);      /* time */
	pd_put64(&b, 1);        /* period */
	pd_rec_end(&b, at);

	off[n++] = at = pd_rec_begin(&b, SD_REC_EXIT, 0);
	pd_put32(&b, 12);   /* pid */
	pd_put32(&b, 10);   /* ppid */
	pd_put32(&b, 12);   /* tid */
	pd_put32(&b, 12);   /* ptid */
	pd_put64(&b, 1000); /* time */
	pd_rec_end(&b, at);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, n);
	static const uint32_t type[] = {
		SD_REC_COMM, SD_REC_COMM, SD_REC_FORK, SD_REC_MMAP,
		SD_REC_MMAP2, SD_REC_MMAP2, SD_REC_LOST, SD_REC_LOST,
		SD_REC_LOST_SAMPLES, SD_REC_THROTTLE, SD_REC_SAMPLE,
		SD_REC_EXIT,
	};
	for (size_t i = 0; i < n && i < got_n; i++) {
		CHECK_U64(got[i].rec.type, type[i]);
		CHECK_U64(got[i].rec.offset, off[i]);
		CHECK(!got[i].rec.compressed);
		CHECK_U64(got[i].ev, 0);
	}
	CHECK_STR(got[0].str, "bash");
	CHECK(got[0].rec.comm.exec);
	CHECK_U64(got[0].rec.comm.pid, 10);
	CHECK_STR(got[1].str, "worker-thread");
	CHECK(!got[1].rec.comm.exec);
	CHECK_U64(got[1].rec.comm.tid, 11);
	CHECK(!got[1].rec.id.has_tid); /* no sample_id_all: no trailer */
	CHECK_U64(got[2].rec.task.pid, 12);
	CHECK_U64(got[2].rec.task.ppid, 10);
	CHECK_U64(got[2].rec.task.tid, 12);
	CHECK_U64(got[2].rec.task.ptid, 11);
	CHECK_U64(got[2].rec.task.time, 777);
	CHECK_STR(got[3].str, "/bin/true");
	CHECK_U64(got[3].rec.mmap.start, 0x400000);
	CHECK_U64(got[3].rec.mmap.len, 0x1000);
	CHECK_U64(got[3].rec.mmap.build_id.size, 0);
	CHECK_STR(got[4].str, "/lib/ld.so");
	CHECK_U64(got[4].rec.mmap.pgoff, 0x3000);
	CHECK_U64(got[4].rec.mmap.build_id.size, 20);
	CHECK(!memcmp(got[4].rec.mmap.build_id.data, bid, 20));
	CHECK_U64(got[4].rec.mmap.prot, 7);
	CHECK_U64(got[4].rec.mmap.flags, 1);
	CHECK_STR(got[5].str, "[heap]");
	CHECK_U64(got[5].rec.mmap.build_id.size, 0);
	CHECK_U64(got[5].rec.mmap.prot, 3);
	CHECK_U64(got[5].rec.mmap.flags, 2);
	CHECK_U64(got[6].rec.lost.lost, 5);
	CHECK_U64(got[7].rec.lost.lost, 7);
	CHECK_U64(got[8].rec.lost.lost, 3);
	CHECK_U64(got[10].rec.sample.ip, 0x400010);
	CHECK_U64(got[11].rec.task.time, 1000);

	const struct sd_reader_stats *st = sd_reader_stats(r);
	CHECK_U64(st->lost_events, 12);
	CHECK_U64(st->lost_samples, 3);
	CHECK_U64(st->records[50], 1);
	CHECK_U64(st->records[100], 1);
	CHECK_U64(st->unknown_records, 1);
	CHECK_U64(st->records[SD_REC_FINISHED_ROUND], 1);
	CHECK_U64(st->records[SD_REC_MMAP2], 2);
	CHECK_U64(st->bad_records, 0);
	CHECK_U64(st->bytes_consumed, b.len);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(records)
{
	check_records(false);
	check_records(true);
}

/*
 * A record's string as perf reads it: up to its NUL, wherever that is in
 * the padded field, or the whole field when it has none (then copied and
 * terminated).
 */
TEST(record_strings)
{
	struct pd_event ev = {.attr = {.sample_type = SD_SAMPLE_TID}};
	static const char *const want[] = {"abcdefgh", "ab", "xyz",
					   "abcdefghijklmno"};
	static const uint8_t fields[][16] = {
		{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}, /* no NUL */
		{'a', 'b', 0, 'c', 'd', 'e', 'f', 'g'},   /* NUL inside */
		{'x', 'y', 'z'},                          /* NUL padded */
		{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
		 'm', 'n', 'o'},                          /* NUL last */
	};
	static const size_t lens[] = {8, 8, 8, 16};
	struct pd_buf b = {0};
	struct sd_reader *r = NULL;
	const struct sd_record *rec;
	size_t data = pd_file_begin(&b, &ev, 1), n = 0;

	for (size_t i = 0; i < 4; i++) {
		size_t at = pd_rec_begin(&b, SD_REC_COMM, 0);
		pd_put32(&b, 10);                      /* pid */
		pd_put32(&b, 10);                      /* tid */
		pd_put_bytes(&b, fields[i], lens[i]);  /* comm */
		pd_rec_end(&b, at);
	}
	pd_file_end(&b, data, NULL, NULL);
	CHECK(sd_reader_open_mem(b.p, b.len, "mem", 0, NULL, &r) == 0);
	while (r && n < 4 && sd_reader_next(r, &rec) > 0) {
		CHECK_U64(rec->type, SD_REC_COMM);
		CHECK_STR(rec->comm.comm, want[n]);
		n++;
	}
	CHECK_U64(n, 4);
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Time ordering.                                                      */

/*
 * Two CPUs' buffers written one after the other in three rounds, as perf
 * record does.  Samples carry their time as ip; pid tells equal times
 * apart.  COMMs with time 0 (synthesized) mark where they were read.
 */
static void put_ts_sample(struct pd_buf *b, uint64_t t, uint32_t pid,
			  uint32_t cpu)
{
	size_t at = pd_rec_begin(b, SD_REC_SAMPLE, SD_MISC_USER);

	pd_put64(b, t);   /* IP: the time, to identify it */
	pd_put32(b, pid); /* pid */
	pd_put32(b, pid); /* tid */
	pd_put64(b, t);   /* TIME */
	pd_put32(b, cpu); /* CPU */
	pd_put32(b, 0);   /* reserved */
	pd_rec_end(b, at);
}

static void put_zero_comm(struct pd_buf *b, bool id_all, const char *name)
{
	size_t at = pd_rec_begin(b, SD_REC_COMM, 0);

	pd_put32(b, 1);         /* pid */
	pd_put32(b, 1);         /* tid */
	pd_put_str(b, name, 8); /* comm */
	if (id_all) {
		pd_put32(b, 1); /* trailer: pid */
		pd_put32(b, 1); /*          tid */
		pd_put64(b, 0); /*          time: none */
		pd_put32(b, 0); /*          cpu */
		pd_put32(b, 0); /*          reserved */
	}
	pd_rec_end(b, at);
}

static void make_rounds(struct pd_buf *b, bool id_all)
{
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_CPU,
			.flags = id_all ? SD_ATTR_SAMPLE_ID_ALL : 0,
		},
	};
	size_t data = pd_file_begin(b, &ev, 1);

	/* round 1 */
	put_ts_sample(b, 10, 1, 0);  /* cpu 0 */
	put_ts_sample(b, 30, 100, 0);
	put_ts_sample(b, 50, 1, 0);
	put_ts_sample(b, 20, 1, 1);  /* cpu 1 */
	put_ts_sample(b, 30, 200, 1);
	put_ts_sample(b, 40, 1, 1);
	pd_finished_round(b);
	/* round 2 */
	put_zero_comm(b, id_all, "zero1");
	put_ts_sample(b, 60, 1, 0);
	put_ts_sample(b, 70, 1, 0);
	put_ts_sample(b, 45, 1, 1);
	put_ts_sample(b, 55, 1, 1);
	pd_finished_round(b);
	/* round 3 */
	put_zero_comm(b, id_all, "zero2");
	put_ts_sample(b, 80, 1, 0);
	put_ts_sample(b, 48, 1, 1); /* older than the last flush (50) */
	put_ts_sample(b, 65, 1, 1);
	pd_finished_round(b);
	pd_file_end(b, data, NULL, NULL);
}

/* got[] as a list of times (ip), 0 for a COMM */
static void check_order(const uint64_t *want, size_t n, const char *what)
{
	bool same = got_n == n;

	for (size_t i = 0; same && i < n; i++) {
		uint64_t t = got[i].rec.type == SD_REC_SAMPLE ?
				     got[i].rec.sample.ip : 0;
		same = t == want[i];
	}
	CHECK(same);
	if (!same) {
		fprintf(stderr, "%s order:", what);
		for (size_t i = 0; i < got_n; i++)
			fprintf(stderr, " %llu",
				(unsigned long long)(got[i].rec.type ==
							     SD_REC_SAMPLE ?
						     got[i].rec.sample.ip : 0));
		fprintf(stderr, "\n");
	}
}

TEST(time_order)
{
	static const uint64_t want[] = {
		0,                              /* zero1, read in round 2 */
		10, 20, 30, 30, 40, 45, 50,     /* round 2's mark: <= 50 */
		0,                              /* zero2, read in round 3 */
		48, 55, 60, 65, 70,             /* round 3's mark: <= 70 */
		80,                             /* the end */
	};
	for (int be = 0; be < 2; be++) {
		struct pd_buf b = {.be = be};
		make_rounds(&b, true);
		struct sd_reader *r = open_buf(&b, 0);
		CHECK(r != NULL);
		if (r) {
			CHECK_U64(read_all(r), 0);
			check_order(want, sizeof want / sizeof *want, "ordered");
			/* equal times keep file order: cpu 0's first */
			CHECK_U64(got[3].rec.id.pid, 100);
			CHECK_U64(got[4].rec.id.pid, 200);
			CHECK_STR(got[0].str, "zero1");
			CHECK_STR(got[8].str, "zero2");
			CHECK_U64(sd_reader_stats(r)->out_of_order, 1);
			CHECK_NO_DIAGS(r);
		}
		sd_reader_free(r);
		pd_buf_free(&b);
	}
}

/*
 * Records older than the last one delivered are counted out of order
 * however they are queued: the first of a CPU's part of a round starts
 * a stretch (next.c), the ones after it extend that stretch in
 * stretch.h's loop, which counts them only when the stretch's last time
 * is older than the last delivered (it does not go down in a stretch).
 */
TEST(out_of_order_in_stretch)
{
	static const uint64_t want[] = {10, 20, 30, 40, 50, 46, 47, 49, 60,
					65, 70};
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_CPU,
			.flags = SD_ATTR_SAMPLE_ID_ALL,
		},
	};
	struct pd_buf b = {0};
	size_t data = pd_file_begin(&b, &ev, 1);

	put_ts_sample(&b, 10, 1, 0); /* round 1, cpu 0 */
	put_ts_sample(&b, 30, 1, 0);
	put_ts_sample(&b, 50, 1, 0);
	put_ts_sample(&b, 20, 1, 1); /* cpu 1 */
	put_ts_sample(&b, 40, 1, 1);
	pd_finished_round(&b);
	pd_finished_round(&b);       /* all up to 50 delivered */
	put_ts_sample(&b, 46, 1, 1); /* three older than 50, one not */
	put_ts_sample(&b, 47, 1, 1);
	put_ts_sample(&b, 49, 1, 1);
	put_ts_sample(&b, 60, 1, 1);
	put_ts_sample(&b, 65, 1, 0); /* none older than 50 */
	put_ts_sample(&b, 70, 1, 0);
	pd_finished_round(&b);
	pd_file_end(&b, data, NULL, NULL);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		check_order(want, sizeof want / sizeof *want, "late");
		CHECK_U64(sd_reader_stats(r)->out_of_order, 3);
		CHECK_NO_DIAGS(r);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* Without sample_id_all on every event, or when asked: file order. */
TEST(file_order)
{
	static const uint64_t want[] = {
		10, 30, 50, 20, 30, 40, 0, 60, 70, 45, 55, 0, 80, 48, 65,
	};
	struct pd_buf b = {0};

	make_rounds(&b, false);
	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		check_order(want, sizeof want / sizeof *want, "no id_all");
		CHECK_U64(sd_reader_stats(r)->out_of_order, 0);
	}
	sd_reader_free(r);
	pd_buf_free(&b);

	b = (struct pd_buf){0};
	make_rounds(&b, true);
	r = open_buf(&b, SD_READER_UNORDERED);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		check_order(want, sizeof want / sizeof *want, "unordered");
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Pipe mode.                                                          */

static const uint8_t tracing_payload[24] = {
	/* looks like a SAMPLE record: must be skipped, not parsed */
	9, 0, 0, 0, 0, 0, 24, 0, 't', 'r', 'a', 'c', 'i', 'n', 'g', '.',
	'd', 'a', 't', 'a', 0, 0, 0, 0,
};

/*
 * A pipe stream as perf record -o - writes it: attrs, features, tracing
 * data (a 12-byte record whose payload follows it, not counted in its
 * size, so everything after sits 4 bytes off 8-alignment), event names,
 * then samples.  Returns the offset of the first sample.
 */
static size_t make_pipe(struct pd_buf *b)
{
	static const uint64_t ids0[] = {5, 6}, ids1[] = {7};
	struct pd_event ev0 = {
		.attr = {
			.bytes = 120,
			.type = SD_TYPE_HARDWARE,
			.period = 4000,
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_ID |
				       SD_SAMPLE_PERIOD | SD_SAMPLE_CALLCHAIN,
			.flags = SD_ATTR_FREQ | SD_ATTR_SAMPLE_ID_ALL,
		},
		.ids = ids0,
		.nr_ids = 2,
	};
	struct pd_event ev1 = ev0;
	ev1.attr.type = SD_TYPE_SOFTWARE;
	ev1.attr.config = 9; /* dummy */
	ev1.ids = ids1;
	ev1.nr_ids = 1;
	size_t at, first;

	pd_pipe_begin(b);
	pd_pipe_attr(b, &ev0);
	pd_pipe_attr(b, &ev1);
	pd_pipe_feature_string(b, SD_FEAT_HOSTNAME, "pipehost");
	pd_pipe_feature_string(b, SD_FEAT_OSRELEASE, "6.1.0-pipe");
	at = pd_rec_begin(b, SD_REC_HEADER_FEATURE, 0);
	pd_put64(b, SD_FEAT_CLOCK_DATA);     /* feat_id */
	pd_put32(b, 1);                      /* version */
	pd_put32(b, 1);                      /* clockid: CLOCK_MONOTONIC */
	pd_put64(b, 1764000000123456789ull); /* tod_ns */
	pd_put64(b, 640000000000ull);        /* clockid_ns */
	pd_rec_end(b, at);

	at = pd_rec_begin(b, SD_REC_HEADER_TRACING_DATA, 0);
	pd_put32(b, sizeof tracing_payload); /* size of what follows */
	pd_rec_end(b, at);                   /* header.size = 12 */
	pd_put_bytes(b, tracing_payload, sizeof tracing_payload);

	at = pd_rec_begin(b, SD_REC_EVENT_UPDATE, 0);
	pd_put64(b, 2);                /* type: PERF_EVENT_UPDATE__NAME */
	pd_put64(b, 6);                /* id */
	pd_put_str(b, "cycles:P", 16); /* name */
	pd_rec_end(b, at);
	at = pd_rec_begin(b, SD_REC_EVENT_UPDATE, 0);
	pd_put64(b, 1);                     /* type: PERF_EVENT_UPDATE__SCALE */
	pd_put64(b, 7);                     /* id */
	pd_put64(b, 0x3ff0000000000000ull); /* scale: 1.0 */
	pd_rec_end(b, at);

	first = at = pd_rec_begin(b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(b, 0x400000); /* IP */
	pd_put32(b, 9);        /* pid */
	pd_put32(b, 9);        /* tid */
	pd_put64(b, 100);      /* TIME */
	pd_put64(b, 5);        /* ID: event 0 */
	pd_put64(b, 1);        /* PERIOD */
	pd_put64(b, 0);        /* CALLCHAIN: nr (empty) */
	pd_rec_end(b, at);
	at = pd_rec_begin(b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put64(b, 0x400001); /* IP */
	pd_put32(b, 9);        /* pid */
	pd_put32(b, 9);        /* tid */
	pd_put64(b, 200);      /* TIME */
	pd_put64(b, 7);        /* ID: event 1 */
	pd_put64(b, 2);        /* PERIOD */
	pd_put64(b, 0);        /* CALLCHAIN: nr (empty) */
	pd_rec_end(b, at);
	at = pd_rec_begin(b, SD_REC_SAMPLE, SD_MISC_KERNEL);
	pd_put64(b, 0xffffffff81000000ull); /* IP */
	pd_put32(b, 9);                     /* pid */
	pd_put32(b, 9);                     /* tid */
	pd_put64(b, 300);                   /* TIME */
	pd_put64(b, 6);                     /* ID: event 0 */
	pd_put64(b, 3);                     /* PERIOD */
	pd_put64(b, 2);                     /* CALLCHAIN: nr */
	pd_put64(b, SD_CONTEXT_KERNEL);     /*   ips[0] */
	pd_put64(b, 0xffffffff81000000ull); /*  ips[1] */
	pd_rec_end(b, at);
	pd_finished_round(b);
	return first;
}

static void check_pipe_result(struct sd_reader *r, bool be, size_t first)
{
	const struct sd_file_info *in = sd_reader_info(r);

	CHECK(in->pipe);
	CHECK(in->order == (be ? SD_ORDER_BIG : SD_ORDER_LITTLE));
	CHECK_U64(in->header_size, 16);
	/* header records are taken in as they are read */
	CHECK_U64(read_all(r), 0);
	CHECK_STR(in->hostname, "pipehost");
	CHECK_STR(in->os_release, "6.1.0-pipe");
	CHECK(in->has_clock_data);
	CHECK_U64(in->clock_data_clockid, 1);
	CHECK_U64(in->clock_tod_ns, 1764000000123456789ull);
	CHECK_U64(in->clock_ns, 640000000000ull);
	CHECK_U64(in->tracing_data_size, sizeof tracing_payload);
	CHECK(in->tracing_data &&
	      !memcmp(in->tracing_data, tracing_payload,
		      sizeof tracing_payload));
	CHECK_U64(sd_reader_nr_evsels(r), 2);
	if (sd_reader_nr_evsels(r) != 2)
		return;
	CHECK_STR(sd_reader_evsel(r, 0)->name, "cycles:P"); /* EVENT_UPDATE */
	CHECK_STR(sd_reader_evsel(r, 1)->name, "dummy");    /* not a name */
	CHECK_U64(sd_reader_evsel(r, 0)->attr_size, 120);
	CHECK_U64(sd_reader_evsel(r, 0)->nr_ids, 2);
	CHECK_U64(got_n, 3);
	CHECK_U64(got[0].rec.offset, first);
	CHECK_U64(got[0].rec.offset % 8, 4); /* after the tracing data */
	CHECK_U64(got[0].rec.sample.ip, 0x400000);
	CHECK_U64(got[0].rec.sample.nr_ips, 0);
	CHECK_U64(got[0].ev, 0);
	CHECK_U64(got[1].ev, 1);
	CHECK_U64(got[1].rec.sample.period, 2);
	CHECK_U64(got[2].ev, 0);
	CHECK_U64(got[2].rec.sample.nr_ips, 2);
	CHECK_U64(got[2].ips[0], SD_CONTEXT_KERNEL);
	CHECK_U64(got[2].ips[1], 0xffffffff81000000ull);
	CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 2);
	CHECK_U64(sd_reader_evsel(r, 1)->nr_samples, 1);
	CHECK_U64(sd_reader_stats(r)->records[SD_REC_HEADER_TRACING_DATA], 1);
	CHECK_U64(sd_reader_stats(r)->records[SD_REC_HEADER_ATTR], 2);
	CHECK_NO_DIAGS(r);
}

/* The stream in memory (a saved pipe file). */
TEST(pipe_mode)
{
	for (int be = 0; be < 2; be++) {
		struct pd_buf b = {.be = be};
		size_t first = make_pipe(&b);
		struct sd_reader *r = open_buf(&b, 0);
		CHECK(r != NULL);
		if (r)
			check_pipe_result(r, be, first);
		sd_reader_free(r);
		pd_buf_free(&b);
	}
}

/* The same stream through a real pipe: nothing can be re-read. */
TEST(pipe_mode_fd)
{
	for (int be = 0; be < 2; be++) {
		struct pd_buf b = {.be = be};
		size_t first = make_pipe(&b);
		int fds[2];
		if (pipe(fds)) {
			pd_buf_free(&b);
			SKIP("no pipe");
		}
		/* small enough for the pipe buffer: write it all first */
		CHECK_U64(write(fds[1], b.p, b.len), b.len);
		close(fds[1]);
		struct sd_reader *r = NULL;
		CHECK(!sd_reader_open_fd(fds[0], "pipe", 0, NULL, &r));
		if (r) {
			CHECK_U64(sd_reader_info(r)->file_size, 0);
			check_pipe_result(r, be, first);
		}
		sd_reader_free(r);
		pd_buf_free(&b);
	}
}

/*
 * perf record -o - 2>&1 > file: text after the last record.  Everything
 * before it comes out, then one warning at the text's offset.
 */
TEST(pipe_trailing_text)
{
	struct pd_buf b = {0};
	size_t first = make_pipe(&b);
	size_t text = b.len;
	char line[101];

	memset(line, 0, sizeof line);
	snprintf(line, sizeof line, "%-99s\n",
		 "[ perf record: Woken up 1 times to write data ]");
	pd_put_bytes(&b, line, 100);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 3);
		CHECK_U64(got[0].rec.offset, first);
		CHECK_U64(got[2].rec.sample.ip, 0xffffffff81000000ull);
		const struct sd_diag *d =
			find_diag(sd_reader_diags(r), SD_E_BAD_RECORD);
		CHECK(d != NULL);
		if (d) {
			CHECK_U64(d->offset, text);
			CHECK(d->severity == SD_WARNING);
			CHECK(d->text && strstr(d->text, "100 bytes"));
		}
		CHECK_U64(sd_reader_diags(r)->n, 1);
		CHECK_U64(sd_reader_stats(r)->bytes_consumed, text);
	}
	sd_reader_free(r);

	/* through a real pipe the size of the rest is not known */
	int fds[2];
	if (pipe(fds) == 0) {
		CHECK_U64(write(fds[1], b.p, b.len), b.len);
		close(fds[1]);
		r = NULL;
		CHECK(!sd_reader_open_fd(fds[0], "pipe", 0, NULL, &r));
		if (r) {
			CHECK_U64(read_all(r), 0);
			CHECK_U64(got_n, 3);
			const struct sd_diag *d =
				find_diag(sd_reader_diags(r), SD_E_BAD_RECORD);
			CHECK(d && d->offset == text);
			CHECK(d && d->text && !strstr(d->text, "0 bytes"));
			CHECK(d && d->text && strstr(d->text, "not records"));
		}
		sd_reader_free(r);
	}
	pd_buf_free(&b);
}

/* A record of size 0 in a pipe stream stops reading there. */
TEST(pipe_zero_size_record)
{
	struct pd_buf b = {0};
	size_t first = make_pipe(&b);
	size_t bad = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put_fill(&b, 0, 40); /* size stays 0 */
	size_t at = pd_rec_begin(&b, SD_REC_SAMPLE, SD_MISC_USER);
	pd_put_fill(&b, 0, 40); /* never reached */
	pd_rec_end(&b, at);

	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 3);
		CHECK_U64(got[0].rec.offset, first);
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_BAD_RECORD, bad));
		CHECK_U64(sd_reader_stats(r)->bad_records, 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Damage.                                                             */

/*
 * A small file of three samples without sample_id_all (file order);
 * off[] gets each record's offset, ends[] each record's end.
 */
static size_t make_three(struct pd_buf *b, size_t off[3], size_t ends[3])
{
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_CALLCHAIN,
		},
	};
	size_t data = pd_file_begin(b, &ev, 1);

	for (int i = 0; i < 3; i++) {
		off[i] = pd_rec_begin(b, SD_REC_SAMPLE, SD_MISC_KERNEL);
		uint64_t ip = 0xffffffff81000000ull + (uint64_t)i;
		pd_put64(b, ip);                    /* IP */
		pd_put32(b, 1);                     /* pid */
		pd_put32(b, 1);                     /* tid */
		pd_put64(b, 3);                     /* CALLCHAIN: nr */
		pd_put64(b, SD_CONTEXT_KERNEL);     /*   ips[0] */
		pd_put64(b, ip);                    /*   ips[1] */
		pd_put64(b, 0xffffffff81100000ull); /*   ips[2] */
		pd_rec_end(b, off[i]);
		ends[i] = b->len;
	}
	pd_file_end(b, data, NULL, NULL);
	return data;
}

/* The data size in the header is 0 (perf record killed): read to EOF. */
TEST(data_size_zero)
{
	struct pd_buf b = {0};
	size_t off[3], ends[3];

	make_three(&b, off, ends);
	pd_patch_uint(&b, 48, 0, 8); /* data.size */
	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		const struct sd_diag *d =
			find_diag(sd_reader_diags(r), SD_E_TRUNCATED);
		CHECK(d && d->offset == 48 && d->severity == SD_WARNING);
		CHECK(sd_reader_stats(r)->truncated);
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 3);
		CHECK_U64(got[2].rec.offset, off[2]);
		CHECK_U64(got[2].ips[1], 0xffffffff81000002ull);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

static int open_fails(const struct pd_buf *b, size_t len, int *code,
		      uint64_t *offset)
{
	struct sd_reader *r = NULL;
	struct sd_diags why;
	int err;

	sd_diags_init(&why);
	err = sd_reader_open_mem(b->p, len, "cut", 0, &why, &r);
	*code = why.n ? why.v[0].code : 0;
	*offset = why.n ? why.v[0].offset : UINT64_MAX;
	sd_diags_clear(&why);
	sd_reader_free(r);
	return err;
}

/* Cut inside the header or the attrs: open fails, saying where. */
TEST(cut_in_header_and_attrs)
{
	struct pd_buf b = {0};
	size_t off[3], ends[3];
	size_t data = make_three(&b, off, ends);
	size_t attrs = data - 80; /* one 64-byte attr + ids section */
	int code;
	uint64_t at;

	CHECK_U64(open_fails(&b, 12, &code, &at), -SD_E_TRUNCATED);
	CHECK_U64(code, SD_E_TRUNCATED);
	CHECK_U64(at, 0);
	CHECK_U64(open_fails(&b, 60, &code, &at), -SD_E_TRUNCATED);
	CHECK_U64(code, SD_E_TRUNCATED);
	CHECK_U64(at, 16); /* the part after magic and size */
	CHECK_U64(open_fails(&b, attrs + 30, &code, &at), -SD_E_TRUNCATED);
	CHECK_U64(code, SD_E_TRUNCATED);
	CHECK_U64(at, attrs);

	/* not perf.data at all */
	struct pd_buf junk = {0};
	pd_put_str(&junk, "#!/bin/sh\necho not a perf.data file\n", 64);
	CHECK_U64(open_fails(&junk, junk.len, &code, &at), -SD_E_BAD_MAGIC);
	CHECK_U64(code, SD_E_BAD_MAGIC);
	CHECK_U64(at, 0);
	pd_buf_free(&junk);
	pd_buf_free(&b);
}

/* Cut inside the third record's header, and inside the third record. */
TEST(cut_in_records)
{
	struct pd_buf b = {0};
	size_t off[3], ends[3];

	make_three(&b, off, ends);
	static const size_t into[] = {5, 30};
	for (size_t k = 0; k < 2; k++) {
		size_t len = off[2] + into[k];
		struct sd_reader *r = NULL;
		CHECK(!sd_reader_open_mem(b.p, len, "cut", 0, NULL, &r));
		if (!r)
			continue;
		/* the header promised more data than the file holds */
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_TRUNCATED, len));
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 2);
		CHECK_U64(got[1].rec.offset, off[1]);
		CHECK_U64(got[1].ips[1], 0xffffffff81000001ull);
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_TRUNCATED, off[2]));
		const struct sd_diag *d = &sd_reader_diags(r)->v[1];
		CHECK(d->text && strstr(d->text, k == 0 ? "a record header"
						       : "a record"));
		CHECK(sd_reader_stats(r)->truncated);
		CHECK_U64(sd_reader_stats(r)->truncated_at, off[2]);
		sd_reader_free(r);
	}
	pd_buf_free(&b);
}

/* A call chain claiming more frames than its record holds. */
TEST(callchain_past_record)
{
	struct pd_buf b = {0};
	size_t off[3], ends[3];

	make_three(&b, off, ends);
	pd_patch_uint(&b, off[1] + 8 + 16, 1000, 8); /* CALLCHAIN: nr */
	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 2);
		CHECK_U64(got[0].rec.offset, off[0]);
		CHECK_U64(got[1].rec.offset, off[2]);
		CHECK_U64(got[1].rec.sample.nr_ips, 3);
		CHECK_U64(sd_reader_stats(r)->bad_records, 1);
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_BAD_RECORD, off[1]));
		CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 2);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/* A record of size 4 (< its own header): nothing after it is read. */
TEST(record_size_below_header)
{
	struct pd_buf b = {0};
	size_t off[3], ends[3];

	make_three(&b, off, ends);
	pd_patch_uint(&b, off[1] + 6, 4, 2); /* size */
	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK_U64(got_n, 1);
		CHECK_U64(got[0].rec.offset, off[0]);
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_BAD_RECORD, off[1]));
		CHECK_U64(sd_reader_stats(r)->bad_records, 1);
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}

/*
 * Every prefix of a file and of a pipe stream: no crash, no error
 * return, and exactly the records that end inside the prefix come out.
 */
static void check_every_cut(const struct pd_buf *b, size_t data,
			    const size_t *ends, size_t n, bool pipe_mode)
{
	size_t bad = 0;

	for (size_t len = 0; len <= b->len; len++) {
		struct sd_reader *r = NULL;
		int err = sd_reader_open_mem(b->p, len, "cut", 0, NULL, &r);
		if (len < data) {
			/* the header or attrs are cut: open fails, or in pipe
			 * mode the stream ends before any record */
			if (!err) {
				int rc = read_all(r);
				bad += rc < 0 || got_n != 0;
				bad += !pipe_mode;
			}
			sd_reader_free(r);
			continue;
		}
		if (err) {
			bad++;
			continue;
		}
		size_t want = 0;
		while (want < n && ends[want] <= len)
			want++;
		int rc = read_all(r);
		if (rc < 0 || got_n != want) {
			fprintf(stderr, "cut at %zu: rc %d, %zu records, want %zu\n",
				len, rc, got_n, want);
			bad++;
		}
		sd_reader_free(r);
	}
	CHECK_U64(bad, 0);
}

TEST(every_cut)
{
	struct pd_buf b = {0};
	size_t off[3], ends[3];
	size_t data = make_three(&b, off, ends);

	check_every_cut(&b, data, ends, 3, false);
	pd_buf_free(&b);

	/* pipe mode: the records that matter are the three samples */
	for (int be = 0; be < 2; be++) {
		b = (struct pd_buf){.be = be};
		size_t first = make_pipe(&b);
		size_t pends[3];
		size_t at = first;
		for (int i = 0; i < 3; i++) {
			uint16_t size = (uint16_t)(be ? b.p[at + 6] << 8 | b.p[at + 7]
						      : b.p[at + 7] << 8 | b.p[at + 6]);
			at += size;
			pends[i] = at;
		}
		check_every_cut(&b, first, pends, 3, true);
		pd_buf_free(&b);
	}
}

/* ------------------------------------------------------------------ */
/* zstd: perf record -z.                                               */

#if HAVE_ZSTD
/*
 * The records to compress, in the file's byte order: a COMM and three
 * samples.  *split is set to the middle of the second sample.
 */
static void make_inner(struct pd_buf *in, size_t *split)
{
	size_t at = pd_rec_begin(in, SD_REC_COMM, 0);
	pd_put32(in, 5);            /* pid */
	pd_put32(in, 5);            /* tid */
	pd_put_str(in, "zproc", 8); /* comm */
	pd_rec_end(in, at);
	for (int i = 0; i < 3; i++) {
		at = pd_rec_begin(in, SD_REC_SAMPLE, SD_MISC_USER);
		pd_put64(in, 0x500000 + (uint64_t)i); /* IP */
		pd_put32(in, 5);                      /* pid */
		pd_put32(in, 5);                      /* tid */
		pd_put64(in, 2);                      /* CALLCHAIN: nr */
		pd_put64(in, SD_CONTEXT_USER);        /*   ips[0] */
		pd_put64(in, 0x500000 + (uint64_t)i); /*   ips[1] */
		pd_rec_end(in, at);
		if (i == 1)
			*split = at + 20;
	}
}

/* One zstd stream, flushed (never ended) after each piece, as perf does. */
static size_t compress_piece(ZSTD_CStream *cs, const uint8_t *p, size_t n,
			     uint8_t *out, size_t cap)
{
	ZSTD_inBuffer in = {p, n, 0};
	ZSTD_outBuffer o = {out, cap, 0};

	while (in.pos < in.size)
		if (ZSTD_isError(ZSTD_compressStream(cs, &o, &in)))
			return 0;
	while (ZSTD_flushStream(cs, &o) > 0)
		;
	return o.pos;
}

/*
 * COMPRESSED (81): header; data.  COMPRESSED2 (83): header; u64
 * data_size; data; padding to 8 bytes.  Returns the two records' offsets.
 */
static void make_compressed(struct pd_buf *b, bool v2, size_t zoff[2],
			    size_t *after)
{
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_CALLCHAIN,
		},
	};
	struct pd_buf in = {.be = b->be};
	size_t split = 0;
	uint8_t piece[2][1024];
	size_t n[2];

	make_inner(&in, &split);
	ZSTD_CStream *cs = ZSTD_createCStream();
	ZSTD_initCStream(cs, 1);
	n[0] = compress_piece(cs, in.p, split, piece[0], sizeof piece[0]);
	n[1] = compress_piece(cs, in.p + split, in.len - split, piece[1],
			      sizeof piece[1]);
	ZSTD_freeCStream(cs);
	pd_buf_free(&in);

	size_t data = pd_file_begin(b, &ev, 1);
	size_t at = pd_rec_begin(b, SD_REC_COMM, 0);
	pd_put32(b, 4);            /* pid */
	pd_put32(b, 4);            /* tid */
	pd_put_str(b, "plain", 8); /* comm */
	pd_rec_end(b, at);
	for (int k = 0; k < 2; k++) {
		zoff[k] = pd_rec_begin(b, v2 ? SD_REC_COMPRESSED2
					  : SD_REC_COMPRESSED, 0);
		if (v2)
			pd_put64(b, n[k]);       /* data_size */
		pd_put_bytes(b, piece[k], n[k]); /* zstd data */
		if (v2)
			pd_put_fill(b, 0xaa, (8 - n[k] % 8) % 8); /* padding */
		pd_rec_end(b, zoff[k]);
	}
	*after = pd_rec_begin(b, SD_REC_EXIT, 0);
	pd_put32(b, 5); /* pid */
	pd_put32(b, 4); /* ppid */
	pd_put32(b, 5); /* tid */
	pd_put32(b, 4); /* ptid */
	pd_put64(b, 0); /* time */
	pd_rec_end(b, *after);
	pd_file_end(b, data, NULL, NULL);
}

static void check_compressed(bool be, bool v2)
{
	struct pd_buf b = {.be = be};
	size_t zoff[2], after;

	make_compressed(&b, v2, zoff, &after);
	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_U64(read_all(r), 0);
	CHECK_U64(got_n, 6);
	/* plain COMM; from piece 1: COMM, sample 0; from piece 2: the sample
	 * that spans both pieces, sample 2; plain EXIT */
	static const uint32_t type[] = {SD_REC_COMM, SD_REC_COMM, SD_REC_SAMPLE,
					SD_REC_SAMPLE, SD_REC_SAMPLE,
					SD_REC_EXIT};
	const uint64_t offset[] = {0, zoff[0], zoff[0], zoff[1], zoff[1], after};
	for (size_t i = 0; i < 6; i++) {
		CHECK_U64(got[i].rec.type, type[i]);
		if (i)
			CHECK_U64(got[i].rec.offset, offset[i]);
		CHECK(got[i].rec.compressed == (i >= 1 && i <= 4));
	}
	CHECK_STR(got[0].str, "plain");
	CHECK_STR(got[1].str, "zproc");
	for (int i = 0; i < 3; i++) {
		CHECK_U64(got[2 + i].rec.sample.ip, 0x500000 + (uint64_t)i);
		CHECK_U64(got[2 + i].rec.sample.nr_ips, 2);
		CHECK_U64(got[2 + i].ips[1], 0x500000 + (uint64_t)i);
	}
	const struct sd_reader_stats *st = sd_reader_stats(r);
	CHECK_U64(st->records[v2 ? SD_REC_COMPRESSED2 : SD_REC_COMPRESSED], 2);
	CHECK_U64(st->records[SD_REC_SAMPLE], 3);
	CHECK_U64(st->decompressed_bytes, 24 + 3 * 48);
	CHECK_U64(sd_reader_evsel(r, 0)->nr_samples, 3);
	CHECK_NO_DIAGS(r);
	sd_reader_free(r);
out:
	pd_buf_free(&b);
}

TEST(zstd_compressed)
{
	check_compressed(false, false);
	check_compressed(true, false);
}

TEST(zstd_compressed2)
{
	check_compressed(false, true);
	check_compressed(true, true);
}

/* Corrupt zstd data: an error at the compressed record, no crash. */
TEST(zstd_damaged)
{
	struct pd_buf b = {0};
	size_t zoff[2], after;

	make_compressed(&b, false, zoff, &after);
	/* the zstd magic of the first piece */
	memset(b.p + zoff[0] + 8, 0x55, 4);
	struct sd_reader *r = open_buf(&b, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(read_all(r), 0);
		CHECK(got_n >= 1);
		CHECK_U64(got[0].rec.type, SD_REC_COMM);
		CHECK(has_diag_at(sd_reader_diags(r), SD_E_ZSTD, zoff[0]));
	}
	sd_reader_free(r);
	pd_buf_free(&b);
}
#else
TEST(zstd_compressed)
{
	SKIP("built without zstd");
}
TEST(zstd_compressed2)
{
	SKIP("built without zstd");
}
TEST(zstd_damaged)
{
	SKIP("built without zstd");
}
#endif

/* ------------------------------------------------------------------ */
/* A file larger than the reader's 1 MiB window, read by path.         */

/*
 * n samples of IP|TID|TIME|CALLCHAIN, sample i at time 1000 + i with a
 * chain of 1 + i % kinds addresses from 0x400000 + i, and a
 * FINISHED_ROUND after every 1000.
 */
static void put_chain_samples(struct pd_buf *b, unsigned n, unsigned kinds)
{
	for (unsigned i = 0; i < n; i++) {
		size_t at = pd_rec_begin(b, SD_REC_SAMPLE, SD_MISC_USER);
		pd_put64(b, 0x400000 + i); /* IP */
		pd_put32(b, 1);            /* pid */
		pd_put32(b, 1);            /* tid */
		pd_put64(b, 1000 + i);     /* TIME */
		pd_put64(b, 1 + i % kinds); /* CALLCHAIN: nr */
		for (unsigned k = 0; k <= i % kinds; k++)
			pd_put64(b, 0x400000 + i + k); /* ips[k] */
		pd_rec_end(b, at);
		if (i % 1000 == 999)
			pd_finished_round(b);
	}
}

TEST(large_file_by_path)
{
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_CALLCHAIN,
			.flags = SD_ATTR_SAMPLE_ID_ALL,
		},
	};
	struct pd_buf b = {0};
	size_t data = pd_file_begin(&b, &ev, 1);
	const unsigned n = 30000;

	put_chain_samples(&b, n, 3);
	pd_file_end(&b, data, "bighost", NULL);

	char path[] = "/tmp/swapdiag-test-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		pd_buf_free(&b);
		SKIP("no temporary file");
	}
	CHECK_U64(write(fd, b.p, b.len), b.len);
	close(fd);
	CHECK(b.len > (1u << 20));

	struct sd_reader *r = NULL;
	CHECK(!sd_reader_open(path, 0, NULL, &r));
	if (r) {
		const struct sd_record *rec;
		uint64_t count = 0, last_time = 0, bad = 0;
		int rc;
		while ((rc = sd_reader_next(r, &rec)) > 0) {
			bad += rec->type != SD_REC_SAMPLE ||
			       rec->sample.ip != 0x400000 + count ||
			       rec->id.time != 1000 + count ||
			       rec->sample.nr_ips != 1 + count % 3 ||
			       rec->sample.ips[rec->sample.nr_ips - 1] !=
				       0x400000 + count + count % 3;
			last_time = rec->id.time;
			count++;
		}
		CHECK_U64(rc, 0);
		CHECK_U64(count, n);
		CHECK_U64(bad, 0);
		CHECK_U64(last_time, 1000 + n - 1);
		CHECK_STR(sd_reader_info(r)->hostname, "bighost");
		CHECK_U64(sd_reader_info(r)->file_size, b.len);
		CHECK_NO_DIAGS(r);
	}
	sd_reader_free(r);
	unlink(path);
	pd_buf_free(&b);
}

/*
 * The reader grows a pipe it reads to 1 MiB where the system lets this
 * process have one that size (a pipe made here tells), and never shrinks
 * one that is already that large.
 */
TEST(pipe_grown)
{
	int probe[2];
	if (pipe(probe))
		SKIP("no pipe");
	bool may = fcntl(probe[0], F_SETPIPE_SZ, 1 << 20) == 1 << 20;
	close(probe[0]);
	close(probe[1]);

	for (int large = 0; large < 1 + may; large++) {
		struct pd_buf b = {0};
		size_t first = make_pipe(&b);
		int fds[2];
		if (pipe(fds)) {
			pd_buf_free(&b);
			SKIP("no pipe");
		}
		if (large)
			CHECK(fcntl(fds[0], F_SETPIPE_SZ, 1 << 20) == 1 << 20);
		int before = fcntl(fds[0], F_GETPIPE_SZ);
		CHECK_U64(write(fds[1], b.p, b.len), b.len);
		close(fds[1]);
		struct sd_reader *r = NULL;
		CHECK(!sd_reader_open_fd(fds[0], "pipe", 0, NULL, &r));
		int after = fcntl(fds[0], F_GETPIPE_SZ);
		if (may)
			CHECK_U64(after, 1 << 20);
		else
			CHECK(after >= before);
		if (r)
			check_pipe_result(r, false, first);
		sd_reader_free(r); /* closes fds[0] */
		pd_buf_free(&b);
	}
}

/*
 * A stream of 3.8 MB through a real pipe, written in pieces of a size
 * that cuts records anywhere (4093 bytes) by another process: reads come
 * back short and records span them, and every sample comes out in order.
 */
TEST(pipe_stream_in_pieces)
{
	struct pd_event ev = {
		.attr = {
			.sample_type = SD_SAMPLE_IP | SD_SAMPLE_TID |
				       SD_SAMPLE_TIME | SD_SAMPLE_CALLCHAIN,
			.flags = SD_ATTR_SAMPLE_ID_ALL,
		},
	};
	struct pd_buf b = {0};
	const unsigned n = 60000;

	pd_pipe_begin(&b);
	pd_pipe_attr(&b, &ev);
	put_chain_samples(&b, n, 5);
	CHECK(b.len > (3u << 20));

	int fds[2];
	if (pipe(fds)) {
		pd_buf_free(&b);
		SKIP("no pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (size_t off = 0; off < b.len; off += 4093) {
			size_t k = b.len - off < 4093 ? b.len - off : 4093;
			if (write(fds[1], b.p + off, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		pd_buf_free(&b);
		SKIP("no fork");
	}

	struct sd_reader *r = NULL;
	CHECK(!sd_reader_open_fd(fds[0], "pipe", 0, NULL, &r));
	if (r) {
		const struct sd_record *rec;
		uint64_t count = 0, bad = 0;
		int rc;
		while ((rc = sd_reader_next(r, &rec)) > 0) {
			bad += rec->type != SD_REC_SAMPLE ||
			       rec->sample.ip != 0x400000 + count ||
			       rec->id.time != 1000 + count ||
			       rec->sample.nr_ips != 1 + count % 5 ||
			       rec->sample.ips[rec->sample.nr_ips - 1] !=
				       0x400000 + count + count % 5;
			count++;
		}
		CHECK_U64(rc, 0);
		CHECK_U64(count, n);
		CHECK_U64(bad, 0);
		CHECK_NO_DIAGS(r);
	}
	sd_reader_free(r);
	int status = -1;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	pd_buf_free(&b);
}

int main(void)
{
	RUN(be_literal);
	RUN(file_header);
	RUN(attr_sizes);
	RUN(attr_size_zero);
	RUN(attr_bitfield);
	RUN(every_sample_field);
	RUN(group_read_and_branches);
	RUN(sample_too_short);
	RUN(events_by_identifier);
	RUN(events_by_id);
	RUN(sample_id_all_trailers);
	RUN(short_trailer);
	RUN(partial_trailers);
	RUN(records);
	RUN(record_strings);
	RUN(time_order);
	RUN(out_of_order_in_stretch);
	RUN(file_order);
	RUN(pipe_mode);
	RUN(pipe_mode_fd);
	RUN(pipe_grown);
	RUN(pipe_stream_in_pieces);
	RUN(pipe_trailing_text);
	RUN(pipe_zero_size_record);
	RUN(data_size_zero);
	RUN(cut_in_header_and_attrs);
	RUN(cut_in_records);
	RUN(callchain_past_record);
	RUN(record_size_below_header);
	RUN(every_cut);
	RUN(zstd_compressed);
	RUN(zstd_compressed2);
	RUN(zstd_damaged);
	RUN(large_file_by_path);
	return test_exit();
}
