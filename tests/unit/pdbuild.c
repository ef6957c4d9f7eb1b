/* SPDX-License-Identifier: MIT */
/* perf.data for the unit tests, in either byte order (pdbuild.h). */
#include <stdlib.h>
#include <string.h>

#include "pdbuild.h"

/* n more bytes at the end, uninitialised */
static uint8_t *grow(struct pd_buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

void pd_put_bytes(struct pd_buf *b, const void *src, size_t n)
{
	if (n)
		memcpy(grow(b, n), src, n);
}

void pd_put8(struct pd_buf *b, uint8_t v)
{
	pd_put_bytes(b, &v, 1);
}

void pd_put_uint(struct pd_buf *b, uint64_t v, unsigned n)
{
	uint8_t *p = grow(b, n);

	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (b->be ? 8 * (n - 1 - i) : 8 * i));
}

void pd_put16(struct pd_buf *b, uint16_t v)
{
	pd_put_uint(b, v, 2);
}

void pd_put32(struct pd_buf *b, uint32_t v)
{
	pd_put_uint(b, v, 4);
}

void pd_put64(struct pd_buf *b, uint64_t v)
{
	pd_put_uint(b, v, 8);
}

void pd_put_fill(struct pd_buf *b, uint8_t byte, size_t n)
{
	if (n)
		memset(grow(b, n), byte, n);
}

void pd_put_str(struct pd_buf *b, const char *s, size_t n)
{
	size_t k = strlen(s);

	pd_put_bytes(b, s, k < n ? k : n);
	if (k < n)
		pd_put_fill(b, 0, n - k);
}

void pd_patch_uint(struct pd_buf *b, size_t at, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b->p[at + i] =
			(uint8_t)(v >> (b->be ? 8 * (n - 1 - i) : 8 * i));
}

