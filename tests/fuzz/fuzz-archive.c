/* SPDX-License-Identifier: MIT */
/*
 * bytes -> archive input: sd_bundle_probe_mem() and sd_bundle_open_mem()
 * (a swapdiag bundle: libarchive's tar and zstd, names, caps, the raw
 * fallback for a cut perf.data, the frame check, dsos/ members), and
 * sd_perf_archive_probe_mem() and sd_perf_archive_open_mem() (a perf
 * archive, any compression), then everything the opened objects offer;
 * and the same bytes as the tool's input, sd_bundle_input_open() (a
 * bundle given as the input) with them also beside it as its perf
 * archive, removed by sd_bundle_input_remove_temps().  The temporary
 * files land in a private directory that is checked to be empty again
 * after each input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>

#include "fuzz.h"

static char tmpdir[] = "/tmp/swapdiag-fuzz-archive.XXXXXX";
/* the input files of sd_bundle_input: in and in.tar.bz2 */
static char indir[] = "/tmp/swapdiag-fuzz-archive-in.XXXXXX";
static char in_path[sizeof indir + 4], beside_path[sizeof indir + 12];

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
	unlink(in_path);
	unlink(beside_path);
	rmdir(indir);
	rmdir(tmpdir);
}

static bool put(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(data, 1, size, f) == size;

	if (f && fclose(f))
		ok = false;
	return ok;
}

/* The bytes as the recording the tool is given, and beside it. */
static void as_input(const uint8_t *data, size_t size,
		     const struct sd_bundle_opts *o)
{
	struct sd_bundle_input *in = NULL;
	struct sd_diags why;

	if (!put(in_path, data, size) || !put(beside_path, data, size))
		abort();
	sd_diags_init(&why);
	if (!sd_bundle_input_open(in_path, o, &why, &in)) {
		(void)sd_bundle_input_data(in);
		(void)sd_bundle_input_host(in);
		(void)sd_bundle_input_kallsyms(in, NULL, NULL);
		(void)sd_bundle_input_diags(in);
		sd_diags_clear(&why);
		(void)sd_bundle_input_add_archive(in, NULL, o, &why);
		(void)sd_bundle_input_archive(in);
		(void)sd_bundle_input_archive_path(in);
		sd_bundle_input_remove_temps(in);
		check_empty();
		sd_bundle_input_free(in);
	}
	sd_diags_clear(&why);
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
		if (!mkdtemp(tmpdir) || !mkdtemp(indir))
			abort();
		snprintf(in_path, sizeof in_path, "%s/in", indir);
		snprintf(beside_path, sizeof beside_path, "%s/in.tar.bz2",
			 indir);
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
	as_input(data, size, &o);
	check_empty();
	return 0;
}
