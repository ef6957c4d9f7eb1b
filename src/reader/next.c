/* SPDX-License-Identifier: MIT */
/*
 * The record loop, the reader's hot path, in one file so that it compiles
 * as one loop: raw records from the walk (walk.c), records about the
 * recording absorbed (userrec.c), each kernel record's event and time
 * found once, timed records queued where they lie (ordered.c) and handed
 * out in perf's delivery order, samples parsed in place.  It is compiled
 * twice, for a recording in the host's byte order and for the other.
 * Two parts of it are written out for the common case: reading on while
 * records extend the queue's last stretch (extend_stretch, stretch.h),
 * and handing out the next queued sample of the plain layout
 * (sd_reader_next itself, without a call, so that it saves no
 * registers); runs of such samples go out as views (views.c).  Under
 * SD_SKIP_EXIT a whole EXIT record goes unparsed (sd_deliver_other()).
 *
 *	struct perf_event_header { u32 type; u16 misc; u16 size; };
 *
 * A SAMPLE's body is laid out by its event's sample_type, in this order
 * (tools/perf/util/evsel.c evsel__parse_sample, which differs from the
 * uapi comment in where IDENTIFIER goes):
 *
 *	{ u64 id;	   } IDENTIFIER
 *	{ u64 ip;	   } IP
 *	{ u32 pid, tid;	   } TID
 *	{ u64 time;	   } TIME
 *	{ u64 addr;	   } ADDR
 *	{ u64 id;	   } ID
 *	{ u64 stream_id;   } STREAM_ID
 *	{ u32 cpu, res;	   } CPU
 *	{ u64 period;	   } PERIOD
 *	{ read_format	   } READ  (group: u64 nr; [enabled]; [running];
 *				    nr x {value; [id]; [lost]}
 *				    else: value; [enabled]; [running]; [id];
 *				    [lost])
 *	{ u64 nr; u64 ips[nr]; }		CALLCHAIN
 *	{ u32 size; char data[size]; }		RAW
 *	{ u64 nr; [u64 hw_idx]; {u64 from, to, flags} x nr } BRANCH_STACK
 *	{ u64 abi; u64 regs[popcount(mask)] if abi } REGS_USER
 *	{ u64 size; char data[size]; u64 dyn_size if size } STACK_USER
 *	{ u64 weight;	   } WEIGHT or WEIGHT_STRUCT
 *	{ u64 data_src;	   } DATA_SRC
 *	{ u64 transaction; } TRANSACTION
 *	{ u64 abi; u64 regs[popcount(mask)] if abi } REGS_INTR
 *	{ u64 phys_addr;   } PHYS_ADDR
 *	{ u64 cgroup;	   } CGROUP
 *	{ u64 data_page_size; } DATA_PAGE_SIZE
 *	{ u64 code_page_size; } CODE_PAGE_SIZE
 *	{ u64 size; char data[size]; }		AUX
 *
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"
#include "reader/stretch.h"

/* parse_sample() copies these as laid out in a sample */
_Static_assert(offsetof(struct sd_sample_id, tid) ==
		       offsetof(struct sd_sample_id, pid) + 4,
	       "pid, tid adjacent");
_Static_assert(offsetof(struct sd_sample_id, has_cpu) ==
		       offsetof(struct sd_sample_id, has_tid) + 3,
	       "has_tid .. has_cpu adjacent");

/* A sample's fixed fields when the file's order is the host's: each
 * field one load and a mask, TID's pid and tid and CPU's cpu copied as
 * laid out. */
static inline __attribute__((always_inline)) void
host_fixed_fields(const struct sd_evx *x, const uint8_t *data,
		  struct sd_sample_id *id, struct sd_sample *s)
{
#define FX(f) (sd_load64(data + x->fx_off[f], false) & x->fx_mask[f])
	uint64_t tid = FX(SD_FX_TID), cpu = FX(SD_FX_CPU);
	id->id = FX(SD_FX_ID);
	memcpy(&id->pid, &tid, 8);
	id->time = FX(SD_FX_TIME);
	id->stream_id = FX(SD_FX_STREAM);
	memcpy(&id->cpu, &cpu, 4);
	memcpy(&id->has_tid, x->fx_has, 4);
	s->ip = FX(SD_FX_IP);
	s->addr = FX(SD_FX_ADDR);
	s->period = FX(SD_FX_PERIOD) | !x->s_period;
#undef FX
}

