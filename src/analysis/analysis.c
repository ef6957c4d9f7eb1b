/* SPDX-License-Identifier: MIT */
/*
 * One analysis run: the input opened and sniffed once (sniff.c), then
 * the stages set up and the source of its kind run through the one driver
 * (records.c for perf.data, text.c for text; drive.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/bundle.h>
#include <swapdiag/stalls.h>

#include "analysis/internal.h"
#include "analysis/kverify.h"

struct sd_analysis *sd_analysis_free(struct sd_analysis *a)
{
	if (!a)
		return NULL;
	sd_unwinder_free(a->unwinder);
	free(a->chain);
	sd_stacks_free(a->stacks);
	if (a->stalls) {
		sd_stalls_fini(a->stalls);
		free(a->stalls);
	}
	if (a->offcpu_track) {
		sd_stalls_fini(a->offcpu_track);
		free(a->offcpu_track);
	}
	free(a->offcpu.ns);
	free(a->forkers);
	free(a->fork_notes);
	sd_machine_free(a->machine);
	sd_symbolizer_free(a->symbolizer);
	sd_reader_free(a->reader);
	sd_text_source_fini(a);
	free(a->kernel_ips);
	sd_diags_clear(&a->diags);
	sd_bundle_input_free(a->bundle);
	free(a);
	return NULL;
}

static int scan_times(const struct sd_analysis_opts *o, uint64_t *first,
		      uint64_t *last)
{
	struct sd_reader *r;
	struct sd_diags why;
	const struct sd_record *rec;
	int err;

	sd_diags_init(&why);
	err = o->buf ? sd_reader_open_mem(o->buf, o->len, o->path,
					  o->reader_flags, &why, &r)
		     : sd_reader_open(o->path, o->reader_flags, &why, &r);
	sd_diags_clear(&why);
	if (err)
		return err;
	*first = *last = 0;
	while (sd_reader_next(r, &rec) > 0) {
		if (rec->type != SD_REC_SAMPLE || !rec->id.has_time ||
		    !rec->id.time)
			continue;
		if (!*first || rec->id.time < *first)
			*first = rec->id.time;
		if (rec->id.time > *last)
			*last = rec->id.time;
	}
	sd_reader_free(r);
	return 0;
}

/* --time: the windows, percentages turned into times of this recording. */
static int setup_time(struct sd_analysis *a, const struct sd_analysis_opts *o,
		      struct sd_diags *diags)
{
	const struct sd_file_info *in = sd_reader_info(a->reader);
	uint64_t first = 0, last = 0;

	a->time = *o->time;
	if (!a->time.percent)
		return 0;
	if (in->has_sample_time && in->sample_time_first &&
	    in->sample_time_first <= in->sample_time_last) {
		first = in->sample_time_first;
		last = in->sample_time_last;
	} else if (!o->buf && !strcmp(o->path, "-")) {
		sd_diags_add(diags, SD_ERROR, SD_E_TIME_WINDOW, UINT64_MAX,
			     "percent time windows need the recording's first "
			     "and last sample time, which pipe-mode data on "
			     "standard input does not say in advance: save it "
			     "to a file, or give START,STOP in seconds");
		return -SD_E_TIME_WINDOW;
	} else {
		int err = scan_times(o, &first, &last);
		if (err)
			return err;
	}
	if (!first) {
		sd_diags_add(diags, SD_ERROR, SD_E_TIME_WINDOW, UINT64_MAX,
			     "percent time windows need sample times, and the "
			     "samples of this recording have none (recorded "
			     "without PERF_SAMPLE_TIME)");
		return -SD_E_TIME_WINDOW;
	}
	sd_time_resolve(&a->time, first, last);
	return 0;
}

/* The stages every input kind goes through. */
static int setup_stages(struct sd_analysis *a, const struct sd_analysis_opts *o)
{
	int err;

	if ((err = sd_machine_new(a->symbolizer, &a->machine)) ||
	    (err = sd_stacks_new(&a->stacks)))
		return err;
	sd_stacks_set_fold(a->stacks, o->fold_with);
	a->stalls = calloc(1, sizeof *a->stalls);
	if (!a->stalls)
		return -ENOMEM;
	sd_stalls_init(a->stalls);
	/* --off-cpu pairs the switches of perf.data (sd_analysis_off_cpu()) */
	if (o->off_cpu && a->reader) {
		a->offcpu_track = calloc(1, sizeof *a->offcpu_track);
		if (!a->offcpu_track)
			return -ENOMEM;
		sd_stalls_init(a->offcpu_track);
	}
	return 0;
}

