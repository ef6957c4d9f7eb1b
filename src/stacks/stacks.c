/* SPDX-License-Identifier: MIT */
/*
 * Interning raw stacks (symbolize.c names each distinct one once).
 *
 * A raw stack's key is a run of u64 words, stored encoded (key.c):
 *	[0] evsel << 48 | cpumode << 40 | flags << 32 | comm
 *	[1] mm << 32 | mm_ver	  0 when every frame is in the kernel, and
 *				  for F_LOC keys (frames already resolved)
 *	[2] pid << 32 | tid	  only for samples stackcollapse drops, or
 *				  for all with SD_FOLD_PID / SD_FOLD_TID
 *	[3] nr
 *	[4..] ips (the call chain with its markers, or just the ip); with
 *	      F_LOC each frame is its location (resolve.c)
 * so equal samples share one entry; only what decides the folded line or
 * the symbols is in the key.
 *
 * A sample: its raw chain looked up in the raw-chain table (rawtab.h),
 * as the chain last found with its leaf and last word first, else
 * hashed whole -- a hit is the stack id; then its (stack, pid,
 * 100 ms bucket) detail counts it, found through a (stack, pid) cache
 * or else in its bucket's table (details.c), inline when that table is
 * the one at hand (sd_stacks_detail_count()): with no call, no register
 * saved and no argument on the stack (kstorm: -4.5 M instructions).
 * A stack's own count and period are its details' sums, added up once
 * when the sample loop ends (sd_stacks_samples_done()).  Only a chain
 * the table does not know (in that address space) is resolved, encoded
 * and interned; a new chain is stored in the table between its stack
 * key's hash and the stack table's probe, its stack filled in after
 * (add_new()): the probe's first slot, prefetched when the hash is
 * known, mostly misses the cache, and storing the chain is work that
 * does not wait for it (kstorm: -0.12 % instructions, task-clock -0.8 %
 * and -1.5 % in two orders of 31 runs in turns).  The tables only the
 * loop needs are freed when it ends (sd_stacks_samples_done()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include <swapdiag/stacks.h>
#include "util/hash.h"
#include "util/vmem.h"
#include "util/prefault.h"

#include "stacks/internal.h"
#include "stacks/key.h"
#include "stacks/rawtab.h"

/*
 * The per-sample path: one hash of the raw chain, one probe in the
 * raw-chain table; only a chain not seen before (in this address space
 * version) is resolved and interned.  Where fewer than a quarter of a
 * window of RAW_WINDOW samples hit (chains that differ in their leaf
 * address, many short-lived processes), the next RAW_SKIP samples go the
 * long way without the table, then the table is tried again.  The window
 * counts down (rt_left), a test for zero a sample (kstorm: -0.41 M
 * instructions, synth300k -0.90 M).  While the table is set aside it is
 * paused (sd_rawtab_pause()): its filter rules every chain out, so a
 * sample tests neither rt_skip nor whether the table exists (kstorm:
 * -1.7 M instructions with the probe's constant mask, synth300k -2.4 M).
 */
#define RAW_WINDOW 4096
#define RAW_SKIP (15 * RAW_WINDOW)

/* Empties the (stack, pid) cache (detail_add()). */
static void dcache_clear(struct sd_stacks *st)
{
	memset(st->dcache, 0xff, sizeof st->dcache);
}

int sd_stacks_new(struct sd_stacks **out)
{
	struct sd_stacks *st = calloc(1, sizeof *st);

	if (!st)
		return -ENOMEM;
	sd_strpool_init(&st->strs);
	sd_rawtab_init(&st->rt);
	dcache_clear(st);
	st->rt_left = RAW_WINDOW;
	*out = st;
	return 0;
}

void sd_stacks_free_lines(struct sd_stacks *st)
{
	sd_vmem_free(st->line_text, st->line_text_cap);
	free(st->lines);
	st->lines = NULL;
	st->line_text = NULL;
	st->line_text_cap = 0;
	st->nlines = 0;
}

/* Frees the tables only the sample loop uses: the raw-chain table, the
 * resolution caches and the hash slots of the stack and detail tables. */
