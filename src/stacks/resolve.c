/* SPDX-License-Identifier: MIT */
/*
 * Resolving a new chain's frames when it is first sampled (F_LOC keys):
 * each frame to the location of its function -- (DSO, function start,
 * kernel, unwound), each distinct one stored once with an id -- through a
 * direct-mapped cache of (address space, cpumode, address), and the key
 * written straight in its packed form (key.c).  Only a chain the
 * raw-chain table (rawtab.h) does not know comes here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "util/hash.h"
#include "util/vmem.h"

#include "stacks/internal.h"
#include "stacks/key.h"

/* The id of a location, each distinct (dso, map name, address, kernel)
 * stored once. */
static uint64_t loc_hash(const struct sd_location *l)
{
	return sd_mix64(l->addr ^
			sd_mix64((uintptr_t)l->dso ^ (uintptr_t)l->map_name) ^
			l->kernel ^ (uint64_t)l->unwound << 1);
}

static int loc_intern(struct sd_stacks *st, const struct sd_location *loc,
		      uint32_t *id)
{
	uint64_t h = loc_hash(loc);

	if ((st->nlocs + 1) * 2 > st->nlslots) {
		size_t ns = st->nlslots ? st->nlslots * 2 : 4096;
		while ((st->nlocs + 1) * 2 > ns)
			ns *= 2;
		uint32_t *v = calloc(ns, sizeof *v);
		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < st->nlocs; i++) {
			size_t q = loc_hash(&st->locs[i]) & (ns - 1);
			while (v[q])
				q = (q + 1) & (ns - 1);
			v[q] = (uint32_t)i + 1;
		}
		free(st->lslots);
		st->lslots = v;
		st->nlslots = ns;
	}
	size_t q = h & (st->nlslots - 1);
	for (; st->lslots[q]; q = (q + 1) & (st->nlslots - 1)) {
		const struct sd_location *l = &st->locs[st->lslots[q] - 1];
		if (l->addr == loc->addr && l->dso == loc->dso &&
		    l->map_name == loc->map_name && l->kernel == loc->kernel &&
		    l->unwound == loc->unwound) {
			*id = st->lslots[q] - 1;
			return 0;
		}
	}
	if (st->nlocs == st->caplocs) {
		struct sd_location *v = sd_stacks_grow(st->locs, &st->caplocs,
					     st->nlocs + 1, st->nlocs,
					     sizeof *v, 4096, NULL);
		if (!v)
			return -ENOMEM;
		st->locs = v;
	}
	st->locs[st->nlocs] = *loc;
	st->lslots[q] = (uint32_t)++st->nlocs;
	*id = (uint32_t)st->nlocs - 1;
	return 0;
}

/*
 * Where a frame lands, as a location id: a direct-mapped cache of fixed
 * size in front of the map search, because the same addresses come back
 * chain after chain.  It starts at 1024 slots and doubles (keeping what
 * it holds) each time it has missed as often as it has slots, up to
 * RCACHE_SLOTS (768 kB), checked once a chain: a small input never
 * callocs the whole of it.
 */
#define RCACHE_SLOTS 32768

struct rcache_ent {
	uint64_t mmv, ip;
	uint32_t id;
	uint8_t cpumode;
	bool used;
};

void sd_stacks_resolve_free(struct sd_stacks *st)
{
	free(st->rc);
	st->rc = NULL;
	st->rc_slots = st->rc_misses = 0;
	free(st->lslots);
	st->lslots = NULL;
	st->nlslots = 0;
}

static size_t rcache_slot(const struct sd_stacks *st, uint64_t ip,
			  uint64_t vhash)
{
	return ((ip ^ vhash) * 0x9e3779b97f4a7c15ull) >> 32 &
	       (st->rc_slots - 1);
}

static uint64_t view_hash(uint64_t mmv, unsigned cpumode)
{
	return sd_mix64(mmv ^ (uint64_t)cpumode << 56);
}

static void rcache_size(struct sd_stacks *st)
{
	if (st->rc && (st->rc_slots >= RCACHE_SLOTS ||
		       st->rc_misses <= st->rc_slots))
		return;
	size_t ns = st->rc ? st->rc_slots * 2 : 1024, old = st->rc_slots;
	struct rcache_ent *v = calloc(ns, sizeof *v), *o = st->rc;
	if (!v)
		return; /* no bigger cache: the one there is, or none */
	st->rc = v;
	st->rc_slots = ns;
	st->rc_misses = 0;
	/* what it held, in the slots of the bigger one */
	for (size_t i = 0; i < old; i++)
		if (o[i].used)
			v[rcache_slot(st, o[i].ip,
				      view_hash(o[i].mmv, o[i].cpumode))] = o[i];
	free(o);
}

/* With SD_MISC_USER in a frame view's cpumode: the frame was unwound. */
#define CPUMODE_UNWOUND 0x80u

static bool kernel_cpumode(unsigned cpumode)
{
	return cpumode == SD_MISC_KERNEL || cpumode == SD_MISC_GUEST_KERNEL;
}

/* Where a frame's cache key starts: the address space, unless the
 * cpumode is a kernel one, and the cpumode. */
struct frame_view {
	uint64_t mmv;  /* mm << 32 | version; 0 for kernel cpumodes */
	uint64_t hash; /* of mmv and cpumode, mixed into each frame's */
	unsigned cpumode;
};

static struct frame_view frame_view(const struct sd_stack_sample *s,
				    unsigned cpumode)
{
	struct frame_view v;

	v.mmv = kernel_cpumode(cpumode)
			? 0
			: (uint64_t)s->view.mm << 32 | s->view.mm_ver;
	v.hash = view_hash(v.mmv, cpumode);
	v.cpumode = cpumode;
	return v;
}

