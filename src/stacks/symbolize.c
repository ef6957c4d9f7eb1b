/* SPDX-License-Identifier: MIT */
/*
 * Symbolizing the interned stacks (stacks.c), once per distinct stack:
 * each chain walked as thread__resolve_callchain does, its frames pushed
 * with their folded names (names.c: computed once per (DSO, address) and
 * cached per (address space, cpumode, address)), the resulting sequence
 * stored once (fseq.c).  A chain resolved at sample time is read in its
 * packed form in place, a long one up to perf's max-stack (packed_cut),
 * its one-name locations by a loop of their own (packed_run, a frame a
 * word from a dense array); only the rest is decoded (the long way,
 * symbolize_one).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "util/prefault.h"
#include "util/vmem.h"

#include "stacks/internal.h"
#include "stacks/key.h"
#include "stacks/symbolize.h"

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
			.name = st->names[first + q],
			.kernel = kernel,
			.marks = q ? 0 : marks};
	return 0;
}

/*
 * A location's folded names (sd_stacks_frame_names), by loc id, for the
 * stacks resolved at sample time: each distinct location's are looked up
 * once, then every frame of it is an array index.  A location of one
 * name (nearly all) also has its frame as a word in a dense array of its
 * own (one[]; 0: not made yet, or not one name), which the loops read.
 */
struct locname {
	uint32_t first;
	uint8_t n, marks;
	bool made, kernel;
};

struct locnames {
	struct locname *v;
	uint64_t *one; /* fseq_word() of the frame of a one-name location */
};

static void make_locname(const struct sd_stacks *st, struct locnames *lm,
			 uint32_t li, uint32_t first, uint32_t n, uint8_t marks,
			 bool kernel)
{
	lm->v[li] = (struct locname){first, (uint8_t)n, marks, true, kernel};
	if (n == 1) {
		struct sd_frame f = {.name = st->names[first],
				     .kernel = kernel,
				     .marks = marks};
		lm->one[li] = fseq_word(&f);
	}
}

/*
 * One entry of a chain (see symbolize_one): a context marker switches
 * the cpumode, a frame pushes its names.  0, 1 for a marker perf does
 * not know (the chain is emptied), or -ENOMEM.
 */
