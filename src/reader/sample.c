/* SPDX-License-Identifier: MIT */
/*
 * Records and samples.
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
 * Other kernel records end with a sample_id_all trailer when the event
 * has sample_id_all: { pid, tid } { time } { id } { stream_id } { cpu }
 * { identifier }, each present by the same sample_type bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

/* The sample_type bits parse_sample() knows the layout of. */
#define SD_SAMPLE_KNOWN ((SD_SAMPLE_WEIGHT_STRUCT << 1) - 1)

/* The event a record belongs to (perf's evlist__event2evsel). */
struct sd_evsel *sd_record_evsel(struct sd_reader *r, const uint8_t *rec,
				 size_t len, uint32_t type)
{
	size_t n = (len - 8) / 8;
	uint64_t id;

	if (!r->nr_evsels)
		return NULL;
	if (r->nr_evsels == 1)
		return r->evsels[0];
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
	struct sd_evsel *ev = sd_id_lookup(r, id);
	if (!ev && !r->evsels[0]->sample_id_all)
		return r->evsels[0];
	return ev;
}

/* Parses a sample_id_all trailer from the end of a record body. */
static int parse_trailer(const struct sd_evsel *ev, struct sd_cursor *body,
			 bool swap, struct sd_sample_id *id)
{
	uint64_t t = ev->sample_type;
	size_t n = 0;

	memset(id, 0, sizeof *id);
	if (!ev->sample_id_all)
		return 0;
	n += !!(t & SD_SAMPLE_TID) + !!(t & SD_SAMPLE_TIME) +
	     !!(t & SD_SAMPLE_ID) + !!(t & SD_SAMPLE_STREAM_ID) +
	     !!(t & SD_SAMPLE_CPU) + !!(t & SD_SAMPLE_IDENTIFIER);
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

int sd_record_time(struct sd_reader *r, const uint8_t *rec, size_t len,
		   uint64_t *time)
{
	uint32_t type = sd_load32(rec, r->swap);
	struct sd_evsel *ev;

	*time = UINT64_MAX;
	if (type >= SD_REC_KERNEL_MAX || type == 0)
		return 0;
	ev = sd_record_evsel(r, rec, len, type);
	if (!ev)
		return 0;
	if (type == SD_REC_SAMPLE) {
		uint64_t t = ev->sample_type;
		size_t at = 8;
		if (!(t & SD_SAMPLE_TIME))
			return 0;
		at += 8 * (!!(t & SD_SAMPLE_IDENTIFIER) + !!(t & SD_SAMPLE_IP) +
			   !!(t & SD_SAMPLE_TID));
		if (at + 8 <= len)
			*time = sd_load64(rec + at, r->swap);
		return 0;
	}
	if (!ev->sample_id_all || !(ev->sample_type & SD_SAMPLE_TIME))
		return 0;
	struct sd_cursor body = sd_cursor_make(rec + 8, len - 8, r->swap);
	struct sd_sample_id id;
	if (parse_trailer(ev, &body, r->swap, &id) == 0 && id.has_time)
		*time = id.time;
	return 0;
}

static const uint64_t *borrow_u64s(struct sd_reader *r, struct sd_cursor *c,
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

static int parse_sample(struct sd_reader *r, const struct sd_evsel *ev,
			struct sd_cursor *c, struct sd_record *rec)
{
	struct sd_sample *s = &rec->sample;
	struct sd_sample_id *id = &rec->id;
	uint64_t t = ev->sample_type, v;
	uint32_t a, b;
	int err = 0;

#define U64(dst)                                                               \
	do {                                                                   \
		if ((err = sd_cur_u64(c, &(dst))))                             \
			return err;                                            \
	} while (0)
#define U32PAIR(x, y)                                                          \
	do {                                                                   \
		if ((err = sd_cur_u32(c, &(x))) || (err = sd_cur_u32(c, &(y)))) \
			return err;                                            \
	} while (0)

	memset(s, 0, sizeof *s);
	memset(id, 0, sizeof *id);
	s->period = 1;
	if (t & SD_SAMPLE_IDENTIFIER) {
		U64(id->id);
		id->has_id = true;
	}
	if (t & SD_SAMPLE_IP)
		U64(s->ip);
	if (t & SD_SAMPLE_TID) {
		U32PAIR(id->pid, id->tid);
		id->has_tid = true;
	}
	if (t & SD_SAMPLE_TIME) {
		U64(id->time);
		id->has_time = true;
	}
	if (t & SD_SAMPLE_ADDR)
		U64(s->addr);
	if (t & SD_SAMPLE_ID) {
		U64(id->id);
		id->has_id = true;
	}
	if (t & SD_SAMPLE_STREAM_ID)
		U64(id->stream_id);
	if (t & SD_SAMPLE_CPU) {
		U32PAIR(a, b);
		id->cpu = a;
		id->has_cpu = true;
	}
	if (t & SD_SAMPLE_PERIOD)
		U64(s->period);
	if (t & SD_SAMPLE_READ) {
		uint64_t rf = ev->read_format;
		size_t per = 1 + !!(rf & SD_FORMAT_ID) + !!(rf & SD_FORMAT_LOST);
		if (rf & SD_FORMAT_GROUP) {
			uint64_t nr;
			U64(nr);
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
	}
	if (t & SD_SAMPLE_CALLCHAIN) {
		uint64_t nr;
		U64(nr);
		if (nr > sd_cur_left(c) / 8)
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
		s->ips = borrow_u64s(r, c, s->nr_ips);
		c->off += (nr - s->nr_ips) * 8;
		if (!s->ips)
			return -ENOMEM;
	}
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
	/*
	 * The kernel sizes a sample to its fields.  With every field known,
	 * 8 bytes or more beyond them mean a damaged size, which also made
	 * the records after this one part of it: say so, the fields read are
	 * still good.
	 */
	if (!(t & ~SD_SAMPLE_KNOWN) && sd_cur_left(c) >= 8)
		sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD,
			     rec->offset,
			     "a sample of %u bytes has %zu bytes beyond its "
			     "fields: its size is damaged, and records that "
			     "followed it were skipped with it",
			     rec->size, sd_cur_left(c));
#undef U64
#undef U32PAIR
	return 0;
}

/* A NUL-terminated string that ends inside [p, p + n), or NULL. */
static const char *record_string(struct sd_reader *r, const uint8_t *p,
				 size_t n)
{
	if (memchr(p, 0, n))
		return (const char *)p;
	/* Unterminated: copy and terminate, as perf would read past it. */
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
int sd_parse_record(struct sd_reader *r, const uint8_t *data, size_t len,
		    uint64_t offset, bool compressed, struct sd_record *out)
{
	struct sd_cursor c;
	struct sd_evsel *ev;
	uint32_t type = sd_load32(data, r->swap);
	int err = 0;

	/* all of it: a field one record type leaves alone (an MMAP2's
	 * build-id) must not keep the previous record's value */
	memset(out, 0, sizeof *out);
	out->type = type;
	out->misc = sd_load16(data + 4, r->swap);
	out->size = sd_load16(data + 6, r->swap);
	out->offset = offset;
	out->compressed = compressed;
	if (type == 0 || type >= SD_REC_KERNEL_MAX)
		return 0;

	ev = sd_record_evsel(r, data, len, type);
	out->evsel = ev;
	c = sd_cursor_make(data + 8, len - 8, r->swap);
	if (type == SD_REC_SAMPLE) {
		if (!ev) {
			r->stats.unknown_id_samples++;
			return -SD_E_UNKNOWN_EVENT;
		}
		return parse_sample(r, ev, &c, out);
	}
	if (ev && (err = parse_trailer(ev, &c, r->swap, &out->id)))
		return err;

	switch (type) {
	case SD_REC_COMM: {
		struct sd_comm *cm = &out->comm;
		if ((err = sd_cur_u32(&c, &cm->pid)) ||
		    (err = sd_cur_u32(&c, &cm->tid)))
			return err;
		cm->exec = out->misc & SD_MISC_COMM_EXEC;
		cm->comm = record_string(r, c.base + c.off, sd_cur_left(&c));
		if (!cm->comm)
			return -ENOMEM;
		break;
	}
	case SD_REC_FORK:
	case SD_REC_EXIT: {
		struct sd_task *tk = &out->task;
		if ((err = sd_cur_u32(&c, &tk->pid)) ||
		    (err = sd_cur_u32(&c, &tk->ppid)) ||
		    (err = sd_cur_u32(&c, &tk->tid)) ||
		    (err = sd_cur_u32(&c, &tk->ptid)) ||
		    (err = sd_cur_u64(&c, &tk->time)))
			return err;
		break;
	}
	case SD_REC_MMAP:
	case SD_REC_MMAP2: {
		struct sd_mmap *m = &out->mmap;
		if ((err = sd_cur_u32(&c, &m->pid)) ||
		    (err = sd_cur_u32(&c, &m->tid)) ||
		    (err = sd_cur_u64(&c, &m->start)) ||
		    (err = sd_cur_u64(&c, &m->len)) ||
		    (err = sd_cur_u64(&c, &m->pgoff)))
			return err;
		if (type == SD_REC_MMAP2) {
			const uint8_t *p;
			if ((err = sd_cur_bytes(&c, 24, &p)))
				return err;
			if (out->misc & SD_MISC_MMAP_BUILD_ID) {
				m->build_id.size = p[0] <= 20 ? p[0] : 20;
				memcpy(m->build_id.data, p + 4,
				       m->build_id.size);
			}
			if ((err = sd_cur_u32(&c, &m->prot)) ||
			    (err = sd_cur_u32(&c, &m->flags)))
				return err;
		}
		m->filename = record_string(r, c.base + c.off, sd_cur_left(&c));
		if (!m->filename)
			return -ENOMEM;
		break;
	}
	case SD_REC_LOST:
		if ((err = sd_cur_u64(&c, &out->lost.id)) ||
		    (err = sd_cur_u64(&c, &out->lost.lost)))
			return err;
		break;
	case SD_REC_LOST_SAMPLES:
		if ((err = sd_cur_u64(&c, &out->lost.lost)))
			return err;
		break;
	default:
		break;
	}
	return 0;
}
