/* SPDX-License-Identifier: MIT */
/* Private to src/analysis: evidence for the kernel symbol check. */
#ifndef SD_ANALYSIS_KVERIFY_H
#define SD_ANALYSIS_KVERIFY_H

#include <swapdiag/analysis.h>
#include <swapdiag/perf_abi.h>

#define SD_KVERIFY_MAX_IPS 8192

/* Per sample while reading: keeps a kernel sample's IP (bounded); the
 * test is inline, the copy out of line. */
void sd_kverify_keep(struct sd_analysis *a, uint64_t ip);

static inline void sd_kverify_sample(struct sd_analysis *a,
				     const struct sd_record *rec)
{
	if ((rec->misc & SD_MISC_CPUMODE_MASK) == SD_MISC_KERNEL &&
	    a->nr_kernel_ips < SD_KVERIFY_MAX_IPS)
		sd_kverify_keep(a, rec->sample.ip);
}
/* After symbolization: gathers the chains' entry points and checks the
 * kernel symbols (sd_symbolizer_verify_kernel()). */
void sd_kverify_finish(struct sd_analysis *a);

#endif
