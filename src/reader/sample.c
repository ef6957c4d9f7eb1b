/* SPDX-License-Identifier: MIT */
/*
 * Records other than samples, the event a record belongs to, and the
 * parts of a SAMPLE off the hot path (next.c parses the rest).
 *
 *	struct perf_event_header { u32 type; u16 misc; u16 size; };
 *
 * Other kernel records end with a sample_id_all trailer when the event
 * has sample_id_all: { pid, tid } { time } { id } { stream_id } { cpu }
 * { identifier }, each present by the same sample_type bits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"
#include "util/hash.h"

/* The event of a nonzero id; the id looked up last for the same kind of
 * record (c: 0 samples, 1 trailers) is tried first. */
static struct sd_evsel *id_find(struct sd_reader *r, uint64_t id, int c)
{
	struct sd_id_map *m = &r->ids;

	if (m->last_val[c] && m->last_key[c] == id)
		return r->evsels[m->last_val[c] - 1];
	if (!m->nslots)
		return NULL;
	size_t j = sd_mix64(id) & (m->nslots - 1);
	while (m->vals[j]) {
		if (m->keys[j] == id) {
			m->last_key[c] = id;
			m->last_val[c] = m->vals[j];
			return r->evsels[m->vals[j] - 1];
		}
		j = (j + 1) & (m->nslots - 1);
	}
	return NULL;
}

/* The event a record belongs to (perf's evlist__event2evsel); one event
 * is taken by sd_record_evsel() in internal.h. */
struct sd_evsel *sd_record_evsel_slow(struct sd_reader *r,
				      const uint8_t *rec, size_t len,
				      uint32_t type)
{
	size_t n = (len - 8) / 8;
	uint64_t id;

	if (r->nr_evsels == 1)
		return r->evsels[0];
	if (!r->nr_evsels)
		return NULL;
	if (type != SD_REC_SAMPLE && !r->evsels[0]->sample_id_all)
		return r->evsels[0];
	if (type == SD_REC_SAMPLE) {
		if (r->id_pos < 0 || (size_t)r->id_pos >= n)
			return r->id_pos < 0 ? r->evsels[0] : NULL;
		id = sd_load64(rec + 8 + 8 * (size_t)r->id_pos, r->swap);
	} else {
		if (r->is_pos < 0 || (size_t)r->is_pos > n)
			return r->is_pos < 0 ? r->evsels[0] : NULL;
		id = sd_load64(rec + 8 + 8 * (n - (size_t)r->is_pos), r->swap);
	}
	if (!id)
		return r->evsels[0]; /* synthesized records carry id 0 */
	struct sd_evsel *ev = id_find(r, id, type != SD_REC_SAMPLE);
	if (!ev && !r->evsels[0]->sample_id_all)
		return r->evsels[0];
	return ev;
}

/* Parses a sample_id_all trailer from the end of a record body into id,
 * which the caller zeroed. */
static inline __attribute__((always_inline)) int parse_trailer(const struct sd_evsel *ev, struct sd_cursor *body,
			 bool swap, struct sd_sample_id *id)
{
	uint64_t t = ev->sample_type;
	size_t n = 0;

	if (!ev->sample_id_all)
		return 0;
	n = sd_evx(ev)->t_size / 8; /* 8 bytes a field, attr.c */
	if (n * 8 > body->len)
		return -SD_E_BAD_RECORD;
	const uint8_t *p = body->base + body->len - n * 8;
	body->len -= n * 8; /* the payload ends where the trailer starts */
	if (body->off > body->len)
		return -SD_E_BAD_RECORD;
	if (t & SD_SAMPLE_TID) {
		id->pid = sd_load32(p, swap);
		id->tid = sd_load32(p + 4, swap);
		id->has_tid = true;
		p += 8;
	}
	if (t & SD_SAMPLE_TIME) {
		id->time = sd_load64(p, swap);
		id->has_time = true;
		p += 8;
	}
	if (t & SD_SAMPLE_ID) {
		id->id = sd_load64(p, swap);
		id->has_id = true;
		p += 8;
	}
	if (t & SD_SAMPLE_STREAM_ID) {
		id->stream_id = sd_load64(p, swap);
		p += 8;
	}
	if (t & SD_SAMPLE_CPU) {
		id->cpu = sd_load32(p, swap);
		id->has_cpu = true;
		p += 8;
	}
	if (t & SD_SAMPLE_IDENTIFIER) {
		id->id = sd_load64(p, swap);
		id->has_id = true;
	}
	return 0;
}

