/* SPDX-License-Identifier: MIT */
/*
 * A SAMPLE record parsed in place into the reader's record: its fixed
 * fields (in the host's order by the places attr.c worked out, each one
 * load and a mask), then READ, CALLCHAIN and what follows it.  Included
 * by next.c alone, whose deliver() inlines parse_sample() into the
 * record loop (a call there costs the hot path; hence a header, not a
 * .c file).
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
#ifndef SD_READER_SAMPLE_PARSE_H
#define SD_READER_SAMPLE_PARSE_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "reader/internal.h"

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

#endif
