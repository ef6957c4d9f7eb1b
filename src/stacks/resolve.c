/* SPDX-License-Identifier: MIT */
/*
 * Resolving a new chain's frames when it is first sampled (F_LOC keys):
 * each frame to the location of its function -- (DSO, function start,
 * kernel, unwound), each distinct one stored once with an id -- through
 * the frame caches (kernel addresses, user addresses per address space)
 * and a memo of user DSO offsets, and the key written straight in its
 * packed form (key.c), a frame found in the cache taking the straight
 * path -- a run of frames between two markers at a time, in the table
 * of its view.  Only a chain the raw-chain table (rawtab.h) does not
 * know comes here.  The location and DSO-offset tables hash with one
 * multiply (fold_hash()): kstorm -0.9 M, dso -2.2 M instructions.
 * A frame the caches miss is located by a function of its table's
 * (locate_user_frame(), locate_kernel_frame()), the DSO-offset memo
 * keyed without the map's name (a user map's is its DSO's) and grown
 * when an entry is stored, not checked on every probe: kstorm 298.47 M
 * -> 295.89 M instructions, dso 696.33 -> 692.72 M.  The key builder's
 * loops walk the chain and the key with one index (a word of the chain
 * is four bytes of the key), the kernel table's slot without the view's
 * mix (0 there), and a miss's function takes the caller's slot and
 * returns the id, in six registers: kstorm 285.66 -> 283.23 M, dso
 * 669.52 -> 662.41 M.  The key builder is for chains alone: a sample
 * without one (loc_key_ip()) and the general form (loc_key_words()) are
 * functions of their own, so that a chain's asks nothing about having a
 * chain and keeps fewer values live (94 instructions a chain outside the
 * frames and markers before, 72 now): kstorm 282.52 -> 281.02 M, dso
 * 660.08 -> 657.65 M.  The kernel's and the user's markers, a chain's
 * first and mostly its only, are asked for before marker_cpumode()'s
 * switch: kstorm -0.57 M, dso -1.0 M.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "util/hash.h"
#include "util/vmem.h"

#include "stacks/internal.h"
#include "stacks/key.h"

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
	int err = sym_loc(st, loc, id);
	if (err)
		return err;
	raw.id = *id + 1;
	*r = raw;
	st->res.rl_n++;
	return rawloc_room(st);
}

/*
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

static bool kernel_cpumode(unsigned cpumode)
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

/* The view a marker switches to (SD_MISC_KERNEL, the common one, folds
 * to constants). */
static struct frame_view marker_view(const struct sd_stack_sample *s,
				     unsigned cpumode)
{
	if (cpumode == SD_MISC_KERNEL)
		return frame_view(s, SD_MISC_KERNEL);
	return frame_view(s, cpumode);
}

static size_t rcache_slot(unsigned shift, uint64_t ip, uint64_t mix)
{
	return (size_t)(((ip ^ mix) * RC_MUL) >> shift);
}

