/* SPDX-License-Identifier: MIT */
/* The unwinder's private parts: register maps (regs.c). */
#ifndef SD_UNWIND_INTERNAL_H
#define SD_UNWIND_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How one architecture's perf registers become DWARF registers. */
struct sd_regmap {
	const int8_t *perf; /* perf register index of DWARF register i */
	size_t n;           /* DWARF registers 0 .. n-1 */
	int pc, sp;         /* perf indices of the IP and stack pointer */
	unsigned word;      /* bytes of an address: 8, or 4 */
};

/* The map for an ELF machine (EM_*); -1 if unsupported.  mask tells a
 * 32-bit arm task on aarch64 from a native arm one. */
int sd_unwind_regmap(unsigned e_machine, uint64_t mask, struct sd_regmap *out);
/* The value of perf register idx in a REGS_USER sample; false if the
 * mask does not have it. */
bool sd_unwind_reg(uint64_t mask, const uint64_t *regs, int idx,
		   uint64_t *val);

#endif
