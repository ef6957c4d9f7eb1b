/* SPDX-License-Identifier: MIT */
/*
 * The miss path of the key builder (resolve.c): a frame its tables
 * (frametab.h) do not hold is located in the machine's maps, its
 * location interned (each distinct one stored once, with an id), and
 * remembered in the table; and the tables' upkeep.  The location and
 * DSO-offset tables hash with one multiply (fold_hash()): kstorm
 * -0.9 M, dso -2.2 M instructions.  The DSO-offset memo is keyed
 * without the map's name (a user map's is its DSO's) and grown when an
 * entry is stored, not checked on every probe: kstorm 298.47 M ->
 * 295.89 M instructions, dso 696.33 -> 692.72 M.  A miss's function
 * takes the caller's slot and returns the id, in six registers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "stacks/frametab.h"
#include "stacks/internal.h"

/*
 * The hash of a table here that indexes by its low bits: one multiply,
 * its high half folded down (the low bits of a product see only the low
 * bits of its factors).  The location and DSO-offset tables are probed
 * on every user frame the caches miss, where sd_mix64()'s three rounds
 * were a tenth of the work.
 */
static inline uint64_t fold_hash(uint64_t x)
{
	x *= 0x9fb21c651e98df25ull;
	return x ^ x >> 32;
}

/* The id of a location, each distinct (dso, map name, address, kernel)
 * stored once. */
static uint64_t loc_hash(const struct sd_location *l)
{
	return fold_hash(l->addr ^
			 ((uintptr_t)l->dso ^ (uintptr_t)l->map_name) *
				 0x9e3779b97f4a7c15ull ^
			 l->kernel ^ (uint64_t)l->unwound << 1);
}

