/* SPDX-License-Identifier: MIT */
/*
 * Records other than samples (parsed by other.h, compiled here for
 * next.c and for the other byte order), the event a record belongs to,
 * and the parts of a SAMPLE off the hot path (next.c parses the rest).
 *
 *	struct perf_event_header { u32 type; u16 misc; u16 size; };
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"
#include "reader/other.h"
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

const char *sd_record_string_copy(struct sd_reader *r, const uint8_t *p,
				  size_t n)
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

/* Compiled for each byte order: sw a constant in the loads. */
int sd_deliver_other(struct sd_reader *r, const uint8_t *p, uint64_t off,
		     bool compressed, struct sd_evsel *ev,
		     const struct sd_record **out)
{
	if (r->swap)
		return deliver_other(r, p, off, compressed, ev, out, true);
	return deliver_other(r, p, off, compressed, ev, out, false);
}
