/* SPDX-License-Identifier: MIT */
/*
 * The perf.data reader: bytes in, parsed records out.
 *
 * Reads file mode ("PERFILE2", either byte order) and pipe mode (the same
 * magic with a 16-byte header, then everything as records).  The data
 * section is read in bounded windows (of a file mapped read-only, or blocks
 * read from a pipe), never mapped whole, so resident memory does not grow
 * with the file: it is the windows that records waiting for their time lie
 * in (about two FINISHED_ROUND rounds), and they go when the input is
 * done.  Compressed records (PERF_RECORD_COMPRESSED and
 * COMPRESSED2, one zstd stream across records) are expanded on the fly.
 *
 * Records come out in the order perf itself delivers them: when every event
 * has sample_id_all, by time, one FINISHED_ROUND window behind (perf's
 * ordered_events: stable for equal times, records without a time at once);
 * otherwise in file order, as perf does.  Records are not copied for that:
 * a record stays in the block it was read into until it is delivered.
 *
 * The reader never prints.  Damage it can step over (a bad record, a
 * truncated tail, trailing garbage) lands in its diagnostics with the byte
 * offset; sd_reader_next() then reports the end of the stream.
 */
#ifndef SWAPDIAG_READER_H
#define SWAPDIAG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>
#include <swapdiag/perf_abi.h>

struct sd_reader;

enum sd_byte_order {
	SD_ORDER_LITTLE,
	SD_ORDER_BIG,
};

#define SD_BUILD_ID_MAX 20

struct sd_build_id {
	uint8_t size; /* 0: none */
	uint8_t data[SD_BUILD_ID_MAX];
};

/* One entry of the BUILD_ID feature (or a HEADER_BUILD_ID record). */
struct sd_build_id_entry {
	int32_t pid;
	uint16_t cpumode; /* SD_MISC_KERNEL, SD_MISC_USER, ... */
	struct sd_build_id id;
	char *filename;
};

/*
 * One event: its perf_event_attr, the ids that map samples to it, its name,
 * and what the reader counted for it.
 */
struct sd_evsel {
	unsigned index;
	char *name;         /* EVENT_DESC/EVENT_UPDATE name, or made up */
	uint32_t attr_size; /* as written; 0 in the file means 64 */
	uint32_t type;
	uint64_t config;
	uint64_t period_or_freq; /* sample_period, or sample_freq if freq */
	bool freq;
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t flags; /* the attr bitfield word, in host bit order */
	bool sample_id_all;
	uint64_t branch_sample_type;
	uint64_t sample_regs_user;
	uint32_t sample_stack_user;
	uint64_t sample_regs_intr;
	int32_t clockid;

	uint64_t *ids;
	size_t nr_ids;

	/* Filled while reading. */
	uint64_t nr_samples;
	uint64_t total_period;
};

/* What the file says about itself; strings are NULL where absent. */
struct sd_file_info {
	bool pipe;
	enum sd_byte_order order;
	uint64_t file_size; /* 0 for a pipe */
	uint64_t header_size;
	uint64_t data_offset, data_size; /* file mode */
	uint64_t features[SD_FEAT_BITS / 64];

	char *hostname;
	char *os_release;
	char *perf_version;
	char *arch;
	char *cpu_desc;
	char *cmdline;      /* arguments joined by single spaces */
	uint32_t nr_cpus_online, nr_cpus_avail;
	uint64_t total_mem_kb;
	bool has_sample_time;
	uint64_t sample_time_first, sample_time_last; /* ns */
	bool has_clockid;
	uint64_t clockid_res_ns;
	/* CLOCK_DATA: the wall-clock time (ns since the epoch) at the moment
	 * the sample clock read clock_ns, to put sample times on a calendar */
	bool has_clock_data;
	uint32_t clock_data_clockid;
	uint64_t clock_tod_ns, clock_ns;
	bool has_compression;
	uint32_t comp_version, comp_type, comp_level, comp_ratio;

	struct sd_build_id_entry *build_ids;
	size_t nr_build_ids;

	/* TRACING_DATA feature or HEADER_TRACING_DATA record, verbatim. */
	uint8_t *tracing_data;
	size_t tracing_data_size;
};

/* Frees what an sd_file_info owns (its strings, build-ids and tracing
 * data) and zeroes it; for the owners of one, such as the text inputs. */
void sd_file_info_fini(struct sd_file_info *in);

