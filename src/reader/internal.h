/* SPDX-License-Identifier: MIT */
/* The reader's private state, shared by the files of src/reader/. */
#ifndef SD_READER_INTERNAL_H
#define SD_READER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/reader.h>

#include "util/cursor.h"

/* Caps: every count read from a file is checked against one of these. */
#define SD_MAX_EVSELS 4096
#define SD_MAX_IDS (1u << 20)       /* ids over all events */
#define SD_MAX_ATTR_SIZE 4096       /* larger attrs are damage */
#define SD_MAX_STRING 4096          /* feature strings */
#define SD_MAX_FEATURE (64u << 20)  /* one feature section */
#define SD_MAX_TRACING (64u << 20)  /* tracing data */
#define SD_MAX_BUILD_IDS 65536
#define SD_MAX_CALLCHAIN 4096       /* frames kept from one call chain */
#define SD_MAX_QUEUE_BYTES (256u << 20) /* time-ordering queue */
#define SD_MAX_DECOMP_RECORD (1u << 20) /* pending partial record */

/*
 * A block: a buffer records are read (source.c) or decompressed (zstd.c)
 * into.  Records waiting in the time-ordering queue are not copied: each
 * holds a reference to the block it lies in, and a block whose writer has
 * moved on (busy false) goes back to its pool when the last of them has
 * been delivered.  A block with references is never moved or reused, so
 * its writer starts a new one rather than compact it.
 */
struct sd_bpool;
struct sd_block {
	struct sd_bpool *pool;
	struct sd_block *next; /* in the pool's free list */
	size_t cap;            /* bytes at data */
	uint32_t refs;         /* queued records that lie in it */
	bool busy;             /* its writer may still append to it */
	uint8_t *data;         /* follows the header, 8-aligned */
};

/* Blocks of std_cap bytes are kept for reuse (their pages are resident),
 * at most max_free of them; other sizes are freed when done. */
struct sd_bpool {
	struct sd_block *free;
	size_t nfree, max_free;
	size_t std_cap;
	size_t nblocks; /* allocated now, free ones included */
};

/* block.c */
/* A busy block of at least cap bytes (std_cap if cap is smaller), or NULL. */
struct sd_block *sd_block_get(struct sd_bpool *p, size_t cap);
/* Its writer is done with it: recycled now, or when its last reference goes. */
void sd_block_done(struct sd_block *b);
static inline void sd_block_ref(struct sd_block *b)
{
	if (b)
		b->refs++;
}
void sd_block_unref(struct sd_block *b);
/* Frees the free list; blocks still busy or referenced are the caller's. */
void sd_bpool_fini(struct sd_bpool *p);

/*
 * The byte source: the data section of a file (read in windows with
 * pread), a pipe (read), or a caller's buffer (no copy).  buf[pos, end) are
 * bytes not consumed yet; base_off is the input offset of buf[0].  buf is
 * blk's data (NULL blk: the caller's buffer).
 */
struct sd_source {
	int fd;
	bool own_fd;
	bool is_mem;
	bool seekable;
	bool eof;        /* nothing more can be read */
	uint8_t *buf;
	size_t cap;
	size_t pos, end;
	struct sd_block *blk;
	struct sd_bpool pool;
	uint64_t base_off;  /* input offset of buf[0] */
	uint64_t limit;     /* input offset where the data ends (UINT64_MAX: EOF) */
	uint64_t read_off;  /* next input offset to read from (file mode) */
	uint64_t total;     /* input size if known */
};

/* One raw record as the walk found it. */
struct sd_raw {
	const uint8_t *p;
	size_t len;
	uint64_t off;        /* of the record, or of the compressed one */
	struct sd_block *blk; /* the block p lies in (NULL: caller's buffer) */
	bool compressed;
};