static void loop_tables_free(struct sd_stacks *st)
{
	sd_rawtab_free(&st->rt);
	st->rt_misses = st->rt_skip = 0;
	st->rt_left = RAW_WINDOW;
	sd_stacks_resolve_free(st);
	sd_vmem_free(st->slots, st->nslots * sizeof *st->slots);
	st->slots = NULL;
	st->nslots = 0;
	sd_stacks_details_free(st);
	dcache_clear(st);
}

struct sd_stacks *sd_stacks_free(struct sd_stacks *st)
{
	if (!st)
		return NULL;
	loop_tables_free(st); /* not sd_stacks_samples_done(): no sums */
	free(st->locs);
	sd_stacks_free_lines(st);
	sd_vmem_free(st->keys, st->capkeys);
	sd_vmem_free(st->det, st->capdet * sizeof *st->det);
	sd_vmem_free(st->v, st->cap * sizeof *st->v);
	free(st->frames);
	free(st->fc);
	free(st->fcix);
	free(st->names);
	sd_strpool_fini(&st->strs);
	free(st);
	return NULL;
}

/*
 * The stacks' counts are summed from their details, and what only the
 * sample loop uses goes when it ends (sd_stacks_symbolize() calls this;
 * loop_tables_free()).  Each comes back, rebuilt from what it indexes,
 * if samples are added after all.
 */
void sd_stacks_samples_done(struct sd_stacks *st)
{
	/* every sample went to exactly one detail; in locals, as the
	 * stores could alias st's fields (kstorm: -0.8 M instructions) */
	struct entry *v = st->v;
	const struct sd_stack_detail *det = st->det;
	size_t n = st->n, nd = st->ndet;

	for (size_t i = 0; i < n; i++)
		v[i].count = v[i].period = 0;
	for (size_t i = 0; i < nd; i++) {
		struct entry *e = &v[det[i].stack];
		e->count += det[i].count;
		e->period += det[i].period;
	}
	sd_stacks_details_note_range(st);
	loop_tables_free(st);
}

void sd_stacks_set_fold(struct sd_stacks *st, unsigned with)
{
	st->fold = with & SD_FOLD_MASK;
}

unsigned sd_stacks_fold(const struct sd_stacks *st)
{
	return st->fold;
}

size_t sd_stacks_count(const struct sd_stacks *st)
{
	return st->n;
}

/*
 * Room for need elements of elem bytes in the malloc'd block p of *cap
 * elements (doubling, from first): the block, or NULL with p untouched.
 * *pf (util/prefault.h), if given, is cut back to the used elements,
 * the only ones sure to have moved along.  Plain realloc, not
 * util/vmem.h: these arrays are a few MB at most on the recordings this
 * is for, and a huge page for each would round every one of them up to
 * 2 MiB of resident memory (big blocks are mmap'd by malloc and grow by
 * mremap, without a copy).
 */
void *sd_stacks_grow(void *p, size_t *cap, size_t need, size_t used,
		     size_t elem, size_t first, size_t *pf)
{
	size_t c = *cap ? *cap : first;

	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elem)
		return NULL;
	void *v = realloc(p, c * elem);
	if (!v)
		return NULL;
	*cap = c;
	if (pf && *pf > used * elem)
		*pf = used * elem;
	return v;
}

/* Slots for an open-addressing table of n entries and one more, at most
 * half full: at least double what there is (4096 from nothing). */
static size_t table_slots(size_t have, size_t n)
{
	size_t ns = have ? have * 2 : 4096;

	while ((n + 1) * 2 > ns)
		ns *= 2;
	return ns;
}

/*
 * Room for need elements of elem bytes in the block p of *cap elements
 * (util/vmem.h: a big one grows in place, so the pages already written
 * are not faulted in again at a new address, as a copy would).  Doubling
 * from first; the block, or NULL with p untouched.
 */
static void *vgrow(void *p, size_t *cap, size_t need, size_t elem,
		   size_t first)
{
	size_t c = *cap ? *cap : first;

	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elem)
		return NULL;
	void *v = sd_vmem_resize(p, *cap * elem, c * elem);
	if (v)
		*cap = c;
	return v;
}

