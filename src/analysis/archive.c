/* SPDX-License-Identifier: MIT */
/* A perf archive beside the recording: used only if it is of it. */
#include <stdio.h>
#include <string.h>

#include <swapdiag/bundle.h>

#include "analysis/internal.h"

/*
 * Whether the perf archive is of this recording: it must hold a file for
 * one of the build-ids the recording lists (its files are looked up by
 * build-id only, so a foreign one could never name a frame -- this is
 * for the message).  1 of it, 0 foreign, -1 not known yet (no build-ids:
 * pipe mode before its HEADER_BUILD_ID records).
 */
static int archive_match(const struct sd_file_info *in,
			 const struct sd_perf_archive *pa, char *rec_kernel,
			 char *arc_kernel)
{
	int match = 0;

	rec_kernel[0] = arc_kernel[0] = 0;
	for (size_t k = 0; k < sd_perf_archive_nr_ids(pa); k++) {
		bool kernel;
		const struct sd_build_id *id = sd_perf_archive_id(pa, k, &kernel);
		if (kernel && !arc_kernel[0])
			sd_build_id_hex(id, arc_kernel);
	}
	if (!in->nr_build_ids)
		return -1;
	for (size_t i = 0; i < in->nr_build_ids; i++) {
		const struct sd_build_id_entry *e = &in->build_ids[i];
		if (e->filename && !strcmp(e->filename, "[kernel.kallsyms]") &&
		    !rec_kernel[0])
			sd_build_id_hex(&e->id, rec_kernel);
		for (size_t k = 0; k < sd_perf_archive_nr_ids(pa); k++) {
			const struct sd_build_id *id =
				sd_perf_archive_id(pa, k, NULL);
			if (id->size == e->id.size &&
			    !memcmp(id->data, e->id.data, id->size))
				match = 1;
		}
	}
	return match;
}

int sd_archive_check(struct sd_analysis *a, const struct sd_analysis_opts *o,
			 struct sd_diags *diags, bool *used)
{
	char rk[2 * SD_BUILD_ID_MAX + 1], ak[2 * SD_BUILD_ID_MAX + 1];
	const char *name = o->archive_path ? o->archive_path : "the perf archive";
	int m = archive_match(sd_reader_info(a->reader), o->archive, rk, ak);

	*used = m != 0;
	if (m == 1)
		a->archive_path = o->archive_path ? o->archive_path : "";
	/* after the records (diags NULL): pipe data of perf 6.1 names no
	 * kernel build-id, so the archive's kallsyms cannot be checked */
	if (m != 0 && !diags && ak[0] && !rk[0])
		sd_diags_add(&a->diags, SD_NOTE, SD_E_BUILD_ID_MISMATCH,
			     UINT64_MAX,
			     "%s has the kallsyms of kernel build-id %s, but the "
			     "recording does not say its kernel's build-id (pipe "
			     "mode), so it is not used for kernel frames; if it "
			     "is the recorded kernel, extract it and pass it with "
			     "--kallsyms",
			     name, ak);
	if (m != 0)
		return 0;
	bool fatal = o->archive_named && diags;
	char ids[200] = "";
	if (ak[0] && rk[0])
		snprintf(ids, sizeof ids, " (its kernel build-id is %s, this "
			 "recording's %s)", ak, rk);
	else if (rk[0])
		snprintf(ids, sizeof ids, " (this recording's kernel build-id "
			 "is %s)", rk);
	sd_diags_add(fatal ? diags : &a->diags, fatal ? SD_ERROR : SD_WARNING,
		     SD_E_BUILD_ID_MISMATCH, UINT64_MAX,
		     "%s is a perf archive of another recording: it holds no "
		     "file for any build-id this recording lists%s; %s (run "
		     "'perf archive' on this recording's perf.data where it "
		     "was recorded)",
		     name, ids, fatal ? "refused" : "not used");
	return fatal ? -SD_E_BUILD_ID_MISMATCH : 0;
}

