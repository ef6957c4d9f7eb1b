/* SPDX-License-Identifier: MIT */
/*
 * Matching walks the kernel frames from the root to the leaf: a swap frame
 * only counts below its context frame (swap_duplicate under
 * copy_page_range, free_swap_and_cache under unmap_vmas), and a D-state
 * reader only counts above the lock slow path; the reader frame nearest
 * the slow path names the lock (environ_open -> mm_access sleeps on the
 * exec lock, environ_read -> __access_remote_vm on the mmap_lock).  Names
 * are compared whole.  A frame name's tables come from a cache of every
 * string id, made by the first scan (cache_make(), out of line: the other
 * scans only test that it is there).  A long user part before the kernel
 * frames is skipped sixteen frames a step (sd_user_run()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/match.h"
#include "detect/tables.h"

/* The tables a frame name is in. */
enum {
	IN_KNOWN = 1 << 0, /* looked up */
	IN_FORK_COPY = 1 << 1,
	IN_SWAP_DUP = 1 << 2,
	IN_TEARDOWN = 1 << 3,
	IN_SWAP_FREE = 1 << 4,
	IN_EXEC_LOCK_READERS = 1 << 5,
	IN_MM_READERS = 1 << 6,
	IN_RWSEM_READ_SLOW = 1 << 7,
	IN_MUTEX_SLOW = 1 << 8,
	IN_EXEC_REPLACE = 1 << 9,
	IN_EXEC_MUTEX_READERS = 1 << 10,
	IN_SPIN_ACQUIRE = 1 << 11,
	IN_SPIN_SLOW = 1 << 12,
	IN_IRQ_ENTRY = 1 << 13,
	IN_UNNAMED = 1 << 14, /* "[dso]", as unresolved frames fold */
};

/* The bits that take part in matching. */
#define IN_SIGS ((unsigned)(IN_UNNAMED - 1) & ~(unsigned)IN_KNOWN)

/* The sets, in the order of the IN_* bits from IN_FORK_COPY on. */
static const struct sd_sig_set *const in_sets[] = {
	&sd_fork_copy, &sd_swap_dup, &sd_teardown, &sd_swap_free,
	&sd_exec_lock_readers, &sd_mm_readers, &sd_rwsem_read_slow,
	&sd_mutex_slow, &sd_exec_replace, &sd_exec_mutex_readers,
	&sd_spin_acquire, &sd_spin_slow, &sd_irq_entry,
};

static unsigned name_bits(const char *f)
{
	unsigned b = IN_KNOWN | (f[0] == '[' ? IN_UNNAMED : 0);

	for (size_t k = 0; k < sizeof in_sets / sizeof *in_sets; k++)
		if (sd_sig_has(in_sets[k], f))
			b |= IN_FORK_COPY << k;
	return b;
}

/* A name's cache entry: name_bits(), and its hot kinds << 16. */
static uint64_t name_entry(const char *f)
{
	uint64_t e = name_bits(f);

	for (size_t j = 0; j < sd_nr_hot_kinds && j < SD_MAX_HOT_KINDS; j++)
		if (sd_sig_has(sd_hot_kinds[j].set, f))
			e |= 1ull << (16 + j);
	return e;
}

/*
 * The bits and hot kinds of every string id of st, made once: each
 * signature name is looked up in the stacks' string pool (a hundred
 * lookups), the other names are in no table.  False without memory.
 */
static __attribute__((noinline)) bool
cache_make(const struct sd_stacks *st, struct sd_match_cache *c)
{
	size_t n = sd_stacks_nr_strs(st) + 1;

	if (c->failed || !(c->ent = calloc(n, sizeof *c->ent))) {
		c->failed = true;
		return false;
	}
	c->n = n;
	for (size_t id = 0; id < n; id++)
		if (sd_stacks_str(st, (uint32_t)id)[0] == '[')
			c->ent[id] = IN_UNNAMED;
	for (size_t k = 0; k < sizeof in_sets / sizeof *in_sets; k++)
		for (size_t i = 0; i < in_sets[k]->n; i++) {
			uint32_t id = sd_stacks_str_find(st, in_sets[k]->v[i].func);
			if (id && id < n)
				c->ent[id] |= IN_FORK_COPY << k;
		}
	for (size_t j = 0; j < sd_nr_hot_kinds && j < SD_MAX_HOT_KINDS; j++)
		for (size_t i = 0; i < sd_hot_kinds[j].set->n; i++) {
			uint32_t id = sd_stacks_str_find(st,
					sd_hot_kinds[j].set->v[i].func);
			if (id && id < n)
				c->ent[id] |= 1ull << (16 + j);
		}
	return true;
}

void sd_match_cache_fini(struct sd_match_cache *c)
{
	free(c->ent);
	c->ent = NULL;
	c->n = 0;
	c->failed = false;
}

/* The walk's state, root to leaf (see the top). */
struct walk {
	unsigned m;
	enum { NONE, MM, EXEC } reader; /* the innermost so far */
	bool mutex_reader; /* ... is an exec lock if it was a mutex */
	bool irq;          /* an interrupt entry below the swap frame */
	const struct sd_frame *lock_at; /* the counted acquire frame */
	uint32_t unnamed;  /* kernel frames named "[dso]" (sd_match_scan) */
};

