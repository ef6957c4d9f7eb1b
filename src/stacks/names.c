/* SPDX-License-Identifier: MIT */
/*
 * The folded names of one frame location, for symbolize.c: computed once
 * per (map, address) into names[] (the (dso, address) cache, st->fc, keyed
 * by the map's name where there is one: the kernel's maps share one DSO,
 * and perf names a kernel address by its map, sd_dso_lookup_map()), and
 * for raw call-chain addresses found once per (address space, cpumode,
 * address) (the cache in front of sd_machine_locate()).  A frame without
 * a symbol in a plain DSO is named "[basename]" from the DSO alone, so
 * that name's string id is kept with the DSO's memo (dso.data: 13.6 k such
 * locations, -6.5 M instructions; kstorm -0.2 M).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "util/hash.h"

#include "stacks/fold.h"
#include "stacks/internal.h"
#include "stacks/symbolize.h"

/* Appends a string id to names[]. */
static int push_name(struct sd_stacks *st, uint32_t name)
{
	if (st->nnames == st->capnames) {
		uint32_t *v = sd_stacks_grow(st->names, &st->capnames, st->nnames + 1,
				   st->nnames, sizeof *v, 4096, NULL);
		if (!v)
			return -ENOMEM;
		st->names = v;
	}
	st->names[st->nnames++] = name;
	return 0;
}

/*
 * What the rules make of a DSO name (its marks, whether it is plain),
 * worked out once per name: a recording has a few DSOs and thousands
 * of locations in them (the scans cost ~170 instructions a location on
 * kstorm).  The names live as long as the machine, so their pointers
 * are keys; the memo is cleared with the names (an empty slot is
 * NULL's answer: no marks, not plain).
 */
static struct dso_memo *dso_of(struct sd_stacks *st, const char *dso)
{
	struct dso_memo *d = &st->dmemo[((uintptr_t)dso >> 4 ^
					 (uintptr_t)dso >> 10) %
					(sizeof st->dmemo / sizeof *st->dmemo)];

	if (d->dso != dso)
		*d = (struct dso_memo){dso,
				       (uint8_t)sd_fold_dso_marks(dso ? dso
							     : "[unknown]"),
				       dso && sd_fold_plain_dso(dso), 0};
	return d;
}

static size_t fc_home(const void *key, uint64_t caddr, uint64_t ip,
		      size_t ns)
{
	return sd_mix64(caddr ^ (uintptr_t)key ^ ip) & (ns - 1);
}

/*
 * Twice the slots of the (dso, address) cache, or at least first.  The
 * entries are made in an array of their own and the slots hold their
 * indexes: only those 4 bytes a slot are cleared (kstorm: 32 kB, not the
 * 320 kB of slots holding the entries; -0.3 M instructions).
 */
static int fc_grow(struct sd_stacks *st, size_t first)
{
	size_t ns = st->fcslots ? st->fcslots * 2 : first;
	/* plain heap memory: a few hundred kB, which as a huge-page block
	 * (util/vmem.h) would cost 2 MB; freed with the call */
	uint32_t *ix = calloc(ns, sizeof *ix);
	struct fcache_ent *v = ix ? realloc(st->fc, ns / 2 * sizeof *v) : NULL;

	if (!v) {
		free(ix);
		return -ENOMEM;
	}
	st->fc = v;
	for (size_t i = 0; i < st->fcn; i++) {
		size_t j = fc_home(v[i].dso, v[i].addr, v[i].ip, ns);
		while (ix[j])
			j = (j + 1) & (ns - 1);
		ix[j] = (uint32_t)i + 1;
	}
	free(st->fcix);
	st->fcix = ix;
	st->fcslots = ns;
	return 0;
}

void sd_stacks_names_reserve(struct sd_stacks *st, size_t nlocs)
{
	/* a (dso, address) per location */
	if (!st->fcslots)
		fc_grow(st, sd_slots_for(nlocs, 256));
}

/*
 * With SD_FOLD_ADDRS an unresolved frame's name holds the address perf
 * script prints: loc->addr, or ip (the sampled address) where there is no
 * map, which is then part of the key.
 */
