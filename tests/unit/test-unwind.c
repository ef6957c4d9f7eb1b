/* SPDX-License-Identifier: MIT */
/*
 * The unwinder's register maps (perf's register indices, per
 * arch/ARCH/include/uapi/asm/perf_regs.h, against each psABI's DWARF
 * register numbers), and what a sample gives when nothing can be unwound.
 */
#include <elf.h>

#include <swapdiag/machine.h>
#include <swapdiag/unwind.h>

#include "unwind/internal.h"
#include "test.h"

/* x86_64's usual mask (perf record --call-graph dwarf): AX..SS (0-11) and
 * R8..R15 (16-23), without DS ES FS GS (12-15). */
#define X86_64_MASK 0xff0fffull

TEST(x86_64_map)
{
	struct sd_regmap m;
	uint64_t regs[20], v;

	for (int i = 0; i < 20; i++)
		regs[i] = 100 + i; /* the i-th value present in the sample */
	CHECK(sd_unwind_regmap(EM_X86_64, X86_64_MASK, &m) == 0);
	CHECK_U64(m.n, 17);
	CHECK_U64(m.word, 8);
	/* IP is perf register 8, the 9th value */
	CHECK(sd_unwind_reg(X86_64_MASK, regs, m.pc, &v));
	CHECK_U64(v, 108);
	/* SP: perf 7 */
	CHECK(sd_unwind_reg(X86_64_MASK, regs, m.sp, &v));
	CHECK_U64(v, 107);
	/* DWARF 1 is rdx: perf DX, 3 */
	CHECK_U64(m.perf[1], 3);
	/* DWARF 3 is rbx: perf BX, 1 */
	CHECK_U64(m.perf[3], 1);
	/* DWARF 8 is r8: perf 16, the 13th value (12-15 absent) */
	CHECK_U64(m.perf[8], 16);
	CHECK(sd_unwind_reg(X86_64_MASK, regs, 16, &v));
	CHECK_U64(v, 112);
	/* DWARF 16 is the return address column: the IP */
	CHECK_U64(m.perf[16], 8);
	/* DS (perf 12) is not in the mask */
	CHECK(!sd_unwind_reg(X86_64_MASK, regs, 12, &v));
}

TEST(other_maps)
{
	struct sd_regmap m;

	/* i386: DWARF eax ecx edx ebx esp ebp esi edi eip */
	CHECK(sd_unwind_regmap(EM_386, 0x1ff, &m) == 0);
	CHECK_U64(m.word, 4);
	CHECK_U64(m.perf[1], 2); /* ecx: CX */
	CHECK_U64(m.perf[4], 7); /* esp: SP */
	CHECK_U64(m.perf[5], 6); /* ebp: BP */
	CHECK_U64(m.perf[8], 8); /* eip: IP */
	/* aarch64: x0-x30 and sp share numbers; PC is perf 32 */
	CHECK(sd_unwind_regmap(EM_AARCH64, 0x1ffffffffull, &m) == 0);
	CHECK_U64(m.n, 32);
	CHECK_U64(m.perf[29], 29);
	CHECK_U64(m.perf[31], 31);
	CHECK_U64(m.pc, 32);
	/* arm: r0-r15; PC perf 15, SP 13 */
	CHECK(sd_unwind_regmap(EM_ARM, 0xffff, &m) == 0);
	CHECK_U64(m.pc, 15);
	CHECK_U64(m.sp, 13);
	/* a 32-bit arm task on aarch64: sp, lr, pc in the arm64 slots */
	CHECK(sd_unwind_regmap(EM_ARM, 0x1ffffffffull, &m) == 0);
	CHECK_U64(m.perf[13], 31);
	CHECK_U64(m.perf[14], 30);
	CHECK_U64(m.pc, 32);
	CHECK(sd_unwind_regmap(EM_PPC64, 0xff, &m) < 0);
}

/* No maps, no binaries: the sampled IP is the one frame; a sample without
 * registers or stack gives none. */
TEST(ip_only)
{
	struct sd_machine *mach;
	struct sd_unwinder *u;
	struct sd_file_info info = {.arch = "x86_64"};
	struct sd_thread_view v = {0};
	uint64_t regs[20] = {0}, ips[8];
	uint8_t stack[64] = {0};
	size_t n = 99;

	regs[8] = 0x401234; /* IP */
	regs[7] = 0x7ffd0000; /* SP */
	CHECK(sd_machine_new(NULL, &mach) == 0);
	CHECK(sd_unwinder_new(mach, &info, &u) == 0);
	struct sd_sample s = {.regs_abi = SD_REGS_ABI_64,
			      .regs_mask = X86_64_MASK,
			      .regs = regs,
			      .stack = stack,
			      .stack_size = sizeof stack};
	CHECK(sd_unwind(u, &v, 1, 1, &s, ips, 8, &n) == 0);
	CHECK_U64(n, 1);
	CHECK_U64(ips[0], 0x401234);
	s.stack_size = 0;
	CHECK(sd_unwind(u, &v, 1, 1, &s, ips, 8, &n) == 0);
	CHECK_U64(n, 0);
	/* an architecture without a map: nothing, and one warning */
	info.arch = "ppc64le";
	s.stack_size = sizeof stack;
	CHECK(sd_unwind(u, &v, 1, 1, &s, ips, 8, &n) == 0);
	CHECK_U64(n, 0);
	CHECK(sd_unwind(u, &v, 1, 1, &s, ips, 8, &n) == 0);
	CHECK_U64(sd_unwinder_diags(u)->n, 1);
	CHECK_U64(sd_unwinder_stats(u)->samples, 1);
	sd_unwinder_free(u);
	sd_machine_free(mach);
}

int main(void)
{
	RUN(x86_64_map);
	RUN(other_maps);
	RUN(ip_only);
	return test_exit();
}