static int loc_intern(struct sd_stacks *st, const struct sd_location *loc,
		      uint32_t *id)
{
	uint64_t h = loc_hash(loc);

	if ((st->nlocs + 1) * 2 > st->res.nlslots) {
		size_t ns = st->res.nlslots ? st->res.nlslots * 2 : 4096;
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
		free(st->res.lslots);
		st->res.lslots = v;
		st->res.nlslots = ns;
	}
	size_t q = h & (st->res.nlslots - 1);
	for (; st->res.lslots[q]; q = (q + 1) & (st->res.nlslots - 1)) {
		const struct sd_location *l = &st->locs[st->res.lslots[q] - 1];
		if (l->addr == loc->addr && l->dso == loc->dso &&
		    l->map_name == loc->map_name && l->kernel == loc->kernel &&
		    l->unwound == loc->unwound) {
			*id = st->res.lslots[q] - 1;
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
	st->res.lslots[q] = (uint32_t)++st->nlocs;
	*id = (uint32_t)st->nlocs - 1;
	return 0;
}

/*
 * The location id of a frame the machine placed at loc (its address in
 * the DSO's terms): every address inside one function folds to the same
 * name, so the location is the function's -- chains that differ only in
 * return offsets are one stack (the table is loaded now instead of at
 * the end, once).  A user DSO's address is remembered with its id
 * (struct rawloc): a shared library sits at another address in every
 * process (ASLR), so the frame cache misses where the address in the
 * file is one already seen.  Kernel addresses are their own: the frame
 * cache holds them.
 */
struct rawloc {
	const void *dso;
	uint64_t addr;
	uint32_t id; /* + 1; 0: empty */
	bool unwound;
};
#define RAWLOC_FIRST 1024
#define RAWLOC_MAX (1u << 18) /* slots (6 MB): then it starts again */

static uint64_t rawloc_hash(const struct sd_location *l)
{
	return fold_hash(l->addr ^ (uintptr_t)l->dso * 0x9e3779b97f4a7c15ull ^
			 (uint64_t)l->unwound);
}

static int rawloc_resize(struct sd_stacks *st, size_t ns, bool keep)
{
	struct rawloc *v = calloc(ns, sizeof *v), *o = st->res.rl;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; keep && i < st->res.rl_slots; i++) {
		if (!o[i].id)
			continue;
		struct sd_location l = {.dso = (struct sd_dso *)o[i].dso,
					.addr = o[i].addr,
					.unwound = o[i].unwound};
		size_t q = rawloc_hash(&l) & (ns - 1);
		while (v[q].id)
			q = (q + 1) & (ns - 1);
		v[q] = o[i];
	}
	free(o);
	st->res.rl = v;
	st->res.rl_slots = ns;
	if (!keep)
		st->res.rl_n = 0;
	return 0;
}

/* The table with room for one more entry (at most half full): twice the
 * slots, or (at the most) empty again. */
static int rawloc_room(struct sd_stacks *st)
{
	if ((st->res.rl_n + 1) * 2 <= st->res.rl_slots)
		return 0;
	bool full = st->res.rl_slots >= RAWLOC_MAX;
	return rawloc_resize(st, full ? RAWLOC_FIRST : st->res.rl_slots * 2,
			     !full);
}

/* The location id of loc at its function's start. */
static int sym_loc(struct sd_stacks *st, struct sd_location *loc,
		   uint32_t *id)
{
	const struct sd_symbol *sym = sd_dso_lookup(loc->dso, loc->addr, NULL);

	if (sym)
		loc->addr = sym->start;
	return loc_intern(st, loc, id);
}

static inline __attribute__((always_inline)) int
loc_of(struct sd_stacks *st, struct sd_location *loc, uint32_t *id)
{
	if (!loc->dso) {
		/* most often no map at all: [unknown], every time */
		if (loc->map_name || loc->addr || loc->kernel)
			return loc_intern(st, loc, id);
		uint32_t *u = &st->res.loc_unknown[loc->unwound];
		if (!*u) {
			int err = loc_intern(st, loc, id);
			if (err)
				return err;
			*u = *id + 1;
		}
		*id = *u - 1;
		return 0;
	}
	if (loc->kernel)
		return sym_loc(st, loc, id);
	/* a user map's name is its DSO's (sd_machine_locate()): not in the
	 * key; the table has room for one more (rawloc_room()) */
	size_t mask = st->res.rl_slots - 1, q = rawloc_hash(loc) & mask;
	struct rawloc *r = &st->res.rl[q];
	for (; r->id; q = (q + 1) & mask, r = &st->res.rl[q])
		if (r->addr == loc->addr && r->dso == loc->dso &&
		    r->unwound == loc->unwound) {
			*id = r->id - 1;
			return 0;
		}
	struct rawloc raw = {loc->dso, loc->addr, 0, loc->unwound};
	/* locate() leaves it out: asked for only here, on a new one */
	loc->map_name = sd_dso_name(loc->dso);
	int err = sym_loc(st, loc, id);
	if (err)
		return err;
	raw.id = *id + 1;
	*r = raw;
	st->res.rl_n++;
	return rawloc_room(st);
}

void sd_stacks_resolve_free(struct sd_stacks *st)
{
	free(st->res.rc);
	st->res.rc = NULL;
	free(st->res.urc);
	st->res.urc = NULL;

	st->res.rc_slots = st->res.rc_n = 0;
	st->res.kgen1 = 0;
	free(st->res.lslots);
	st->res.lslots = NULL;
	st->res.nlslots = 0;
	free(st->res.rl);
	st->res.rl = NULL;
	st->res.rl_slots = st->res.rl_n = 0;
}

/* The kernel table with ns slots (a power of two) and what it held, or
 * (keep false) nothing. */
static int rcache_resize(struct sd_stacks *st, size_t ns, bool keep)
{
	struct rcache_kent *v = malloc(ns * sizeof *v), *o = st->res.rc;
	unsigned shift = 64;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++)
		v[i].ip = KEMPTY;
	for (size_t n = ns; n > 1; n >>= 1)
		shift--;
	for (size_t i = 0; keep && i < st->res.rc_slots; i++) {
		if (o[i].ip == KEMPTY)
			continue;
		size_t q = rcache_slot(shift, o[i].ip, 0);
		while (v[q].ip != KEMPTY)
			q = (q + 1) & (ns - 1);
		v[q] = o[i];
	}
	free(o);
	st->res.rc = v;
	st->res.rc_slots = ns;
	st->res.rc_shift = shift;
	if (!keep)
		st->res.rc_n = 0;
	return 0;
}

