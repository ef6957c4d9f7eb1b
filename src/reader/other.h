/* SPDX-License-Identifier: MIT */
/*
 * Kernel records other than samples parsed into the reader's record
 * (sample.c's sd_deliver_other(), and views.c's, which inlines it for
 * the record that ends a run of views: the call and the byte order's
 * test cost ~30 instructions a record).  The sample_id_all trailer is
 * read one way in either byte order: by the places attr.c worked out
 * (each field one load and a mask, no test), as next.c reads a sample's
 * fixed fields; in the other byte order the two u32 halves of pid/tid
 * and cpu/res are swapped back (sw a constant: no test in the host's).
 * Under SD_SKIP_SAMPLE_IDS only its TIME is read (the machine reads no
 * other field): 15 instructions less a record, kstorm -0.88 M.
 *
 * Kernel record bodies (after the 8-byte header):
 *	MMAP:	u32 pid, tid; u64 start, len, pgoff; char filename[];
 *	MMAP2:	u32 pid, tid; u64 start, len, pgoff;
 *		{ u32 maj, min; u64 ino, ino_generation; }
 *		 | { u8 build_id_size; u8 pad[3]; u8 build_id[20]; }
 *		u32 prot, flags; char filename[];
 *	COMM:	u32 pid, tid; char comm[];
 *	FORK/EXIT: u32 pid, ppid, tid, ptid; u64 time;
 *	LOST:	u64 id, lost;
 *	LOST_SAMPLES: u64 lost;
 *	THROTTLE/UNTHROTTLE: u64 time, id, stream_id;
 * each followed by the sample_id_all trailer when the event has
 * sample_id_all: { pid, tid } { time } { id } { stream_id } { cpu }
 * { identifier }, each present by the same sample_type bits.
 */
#ifndef SD_READER_OTHER_H
#define SD_READER_OTHER_H

#include <errno.h>
#include <string.h>

#include "reader/internal.h"

/* A NUL-terminated string that ends inside [p, p + n), or NULL. */
static inline __attribute__((always_inline)) const char *
record_string(struct sd_reader *r, const uint8_t *p, size_t n)
{
	/* perf pads a string with NULs to 8 bytes: the last byte one
	 * almost always, no search then */
	if ((n && !p[n - 1]) || memchr(p, 0, n))
		return (const char *)p;
	return sd_record_string_copy(r, p, n);
}

/* A kernel record other than a SAMPLE into out, every field set. */
static inline __attribute__((always_inline)) int
parse_record(struct sd_reader *r, const uint8_t *data, size_t len,
	     uint64_t offset, bool compressed, struct sd_evsel *ev,
	     struct sd_record *out, bool sw)
{
	uint32_t type = sd_load32(data, sw);
	/* every field a record of this type has is set below; the other
	 * kinds' fields are zeroed (an MMAP2's build-id must not keep the
	 * previous record's value), the sample's only as far as they share
	 * memory with them (next.c's tail_dirty clears the rest) */
	out->type = type;
	out->misc = sd_load16(data + 4, sw);
	out->size = sd_load16(data + 6, sw);
	out->offset = offset;
	out->compressed = compressed;
	out->evsel = NULL;
	memset(&out->mmap, 0, sizeof out->mmap);
	_Static_assert(sizeof(struct sd_mmap) >= sizeof(struct sd_comm) &&
			       sizeof(struct sd_mmap) >= sizeof(struct sd_task) &&
			       sizeof(struct sd_mmap) >= sizeof(struct sd_lost),
		       "the MMAP fields cover the other kinds'");
	if (type == 0 || type >= SD_REC_KERNEL_MAX) {
		memset(&out->id, 0, sizeof out->id);
		return 0;
	}

	out->evsel = ev;
	struct sd_cursor c = sd_cursor_make(data + 8, len - 8, sw);
	const struct sd_evx *x = ev ? sd_evx(ev) : NULL;
	if (!x || !x->t_size) {
		memset(&out->id, 0, sizeof out->id);
	} else if (x->t_size > c.len) {
		memset(&out->id, 0, sizeof out->id);
		return -SD_E_BAD_RECORD;
	} else if (r->skip_ids) {
		/* its time alone: the machine reads no other field */
		out->id = (struct sd_sample_id){
			.time = sd_load64(data + len - x->tx_off[SD_TX_TIME],
					  sw) & x->tx_mask[SD_TX_TIME],
			.has_time = x->tx_has[1],
		};
		c.len -= x->t_size;
	} else {
		/* the trailer's fields by their places (none absent reads
		 * the trailer's first u64, masked off); a u64 read in the
		 * other byte order has its two u32 halves (pid and tid, cpu
		 * and res) the other way round */
		const uint8_t *end = data + len;
		struct sd_sample_id *id = &out->id;
#define TX(f) (sd_load64(end - x->tx_off[f], sw) & x->tx_mask[f])
		uint64_t tid = TX(SD_TX_TID), cpu = TX(SD_TX_CPU);
		if (sw) {
			tid = tid << 32 | tid >> 32;
			cpu = cpu << 32 | cpu >> 32;
		}
		memcpy(&id->pid, &tid, 8);
		id->time = TX(SD_TX_TIME);
		id->id = TX(SD_TX_ID);
		id->stream_id = TX(SD_TX_STREAM);
		memcpy(&id->cpu, &cpu, 4);
		memcpy(&id->has_tid, x->tx_has, 4);
#undef TX
		c.len -= x->t_size; /* the payload ends where it starts */
	}
	/* the body: c.base[0, c.len) */
	const uint8_t *b = c.base;
	size_t n = c.len;

