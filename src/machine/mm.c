/* SPDX-License-Identifier: MIT */
/*
 * Address spaces (mm.h): maps appended in arrival order, each with its
 * sequence number; a lookup at version ver sees the maps with seq <= ver,
 * the newest covering the address winning (perf's
 * maps__fixup_overlappings() as a history), then the parent's as they
 * were at the fork, and so on up the ancestors.  An address space of more
 * than MM_SCAN maps is searched through its index, which remembers the
 * stretch between maps of its last miss: on dso.data 75 k of 132 k such
 * lookups are junk frames in the heap's gap (sd_machine_locate 33.7 M ->
 * 30.2 M instructions).  mm_lookup() itself is in line (mm.h): a lookup
 * in an address space of at most MM_SCAN maps (an exec'd child's) scans
 * them in its caller, without a call or saved registers, and comes here
 * only for an indexed one (mm_lookup_indexed) or for the ancestors'
 * maps (mm_lookup_up): kstorm 308.94 M -> 307.73 M instructions; a
 * frame in the widest hole of the view it inherits, once made, misses
 * there too (kstorm 13.5 k junk frames: 289.52 M -> 289.27 M).  The
 * scan (mm_scan(), mm.h) walks a pointer down from the newest map seen
 * to the first, five to seven instructions a map where an index counted
 * down took nine (kstorm 285.80 M -> 285.24 M, dso 669.42 M -> 669.03 M).
 * The
 * address spaces' array comes from util/vmem.h:
 * a storm's (kstorm: 11.4 k of 80 bytes) grows into a mapping of its own,
 * a huge page where THP is advised, without a copy (kstorm: 2 822 -> 2 617
 * page faults, the array's 0.9 MB faulted page by page before; peak RSS
 * 31.4 -> 32.3 MB).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine/mm.h"
#include "util/vmem.h"

#define SLAB_MAPS 1024   /* maps in one slab: 32 KiB */

struct mm_slab {
	struct mm_slab *next;
	size_t used;
	struct map v[SLAB_MAPS];
};

int mm_set_init(struct mm_set *s)
{
	memset(s, 0, sizeof *s);
	s->v = sd_vmem_zalloc(16 * sizeof *s->v);
	if (!s->v)
		return -ENOMEM;
	s->cap = 16;
	s->n = 1;
	return 0;
}

void mm_set_fini(struct mm_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct mm_index *ix = s->v[i].index;
		if (s->v[i].cap > MM_FIRST)
			free(s->v[i].maps);
		if (ix) {
			free(ix->v);
			free(ix);
		}
	}
	sd_vmem_free(s->v, s->cap * sizeof *s->v);
	while (s->slabs) {
		struct mm_slab *b = s->slabs;
		s->slabs = b->next;
		free(b);
	}
	while (s->flats) {
		struct mm_flat *f = s->flats;
		s->flats = f->next;
		free(f);
	}
	memset(s, 0, sizeof *s);
}

/* Room for a new address space's first MM_ROOM maps (k 0) or, when it
 * outgrew that, its first MM_FIRST (k 1): one given back by an address
 * space that outgrew it, else the next in a slab. */
static struct map *slab_take(struct mm_set *s, int k)
{
	size_t len = k ? MM_FIRST : MM_ROOM;
	struct mm_slab *b = s->slabs;

	if (s->free_rooms[k]) {
		struct map *v = s->free_rooms[k];
		memcpy(&s->free_rooms[k], v, sizeof s->free_rooms[k]);
		return v;
	}
	if (!b || b->used + len > SLAB_MAPS) {
		b = malloc(sizeof *b);
		if (!b)
			return NULL;
		b->used = 0;
		b->next = s->slabs;
		s->slabs = b;
	}
	b->used += len;
	return &b->v[b->used - len];
}

/* A room of slab_take(s, k) given back, for the next one taken. */
static void slab_give(struct mm_set *s, int k, struct map *room)
{
	memcpy(room, &s->free_rooms[k], sizeof s->free_rooms[k]);
	s->free_rooms[k] = room;
}

void mm_link(struct mm_set *s, uint32_t mm, uint32_t parent)
{
	struct mm *x = &s->v[mm];
	const struct mm *p = &s->v[parent];
	uint64_t lo = UINT64_MAX, hi = 0;

	/* what its children forked from now on inherit changes (views made
	 * for those forked before stay: their lookups never came this far,
	 * their bounds of what ancestors hold being empty) */
	x->kids = NULL;
	x->parent = parent;
	x->parent_ver = p->n;
	if (p->hi) {
		lo = p->lo;
		hi = p->hi;
	}
	if (p->anc_hi) {
		lo = p->anc_lo < lo ? p->anc_lo : lo;
		hi = p->anc_hi > hi ? p->anc_hi : hi;
	}
	x->anc_lo = hi ? lo : 0;
	x->anc_hi = hi;
}

