/* SPDX-License-Identifier: MIT */
/*
 * bytes -> archive input: sd_bundle_probe_mem() and sd_bundle_open_mem()
 * (a swapdiag bundle: libarchive's tar and zstd, names, caps, the raw
 * fallback for a cut perf.data, the frame check, dsos/ members), and
 * sd_perf_archive_probe_mem() and sd_perf_archive_open_mem() (a perf
 * archive, any compression), then everything the opened objects offer.
 * The temporary files land in a private directory that is checked to be
 * empty again after each input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>

#include "fuzz.h"

static char tmpdir[] = "/tmp/swapdiag-fuzz-archive.XXXXXX";

static void check_empty(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			abort(); /* a temporary file was left behind */
	closedir(d);
}

static void cleanup(void)
{
	rmdir(tmpdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct sd_bundle_opts o = {.tmpdir = tmpdir};
	struct sd_bundle *b = NULL;
	struct sd_perf_archive *pa = NULL;
	struct sd_diags why;
	const char *paths[64];

	if (!ready) {
		if (!mkdtemp(tmpdir))
			abort();
		atexit(cleanup);
		ready = true;
	}
	sd_diags_init(&why);
	(void)sd_bundle_probe_mem(data, size);
	if (!sd_bundle_open_mem(data, size, &o, &why, &b)) {
		(void)sd_bundle_perf_data(b);
		(void)sd_bundle_kallsyms(b);
		(void)sd_bundle_host(b);
		(void)sd_bundle_temp_files(b, paths, 64);
		if (sd_bundle_dsos(b))
			(void)sd_perf_archive_temp_files(sd_bundle_dsos(b),
							 paths, 64);
		sd_bundle_free(b);
	}
	sd_diags_clear(&why);
	check_empty();
	(void)sd_perf_archive_probe_mem(data, size);
	if (!sd_perf_archive_open_mem(data, size, &o, &why, &pa)) {
		bool k;
		for (size_t i = 0; i < sd_perf_archive_nr_ids(pa); i++)
			(void)sd_perf_archive_id(pa, i, &k);
		(void)sd_perf_archive_temp_files(pa, paths, 64);
		sd_perf_archive_free(pa);
	}
	sd_diags_clear(&why);
	check_empty();
	return 0;
}
