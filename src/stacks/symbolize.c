/* SPDX-License-Identifier: MIT */
/*
 * Symbolizing the interned stacks (stacks.c), once per distinct stack:
 * each frame's folded names, computed once per (DSO, address) and cached
 * per (address space, cpumode, address); the frame sequences stored once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include <swapdiag/stacks.h>
#include "util/hash.h"
#include "util/vmem.h"
#include "util/prefault.h"

#include "stacks/fold.h"
#include "stacks/internal.h"
#include "stacks/key.h"

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

/* Twice the slots of the (dso, address) cache, or at least first. */
static int fc_grow(struct sd_stacks *st, size_t first)
{
	size_t ns = st->fcslots ? st->fcslots * 2 : first;
	/* plain heap memory: a few hundred kB, which as a huge-page block
	 * (util/vmem.h) would cost 2 MB; freed with the call */
	struct fcache_ent *v = calloc(ns, sizeof *v);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < st->fcslots; i++) {
		if (!st->fc[i].used)
			continue;
		size_t j = sd_mix64(st->fc[i].addr ^ (uintptr_t)st->fc[i].dso ^
				    st->fc[i].ip) &
			   (ns - 1);
		while (v[j].used)
			j = (j + 1) & (ns - 1);
		v[j] = st->fc[i];
	}
	free(st->fc);
	st->fc = v;
	st->fcslots = ns;
	return 0;
}

/*
 * The folded names of one location, computed once per (dso, address), and
 * the SD_FRAME_* marks of the first.  With SD_FOLD_ADDRS an unresolved
 * frame's name holds the address perf script prints: loc->addr, or ip (the
 * sampled address) where there is no map, which is then part of the key.
 */
static int frame_names(struct sd_stacks *st, const struct sd_location *loc,
		       uint64_t ip, bool chain, uint32_t *first, uint32_t *n,
		       uint8_t *marks)
{
	const void *key = loc->dso ? (const void *)loc->dso
				   : (const void *)loc->map_name;
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
	size_t j = sd_mix64(caddr ^ (uintptr_t)key ^ ip) & (st->fcslots - 1);
	for (; st->fc[j].used; j = (j + 1) & (st->fcslots - 1)) {
		if (st->fc[j].dso == key && st->fc[j].addr == caddr &&
		    st->fc[j].ip == ip) {
			*first = st->fc[j].first;
			*n = st->fc[j].n;
			*marks = st->fc[j].marks;
			return 0;
		}
	}
	const char *sym = NULL, *dso = loc->map_name;
	if (loc->dso) {
		const char *holder = NULL;
		const struct sd_symbol *s = sd_dso_lookup(loc->dso, loc->addr,
							  &holder);
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
	/* nearly every symbol folds to a start of itself: interned from
	 * where it is, no copy made and freed */
	size_t plain = sd_fold_plain(sym, dso);
	int k = 1;
	if (plain) {
		uint32_t id = sd_strpool_intern(&st->strs, sym, plain);
		if (!id || push_name(st, id))
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
		}
	}
	*marks = (uint8_t)sd_fold_dso_marks(dso ? dso : "[unknown]");
	st->fc[j] = (struct fcache_ent){key, caddr, ip, f, (uint32_t)k,
					*marks, true};
	st->fcn++;
	*first = f;
	*n = (uint32_t)k;
	return 0;
}

/*
 * Where each (address space, cpumode, address) of the call chains lands,
 * as folded names: distinct stacks of one process share most of their
 * frames, and sd_machine_locate() (map search, up the chain of forked
 * address spaces) plus the (dso, address) lookup cost ~300 instructions a
 * frame.  A direct-mapped cache of fixed size (1.5 MB, so it stays in
 * the CPU caches and adds nothing that grows): a collision just replaces
 * the entry.  Lives for one sd_stacks_symbolize() call.
 */
#define LCACHE_SLOTS 65536

struct lcache_ent {
	uint64_t mmv; /* mm << 32 | version; 0 for kernel cpumodes */
	uint64_t ip;
	uint32_t first; /* into names[] */
	uint8_t n;      /* names: at most 8 */
	uint8_t cpumode;
	uint8_t marks;  /* SD_FRAME_* of the first name */
	bool kernel;
	bool used;
};

/* The folded names of ip in address space mm (version ver). */
static int locate_names(struct sd_stacks *st, struct lcache_ent *c,
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
	 * entry too (frame_names) */
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
	int err = frame_names(st, &loc, ip, chain, first, n, marks);
	if (err)
		return err;
	*kernel = loc.kernel;
	if (e)
		*e = (struct lcache_ent){mmv, ip, *first, (uint8_t)*n,
					 (uint8_t)ckey, *marks, loc.kernel,
					 true};
	return 0;
}