/*
 * A SAMPLE, in place: the fixed fields at the places attr.c worked out,
 * the call chain borrowed where it lies (copied only when it needs byte
 * swapping or is not 8-aligned), the rest (parse_sample_tail) only when
 * the event has any of it.  Every field of out->sample and out->id is
 * set.  swap is a constant where this is inlined.
 */
static inline __attribute__((always_inline)) int
parse_sample(struct sd_reader *r, const struct sd_evsel *ev,
	     const uint8_t *data, size_t len, struct sd_record *rec, bool sw)
{
	const struct sd_evx *x = sd_evx(ev);
	struct sd_sample *s = &rec->sample;
	struct sd_sample_id *id = &rec->id;
	uint64_t t = ev->sample_type;
	size_t off = x->s_end;
	int err;

	if (off > len)
		return -SD_E_TRUNCATED;
	/*
	 * The common layout: the fixed fields, then the call chain and
	 * nothing else, which fills the sample exactly, is 8-aligned and
	 * within the cap (else the general way below, with its messages).
	 */
	if (!sw && x->plain && len - off >= 8) {
		uint64_t nr = sd_load64(data + off, false);
		const uint8_t *ips = data + off + 8;
		if (nr == (len - off - 8) / 8 && nr <= SD_MAX_CALLCHAIN &&
		    ((uintptr_t)ips & 7) == 0) {
			host_fixed_fields(x, data, id, s);
			s->nr_ips = nr;
			s->ips = (const uint64_t *)(const void *)ips;
			if (r->tail_dirty) {
				memset(&s->raw_size, 0,
				       sizeof *s -
					       offsetof(struct sd_sample,
							raw_size));
				r->tail_dirty = false;
			}
			return 0;
		}
	}
	if (!sw) {
		host_fixed_fields(x, data, id, s);
	} else {
#define LD64(at) ((at) ? sd_load64(data + (at), sw) : 0)
#define LD32(at) ((at) ? sd_load32(data + (at), sw) : 0)
		id->id = LD64(x->s_id);
		id->has_id = x->s_id != 0;
		id->pid = LD32(x->s_tid);
		id->tid = x->s_tid ? sd_load32(data + x->s_tid + 4, sw) : 0;
		id->has_tid = x->s_tid != 0;
		id->time = LD64(x->s_time);
		id->has_time = x->s_time != 0;
		id->stream_id = LD64(x->s_stream);
		id->cpu = LD32(x->s_cpu);
		id->has_cpu = x->s_cpu != 0;
		s->ip = LD64(x->s_ip);
		s->addr = LD64(x->s_addr);
		s->period = x->s_period ? sd_load64(data + x->s_period, sw) : 1;
#undef LD64
#undef LD32
	}
	if ((t & SD_SAMPLE_READ) && (err = sd_skip_read(ev, data, len, sw, &off)))
		return err;
	s->nr_ips = 0;
	s->ips = NULL;
	if (t & SD_SAMPLE_CALLCHAIN) {
		if (len - off < 8)
			return -SD_E_TRUNCATED;
		uint64_t nr = sd_load64(data + off, sw);
		off += 8;
		if (nr > (len - off) / 8)
			return -SD_E_BAD_RECORD;
		s->nr_ips = nr;
		if (nr > SD_MAX_CALLCHAIN) {
			/* the kernel's own limit is 127 unless raised
			 * (kernel.perf_event_max_stack); perf shows 127 */
			sd_diags_add(&r->diags, SD_NOTE, SD_E_LIMIT, rec->offset,
				     "a call chain of %llu entries; the first "
				     "%u are used",
				     (unsigned long long)nr, SD_MAX_CALLCHAIN);
			s->nr_ips = SD_MAX_CALLCHAIN;
		}
		const uint8_t *p = data + off;
		if (!sw && ((uintptr_t)p & 7) == 0) {
			s->ips = (const uint64_t *)(const void *)p;
		} else {
			struct sd_cursor c = sd_cursor_make(p, len - off, sw);
			s->ips = sd_borrow_u64s(r, &c, s->nr_ips);
			if (!s->ips)
				return -ENOMEM;
		}
		off += nr * 8;
	}
	if (r->tail_dirty) {
		memset(&s->raw_size, 0,
		       sizeof *s - offsetof(struct sd_sample, raw_size));
		r->tail_dirty = false;
	}
	if (t & SD_SAMPLE_AFTER_CALLCHAIN) {
		struct sd_cursor c = sd_cursor_make(data, len, sw);
		c.off = off;
		r->tail_dirty = true;
		if ((err = sd_parse_sample_tail(r, ev, &c, s)))
			return err;
		off = c.off;
	}
	/*
	 * The kernel sizes a sample to its fields.  With every field known,
	 * 8 bytes or more beyond them mean a damaged size, which also made
	 * the records after this one part of it: say so, the fields read are
	 * still good.
	 */
	if (len - off >= 8 && !(t & ~SD_SAMPLE_KNOWN))
		sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD,
			     rec->offset,
			     "a sample of %u bytes has %zu bytes beyond its "
			     "fields: its size is damaged, and records that "
			     "followed it were skipped with it",
			     rec->size, len - off);
	return 0;
}