/*
 * A stretch of records waiting for their time: records that were read
 * back to back into one block (or one compressed record's output), whose
 * times do not go down, and whose samples (and other records) are all of
 * one event.  They stay where they were read; nothing is copied.  data is
 * the first record not delivered yet (end: none, the stretch is done),
 * time its time, offset its input offset (or, compressed, that of the
 * compressed record); a stretch holds one reference to its block.  A
 * CPU's ring buffer gives one stretch per round, so the queue does its
 * work per stretch, not per record.
 */
struct sd_qent {
	uint64_t time;
	uint64_t tlast;        /* the time of its last record */
	const uint8_t *data, *end;
	struct sd_block *blk;
	struct sd_evsel *ev_s; /* the samples' event (NULL: none yet) */
	struct sd_evsel *ev_o; /* the other records' event */
	uint64_t offset;
	uint64_t next;         /* the next stretch of its run, or SD_QNONE */
	uint64_t newpos;       /* where a rewrite of the ring moves it */
	bool compressed;
};

#define SD_QNONE UINT64_MAX

/*
 * A run: stretches in time order, linked from cur (its head; SD_QNONE:
 * the run is empty) to last.  In a flush, a run in the heap reads its
 * head stretch through a cursor (loaded): p the next record, pend where
 * the stretch ends, time and off p's, the stretch's events and where
 * their times lie, and v_end: where its samples' fixed fields end when
 * they are views (sd_reader_next_samples(): of the view layout, and the
 * stretch's times within the queue's window), else SD_NO_VIEW; the
 * stretch itself is brought up to date when the flush ends.
 */
struct sd_qrun {
	uint64_t cur, last;
	const uint8_t *p, *pend;
	uint64_t time, off;
	struct sd_evsel *ev_s, *ev_o;
	uint16_t s_time, t_time;
	bool comp;
	bool loaded;
	uint16_t v_end;
};

/* above any record's size: sd_plain_chain() finds no chain after it */
#define SD_NO_VIEW UINT16_MAX

/* A run in a flush's heap, by the time of its head, then by the position
 * of its head stretch (push order: equal times go in push order). */
struct sd_qhead {
	uint64_t time;
	uint64_t pos;
	size_t run;
};

/* A record as the queue hands it out. */
struct sd_qrec {
	const uint8_t *p;
	uint64_t time, offset;
	struct sd_evsel *ev;
	uint32_t len;
	bool compressed;
};

/*
 * The time-ordering queue (ordered.c).  Stretches stay where they were
 * pushed, in push order, in a ring: position p is v[p & (cap - 1)],
 * positions only grow.  A stretch goes at the end of a run whose last
 * record is no newer than its first (one run per CPU buffer, as perf
 * record writes them), else starts one.  A flush merges the heads of the
 * runs that have anything to deliver with a heap, so nothing is sorted
 * or moved; the run at the top goes on without touching the heap while
 * its records come before every other head (stop).  Only a full ring is
 * rewritten: its live stretches, in order, to the front of one of the
 * same size, or of twice the size when they fill more than half of it.
 */
struct sd_queue {
	struct sd_qent *v;
	size_t cap;              /* a power of two, or 0 */
	uint64_t head, tail;     /* live stretches lie in [head, tail) */
	struct sd_qrun *runs;
	size_t nruns, runs_cap;
	struct sd_qhead *heap;   /* runs with a head <= limit, in a flush */
	size_t nheap, heap_cap;
	bool flushing;           /* delivering records with time <= limit */
	bool swap;               /* the records' byte order is not the host's */
	uint64_t limit;
	/* the top run's records go out while their time <= stop */
	uint64_t stop;
	uint64_t next_flush;     /* deliver up to this time at the next round */
	uint64_t max_time;
	uint64_t last_flush;     /* time of the record delivered last */
	/* SAMPLE_TIME's first and last sample time when it has both (else
	 * 0 and UINT64_MAX): a sample outside has a damaged time */
	uint64_t time_lo, time_hi;
	/* of the records queued; in a flush, those of the stretches as
	 * they were when it started, less those of stretches delivered
	 * whole: a run's cursor gives back its part when its stretch is
	 * done or the flush ends, not each record */
	uint64_t bytes;
	struct sd_block *held;   /* of the stretch emptied last, until the
				  * next pop */
	/* a push may just append to the last stretch (at tail - 1) when
	 * the record starts at tail_end (NULL: it may not) and its time is
	 * no older than last_time, that of the record pushed last */
	uint64_t last_time;
	const uint8_t *tail_end;
	/* the run at the top of the heap, NULL when the next record
	 * takes the slow way (no flush, a block to let go, or moved) */
	struct sd_qrun *top;
	/* the top run's cursor went past its stretch or its stop at the
	 * last pop (its p and time the next record's): the heap is still
	 * to be told (sd_queue_pop_slow() does) */
	bool moved;
};

