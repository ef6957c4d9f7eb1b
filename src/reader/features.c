/* SPDX-License-Identifier: MIT */
/*
 * Feature sections (file mode: after the data; pipe mode: HEADER_FEATURE
 * records).  Layouts, from tools/perf/util/header.c:
 *
 *	string:		u32 len; char str[len];	  NUL-padded to 64 bytes
 *	HOSTNAME, OSRELEASE, VERSION, ARCH, CPUDESC, CPUID: string
 *	NRCPUS:		u32 nr_cpus_avail; u32 nr_cpus_online;
 *	TOTAL_MEM:	u64 kB;
 *	CMDLINE:	u32 argc; string argv[argc];
 *	EVENT_DESC:	u32 nr; u32 attr_size;
 *			nr x { attr (attr_size bytes); u32 nr_ids;
 *			       string name; u64 ids[nr_ids]; }
 *	BUILD_ID:	records up to the section end:
 *			struct build_id_event {
 *				struct perf_event_header header;  size = all
 *				s32 pid;
 *				u8 build_id[20]; u8 size; u8 pad[3];
 *				char filename[];  NUL-padded
 *			};  (header.misc: cpumode, BUILD_ID_SIZE)
 *	SAMPLE_TIME:	u64 first; u64 last;
 *	CLOCKID:	u64 clockid resolution (ns);
 *	CLOCK_DATA:	u32 version; u32 clockid; u64 tod_ns; u64 clockid_ns;
 *	COMPRESSED:	u32 version, type, level, ratio, mmap_len;
 *	TRACING_DATA:	the tracing data, kept verbatim.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

static void replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static int feat_string(struct sd_reader *r, struct sd_cursor *c, char **dst,
		       unsigned feat, uint64_t offset)
{
	char *s = NULL;
	int err = sd_cur_perf_string(c, SD_MAX_STRING, &s);

	if (!err) {
		if (strlen(s) == SD_MAX_STRING)
			sd_diags_add(&r->diags, SD_NOTE, SD_E_LIMIT, offset,
				     "feature section %u: a string longer "
				     "than %d bytes, cut there",
				     feat, SD_MAX_STRING);
		replace(dst, s);
	}
	return err;
}

static int feat_cmdline(struct sd_reader *r, struct sd_cursor *c,
			uint64_t offset)
{
	uint32_t argc;
	size_t len = 0, cap = 0;
	char *out = NULL;
	int err = sd_cur_u32(c, &argc);

	if (err)
		return err;
	if (argc > sd_cur_left(c) / 4)
		return -SD_E_BAD_SECTION;
	for (uint32_t i = 0; i < argc; i++) {
		char *arg;
		err = sd_cur_perf_string(c, SD_MAX_STRING, &arg);
		if (err)
			break;
		size_t n = strlen(arg);
		if (len + n + 2 > 16 * SD_MAX_STRING) {
			sd_diags_add(&r->diags, SD_NOTE, SD_E_LIMIT, offset,
				     "the recorded command line is longer "
				     "than %d bytes; cut there",
				     16 * SD_MAX_STRING);
			free(arg);
			break;
		}
		if (len + n + 2 > cap) {
			/* doubling: 64 Ki empty arguments stay linear */
			size_t want = cap ? cap : 256;
			while (want < len + n + 2)
				want *= 2;
			char *o = realloc(out, want);
			if (!o) {
				free(arg);
				err = -ENOMEM;
				break;
			}
			out = o;
			cap = want;
		}
		if (len)
			out[len++] = ' ';
		memcpy(out + len, arg, n + 1);
		len += n;
		free(arg);
	}
	if (out)
		replace(&r->info.cmdline, out);
	return err;
}

/* Names events; ids tie an EVENT_DESC entry to the attr it describes. */
static int feat_event_desc(struct sd_reader *r, struct sd_cursor *c,
			   uint64_t offset)
{
	uint32_t nr, attr_size;
	int err;

	if ((err = sd_cur_u32(c, &nr)) || (err = sd_cur_u32(c, &attr_size)))
		return err;
	if (attr_size < 64 || attr_size > SD_MAX_ATTR_SIZE ||
	    nr > sd_cur_left(c) / attr_size)
		return -SD_E_BAD_SECTION;
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t nr_ids;
		char *name = NULL;
		struct sd_evsel *target = NULL;

		if ((err = sd_cur_skip(c, attr_size)) ||
		    (err = sd_cur_u32(c, &nr_ids)) ||
		    (err = sd_cur_perf_string(c, SD_MAX_STRING, &name)))
			return err;
		if (nr_ids > sd_cur_left(c) / 8) {
			free(name);
			return -SD_E_BAD_SECTION;
		}
		for (uint32_t k = 0; k < nr_ids; k++) {
			uint64_t id = 0;
			sd_cur_u64(c, &id);
			if (!target)
				target = sd_id_lookup(r, id);
		}
		/* Without ids, entries follow the attrs' order. */
		if (!target && i < r->nr_evsels &&
		    (nr_ids == 0 || r->evsels[i]->nr_ids == 0))
			target = r->evsels[i];
		if (target)
			replace(&target->name, name);
		else
			free(name);
	}
	return 0;
}

