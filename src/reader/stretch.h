/* SPDX-License-Identifier: MIT */
/*
 * The read loop's common case (next.c, included there only): records
 * that extend the queue's last stretch, taken in one loop without the
 * id map.  The loop counts no bytes: the queue's grow by how far it
 * went (kstorm -43 k instructions, dso -236 k).
 */
#ifndef SD_READER_STRETCH_H
#define SD_READER_STRETCH_H

#include "reader/internal.h"

/*
 * How the read loop tells a stretch's sample event (s) and other
 * records' event (o) without sd_record_evsel(): by the id the id map gave
 * for it last (what sd_record_evsel() tests first), or for the one event
 * of a recording by nothing (the id masked off).  A sample of at least
 * s_min bytes whose u64 at s_id, masked, is s_key; another record of at
 * least o_min bytes, its size a multiple of 8, whose u64 o_id bytes
 * before its end is o_key.  Their times lie at s_time, or o_time bytes
 * before the end.  A min of 1 << 16 (above any record's size): not
 * told this way.
 */
struct id_keys {
	uint64_t s_key, s_mask, o_key;
	size_t s_id, s_time, s_min;
	size_t o_id, o_time, o_min;
};

#define NO_KEY (1u << 16)

static inline void id_keys(const struct sd_reader *r, const struct sd_evsel *evs,
		    const struct sd_evsel *evo, struct id_keys *k)
{
	const struct sd_id_map *m = &r->ids;

	k->s_min = NO_KEY;
	k->o_min = NO_KEY;
	if (evs && sd_evx(evs)->s_time && r->nr_evsels == 1) {
		k->s_key = 0;
		k->s_mask = 0;
		k->s_id = 0;
		k->s_time = sd_evx(evs)->s_time;
		k->s_min = k->s_time + 8;
	} else if (evs && sd_evx(evs)->s_time && r->id_pos >= 0 &&
		   m->last_val[0] && r->evsels[m->last_val[0] - 1] == evs) {
		k->s_key = m->last_key[0];
		k->s_mask = UINT64_MAX;
		k->s_id = 8 + 8 * (size_t)r->id_pos;
		k->s_time = sd_evx(evs)->s_time;
		k->s_min = (k->s_id > k->s_time ? k->s_id : k->s_time) + 8;
	}
	if (r->nr_evsels < 2)
		return;
	if (evo && r->is_pos >= 0 && m->last_val[1] &&
	    r->evsels[m->last_val[1] - 1] == evo && sd_evx(evo)->t_time) {
		k->o_key = m->last_key[1];
		k->o_id = 8 * (size_t)r->is_pos;
		k->o_time = sd_evx(evo)->t_time;
		k->o_min = (k->o_id > sd_evx(evo)->t_size ? k->o_id
							   : sd_evx(evo)->t_size) +
			   8;
	}
}

/*
 * extend_stretch()'s loop: records from p on while they extend the
 * stretch, up to lim; where it stopped returned.  late counts those
 * older than lf, the time of the record delivered last, only when
 * count_late (a constant): a loop's times do not go down, so none is
 * when the stretch's last time is no older than lf (the common case,
 * three instructions a record less: kstorm -0.79 M instructions, dso
 * -1.09 M, synth300k -0.90 M).
 */