/*
 * The stack table's slots grown to hold one more stack, refilled from the
 * entries: in place, so that only the new half's pages are new (a fresh
 * table each time would fault in all its pages again).
 */
static int grow_slots(struct sd_stacks *st)
{
	size_t ns = table_slots(st->nslots, st->n), have = st->nslots;
	struct key_slot *s = vgrow(st->slots, &have, ns, sizeof *s, ns);

	if (!s)
		return -ENOMEM;
	memset(s, 0, ns * sizeof *s);
	for (size_t i = 0; i < st->n; i++) {
		const struct entry *e = &st->v[i];
		size_t j = e->hash & (ns - 1);
		while (s[j].at)
			j = (j + 1) & (ns - 1);
		s[j] = (struct key_slot){(uint32_t)(e->hash >> 32),
					 (uint32_t)((e->key - KEY_REC) /
						    KEY_ALIGN) + 1};
	}
	st->slots = s;
	st->nslots = ns;
	return 0;
}

/*
 * Where the sample of a (stack, pid) went last: most samples go to the
 * same detail as the last one of their stack and process, until the time
 * bucket moves on.  Direct-mapped, DCACHE_BITS bits of a multiplicative
 * hash; a collision only sends a sample the long way.
 */
static inline struct dcache_ent *dcache_of(struct sd_stacks *st,
					   uint32_t stack, uint32_t pid)
{
	uint32_t h = stack * 0x9e3779b1u + pid * 0x85ebca6bu;

	return &st->dcache[h >> (32 - DCACHE_BITS)];
}

/* Counts a sample (count of them, with period) under its detail: the
 * cache's (stack, pid) pair compared as one word, the detail's bucket
 * then (an empty entry's stack is no stack's). */
static inline __attribute__((always_inline)) int
detail_add(struct sd_stacks *st, uint32_t stack, uint32_t pid,
	   uint64_t bucket, uint64_t count, uint64_t period)
{
	struct dcache_ent *c = dcache_of(st, stack, pid);
	uint64_t pair = sd_stacks_pair(stack, pid);

	if (sd_stacks_pair_at(c) == pair) {
		struct sd_stack_detail *d = &st->det[c->det];
		if (d->bucket == bucket) {
			d->count += count;
			d->period += period;
			return 0;
		}
	}
	return sd_stacks_detail_count(st, c, pair, bucket, count, period);
}

static int intern_key(struct sd_stacks *st, const uint64_t *k, size_t klen,
		      uint32_t *id);

int sd_stacks_add_named(struct sd_stacks *st, const struct sd_named_stack *ns,
			uint32_t *id)
{
	uint64_t *k = st->scratch;
	size_t n = ns->n;
	uint32_t sid;

	if (n > 4096)
		n = 4096;
	k[0] = (uint64_t)(ns->evsel & 0xffff) << 48 |
	       (uint64_t)(F_NAMED | (ns->folded_out ? F_DROP : 0)) << 32 |
	       ns->comm;
	k[1] = 0;
	k[2] = st->fold & (SD_FOLD_PID | SD_FOLD_TID)
		       ? (uint64_t)ns->key_pid << 32 | ns->key_tid
		       : 0;
	k[3] = n;
	for (size_t i = 0; i < n; i++) {
		uint32_t nm = sd_strpool_intern(&st->strs, ns->frames[i],
						strlen(ns->frames[i]));
		if (!nm)
			return -ENOMEM;
		uint64_t marks = ns->marks ? ns->marks[i] & 3 : 0;
		k[KEY_HDR + i] = marks << 33 | (uint64_t)!!ns->kernel[i] << 32 | nm;
	}
	int err = intern_key(st, k, KEY_HDR + n, &sid);
	if (!err)
		err = detail_add(st, sid, ns->pid, ns->time / SD_BUCKET_NS,
				 ns->count, ns->period);
	if (!err && id)
		*id = sid;
	return err;
}