const uint64_t *sd_borrow_u64s(struct sd_reader *r, struct sd_cursor *c,
			       uint64_t n)
{
	static const uint64_t none[1];
	const uint8_t *p = c->base + c->off;

	c->off += n * 8;
	/* an empty chain is not an allocation failure, even before the
	 * scratch array exists */
	if (n == 0)
		return none;
	if (!r->swap && ((uintptr_t)p & 7) == 0)
		return (const uint64_t *)(const void *)p;
	if (n > r->ips_cap) {
		uint64_t *v = realloc(r->ips_scratch, n * sizeof *v);
		if (!v)
			return NULL;
		r->ips_scratch = v;
		r->ips_cap = n;
	}
	for (uint64_t i = 0; i < n; i++)
		r->ips_scratch[i] = sd_load64(p + 8 * i, r->swap);
	return r->ips_scratch;
}

static int skip_regs(struct sd_cursor *c, uint64_t mask)
{
	uint64_t abi;
	int err = sd_cur_u64(c, &abi);

	if (err)
		return err;
	if (abi)
		return sd_cur_skip(c, 8 * (size_t)__builtin_popcountll(mask));
	return 0;
}

/* READ's size (the fixed fields end at off): 0, or -SD_E_* */
int sd_skip_read(const struct sd_evsel *ev, const uint8_t *data,
		     size_t len, bool swap, size_t *off)
{
	struct sd_cursor cur = sd_cursor_make(data, len, swap), *c = &cur;
	uint64_t rf = ev->read_format;
	size_t per = 1 + !!(rf & SD_FORMAT_ID) + !!(rf & SD_FORMAT_LOST);
	int err;

	cur.off = *off;
	if (rf & SD_FORMAT_GROUP) {
		uint64_t nr;
		if ((err = sd_cur_u64(c, &nr)))
			return err;
		if ((err = sd_cur_skip(
			     c, 8 * (!!(rf & SD_FORMAT_TOTAL_TIME_ENABLED) +
				     !!(rf & SD_FORMAT_TOTAL_TIME_RUNNING)))))
			return err;
		if (nr > sd_cur_left(c) / (8 * per))
			return -SD_E_BAD_RECORD;
		c->off += nr * 8 * per;
	} else {
		size_t n = per + !!(rf & SD_FORMAT_TOTAL_TIME_ENABLED) +
			   !!(rf & SD_FORMAT_TOTAL_TIME_RUNNING);
		if ((err = sd_cur_skip(c, 8 * n)))
			return err;
	}
	*off = cur.off;
	return 0;
}

#define U64(dst)                                                               \
	do {                                                                   \
		if ((err = sd_cur_u64(c, &(dst))))                             \
			return err;                                            \
	} while (0)

/* A SAMPLE's fields after CALLCHAIN. */
int sd_parse_sample_tail(struct sd_reader *r, const struct sd_evsel *ev,
			     struct sd_cursor *c, struct sd_sample *s)
{
	uint64_t t = ev->sample_type, v;
	int err = 0;

	if (t & SD_SAMPLE_RAW) {
		uint32_t size;
		const uint8_t *p;
		if ((err = sd_cur_u32(c, &size)))
			return err;
		if ((err = sd_cur_bytes(c, size, &p)))
			return -SD_E_BAD_RECORD;
		s->raw_size = size;
		s->raw = p;
		/* u32 size + data are padded to 8 bytes together */
		size_t pad = (8 - ((4 + (size_t)size) & 7)) & 7;
		if (sd_cur_skip(c, pad))
			c->off = c->len;
	}
	if (t & SD_SAMPLE_BRANCH_STACK) {
		U64(s->nr_branches);
		if (ev->branch_sample_type & SD_BRANCH_HW_INDEX)
			U64(v);
		if (s->nr_branches > sd_cur_left(c) / 24)
			return -SD_E_BAD_RECORD;
		c->off += s->nr_branches * 24;
	}
	if (t & SD_SAMPLE_REGS_USER) {
		U64(s->regs_abi);
		if (s->regs_abi) {
			uint64_t mask = ev->sample_regs_user;
			size_t n = (size_t)__builtin_popcountll(mask);
			if (n * 8 > sd_cur_left(c))
				return -SD_E_BAD_RECORD;
			for (size_t i = 0; i < n; i++)
				U64(r->regs_scratch[i]);
			s->regs_mask = mask;
			s->regs = r->regs_scratch;
		}
	}
	if (t & SD_SAMPLE_STACK_USER) {
		uint64_t size;
		U64(size);
		if (size) {
			const uint8_t *p;
			if (size > sd_cur_left(c) ||
			    sd_cur_bytes(c, (size_t)size, &p))
				return -SD_E_BAD_RECORD;
			U64(v); /* dyn_size: how much of it the kernel filled */
			s->stack = p;
			s->stack_size = v < size ? v : size;
		}
	}
	if (t & (SD_SAMPLE_WEIGHT | SD_SAMPLE_WEIGHT_STRUCT))
		U64(s->weight);
	if (t & SD_SAMPLE_DATA_SRC)
		U64(s->data_src);
	if (t & SD_SAMPLE_TRANSACTION)
		U64(s->transaction);
	if ((t & SD_SAMPLE_REGS_INTR) &&
	    (err = skip_regs(c, ev->sample_regs_intr)))
		return err;
	if (t & SD_SAMPLE_PHYS_ADDR)
		U64(s->phys_addr);
	if (t & SD_SAMPLE_CGROUP)
		U64(s->cgroup);
	if (t & SD_SAMPLE_DATA_PAGE_SIZE)
		U64(s->data_page_size);
	if (t & SD_SAMPLE_CODE_PAGE_SIZE)
		U64(s->code_page_size);
	if (t & SD_SAMPLE_AUX) {
		uint64_t size;
		U64(size);
		if (size > sd_cur_left(c))
			return -SD_E_BAD_RECORD;
		c->off += size;
	}
	return 0;
}
#undef U64

