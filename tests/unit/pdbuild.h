/* SPDX-License-Identifier: MIT */
/*
 * perf.data built in memory for the unit tests, field by field, in either
 * byte order: the file header and attrs (file mode) or the pipe header and
 * HEADER_ATTR records (pipe mode), feature sections, and the records the
 * tests need (SAMPLE with a call chain, COMM, MMAP/MMAP2, FORK/EXIT,
 * FINISHED_ROUND, sample_id_all trailers).  Tests that check one layout
 * write its fields themselves with the pd_put*() primitives, one commented
 * field per line; the record helpers write the same layouts whole.
 *
 * Allocation failures abort(): these are test inputs.
 */
#ifndef SD_TESTS_PDBUILD_H
#define SD_TESTS_PDBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/perf_abi.h>

#define PD_MAGIC 0x32454c4946524550ull /* "PERFILE2" read as a u64 */

/* A growable buffer that writes integers in the file's byte order. */
struct pd_buf {
	uint8_t *p;
	size_t len, cap;
	bool be; /* big-endian file */
};

void pd_put_bytes(struct pd_buf *b, const void *src, size_t n);
void pd_put8(struct pd_buf *b, uint8_t v);
/* v as an n-byte integer (n <= 8) */
void pd_put_uint(struct pd_buf *b, uint64_t v, unsigned n);
void pd_put16(struct pd_buf *b, uint16_t v);
void pd_put32(struct pd_buf *b, uint32_t v);
void pd_put64(struct pd_buf *b, uint64_t v);
void pd_put_fill(struct pd_buf *b, uint8_t byte, size_t n);
/* s, NUL-padded to n bytes (cut at n) */
void pd_put_str(struct pd_buf *b, const char *s, size_t n);
/* perf's header string: u32 len; char str[len], NUL-padded to 64 */
void pd_put_perf_string(struct pd_buf *b, const char *s);
/* Overwrites n bytes at at with v in the file's byte order. */
void pd_patch_uint(struct pd_buf *b, size_t at, uint64_t v, unsigned n);
void pd_buf_free(struct pd_buf *b);

/* struct perf_event_header; size is filled in by pd_rec_end(). */
size_t pd_rec_begin(struct pd_buf *b, uint32_t type, uint16_t misc);
void pd_rec_end(struct pd_buf *b, size_t at);

/* ---- attrs and the file ------------------------------------------------ */

struct pd_attr {
	uint32_t bytes;  /* laid out (64 if 0); attr.size says the same ... */
	bool size_zero;  /* ... unless this is set: attr.size = 0 */
	uint32_t type;
	uint64_t config;
	uint64_t period;
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t flags; /* SD_ATTR_* bits of the bitfield word */
	uint64_t branch_sample_type;
	uint64_t regs_user;
	uint32_t stack_user;
	int32_t clockid;
	uint64_t regs_intr;
};

struct pd_event {
	struct pd_attr attr;
	const uint64_t *ids;
	size_t nr_ids;
};

/* The attr bitfield word in the file's byte order (see pdbuild.c). */
void pd_put_flags(struct pd_buf *b, uint64_t flags);
/* struct perf_event_attr of a->bytes bytes; a newer perf's tail is 0xee. */
void pd_put_attr(struct pd_buf *b, const struct pd_attr *a);

/*
 * File mode: header, ids and attrs of n events (every entry has the size
 * of the first event's attr); returns the data offset.  The caller
 * appends records, then calls pd_file_end() or pd_file_end_features().
 */
size_t pd_file_begin(struct pd_buf *b, const struct pd_event *ev, size_t n);
/* Sets data.size and appends HOSTNAME and OSRELEASE when given. */
void pd_file_end(struct pd_buf *b, size_t data_at, const char *host,
		 const char *release);
/* A feature section as laid out on disk (any bytes). */
struct pd_feature {
	unsigned bit; /* SD_FEAT_* */
	const void *p;
	size_t len;
};
/* Sets data.size and appends the n sections (any order; the table and
 * the sections go in bit order). */
void pd_file_end_features(struct pd_buf *b, size_t data_at,
			  const struct pd_feature *f, size_t n);

/* Pipe mode: struct { u64 magic; u64 size = 16; }. */
void pd_pipe_begin(struct pd_buf *b);
/* HEADER_ATTR: perf_event_attr; u64 ids[]. */
void pd_pipe_attr(struct pd_buf *b, const struct pd_event *ev);
/* HEADER_FEATURE: u64 feat_id; a perf string. */
void pd_pipe_feature_string(struct pd_buf *b, unsigned feat, const char *s);

/* ---- records ------------------------------------------------------------ */

/* The ids a sample carries, and a sample_id_all trailer. */
struct pd_ids {
	uint32_t pid, tid;
	uint64_t time;
	uint64_t id;
	uint32_t cpu;
};

/*
 * The sample_id_all trailer of an event with this sample_type (TID, TIME,
 * ID, STREAM_ID (0), CPU, IDENTIFIER, in perf's order); nothing for 0.
 */
void pd_put_trailer(struct pd_buf *b, uint64_t sample_type,
		    const struct pd_ids *id);

struct pd_sample {
	uint16_t misc; /* SD_MISC_KERNEL, SD_MISC_USER */
	uint64_t ip;
	struct pd_ids id;
	uint64_t period;
	/* the call chain as perf stores it, context markers included */
	const uint64_t *ips;
	size_t nr_ips;
};

/*
 * A SAMPLE of an event with this sample_type: IDENTIFIER, IP, TID, TIME,
 * ID, STREAM_ID (0), CPU, PERIOD and CALLCHAIN are written, in perf's
 * order; other bits abort().
 */
void pd_sample(struct pd_buf *b, uint64_t sample_type,
	       const struct pd_sample *s);

/* The records' sample_id_all trailers use trailer_type (0: none). */
void pd_comm(struct pd_buf *b, uint64_t trailer_type, const struct pd_ids *id,
	     const char *comm, bool exec);
/* MMAP2 without a build-id; misc SD_MISC_KERNEL for the kernel map. */
void pd_mmap2(struct pd_buf *b, uint64_t trailer_type, uint16_t misc,
	      const struct pd_ids *id, uint64_t start, uint64_t len,
	      uint64_t pgoff, const char *filename);
/* FORK (or EXIT with type SD_REC_EXIT) of pid/tid from ppid/ptid. */
void pd_task(struct pd_buf *b, uint32_t type, uint64_t trailer_type,
	     uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid,
	     uint64_t time);
void pd_finished_round(struct pd_buf *b);

#endif
