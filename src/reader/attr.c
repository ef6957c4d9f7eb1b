/* SPDX-License-Identifier: MIT */
/*
 * Events: perf_event_attr and the ids that map records to events.
 *
 * struct perf_event_attr on disk (uapi/linux/perf_event.h); it grows at
 * the end, attr.size says how much was written (0 means 64):
 *
 *	  0 u32 type		  4 u32 size
 *	  8 u64 config
 *	 16 u64 sample_period | sample_freq
 *	 24 u64 sample_type
 *	 32 u64 read_format
 *	 40 u64 flags		  bitfield: disabled ... sample_id_all (18) ...
 *	 48 u32 wakeup_events	 52 u32 bp_type
 *	 56 u64 config1				  (PERF_ATTR_SIZE_VER0 = 64)
 *	 64 u64 config2				  (VER1 = 72)
 *	 72 u64 branch_sample_type		  (VER2 = 80)
 *	 80 u64 sample_regs_user
 *	 88 u32 sample_stack_user	 92 s32 clockid	  (VER3 = 96)
 *	 96 u64 sample_regs_intr		  (VER4 = 104)
 *	104 u32 aux_watermark	108 u16 sample_max_stack
 *	110 u16 reserved			  (VER5 = 112)
 *	112 u32 aux_sample_size	116 u32 reserved  (VER6 = 120)
 *	120 u64 sig_data			  (VER7 = 128)
 *	128 u64 config3				  (VER8 = 136)
 *
 * In a big-endian file the bitfield word is stored with bit 0 as the most
 * significant bit of its first byte; reversing the bits of each byte (no
 * byte swap) gives the host layout, as perf's swap_bitfield() does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"
#include "util/hash.h"

static uint8_t revbyte(uint8_t b)
{
	b = (uint8_t)((b & 0xf0) >> 4 | (b & 0x0f) << 4);
	b = (uint8_t)((b & 0xcc) >> 2 | (b & 0x33) << 2);
	b = (uint8_t)((b & 0xaa) >> 1 | (b & 0x55) << 1);
	return b;
}

static uint64_t attr_flags(const uint8_t *p, bool swap)
{
	uint8_t b[8];
	uint64_t v = 0;

	memcpy(b, p, 8);
	if (!swap)
		return sd_load64(b, false);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)revbyte(b[i]) << (8 * i);
	return v;
}

/*
 * Where a SAMPLE's fixed fields lie (sample.c's layout: IDENTIFIER, IP,
 * TID, TIME, ADDR, ID, STREAM_ID, CPU, PERIOD each one u64, before the
 * first field of variable size), and the TIME of the sample_id_all
 * trailer: { pid, tid } { time } { id } { stream_id } { cpu }
 * { identifier }, counted back from the end of the record.
 */