/* The ids every record may carry: a sample's own, or a sample_id_all trailer. */
struct sd_sample_id {
	uint32_t pid, tid;
	uint64_t time;
	uint64_t id;
	uint64_t stream_id;
	uint32_t cpu;
	bool has_tid, has_time, has_id, has_cpu;
};

/*
 * A parsed sample.  Pointers point into the reader's buffers and stay valid
 * until the next sd_reader_next() call.  ips holds the raw call chain with
 * its PERF_CONTEXT_* markers, already in host byte order.  raw is the
 * PERF_SAMPLE_RAW payload as written (libtraceevent converts it).
 */
struct sd_sample {
	uint64_t ip;
	uint64_t addr;
	uint64_t period;
	uint64_t nr_ips;
	const uint64_t *ips;
	uint32_t raw_size;
	const uint8_t *raw;
	uint64_t weight;
	uint64_t data_src;
	uint64_t transaction;
	uint64_t phys_addr;
	uint64_t cgroup;
	uint64_t data_page_size, code_page_size;
	uint64_t nr_branches;
	/*
	 * REGS_USER: the ABI (0: none recorded, SD_REGS_ABI_32/64), the
	 * event's sample_regs_user mask and one value per mask bit, in bit
	 * order, in host byte order (NULL when abi is 0).
	 */
	uint64_t regs_abi;
	uint64_t regs_mask;
	const uint64_t *regs;
	/*
	 * STACK_USER: the copied user stack from the sampled stack pointer
	 * up, stack_size (the kernel's dyn_size) valid bytes of it, as
	 * written (the recording's byte order).  NULL/0 when none.
	 */
	const uint8_t *stack;
	uint64_t stack_size;
};

#define SD_REGS_ABI_32 1
#define SD_REGS_ABI_64 2

struct sd_comm {
	uint32_t pid, tid;
	bool exec;
	const char *comm; /* NUL-terminated */
};

struct sd_task { /* FORK and EXIT */
	uint32_t pid, ppid;
	uint32_t tid, ptid;
	uint64_t time;
};

struct sd_mmap { /* MMAP and MMAP2 */
	uint32_t pid, tid;
	uint64_t start, len, pgoff;
	uint32_t prot, flags; /* MMAP2 only */
	struct sd_build_id build_id; /* MMAP2 with SD_MISC_MMAP_BUILD_ID */
	const char *filename; /* NUL-terminated */
};

struct sd_lost {
	uint64_t id;
	uint64_t lost;
};

/*
 * One record.  evsel is the event a sample (or a record's sample_id_all
 * trailer) belongs to, NULL where it cannot be told.  offset is the byte
 * offset of the record in the input; for a record unpacked from a
 * compressed one, the offset of that compressed record.
 */
struct sd_record {
	uint32_t type;
	uint16_t misc;
	uint16_t size;
	uint64_t offset;
	bool compressed;
	const struct sd_evsel *evsel;
	struct sd_sample_id id;
	union {
		struct sd_sample sample;
		struct sd_comm comm;
		struct sd_task task;
		struct sd_mmap mmap;
		struct sd_lost lost;
	};
};

/* Counters over everything read so far. */
struct sd_reader_stats {
	uint64_t records[SD_REC_TYPE_MAX]; /* by type, after decompression */
	uint64_t unknown_records;          /* types >= SD_REC_TYPE_MAX */
	uint64_t bad_records;              /* skipped as damaged */
	uint64_t lost_events;              /* sum of LOST records */
	uint64_t lost_samples;             /* sum of LOST_SAMPLES records */
	uint64_t unknown_id_samples;       /* samples with no matching event */
	uint64_t compressed_bytes;         /* payload fed to zstd */
	uint64_t decompressed_bytes;
	uint64_t decompress_ns;            /* time spent in zstd */
	uint64_t bytes_consumed;           /* input bytes parsed */
	bool truncated;                    /* the input ended inside something */
	uint64_t truncated_at;
	uint64_t first_time, last_time;    /* of timed samples */
	uint64_t out_of_order;             /* events older than the last flush */
};

enum sd_reader_flags {
	SD_READER_UNORDERED = 1u << 0, /* file order, never sort by time */
};

/*
 * Opens a perf.data file by path; "-" reads pipe-mode data from stdin.  In
 * file mode the header, attrs and feature sections are read before it
 * returns; in pipe mode they arrive as records and are taken in while
 * sd_reader_next() reads, so the events and the file info grow as it goes.  On error *out is left
 * untouched, nothing stays open, and the reasons are moved to why (if not
 * NULL); on success the reader's diagnostics may already hold warnings
 * about the header.
 */
