/* SPDX-License-Identifier: MIT */
/*
 * The frame tables in front of the map search (frametab.c), shared with
 * the key builder (resolve.c), which probes them in line: a frame in
 * them is a load and a compare or two, a miss a call to frametab.c.
 *
 * Where a frame lands, as a location id: two tables in front of the map
 * search, because the same addresses come back chain after chain.
 * Kernel addresses (kernel cpumodes) land in the same place in every
 * address space: keyed by the address alone (struct rcache_kent) in a
 * hash table that keeps them all (open addressing; it starts at
 * RC_FIRST slots, 512 kB, room for the 12 k return addresses of a fork
 * storm's kernel paths -- the copies of a table grown from small were a
 * seventh of such a run's page faults -- and doubles at half full up to
 * RC_MAX slots, 4 MB, where it starts again empty).  Its entries were
 * the user table's 24 bytes, (cpumode, address) the key: at 16 bytes
 * a kernel frame in the cache is one compare, and kstorm's new chains
 * miss D1 12 % less in the key builder (cachegrind, 394 k -> 347 k;
 * a 2 MiB last level: 56.9 k -> 49.3 k).  User addresses are keyed by (cpumode,
 * address space, version, address) in a direct-mapped table of 4 k
 * slots, 96 kB: each new process has addresses of its own (ASLR), used
 * by its own samples, which come close together -- a table that kept
 * them all would grow with the processes, and one of 16 k slots found
 * 3 % more of a fork storm's frames (2.8 k of 97 k located) while most
 * of its probes, for a new process's addresses, missed the caches.
 * With 1 k slots, 16 % of dso.data's user frames located (35 k of
 * 220 k) and 4 % of kstorm's had been located before in the same
 * view and lost their slot; 4 k slots: dso -4.9 M instructions,
 * kstorm -0.5 M.
 * Both are emptied when the kernel's maps change (a kernel address, or
 * a user-mode one in the kernel's range, may land elsewhere then).
 */
#ifndef SD_STACKS_FRAMETAB_H
#define SD_STACKS_FRAMETAB_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/stacks.h>

#include "stacks/internal.h"

#define RC_FIRST (1u << 15)
#define RC_MAX (1u << 18)
#define URC_SHIFT (64 - 12) /* 4 k slots, 96 kB */
#define RC_MUL 0x9e3779b97f4a7c15ull

struct rcache_ent {
	uint64_t ip;
	uint64_t key; /* frame_view's; 0: empty */
	uint32_t id;  /* < 2^31 */
};

/*
 * An entry of the kernel table: the address alone, as the kernel's
 * cpumodes (host and guest) place an address alike (sd_machine_locate()
 * takes both to the kernel's maps) -- 16 bytes, four to a line, none
 * across two, and one compare a frame.  An empty entry's address is
 * KEMPTY, which no frame that takes the fast way has (in a chain it is
 * a marker; a sample without one that has it takes the general way, and
 * its entry, when stored, still reads as empty).
 */
#define KEMPTY UINT64_MAX
struct rcache_kent {
	uint64_t ip;
	uint32_t id; /* < 2^31 */
};

/* With SD_MISC_USER in a frame view's cpumode: the frame was unwound. */
#define CPUMODE_UNWOUND 0x80u

static inline bool kernel_cpumode(unsigned cpumode)
{
	return cpumode == SD_MISC_KERNEL || cpumode == SD_MISC_GUEST_KERNEL;
}

/*
 * Where a frame's cache key starts: 1 + cpumode (and 8 if unwound) in
 * bits 58-62, then (not for kernel cpumodes) the address space and its
 * version -- never 0.  An address space id of 2^26 or more has no key
 * (NO_KEY, never stored): its frames are located every time.
 */
#define NO_KEY UINT64_MAX
#define NO_CPUMODE 0xffu
struct frame_view {
	uint64_t key;
	uint64_t mix;     /* key * an odd constant, xored into the address */
	unsigned cpumode; /* with CPUMODE_UNWOUND */
	bool kernel;      /* in the kernel table */
};

static inline __attribute__((always_inline)) struct frame_view
frame_view(const struct sd_stack_sample *s, unsigned cpumode)
{
	struct frame_view v;
	uint64_t code = 1 + (cpumode & SD_MISC_CPUMODE_MASK) +
			(cpumode & CPUMODE_UNWOUND ? 8 : 0);

	v.key = code << 58;
	v.kernel = kernel_cpumode(cpumode);
	if (!v.kernel)
		v.key = s->view.mm >> 26 ? NO_KEY
					 : v.key | (uint64_t)s->view.mm << 32 |
						   s->view.mm_ver;
	/* the kernel table's slots by address alone (see rcache_kent) */
	v.mix = v.kernel ? 0 : v.key * 0xc2b2ae3d27d4eb4full;
	v.cpumode = cpumode;
	return v;
}

static inline size_t rcache_slot(unsigned shift, uint64_t ip, uint64_t mix)
{
	return (size_t)(((ip ^ mix) * RC_MUL) >> shift);
}

/* Both frame tables, empty; the DSO-offset memo made if it is not.  0 or
 * -ENOMEM. */
int sd_frametab_reset(struct sd_stacks *st);

/*
 * The location id of a user-mode ip (not in a kernel cpumode) of the
 * view of key and cpumode when the user table's slot for it, e, holds
 * another: from the machine's maps, and remembered there.  The id, or a
 * negative errno.  The caller's slot and the view's key and cpumode,
 * not the view, come in: six arguments, all in registers.
 */
int64_t sd_frametab_locate_user(struct sd_stacks *st,
				const struct sd_stack_sample *s, uint64_t key,
				unsigned cpumode, uint64_t ip,
				struct rcache_ent *e);

/* The location id of a kernel-mode ip when the kernel table's first
 * slot for it holds another: further along the probe, else from the
 * machine's maps, and remembered.  The id, or a negative errno. */
int64_t sd_frametab_locate_kernel(struct sd_stacks *st,
				  const struct sd_stack_sample *s,
				  unsigned cpumode, uint64_t ip);

#endif