/* A sample's time outside SAMPLE_TIME's range is dropped (see deliver). */
static void bad_time(struct sd_reader *r, struct sd_record *rec)
{
	sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD, rec->offset,
		     "a sample's time (%llu ns) is outside the "
		     "recording's first and last sample times; "
		     "its time is ignored",
		     (unsigned long long)rec->id.time);
	rec->id.has_time = false;
	rec->id.time = 0;
}

/* A record parsed into r->rec and counted: 1 with it, 0 when it was
 * skipped, or -ENOMEM. */
static inline __attribute__((always_inline)) int
deliver(struct sd_reader *r, const uint8_t *p, size_t len, uint64_t off,
	bool compressed, struct sd_evsel *ev, const struct sd_record **out,
	bool sw)
{
	struct sd_record *rec = &r->rec;
	uint32_t type = sd_load32(p, sw);
	int err;

	if (type != SD_REC_SAMPLE)
		return sd_deliver_other(r, p, off, compressed, ev, out);
	rec->type = type;
	rec->misc = sd_load16(p + 4, sw);
	rec->size = sd_load16(p + 6, sw);
	rec->offset = off;
	rec->compressed = compressed;
	rec->evsel = ev;
	if (!ev) {
		r->stats.unknown_id_samples++;
		return 0;
	}
	if ((err = parse_sample(r, ev, p, len, rec, sw)))
		return sd_bad_record(r, err, off, compressed, type, len);
	if (r->skip_ids) {
		rec->id.id = rec->id.stream_id = 0;
		rec->id.cpu = 0;
		rec->id.has_id = rec->id.has_cpu = false;
		rec->sample.addr = 0;
	}
	ev->nr_samples++;
	ev->total_period += rec->sample.period;
	/*
	 * perf stores the first and last sample time (SAMPLE_TIME, when it
	 * computed them): a sample outside has a damaged time, which would
	 * stretch the recording (one flipped byte made 1.5 s into 17593 s).
	 * Its time is dropped.
	 */
	uint64_t t = rec->id.time;
	/* one compare: t - lo wraps past hi - lo when t < lo */
	if (t - r->time_lo > r->time_hi - r->time_lo && rec->id.has_time) {
		bad_time(r, rec);
		t = 0;
	}
	/* t - 1 < x - 1: t is not 0, and below x or x is 0 */
	if (t - 1 < r->stats.first_time - 1)
		r->stats.first_time = t;
	if (t > r->stats.last_time)
		r->stats.last_time = t;
	*out = rec;
	return 1;
}

/* Too much queued between two rounds: perf's OE_FLUSH__HALF. */
static void queue_over(struct sd_reader *r, uint64_t off)
{
	sd_diags_add(&r->diags, SD_NOTE, SD_E_LIMIT, off,
		     "more than %u MiB of records between two "
		     "FINISHED_ROUND marks; ordering them in parts",
		     SD_MAX_QUEUE_BYTES >> 20);
	sd_queue_half(&r->q);
}

/*
 * The input is done and everything delivered: the read and decompression
 * blocks and the queue's arrays go now, for the stages after the loop,
 * not when the reader is freed.
 */
static int at_end(struct sd_reader *r)
{
	if (r->src.blk) {
		sd_block_done(r->src.blk);
		r->src.blk = NULL;
		r->src.buf = NULL;
		r->src.pos = r->src.end = r->src.cap = 0;
		r->src.eof = true;
	}
	sd_bpool_fini(&r->src.pool);
	sd_zstd_release(r->z);
	sd_block_done(r->dblk);
	r->dblk = NULL;
	r->dbuf = NULL;
	r->dpos = r->dend = r->dcap = 0;
	sd_bpool_fini(&r->zpool);
	sd_queue_fini(&r->q);
	return 0;
}