struct sd_zstate;

struct sd_id_map {
	uint64_t *keys;
	uint32_t *vals; /* evsel index + 1; 0 = empty */
	size_t nslots, n;
	/* the id looked up last and its value (0: none), for samples [0]
	 * and for other records' trailers [1] (tracking records are often
	 * of another event): a CPU's buffer is one id for a whole stretch */
	uint64_t last_key[2];
	uint32_t last_val[2];
};

/*
 * An event as the reader keeps it: the public part first, then where its
 * fields lie, worked out once from sample_type (attr.c).  A SAMPLE's
 * fields up to PERIOD (everything before READ, the first of variable
 * size) have fixed places; offsets count from the record's start, 0
 * means absent.
 */
enum { SD_FX_ID, SD_FX_IP, SD_FX_TID, SD_FX_TIME, SD_FX_ADDR, SD_FX_STREAM,
       SD_FX_CPU, SD_FX_PERIOD, SD_NFX };
enum { SD_TX_TID, SD_TX_TIME, SD_TX_ID, SD_TX_STREAM, SD_TX_CPU, SD_NTX };
struct sd_evx {
	struct sd_evsel ev;
	uint16_t s_ip, s_tid, s_time, s_addr, s_id, s_stream, s_cpu, s_period;
	uint16_t s_end;   /* where the fixed fields end */
	/* the same, for reading without a test: a field's u64 at fx_off
	 * (0, the record header, when absent) and fx_mask (0 then) */
	uint16_t fx_off[SD_NFX];
	uint64_t fx_mask[SD_NFX];
	/* sd_sample_id's has_tid, has_time, has_id, has_cpu; and with
	 * has_id and has_cpu false (SD_SKIP_SAMPLE_IDS) */
	bool fx_has[4];
	bool fx_has_lean[4];
	/* plain, with IP, TID, TIME and PERIOD: what a sample view
	 * (sd_reader_next_samples()) reads without a test */
	bool view;
	/* CALLCHAIN the only field after the fixed ones (next.c's plain
	 * parse) */
	bool plain;
	uint16_t t_size;  /* sample_id_all trailer bytes; 0 without one */
	uint16_t t_time;  /* its TIME, counted back from the record's end */
	/* the trailer's fields for reading without a test (other.h): a
	 * field's u64 tx_off bytes before the record's end (the trailer's
	 * first, t_size, when absent) and tx_mask (0 then); its has_tid,
	 * has_time, has_id, has_cpu */
	uint16_t tx_off[SD_NTX];
	uint64_t tx_mask[SD_NTX];
	bool tx_has[4];
};

static inline struct sd_evx *sd_evx(const struct sd_evsel *ev)
{
	return (struct sd_evx *)(void *)ev;
}