/* Room in frames[] for more frames, populated ahead (util/prefault.h). */
static int frames_room(struct sd_stacks *st, size_t more)
{
	if (st->nframes + more > st->capframes) {
		struct sd_frame *v = sd_stacks_grow(st->frames, &st->capframes,
					  st->nframes + more, st->nframes,
					  sizeof *v, 4096, &st->frames_pf);
		if (!v)
			return -ENOMEM;
		st->frames = v;
	}
	sd_prefault(st->frames, st->capframes * sizeof *st->frames,
		    &st->frames_pf, (st->nframes + more) * sizeof *st->frames);
	return 0;
}

/* The n names of one location (names[first..]), pushed last part first:
 * the final reversal restores stackcollapse's order for "a->b" (a, then
 * b_[i]); b_[i] is inlined, never annotated (the script's elsif). */
static inline int push_names(struct sd_stacks *st, uint32_t first, uint32_t n,
			     bool kernel, uint8_t marks)
{
	if (st->nframes + n > st->capframes && frames_room(st, n))
		return -ENOMEM;
	for (uint32_t q = n; q-- > 0;)
		st->frames[st->nframes++] = (struct sd_frame){
			st->names[first + q], kernel, q ? 0 : marks};
	return 0;
}

/* A location's folded names (frame_names), by loc id, for the stacks
 * resolved at sample time: each distinct location's are looked up once,
 * then every frame of it is an array index. */
struct locname {
	struct sd_frame one; /* n == 1: the frame pushed */
	uint64_t word;       /* n == 1: fseq_word() of it */
	uint32_t first;
	uint8_t n, marks;
	bool made, kernel;
	bool one_name;       /* made, with one name */
};

/*
 * A frame sequence's hash (share_frames): each frame's word folded in
 * root first, one multiply a frame, then the count; the symbolizing
 * loops compute it as they write the frames.
 */
#define FSEQ_SEED 0x9e3779b97f4a7c15ull
#define FSEQ_MUL 0x9fb21c651e98df25ull

static inline uint64_t fseq_word(const struct sd_frame *f)
{
	return (uint64_t)f->marks << 33 | (uint64_t)f->kernel << 32 | f->name;
}

static inline uint64_t fseq_end(uint64_t h, size_t n)
{
	return sd_mix64(h ^ n);
}

static uint64_t fseq_hash(const struct sd_frame *f, size_t n)
{
	uint64_t h = FSEQ_SEED;

	for (size_t i = 0; i < n; i++)
		h = (h ^ fseq_word(&f[i])) * FSEQ_MUL;
	return fseq_end(h, n);
}

static bool fseq_equal(const struct sd_frame *a, const struct sd_frame *b,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].name != b[i].name || a[i].kernel != b[i].kernel ||
		    a[i].marks != b[i].marks)
			return false;
	return true;
}

/* Twice the slots of the sequence table, or at least first. */
static int fseq_grow(struct sd_stacks *st, size_t first)
{
	size_t ns = st->fseq_slots ? st->fseq_slots * 2 : first;
	struct fseq_slot *v = calloc(ns, sizeof *v); /* as fc_grow's */

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < st->fseq_slots; i++) {
		if (!st->fseq[i].entry)
			continue;
		size_t j = st->fseq[i].hash & (ns - 1);
		while (v[j].entry)
			j = (j + 1) & (ns - 1);
		v[j] = st->fseq[i];
	}
	free(st->fseq);
	st->fseq = v;
	st->fseq_slots = ns;
	return 0;
}

/*
 * Raw stacks that differ only in what symbolization folds away (another
 * process's addresses for the same functions, another offset in one
 * function) get the same frames: e's frames, just pushed at the end of
 * frames[], are dropped again when an earlier entry has the same sequence,
 * and e points at that one.  A busy recording has 4x fewer distinct
 * sequences than raw stacks; the folded output and the matcher then do
 * their work once per sequence (sd_stacks_folded).
 */
static int share_frames(struct sd_stacks *st, struct entry *e, uint64_t h)
{
	/* nothing to share; and with no frame pushed yet, frames is NULL */
	if (!e->nframes)
		return 0;

	const struct sd_frame *f = st->frames + e->frames;

	if ((st->nfseq + 1) * 2 > st->fseq_slots && fseq_grow(st, 16384))
		return 0; /* no memory to share: keep the copy */
	size_t j = h & (st->fseq_slots - 1);
	for (; st->fseq[j].entry; j = (j + 1) & (st->fseq_slots - 1)) {
		const struct entry *o = &st->v[st->fseq[j].entry - 1];
		if (st->fseq[j].hash == h && o->nframes == e->nframes &&
		    fseq_equal(st->frames + o->frames, f, e->nframes)) {
			st->nframes = e->frames; /* drop the copy */
			e->frames = o->frames;
			return 0;
		}
	}
	st->fseq[j] = (struct fseq_slot){h, (uint32_t)(e - st->v) + 1};
	st->nfseq++;
	return 0;
}

