/* SPDX-License-Identifier: MIT */
/* A small kernel for the stacks tests (test-stacks, test-folded): its
 * kallsyms text, each function 0x100 bytes from KBASE + its offset. */
#ifndef SD_TEST_SMALLKERNEL_H
#define SD_TEST_SMALLKERNEL_H

#define KBASE 0xffffffff81000000ull
static const char kallsyms[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000100 T entry_SYSCALL_64\n"
	"ffffffff81000200 T do_syscall_64\n"
	"ffffffff81000300 T __x64_sys_clone\n"
	"ffffffff81000400 T copy_page_range\n"
	"ffffffff81000500 T swap_duplicate\n"
	"ffffffff81000600 T _raw_spin_lock\n"
	"ffffffff81000700 T _etext\n";

#endif