struct sd_reader {
	char *name;
	unsigned flags;
	bool swap;
	bool ordered;
	struct sd_file_info info;
	struct sd_evsel **evsels;
	size_t nr_evsels;
	struct sd_id_map ids;
	/* position of the id in samples / from the end of trailers, when the
	 * layouts of all events agree (perf's evlist id_pos/is_pos) */
	int id_pos, is_pos;
	uint16_t id_hdr_size; /* size of the sample_id_all trailer */
	struct sd_diags diags;
	struct sd_reader_stats stats;
	/* the sample fields after CALLCHAIN in rec may be nonzero */
	bool tail_dirty;
	bool skip_ids; /* SD_SKIP_SAMPLE_IDS (samples' and trailers' ids) */
	bool skip_exit; /* SD_SKIP_EXIT */

	struct sd_source src;
	struct sd_zstate *z;
	/* decompressed records waiting to be taken: dbuf is dblk's data */
	struct sd_block *dblk;
	struct sd_bpool zpool;
	uint8_t *dbuf;
	size_t dcap, dpos, dend;
	uint64_t doff; /* offset of the compressed record feeding dbuf */

	struct sd_queue q;
	bool at_end;
	bool failed;

	struct sd_record rec;
	uint64_t *ips_scratch;
	size_t ips_cap;
	uint64_t regs_scratch[64]; /* a sample's REGS_USER, host order */
	char *str_scratch;
	size_t str_cap;
	uint8_t *raw_scratch;
	size_t raw_cap;
};

/*
 * Arrays that grow one element at a time from the file (events, ids,
 * build-ids) double their allocation instead of growing by one, which
 * made a file with many of them quadratic (each realloc copied the whole
 * array: 65536 build-ids took minutes under ASan).  Their capacity is not
 * stored: an array of n elements allocated only through sd_pow2_cap()
 * holds sd_pow2_cap(n) of them, so it must grow when adding takes
 * sd_pow2_cap() past that.
 */
static inline size_t sd_pow2_cap(size_t n)
{
	size_t c = 1;

	while (c < n)
		c <<= 1;
	return c;
}

static inline bool sd_pow2_grows(const void *p, size_t n, size_t more)
{
	return !p || sd_pow2_cap(n + more) > sd_pow2_cap(n);
}

/*
 * The loops that walk records in the order they lie (the read loop's
 * extend_stretch(), a flush's runs in sd_reader_next_samples()) come to
 * them a while after they were read, flushes or a round between, and
 * seldom find them still in L1 or L2: each miss stalls the loop.  Three
 * lines some records on from p: more than the ~2.3 lines a record moves
 * the walk on (kstorm), far enough for the latency of memory.  Lines
 * past the data cost nothing (a prefetch does not fault).
 */
static inline __attribute__((always_inline)) void
sd_prefetch_ahead(const uint8_t *p)
{
	/* as an integer: the address may lie past the buffer */
	uintptr_t a = (uintptr_t)p;

	__builtin_prefetch((const void *)(a + 640));
	__builtin_prefetch((const void *)(a + 704));
	__builtin_prefetch((const void *)(a + 768));
}

/* source.c */
int sd_source_init_fd(struct sd_source *s, int fd, bool own);
void sd_source_init_mem(struct sd_source *s, const void *buf, size_t len);
void sd_source_fini(struct sd_source *s);
/* Reads exactly n bytes at offset off (file/mem only) into out. */
int sd_source_pread(struct sd_source *s, void *out, size_t n, uint64_t off);
/* Positions the stream at off (file/mem) with data ending at limit. */
int sd_source_seek(struct sd_source *s, uint64_t off, uint64_t limit);
/* Makes at least n bytes available at buf + pos; 0, or -SD_E_TRUNCATED if
 * the input ends first (fewer bytes stay available), or -errno. */
int sd_source_want(struct sd_source *s, size_t n);
static inline uint64_t sd_source_offset(const struct sd_source *s)
{
	return s->base_off + s->pos;
}
static inline size_t sd_source_avail(const struct sd_source *s)
{
	return s->end - s->pos;
}

/* header.c */
int sd_read_file_header(struct sd_reader *r);
int sd_read_pipe_header(struct sd_reader *r);
int sd_parse_feature(struct sd_reader *r, unsigned feat, struct sd_cursor *c,
		     uint64_t offset);