static void evx_layout(struct sd_evx *x)
{
	uint64_t t = x->ev.sample_type;
	uint16_t at = 8; /* after the record header */

#define SLOT(bit, field)                                                       \
	do {                                                                   \
		if (t & (bit)) {                                               \
			x->field = at;                                         \
			at += 8;                                               \
		}                                                              \
	} while (0)
	SLOT(SD_SAMPLE_IDENTIFIER, s_id);
	SLOT(SD_SAMPLE_IP, s_ip);
	SLOT(SD_SAMPLE_TID, s_tid);
	SLOT(SD_SAMPLE_TIME, s_time);
	SLOT(SD_SAMPLE_ADDR, s_addr);
	SLOT(SD_SAMPLE_ID, s_id); /* the later one is what the parse keeps */
	SLOT(SD_SAMPLE_STREAM_ID, s_stream);
	SLOT(SD_SAMPLE_CPU, s_cpu);
	SLOT(SD_SAMPLE_PERIOD, s_period);
#undef SLOT
	x->s_end = at;
	const uint16_t off[SD_NFX] = {
		[SD_FX_ID] = x->s_id, [SD_FX_IP] = x->s_ip,
		[SD_FX_TID] = x->s_tid, [SD_FX_TIME] = x->s_time,
		[SD_FX_ADDR] = x->s_addr, [SD_FX_STREAM] = x->s_stream,
		[SD_FX_CPU] = x->s_cpu, [SD_FX_PERIOD] = x->s_period,
	};
	for (int i = 0; i < SD_NFX; i++) {
		x->fx_off[i] = off[i];
		x->fx_mask[i] = off[i] ? UINT64_MAX : 0;
	}
	x->fx_has[0] = x->s_tid != 0;
	x->fx_has[1] = x->s_time != 0;
	x->fx_has[2] = x->s_id != 0;
	x->fx_has[3] = x->s_cpu != 0;
	x->fx_has_lean[0] = x->fx_has[0];
	x->fx_has_lean[1] = x->fx_has[1];
	x->plain = (t & SD_SAMPLE_CALLCHAIN) &&
		   !(t & (SD_SAMPLE_READ | SD_SAMPLE_AFTER_CALLCHAIN)) &&
		   !(t & ~SD_SAMPLE_KNOWN);
	x->view = x->plain && x->s_ip && x->s_tid && x->s_time && x->s_period;

	if (!x->ev.sample_id_all)
		return;
	uint16_t after_time = 8 * (!!(t & SD_SAMPLE_ID) +
				   !!(t & SD_SAMPLE_STREAM_ID) +
				   !!(t & SD_SAMPLE_CPU) +
				   !!(t & SD_SAMPLE_IDENTIFIER));
	x->t_size = after_time + 8 * (!!(t & SD_SAMPLE_TID) +
				      !!(t & SD_SAMPLE_TIME));
	if (t & SD_SAMPLE_TIME)
		x->t_time = after_time + 8;
	/* the trailer's fields in its order, IDENTIFIER's id kept over
	 * ID's as the parse keeps it */
	uint16_t at_t = 0, pos[SD_NTX] = {0};
	bool has[SD_NTX] = {0};
#define TSLOT(bit, f)                                                          \
	do {                                                                   \
		if (t & (bit)) {                                               \
			pos[f] = at_t;                                         \
			has[f] = true;                                         \
			at_t += 8;                                             \
		}                                                              \
	} while (0)
	TSLOT(SD_SAMPLE_TID, SD_TX_TID);
	TSLOT(SD_SAMPLE_TIME, SD_TX_TIME);
	TSLOT(SD_SAMPLE_ID, SD_TX_ID);
	TSLOT(SD_SAMPLE_STREAM_ID, SD_TX_STREAM);
	TSLOT(SD_SAMPLE_CPU, SD_TX_CPU);
	TSLOT(SD_SAMPLE_IDENTIFIER, SD_TX_ID);
#undef TSLOT
	for (int i = 0; i < SD_NTX; i++) {
		x->tx_off[i] = (uint16_t)(x->t_size - (has[i] ? pos[i] : 0));
		x->tx_mask[i] = has[i] ? UINT64_MAX : 0;
	}
	x->tx_has[0] = has[SD_TX_TID];
	x->tx_has[1] = has[SD_TX_TIME];
	x->tx_has[2] = has[SD_TX_ID];
	x->tx_has[3] = has[SD_TX_CPU];
}

int sd_parse_attr(struct sd_reader *r, struct sd_cursor *c, uint32_t size,
		  uint64_t offset, struct sd_evsel **out)
{
	uint8_t a[136] = {0};
	const uint8_t *p;
	struct sd_evsel *ev;
	bool sw = c->swap;
	uint32_t written;

	if (size < 64 || size > SD_MAX_ATTR_SIZE) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_ATTR, offset,
			     "event attribute of %u bytes (perf writes 64 to 136)",
			     size);
		return -SD_E_BAD_ATTR;
	}
	if (sd_cur_bytes(c, size, &p))
		return -SD_E_TRUNCATED;
	/* A larger attr from a newer perf: keep what we know, skip the tail. */
	memcpy(a, p, size < sizeof a ? size : sizeof a);

	struct sd_evx *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	ev = &x->ev;
	ev->type = sd_load32(a + 0, sw);
	written = sd_load32(a + 4, sw);
	ev->attr_size = written ? written : 64;
	ev->config = sd_load64(a + 8, sw);
	ev->period_or_freq = sd_load64(a + 16, sw);
	ev->sample_type = sd_load64(a + 24, sw);
	ev->read_format = sd_load64(a + 32, sw);
	ev->flags = attr_flags(a + 40, sw);
	ev->freq = ev->flags & SD_ATTR_FREQ;
	ev->sample_id_all = ev->flags & SD_ATTR_SAMPLE_ID_ALL;
	if (size >= 80)
		ev->branch_sample_type = sd_load64(a + 72, sw);
	if (size >= 96) {
		ev->sample_regs_user = sd_load64(a + 80, sw);
		ev->sample_stack_user = sd_load32(a + 88, sw);
		ev->clockid = (int32_t)sd_load32(a + 92, sw);
	}
	if (size >= 104)
		ev->sample_regs_intr = sd_load64(a + 96, sw);
	evx_layout(x);
	*out = ev;
	return 0;
}

