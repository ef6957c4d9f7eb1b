/* SPDX-License-Identifier: MIT */
/*
 * The state of frame resolution at sample time (resolve.c, frametab.c),
 * one struct in struct sd_stacks: the caches in front of the machine's
 * map search and the symbol lookup.  The locations themselves
 * (st->locs) outlive it: the keys hold their ids.
 */
#ifndef SD_STACKS_RESOLVE_H
#define SD_STACKS_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

struct rcache_ent;
struct rcache_kent;
struct rawloc;

struct sd_resolve {
	uint64_t kgen1; /* sd_machine_kernel_gen() + 1 of the tables, 0: none */
	/* kernel frames: address -> location id (either kernel cpumode) */
	struct rcache_kent *rc;
	size_t rc_slots, rc_n;
	unsigned rc_shift; /* 64 - log2(rc_slots) */
	/* user frames: (cpumode, address space, version, address) */
	struct rcache_ent *urc;
	/* user (DSO, address in it, unwound) -> location id */
	struct rawloc *rl;
	size_t rl_slots, rl_n;
	/* the location ids + 1 of st->locs, by hash (open addressing) */
	uint32_t *lslots;
	size_t nlslots;
	uint32_t loc_unknown[2]; /* location id + 1 of [unknown] (unwound) */
};

#endif