/* attr.c */
int sd_parse_attr(struct sd_reader *r, struct sd_cursor *c, uint32_t size,
		  uint64_t offset, struct sd_evsel **out);
int sd_add_evsel(struct sd_reader *r, struct sd_evsel *ev);
int sd_evsel_add_ids(struct sd_reader *r, struct sd_evsel *ev,
		     struct sd_cursor *c, size_t n);
void sd_evsel_free(struct sd_evsel *ev);
void sd_update_id_layout(struct sd_reader *r);
struct sd_evsel *sd_id_lookup(const struct sd_reader *r, uint64_t id);
void sd_id_map_fini(struct sd_id_map *m);
void sd_evsel_make_name(struct sd_evsel *ev);

/* The sample_type bits the reader knows the layout of. */
#define SD_SAMPLE_KNOWN ((SD_SAMPLE_WEIGHT_STRUCT << 1) - 1)
/* The sample_type bits of the fields after CALLCHAIN. */
#define SD_SAMPLE_AFTER_CALLCHAIN                                              \
	(SD_SAMPLE_RAW | SD_SAMPLE_BRANCH_STACK | SD_SAMPLE_REGS_USER |         \
	 SD_SAMPLE_STACK_USER | SD_SAMPLE_WEIGHT | SD_SAMPLE_WEIGHT_STRUCT |   \
	 SD_SAMPLE_DATA_SRC | SD_SAMPLE_TRANSACTION | SD_SAMPLE_REGS_INTR |    \
	 SD_SAMPLE_PHYS_ADDR | SD_SAMPLE_CGROUP | SD_SAMPLE_DATA_PAGE_SIZE |   \
	 SD_SAMPLE_CODE_PAGE_SIZE | SD_SAMPLE_AUX)

/* sample.c */
/* The event a kernel record belongs to (perf's evlist__event2evsel). */
struct sd_evsel *sd_record_evsel_slow(struct sd_reader *r,
				      const uint8_t *rec, size_t len,
				      uint32_t type);
static inline struct sd_evsel *sd_record_evsel(struct sd_reader *r,
					       const uint8_t *rec, size_t len,
					       uint32_t type, bool sw)
{
	if (r->nr_evsels == 1)
		return r->evsels[0];
	/* a sample with the id of the record before (one CPU's buffer) */
	if (type == SD_REC_SAMPLE && r->id_pos >= 0 &&
	    (size_t)r->id_pos < (len - 8) / 8 && r->ids.last_val[0]) {
		uint64_t id = sd_load64(rec + 8 + 8 * (size_t)r->id_pos, sw);
		if (id == r->ids.last_key[0])
			return r->evsels[r->ids.last_val[0] - 1];
	}
	/* another record with the trailer id of the one before */
	if (type != SD_REC_SAMPLE && r->is_pos >= 0 &&
	    (size_t)r->is_pos <= (len - 8) / 8 && r->ids.last_val[1]) {
		size_t n = (len - 8) / 8;
		uint64_t id =
			sd_load64(rec + 8 + 8 * (n - (size_t)r->is_pos), sw);
		if (id == r->ids.last_key[1])
			return r->evsels[r->ids.last_val[1] - 1];
	}
	return sd_record_evsel_slow(r, rec, len, type);
}
/* A kernel record's time by its event: 0 or UINT64_MAX when it has none
 * (a SAMPLE's TIME, or the TIME of a sample_id_all trailer).  sw is
 * r->swap. */
static inline uint64_t sd_record_time(const struct sd_evsel *ev,
				      const uint8_t *rec, size_t len,
				      uint32_t type, bool sw)
{
	const struct sd_evx *x = sd_evx(ev);

	if (type == SD_REC_SAMPLE) {
		if (!x->s_time || x->s_time + 8u > len)
			return UINT64_MAX;
		return sd_load64(rec + x->s_time, sw);
	}
	if (!x->t_time || x->t_size > len - 8)
		return UINT64_MAX;
	return sd_load64(rec + len - x->t_time, sw);
}
/* An unterminated string [p, p + n) of a record copied and terminated,
 * as perf would read past it; NULL without memory. */