static void make_locname(const struct sd_stacks *st, struct locname *ln,
			 uint32_t first, uint32_t n, uint8_t marks, bool kernel)
{
	*ln = (struct locname){{n ? st->names[first] : 0, kernel, marks}, 0,
			       first, (uint8_t)n, marks, true, kernel,
			       n == 1};
	ln->word = fseq_word(&ln->one);
}

/*
 * One entry of a chain (see symbolize_one): a context marker switches
 * the cpumode, a frame pushes its names.  0, 1 for a marker perf does
 * not know (the chain is emptied), or -ENOMEM.
 */
static int one_frame(struct sd_stacks *st, struct sd_machine *m,
		     struct lcache_ent **c, bool *c_tried, struct locname *lm,
		     unsigned flags, unsigned *cpumode, size_t *entries,
		     uint32_t mm, uint32_t ver, uint64_t ip)
{
	if ((flags & F_CHAIN) && ip >= SD_CONTEXT_MAX) {
		switch (ip) {
		case SD_CONTEXT_HV:
			*cpumode = SD_MISC_HYPERVISOR;
			break;
		case SD_CONTEXT_KERNEL:
			*cpumode = SD_MISC_KERNEL;
			break;
		case SD_CONTEXT_USER:
			*cpumode = SD_MISC_USER;
			break;
		case SD_CONTEXT_GUEST_KERNEL:
			*cpumode = SD_MISC_GUEST_KERNEL;
			break;
		case SD_CONTEXT_GUEST_USER:
			*cpumode = SD_MISC_GUEST_USER;
			break;
		case SD_CONTEXT_GUEST:
			break;
		case SD_CONTEXT_USER_UNWOUND:
			/* perf unwinds with a max-stack of its own */
			*cpumode = SD_MISC_USER;
			*entries = 0;
			break;
		default:
			return 1;
		}
		return 0;
	}
	if ((*entries)++ >= MAX_STACK)
		return 0; /* the unwound frames may follow */
	uint32_t first, n;
	bool kernel;
	uint8_t marks;
	int err = 0;
	if (flags & F_LOC) {
		/* resolved when sampled */
		uint32_t li = (uint32_t)(ip & LOC_MASK);
		if ((ip & ~LOC_MASK) != LOC_TAG || li >= st->nlocs)
			return 0; /* cannot happen: interned above */
		struct locname *ln = lm ? &lm[li] : NULL;
		kernel = st->locs[li].kernel;
		if (!ln || !ln->made) {
			err = frame_names(st, &st->locs[li], 0, true, &first,
					  &n, &marks);
			if (!err && ln)
				make_locname(st, ln, first, n, marks, kernel);
		} else {
			first = ln->first;
			n = ln->n;
			marks = ln->marks;
		}
	} else {
		/* made on first use: stacks resolved at sample time never
		 * need it */
		if (!*c_tried) {
			*c = sd_vmem_zalloc(st->lcache_slots * sizeof **c);
			*c_tried = true;
		}
		err = locate_names(st, *c, m, mm, ver,
				   *cpumode, ip, flags & F_CHAIN, &first, &n,
				   &kernel, &marks);
	}
	if (err)
		return err;
	return push_names(st, first, n, kernel, marks);
}

/* A marker thread__resolve_callchain knows (anything else >=
 * SD_CONTEXT_MAX empties the chain). */
static inline bool known_marker(uint64_t ip)
{
	switch (ip) {
	case SD_CONTEXT_HV:
	case SD_CONTEXT_KERNEL:
	case SD_CONTEXT_USER:
	case SD_CONTEXT_GUEST_KERNEL:
	case SD_CONTEXT_GUEST_USER:
	case SD_CONTEXT_GUEST:
	case SD_CONTEXT_USER_UNWOUND:
		return true;
	default:
		return false;
	}
}

/*
 * symbolize_one() for a stack resolved at sample time whose key is in
 * the packed form, read in place (key.h) and written root first: with at
 * most MAX_STACK words no frame is cut, so a marker only switches the
 * cpumode (which located frames do not need) or, unknown, empties the
 * chain; every location's names are made once (locname).  w holds nr
 * words, leaf first; chain: the key is a call chain (F_CHAIN).
 */