/* The location id of ip from the machine's maps; e (if any) remembers
 * it. */
static __attribute__((noinline)) int
locate_frame(struct sd_stacks *st, const struct sd_stack_sample *s,
	     const struct frame_view *fv, uint64_t ip, struct rcache_ent *e,
	     uint32_t *out)
{
	unsigned cpumode = fv->cpumode;
	struct sd_location loc;
	uint32_t id;

	if (e)
		st->rc_misses++;
	sd_machine_locate(s->machine, s->view.mm, s->view.mm_ver,
			  cpumode & ~CPUMODE_UNWOUND, ip, &loc);
	loc.unwound = cpumode & CPUMODE_UNWOUND;
	/* every address inside one function folds to the same name: key on
	 * the function, so chains that differ only in return offsets are one
	 * stack (the table is loaded now instead of at the end, once) */
	if (loc.dso) {
		const struct sd_symbol *sym = sd_dso_lookup(loc.dso, loc.addr,
							    NULL);
		if (sym)
			loc.addr = sym->start;
	}
	int err = loc_intern(st, &loc, &id);
	if (err)
		return err;
	if (e)
		*e = (struct rcache_ent){fv->mmv, ip, id, (uint8_t)cpumode,
					 true};
	*out = id;
	return 0;
}

/* The location id of ip: the cache, else the machine's maps. */
static inline int resolve_frame(struct sd_stacks *st,
				const struct sd_stack_sample *s,
				const struct frame_view *fv, uint64_t ip,
				uint32_t *out)
{
	struct rcache_ent *e = NULL;

	if (st->rc) {
		e = &st->rc[rcache_slot(st, ip, fv->hash)];
		if (e->used && e->ip == ip && e->mmv == fv->mmv &&
		    e->cpumode == fv->cpumode) {
			*out = e->id;
			return 0;
		}
	}
	return locate_frame(st, s, fv, ip, e, out);
}

/* The cpumode a call-chain marker switches to; -1 for no marker, -2 for
 * an invalid one (perf then drops the chain). */
static int marker_cpumode(uint64_t ip, unsigned cur)
{
	if (ip < SD_CONTEXT_MAX)
		return -1;
	switch (ip) {
	case SD_CONTEXT_HV:
		return SD_MISC_HYPERVISOR;
	case SD_CONTEXT_KERNEL:
		return SD_MISC_KERNEL;
	case SD_CONTEXT_USER:
		return SD_MISC_USER;
	case SD_CONTEXT_GUEST_KERNEL:
		return SD_MISC_GUEST_KERNEL;
	case SD_CONTEXT_GUEST_USER:
		return SD_MISC_GUEST_USER;
	case SD_CONTEXT_GUEST:
		return (int)cur;
	case SD_CONTEXT_USER_UNWOUND:
		return SD_MISC_USER | CPUMODE_UNWOUND;
	default:
		return -2;
	}
}

/*
 * The frames of an F_LOC key as words: each frame LOC_TAG | its location
 * id, markers kept; after an invalid marker the rest stays raw (perf
 * never looks at it), which key.c then stores in its general form.
 */
static int resolve_words(struct sd_stacks *st, const struct sd_stack_sample *s,
			 uint64_t *ips, size_t nr)
{
	bool chain = s->has_callchain;
	struct frame_view fv =
		frame_view(s, chain ? SD_MISC_USER : s->cpumode);

	for (size_t i = 0; i < nr; i++) {
		if (chain) {
			int c = marker_cpumode(ips[i], fv.cpumode);
			if (c == -2)
				return 0; /* the rest is never looked at */
			if (c >= 0) {
				if ((unsigned)c != fv.cpumode)
					fv = frame_view(s, (unsigned)c);
				continue;
			}
		}
		uint32_t id;
		int err = resolve_frame(st, s, &fv, ips[i], &id);
		if (err)
			return err;
		ips[i] = LOC_TAG | id;
	}
	return 0;
}

int sd_stacks_loc_key(struct sd_stacks *st, const struct sd_stack_sample *s,
		      uint64_t *k, const uint64_t *ips, size_t nr,
		      size_t *klen)
{
	bool chain = s->has_callchain;
	struct frame_view fv =
		frame_view(s, chain ? SD_MISC_USER : s->cpumode);
	uint8_t *out = st->kbuf;
	size_t o = sd_key_encode_packed_hdr(k, out);

	rcache_size(st);
	/* the packed form (key.c) written as the frames resolve: four
	 * bytes a frame, the same bytes sd_key_encode() would write */
	for (size_t i = 0; i < nr; i++, o += 4) {
		uint64_t ip = ips[i];
		uint32_t v;
		if (chain && ip >= SD_CONTEXT_MAX) {
			int c = marker_cpumode(ip, fv.cpumode);
			if (c == -2)
				goto words;
			if ((unsigned)c != fv.cpumode)
				fv = frame_view(s, (unsigned)c);
			v = 0x80000000u | (uint32_t)(0 - ip);
		} else {
			int err = resolve_frame(st, s, &fv, ip, &v);
			if (err)
				return err;
			if (v & 0x80000000u)
				goto words;
		}
		memcpy(out + o, &v, 4);
	}
	*klen = o;
	return 0;
words:
	/* an invalid marker (or 2^31 locations): the general form */
	memcpy(k + KEY_HDR, ips, nr * sizeof *k);
	int err = resolve_words(st, s, k + KEY_HDR, nr);
	if (err)
		return err;
	*klen = sd_key_encode(k, KEY_HDR + nr, out);
	return 0;
}