const char *sd_record_string_copy(struct sd_reader *r, const uint8_t *p,
				  size_t n);
/* A record that could not be parsed (err): counted and said, then
 * skipped (0), or err itself when it is -ENOMEM. */
int sd_bad_record(struct sd_reader *r, int err, uint64_t off,
		  bool compressed, uint32_t type, size_t len);
/*
 * A kernel record other than a SAMPLE (p, lying whole where its header
 * says, at input offset off, of event ev) parsed into r->rec, every
 * field set, and counted: 1 with it in *out, 0 when it was skipped
 * (damaged, said in the diagnostics, or a whole EXIT under
 * SD_SKIP_EXIT), or -ENOMEM.
 */
int sd_deliver_other(struct sd_reader *r, const uint8_t *p, uint64_t off,
		     bool compressed, struct sd_evsel *ev,
		     const struct sd_record **out);
/* For next.c's SAMPLE parse: READ skipped (the fields before it end at
 * *off); n call-chain words at c, in host order (copied only when they
 * must be: swapped or unaligned); the fields after CALLCHAIN. */
int sd_skip_read(const struct sd_evsel *ev, const uint8_t *data,
		 size_t len, bool swap, size_t *off);
const uint64_t *sd_borrow_u64s(struct sd_reader *r, struct sd_cursor *c,
			       uint64_t n);
int sd_parse_sample_tail(struct sd_reader *r, const struct sd_evsel *ev,
			 struct sd_cursor *c, struct sd_sample *s);

/* zstd.c */
int sd_zstd_feed(struct sd_reader *r, const uint8_t *p, size_t n);

/* walk.c: the next raw record (decompressed data first); 1 with it, 0 at
 * the end of the input.  sd_next_raw() takes whole kernel records that
 * are already in the buffer itself and leaves the rest to the walk; sw
 * is r->swap. */
int sd_next_raw_slow(struct sd_reader *r, struct sd_raw *raw);
static inline int sd_next_raw(struct sd_reader *r, struct sd_raw *raw,
			      bool sw)
{
	struct sd_source *s = &r->src;

	if (r->dend == r->dpos && s->end - s->pos >= 8) {
		const uint8_t *p = s->buf + s->pos;
		uint32_t type = sd_load32(p, sw);
		uint16_t size = sd_load16(p + 6, sw);
		if (type - 1 < SD_REC_HEADER_ATTR - 1 && size >= 8 &&
		    size <= s->end - s->pos) {
			raw->p = p;
			raw->len = size;
			raw->off = s->base_off + s->pos;
			raw->blk = s->blk;
			raw->compressed = false;
			s->pos += size;
			r->stats.bytes_consumed = raw->off + size;
			return 1;
		}
	}
	return sd_next_raw_slow(r, raw);
}
/* userrec.c: absorbs a record of type >= SD_REC_HEADER_ATTR. */
void sd_user_record(struct sd_reader *r, uint32_t type, const uint8_t *p,
		    size_t len, uint64_t off);
void sd_zstd_free(struct sd_zstate *z);
/* The input is done: the block kept for zstd's window goes. */
void sd_zstd_release(struct sd_zstate *z);

/* ordered.c: the queue alone (unit-tested on its own) */

/* The time of a queued record (its event's layout, checked when it was
 * queued). */
static inline __attribute__((always_inline)) uint64_t
sd_qrec_time(const struct sd_qent *e, const uint8_t *p, bool sw)
{
	if (sd_load32(p, sw) == SD_REC_SAMPLE)
		return sd_load64(p + sd_evx(e->ev_s)->s_time, sw);
	return sd_load64(p + sd_load16(p + 6, sw) - sd_evx(e->ev_o)->t_time,
			 sw);
}