int sd_frametab_reset(struct sd_stacks *st)
{
	if (!st->res.urc) {
		st->res.urc = calloc((size_t)1 << (64 - URC_SHIFT), sizeof *st->res.urc);
		if (!st->res.urc)
			return -ENOMEM;
	} else {
		memset(st->res.urc, 0, ((size_t)1 << (64 - URC_SHIFT)) *
					   sizeof *st->res.urc);
	}
	if (!st->res.rl && rawloc_resize(st, RAWLOC_FIRST, false))
		return -ENOMEM;
	return rcache_resize(st, RC_FIRST, false);
}

/* The location of ip for a frame of cpumode (with CPUMODE_UNWOUND), from
 * the machine's maps, as an id.  A user map's name (its DSO's) is not
 * asked for by the map search, only by loc_of() when the (DSO, address)
 * is new: one call fewer for nearly every user frame the tables miss
 * (kstorm 270.61 -> 270.30 M instructions, dso 711.41 -> 710.68 M). */
static inline __attribute__((always_inline)) int
locate(struct sd_stacks *st, const struct sd_stack_sample *s,
       unsigned cpumode, uint64_t ip, uint32_t *id)
{
	struct sd_location loc;

	sd_machine_locate_unnamed(s->machine, s->view.mm, s->view.mm_ver,
				  cpumode & ~CPUMODE_UNWOUND, ip, &loc);
	loc.unwound = cpumode & CPUMODE_UNWOUND;
	return loc_of(st, &loc, id);
}

int64_t sd_frametab_locate_user(struct sd_stacks *st,
				const struct sd_stack_sample *s, uint64_t key,
				unsigned cpumode, uint64_t ip,
				struct rcache_ent *e)
{
	uint32_t id;

	/* the slot's address and key written before the map search, the
	 * id after it (nothing reads the table in between): the search
	 * keeps three values across its call, not five */
	e->ip = ip;
	e->key = key != NO_KEY ? key : 0;
	int err = locate(st, s, cpumode, ip, &id);
	if (err || (id & 0x80000000u)) {
		e->key = 0; /* empty */
		return err ? (int64_t)err : (int64_t)id;
	}
	e->id = id;
	return id;
}

int64_t sd_frametab_locate_kernel(struct sd_stacks *st,
				  const struct sd_stack_sample *s,
				  unsigned cpumode, uint64_t ip)
{
	size_t mask = st->res.rc_slots - 1, q;
	uint32_t id;

	for (q = rcache_slot(st->res.rc_shift, ip, 0);
	     st->res.rc[q].ip != KEMPTY; q = (q + 1) & mask) {
		const struct rcache_kent *e = &st->res.rc[q];
		if (e->ip == ip)
			return e->id;
	}
	int err = locate(st, s, cpumode, ip, &id);
	if (err)
		return err;
	if (id & 0x80000000u)
		return id;
	if ((st->res.rc_n + 1) * 2 > st->res.rc_slots) {
		/* half full: twice the slots, or (at the most) empty */
		bool full = st->res.rc_slots >= RC_MAX;
		err = rcache_resize(st, full ? RC_FIRST : st->res.rc_slots * 2,
				    !full);
		if (err)
			return err;
		mask = st->res.rc_slots - 1;
		for (q = rcache_slot(st->res.rc_shift, ip, 0);
		     st->res.rc[q].ip != KEMPTY; q = (q + 1) & mask)
			;
	}
	st->res.rc[q] = (struct rcache_kent){ip, id};
	st->res.rc_n++;
	return id;
}