void pd_buf_free(struct pd_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/*
 * The attr bitfield word: little-endian, a plain u64; big-endian, bit k
 * of the host word is bit (7 - k % 8) of byte k / 8 (the compiler fills
 * bitfields from the most significant bit on big-endian machines).
 */
void pd_put_flags(struct pd_buf *b, uint64_t flags)
{
	for (unsigned byte = 0; byte < 8; byte++) {
		uint8_t v = 0;
		for (unsigned bit = 0; bit < 8; bit++)
			if (flags >> (8 * byte + bit) & 1)
				v |= (uint8_t)(b->be ? 0x80 >> bit : 1 << bit);
		pd_put8(b, v);
	}
}

/* perf's header string: u32 len; char str[len], NUL-padded to 64. */
void pd_put_perf_string(struct pd_buf *b, const char *s)
{
	uint32_t len = (uint32_t)((strlen(s) + 1 + 63) / 64 * 64);

	pd_put32(b, len);
	pd_put_str(b, s, len);
}

/* struct perf_event_header: u32 type; u16 misc; u16 size. */
size_t pd_rec_begin(struct pd_buf *b, uint32_t type, uint16_t misc)
{
	size_t at = b->len;

	pd_put32(b, type); /* type */
	pd_put16(b, misc); /* misc */
	pd_put16(b, 0);    /* size */
	return at;
}

void pd_rec_end(struct pd_buf *b, size_t at)
{
	pd_patch_uint(b, at + 6, b->len - at, 2);
}

/* ---- attrs and the file ------------------------------------------------ */

/* struct perf_event_attr, as long as a->bytes says (perf's versions). */
void pd_put_attr(struct pd_buf *b, const struct pd_attr *a)
{
	uint32_t n = a->bytes ? a->bytes : 64;
	size_t at = b->len;

	pd_put32(b, a->type);                   /*   0 type */
	pd_put32(b, a->size_zero ? 0 : n);      /*   4 size */
	pd_put64(b, a->config);                 /*   8 config */
	pd_put64(b, a->period);                 /*  16 sample_period / freq */
	pd_put64(b, a->sample_type);            /*  24 sample_type */
	pd_put64(b, a->read_format);            /*  32 read_format */
	pd_put_flags(b, a->flags);              /*  40 disabled ... bitfield */
	pd_put32(b, 0);                         /*  48 wakeup_events */
	pd_put32(b, 0);                         /*  52 bp_type */
	pd_put64(b, 0);                         /*  56 config1 */
	if (n >= 72)
		pd_put64(b, 0);                 /*  64 config2 */
	if (n >= 80)
		pd_put64(b, a->branch_sample_type); /* 72 branch_sample_type */
	if (n >= 96) {
		pd_put64(b, a->regs_user);      /*  80 sample_regs_user */
		pd_put32(b, a->stack_user);     /*  88 sample_stack_user */
		pd_put32(b, (uint32_t)a->clockid); /* 92 clockid */
	}
	if (n >= 104)
		pd_put64(b, a->regs_intr);      /*  96 sample_regs_intr */
	if (n >= 112) {
		pd_put32(b, 0);                 /* 104 aux_watermark */
		pd_put16(b, 127);               /* 108 sample_max_stack */
		pd_put16(b, 0);                 /* 110 reserved */
	}
	if (n >= 120) {
		pd_put32(b, 0);                 /* 112 aux_sample_size */
		pd_put32(b, 0);                 /* 116 reserved */
	}
	if (n >= 128)
		pd_put64(b, 0);                 /* 120 sig_data */
	if (n >= 136)
		pd_put64(b, 0);                 /* 128 config3 */
	pd_put_fill(b, 0xee, n - (b->len - at)); /* a newer perf's fields */
}

/*
 * Header, ids and attrs of a file; returns the data offset.  Every entry
 * has the size of the first event's attr.
 *
 *	0    struct perf_file_header (104 bytes)
 *	104  u64 ids of every event, event after event
 *	     struct perf_file_attr entries
 *	     data ... (the caller appends records, then calls pd_file_end())
 */
size_t pd_file_begin(struct pd_buf *b, const struct pd_event *ev, size_t n)
{
	uint32_t bytes = ev[0].attr.bytes ? ev[0].attr.bytes : 64;
	size_t nids = 0, ids_at = 104;

	for (size_t i = 0; i < n; i++)
		nids += ev[i].nr_ids;
	size_t attrs_at = ids_at + 8 * nids;
	size_t data_at = attrs_at + n * (bytes + 16);

	pd_put64(b, PD_MAGIC);          /* magic */
	pd_put64(b, 104);               /* size of this header */
	pd_put64(b, bytes + 16);        /* attr_size: attr + ids section */
	pd_put64(b, attrs_at);          /* attrs.offset */
	pd_put64(b, n * (bytes + 16));  /* attrs.size */
	pd_put64(b, data_at);           /* data.offset */
	pd_put64(b, 0);                 /* data.size (pd_file_end) */
	pd_put64(b, 0);                 /* event_types.offset */
	pd_put64(b, 0);                 /* event_types.size */
	for (int i = 0; i < 4; i++)
		pd_put64(b, 0);         /* adds_features[i] (pd_file_end) */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < ev[i].nr_ids; k++)
			pd_put64(b, ev[i].ids[k]); /* ids */
	for (size_t i = 0; i < n; i++) {
		struct pd_attr a = ev[i].attr;
		a.bytes = bytes;
		pd_put_attr(b, &a);                     /* attr */
		pd_put64(b, ev[i].nr_ids ? ids_at : 0); /* ids.offset */
		pd_put64(b, 8 * ev[i].nr_ids);          /* ids.size */
		ids_at += 8 * ev[i].nr_ids;
	}
	return data_at;
}

/*
 * After the data: struct perf_file_section { u64 offset, size; } for each
 * feature bit set, in bit order, then the sections.
 */
void pd_file_end_features(struct pd_buf *b, size_t data_at,
			  const struct pd_feature *f, size_t n)
{
	size_t table, at;

	pd_patch_uint(b, 48, b->len - data_at, 8); /* data.size */
	for (size_t i = 0; i < n; i++) {
		size_t word = 72 + 8 * (f[i].bit / 64); /* adds_features[] */
		uint64_t bits = 0;
		for (unsigned k = 0; k < 8; k++) /* read it back */
			bits |= (uint64_t)b->p[word + k]
				<< (b->be ? 8 * (7 - k) : 8 * k);
		pd_patch_uint(b, word, bits | 1ull << (f[i].bit % 64), 8);
	}
	table = b->len;
	pd_put_fill(b, 0, 16 * n);
	at = b->len;
	for (unsigned bit = 0, k = 0; bit < 256 && k < n; bit++) {
		for (size_t i = 0; i < n; i++) {
			if (f[i].bit != bit)
				continue;
			size_t e = table + 16 * k++; /* its table entry */
			pd_put_bytes(b, f[i].p, f[i].len);
			pd_patch_uint(b, e, at, 8);           /* offset */
			pd_patch_uint(b, e + 8, f[i].len, 8); /* size */
			at += f[i].len;
		}
	}
}