static inline __attribute__((always_inline)) int
next_record(struct sd_reader *r, const struct sd_record **out, bool sw)
{
	for (;;) {
		if (r->q.flushing) {
			struct sd_qrec e;
			if (sd_queue_pop(&r->q, &e, sw)) {
				int rc = deliver(r, e.p, e.len, e.offset,
						 e.compressed, e.ev, out, sw);
				if (rc)
					return rc;
				continue;
			}
		}
		if (r->at_end)
			return at_end(r);

		if (r->q.tail_end)
			extend_stretch(r, sw);
		struct sd_raw raw;
		if (!sd_next_raw(r, &raw, sw)) {
			if (r->ordered)
				sd_queue_final(&r->q);
			r->at_end = true;
			continue;
		}
		uint32_t type = sd_load32(raw.p, sw);
		if (type < SD_REC_TYPE_MAX)
			r->stats.records[type]++;
		else
			r->stats.unknown_records++;
		if (type >= SD_REC_HEADER_ATTR) {
			sd_user_record(r, type, raw.p, raw.len, raw.off);
			continue;
		}
		if (type >= SD_REC_KERNEL_MAX)
			continue; /* a kernel record of a newer kernel */
		/* the event once, for the time and for the parse */
		struct sd_evsel *ev = sd_record_evsel(r, raw.p, raw.len, type, sw);
		if (r->ordered && ev) {
			uint64_t t = sd_record_time(ev, raw.p, raw.len, type, sw);
			if (t - 1 < UINT64_MAX - 1) { /* not 0 nor UINT64_MAX */
				/* perf's ordered_events__queue */
				struct sd_queue *q = &r->q;
				if (t < q->last_flush)
					r->stats.out_of_order++;
				int err = sd_queue_push(
					q, raw.p, (uint32_t)raw.len, t, ev,
					raw.blk, raw.off, raw.compressed,
					type == SD_REC_SAMPLE);
				if (err)
					return err;
				if (q->bytes > SD_MAX_QUEUE_BYTES)
					queue_over(r, raw.off);
				continue;
			}
		}
		int rc = deliver(r, raw.p, raw.len, raw.off, raw.compressed, ev,
				 out, sw);
		if (rc)
			return rc;
	}
}

static __attribute__((noinline)) int next_slow(struct sd_reader *r,
					       const struct sd_record **out)
{
	if (r->swap)
		return next_record(r, out, true);
	return next_record(r, out, false);
}

/* A queued record other than the sample sd_reader_next() takes itself,
 * in the host's byte order. */
static __attribute__((noinline)) int next_queued(struct sd_reader *r,
						 const struct sd_record **out)
{
	struct sd_qrec e;

	sd_queue_pop(&r->q, &e, false);
	int rc = deliver(r, e.p, e.len, e.offset, e.compressed, e.ev, out,
			 false);
	if (rc)
		return rc;
	return next_slow(r, out);
}

/* A plain sample taken off the queue by pop_plain(). */
struct plain {
	const uint8_t *p;
	const uint64_t *ips;
	uint64_t nr;
	uint64_t time, offset;
	struct sd_evsel *ev;
	bool compressed;
};

/*
 * The next record of the top run c, when it is a sample in the host's
 * byte order of the plain layout (fixed fields and a call chain that
 * fills it) with a time in the recording's range, taken off the queue
 * into *out: what sd_queue_pop() does, the heap's part (a cursor past
 * its stretch or its stop) left to the next settle unless two runs just
 * trade places.  false, nothing taken, for anything else.
 */
static inline __attribute__((always_inline)) bool
pop_plain(struct sd_reader *r, struct sd_qrun *c, struct plain *out)
{
	struct sd_queue *q = &r->q;
	const uint8_t *p = c->p;
	if (sd_load32(p, false) != SD_REC_SAMPLE)
		return false;
	struct sd_evsel *ev = c->ev_s;
	const struct sd_evx *x = sd_evx(ev);
	uint32_t len = sd_load16(p + 6, false);
	uint64_t t = c->time, nr;
	if (!x->plain || t - r->time_lo > r->time_hi - r->time_lo)
		return false;
	const uint64_t *ips = sd_plain_chain(p, len, x->s_end, &nr);
	if (!ips)
		return false;

	out->p = p;
	out->ips = ips;
	out->nr = nr;
	out->time = t;
	out->offset = c->off;
	out->ev = ev;
	out->compressed = c->comp;
	q->last_flush = t;
	if (!sd_qrun_step(q, c, p + len, len))
		return true;
	uint64_t nt = c->time;
	if (nt <= q->stop)
		return true;
	struct sd_qhead *h = q->heap;
	if (q->nheap == 2 && nt <= q->limit) {
		/* two runs (two CPUs) taking turns: past its stop, the
		 * other run comes first */
		struct sd_qhead x0 = h[0];
		x0.time = nt;
		h[0] = h[1];
		h[1] = x0;
		q->top = &q->runs[h[0].run];
		uint64_t stop = h[0].pos < x0.pos ? nt : nt - 1;
		q->stop = stop < UINT64_MAX - 1 ? stop : UINT64_MAX - 1;
	} else {
		q->top = NULL;
		q->moved = true;
	}
	return true;
}