static int symbolize_packed(struct sd_stacks *st, struct locname *lm,
			    struct entry *e, const uint8_t *w, size_t nr,
			    bool chain)
{
	size_t start = st->nframes, nf = start, nlocs = st->nlocs;
	uint64_t h = FSEQ_SEED;

	/* room for a frame a word; more only for a location of several
	 * names, then again for the words left */
	if (start + nr > st->capframes && frames_room(st, nr))
		return -ENOMEM;
	struct sd_frame *fr = st->frames;
	for (size_t i = nr; i-- > 0;) {
		uint32_t v;
		memcpy(&v, w + 4 * i, 4);
		/* a marker has bit 31: never below nlocs */
		if (v < nlocs && lm[v].one_name) {
			fr[nf++] = lm[v].one;
			h = (h ^ lm[v].word) * FSEQ_MUL;
			continue;
		}
		if (v & 0x80000000u) {
			/* 0x80000000 | -marker */
			if (chain && !known_marker(0 - (uint64_t)(v & 0x7fffffffu))) {
				nf = start; /* perf resets the cursor */
				h = FSEQ_SEED;
				break;
			}
			continue;
		}
		if (v >= nlocs)
			continue; /* cannot happen: interned when sampled */
		struct locname *ln = &lm[v];
		if (!ln->made) {
			uint32_t first, n;
			uint8_t marks;
			int err = frame_names(st, &st->locs[v], 0, true, &first,
					      &n, &marks);
			if (err)
				return err;
			make_locname(st, ln, first, n, marks, st->locs[v].kernel);
		}
		/* several names ("a->b": a, then b_[i]), or none, in order;
		 * the first carries the marks */
		st->nframes = nf;
		if (frames_room(st, ln->n + i))
			return -ENOMEM;
		fr = st->frames;
		for (uint32_t q = 0; q < ln->n; q++) {
			fr[nf] = (struct sd_frame){st->names[ln->first + q],
						   ln->kernel,
						   q ? 0 : ln->marks};
			h = (h ^ fseq_word(&fr[nf])) * FSEQ_MUL;
			nf++;
		}
	}
	st->nframes = nf;
	e->frames = (uint32_t)start;
	e->nframes = (uint32_t)(nf - start);
	return share_frames(st, e, fseq_end(h, nf - start));
}

/*
 * thread__resolve_callchain for one stack: markers switch the cpumode
 * (user until the first one), an unknown marker empties the chain, at most
 * MAX_STACK real entries; then leaf-first becomes root-first.
 */
static int symbolize_one(struct sd_stacks *st, struct sd_machine *m,
			 struct lcache_ent **c, bool *c_tried,
			 struct locname *lm, struct entry *e)
{
	uint64_t *k = st->scratch;
	const uint8_t *pw;

	if (lm && ((e->hdr >> 32) & F_LOC)) {
		size_t nr = sd_key_packed(st->keys + e->key, e->klen, &pw);
		if (nr <= MAX_STACK)
			return symbolize_packed(st, lm, e, pw, nr,
						(e->hdr >> 32) & F_CHAIN);
	}
	size_t nw = sd_key_decode(st->keys + e->key, e->klen, k,
			       sizeof st->scratch / sizeof *k);
	if (nw < KEY_HDR)
		return 0; /* cannot happen: every key has its header */
	unsigned flags = (unsigned)(k[0] >> 32) & 0xff;
	unsigned cpumode = (unsigned)(k[0] >> 40) & 0xff;
	uint32_t mm = (uint32_t)(k[1] >> 32), ver = (uint32_t)k[1];
	size_t nr = k[3] < nw - KEY_HDR ? k[3] : nw - KEY_HDR;
	const uint64_t *ips = k + KEY_HDR;
	size_t start = st->nframes, entries = 0;