void sd_evsel_free(struct sd_evsel *ev)
{
	if (!ev)
		return;
	free(ev->name);
	free(ev->ids);
	free(ev);
}

static const char *const hw_names[] = {
	"cycles", "instructions", "cache-references", "cache-misses",
	"branch-instructions", "branch-misses", "bus-cycles",
	"stalled-cycles-frontend", "stalled-cycles-backend", "ref-cycles",
};
static const char *const sw_names[] = {
	"cpu-clock", "task-clock", "page-faults", "context-switches",
	"cpu-migrations", "minor-faults", "major-faults", "alignment-faults",
	"emulation-faults", "dummy", "bpf-output", "cgroup-switches",
};

/* A name for an event the file does not name (old files, pipe mode). */
void sd_evsel_make_name(struct sd_evsel *ev)
{
	char buf[64];

	if (ev->name)
		return;
	if (ev->type == SD_TYPE_HARDWARE &&
	    ev->config < sizeof hw_names / sizeof *hw_names)
		snprintf(buf, sizeof buf, "%s", hw_names[ev->config]);
	else if (ev->type == SD_TYPE_SOFTWARE &&
		 ev->config < sizeof sw_names / sizeof *sw_names)
		snprintf(buf, sizeof buf, "%s", sw_names[ev->config]);
	else if (ev->type == SD_TYPE_TRACEPOINT)
		snprintf(buf, sizeof buf, "tracepoint-%llu",
			 (unsigned long long)ev->config);
	else
		snprintf(buf, sizeof buf, "event-%u:0x%llx", ev->type,
			 (unsigned long long)ev->config);
	ev->name = strdup(buf);
}

int sd_add_evsel(struct sd_reader *r, struct sd_evsel *ev)
{
	struct sd_evsel **v;

	if (r->nr_evsels >= SD_MAX_EVSELS) {
		sd_diags_add(&r->diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "more than %d events; the rest are ignored",
			     SD_MAX_EVSELS);
		return -SD_E_LIMIT;
	}
	if (sd_pow2_grows(r->evsels, r->nr_evsels, 1)) {
		v = realloc(r->evsels,
			    sd_pow2_cap(r->nr_evsels + 1) * sizeof *v);
		if (!v)
			return -ENOMEM;
		r->evsels = v;
	}
	ev->index = (unsigned)r->nr_evsels;
	sd_evsel_make_name(ev);
	r->evsels[r->nr_evsels++] = ev;
	sd_update_id_layout(r);
	return 0;
}

static int id_map_put(struct sd_id_map *m, uint64_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->nslots) {
		size_t ns = m->nslots ? m->nslots * 2 : 64;
		uint64_t *k = calloc(ns, sizeof *k);
		uint32_t *v = calloc(ns, sizeof *v);
		if (!k || !v) {
			free(k);
			free(v);
			return -ENOMEM;
		}
		for (size_t i = 0; i < m->nslots; i++) {
			if (!m->vals[i])
				continue;
			size_t j = sd_mix64(m->keys[i]) & (ns - 1);
			while (v[j])
				j = (j + 1) & (ns - 1);
			k[j] = m->keys[i];
			v[j] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = k;
		m->vals = v;
		m->nslots = ns;
	}
	memset(m->last_key, 0, sizeof m->last_key);
	memset(m->last_val, 0, sizeof m->last_val);
	size_t j = sd_mix64(key) & (m->nslots - 1);
	while (m->vals[j] && m->keys[j] != key)
		j = (j + 1) & (m->nslots - 1);
	if (!m->vals[j])
		m->n++;
	m->keys[j] = key;
	m->vals[j] = val;
	return 0;
}