/* Kernel frame f, in the tables b (IN_* bits), into the walk. */
static inline void walk_frame(struct walk *w, unsigned b,
			      const struct sd_frame *f)
{
	unsigned m = w->m;

	if (b & IN_SPIN_SLOW)
		m |= SD_M_ANY_SPIN_SLOW;
	/* a spin lock taken below the swap-entry frame, before any
	 * interrupt entry: the swap lock (lock_share) */
	if ((m & (SD_M_SWAP_DUP | SD_M_SWAP_FREE)) && !w->irq) {
		if (b & IN_IRQ_ENTRY)
			w->irq = true;
		else if (b & IN_SPIN_SLOW)
			m |= SD_M_SPIN_LOCK | SD_M_SPIN_SLOW;
		else if (b & IN_SPIN_ACQUIRE) {
			m |= SD_M_SPIN_LOCK;
			w->lock_at = f;
		}
	}
	if (b & IN_FORK_COPY)
		m |= SD_M_FORK_COPY;
	else if ((m & SD_M_FORK_COPY) && (b & IN_SWAP_DUP))
		m |= SD_M_SWAP_DUP;
	if (b & IN_TEARDOWN)
		m |= SD_M_TEARDOWN;
	else if ((m & SD_M_TEARDOWN) && (b & IN_SWAP_FREE))
		m |= SD_M_SWAP_FREE;
	if (b & IN_EXEC_REPLACE)
		m |= SD_M_EXEC_REPLACE;
	if (b & (IN_EXEC_LOCK_READERS | IN_MM_READERS | IN_EXEC_MUTEX_READERS))
		w->mutex_reader = b & (IN_EXEC_LOCK_READERS |
				       IN_EXEC_MUTEX_READERS);
	if (b & IN_EXEC_LOCK_READERS)
		w->reader = EXEC;
	else if (b & IN_MM_READERS)
		w->reader = MM;
	if (b & IN_RWSEM_READ_SLOW) {
		m |= SD_M_RWSEM_READ;
		if (w->reader == EXEC)
			m |= SD_M_EXEC_LOCK;
		else if (w->reader == MM)
			m |= SD_M_MM_READER;
	} else if ((b & IN_MUTEX_SLOW) && w->mutex_reader) {
		m |= SD_M_EXEC_LOCK;
	}
	w->m = m;
}

/* The cache's entries (NULL, 0 without one or without memory); made by
 * the first scan, so the others pay no call. */
static inline const uint64_t *cache_ents(const struct sd_stacks *st,
					 struct sd_match_cache *cache,
					 size_t *nent)
{
	if (cache && !cache->ent && !cache_make(st, cache))
		cache = NULL;
	*nent = cache ? cache->n : 0;
	return cache ? cache->ent : NULL;
}

/* A frame name's cache entry, from the cache or made. */
static inline uint64_t ent_of(const struct sd_stacks *st, const uint64_t *ent,
			      size_t nent, uint32_t name)
{
	return name < nent ? ent[name] : name_entry(sd_stacks_str(st, name));
}

void sd_match_scan(const struct sd_stacks *st, const struct sd_stack_info *si,
		   struct sd_match_cache *cache, struct sd_stack_scan *out)
{
	struct walk w = {0, NONE, false, false, NULL, 0};
	uint64_t kinds = 0; /* << 16, as in the cache */
	size_t nent;
	const uint64_t *ent = cache_ents(st, cache, &nent);
	const struct sd_frame *fr = si->frames, *end = fr + si->nr_frames;
	const struct sd_frame *k0 = fr + sd_user_run(fr, si->nr_frames);
	size_t kframes = (size_t)(end - k0); /* less the user ones */

	/*
	 * By pointer, the kernel frames counted as those from k0 less the
	 * user ones, and the named ones as those less the "[dso]" ones,
	 * which are counted with the matching on the rare path (a frame in
	 * a table or unnamed): the values live across walk_frame() all in
	 * registers (kstorm: 17 -> 12 instructions a kernel frame, the
	 * cache's pointer no longer reloaded from the stack).
	 */
	for (const struct sd_frame *p = k0; p < end; p++) {
		if (!p->kernel) {
			kframes--;
			continue;
		}
		uint64_t e = ent_of(st, ent, nent, p->name);
		kinds |= e;
		if (__builtin_expect(e & (IN_SIGS | IN_UNNAMED), 0)) {
			unsigned b = (unsigned)e & 0xffff;
			w.unnamed += !!(b & IN_UNNAMED);
			if (b & IN_SIGS) /* else in no table: changes nothing */
				walk_frame(&w, b, p);
		}
	}
	/* the innermost frame is the acquire frame itself: spinning there
	 * on ticket-lock kernels (the caller decides by era) */
	if ((w.m & SD_M_SPIN_LOCK) && !(w.m & SD_M_SPIN_SLOW) &&
	    w.lock_at == end - 1)
		w.m |= SD_M_SPIN_LEAF;
	*out = (struct sd_stack_scan){w.m, (uint32_t)kframes,
				      (uint32_t)kframes - w.unnamed,
				      kinds >> 16};
}

size_t sd_match_first(const struct sd_stacks *st,
		      const struct sd_stack_info *si,
		      struct sd_match_cache *cache, unsigned flags)
{
	struct walk w = {0, NONE, false, false, NULL, 0};
	size_t nent;
	const uint64_t *ent = cache_ents(st, cache, &nent);
	const struct sd_frame *fr = si->frames;
	size_t nf = si->nr_frames;

	if (!flags)
		return nf ? 1 : 0;
	for (size_t i = sd_user_run(fr, nf); i < nf; i++) {
		if (!fr[i].kernel)
			continue;
		unsigned b = (unsigned)ent_of(st, ent, nent, fr[i].name) & 0xffff;
		if (!(b & IN_SIGS))
			continue;
		walk_frame(&w, b, &fr[i]);
		if ((w.m & flags) == flags)
			return i + 1;
	}
	return nf;
}

unsigned sd_match_stack(const struct sd_stacks *st,
			const struct sd_stack_info *si,
			struct sd_match_cache *cache)
{
	struct sd_stack_scan s;

	sd_match_scan(st, si, cache, &s);
	return s.match;
}