/* What deliver() counts of a sample. */
static inline __attribute__((always_inline)) void
count_sample(struct sd_reader *r, struct sd_evsel *ev, uint64_t period,
	     uint64_t t)
{
	ev->nr_samples++;
	ev->total_period += period;
	if (t - 1 < r->stats.first_time - 1)
		r->stats.first_time = t;
	if (t > r->stats.last_time)
		r->stats.last_time = t;
}

/* A plain sample from the top run c into r->rec, as deliver() and
 * parse_sample() would fill it: 1, or 0 (nothing taken) for anything
 * else. */
static inline __attribute__((always_inline)) int
take_sample(struct sd_reader *r, const struct sd_record **out,
	    struct sd_qrun *c)
{
	struct plain pl;

	if (!pop_plain(r, c, &pl))
		return 0;
	struct sd_record *rec = &r->rec;
	struct sd_sample *s = &rec->sample;
	struct sd_sample_id *id = &rec->id;
	const struct sd_evx *x = sd_evx(pl.ev);
	const uint8_t *p = pl.p;
	rec->offset = pl.offset;
	rec->compressed = pl.compressed;
	rec->type = SD_REC_SAMPLE;
	rec->misc = sd_load16(p + 4, false);
	rec->size = sd_load16(p + 6, false);
	rec->evsel = pl.ev;
#define FX(f) (sd_load64(p + x->fx_off[f], false) & x->fx_mask[f])
	uint64_t tid = FX(SD_FX_TID);
	memcpy(&id->pid, &tid, 8);
	id->time = pl.time;
	if (r->skip_ids) {
		id->id = 0;
		id->stream_id = 0;
		id->cpu = 0;
		memcpy(&id->has_tid, x->fx_has_lean, 4);
		s->addr = 0;
	} else {
		uint64_t cpu = FX(SD_FX_CPU);
		id->id = FX(SD_FX_ID);
		id->stream_id = FX(SD_FX_STREAM);
		memcpy(&id->cpu, &cpu, 4);
		memcpy(&id->has_tid, x->fx_has, 4);
		s->addr = FX(SD_FX_ADDR);
	}
	s->ip = FX(SD_FX_IP);
	uint64_t period = FX(SD_FX_PERIOD) | !x->s_period;
#undef FX
	s->period = period;
	s->nr_ips = pl.nr;
	s->ips = pl.ips;
	if (r->tail_dirty) {
		memset(&s->raw_size, 0,
		       sizeof *s - offsetof(struct sd_sample, raw_size));
		r->tail_dirty = false;
	}
	count_sample(r, pl.ev, period, pl.time);
	*out = rec;
	return 1;
}

/* The top run went past its stretch or its stop at the last call, or a
 * stretch's block is to go: the heap told, then as sd_reader_next(). */
static __attribute__((noinline)) int next_settle(struct sd_reader *r,
						 const struct sd_record **out)
{
	struct sd_qrun *c;

	sd_queue_settle(&r->q);
	c = r->q.top;
	if (!c)
		return next_slow(r, out);
	if (take_sample(r, out, c))
		return 1;
	return next_queued(r, out);
}

/* The common case, a plain sample of a flush, without a call, so that it
 * saves no registers; anything else the general way. */
int sd_reader_next(struct sd_reader *r, const struct sd_record **out)
{
	struct sd_qrun *c = r->q.top;

	if (!c || r->swap) {
		if (!c && !r->swap && (r->q.moved || r->q.held))
			return next_settle(r, out);
		return next_slow(r, out);
	}
	if (take_sample(r, out, c))
		return 1;
	return next_queued(r, out);
}