static inline __attribute__((always_inline)) const uint8_t *
extend_loop(struct sd_reader *r, const uint8_t *p, const uint8_t *lim,
	    struct id_keys *kp, struct sd_evsel **evsp, struct sd_evsel **evop,
	    uint64_t *lastp, uint64_t lf, uint64_t *latep, uint64_t *nsp,
	    bool sw, bool count_late)
{
	struct id_keys k = *kp;
	struct sd_evsel *evs = *evsp, *evo = *evop;
	uint64_t last = *lastp, late = 0, nsamples = 0;

	while (lim - p >= 8) {
		uint32_t type = sd_load32(p, sw);
		uint16_t size = sd_load16(p + 6, sw);
		struct sd_evsel *ev;
		uint64_t t;
		if (size > (size_t)(lim - p))
			break;
		if (type == SD_REC_SAMPLE && size >= k.s_min &&
		    (sd_load64(p + k.s_id, sw) & k.s_mask) == k.s_key) {
			t = sd_load64(p + k.s_time, sw);
			if (t - 1 >= UINT64_MAX - 1 || t < last)
				break;
			nsamples++;
		} else if (type - 1 >= SD_REC_KERNEL_MAX - 1 || size < 8) {
			break;
		} else if (type != SD_REC_SAMPLE && size >= k.o_min &&
			   !(size & 7) &&
			   sd_load64(p + size - k.o_id, sw) == k.o_key) {
			t = sd_load64(p + size - k.o_time, sw);
			if (t - 1 >= UINT64_MAX - 1 || t < last)
				break;
			r->stats.records[type]++;
		} else {
			ev = sd_record_evsel(r, p, size, type, sw);
			struct sd_evsel **slot =
				type == SD_REC_SAMPLE ? &evs : &evo;
			if (!ev || (*slot != ev && *slot))
				break;
			t = sd_record_time(ev, p, size, type, sw);
			if (t - 1 >= UINT64_MAX - 1 || t < last)
				break;
			*slot = ev;
			r->stats.records[type]++;
			id_keys(r, evs, evo, &k);
		}
		if (count_late)
			late += t < lf;
		last = t;
		p += size;
		/* read (or decompressed) a while ago, flushes between */
		sd_prefetch_ahead(p);
	}
	*kp = k;
	*evsp = evs;
	*evop = evo;
	*lastp = last;
	*latep = late;
	*nsp = nsamples;
	return p;
}

/*
 * Records that extend the queue's last stretch, in one loop: whole
 * kernel records lying right after it in the buffer being read (the
 * decompressed one or the source's), timed, no older than the record
 * before, of the stretch's events, while the queue has room.  What
 * sd_queue_push() would do for each, with the queue's state in
 * registers; anything else is left to the record-at-a-time path.
 */
static inline __attribute__((always_inline)) void
extend_stretch(struct sd_reader *r, bool sw)
{
	struct sd_queue *q = &r->q;
	const uint8_t *p = q->tail_end, *base, *end;
	bool dec = r->dpos != r->dend;

	if (dec) {
		base = r->dbuf;
		end = base + r->dend;
		if (p != base + r->dpos)
			return;
	} else {
		base = r->src.buf;
		end = base + r->src.end;
		if (p != base + r->src.pos)
			return;
	}
	struct sd_qent *e = &q->v[(q->tail - 1) & (q->cap - 1)];
	struct sd_evsel *evs = e->ev_s, *evo = e->ev_o;
	uint64_t last = q->last_time, bytes = q->bytes;
	uint64_t lf = q->last_flush, late = 0, nsamples = 0;
	const uint8_t *start = p;
	/* records end by lim: the data's end, or where the queue is full */
	size_t room = bytes < SD_MAX_QUEUE_BYTES ? SD_MAX_QUEUE_BYTES - bytes : 0;
	const uint8_t *lim = (size_t)(end - p) > room ? p + room : end;
	/* the stretch's events told without the id map */
	struct id_keys k;
	id_keys(r, evs, evo, &k);

	if (last < lf)
		p = extend_loop(r, p, lim, &k, &evs, &evo, &last, lf, &late,
				&nsamples, sw, true);
	else
		p = extend_loop(r, p, lim, &k, &evs, &evo, &last, lf, &late,
				&nsamples, sw, false);
	r->stats.records[SD_REC_SAMPLE] += nsamples;
	uint64_t maxt = q->max_time > last ? q->max_time : last;
	if (p == start)
		return;
	e->end = p;
	e->tlast = last;
	e->ev_s = evs;
	e->ev_o = evo;
	q->tail_end = p;
	q->last_time = last;
	q->max_time = maxt;
	q->bytes = bytes + (uint64_t)(p - start);
	r->stats.out_of_order += late;
	if (dec) {
		r->dpos = (size_t)(p - base);
	} else {
		r->src.pos = (size_t)(p - base);
		r->stats.bytes_consumed = r->src.base_off + r->src.pos;
	}
}

#endif