uint32_t mm_new(struct mm_set *s, uint32_t parent)
{
	if (s->n == s->cap) {
		/* fourfold: a storm makes one per process, and every
		 * realloc copies them all (kstorm: the copies 1.3 M -> 0.4 M
		 * instructions, untouched room costs no memory); from
		 * SD_VMEM_MIN on, a mapping that grows without a copy */
		struct mm *v = sd_vmem_resize(s->v, s->cap * sizeof *v,
					      s->cap * 4 * sizeof *v);
		if (!v)
			return 0;
		s->v = v;
		s->cap *= 4;
	}
	struct mm *mm = &s->v[s->n];
	memset(mm, 0, sizeof *mm);
	if (parent)
		mm_link(s, (uint32_t)s->n, parent);
	return (uint32_t)s->n++;
}

/* Room for more maps in mm (its first ones from a slab). */
static int mm_grow(struct mm_set *s, struct mm *mm)
{
	struct map *v;

	if (mm->cap < MM_FIRST) {
		v = slab_take(s, mm->cap != 0);
		if (!v)
			return -ENOMEM;
		if (mm->cap) {
			memcpy(v, mm->maps, mm->n * sizeof *v);
			slab_give(s, 0, mm->maps);
		}
		mm->maps = v;
		mm->cap = mm->cap ? MM_FIRST : MM_ROOM;
		return 0;
	}
	if (mm->cap > MM_FIRST) {
		v = realloc(mm->maps, mm->cap * 2 * sizeof *v);
	} else {
		v = malloc(mm->cap * 2 * sizeof *v);
		if (!v)
			return -ENOMEM;
		memcpy(v, mm->maps, mm->n * sizeof *v);
		/* its slab room goes to the next address space to grow */
		slab_give(s, 1, mm->maps);
	}
	if (!v)
		return -ENOMEM;
	mm->maps = v;
	mm->cap *= 2;
	return 0;
}

int mm_add(struct mm_set *s, uint32_t id, const struct map *from)
{
	struct mm *mm = &s->v[id];

	if (mm->n == mm->cap && mm_grow(s, mm))
		return -ENOMEM;
	struct map *map = &mm->maps[mm->n++];
	*map = *from;
	if (mm->n == 1 || map->start < mm->lo)
		mm->lo = map->start;
	if (map->end > mm->hi)
		mm->hi = map->end;
	return 0;
}

