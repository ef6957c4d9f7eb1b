/* SPDX-License-Identifier: MIT */
/*
 * The file header, the attrs section and the feature sections.
 *
 * File mode (tools/perf/util/header.h):
 *
 *	struct perf_file_section { u64 offset, size; };
 *	struct perf_file_header {
 *		u64 magic;		  "PERFILE2"; reads as "2ELIFREP" when
 *					  the file is of the other byte order
 *		u64 size;		  sizeof(struct perf_file_header) = 104
 *		u64 attr_size;		  one attrs entry: attr + ids section
 *		struct perf_file_section attrs;
 *		struct perf_file_section data;
 *		struct perf_file_section event_types;	  unused
 *		u64 adds_features[4];	  bitmap of feature sections present
 *	};
 *	attrs section: n = attrs.size / attr_size entries of
 *		struct perf_file_attr {
 *			struct perf_event_attr attr;	  attr_size - 16 bytes
 *			struct perf_file_section ids;	  u64 ids of the event
 *		};
 *	after the data section, at data.offset + data.size: one
 *	perf_file_section per feature bit set, in bit order, each pointing at
 *	that feature's data.
 *
 * Pipe mode: struct { u64 magic; u64 size = 16; } and everything else as
 * records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

#define PERF_MAGIC2 0x32454c4946524550ull /* "PERFILE2" little-endian */
#define PERF_MAGIC2_SW 0x50455246494c4532ull
#define PERF_MAGIC1 0x454c494646524550ull /* "PERFFILE", perf < 2.6.37 */
#define FILE_HEADER_SIZE 104

int sd_read_pipe_header(struct sd_reader *r)
{
	r->info.pipe = true;
	r->ordered = !(r->flags & SD_READER_UNORDERED);
	return 0;
}

static int check_magic(struct sd_reader *r, const uint8_t *p)
{
	uint64_t magic = sd_load64(p, false);

	if (magic == PERF_MAGIC2) {
		r->swap = false;
	} else if (magic == PERF_MAGIC2_SW) {
		r->swap = true;
	} else if (magic == PERF_MAGIC1 ||
		   magic == __builtin_bswap64(PERF_MAGIC1)) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_MAGIC, 0,
			     "written by perf older than 2.6.37 (magic "
			     "PERFFILE), a format this tool does not read");
		return -SD_E_BAD_MAGIC;
	} else {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_MAGIC, 0,
			     "not a perf.data file: it does not start with "
			     "PERFILE2");
		return -SD_E_BAD_MAGIC;
	}
	/* Host is little- or big-endian; the file's order follows. */
	bool host_le = *(const uint8_t *)&(uint16_t){1} == 1;
	r->info.order = (host_le != r->swap) ? SD_ORDER_LITTLE : SD_ORDER_BIG;
	return 0;
}