/* An unterminated string [p, p + n) copied and terminated, as perf would
 * read past it; NULL without memory. */
static __attribute__((noinline)) const char *
unterminated(struct sd_reader *r, const uint8_t *p, size_t n)
{
	if (n + 1 > r->str_cap) {
		char *s = realloc(r->str_scratch, n + 1);
		if (!s)
			return NULL;
		r->str_scratch = s;
		r->str_cap = n + 1;
	}
	memcpy(r->str_scratch, p, n);
	r->str_scratch[n] = '\0';
	return r->str_scratch;
}

/* A NUL-terminated string that ends inside [p, p + n), or NULL. */
static inline __attribute__((always_inline)) const char *
record_string(struct sd_reader *r, const uint8_t *p, size_t n)
{
	/* perf pads a string with NULs to 8 bytes: the last byte one
	 * almost always, no search then */
	if ((n && !p[n - 1]) || memchr(p, 0, n))
		return (const char *)p;
	return unterminated(r, p, n);
}

/*
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
 * each followed by the sample_id_all trailer.
 */
static inline __attribute__((always_inline)) int
parse_record(struct sd_reader *r, const uint8_t *data, size_t len,
	     uint64_t offset, bool compressed, struct sd_evsel *ev,
	     struct sd_record *out, bool sw)
{
	uint32_t type = sd_load32(data, sw);
	int err = 0;

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
	/* the ids: parse_trailer() sets those its event has */
	memset(&out->id, 0, sizeof out->id);
	memset(&out->mmap, 0, sizeof out->mmap);
	_Static_assert(sizeof(struct sd_mmap) >= sizeof(struct sd_comm) &&
			       sizeof(struct sd_mmap) >= sizeof(struct sd_task) &&
			       sizeof(struct sd_mmap) >= sizeof(struct sd_lost),
		       "the MMAP fields cover the other kinds'");
	if (type == 0 || type >= SD_REC_KERNEL_MAX)
		return 0;

	out->evsel = ev;
	struct sd_cursor c = sd_cursor_make(data + 8, len - 8, sw);
	if (ev && (err = parse_trailer(ev, &c, sw, &out->id)))
		return err;
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

int sd_bad_record(struct sd_reader *r, int err, uint64_t off,
		  bool compressed, uint32_t type, size_t len)
{
	if (err == -ENOMEM)
		return err;
	if (err != -SD_E_UNKNOWN_EVENT) {
		r->stats.bad_records++;
		sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD, off,
			     "damaged %s record (type %u, %zu bytes) skipped",
			     compressed ? "compressed" : "", type, len);
	}
	return 0;
}

/* An EXIT that parse_record() would take whole: its body's 24 bytes
 * and its event's trailer. */
static bool exit_whole(const struct sd_evsel *ev, size_t len)
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

/* Compiled for each byte order: sw a constant in the loads. */
int sd_deliver_other(struct sd_reader *r, const uint8_t *p, uint64_t off,
		     bool compressed, struct sd_evsel *ev,
		     const struct sd_record **out)
{
	if (r->swap)
		return deliver_other(r, p, off, compressed, ev, out, true);
	return deliver_other(r, p, off, compressed, ev, out, false);
}