/*
 * What decides a sample's stack key, as stacks_intern() stores it: the
 * raw-chain table's key (rawtab.h) and its quick hash (the whole chain's
 * hash only when the guess does not find it), the address space and
 * the key's flags.  Whether the chain is kernel-only (then the address
 * space is not part of the key) is only asked when the table does not
 * know the chain -- and for a chain resolved at sample time (F_LOC) it
 * is seen while its frames resolve, not in a second pass over the chain
 * (kstorm: 2 M instructions).
 */
struct sample_key {
	struct raw_key rk;
	uint64_t mmv; /* mm << 32 | mm_ver */
	unsigned flags;
};

static inline void sample_key(const struct sd_stacks *st,
			      const struct sd_stack_sample *s,
			      struct sample_key *k)
{
	unsigned flags = s->has_callchain ? F_CHAIN : 0;
	size_t nr = s->has_callchain ? s->nr_ips : 1;

	if (nr > 4096)
		nr = 4096; /* never more than perf would print anyway */
	if (s->pid == UINT32_MAX || s->tid == UINT32_MAX)
		flags |= F_DROP;
	/* --folded-with addrs names unresolved frames by their raw address,
	 * which a location no longer has */
	if (s->machine && !(st->fold & SD_FOLD_ADDRS))
		flags |= F_LOC;
	k->rk.hdr[0] = (uint64_t)(s->evsel & 0xffff) << 48 |
		       (uint64_t)(uint8_t)s->cpumode << 40 |
		       (uint64_t)flags << 32 | s->view.comm;
	k->rk.hdr[1] = flags & F_DROP || st->fold & (SD_FOLD_PID | SD_FOLD_TID)
			       ? (uint64_t)s->pid << 32 | s->tid
			       : 0;
	k->rk.ips = s->has_callchain ? s->ips : &s->ip;
	k->rk.nr = nr;
	k->mmv = (uint64_t)s->view.mm << 32 | s->view.mm_ver;
	k->flags = flags;
	sd_rawtab_quick(&k->rk);
}

/* Whether the sample's frames are all in the kernel: its stack key then
 * has no address space. */
static bool sample_kernel_only(const struct sd_stack_sample *s,
			       const struct sample_key *k)
{
	return s->has_callchain ? sd_stacks_kernel_only(k->rk.ips, k->rk.nr)
				: s->cpumode == SD_MISC_KERNEL;
}

static int stacks_key(struct sd_stacks *st, const struct sd_stack_sample *s,
		      const struct sample_key *sk, bool *kern, size_t *klen);
static inline int intern_start(struct sd_stacks *st, size_t klen, uint64_t *h);
static inline __attribute__((always_inline)) int
intern_probe(struct sd_stacks *st, size_t klen, uint64_t hdr,
			uint64_t h, uint32_t *id);


/* A window of RAW_WINDOW samples tried the table: if it seldom helped,
 * the next samples do without it. */
static __attribute__((noinline)) void window_end(struct sd_stacks *st)
{
	if (st->rt_misses * 4 > RAW_WINDOW * 3) {
		st->rt_skip = RAW_SKIP;
		sd_rawtab_pause(&st->rt, true);
	}
	st->rt_misses = 0;
	st->rt_left = RAW_WINDOW;
}

/*
 * The long way, and what it found stored in the table (found:
 * sd_rawtab_find()'s answer, chain its f.chain), then the sample's
 * detail.  A new chain is stored between the stack key's hash and its
 * probe, with its stack filled in after: the stack table's slot, brought
 * in meanwhile, is mostly not in cache.  Out of line: the per-sample
 * path keeps few registers.
 */