int sd_stacks_frame_names(struct sd_stacks *st, const struct sd_location *loc,
			  uint64_t ip, bool chain, uint32_t *first,
			  uint32_t *n, uint8_t *marks)
{
	/* the map's name where there is one: the kernel's maps share one
	 * DSO, and a name depends on the map (sd_dso_lookup_map) */
	const void *key = loc->map_name ? (const void *)loc->map_name
					: (const void *)loc->dso;
	bool addrs = st->fold & SD_FOLD_ADDRS;
	bool mapped = loc->dso || loc->map_name;
	/* the address perf script (6.1) prints: for a call-chain entry with a
	 * map, the map's (map_ip: relative to the file of a DSO, the address
	 * itself for the kernel and anonymous maps); else the sampled one,
	 * which then needs a key of its own */
	bool map_ip = chain && mapped;
	uint64_t pcv = map_ip ? loc->addr : ip;

	/* an unwound frame may be named otherwise (user addresses never
	 * have bit 63) */
	uint64_t caddr = loc->addr ^ (uint64_t)loc->unwound << 63;

	if (!addrs || map_ip)
		ip = 0;
	if ((st->fcn + 1) * 2 > st->fcslots && fc_grow(st, 256))
		return -ENOMEM;
	size_t j = fc_home(key, caddr, ip, st->fcslots);
	for (uint32_t x; (x = st->fcix[j]); j = (j + 1) & (st->fcslots - 1)) {
		const struct fcache_ent *fe = &st->fc[x - 1];
		if (fe->dso == key && fe->addr == caddr && fe->ip == ip) {
			*first = fe->first;
			*n = fe->n;
			*marks = fe->marks;
			return 0;
		}
	}
	const char *sym = NULL, *dso = loc->map_name;
	if (loc->dso) {
		const char *holder = NULL;
		const struct sd_symbol *s = sd_dso_lookup_map(
			loc->dso, loc->addr, loc->map_name, &holder);
		if (s)
			sym = s->name;
		/* perf names an unwound frame that has a symbol the way
		 * addr2line does (its inline lookup) */
		if (s && loc->unwound) {
			const char *a2l = sd_dso_a2l_name(loc->dso, loc->addr);
			if (a2l)
				sym = a2l;
		}
		if (holder)
			dso = holder;
		else if (!dso)
			dso = sd_dso_name(loc->dso);
	}
	uint32_t f = (uint32_t)st->nnames;
	struct dso_memo *dm = dso_of(st, dso);
	/* nearly every symbol folds to a start of itself: interned from
	 * where it is, no copy made and freed */
	size_t plain = sym && dm->plain ? sd_fold_plain_sym(sym) : 0;
	int k = 1;
	if (plain) {
		uint32_t id = sd_strpool_intern(&st->strs, sym, plain);
		if (!id || push_name(st, id))
			return -ENOMEM;
	} else if (!sym && !addrs && dm->plain && dm->unknown) {
		/* a symbol-less frame of a plain DSO: "[basename]", made
		 * once per DSO (below) */
		if (push_name(st, dm->unknown))
			return -ENOMEM;
	} else {
		char pc[24];
		if (addrs)
			snprintf(pc, sizeof pc, "%" PRIx64, pcv);
		char *parts[8];
		k = sd_fold_frame(sym, dso, addrs ? pc : NULL, parts, 8);
		if (k < 0)
			return -ENOMEM;
		for (int i = 0; i < k; i++) {
			uint32_t id = sd_strpool_intern(&st->strs, parts[i],
							strlen(parts[i]));
			free(parts[i]);
			if (!id || push_name(st, id)) {
				while (++i < k)
					free(parts[i]);
				return -ENOMEM;
			}
			if (!sym && !addrs && dm->plain)
				dm->unknown = id;
		}
	}
	*marks = dm->marks;
	st->fc[st->fcn] = (struct fcache_ent){key, caddr, ip, f, (uint32_t)k,
					      *marks};
	st->fcix[j] = (uint32_t)++st->fcn;
	*first = f;
	*n = (uint32_t)k;
	return 0;
}

int sd_stacks_locate_names(struct sd_stacks *st, struct lcache_ent *c,
			   struct sd_machine *m, uint32_t mm, uint32_t ver,
			   unsigned cpumode, uint64_t ip, bool chain,
			   uint32_t *first, uint32_t *n, bool *kernel,
			   uint8_t *marks)
{
	bool kmode = cpumode == SD_MISC_KERNEL ||
		     cpumode == SD_MISC_GUEST_KERNEL;
	uint64_t mmv = kmode ? 0 : (uint64_t)mm << 32 | ver;
	struct lcache_ent *e = NULL;
	/* --folded-with addrs names an address by whether it is a call-chain
	 * entry too (sd_stacks_frame_names) */
	unsigned ckey = cpumode | (chain && (st->fold & SD_FOLD_ADDRS) ? 0x80 : 0);

	if (c) {
		e = &c[sd_mix64(ip ^ sd_mix64(mmv ^ (uint64_t)cpumode << 56)) &
		       (st->lcache_slots - 1)];
		if (e->used && e->ip == ip && e->mmv == mmv &&
		    e->cpumode == ckey) {
			*first = e->first;
			*n = e->n;
			*kernel = e->kernel;
			*marks = e->marks;
			return 0;
		}
	}
	struct sd_location loc;
	sd_machine_locate(m, mm, ver, cpumode, ip, &loc);
	loc.unwound = false;
	int err = sd_stacks_frame_names(st, &loc, ip, chain, first, n, marks);
	if (err)
		return err;
	*kernel = loc.kernel;
	if (e)
		*e = (struct lcache_ent){mmv, ip, *first, (uint8_t)*n,
					 (uint8_t)ckey, *marks, loc.kernel,
					 true};
	return 0;
}

void sd_stacks_names_free(struct sd_stacks *st)
{
	free(st->fc);
	st->fc = NULL;
	free(st->fcix);
	st->fcix = NULL;
	st->fcslots = st->fcn = 0;
	free(st->names); /* grown by sd_stacks_grow(): heap */
	st->names = NULL;
	st->nnames = st->capnames = 0;
	memset(st->dmemo, 0, sizeof st->dmemo);
}
