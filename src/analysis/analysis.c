/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>

#define PROGRESS_EVERY 65536 /* records */

struct sd_analysis *sd_analysis_free(struct sd_analysis *a)
{
	if (!a)
		return NULL;
	sd_stacks_free(a->stacks);
	sd_machine_free(a->machine);
	sd_symbolizer_free(a->symbolizer);
	sd_reader_free(a->reader);
	sd_diags_clear(&a->diags);
	free(a);
	return NULL;
}

static int run_records(struct sd_analysis *a, const struct sd_analysis_opts *o)
{
	const struct sd_record *rec;
	int rc, err;

	while ((rc = sd_reader_next(a->reader, &rec)) > 0) {
		a->records++;
		if (o->progress && a->records % PROGRESS_EVERY == 0) {
			uint64_t done, total;
			sd_reader_progress(a->reader, &done, &total);
			o->progress(o->progress_arg, done, total);
		}
		if (rec->type != SD_REC_SAMPLE) {
			err = sd_machine_process(a->machine, rec);
			if (err == -ENOMEM)
				return err;
			continue;
		}
		const struct sd_evsel *ev = rec->evsel;
		struct sd_stack_sample s = {
			.evsel = ev->index,
			.cpumode = rec->misc & SD_MISC_CPUMODE_MASK,
			.ip = rec->sample.ip,
			.ips = rec->sample.ips,
			.nr_ips = rec->sample.nr_ips,
			.has_callchain = ev->sample_type & SD_SAMPLE_CALLCHAIN,
			.period = rec->sample.period,
			.pid = rec->id.has_tid ? rec->id.pid : UINT32_MAX,
			.tid = rec->id.has_tid ? rec->id.tid : UINT32_MAX,
			.time = rec->id.has_time ? rec->id.time : 0,
		};
		err = sd_machine_thread(a->machine, s.pid, s.tid, &s.view);
		if (!err)
			err = sd_stacks_add(a->stacks, &s, NULL);
		if (err)
			return err;
		a->samples++;
	}
	if (o->progress) {
		uint64_t done, total;
		sd_reader_progress(a->reader, &done, &total);
		o->progress(o->progress_arg, total ? total : done, total);
	}
	return rc;
}

int sd_analysis_run(const struct sd_analysis_opts *o, struct sd_diags *diags,
		    struct sd_analysis **out)
{
	struct sd_analysis *a = calloc(1, sizeof *a);
	int err;

	if (!a)
		return -ENOMEM;
	sd_diags_init(&a->diags);
	if (o->buf)
		err = sd_reader_open_mem(o->buf, o->len, o->path, o->reader_flags,
					 diags, &a->reader);
	else
		err = sd_reader_open(o->path, o->reader_flags, diags, &a->reader);
	if (err) {
		sd_analysis_free(a);
		return err;
	}
	if (!o->no_symbols) {
		err = sd_symbolizer_new(&o->symbols, sd_reader_info(a->reader),
					&a->symbolizer);
		if (err)
			goto fail;
	}
	if ((err = sd_machine_new(a->symbolizer, &a->machine)) ||
	    (err = sd_stacks_new(&a->stacks)))
		goto fail;

	err = run_records(a, o);
	if (err == -ENOMEM)
		goto fail;
	a->read_error = err;
	err = sd_stacks_symbolize(a->stacks, a->machine);
	if (err)
		goto fail;
	sd_diags_move(&a->diags, sd_reader_diags(a->reader));
	if (a->symbolizer)
		sd_diags_move(&a->diags, sd_symbolizer_diags(a->symbolizer));
	*out = a;
	return 0;
fail:
	if (diags && a->reader)
		sd_diags_move(diags, sd_reader_diags(a->reader));
	sd_analysis_free(a);
	return err;
}

const struct sd_evsel *sd_analysis_default_evsel(const struct sd_analysis *a)
{
	size_t n = sd_reader_nr_evsels(a->reader);

	for (size_t i = 0; i < n; i++) {
		const struct sd_evsel *ev = sd_reader_evsel(a->reader, i);
		if (ev->type == SD_TYPE_TRACEPOINT)
			continue;
		if (ev->type == SD_TYPE_SOFTWARE && ev->config == 9 /* dummy */)
			continue;
		return ev;
	}
	return n ? sd_reader_evsel(a->reader, 0) : NULL;
}