static int read_attrs(struct sd_reader *r, uint64_t attr_size, uint64_t off,
		      uint64_t size)
{
	uint64_t n, fsize = r->src.total;
	uint8_t *buf;
	int err = 0;

	if (attr_size < 64 + 16 || attr_size > SD_MAX_ATTR_SIZE + 16) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_HEADER, 16,
			     "attr entry size %llu in the header is impossible",
			     (unsigned long long)attr_size);
		return -SD_E_BAD_HEADER;
	}
	if (off > fsize || size > fsize - off) {
		/* an offset inside the file: the section's start, or, when
		 * that is past the end, the header field pointing there */
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED,
			     off > fsize ? 24 : off,
			     "the attrs section (%llu bytes at byte %llu) lies "
			     "past the end of the file (%llu bytes): the file "
			     "is cut short or its header is damaged",
			     (unsigned long long)size, (unsigned long long)off,
			     (unsigned long long)fsize);
		return -SD_E_TRUNCATED;
	}
	n = size / attr_size;
	if (n == 0) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_NO_EVENTS, 24,
			     "the attrs section is empty: the file describes "
			     "no events (was perf record killed early?)");
		return -SD_E_NO_EVENTS;
	}
	if (n > SD_MAX_EVSELS) {
		sd_diags_add(&r->diags, SD_WARNING, SD_E_LIMIT, off,
			     "%llu events in the attrs section, more than %d; "
			     "the rest are ignored",
			     (unsigned long long)n, SD_MAX_EVSELS);
		n = SD_MAX_EVSELS;
	}
	buf = malloc(attr_size);
	if (!buf)
		return -ENOMEM;
	for (uint64_t i = 0; i < n && !err; i++) {
		uint64_t at = off + i * attr_size;
		struct sd_cursor c;
		struct sd_evsel *ev = NULL;
		uint64_t ids_off = 0, ids_size = 0;
		uint32_t asz;

		err = sd_source_pread(&r->src, buf, attr_size, at);
		if (err)
			break;
		c = sd_cursor_make(buf, attr_size, r->swap);
		asz = sd_load32(buf + 4, r->swap);
		if (asz == 0)
			asz = 64;
		/* attr.size may claim more than the entry holds: trust the
		 * entry, which is what the writer laid out. */
		if (asz > attr_size - 16)
			asz = (uint32_t)(attr_size - 16);
		if (asz < 64) {
			sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_ATTR, at,
				     "event attribute %llu is %u bytes",
				     (unsigned long long)i, asz);
			err = -SD_E_BAD_ATTR;
			break;
		}
		err = sd_parse_attr(r, &c, asz, at, &ev);
		if (err)
			break;
		c.off = attr_size - 16;
		sd_cur_u64(&c, &ids_off);
		sd_cur_u64(&c, &ids_size);
		err = sd_add_evsel(r, ev);
		if (err) {
			sd_evsel_free(ev);
			break;
		}
		if (ids_size && (ids_off > fsize || ids_size > fsize - ids_off)) {
			sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_HEADER, at,
				     "ids of event %llu lie outside the file; "
				     "its samples may not be told apart",
				     (unsigned long long)i);
			continue;
		}
		if (ids_size / 8 > SD_MAX_IDS) {
			sd_diags_add(&r->diags, SD_WARNING, SD_E_LIMIT, at,
				     "event %llu has %llu ids, more than %u; "
				     "only the first are used",
				     (unsigned long long)i,
				     (unsigned long long)(ids_size / 8),
				     SD_MAX_IDS);
			ids_size = (uint64_t)SD_MAX_IDS * 8;
		}
		if (ids_size) {
			uint8_t *ids = malloc(ids_size);
			if (!ids) {
				err = -ENOMEM;
				break;
			}
			err = sd_source_pread(&r->src, ids, ids_size, ids_off);
			if (!err) {
				struct sd_cursor ic =
					sd_cursor_make(ids, ids_size, r->swap);
				err = sd_evsel_add_ids(r, ev, &ic, ids_size / 8);
			}
			free(ids);
		}
	}
	free(buf);
	if (err == -SD_E_TRUNCATED)
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED, off,
			     "the attrs section is cut short");
	return err;
}

static void read_features(struct sd_reader *r, uint64_t at)
{
	uint64_t fsize = r->src.total;
	unsigned nfeat = 0;

	for (unsigned f = 0; f < SD_FEAT_BITS; f++)
		if (r->info.features[f / 64] >> (f % 64) & 1)
			nfeat++;
	if (!nfeat)
		return;
	if (at > fsize || (uint64_t)nfeat * 16 > fsize - at) {
		sd_diags_add(&r->diags, SD_WARNING, SD_E_TRUNCATED, at,
			     "the feature sections (host, kernel, build-ids, "
			     "event names) are missing: the file is cut short");
		memset(r->info.features, 0, sizeof r->info.features);
		return;
	}
	uint8_t *tab = malloc((size_t)nfeat * 16);
	if (!tab || sd_source_pread(&r->src, tab, (size_t)nfeat * 16, at)) {
		free(tab);
		return;
	}
	unsigned k = 0;
	for (unsigned f = 0; f < SD_FEAT_BITS; f++) {
		if (!(r->info.features[f / 64] >> (f % 64) & 1))
			continue;
		uint64_t off = sd_load64(tab + 16 * k, r->swap);
		uint64_t size = sd_load64(tab + 16 * k + 8, r->swap);
		k++;
		if (off > fsize || size > fsize - off ||
		    size > (f == SD_FEAT_TRACING_DATA ? SD_MAX_TRACING
						       : SD_MAX_FEATURE)) {
			sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_SECTION,
				     at + 16 * (k - 1),
				     "feature section %u lies outside the file; "
				     "skipped",
				     f);
			r->info.features[f / 64] &= ~(1ull << (f % 64));
			continue;
		}
		uint8_t *buf = malloc(size ? size : 1);
		if (!buf)
			break;
		if (sd_source_pread(&r->src, buf, size, off) == 0) {
			struct sd_cursor c = sd_cursor_make(buf, size, r->swap);
			sd_parse_feature(r, f, &c, off);
		}
		free(buf);
	}
	free(tab);
}

