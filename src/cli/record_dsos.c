/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record --with-dsos: after perf has written perf.data, the
 * user DSOs its BUILD_ID feature lists (perf record lists the DSOs its
 * samples hit) are taken from this host by build-id, within a cap, and
 * go into the bundle in perf archive layout (src/bundle/dsos.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>

#include "cli/cli.h"
#include "cli/record.h"

int cli_parse_mib(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || v < 1 || v > 65536)
		return -1;
	*bytes = (uint64_t)v << 20;
	return 0;
}

static double mib(uint64_t b)
{
	return (double)b / (1 << 20);
}

int cli_record_dsos(const char *perf_data, uint64_t cap,
		    struct sd_bundle_dsos *out)
{
	struct sd_reader *r = NULL;
	struct sd_diags why;
	int err;

	sd_diags_init(&why);
	err = sd_reader_open(perf_data, 0, &why, &r);
	sd_diags_clear(&why);
	if (err)
		return err;
	const struct sd_file_info *in = sd_reader_info(r);
	err = sd_bundle_pick_dsos(in->build_ids, in->nr_build_ids, cap, "",
				  out);
	sd_reader_free(r);
	if (err)
		return err;
	char over[128] = "", missing[128] = "";
	if (out->over_cap)
		snprintf(over, sizeof over, "; left out %zu over the cap "
					    "(%.1f MiB: raise --dso-cap)",
			 out->over_cap, mib(out->over_cap_bytes));
	if (out->missing)
		snprintf(missing, sizeof missing, "; %zu not found here with "
						  "the recorded build-id "
						  "(replaced or deleted since)",
			 out->missing);
	cli_info("adding %zu sampled DSOs by build-id (%.1f MiB, cap %.0f "
		 "MiB)%s%s",
		 out->nr_dsos, mib(out->total), mib(cap), over, missing);
	return 0;
}

int cli_record_add_dsos(struct sd_bundle_writer *w,
			const struct sd_bundle_dsos *d, uint64_t mtime)
{
	for (size_t i = 0; i < d->n; i++) {
		int fd = open(d->v[i].path, O_RDONLY | O_CLOEXEC), err;
		if (fd < 0)
			return -errno;
		err = sd_bundle_writer_add_fd(w, d->v[i].member, fd, mtime);
		close(fd);
		if (err)
			return err;
	}
	return 0;
}