static int feat_build_id(struct sd_reader *r, struct sd_cursor *c)
{
	while (sd_cur_left(c) >= 8) {
		size_t start = c->off;
		uint32_t type = 0;
		uint16_t misc = 0, size = 0;
		int32_t pid = 0;
		const uint8_t *bid = NULL, *name = NULL;
		struct sd_build_id_entry *e;

		sd_cur_u32(c, &type);
		sd_cur_u16(c, &misc);
		sd_cur_u16(c, &size);
		if (size < 8 + 4 + 24 || size - 8u > sd_cur_left(c) + 0u)
			return -SD_E_BAD_SECTION;
		if (r->info.nr_build_ids >= SD_MAX_BUILD_IDS) {
			sd_diags_add(&r->diags, SD_WARNING, SD_E_LIMIT,
				     UINT64_MAX,
				     "more than %d build-ids; the rest are "
				     "ignored",
				     SD_MAX_BUILD_IDS);
			return 0;
		}
		sd_cur_u32(c, (uint32_t *)&pid);
		sd_cur_bytes(c, 24, &bid);
		sd_cur_bytes(c, size - 36u, &name);
		if (sd_pow2_grows(r->info.build_ids, r->info.nr_build_ids, 1)) {
			e = realloc(r->info.build_ids,
				    sd_pow2_cap(r->info.nr_build_ids + 1) *
					    sizeof *e);
			if (!e)
				return -ENOMEM;
			r->info.build_ids = e;
		}
		e = r->info.build_ids + r->info.nr_build_ids;
		memset(e, 0, sizeof *e);
		e->pid = pid;
		e->cpumode = misc & SD_MISC_CPUMODE_MASK;
		e->id.size = (misc & SD_MISC_BUILD_ID_SIZE) && bid[20] <= 20 ?
				     bid[20] : 20;
		memcpy(e->id.data, bid, e->id.size);
		e->filename = sd_strndup_clean(name, size - 36u, SD_MAX_STRING);
		if (!e->filename)
			return -ENOMEM;
		r->info.nr_build_ids++;
		c->off = start + size;
	}
	return 0;
}

int sd_parse_feature(struct sd_reader *r, unsigned feat, struct sd_cursor *c,
		     uint64_t offset)
{
	struct sd_file_info *in = &r->info;
	int err = 0;

	switch (feat) {
	case SD_FEAT_HOSTNAME:
		err = feat_string(r, c, &in->hostname, feat, offset);
		break;
	case SD_FEAT_OSRELEASE:
		err = feat_string(r, c, &in->os_release, feat, offset);
		break;
	case SD_FEAT_VERSION:
		err = feat_string(r, c, &in->perf_version, feat, offset);
		break;
	case SD_FEAT_ARCH:
		err = feat_string(r, c, &in->arch, feat, offset);
		break;
	case SD_FEAT_CPUDESC:
		err = feat_string(r, c, &in->cpu_desc, feat, offset);
		break;
	case SD_FEAT_NRCPUS:
		if (!(err = sd_cur_u32(c, &in->nr_cpus_avail)))
			err = sd_cur_u32(c, &in->nr_cpus_online);
		break;
	case SD_FEAT_TOTAL_MEM:
		err = sd_cur_u64(c, &in->total_mem_kb);
		break;
	case SD_FEAT_CMDLINE:
		err = feat_cmdline(r, c, offset);
		break;
	case SD_FEAT_EVENT_DESC:
		err = feat_event_desc(r, c, offset);
		break;
	case SD_FEAT_BUILD_ID:
		err = feat_build_id(r, c);
		break;
	case SD_FEAT_SAMPLE_TIME:
		if (!(err = sd_cur_u64(c, &in->sample_time_first)) &&
		    !(err = sd_cur_u64(c, &in->sample_time_last)))
			in->has_sample_time = true;
		/* the range deliver() holds sample times to */
		r->q.time_lo = 0;
		r->q.time_hi = UINT64_MAX;
		if (in->has_sample_time && in->sample_time_first &&
		    in->sample_time_first <= in->sample_time_last) {
			r->q.time_lo = in->sample_time_first;
			r->q.time_hi = in->sample_time_last;
		}
		break;
	case SD_FEAT_CLOCKID:
		if (!(err = sd_cur_u64(c, &in->clockid_res_ns)))
			in->has_clockid = true;
		break;
	case SD_FEAT_CLOCK_DATA: {
		uint32_t version;
		if (!(err = sd_cur_u32(c, &version)) &&
		    !(err = sd_cur_u32(c, &in->clock_data_clockid)) &&
		    !(err = sd_cur_u64(c, &in->clock_tod_ns)) &&
		    !(err = sd_cur_u64(c, &in->clock_ns)))
			in->has_clock_data = true;
		break;
	}
	case SD_FEAT_COMPRESSED:
		if (!(err = sd_cur_u32(c, &in->comp_version)) &&
		    !(err = sd_cur_u32(c, &in->comp_type)) &&
		    !(err = sd_cur_u32(c, &in->comp_level)) &&
		    !(err = sd_cur_u32(c, &in->comp_ratio)))
			in->has_compression = true;
		break;
	case SD_FEAT_TRACING_DATA: {
		size_t n = sd_cur_left(c);
		uint8_t *copy = malloc(n ? n : 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, c->base + c->off, n);
		free(in->tracing_data);
		in->tracing_data = copy;
		in->tracing_data_size = n;
		break;
	}
	default:
		break; /* known to perf, not needed here */
	}
	if (feat < SD_FEAT_BITS)
		in->features[feat / 64] |= 1ull << (feat % 64);
	if (err && err != -ENOMEM)
		sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_SECTION, offset,
			     "feature section %u is damaged; what it says is "
			     "ignored",
			     feat);
	return err;
}

void sd_file_info_fini(struct sd_file_info *in)
{
	free(in->hostname);
	free(in->os_release);
	free(in->perf_version);
	free(in->arch);
	free(in->cpu_desc);
	free(in->cmdline);
	for (size_t i = 0; i < in->nr_build_ids; i++)
		free(in->build_ids[i].filename);
	free(in->build_ids);
	free(in->tracing_data);
	memset(in, 0, sizeof *in);
}