int sd_read_file_header(struct sd_reader *r)
{
	uint8_t h[FILE_HEADER_SIZE];
	uint64_t fsize = r->src.total, hsize, attr_size;
	uint64_t attrs_off, attrs_size, data_off, data_size;
	int err;

	err = sd_source_pread(&r->src, h, 16, 0);
	if (err) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED, 0,
			     "shorter than a perf.data header (%llu bytes)",
			     (unsigned long long)fsize);
		return -SD_E_TRUNCATED;
	}
	err = check_magic(r, h);
	if (err)
		return err;
	hsize = sd_load64(h + 8, r->swap);
	r->info.header_size = hsize;
	r->info.file_size = fsize;
	if (hsize == 16) {
		/* pipe-mode data saved to a file */
		err = sd_read_pipe_header(r);
		if (!err)
			err = sd_source_seek(&r->src, 16, UINT64_MAX);
		return err;
	}
	if (hsize != FILE_HEADER_SIZE && hsize != FILE_HEADER_SIZE - 32 &&
	    hsize >= FILE_HEADER_SIZE - 32 && hsize <= 4096)
		/* perf refuses it; the fields it knows are still read */
		sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_HEADER, 8,
			     "header size %llu is neither 104 nor 72 (perf "
			     "rejects such a file); reading the fields it "
			     "holds",
			     (unsigned long long)hsize);
	if (hsize < FILE_HEADER_SIZE - 32 || hsize > 4096) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_HEADER, 8,
			     "header size %llu is neither a file (104) nor a "
			     "pipe (16) header",
			     (unsigned long long)hsize);
		return -SD_E_BAD_HEADER;
	}
	memset(h + 16, 0, sizeof h - 16);
	err = sd_source_pread(&r->src, h + 16,
			      (hsize < sizeof h ? hsize : sizeof h) - 16, 16);
	if (err) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED, 16,
			     "the file ends inside its header");
		return -SD_E_TRUNCATED;
	}
	attr_size = sd_load64(h + 16, r->swap);
	attrs_off = sd_load64(h + 24, r->swap);
	attrs_size = sd_load64(h + 32, r->swap);
	data_off = sd_load64(h + 40, r->swap);
	data_size = sd_load64(h + 48, r->swap);
	for (int i = 0; i < 4 && hsize >= 104; i++)
		r->info.features[i] = sd_load64(h + 72 + 8 * i, r->swap);

	err = read_attrs(r, attr_size, attrs_off, attrs_size);
	if (err)
		return err;

	if (data_off > fsize) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED, 40,
			     "the data section starts past the end of the file "
			     "(%llu > %llu bytes)",
			     (unsigned long long)data_off,
			     (unsigned long long)fsize);
		return -SD_E_TRUNCATED;
	}
	r->info.data_offset = data_off;
	r->info.data_size = data_size;
	if (data_size == 0) {
		sd_diags_add(&r->diags, SD_WARNING, SD_E_TRUNCATED, 48,
			     "the header's data size is 0: perf record did not "
			     "finish (killed?); reading records to the end of "
			     "the file");
		memset(r->info.features, 0, sizeof r->info.features);
		data_size = fsize - data_off;
		r->stats.truncated = true;
		r->stats.truncated_at = fsize;
	} else if (data_size > fsize - data_off) {
		sd_diags_add(&r->diags, SD_WARNING, SD_E_TRUNCATED, fsize,
			     "the file is cut short: %llu of %llu data bytes "
			     "present; reading what is there",
			     (unsigned long long)(fsize - data_off),
			     (unsigned long long)data_size);
		data_size = fsize - data_off;
		r->stats.truncated = true;
		r->stats.truncated_at = fsize;
		memset(r->info.features, 0, sizeof r->info.features);
	} else {
		read_features(r, data_off + data_size);
	}

	bool all_id_all = r->nr_evsels > 0;
	for (size_t i = 0; i < r->nr_evsels; i++)
		all_id_all &= r->evsels[i]->sample_id_all;
	r->ordered = all_id_all && !(r->flags & SD_READER_UNORDERED);
	return sd_source_seek(&r->src, data_off, data_off + data_size);
}