	if (frames_room(st, nr))
		return -ENOMEM;
	if (flags & F_NAMED) {
		for (size_t i = 0; i < nr; i++)
			st->frames[st->nframes++] = (struct sd_frame){
				(uint32_t)ips[i], (ips[i] >> 32) & 1,
				(uint8_t)(ips[i] >> 33 & 3)};
		e->frames = (uint32_t)start;
		e->nframes = (uint32_t)nr;
		return 0;
	}
	if (flags & F_CHAIN)
		cpumode = SD_MISC_USER;
	/*
	 * A frame resolved at sample time whose location was named before
	 * with one name (nearly all of them) is one store, kept in locals;
	 * anything else goes through one_frame() with st up to date.
	 */
	bool floc = (flags & F_LOC) && lm;
	struct sd_frame *fr = st->frames;
	size_t nf = st->nframes, cap = st->capframes, nlocs = st->nlocs;
	for (size_t i = 0; i < nr; i++) {
		uint64_t ip = ips[i];
		if (floc && (ip & ~LOC_MASK) == LOC_TAG &&
		    (ip & LOC_MASK) < nlocs && entries < MAX_STACK && nf < cap) {
			const struct locname *ln = &lm[ip & LOC_MASK];
			if (ln->made && ln->n == 1) {
				entries++;
				fr[nf++] = ln->one;
				continue;
			}
		}
		st->nframes = nf;
		int r = one_frame(st, m, c, c_tried, lm, flags, &cpumode,
				  &entries, mm, ver, ip);
		fr = st->frames;
		nf = st->nframes;
		cap = st->capframes;
		if (r < 0)
			return r;
		if (r > 0) {
			nf = start; /* perf resets the cursor */
			break;
		}
	}
	st->nframes = nf;
	/* leaf first -> root first; "a->b" parts keep their order */
	size_t lo = start, hi = st->nframes;
	for (size_t a = lo, b = hi; a + 1 < b; a++, b--) {
		struct sd_frame t = st->frames[a];
		st->frames[a] = st->frames[b - 1];
		st->frames[b - 1] = t;
	}
	e->frames = (uint32_t)start;
	e->nframes = (uint32_t)(st->nframes - start);
	return share_frames(st, e, fseq_hash(st->frames + start, e->nframes));
}

int sd_stacks_symbolize(struct sd_stacks *st, struct sd_machine *m)
{
	/*
	 * Without memory for the cache, every frame is located anew.  No
	 * more slots than bytes of stored keys (the frames and headers of
	 * the distinct stacks): a small input must not calloc 1.5 MB, which
	 * under ASan or valgrind is an mmap of its own; a large one gets
	 * them all.
	 */
	sd_stacks_samples_done(st);
	size_t slots = 1024;
	while (slots < LCACHE_SLOTS && slots < st->nkeys)
		slots *= 2;
	struct lcache_ent *c = NULL;
	bool c_tried = false;
	struct locname *lm = st->nlocs ? calloc(st->nlocs, sizeof *lm) : NULL;
	int err = 0;

	st->lcache_slots = slots;
	/*
	 * Both tables made at the size they end with, not doubled up to it
	 * (each doubling clears and refills the table): at most a sequence
	 * per stack, and for the stacks resolved at sample time a (dso,
	 * address) per location.  Without memory they grow as they fill.
	 */
	size_t first = 1024;
	while (first < 2 * (st->n + 1) && first < ((size_t)1 << 30))
		first *= 2;
	if (!st->fseq_slots)
		fseq_grow(st, first);
	for (first = 256; first < 2 * (st->nlocs + 1) && first < ((size_t)1 << 30);)
		first *= 2;
	if (!st->fcslots)
		fc_grow(st, first);
	/*
	 * frames[] too: a frame per 4 bytes of key is about what the packed
	 * keys (nearly all) give, and growing it by doubling copies what was
	 * written (a few hundred kB each time).  Only reserved: the pages are
	 * populated as the frames are written (frames_room).
	 */
	size_t words = st->nframes;
	for (size_t i = 0; i < st->n; i++)
		words += st->v[i].klen / 4;
	if (words > st->capframes) {
		struct sd_frame *v = sd_stacks_grow(st->frames, &st->capframes,
						    words, st->nframes,
						    sizeof *v, words,
						    &st->frames_pf);
		if (v)
			st->frames = v;
	}

	for (size_t i = 0; i < st->n && !err; i++)
		err = symbolize_one(st, m, &c, &c_tried, lm, &st->v[i]);
	free(lm);
	sd_vmem_free(c, slots * sizeof *c);
	free(st->fseq);
	st->fseq = NULL;
	st->nfseq = st->fseq_slots = 0;
	/* the (dso, address) names are only for this call: the frames hold
	 * their string ids */
	free(st->fc);
	st->fc = NULL;
	st->fcslots = st->fcn = 0;
	free(st->names); /* grown by sd_stacks_grow(): heap */
	st->names = NULL;
	st->nnames = st->capnames = 0;
	return err;
}

size_t sd_stacks_nr_strs(const struct sd_stacks *st)
{
	return st->strs.n;
}

uint32_t sd_stacks_str_find(const struct sd_stacks *st, const char *name)
{
	return sd_strpool_find(&st->strs, name, strlen(name));
}

const struct sd_stack_detail *sd_stacks_details(const struct sd_stacks *st,
						size_t *n)
{
	*n = st->ndet;
	return st->det;
}