	switch (type) {
	case SD_REC_COMM: {
		struct sd_comm *cm = &out->comm;
		if (n < 8)
			return -SD_E_TRUNCATED;
		cm->pid = sd_load32(b, sw);
		cm->tid = sd_load32(b + 4, sw);
		cm->exec = out->misc & SD_MISC_COMM_EXEC;
		cm->comm = record_string(r, b + 8, n - 8);
		if (!cm->comm)
			return -ENOMEM;
		break;
	}
	case SD_REC_FORK:
	case SD_REC_EXIT: {
		struct sd_task *tk = &out->task;
		if (n < 24)
			return -SD_E_TRUNCATED;
		tk->pid = sd_load32(b, sw);
		tk->ppid = sd_load32(b + 4, sw);
		tk->tid = sd_load32(b + 8, sw);
		tk->ptid = sd_load32(b + 12, sw);
		tk->time = sd_load64(b + 16, sw);
		break;
	}
	case SD_REC_MMAP:
	case SD_REC_MMAP2: {
		struct sd_mmap *m = &out->mmap;
		size_t at = 32;
		if (n < 32)
			return -SD_E_TRUNCATED;
		m->pid = sd_load32(b, sw);
		m->tid = sd_load32(b + 4, sw);
		m->start = sd_load64(b + 8, sw);
		m->len = sd_load64(b + 16, sw);
		m->pgoff = sd_load64(b + 24, sw);
		if (type == SD_REC_MMAP2) {
			if (n < 64)
				return -SD_E_TRUNCATED;
			const uint8_t *p = b + 32;
			if (out->misc & SD_MISC_MMAP_BUILD_ID) {
				m->build_id.size = p[0] <= 20 ? p[0] : 20;
				memcpy(m->build_id.data, p + 4,
				       m->build_id.size);
			}
			m->prot = sd_load32(b + 56, sw);
			m->flags = sd_load32(b + 60, sw);
			at = 64;
		}
		m->filename = record_string(r, b + at, n - at);
		if (!m->filename)
			return -ENOMEM;
		break;
	}
	case SD_REC_LOST:
		if (n < 16)
			return -SD_E_TRUNCATED;
		out->lost.id = sd_load64(b, sw);
		out->lost.lost = sd_load64(b + 8, sw);
		break;
	case SD_REC_LOST_SAMPLES:
		if (n < 8)
			return -SD_E_TRUNCATED;
		out->lost.lost = sd_load64(b, sw);
		break;
	default:
		break;
	}
	return 0;
}

/* An EXIT that parse_record() would take whole: its body's 24 bytes
 * and its event's trailer. */
static inline bool exit_whole(const struct sd_evsel *ev, size_t len)
{
	size_t trailer = ev && ev->sample_id_all ? sd_evx(ev)->t_size & ~7u : 0;

	return len >= 32 + trailer;
}

static inline __attribute__((always_inline)) int
deliver_other(struct sd_reader *r, const uint8_t *p, uint64_t off,
	      bool compressed, struct sd_evsel *ev,
	      const struct sd_record **out, bool sw)
{
	struct sd_record *rec = &r->rec;
	uint32_t type = sd_load32(p, sw);
	size_t len = sd_load16(p + 6, sw);

	if (type == SD_REC_EXIT && r->skip_exit && exit_whole(ev, len))
		return 0;
	int err = parse_record(r, p, len, off, compressed, ev, rec, sw);

	/* its fields share memory with a sample's */
	r->tail_dirty = true;
	if (err)
		return sd_bad_record(r, err, off, compressed, type, len);
	if (type == SD_REC_LOST)
		r->stats.lost_events += rec->lost.lost;
	else if (type == SD_REC_LOST_SAMPLES)
		r->stats.lost_samples += rec->lost.lost;
	*out = rec;
	return 1;
}

#endif
