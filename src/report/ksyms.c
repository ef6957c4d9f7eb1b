/* SPDX-License-Identifier: MIT */
/* The kernel symbols line the text and markdown reports share. */
#include <string.h>

#include "report/ksyms.h"

const char *sd_ksyms_state(const struct sd_kernel_symbols *ks)
{
	if (ks->matches > 0)
		return "verified";
	if (ks->matches == 0)
		return ks->unchecked ? "does not match, used anyway "
				       "(--kallsyms-unchecked)"
				     : "does not match";
	return ks->source == SD_KSYM_NONE ? "none" : "NOT verified";
}

const char *sd_ksyms_where(const struct sd_kernel_symbols *ks)
{
	switch (ks->source) {
	case SD_KSYM_BUNDLE:
		return "the bundle's kallsyms";
	case SD_KSYM_PERF_ARCHIVE:
		return "perf archive";
	case SD_KSYM_BUILDID_CACHE:
		return "perf's build-id cache";
	case SD_KSYM_RUNNING_KERNEL:
		return "the running kernel";
	case SD_KSYM_VMLINUX:
		return "vmlinux";
	default:
		return NULL;
	}
}