int sd_reader_open(const char *path, unsigned flags, struct sd_diags *why,
		   struct sd_reader **out);
/* Same, on an open descriptor the reader takes over (closes on free). */
int sd_reader_open_fd(int fd, const char *name, unsigned flags,
		      struct sd_diags *why, struct sd_reader **out);
/* Same, on a buffer the caller keeps alive until sd_reader_free(). */
int sd_reader_open_mem(const void *buf, size_t len, const char *name,
		       unsigned flags, struct sd_diags *why,
		       struct sd_reader **out);
/* Frees the reader; takes NULL; returns NULL. */
struct sd_reader *sd_reader_free(struct sd_reader *r);

/*
 * The next record: 1 and *rec set, 0 at the end, or a negative error when
 * nothing more can be read (the diagnostics say where and why).  Header
 * records of pipe mode (attrs, features, tracing data, event names) are
 * absorbed into the reader's state and not returned.
 */
int sd_reader_next(struct sd_reader *r, const struct sd_record **rec);

/*
 * A sample handed out where it lies (sd_reader_next_samples()): the
 * fields the stacks stage reads, decoded; ips points into the reader's
 * buffers (host byte order, context markers included).  It is a SAMPLE
 * sd_reader_next() would have given with the same evsel, misc, ip,
 * period, call chain and time (has_time true) and the rest empty: no
 * payload, registers or stack copy.  Only samples with IP, TID, TIME and
 * PERIOD come as views.
 */
struct sd_sample_view {
	const struct sd_evsel *evsel;
	uint64_t time; /* ns, never 0 */
	uint64_t ip;
	uint64_t period;
	const uint64_t *ips;
	uint64_t offset; /* as sd_record's */
	uint32_t nr_ips;
	uint32_t pid, tid;
	uint16_t misc;
};

/*
 * The next records of the time order while they are samples of the
 * common layout (fixed fields and a call chain) in the host's byte order:
 * up to max of them into v without filling a record for each, their
 * count returned; and when another kind of record ends them, that one
 * too, in *other (else NULL).  0 and NULL when the next record is
 * anything else (or there is none): sd_reader_next() then gives it.
 * -ENOMEM when nothing more can be read.  The views and *other stay
 * valid until the next call of either; samples are counted as
 * sd_reader_next() counts them.
 */
int sd_reader_next_samples(struct sd_reader *r, struct sd_sample_view *v,
			   int max, const struct sd_record **other);

/*
 * Sample fields a caller never reads, which sd_reader_next() then need
 * not fill (set before the first record; 0, the default, fills them all).
 * SD_SKIP_SAMPLE_IDS: a SAMPLE's id.id, id.stream_id, id.cpu and
 * sample.addr are left 0, id.has_id and id.has_cpu false; another
 * record's id has its time alone (the rest 0, has_time the only flag).
 * SD_SKIP_EXIT: EXIT records are counted in the stats but not handed out
 * (a damaged one still is, to be skipped with its warning).
 */
enum sd_reader_skip {
	SD_SKIP_SAMPLE_IDS = 1u << 0,
	SD_SKIP_EXIT = 1u << 1,
};
void sd_reader_skip(struct sd_reader *r, unsigned what);

const char *sd_reader_name(const struct sd_reader *r);
const struct sd_file_info *sd_reader_info(const struct sd_reader *r);
size_t sd_reader_nr_evsels(const struct sd_reader *r);
const struct sd_evsel *sd_reader_evsel(const struct sd_reader *r, size_t i);
/* How well an event's name matches a user's query: 2 exactly, 1 without
 * modifiers ("cycles" for "cycles:P", "cpu-clock" for "cpu-clock/freq=999/")
 * or without the tracepoint system ("sched_switch"), 0 not at all. */
int sd_evsel_match(const struct sd_evsel *ev, const char *query);
/* The event named name: an exact match first, else the first partial one. */
const struct sd_evsel *sd_reader_find_evsel(const struct sd_reader *r,
					    const char *name);
const struct sd_reader_stats *sd_reader_stats(const struct sd_reader *r);
/* Where the reader's warnings go; the caller may move them out. */
struct sd_diags *sd_reader_diags(struct sd_reader *r);
/* Bytes of input consumed so far and total (0 if unknown), for progress. */
void sd_reader_progress(const struct sd_reader *r, uint64_t *done,
			uint64_t *total);

#endif
