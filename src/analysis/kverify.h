/* SPDX-License-Identifier: MIT */
/* Private to src/analysis: evidence for the kernel symbol check. */
#ifndef SD_ANALYSIS_KVERIFY_H
#define SD_ANALYSIS_KVERIFY_H

#include <swapdiag/analysis.h>

#define SD_KVERIFY_MAX_IPS 8192

/* Per sample while reading: keeps a kernel sample's IP (bounded). */
void sd_kverify_sample(struct sd_analysis *a, const struct sd_record *rec);
/* After symbolization: gathers the chains' entry points and checks the
 * kernel symbols (sd_symbolizer_verify_kernel()). */
void sd_kverify_finish(struct sd_analysis *a);

#endif
