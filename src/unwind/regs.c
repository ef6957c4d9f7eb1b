/* SPDX-License-Identifier: MIT */
/*
 * The sampled user registers as DWARF registers, per architecture.
 *
 * PERF_SAMPLE_REGS_USER holds one u64 per bit of the event's
 * sample_regs_user mask, in bit order; a bit is an index of the
 * architecture's perf register set (arch/ARCH/include/uapi/asm/
 * perf_regs.h).  The unwinder wants DWARF register numbers (each psABI's
 * DWARF register mapping); the tables below map one to the other.
 */
#include <elf.h>

#include "unwind/internal.h"

/* x86_64 perf regs: AX BX CX DX SI DI BP SP IP FLAGS CS SS DS ES FS GS
 * (0-15), R8-R15 (16-23).  DWARF: rax rdx rcx rbx rsi rdi rbp rsp r8-r15
 * (0-15), return address (16). */
static const int8_t x86_64_map[] = {0, 3, 2, 1, 4, 5, 6, 7, 16, 17,
				    18, 19, 20, 21, 22, 23, 8};
/* i386 (and 32-bit tasks on x86_64, same perf indices).  DWARF: eax ecx
 * edx ebx esp ebp esi edi eip. */
static const int8_t i386_map[] = {0, 2, 3, 1, 7, 6, 4, 5, 8};
/* aarch64 perf regs: X0-X28, X29 (fp), LR, SP (0-31), PC (32); DWARF
 * x0-x30, sp: the same numbers. */
static const int8_t aarch64_map[] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
/* arm perf regs: R0-R10, FP, IP, SP, LR, PC (0-15); DWARF r0-r15. */
static const int8_t arm_map[] = {0, 1, 2,  3,  4,  5,  6,  7,
				 8, 9, 10, 11, 12, 13, 14, 15};
/* a 32-bit arm task on aarch64: r0-r12 in X0-X12, sp/lr/pc in the
 * arm64 SP, LR and PC slots (arch/arm64/kernel/perf_regs.c) */
static const int8_t arm_compat_map[] = {0, 1, 2,  3,  4,  5,  6,  7,
					8, 9, 10, 11, 12, 31, 30, 32};

int sd_unwind_regmap(unsigned e_machine, uint64_t mask, struct sd_regmap *out)
{
	switch (e_machine) {
	case EM_X86_64:
		*out = (struct sd_regmap){x86_64_map, sizeof x86_64_map, 8, 7, 8};
		return 0;
	case EM_386:
		*out = (struct sd_regmap){i386_map, sizeof i386_map, 8, 7, 4};
		return 0;
	case EM_AARCH64:
		*out = (struct sd_regmap){aarch64_map, sizeof aarch64_map, 32, 31, 8};
		return 0;
	case EM_ARM:
		if (mask >> 16)
			*out = (struct sd_regmap){arm_compat_map,
						  sizeof arm_compat_map, 32, 31, 4};
		else
			*out = (struct sd_regmap){arm_map, sizeof arm_map, 15, 13, 4};
		return 0;
	default:
		return -1;
	}
}

bool sd_unwind_reg(uint64_t mask, const uint64_t *regs, int idx,
		   uint64_t *val)
{
	if (idx < 0 || idx > 63 || !(mask >> idx & 1))
		return false;
	*val = regs[__builtin_popcountll(mask & ((1ull << idx) - 1))];
	return true;
}
