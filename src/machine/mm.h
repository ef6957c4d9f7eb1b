/* SPDX-License-Identifier: MIT */
/*
 * Address spaces, kept by the machine (mm.c): each process's maps as a
 * history, a forked child seeing its parent's maps as they were at the
 * fork (perf's maps__clone without the copy), looked up by (mm, version).
 */
#ifndef SD_MACHINE_MM_H
#define SD_MACHINE_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sd_dso;

/* A map: 32 bytes, a fork storm keeps tens of thousands.  Its sequence
 * number (version) is its index in its address space's maps plus one. */
struct map {
	uint64_t start, end;
	/* the address in the DSO is ip - start + pgoff: anonymous memory,
	 * whose addresses are taken as they are, has pgoff == start */
	uint64_t pgoff;
	struct sd_dso *dso;
};

/* The lookup index of an address space of more than a few maps: its
 * maps by (start, seq), each entry with what a lookup reads of it. */
struct mm_index {
	struct mm_ixent {
		uint64_t start, end;
		uint64_t max_end; /* max end over v[0..i] */
		uint64_t seq;
	} *v;
	uint32_t indexed; /* maps covered by the index */
	/* a stretch no map (of any version) covers, found by the last
	 * lookup that missed: junk addresses of broken unwinds tend to
	 * land in one (the heap's); empty when maps are added */
	uint64_t gap_lo, gap_hi;
};

/* One process's address space, as a history of maps: 80 bytes, one per
 * process of a fork storm. */
struct mm {
	struct map *maps;       /* in arrival order: seq ascending */
	uint32_t n, cap;        /* n: also its version, maps added */
	uint32_t parent;        /* mm this one was forked from, 0: none */
	uint32_t parent_ver;
	uint64_t lo, hi;        /* no map (of any version) outside [lo, hi) */
	/* nor any map of the ancestors this one sees (their maps up to
	 * parent_ver, fixed at the fork): hi 0 if none */
	uint64_t anc_lo, anc_hi;
	/* built on the first lookup after a change (NULL: none yet) */
	struct mm_index *index;
	/* flat views (mm.c), made by the lookups that need them */
	const struct mm_flat *inh;  /* what it inherits: its ancestors' maps
				     * (the parent's up to parent_ver, and
				     * so on up); NULL: not made yet */
	const struct mm_flat *kids; /* its own maps at version kids->ver
				     * over what it inherits: what its
				     * children forked then inherit */
};

/* An address space and what it inherits, made flat: the map each
 * address lands in, as pieces that do not overlap, sorted by start. */
struct mm_flat {
	struct mm_flat *next; /* every one made, to free them */
	uint32_t ver;         /* the version of the address space it shows */
	uint32_t n;
	/* its widest stretch between pieces (the one between user space
	 * and [vsyscall], where junk frames of broken unwinds land): a
	 * lookup there misses without a search */
	uint64_t hole_lo, hole_hi;
	struct mm_piece {
		uint64_t start, end;
		uint32_t mm, idx; /* the map: s->v[mm].maps[idx] */
	} v[];
};

/* A process's first MM_FIRST maps come from its set's slabs, in rooms
 * of MM_ROOM and then MM_FIRST maps: a fork storm makes thousands of
 * address spaces of a few maps each (most of two or four), and one malloc
 * (and realloc) each cost more than the records that fill them. */
#define MM_ROOM 2
#define MM_FIRST 4
struct mm_slab;

/* The address spaces; v[0] is unused ("no address space"). */
struct mm_set {
	struct mm *v;
	size_t n, cap;
	struct mm_slab *slabs; /* newest first: its free room at the end */
	/* rooms given back by growth: of MM_ROOM maps, of MM_FIRST */
	void *free_rooms[2];
	struct mm_flat *flats; /* every flat view made */
};

int mm_set_init(struct mm_set *s);
void mm_set_fini(struct mm_set *s);
/* A new, empty address space (forked from parent, if not 0); 0 if out
 * of memory. */