/* A before b in a flush's heap: older, or as old and pushed first. */
static inline bool sd_qhead_before(struct sd_qhead a, struct sd_qhead b)
{
	return a.time < b.time || (a.time == b.time && a.pos < b.pos);
}

/* The heap entry at i moved down to its place. */
static inline __attribute__((always_inline)) void
sd_queue_sift_down(struct sd_queue *q, size_t i)
{
	size_t n = q->nheap;
	struct sd_qhead *h = q->heap, x = h[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && sd_qhead_before(h[c + 1], h[c]))
			c++;
		if (!sd_qhead_before(h[c], x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* A stop never UINT64_MAX, the head time of a run that is done. */
static inline uint64_t sd_queue_cap_stop(uint64_t stop)
{
	return stop < UINT64_MAX - 1 ? stop : UINT64_MAX - 1;
}

/*
 * How far the top run may go on without a look at the heap: while its
 * head stays before the smaller of its two children (an equal time is
 * before it when its stretch was pushed first), and within the limit.
 */
static inline __attribute__((always_inline)) void
sd_queue_set_stop(struct sd_queue *q)
{
	const struct sd_qhead *h = q->heap;
	uint64_t stop = q->limit;

	if (q->nheap > 1) {
		struct sd_qhead m = h[1];
		if (q->nheap > 2 && sd_qhead_before(h[2], m))
			m = h[2];
		/* m.time >= 1: untimed records are never queued */
		stop = h[0].pos < m.pos ? m.time : m.time - 1;
	}
	q->stop = sd_queue_cap_stop(stop);
}

/*
 * The top run went on in its stretch to a record at time t, past its
 * stop and within the limit: back into the heap at t, and the stop set
 * for the run now on top, which is returned (and is the new q->top when
 * nothing is held).  What sd_queue_top_moved() does then, inline.
 */
static inline __attribute__((always_inline)) struct sd_qrun *
sd_queue_top_passed(struct sd_queue *q, uint64_t t)
{
	q->heap[0].time = t;
	sd_queue_sift_down(q, 0);
	sd_queue_set_stop(q);
	return &q->runs[q->heap[0].run];
}

/* Queues the record p (len bytes, of event ev, at time t, lying in blk,
 * at input offset off, or in a compressed record's output at off): a new
 * stretch (and a reference to blk) unless it extends the last one; not
 * while flushing. */
int sd_queue_push_slow(struct sd_queue *q, const uint8_t *p, uint32_t len,
		       uint64_t t, struct sd_evsel *ev, struct sd_block *blk,
		       uint64_t off, bool compressed);
static inline __attribute__((always_inline)) int
sd_queue_push(struct sd_queue *q, const uint8_t *p, uint32_t len, uint64_t t,
	      struct sd_evsel *ev, struct sd_block *blk, uint64_t off,
	      bool compressed, bool sample)
{
	/* the common case: the record right after the last one, no older,
	 * of the same event */
	if (p == q->tail_end && t >= q->last_time) {
		struct sd_qent *e = &q->v[(q->tail - 1) & (q->cap - 1)];
		struct sd_evsel **slot = sample ? &e->ev_s : &e->ev_o;
		if (*slot == ev || !*slot) {
			*slot = ev;
			e->end = p + len;
			e->tlast = t;
			q->tail_end = p + len;
			q->last_time = t;
			if (t > q->max_time)
				q->max_time = t;
			q->bytes += len;
			return 0;
		}
	}
	return sd_queue_push_slow(q, p, len, t, ev, blk, off, compressed);
}
/* FINISHED_ROUND: deliver what the round before this one made safe. */
void sd_queue_round(struct sd_queue *q);
/* The end of the input: deliver everything. */
void sd_queue_final(struct sd_queue *q);
/* Too much queued without a round: deliver the older half. */
void sd_queue_half(struct sd_queue *q);
bool sd_queue_pop_slow(struct sd_queue *q, struct sd_qrec *out);
/* The heap told where the last pop left the top run, the block of the
 * record taken last let go: q->top is then the run to take from, or NULL
 * when the flush is done. */
void sd_queue_settle(struct sd_queue *q);
/* The top run's stretch goes on at next (its time t, when next is not
 * its end), and another run may come first now. */
void sd_queue_top_moved(struct sd_queue *q, const uint8_t *next, uint64_t t);
/* The time of the record p of run c's stretch. */
static inline __attribute__((always_inline)) uint64_t
sd_qrun_time(const struct sd_qrun *c, const uint8_t *p, bool sw)
{
	if (sd_load32(p, sw) == SD_REC_SAMPLE)
		return sd_load64(p + c->s_time, sw);
	return sd_load64(p + sd_load16(p + 6, sw) - c->t_time, sw);
}
/*
 * The call chain of a sample of the plain layout in the host's byte
 * order: its fixed fields end at off, then nr and nr addresses that fill
 * the record's len bytes, 8-aligned where they lie.  Its first address,
 * *nr set; NULL when the record is not of that layout.
 */
static inline __attribute__((always_inline)) const uint64_t *
sd_plain_chain(const uint8_t *p, uint32_t len, size_t off, uint64_t *nr)
{
	if (len < off + 8)
		return NULL;
	uint64_t n = sd_load64(p + off, false);
	const uint8_t *ips = p + off + 8;
	/* n == (len - off - 8) / 8: what is left after n addresses is
	 * below 8 bytes (n within the cap cannot wrap it) */
	if (n > SD_MAX_CALLCHAIN || len - off - 8 - 8 * n >= 8 ||
	    ((uintptr_t)ips & 7))
		return NULL;
	*nr = n;
	return (const uint64_t *)(const void *)ips;
}
/*
 * The top run c (host byte order) moves past its record of len bytes to
 * next: false when that was its stretch's last (the queue then finds its
 * top again), else true with c->time the time of next.
 */
static inline __attribute__((always_inline)) bool
sd_qrun_step(struct sd_queue *q, struct sd_qrun *c, const uint8_t *next,
	     uint32_t len)
{
	if (!c->comp)
		c->off += len;
	c->p = next;
	if (next == c->pend) {
		q->top = NULL;
		q->moved = true;
		return false;
	}
	c->time = sd_qrun_time(c, next, false);
	return true;
}
/*
 * The next record of the flush under way into *out: true, or false when
 * the flush is done.  The record stays valid until the next call.  sw is
 * q->swap (a constant where this is inlined).
 */
static inline __attribute__((always_inline)) bool
sd_queue_pop(struct sd_queue *q, struct sd_qrec *out, bool sw)
{
	struct sd_qrun *c = q->top;

	/* the common case: the next record of the top run */
	if (c) {
		const uint8_t *p = c->p;
		uint32_t len = sd_load16(p + 6, sw);
		const uint8_t *next = p + len;
		uint64_t t = 0;

		out->p = p;
		out->len = len;
		out->time = c->time;
		out->offset = c->off;
		out->compressed = c->comp;
		out->ev = sd_load32(p, sw) == SD_REC_SAMPLE ? c->ev_s : c->ev_o;
		q->last_flush = c->time;
		if (!c->comp)
			c->off += len;
		if (next != c->pend) {
			t = sd_qrun_time(c, next, sw);
			if (t <= q->stop) {
				c->p = next;
				c->time = t;
				return true;
			}
		}
		sd_queue_top_moved(q, next, t);
		return true;
	}
	return sd_queue_pop_slow(q, out);
}
/* Stretches queued (holes left by flushes not counted). */
size_t sd_queue_len(const struct sd_queue *q);
/* Drops every stretch (and its block reference). */
void sd_queue_fini(struct sd_queue *q);

#endif