static __attribute__((noinline)) int
add_new(struct sd_stacks *st, const struct sd_stack_sample *s,
	const struct sample_key *k, int found, uint32_t chain, uint32_t *id)
{
	bool kern, stored = false, space = false;
	uint32_t sid;
	size_t klen;
	uint64_t h;
	int err = stacks_key(st, s, k, &kern, &klen);

	if (!err)
		err = intern_start(st, klen, &h);
	if (err)
		return err;
	if (st->rt_skip) {
		if (!--st->rt_skip)
			sd_rawtab_pause(&st->rt, false);
	} else {
		st->rt_misses++;
		if (!--st->rt_left)
			window_end(st);
		if (found == RAW_MISS) {
			err = sd_rawtab_add(&st->rt, &k->rk, kern, k->mmv, 0);
			if (err < 0)
				return err;
			stored = !err;
		} else {
			space = true;
		}
	}
	err = intern_probe(st, klen, st->scratch[0], h, &sid);
	if (err) {
		if (stored) /* no stack for it: not known after all */
			sd_rawtab_clear(&st->rt);
		return err;
	}
	if (stored)
		sd_rawtab_set_last(&st->rt, sid);
	else if (space &&
		 (err = sd_rawtab_add_space(&st->rt, chain, k->mmv, sid)) < 0)
		return err;
	*id = sid;
	return detail_add(st, sid, s->pid, s->time / SD_BUCKET_NS, 1,
			  s->period);
}

/* The kernel's maps changed: every chain stored may resolve otherwise.
 * Out of line, so that the per-sample path keeps no copy of the
 * generation for it. */
static __attribute__((noinline, cold)) void
kernel_moved(struct sd_stacks *st, const struct sd_machine *m)
{
	sd_rawtab_clear(&st->rt);
	st->kgen = sd_machine_kernel_gen(m);
}

int sd_stacks_add(struct sd_stacks *st, const struct sd_stack_sample *s,
		  uint32_t *id)
{
	struct sample_key k;
	struct raw_found f;

	sample_key(st, s, &k);
	if (s->machine &&
	    __builtin_expect(sd_machine_kernel_gen(s->machine) != st->kgen, 0))
		kernel_moved(st, s->machine);
	/* while rt_skip counts down, chains rarely repeat: the table is
	 * paused, every chain a miss at its filter and its guess */
	int found = sd_rawtab_lookup(&st->rt, &k.rk, k.mmv, &f);
	if (found != RAW_HIT)
		return add_new(st, s, &k, found, f.chain, id);
	if (!--st->rt_left)
		window_end(st);
	/* every caller takes the id: no test for NULL (kstorm -0.5 M
	 * instructions, synth300k -0.6 M) */
	*id = f.id;
	return detail_add(st, f.id, s->pid, s->time / SD_BUCKET_NS, 1,
			  s->period);
}

/* The sample's stack key, encoded in st->kbuf (*klen bytes, its first
 * word in st->scratch[0]): *kern set to whether every frame is in the
 * kernel (resolving the frames finds it on the way). */
static int stacks_key(struct sd_stacks *st, const struct sd_stack_sample *s,
		      const struct sample_key *sk, bool *kern, size_t *klen)
{
	uint64_t *k = st->scratch;
	size_t nr = sk->rk.nr;

	k[0] = sk->rk.hdr[0];
	k[2] = sk->rk.hdr[1];
	k[3] = nr;
	if (sk->flags & F_LOC) {
		k[1] = 0;
		return sd_stacks_loc_key(st, s, k, sk->rk.ips, nr, klen, kern);
	}
	*kern = sample_kernel_only(s, sk);
	k[1] = *kern ? 0 : sk->mmv;
	memcpy(k + KEY_HDR, sk->rk.ips, nr * sizeof *k);
	*klen = sd_key_encode(k, KEY_HDR + nr, st->kbuf);
	return 0;
}

static int intern_key(struct sd_stacks *st, const uint64_t *words,
		      size_t nwords, uint32_t *id)
{
	size_t klen = sd_key_encode(words, nwords, st->kbuf);

	return sd_stacks_intern_encoded(st, klen, words[0], id);
}

/*
 * The hash of the klen bytes of st->kbuf, the stack table ready for one
 * more key and the probe's first slot on its way into the cache.
 */
static inline __attribute__((always_inline)) int
intern_start(struct sd_stacks *st, size_t klen, uint64_t *h)
{
	*h = sd_key_hash(st->kbuf, klen);
	if ((st->n + 1) * 2 > st->nslots && grow_slots(st))
		return -ENOMEM;
	__builtin_prefetch(&st->slots[*h & (st->nslots - 1)]);
	return 0;
}