uint32_t mm_new(struct mm_set *s, uint32_t parent);
/* mm is forked from parent, seeing its maps as they are now. */
void mm_link(struct mm_set *s, uint32_t mm, uint32_t parent);
/* Appends a map to address space mm (its seq: the new n). */
int mm_add(struct mm_set *s, uint32_t mm, const struct map *map);
#define MAX_MM_DEPTH 256 /* fork generations followed when resolving */

/* An mm that has no maps of its own visible at *ver is its parent's
 * view: (*mm, *ver) moved to the mm whose maps it sees (per sample:
 * inline). */
static inline void mm_canonical(const struct mm_set *s, uint32_t *mm,
				uint32_t *ver)
{
	for (int d = 0; d < MAX_MM_DEPTH && *mm; d++) {
		const struct mm *x = &s->v[*mm];
		/* maps with seq <= ver: seq is 1..n in order */
		uint32_t own = *ver < x->n ? *ver : x->n;
		if (own || !x->parent)
			return;
		*ver = x->parent_ver;
		*mm = x->parent;
	}
}
#define MM_SCAN 16 /* maps searched one by one, not indexed */

/* mm_lookup() of an address space of more than MM_SCAN maps. */
const struct map *mm_lookup_indexed(struct mm_set *s, uint32_t mm,
				    uint32_t ver, uint64_t ip);
/* mm_lookup() past address space mm's own maps: its ancestors'. */
const struct map *mm_lookup_up(struct mm_set *s, uint32_t mm, uint64_t ip);

/* The newest map of x (of at most MM_SCAN maps) holding ip at version
 * ver, or NULL: an address no map ever held (often one of the unwound
 * frames no map has, looked up in every ancestor) is not scanned for;
 * maps[i] has seq i + 1, so the newest covering one of seq <= ver is the
 * first found from maps[ver - 1] down. */
static inline const struct map *mm_scan(const struct mm *x, uint32_t ver,
					uint64_t ip)
{
	if (ip < x->lo || ip >= x->hi)
		return NULL;
	const struct map *first = x->maps;
	const struct map *mp = first + (ver < x->n ? ver : x->n);
	while (mp != first) {
		mp--;
		if (ip >= mp->start && ip < mp->end)
			return mp;
	}
	return NULL;
}

/* mm_lookup() of ip in address space mm (of at most MM_SCAN maps) past
 * its own maps, which mm_scan() found without it: its ancestors'. */
static inline const struct map *mm_lookup_past(struct mm_set *s, uint32_t mm,
					       uint64_t ip)
{
	const struct mm *x = &s->v[mm];
	/* no ancestor's map holds it: out of their bounds, or in the widest
	 * hole of the view of what it inherits (once made: mm_lookup_up()),
	 * where junk frames of broken unwinds land (kstorm: 12.4 k and
	 * 13.5 k of the 31.6 k frames no map holds) */
	if (ip < x->anc_lo || ip >= x->anc_hi)
		return NULL;
	const struct mm_flat *f = x->inh;
	if (f && ip - f->hole_lo < f->hole_hi - f->hole_lo)
		return NULL;
	return mm_lookup_up(s, mm, ip);
}

/* The map holding ip in address space mm at version ver: its own newest
 * one, else its ancestors' as they were at each fork; NULL if none.  In
 * line (per user frame): an address space of a few maps is scanned here,
 * the rest is out of line, so a hit in its own maps (kstorm: 82 k of
 * 96 k lookups) saves no registers and makes no call. */
static inline const struct map *mm_lookup(struct mm_set *s, uint32_t mm,
					  uint32_t ver, uint64_t ip)
{
	if (!mm)
		return NULL;
	const struct mm *x = &s->v[mm];
	if (x->n > MM_SCAN)
		return mm_lookup_indexed(s, mm, ver, ip);
	const struct map *mp = mm_scan(x, ver, ip);
	return mp ? mp : mm_lookup_past(s, mm, ip);
}

#endif
