/* SPDX-License-Identifier: MIT */
/*
 * Text inputs through the analysis pipeline (src/analysis/analysis.c):
 * machine (comms only), stacks (named), stall tracker, the text_* members
 * of struct sd_analysis.
 */
#ifndef SD_TEXTIN_FEED_H
#define SD_TEXTIN_FEED_H

#include <swapdiag/analysis.h>

/*
 * Analyses o->buf, or the file o->path, as text.  0: done, a is complete
 * (but for sd_stacks_symbolize(), which it calls too); -SD_E_BAD_MAGIC:
 * it is no text swapdiag reads (a note in why says so); another negative
 * error: it could not be read or parsed (why says why).
 */
int sd_text_analysis(struct sd_analysis *a, const struct sd_analysis_opts *o,
		     struct sd_diags *why);

/*
 * For path "-": if standard input holds text rather than pipe-mode
 * perf.data, reads and analyses it (returns 0 or an error as above);
 * returns 1, having consumed nothing, when the reader should have it.
 * A pipe is looked at with tee(2), a file at its current offset.
 */
int sd_text_analysis_stdin(struct sd_analysis *a,
			   const struct sd_analysis_opts *o,
			   struct sd_diags *why);

/* Frees what the text analysis put into a (text_evsels, text_info). */
void sd_text_analysis_fini(struct sd_analysis *a);

#endif
