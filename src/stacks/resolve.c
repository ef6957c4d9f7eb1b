/* SPDX-License-Identifier: MIT */
/*
 * Resolving a new chain's frames when it is first sampled (F_LOC keys):
 * each frame to the location of its function -- (DSO, function start,
 * kernel, unwound), each distinct one stored once with an id -- through
 * the frame tables (frametab.h: kernel addresses, user addresses per
 * address space), and the key written straight in its packed form
 * (key.c), a frame found in a table taking the straight path -- a run
 * of frames between two markers at a time, in the table of its view.
 * Only a chain the raw-chain table (rawtab.h) does not know comes here.
 * A frame the tables miss is located by a function of its table's
 * (frametab.c: sd_frametab_locate_user(), sd_frametab_locate_kernel()),
 * out of line.  The key builder's loops walk the chain and the key with
 * one index (a word of the chain is four bytes of the key), the kernel
 * table's slot without the view's mix (0 there), and a miss's function
 * takes the caller's slot and returns the id, in six registers: kstorm
 * 285.66 -> 283.23 M, dso 669.52 -> 662.41 M.  The key builder is for
 * chains alone: a sample without one (loc_key_ip()) and the general form
 * (loc_key_words()) are functions of their own, so that a chain's asks
 * nothing about having a chain and keeps fewer values live (94
 * instructions a chain outside the frames and markers before, 72 now):
 * kstorm 282.52 -> 281.02 M, dso 660.08 -> 657.65 M.  The kernel's and
 * the user's markers, a chain's first and mostly its only, are asked for
 * before marker_cpumode()'s switch: kstorm -0.57 M, dso -1.0 M.
 */
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "stacks/frametab.h"
#include "stacks/internal.h"
#include "stacks/key.h"

/* The view a marker switches to (SD_MISC_KERNEL, the common one, folds
 * to constants). */
static struct frame_view marker_view(const struct sd_stack_sample *s,
				     unsigned cpumode)
{
	if (cpumode == SD_MISC_KERNEL)
		return frame_view(s, SD_MISC_KERNEL);
	return frame_view(s, cpumode);
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
		return sd_frametab_locate_kernel(st, s, fv.cpumode, ip);
	}
	struct rcache_ent *e = &st->res.urc[rcache_slot(URC_SHIFT, ip, fv.mix)];
	if (e->ip == ip && e->key == fv.key)
		return e->id;
	return sd_frametab_locate_user(st, s, fv.key, fv.cpumode, ip, e);
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
	if (st->res.kgen1 != st->kgen + 1) {
		/* no tables yet, or kernel addresses may land elsewhere now */
		int err = sd_frametab_reset(st);
		if (err)
			return err;
		st->res.kgen1 = st->kgen + 1;
	}
	if (!s->has_callchain)
		return loc_key_ip(st, s, k, ips, nr, klen, kern);
	uint8_t *out = st->kbuf;
	size_t o = sd_key_encode_packed_hdr(k, out);
	if (!nr) {
		*klen = o;
		*kern = false;
		return 0;
	}
	/* a chain starts with its context marker: the view it sets (no
	 * view before it, cpumode NO_CPUMODE, found by no marker) */
	struct frame_view fv = {.cpumode = NO_CPUMODE};
	if (ips[0] < SD_CONTEXT_MAX || ips[0] == SD_CONTEXT_GUEST)
		fv = frame_view(s, SD_MISC_USER);

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
					r = sd_frametab_locate_kernel(st, s,
								      fv.cpumode, ip);
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
					r = sd_frametab_locate_user(
						st, s, fv.key, fv.cpumode, ip, e);
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