/* perf.data: the reader on the sniffed descriptor (or o->buf). */
static int run_perf_data(struct sd_analysis *a, const struct sd_analysis_opts *o,
			 struct sd_input_data *in, struct sd_diags *diags)
{
	struct sd_diags why;
	int err;

	sd_diags_init(&why);
	if (o->buf) {
		err = sd_reader_open_mem(o->buf, o->len, o->path,
					 o->reader_flags, &why, &a->reader);
	} else {
		err = sd_reader_open_fd(in->fd, o->path, o->reader_flags, &why,
					&a->reader);
		in->fd = -1; /* the reader's now */
	}
	if (err && diags)
		sd_diags_move(diags, &why);
	sd_diags_clear(&why);
	if (err)
		return err;
	if (o->time) {
		sd_diags_init(&why);
		err = setup_time(a, o, &why);
		if (err && diags)
			sd_diags_move(diags, &why);
		sd_diags_clear(&why);
		if (err)
			return err;
	}
	bool archive_used = false;
	if (o->archive && (err = sd_archive_check(a, o, diags, &archive_used)))
		goto fail;
	if (!o->no_symbols) {
		struct sd_symbol_opts so = o->symbols;
		if (archive_used)
			so.archive_dir = sd_perf_archive_dir(o->archive);
		err = sd_symbolizer_new(&so, sd_reader_info(a->reader),
					&a->symbolizer);
		if (err)
			goto fail;
	}
	if ((err = setup_stages(a, o)))
		goto fail;
	err = sd_run_records(a, o);
	if (err == -ENOMEM)
		goto fail;
	a->read_error = err;
	/* pipe mode: the build-ids came with the records */
	if (archive_used)
		sd_archive_check(a, o, NULL, &archive_used);
	err = sd_stacks_symbolize(a->stacks, a->machine);
	if (err)
		goto fail;
	sd_kverify_finish(a);
	/* nothing after this locates a user address (the output reads
	 * comms and forks): the maps' memory is free for the output */
	sd_machine_forget_maps(a->machine);
	{
		/* the reader's messages first: they say what was read */
		struct sd_diags mine = a->diags;
		sd_diags_init(&a->diags);
		sd_diags_move(&a->diags, sd_reader_diags(a->reader));
		sd_diags_move(&a->diags, &mine);
	}
	if (a->symbolizer)
		sd_diags_move(&a->diags, sd_symbolizer_diags(a->symbolizer));
	if (a->unwinder)
		sd_diags_move(&a->diags, sd_unwinder_diags(a->unwinder));
	return 0;
fail:
	if (diags)
		sd_diags_move(diags, sd_reader_diags(a->reader));
	return err;
}

/* Text: its parser through the same driver. */
static int run_text(struct sd_analysis *a, const struct sd_analysis_opts *o,
		    struct sd_input_data *in, struct sd_diags *diags)
{
	struct sd_diags why;
	int err;

	if (o->time) {
		if (diags)
			sd_diags_add(diags, SD_ERROR, SD_E_TIME_WINDOW,
				     UINT64_MAX,
				     "--time selects samples of a perf.data "
				     "recording by their time; this input is "
				     "%s text: cut the text instead, or give "
				     "the recording",
				     sd_input_kind_name(a->input_kind));
		return -SD_E_TIME_WINDOW;
	}
	if ((err = setup_stages(a, o)))
		return err;
	sd_diags_init(&why);
	err = sd_run_text(a, o, in, &why);
	if (err && diags)
		sd_diags_move(diags, &why);
	sd_diags_clear(&why);
	return err;
}