void pd_file_end(struct pd_buf *b, size_t data_at, const char *host,
		 const char *release)
{
	struct pd_buf s[2] = {{.be = b->be}, {.be = b->be}};
	struct pd_feature f[2];
	size_t n = 0;

	if (host) {
		pd_put_perf_string(&s[n], host);
		f[n] = (struct pd_feature){SD_FEAT_HOSTNAME, s[n].p, s[n].len};
		n++;
	}
	if (release) {
		pd_put_perf_string(&s[n], release);
		f[n] = (struct pd_feature){SD_FEAT_OSRELEASE, s[n].p, s[n].len};
		n++;
	}
	pd_file_end_features(b, data_at, f, n);
	pd_buf_free(&s[0]);
	pd_buf_free(&s[1]);
}

/* Pipe mode: struct { u64 magic; u64 size = 16; }. */
void pd_pipe_begin(struct pd_buf *b)
{
	pd_put64(b, PD_MAGIC); /* magic */
	pd_put64(b, 16);       /* size */
}

/* HEADER_ATTR: perf_event_attr; u64 ids[]. */
void pd_pipe_attr(struct pd_buf *b, const struct pd_event *ev)
{
	size_t at = pd_rec_begin(b, SD_REC_HEADER_ATTR, 0);

	pd_put_attr(b, &ev->attr);
	for (size_t k = 0; k < ev->nr_ids; k++)
		pd_put64(b, ev->ids[k]); /* ids */
	pd_rec_end(b, at);
}

/* HEADER_FEATURE: u64 feat_id; the feature's data. */
void pd_pipe_feature_string(struct pd_buf *b, unsigned feat, const char *s)
{
	size_t at = pd_rec_begin(b, SD_REC_HEADER_FEATURE, 0);

	pd_put64(b, feat);        /* feat_id */
	pd_put_perf_string(b, s); /* u32 len; char str[len] */
	pd_rec_end(b, at);
}

/* ---- records ------------------------------------------------------------ */

/*
 * struct sample_id {
 *	{ u32 pid, tid; }  if TID
 *	{ u64 time; }      if TIME
 *	{ u64 id; }        if ID
 *	{ u64 stream_id; } if STREAM_ID
 *	{ u32 cpu, res; }  if CPU
 *	{ u64 id; }        if IDENTIFIER
 * };
 */
void pd_put_trailer(struct pd_buf *b, uint64_t sample_type,
		    const struct pd_ids *id)
{
	if (sample_type & SD_SAMPLE_TID) {
		pd_put32(b, id->pid);  /* pid */
		pd_put32(b, id->tid);  /* tid */
	}
	if (sample_type & SD_SAMPLE_TIME)
		pd_put64(b, id->time); /* time */
	if (sample_type & SD_SAMPLE_ID)
		pd_put64(b, id->id);   /* id */
	if (sample_type & SD_SAMPLE_STREAM_ID)
		pd_put64(b, 0);        /* stream_id */
	if (sample_type & SD_SAMPLE_CPU) {
		pd_put32(b, id->cpu);  /* cpu */
		pd_put32(b, 0);        /* res */
	}
	if (sample_type & SD_SAMPLE_IDENTIFIER)
		pd_put64(b, id->id);   /* identifier */
}

/*
 * PERF_RECORD_SAMPLE, the fields written here:
 *	{ u64 id; }         if IDENTIFIER
 *	{ u64 ip; }         if IP
 *	{ u32 pid, tid; }   if TID
 *	{ u64 time; }       if TIME
 *	{ u64 id; }         if ID
 *	{ u64 stream_id; }  if STREAM_ID
 *	{ u32 cpu, res; }   if CPU
 *	{ u64 period; }     if PERIOD
 *	{ u64 nr; u64 ips[nr]; } if CALLCHAIN
 */