int sd_stacks_intern_encoded(struct sd_stacks *st, size_t klen, uint64_t hdr,
			     uint32_t *id)
{
	uint64_t h;
	int err = intern_start(st, klen, &h);

	return err ? err : intern_probe(st, klen, hdr, h, id);
}

/*
 * (internal.h) The klen bytes of st->kbuf, of hash h (intern_start()),
 * found or stored.  A key found again costs its slot, then its record in
 * keys: the slot's hash check passes other keys' slots, and the record's
 * header (id, length) lies beside the bytes compared, so the entry is not
 * read.
 */
static inline __attribute__((always_inline)) int
intern_probe(struct sd_stacks *st, size_t klen, uint64_t hdr,
			uint64_t h, uint32_t *id)
{
	const uint8_t *k = st->kbuf;
	size_t mask = st->nslots - 1, j = h & mask;
	uint32_t hc = (uint32_t)(h >> 32);
	for (; st->slots[j].at; j = (j + 1) & mask) {
		if (st->slots[j].hash != hc)
			continue;
		const uint8_t *rec =
			st->keys + (size_t)(st->slots[j].at - 1) * KEY_ALIGN;
		uint32_t rh[2]; /* id, length */
		memcpy(rh, rec, sizeof rh);
		if (rh[1] == klen && !memcmp(rec + KEY_REC, k, klen)) {
			if (id)
				*id = rh[0];
			return 0;
		}
	}
	size_t at = (st->nkeys + KEY_ALIGN - 1) & ~(size_t)(KEY_ALIGN - 1),
	       end = at + KEY_REC + klen;
	if (at / KEY_ALIGN >= UINT32_MAX || st->n >= UINT32_MAX)
		return -ENOMEM; /* past what a slot can point at */
	if (st->n == st->cap) {
		struct entry *v = vgrow(st->v, &st->cap, st->n + 1, sizeof *v,
					1024);
		if (!v)
			return -ENOMEM;
		st->v = v;
	}
	if (end > st->capkeys) {
		uint8_t *kv = vgrow(st->keys, &st->capkeys, end, 1, 32768);
		if (!kv)
			return -ENOMEM;
		st->keys = kv;
	}
	sd_prefault(st->v, st->cap * sizeof *st->v, &st->v_pf,
		    (st->n + 1) * sizeof *st->v);
	sd_prefault(st->keys, st->capkeys * sizeof *st->keys, &st->keys_pf,
		    end * sizeof *st->keys);
	uint32_t rh[2] = {(uint32_t)st->n, (uint32_t)klen};
	memcpy(st->keys + at, rh, sizeof rh);
	memcpy(st->keys + at + KEY_REC, k, klen);
	st->v[st->n] = (struct entry){.key = at + KEY_REC,
				      .klen = (uint32_t)klen,
				      .hash = h,
				      .hdr = hdr};
	st->nkeys = end;
	st->slots[j] = (struct key_slot){hc, (uint32_t)(at / KEY_ALIGN) + 1};
	if (id)
		*id = (uint32_t)st->n;
	st->n++;
	return 0;
}

/* The pid and tid of stack i's key (kept with SD_FOLD_PID / SD_FOLD_TID):
 * out of line, so that sd_stacks_get() needs no frame of its own. */
static __attribute__((noinline)) void
key_pid_tid(const struct sd_stacks *st, size_t i, struct sd_stack_info *out)
{
	const struct entry *e = &st->v[i];
	uint64_t w[KEY_HDR];

	if (sd_key_decode(st->keys + e->key, e->klen, w, KEY_HDR) == KEY_HDR) {
		out->pid = (uint32_t)(w[2] >> 32);
		out->tid = (uint32_t)w[2];
	}
}

int sd_stacks_get(const struct sd_stacks *st, size_t i,
		  struct sd_stack_info *out)
{
	if (i >= st->n)
		return -ENOENT;
	sd_stacks_get_quick(st, i, out);
	if (st->fold & (SD_FOLD_PID | SD_FOLD_TID))
		key_pid_tid(st, i, out);
	return 0;
}

const char *sd_stacks_str(const struct sd_stacks *st, uint32_t id)
{
	return sd_strpool_get(&st->strs, id);
}
