/* SPDX-License-Identifier: MIT */
/* Private to src/report: wording of the kernel symbols line. */
#ifndef SD_REPORT_KSYMS_H
#define SD_REPORT_KSYMS_H

#include <swapdiag/symbols.h>

/* "verified", "NOT verified", "does not match", ... */
const char *sd_ksyms_state(const struct sd_kernel_symbols *ks);
/* What the source is, when the path does not say it ("perf's build-id
 * cache"), or NULL for a --kallsyms file and none. */
const char *sd_ksyms_where(const struct sd_kernel_symbols *ks);

#endif
