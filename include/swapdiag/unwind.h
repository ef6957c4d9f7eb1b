/* SPDX-License-Identifier: MIT */
/*
 * Unwind: user call stacks of `perf record --call-graph dwarf` samples.
 *
 * Such samples carry no user call chain but the user registers
 * (PERF_SAMPLE_REGS_USER) and a copy of the user stack from the stack
 * pointer up (PERF_SAMPLE_STACK_USER).  The unwinder walks them with the
 * DWARF CFI (.eh_frame, else .debug_frame) of each mapped binary through
 * libdw's Dwfl unwinder, as perf's unwind-libdw.c does: one Dwfl per
 * address space, its modules reported from the machine's maps when a
 * frame first lands in them (the binaries found by the symbols stage:
 * --symfs, build-id cache, recorded path, build-id checked), memory reads
 * served from the stack copy and, outside it, from the mapped files.
 * Unwinding stops cleanly at the end of the copy, at a frame without CFI
 * or outside any known binary.
 *
 * Frames come out as perf records them: the sampled IP first, then each
 * caller's return address minus one (so that a call at the very end of a
 * function names that function), at most SD_UNWIND_MAX.  No inline frames
 * (perf 6.1's perf script adds none for DWARF stacks).
 *
 * Register maps: x86_64, i386 (also 32-bit tasks on x86_64), aarch64 and
 * arm, chosen by the ELF machine of the binary the sampled IP is in.
 *
 * Identical samples (same address space, registers and stack bytes)
 * unwind once: the result is kept in a bounded cache, for as long as it
 * answers at least one sample in 20 (after the first 2048; it costs two
 * hashes of the stack copy per sample).
 */
#ifndef SWAPDIAG_UNWIND_H
#define SWAPDIAG_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>
#include <swapdiag/machine.h>
#include <swapdiag/reader.h>

#define SD_UNWIND_MAX 127 /* perf script's default --max-stack */

struct sd_unwinder;

/*
 * m resolves addresses to maps and DSOs, info gives the recording's
 * architecture and byte order (read again at each sample: in pipe mode
 * they arrive late); both must outlive the unwinder.
 */
int sd_unwinder_new(struct sd_machine *m, const struct sd_file_info *info,
		    struct sd_unwinder **out);
/* Frees the unwinder and its Dwfls; takes NULL; returns NULL. */
struct sd_unwinder *sd_unwinder_free(struct sd_unwinder *u);

/* True if the sample carries what unwinding needs (registers, stack). */
static inline bool sd_unwind_possible(const struct sd_sample *s)
{
	return s->regs && s->regs_abi && s->stack && s->stack_size;
}

/*
 * The user frames of sample s of thread (pid, tid) in address space view
 * v, leaf first, into ips[0 .. *n) (at most max, capped at SD_UNWIND_MAX).
 * ips[0] is the sampled user IP whenever the registers hold one, even if
 * nothing above it can be unwound.  Returns 0, or -ENOMEM.
 */
int sd_unwind(struct sd_unwinder *u, const struct sd_thread_view *v,
	      uint32_t pid, uint32_t tid, const struct sd_sample *s,
	      uint64_t *ips, size_t max, size_t *n);

/* What the unwinder did, for benchmarks and the report's honesty. */
struct sd_unwind_stats {
	uint64_t samples;    /* sd_unwind() calls with registers and stack */
	uint64_t unwound;    /* of them, walked by libdw (not the cache) */
	uint64_t cached;     /* of them, answered by the cache */
	uint64_t frames;     /* frames produced, cache hits included */
	uint64_t one_frame;  /* samples that gave only the sampled IP */
	uint64_t dwfls;      /* Dwfl sessions made */
	uint64_t modules;    /* modules reported into them */
	uint64_t ns;         /* spent in sd_unwind(), cache hits included */
};
const struct sd_unwind_stats *sd_unwinder_stats(const struct sd_unwinder *u);
/* Warnings: unsupported register sets, binaries libdw refused. */
struct sd_diags *sd_unwinder_diags(struct sd_unwinder *u);

#endif
