/* SPDX-License-Identifier: MIT */
/*
 * The seed incident's fixture for tests that build a perf.data
 * (pdbuild.h): the sample type, the text range of the RHEL 6 kernel of
 * testdata/synthetic/rhel6-seed.kallsyms, and httpd's fork call chain
 * under that kernel.  Include after pdbuild.h.
 */
#ifndef SD_TEST_SEEDFIX_H
#define SD_TEST_SEEDFIX_H

#include <stdint.h>

#include <swapdiag/reader.h>

#define ST                                                                     \
	(SD_SAMPLE_IP | SD_SAMPLE_TID | SD_SAMPLE_TIME | SD_SAMPLE_ID |        \
	 SD_SAMPLE_CPU | SD_SAMPLE_PERIOD | SD_SAMPLE_CALLCHAIN)

/* rhel6-seed.kallsyms */
#define K_TEXT 0xffffffff81000000ull
#define K_ETEXT 0xffffffff815eaae0ull

/* httpd forking: fork copies its swap entries (leaf first) */
static const uint64_t fork_chain[] = {
	SD_CONTEXT_KERNEL,
	0xffffffff815cad70ull, /* _spin_lock */
	0xffffffff811996a0ull, /* __swap_duplicate */
	0xffffffff81199800ull, /* swap_duplicate */
	0xffffffff8117dc00ull, /* copy_pte_range */
	0xffffffff8117e000ull, /* copy_page_range */
	0xffffffff810456a0ull, /* dup_mm */
	0xffffffff81044100ull, /* copy_process */
	0xffffffff81045300ull, /* do_fork */
	0xffffffff81009590ull, /* sys_clone */
	0xffffffff81009500ull, /* stub_clone */
	SD_CONTEXT_USER,
	0x7f2a4c601234ull,     /* /usr/sbin/httpd */
};

#endif