void pd_sample(struct pd_buf *b, uint64_t sample_type,
	       const struct pd_sample *s)
{
	const uint64_t known = SD_SAMPLE_IDENTIFIER | SD_SAMPLE_IP |
			       SD_SAMPLE_TID | SD_SAMPLE_TIME | SD_SAMPLE_ID |
			       SD_SAMPLE_STREAM_ID | SD_SAMPLE_CPU |
			       SD_SAMPLE_PERIOD | SD_SAMPLE_CALLCHAIN;
	size_t at;

	if (sample_type & ~known)
		abort(); /* a field this helper does not write */
	at = pd_rec_begin(b, SD_REC_SAMPLE, s->misc);
	if (sample_type & SD_SAMPLE_IDENTIFIER)
		pd_put64(b, s->id.id);     /* identifier */
	if (sample_type & SD_SAMPLE_IP)
		pd_put64(b, s->ip);        /* ip */
	if (sample_type & SD_SAMPLE_TID) {
		pd_put32(b, s->id.pid);    /* pid */
		pd_put32(b, s->id.tid);    /* tid */
	}
	if (sample_type & SD_SAMPLE_TIME)
		pd_put64(b, s->id.time);   /* time */
	if (sample_type & SD_SAMPLE_ID)
		pd_put64(b, s->id.id);     /* id */
	if (sample_type & SD_SAMPLE_STREAM_ID)
		pd_put64(b, 0);            /* stream_id */
	if (sample_type & SD_SAMPLE_CPU) {
		pd_put32(b, s->id.cpu);    /* cpu */
		pd_put32(b, 0);            /* res */
	}
	if (sample_type & SD_SAMPLE_PERIOD)
		pd_put64(b, s->period);    /* period */
	if (sample_type & SD_SAMPLE_CALLCHAIN) {
		pd_put64(b, s->nr_ips);    /* nr */
		for (size_t i = 0; i < s->nr_ips; i++)
			pd_put64(b, s->ips[i]); /* ips[i] */
	}
	pd_rec_end(b, at);
}

/* COMM: u32 pid, tid; char comm[] (NUL-padded to 8); sample_id. */
void pd_comm(struct pd_buf *b, uint64_t trailer_type, const struct pd_ids *id,
	     const char *comm, bool exec)
{
	size_t at = pd_rec_begin(b, SD_REC_COMM, exec ? SD_MISC_COMM_EXEC : 0);

	pd_put32(b, id->pid);                              /* pid */
	pd_put32(b, id->tid);                              /* tid */
	pd_put_str(b, comm, (strlen(comm) + 1 + 7) / 8 * 8); /* comm */
	pd_put_trailer(b, trailer_type, id);
	pd_rec_end(b, at);
}

/*
 * MMAP2: u32 pid, tid; u64 start, len, pgoff; u32 maj, min; u64 ino,
 * ino_generation; u32 prot, flags; char filename[] (NUL-padded to 8);
 * sample_id.
 */
void pd_mmap2(struct pd_buf *b, uint64_t trailer_type, uint16_t misc,
	      const struct pd_ids *id, uint64_t start, uint64_t len,
	      uint64_t pgoff, const char *filename)
{
	size_t at = pd_rec_begin(b, SD_REC_MMAP2, misc);

	pd_put32(b, id->pid);  /* pid */
	pd_put32(b, id->tid);  /* tid */
	pd_put64(b, start);    /* start */
	pd_put64(b, len);      /* len */
	pd_put64(b, pgoff);    /* pgoff */
	pd_put32(b, 0);        /* maj */
	pd_put32(b, 0);        /* min */
	pd_put64(b, 0);        /* ino */
	pd_put64(b, 0);        /* ino_generation */
	pd_put32(b, 5);        /* prot: r-x */
	pd_put32(b, 2);        /* flags: MAP_PRIVATE */
	pd_put_str(b, filename, (strlen(filename) + 1 + 7) / 8 * 8);
	pd_put_trailer(b, trailer_type, id);
	pd_rec_end(b, at);
}

/* FORK and EXIT: u32 pid, ppid, tid, ptid; u64 time; sample_id. */
void pd_task(struct pd_buf *b, uint32_t type, uint64_t trailer_type,
	     uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid,
	     uint64_t time)
{
	size_t at = pd_rec_begin(b, type, 0);
	struct pd_ids id = {.pid = pid, .tid = tid, .time = time};

	pd_put32(b, pid);  /* pid */
	pd_put32(b, ppid); /* ppid */
	pd_put32(b, tid);  /* tid */
	pd_put32(b, ptid); /* ptid */
	pd_put64(b, time); /* time */
	pd_put_trailer(b, trailer_type, &id);
	pd_rec_end(b, at);
}

/* FINISHED_ROUND: the header alone. */
void pd_finished_round(struct pd_buf *b)
{
	pd_rec_end(b, pd_rec_begin(b, SD_REC_FINISHED_ROUND, 0));
}
