/* SPDX-License-Identifier: MIT */
/*
 * Damage, in one sentence for the report's first lines: where the input
 * is cut or damaged and what that cost.  The reader and the text parsers
 * say what went wrong, each at its byte offset (the analysis' diags and
 * stats); this only sums it up, so that the report itself says so and
 * not only standard error (which -q hides).
 *
 * File-mode perf.data keeps its feature sections (kernel release, host,
 * CPU count, event names and formats, build-ids) after the samples: a
 * cut anywhere in the data loses them too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"

/* The first problem the input itself has (not a missing symbol file): a
 * warning or error at a byte offset. */
static const struct sd_diag *first_damage(const struct sd_diags *g,
					  size_t *n)
{
	const struct sd_diag *first = NULL;

	*n = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct sd_diag *x = &g->v[i];
		if (x->severity < SD_WARNING || x->offset == UINT64_MAX)
			continue;
		*n += 1 + x->repeat;
		if (!first)
			first = x;
	}
	return first;
}

int diagnose_damage(const struct sd_detect_input *a, struct sd_diagnosis *d)
{
	const struct sd_file_info *in = a->info;
	const struct sd_reader_stats *st = a->stats;
	size_t n;
	const struct sd_diag *g = first_damage(a->diags, &n);
	bool perf = sd_input_is_perf_data(a->kind);
	char *s = NULL;
	int k = 0;

	d->damage_offset = UINT64_MAX;
	if (perf && st->truncated && !in->pipe && in->data_size &&
	    in->file_size < in->data_offset + in->data_size) {
		uint64_t have = in->file_size > in->data_offset
					? in->file_size - in->data_offset
					: 0;
		d->damage_offset = in->file_size;
		k = asprintf(&s,
			     "the file is cut at byte %llu: %.0f%% of its sample "
			     "data was read (%llu of %llu bytes, up to the last "
			     "whole record at byte %llu); the rest of the "
			     "samples and the feature sections stored after "
			     "them (kernel release, host, CPU count, event "
			     "names, build-ids) are lost",
			     (unsigned long long)in->file_size,
			     100.0 * (double)have / (double)in->data_size,
			     (unsigned long long)have,
			     (unsigned long long)in->data_size,
			     (unsigned long long)st->truncated_at);
	} else if (perf && st->truncated && !in->pipe) {
		d->damage_offset = in->file_size;
		k = asprintf(&s,
			     "the file is cut at byte %llu, after its samples: "
			     "header facts in the feature sections past the cut "
			     "are lost",
			     (unsigned long long)in->file_size);
	} else if (perf && st->truncated) {
		d->damage_offset = st->truncated_at;
		k = asprintf(&s,
			     "the stream ends inside a record at byte %llu: "
			     "whatever the recording held after it is lost",
			     (unsigned long long)st->truncated_at);
	} else if (st->bad_records && g) {
		d->damage_offset = g->offset;
		k = asprintf(&s,
			     "%llu damaged %s skipped (the first at byte "
			     "%llu: %s); everything else was read",
			     (unsigned long long)st->bad_records,
			     !perf ? (st->bad_records > 1 ? "lines were"
						  : "line was")
			     : st->bad_records > 1 ? "records were"
						   : "record was",
			     (unsigned long long)g->offset,
			     g->text ? g->text : sd_strerror(g->code));
	} else if (g) {
		d->damage_offset = g->offset;
		k = asprintf(&s, "%s at byte %llu: %s%s",
			     n > 1 ? "damage, first" : "damage",
			     (unsigned long long)g->offset,
			     g->text ? g->text : sd_strerror(g->code),
			     n > 1 ? " (more on standard error)" : "");
	} else {
		return 0;
	}
	if (k < 0)
		return -ENOMEM;
	d->damage = s;
	return 0;
}
