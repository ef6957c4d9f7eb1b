/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <swapdiag/report.h>

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void sample_type_names(FILE *out, uint64_t t)
{
	static const char *const names[] = {
		"IP", "TID", "TIME", "ADDR", "READ", "CALLCHAIN", "ID", "CPU",
		"PERIOD", "STREAM_ID", "RAW", "BRANCH_STACK", "REGS_USER",
		"STACK_USER", "WEIGHT", "DATA_SRC", "IDENTIFIER",
		"TRANSACTION", "REGS_INTR", "PHYS_ADDR", "AUX", "CGROUP",
		"DATA_PAGE_SIZE", "CODE_PAGE_SIZE", "WEIGHT_STRUCT",
	};
	const char *sep = "";

	for (unsigned i = 0; i < 64; i++) {
		if (!(t >> i & 1))
			continue;
		if (i < sizeof names / sizeof *names)
			fprintf(out, "%s%s", sep, names[i]);
		else
			fprintf(out, "%sbit%u", sep, i);
		sep = "|";
	}
}

int sd_report_headers(FILE *out, struct sd_reader *r, const char *path)
{
	const struct sd_file_info *in = sd_reader_info(r);
	const struct sd_reader_stats *st = sd_reader_stats(r);
	uint64_t first = st->first_time, last = st->last_time;

	fprintf(out, "file:        %s", path);
	if (in->file_size || !in->pipe)
		fprintf(out, " (%" PRIu64 " bytes)", in->file_size);
	fprintf(out, ", %s mode, %s-endian\n", in->pipe ? "pipe" : "file",
		in->order == SD_ORDER_BIG ? "big" : "little");
	fprintf(out, "host:        %s\n", or_dash(in->hostname));
	fprintf(out, "kernel:      %s\n", or_dash(in->os_release));
	fprintf(out, "arch:        %s\n", or_dash(in->arch));
	if (in->nr_cpus_online)
		fprintf(out, "cpus:        %u online, %u available\n",
			in->nr_cpus_online, in->nr_cpus_avail);
	else
		fprintf(out, "cpus:        -\n");
	fprintf(out, "perf:        %s\n", or_dash(in->perf_version));
	fprintf(out, "command:     %s\n", or_dash(in->cmdline));
	if (in->has_sample_time && in->sample_time_last > in->sample_time_first) {
		first = in->sample_time_first;
		last = in->sample_time_last;
	}
	if (last > first)
		fprintf(out, "duration:    %.3f s\n", (double)(last - first) / 1e9);
	else
		fprintf(out, "duration:    -\n");
	if (in->has_clock_data && first) {
		/* the wall-clock time of the first sample, from CLOCK_DATA */
		/* modulo 2^64: a damaged CLOCK_DATA must not overflow */
		int64_t wall = (int64_t)(in->clock_tod_ns +
					 (first - in->clock_ns));
		time_t t = (time_t)(wall / 1000000000);
		struct tm tm;
		char buf[64];
		if (gmtime_r(&t, &tm) &&
		    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm))
			fprintf(out, "started:     %s\n", buf);
	}
	if (in->has_compression || st->records[SD_REC_COMPRESSED] ||
	    st->records[SD_REC_COMPRESSED2]) {
		fprintf(out, "compression: zstd");
		if (in->has_compression)
			fprintf(out, " level %u", in->comp_level);
		if (st->compressed_bytes)
			fprintf(out, ", %" PRIu64 " -> %" PRIu64 " bytes",
				st->compressed_bytes, st->decompressed_bytes);
		/* zstd's own time, the reader's decompress_ns */
		if (st->decompress_ns)
			fprintf(out, ", decompressed in %.1f ms",
				(double)st->decompress_ns / 1e6);
		fprintf(out, "\n");
	} else {
		fprintf(out, "compression: none\n");
	}
	fprintf(out, "lost:        %" PRIu64 " events, %" PRIu64 " samples\n",
		st->lost_events, st->lost_samples);
	if (st->truncated)
		fprintf(out, "truncated:   yes, at byte %" PRIu64 "\n",
			st->truncated_at);
	fprintf(out, "events:\n");
	for (size_t i = 0; i < sd_reader_nr_evsels(r); i++) {
		const struct sd_evsel *ev = sd_reader_evsel(r, i);
		fprintf(out, "  %-24s %8" PRIu64 " samples  %s %" PRIu64 "  ",
			ev->name, ev->nr_samples, ev->freq ? "freq" : "period",
			ev->period_or_freq);
		sample_type_names(out, ev->sample_type);
		fprintf(out, "\n");
	}
	return ferror(out) ? -EIO : 0;
}