void sd_stacks_resolve_free(struct sd_stacks *st)
{
	free(st->res.rc);
	st->res.rc = NULL;
	free(st->res.urc);
	st->res.urc = NULL;

	st->res.rc_slots = st->res.rc_n = 0;
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

/* Both frame tables, empty; the DSO-offset memo made if it is not. */
static __attribute__((noinline)) int rcache_reset(struct sd_stacks *st)
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
 * the machine's maps, as an id. */
static inline __attribute__((always_inline)) int
locate(struct sd_stacks *st, const struct sd_stack_sample *s,
       unsigned cpumode, uint64_t ip, uint32_t *id)
{
	struct sd_location loc;

	sd_machine_locate(s->machine, s->view.mm, s->view.mm_ver,
			  cpumode & ~CPUMODE_UNWOUND, ip, &loc);
	loc.unwound = cpumode & CPUMODE_UNWOUND;
	return loc_of(st, &loc, id);
}

/*
 * The location id of a user-mode ip (not in a kernel cpumode) of the
 * view of key and cpumode when the user table's slot for it, e, holds
 * another: from the machine's maps, and remembered there.  The id, or a
 * negative errno.  The caller's slot and the view's key and cpumode,
 * not the view, come in: six arguments, all in registers.
 */
static __attribute__((noipa)) int64_t
locate_user_frame(struct sd_stacks *st, const struct sd_stack_sample *s,
		  uint64_t key, unsigned cpumode, uint64_t ip,
		  struct rcache_ent *e)
{
	uint32_t id;
	int err = locate(st, s, cpumode, ip, &id);

	if (err)
		return err;
	if (key != NO_KEY && !(id & 0x80000000u))
		*e = (struct rcache_ent){ip, key, id};
	return id;
}

/* The location id of a kernel-mode ip when the kernel table's first
 * slot for it holds another: further along the probe, else from the
 * machine's maps, and remembered.  The id, or a negative errno. */
static __attribute__((noinline)) int64_t
locate_kernel_frame(struct sd_stacks *st, const struct sd_stack_sample *s,
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

/* The location id of ip: the cache, else the machine's maps; or a
 * negative errno. */
static inline int64_t resolve_frame(struct sd_stacks *st,
				    const struct sd_stack_sample *s,
				    struct frame_view fv, uint64_t ip)
{
	if (fv.kernel) {
		const struct rcache_kent *e =
			&st->res.rc[rcache_slot(st->res.rc_shift, ip, 0)];
		if (e->ip == ip && ip != KEMPTY)
			return e->id;
		return locate_kernel_frame(st, s, fv.cpumode, ip);
	}
	struct rcache_ent *e = &st->res.urc[rcache_slot(URC_SHIFT, ip, fv.mix)];
	if (e->ip == ip && e->key == fv.key)
		return e->id;
	return locate_user_frame(st, s, fv.key, fv.cpumode, ip, e);
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
		int64_t id = resolve_frame(st, s, fv, ips[i]);
		if (id < 0)
			return (int)id;
		ips[i] = LOC_TAG | (uint32_t)id;
	}
	return 0;
}

/* The key in its general form (key.c): after an invalid marker, or
 * with 2^31 locations. */
static __attribute__((noinline)) int
loc_key_words(struct sd_stacks *st, const struct sd_stack_sample *s,
	      uint64_t *k, const uint64_t *ips, size_t nr, size_t *klen,
	      bool *kern)
{
	*kern = s->has_callchain ? sd_stacks_kernel_only(ips, nr)
				 : s->cpumode == SD_MISC_KERNEL;
	memcpy(k + KEY_HDR, ips, nr * sizeof *k);
	int err = resolve_words(st, s, k + KEY_HDR, nr);
	if (err)
		return err;
	*klen = sd_key_encode(k, KEY_HDR + nr, st->kbuf);
	return 0;
}

/* The key of a sample without a chain: its one frame the sample's ip
 * (nr is 1), in the view of its cpumode, never a marker. */
static __attribute__((noinline)) int
loc_key_ip(struct sd_stacks *st, const struct sd_stack_sample *s,
	   uint64_t *k, const uint64_t *ips, size_t nr, size_t *klen,
	   bool *kern)
{
	size_t o = sd_key_encode_packed_hdr(k, st->kbuf);

	*kern = s->cpumode == SD_MISC_KERNEL;
	*klen = o;
	if (!nr)
		return 0;
	if (ips[0] == KEMPTY) /* an empty kernel entry's address */
		return loc_key_words(st, s, k, ips, nr, klen, kern);
	int64_t r = resolve_frame(st, s, frame_view(s, s->cpumode), ips[0]);
	if (r < 0)
		return (int)r;
	if (r & 0x80000000u)
		return loc_key_words(st, s, k, ips, nr, klen, kern);
	uint32_t v = (uint32_t)r;
	memcpy(st->kbuf + o, &v, 4);
	*klen = o + 4;
	return 0;
}

int sd_stacks_loc_key(struct sd_stacks *st, const struct sd_stack_sample *s,
		      uint64_t *k, const uint64_t *ips, size_t nr,
		      size_t *klen, bool *kern)
{
	if (!st->res.rc || st->res.kgen != st->kgen) {
		/* kernel addresses may land elsewhere now */
		int err = rcache_reset(st);
		if (err)
			return err;
		st->res.kgen = st->kgen;
	}
	if (!s->has_callchain)
		return loc_key_ip(st, s, k, ips, nr, klen, kern);
	/* a chain starts with its context marker: the view it sets (no
	 * view before it, cpumode NO_CPUMODE, found by no marker) */
	struct frame_view fv = {.cpumode = NO_CPUMODE};
	if (!nr || ips[0] < SD_CONTEXT_MAX || ips[0] == SD_CONTEXT_GUEST)
		fv = frame_view(s, SD_MISC_USER);
	uint8_t *out = st->kbuf;
	size_t o = sd_key_encode_packed_hdr(k, out);

	/* the packed form (key.c) written as the frames resolve: four
	 * bytes a frame, the same bytes sd_key_encode() would write; a run
	 * of frames between markers in one view, in a loop of its own for
	 * the kernel's table and the user table, each table in a local of
	 * its own loop (out may point anywhere; the kernel's reloaded when a
	 * miss may have moved it), not live across the other loop: with
	 * both in locals of the whole function, gcc 12 spilled the user
	 * table's (kstorm +0.29 M, dso +1.1 M instructions).  Markers and
	 * misses are marked unlikely, so that a frame in the cache runs
	 * straight through (13 instructions in the kernel's table, 16 in the
	 * user one) */
	size_t markers = 0; /* kernel-only: the kernel's first, no other */
	/* one index, negative up to 0, for both the chain's words and the
	 * key's: each word of the chain is four bytes of the key */
	const uint64_t *pe = ips + nr;
	uint8_t *we = out + o + 4 * nr;
	ptrdiff_t i = -(ptrdiff_t)nr;
	uint64_t ip;
	int64_t r;
	if (!nr)
		goto done;
	ip = pe[i];
	for (;;) {
		uint32_t v;
		if (__builtin_expect(ip >= SD_CONTEXT_MAX, 0)) {
			/* the kernel's and the user's first, in two
			 * compares */
			int c = ip == SD_CONTEXT_KERNEL ? SD_MISC_KERNEL
				: ip == SD_CONTEXT_USER ? SD_MISC_USER
						       : marker_cpumode(ip, fv.cpumode);
			if (c == -2)
				goto words;
			if ((unsigned)c != fv.cpumode)
				fv = marker_view(s, (unsigned)c);
			v = 0x80000000u | (uint32_t)(0 - ip);
			markers++;
			memcpy(we + 4 * i, &v, 4);
			if (++i == 0)
				goto done;
			ip = pe[i];
			continue;
		}
		if (fv.kernel) {
			const struct rcache_kent *ktab = st->res.rc;
			unsigned kshift = st->res.rc_shift;
			for (;;) {
				const struct rcache_kent *e =
					&ktab[rcache_slot(kshift, ip, 0)];
				if (__builtin_expect(e->ip == ip, 1)) {
					v = e->id; /* never 2^31 or more */
				} else {
					r = locate_kernel_frame(st, s, fv.cpumode, ip);
					if ((uint64_t)r >= 0x80000000u)
						goto slow;
					v = (uint32_t)r;
					ktab = st->res.rc;
					kshift = st->res.rc_shift;
				}
				memcpy(we + 4 * i, &v, 4);
				if (++i == 0)
					goto done;
				ip = pe[i];
				if (__builtin_expect(ip >= SD_CONTEXT_MAX, 0))
					break;
			}
		} else {
			struct rcache_ent *utab = st->res.urc;
			for (;;) {
				struct rcache_ent *e =
					&utab[rcache_slot(URC_SHIFT, ip, fv.mix)];
				if (__builtin_expect(e->ip == ip &&
							     e->key == fv.key,
						     1)) {
					v = e->id;
				} else {
					r = locate_user_frame(st, s, fv.key,
							      fv.cpumode, ip, e);
					if ((uint64_t)r >= 0x80000000u)
						goto slow;
					v = (uint32_t)r;
				}
				memcpy(we + 4 * i, &v, 4);
				if (++i == 0)
					goto done;
				ip = pe[i];
				if (__builtin_expect(ip >= SD_CONTEXT_MAX, 0))
					break;
			}
		}
	}
done:
	*klen = o + 4 * nr;
	*kern = markers == 1 && ips[0] == SD_CONTEXT_KERNEL;
	return 0;
slow:
	if (r < 0)
		return (int)r;
words:
	/* an invalid marker (or 2^31 locations): the general form */
	return loc_key_words(st, s, k, ips, nr, klen, kern);
}