/* What the input is not: why it is not analysed. */
static int refuse(const struct sd_input_data *in, struct sd_diags *diags)
{
	if (!diags)
		return -SD_E_BAD_MAGIC;
	if (in->kind == SD_INPUT_BUNDLE)
		sd_diags_add(diags, SD_ERROR, SD_E_BAD_MAGIC, 0,
			     "zstd-compressed data or a tar archive, but no "
			     "bundle from 'swapdiag record' given as a file (a "
			     "bundle is read from a file, not from standard "
			     "input): decompress anything else first (zstd -d), "
			     "and give a 'perf archive' tarball with --archive");
	else
		sd_diags_add(diags, SD_ERROR, SD_E_BAD_MAGIC, 0,
			     "neither perf.data (it does not start with "
			     "PERFILE2) nor perf script output, folded stacks "
			     "or perf report text");
	return -SD_E_BAD_MAGIC;
}

/*
 * A bundle from 'swapdiag record' (a file): its perf.data, with the
 * kallsyms, host context and DSOs that travel with it where the caller
 * named none (what the user names comes first).
 */
static int run_bundle(struct sd_analysis *a, const struct sd_analysis_opts *o,
		      const struct sd_input_data *in, struct sd_diags *diags)
{
	struct sd_diags why;
	int err;

	if (o->buf || !strcmp(o->path, "-"))
		return refuse(in, diags);
	sd_diags_init(&why);
	err = sd_bundle_input_open(o->path, NULL, &why, &a->bundle);
	if (err && diags)
		sd_diags_move(diags, &why);
	sd_diags_clear(&why);
	if (err)
		return err;
	if (!sd_bundle_input_bundle(a->bundle))
		return refuse(in, diags); /* another archive */
	if (sd_bundle_input_diags(a->bundle))
		sd_diags_move(&a->diags, sd_bundle_input_diags(a->bundle));
	struct sd_analysis_opts bo = *o;
	bo.path = sd_bundle_input_data(a->bundle);
	const char *name, *build_id;
	const char *ks = sd_bundle_input_kallsyms(a->bundle, &name, &build_id);
	if (ks && !o->symbols.kallsyms && !o->symbols.vmlinux) {
		bo.symbols.kallsyms = ks;
		bo.symbols.kallsyms_source = SD_KSYM_BUNDLE;
		bo.symbols.kallsyms_name = name;
		bo.symbols.kallsyms_build_id = build_id;
	}
	if (!bo.host)
		a->host = bo.host = sd_bundle_input_host(a->bundle);
	if (!bo.archive) {
		/* a bundle's own --with-dsos files (never one beside it) */
		sd_diags_init(&why);
		if (!sd_bundle_input_add_archive(a->bundle, NULL, NULL, &why) &&
		    sd_bundle_input_archive(a->bundle)) {
			bo.archive = sd_bundle_input_archive(a->bundle);
			bo.archive_path = sd_bundle_input_archive_path(a->bundle);
			bo.archive_named = false;
		}
		sd_diags_move(&a->diags, &why);
		sd_diags_clear(&why);
	}
	struct sd_input_data data;
	if ((err = sd_input_open(&bo, &data)))
		return err;
	a->input_kind = data.kind;
	if (sd_input_is_perf_data(data.kind))
		err = run_perf_data(a, &bo, &data, diags);
	else
		err = refuse(&data, diags);
	sd_input_close(&data);
	return err;
}

int sd_analysis_run(const struct sd_analysis_opts *o, struct sd_diags *diags,
		    struct sd_analysis **out)
{
	struct sd_analysis *a = calloc(1, sizeof *a);
	struct sd_input_data in;
	int err;

	if (!a)
		return -ENOMEM;
	sd_diags_init(&a->diags);
	a->host = o->host;
	err = sd_input_open(o, &in);
	if (err) {
		free(a);
		return err;
	}
	/* the one dispatch on what the input is */
	a->input_kind = in.kind;
	if (sd_input_is_perf_data(in.kind))
		err = run_perf_data(a, o, &in, diags);
	else if (sd_input_is_text(in.kind))
		err = run_text(a, o, &in, diags);
	else if (in.kind == SD_INPUT_BUNDLE)
		err = run_bundle(a, o, &in, diags);
	else
		err = refuse(&in, diags);
	sd_input_close(&in);
	if (err) {
		sd_analysis_free(a);
		return err;
	}
	*out = a;
	return 0;
}