static int one_frame(struct sd_stacks *st, struct sd_machine *m,
		     struct lcache_ent **c, bool *c_tried, struct locnames *lm,
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
		struct locname *ln = lm ? &lm->v[li] : NULL;
		kernel = st->locs[li].kernel;
		if (!ln || !ln->made) {
			err = sd_stacks_frame_names(st, &st->locs[li], 0, true,
						    &first, &n, &marks);
			if (!err && ln)
				make_locname(st, lm, li, first, n, marks, kernel);
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
		err = sd_stacks_locate_names(st, *c, m, mm, ver, *cpumode, ip,
					     flags & F_CHAIN, &first, &n,
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
 * The words of a packed key before p, down to w (leaf first, so read
 * from the end), while each is a location of one name (its frame
 * written at *out, folded into the hash *h) or a marker that does not
 * empty the chain; where it stopped: w, or just past the word that needs
 * more (a location not named yet or of several names, an unknown marker
 * of a call chain).  A function of its own with no calls, so that its
 * values stay in registers: 14 instructions a frame, against 20 in
 * symbolize_packed()'s loop, which kept them on the stack across the
 * slow path's calls (callgrind, dso: -2.4 M instructions; kstorm, ten
 * frames a stack, about even).
 */
static __attribute__((noinline)) const uint8_t *
packed_run(const uint8_t *p, const uint8_t *w, const uint64_t *one,
	   size_t nlocs, bool chain, struct sd_frame **out, uint64_t *h)
{
	struct sd_frame *o = *out;
	uint64_t x = *h;

	for (; p > w; p -= 4) {
		uint32_t v;
		uint64_t fw;
		memcpy(&v, p - 4, 4);
		/* a marker has bit 31: never below nlocs */
		if (__builtin_expect(v < nlocs && (fw = one[v]) != 0, 1)) {
			memcpy(o++, &fw, sizeof fw);
			x = (x ^ fw) * FSEQ_MUL;
			continue;
		}
		/* 0x80000000 | -marker */
		if (!(v & 0x80000000u) ||
		    (chain && !known_marker(0 - (uint64_t)(v & 0x7fffffffu))))
			break;
	}
	*out = o;
	*h = x;
	return p;
}

/*
 * symbolize_one() for a stack resolved at sample time whose key is in
 * the packed form, read in place (key.h) and written root first: with at
 * most MAX_STACK frames in its nr words (or a call chain's words up to its
 * MAX_STACK-th, packed_cut) no frame is cut, so a marker only switches the
 * cpumode (which located frames do not need) or, unknown, empties the
 * chain; every location's names are made once (locname).  w holds nr
 * words, leaf first; chain: the key is a call chain (F_CHAIN).  Kept out
 * of line: inlined into sd_stacks_symbolize() its loop keeps its
 * pointers on the stack (callgrind on kstorm: +0.3 M instructions).
 */
static __attribute__((noinline)) int
symbolize_packed(struct sd_stacks *st, struct locnames *lm, struct entry *e,
		 const uint8_t *w, size_t nr, bool chain)
{
	size_t start = st->nframes;
	uint64_t h = FSEQ_SEED;

	/* room for a frame a word; more only for a location of several
	 * names, then again for the words left */
	if (start + nr > st->capframes && frames_room(st, nr))
		return -ENOMEM;
	struct sd_frame *out = st->frames + start;
	for (const uint8_t *p = w + 4 * nr;
	     (p = packed_run(p, w, lm->one, st->nlocs, chain, &out, &h)) > w;) {
		uint32_t v;
		p -= 4;
		memcpy(&v, p, 4);
		if (v & 0x80000000u) {
			/* an unknown marker: perf resets the cursor */
			out = st->frames + start;
			h = FSEQ_SEED;
			break;
		}
		if (v >= st->nlocs)
			continue; /* cannot happen: interned when sampled */
		struct locname *ln = &lm->v[v];
		if (!ln->made) {
			uint32_t first, n;
			uint8_t marks;
			int err = sd_stacks_frame_names(st, &st->locs[v], 0, true,
							&first, &n, &marks);
			if (err)
				return err;
			make_locname(st, lm, v, first, n, marks,
				     st->locs[v].kernel);
			if (lm->one[v]) {
				p += 4; /* packed_run() takes it now */
				continue;
			}
		}
		/* several names ("a->b": a, then b_[i]), or none, in order;
		 * the first carries the marks */
		size_t nf = (size_t)(out - st->frames);
		st->nframes = nf;
		if (frames_room(st, ln->n + (size_t)(p - w) / 4))
			return -ENOMEM;
		out = st->frames + nf;
		for (uint32_t q = 0; q < ln->n; q++) {
			*out = (struct sd_frame){
				.name = st->names[ln->first + q],
				.kernel = ln->kernel,
				.marks = q ? 0 : ln->marks};
			h = (h ^ fseq_word(out)) * FSEQ_MUL;
			out++;
		}
	}
	size_t nf = (size_t)(out - st->frames);
	st->nframes = nf;
	e->frames = (uint32_t)start;
	e->nframes = (uint32_t)(nf - start);
	return sd_stacks_share_frames(st, e, fseq_end(h, nf - start));
}

/* Whether a marker word (bit 31: 0x80000000 | -marker) of a call chain
 * longer than perf's max-stack leaves packed_cut()'s cut as it is: a
 * known marker that only switches the cpumode. */
static inline bool marker_keeps_cut(uint32_t v)
{
	uint64_t ip = 0 - (uint64_t)(v & 0x7fffffffu);

	return known_marker(ip) && ip != SD_CONTEXT_USER_UNWOUND;
}

/* Whether the four words at p are all locations (no marker's bit 31). */
static inline bool four_locs(const uint8_t *p)
{
	uint64_t a, b;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	return !((a | b) & 0x8000000080000000ull);
}

/*
 * The words of a packed call chain (leaf first) that symbolize_packed()
 * may take when it has more than MAX_STACK: up to its MAX_STACK-th frame
 * from the leaf (perf's max-stack; the markers between do not count, and
 * the frames beyond are dropped whatever they are).  SIZE_MAX, for the
 * long way, when a marker would do more than switch the cpumode: an
 * unknown one empties the chain wherever it is, USER_UNWOUND starts the
 * count again.  Four words a step while they hold no marker (dso: 5.5 k
 * chains of 128 words, -3.5 M instructions against a word a step).
 */
static size_t packed_cut(const uint8_t *w, size_t nr)
{
	size_t i = 0, entries = 0;

	while (i < nr) {
		if (i + 4 <= nr && entries + 4 <= MAX_STACK &&
		    four_locs(w + 4 * i)) {
			i += 4;
			if ((entries += 4) == MAX_STACK)
				break;
			continue;
		}
		uint32_t v;
		memcpy(&v, w + 4 * i++, 4);
		if (!(v & 0x80000000u)) {
			if (++entries == MAX_STACK)
				break;
		} else if (!marker_keeps_cut(v)) {
			return SIZE_MAX;
		}
	}
	/* past the cut only the markers matter */
	size_t cut = i;
	for (; i < nr; i++) {
		uint32_t v;
		if (i + 4 <= nr && four_locs(w + 4 * i)) {
			i += 3;
			continue;
		}
		memcpy(&v, w + 4 * i, 4);
		if ((v & 0x80000000u) && !marker_keeps_cut(v))
			return SIZE_MAX;
	}
	return cut;
}

/*
 * thread__resolve_callchain for one stack: markers switch the cpumode
 * (user until the first one), an unknown marker empties the chain, at most
 * MAX_STACK real entries; then leaf-first becomes root-first.
 */
static int symbolize_one(struct sd_stacks *st, struct sd_machine *m,
			 struct lcache_ent **c, bool *c_tried,
			 struct locnames *lm, struct entry *e)
{
	uint64_t *k = st->scratch;
	const uint8_t *pw;

	if (lm && ((e->hdr >> 32) & F_LOC)) {
		size_t nr = sd_key_packed(st->keys + e->key, e->klen, &pw);
		bool chain = (e->hdr >> 32) & F_CHAIN;
		/* a longer call chain: its frames up to perf's max-stack */
		if (nr > MAX_STACK && nr != SIZE_MAX && chain)
			nr = packed_cut(pw, nr);
		if (nr <= MAX_STACK || (chain && nr != SIZE_MAX))
			return symbolize_packed(st, lm, e, pw, nr, chain);
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
				.name = (uint32_t)ips[i],
				.kernel = (ips[i] >> 32) & 1,
				.marks = (uint8_t)(ips[i] >> 33 & 3)};
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
			uint64_t fw = lm->one[ip & LOC_MASK];
			if (fw) {
				entries++;
				memcpy(&fr[nf++], &fw, sizeof fw);
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
	return sd_stacks_share_frames(st, e,
				      fseq_hash(st->frames + start, e->nframes));
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
	struct locnames names = {0}, *lm = NULL;
	int err = 0;

	if (st->nlocs) {
		names.v = calloc(st->nlocs, sizeof *names.v);
		names.one = calloc(st->nlocs, sizeof *names.one);
		if (names.v && names.one)
			lm = &names;
	}

	st->lcache_slots = slots;
	sd_stacks_fseq_reserve(st, st->n);
	sd_stacks_names_reserve(st, st->nlocs);
	/*
	 * Like those two tables, frames[] is made at about the size it ends
	 * with: a frame per 4 bytes of key is about what the packed
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
	free(names.v);
	free(names.one);
	sd_vmem_free(c, slots * sizeof *c);
	sd_stacks_fseq_free(st);
	/* the (dso, address) names are only for this call */
	sd_stacks_names_free(st);
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

/* Declared in detect/findings.h, for detect's walks of every stack. */
void sd_stacks_get_nopid(const struct sd_stacks *st, size_t i,
			 struct sd_stack_info *out);

void sd_stacks_get_nopid(const struct sd_stacks *st, size_t i,
			 struct sd_stack_info *out)
{
	sd_stacks_get_quick(st, i, out);
}