void sd_id_map_fini(struct sd_id_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

struct sd_evsel *sd_id_lookup(const struct sd_reader *r, uint64_t id)
{
	const struct sd_id_map *m = &r->ids;

	if (!m->nslots)
		return NULL;
	size_t j = sd_mix64(id) & (m->nslots - 1);
	while (m->vals[j]) {
		if (m->keys[j] == id)
			return r->evsels[m->vals[j] - 1];
		j = (j + 1) & (m->nslots - 1);
	}
	return NULL;
}

int sd_evsel_add_ids(struct sd_reader *r, struct sd_evsel *ev,
		     struct sd_cursor *c, size_t n)
{
	if (n > sd_cur_left(c) / 8)
		return -SD_E_BAD_ATTR;
	if (r->ids.n + n > SD_MAX_IDS) {
		/* keep what fits: samples with the other ids go unmatched */
		sd_diags_add(&r->diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "more than %u sample ids over all events; the "
			     "rest are ignored",
			     SD_MAX_IDS);
		n = SD_MAX_IDS - r->ids.n;
		if (!n)
			return 0;
	}
	/* one more than needed, as ever (a realloc to 0 frees) */
	if (sd_pow2_grows(ev->ids, ev->nr_ids + 1, n)) {
		uint64_t *ids = realloc(ev->ids, sd_pow2_cap(ev->nr_ids + n + 1) *
							 sizeof *ids);
		if (!ids)
			return -ENOMEM;
		ev->ids = ids;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t id = 0;
		sd_cur_u64(c, &id);
		ev->ids[ev->nr_ids++] = id;
		int err = id_map_put(&r->ids, id, ev->index + 1);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Where the event id sits: in a sample, counted from the start
 * (perf's __evsel__calc_id_pos); in a sample_id_all trailer, counted from
 * the end (__evsel__calc_is_pos).  -1: no id there.
 */
static int calc_id_pos(uint64_t t)
{
	int idx = 0;

	if (t & SD_SAMPLE_IDENTIFIER)
		return 0;
	if (!(t & SD_SAMPLE_ID))
		return -1;
	if (t & SD_SAMPLE_IP)
		idx++;
	if (t & SD_SAMPLE_TID)
		idx++;
	if (t & SD_SAMPLE_TIME)
		idx++;
	if (t & SD_SAMPLE_ADDR)
		idx++;
	return idx;
}

static int calc_is_pos(uint64_t t)
{
	int idx = 1;

	if (t & SD_SAMPLE_IDENTIFIER)
		return 1;
	if (!(t & SD_SAMPLE_ID))
		return -1;
	if (t & SD_SAMPLE_CPU)
		idx++;
	if (t & SD_SAMPLE_STREAM_ID)
		idx++;
	return idx;
}

static uint16_t id_hdr_size(uint64_t t)
{
	uint16_t n = 0;

	if (t & SD_SAMPLE_TID)
		n += 8;
	if (t & SD_SAMPLE_TIME)
		n += 8;
	if (t & SD_SAMPLE_ID)
		n += 8;
	if (t & SD_SAMPLE_STREAM_ID)
		n += 8;
	if (t & SD_SAMPLE_CPU)
		n += 8;
	if (t & SD_SAMPLE_IDENTIFIER)
		n += 8;
	return n;
}

/* perf's evlist__valid_sample_type and friends: one layout for all. */
void sd_update_id_layout(struct sd_reader *r)
{
	r->id_pos = r->is_pos = -1;
	r->id_hdr_size = 0;
	if (!r->nr_evsels)
		return;
	uint64_t t0 = r->evsels[0]->sample_type;
	r->id_pos = calc_id_pos(t0);
	r->is_pos = calc_is_pos(t0);
	r->id_hdr_size = id_hdr_size(t0);
	for (size_t i = 1; i < r->nr_evsels; i++) {
		uint64_t t = r->evsels[i]->sample_type;
		if (calc_id_pos(t) != r->id_pos)
			r->id_pos = -1;
		if (calc_is_pos(t) != r->is_pos)
			r->is_pos = -1;
	}
}