/* By start, then seq. */
static int cmp_ixent(const void *a, const void *b)
{
	const struct mm_ixent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/*
 * The index by (start, seq) and the running maximum of ends.  Maps come
 * one at a time between lookups, so the ones added since the last lookup
 * are inserted into the sorted index (a binary search and a memmove
 * each) rather than the whole index sorted again; a first index of many
 * maps is sorted at once.  An entry holds the map's start, end and seq:
 * a lookup reads the index alone, in one array.
 */
static int mm_index(struct mm *x)
{
	struct mm_index *ix = x->index;

	if (ix && ix->indexed == x->n)
		return 0;
	if (!ix) {
		ix = calloc(1, sizeof *ix);
		if (!ix)
			return -ENOMEM;
		x->index = ix;
	}
	struct mm_ixent *v = realloc(ix->v, (x->n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	ix->v = v;
	size_t from = 0; /* max_end is right below this index */
	if (x->n - ix->indexed > 16 || x->n - ix->indexed > ix->indexed) {
		for (size_t i = 0; i < x->n; i++)
			v[i] = (struct mm_ixent){x->maps[i].start,
						 x->maps[i].end, 0, i + 1};
		qsort(v, x->n, sizeof *v, cmp_ixent);
	} else {
		from = ix->indexed;
		for (size_t i = ix->indexed; i < x->n; i++) {
			/* after every entry of a start at or below map i's:
			 * the entries there are older */
			uint64_t start = x->maps[i].start;
			size_t lo = 0, hi = i;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (v[mid].start <= start)
					lo = mid + 1;
				else
					hi = mid;
			}
			memmove(v + lo + 1, v + lo, (i - lo) * sizeof *v);
			v[lo] = (struct mm_ixent){start, x->maps[i].end, 0,
						  i + 1};
			if (lo < from)
				from = lo;
		}
	}
	ix->gap_lo = ix->gap_hi = 0;
	uint64_t mx = from ? v[from - 1].max_end : 0;
	for (size_t i = from; i < x->n; i++) {
		if (v[i].end > mx)
			mx = v[i].end;
		v[i].max_end = mx;
	}
	ix->indexed = x->n;
	return 0;
}

/* mm_find() of an address space of more than MM_SCAN maps. */
static __attribute__((noinline)) const struct map *
mm_find_indexed(struct mm *x, uint32_t ver, uint64_t ip)
{
	struct mm_index *ix = x->index;
	uint64_t best = 0; /* seq of the newest found */

	if (ix && ix->indexed == x->n &&
	    ip - ix->gap_lo < ix->gap_hi - ix->gap_lo)
		return NULL;
	if (mm_index(x))
		return NULL;
	ix = x->index;
	const struct mm_ixent *v = ix->v, *b = v;
	/* the last entry with start <= ip (mm_find() checked v[0]'s:
	 * x->lo), without branches */
	for (size_t n = x->n; n > 1;) {
		size_t h = n / 2;
		b = b[h].start <= ip ? b + h : b;
		n -= h;
	}
	if (b->max_end <= ip) {
		/* no map below reaches ip, none above starts before the
		 * next entry (or x->hi) */
		ix->gap_lo = b->max_end;
		ix->gap_hi = b + 1 < v + x->n ? b[1].start : x->hi;
		return NULL;
	}
	for (;; b--) {
		if (b->max_end <= ip)
			break;
		if (b->seq <= ver && ip < b->end && b->seq > best)
			best = b->seq;
		if (b == v)
			break;
	}
	return best ? &x->maps[best - 1] : NULL;
}

/* The newest map of x with seq <= ver that covers ip. */
static inline const struct map *mm_find(struct mm *x, uint32_t ver,
					uint64_t ip)
{
	if (x->n > MM_SCAN)
		return ip < x->lo || ip >= x->hi ? NULL
						 : mm_find_indexed(x, ver, ip);
	/* a few maps (a forked child's after exec): no index */
	return mm_scan(x, ver, ip);
}

/*
 * Flat views.  A lookup that misses an address space's own maps would go
 * up its ancestors one by one, each searched at its fork's version: a
 * storm's children sit under the chain of shells that started the
 * forker, and an address no map holds (a frame on the stack, a broken
 * unwind) is searched in every one of them.  What a process inherits is
 * fixed at its fork, so it is made flat once, on the first lookup that
 * needs it -- its parent's own maps at the fork painted over what the
 * parent inherits -- and searched like one address space; the children
 * forked from one parent at one version share it.  A view of more than
 * FLAT_OWN own maps or FLAT_MAX pieces, or of a chain deeper than a
 * lookup follows, is not made (flat_none): the lookup goes up the chain.
 * Views are kept to the end: one for each (parent, version) a lookup went
 * through, at most FLAT_MAX pieces (3 KiB) each.
 * Measured on kstorm (chains of ~10 shells above the forker, 14 k lookups
 * past a child's own maps): 5 views made, mm_lookup 15.9 M -> 8.2 M
 * instructions.  Each view keeps its widest hole: 11 k of kstorm's 20 k
 * lookups in views are junk above user space, below [vsyscall]
 * (sd_machine_locate 12.80 M -> 12.17 M; dso 30.18 M -> 29.62 M).
 */
#define FLAT_OWN 32
#define FLAT_MAX 128

static const struct mm_flat flat_empty, flat_none;

/* Paints map idx of address space id over the pieces v[0..*n) (room for
 * two more): what it covers is its from now on (the newest map wins). */
static void paint(struct mm_piece *v, uint32_t *n, const struct map *mp,
		  uint32_t id, uint32_t idx)
{
	uint32_t i = 0, j;

	if (mp->start == mp->end)
		return; /* holds no address */
	while (i < *n && v[i].end <= mp->start)
		i++;
	for (j = i; j < *n && v[j].start < mp->end; j++)
		;
	/* v[i..j) overlap it: what sticks out on either side stays */
	struct mm_piece rep[3];
	uint32_t k = 0;
	if (i < j && v[i].start < mp->start) {
		rep[k] = v[i];
		rep[k++].end = mp->start;
	}
	rep[k++] = (struct mm_piece){mp->start, mp->end, id, idx};
	if (i < j && v[j - 1].end > mp->end) {
		rep[k] = v[j - 1];
		rep[k++].start = mp->end;
	}
	memmove(v + i + k, v + j, (*n - j) * sizeof *v);
	memcpy(v + i, rep, k * sizeof *v);
	*n = *n - (j - i) + k;
}

static const struct mm_flat *inherited(struct mm_set *s, uint32_t id,
				       int depth);

/* Address space id at version ver, flat: its own maps (seq <= ver) over
 * what it inherits; NULL if out of memory.  depth: how far up the chain
 * of a lookup it is. */
static const struct mm_flat *flat_at(struct mm_set *s, uint32_t id,
				     uint32_t ver, int depth)
{
	struct mm *x = &s->v[id];
	uint32_t own = ver < x->n ? ver : x->n;

	if (x->kids && x->kids->ver == ver)
		return x->kids;
	if (own > FLAT_OWN)
		return &flat_none;
	const struct mm_flat *base = &flat_empty;
	if (x->parent) {
		base = inherited(s, id, depth);
		if (!base || base == &flat_none)
			return base;
	}
	if (base->n + 2 * own > FLAT_MAX)
		return &flat_none;
	struct mm_flat *f =
		malloc(sizeof *f + (base->n + 2 * own) * sizeof *f->v);
	if (!f)
		return NULL;
	f->ver = ver;
	f->n = 0;
	/* a lookup goes on to the ancestors only inside x's bounds of what
	 * they hold (mm_link()): the view shows no more */
	for (uint32_t i = 0; i < base->n; i++) {
		struct mm_piece p = base->v[i];
		p.start = p.start > x->anc_lo ? p.start : x->anc_lo;
		p.end = p.end < x->anc_hi ? p.end : x->anc_hi;
		if (p.start < p.end)
			f->v[f->n++] = p;
	}
	for (uint32_t i = 0; i < own; i++)
		paint(f->v, &f->n, &x->maps[i], id, i);
	f->hole_lo = f->hole_hi = 0;
	for (uint32_t i = 1; i < f->n; i++)
		if (f->v[i].start - f->v[i - 1].end > f->hole_hi - f->hole_lo) {
			f->hole_lo = f->v[i - 1].end;
			f->hole_hi = f->v[i].start;
		}
	f->next = s->flats;
	s->flats = f;
	x->kids = f;
	return f;
}

/* What address space id inherits, flat (made now if it is not yet), or
 * &flat_none; NULL if out of memory.  depth: how far up the chain of a
 * lookup it is. */
static const struct mm_flat *inherited(struct mm_set *s, uint32_t id,
				       int depth)
{
	struct mm *x = &s->v[id];

	if (x->inh)
		return x->inh;
	/* a lookup follows MAX_MM_DEPTH address spaces, this one and its
	 * ancestors: from deeper, the view would show more than it sees */
	const struct mm_flat *f =
		depth + 1 >= MAX_MM_DEPTH
			? &flat_none
			: flat_at(s, x->parent, x->parent_ver, depth + 1);
	if (f)
		x->inh = f;
	return f;
}

/* The map of view f holding ip, or NULL. */
static const struct map *flat_find(const struct mm_set *s,
				   const struct mm_flat *f, uint64_t ip)
{
	const struct mm_piece *b = f->v;
	uint32_t n = f->n;

	if (!n || ip < b->start || ip - f->hole_lo < f->hole_hi - f->hole_lo)
		return NULL;
	/* the last piece starting at or below ip, without branches */
	while (n > 1) {
		uint32_t h = n / 2;
		b = b[h].start <= ip ? b + h : b;
		n -= h;
	}
	return ip < b->end ? &s->v[b->mm].maps[b->idx] : NULL;
}

const struct map *mm_lookup_indexed(struct mm_set *s, uint32_t mmid,
				    uint32_t ver, uint64_t ip)
{
	struct mm *x = &s->v[mmid];
	const struct map *mp = mm_find(x, ver, ip);
	if (mp || ip < x->anc_lo || ip >= x->anc_hi)
		return mp; /* its own, or no ancestor's map holds it */
	return mm_lookup_up(s, mmid, ip);
}

const struct map *mm_lookup_up(struct mm_set *s, uint32_t mmid, uint64_t ip)
{
	struct mm *x = &s->v[mmid];
	const struct mm_flat *f = x->inh ? x->inh : inherited(s, mmid, 0);
	if (f && f != &flat_none)
		return flat_find(s, f, ip);
	/* up the chain, each ancestor at the version its child was forked */
	for (int d = 1; d < MAX_MM_DEPTH; d++) {
		uint32_t ver = x->parent_ver;
		mmid = x->parent;
		x = &s->v[mmid];
		const struct map *mp = mm_find(x, ver, ip);
		if (mp)
			return mp;
		if (ip < x->anc_lo || ip >= x->anc_hi)
			break;
	}
	return NULL;
}
