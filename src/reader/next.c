/* SPDX-License-Identifier: MIT */
/*
 * The record loop, the reader's hot path, in one translation unit so
 * that it compiles as one loop: raw records from the walk (walk.c),
 * records about the recording absorbed (userrec.c), each kernel record's
 * event and time found once, timed records queued where they lie
 * (ordered.c) and handed out in perf's delivery order, samples parsed in
 * place (sample_parse.h, inlined here).  It is compiled twice, for a
 * recording in the host's byte order and for the other.
 * Two parts of it are written out for the common case: reading on while
 * records extend the queue's last stretch (extend_stretch, stretch.h),
 * and handing out the next queued sample of the plain layout
 * (sd_reader_next itself, without a call, so that it saves no
 * registers); runs of such samples go out as views (views.c).  Under
 * SD_SKIP_EXIT a whole EXIT record goes unparsed (sd_deliver_other()).
 *
 *	struct perf_event_header { u32 type; u16 misc; u16 size; };
 *
 * A SAMPLE's body is parsed by sample_parse.h's parse_sample(), which
 * has its layout.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"
#include "reader/sample_parse.h"
#include "reader/stretch.h"

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
	if (t - r->q.time_lo > r->q.time_hi - r->q.time_lo && rec->id.has_time) {
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
	if (!x->plain || t - r->q.time_lo > r->q.time_hi - r->q.time_lo)
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
