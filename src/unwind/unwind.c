/* SPDX-License-Identifier: MIT */
/*
 * DWARF unwinding of REGS_USER + STACK_USER samples with libdw's Dwfl
 * (see unwind.h).  The layout of the two sample fields:
 *
 *	struct { u64 abi; u64 regs[popcount(sample_regs_user)]; }  REGS_USER
 *	struct { u64 size; u8 data[size]; u64 dyn_size; }          STACK_USER
 *
 * data[0] is the byte at the sampled stack pointer; the first dyn_size
 * bytes are valid (the reader hands over stack_size = dyn_size).
 *
 * One Dwfl session per address space (session.c), one walk of the stack
 * per sample (walk.c), and a memo of the walks (here).  If the address
 * space later maps something else where a reported module sits, the
 * session is dropped and a new one made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <elf.h>

#include <swapdiag/unwind.h>

#include "unwind/internal.h"
#include "util/hash.h"

#define MEMO_SLOTS 4096   /* unwound samples remembered */
#define MEMO_TRIAL 2048   /* samples before the memo is judged */
#define MEMO_MIN_HITS 20  /* ... and kept if 1 in this many hit */

/* --- samples ---------------------------------------------------------- */

/* The ELF machine whose registers the sample holds, from the recording's
 * architecture and the sample's ABI; 0 if unsupported. */
static unsigned sample_machine(const struct sd_unwinder *u, uint64_t abi,
			       uint64_t mask)
{
	const char *a = u->info ? u->info->arch : NULL;
	bool abi32 = abi == SD_REGS_ABI_32;

	if (!a) /* pipe mode before (or without) the ARCH feature */
		a = mask >> 32 ? "aarch64" : mask >> 16 ? "x86_64" : "";
	if (!strcmp(a, "x86_64") || !strcmp(a, "amd64"))
		return abi32 ? EM_386 : EM_X86_64;
	if (!strcmp(a, "x86") || (a[0] == 'i' && !strcmp(a + 2, "86")))
		return EM_386;
	if (!strcmp(a, "aarch64") || !strcmp(a, "arm64"))
		return abi32 ? EM_ARM : EM_AARCH64;
	if (!strncmp(a, "arm", 3))
		return EM_ARM;
	return 0;
}

static void memo_free(struct sd_unwinder *u)
{
	if (u->memo)
		for (size_t i = 0; i < MEMO_SLOTS; i++)
			free(u->memo[i].ips);
	free(u->memo);
	u->memo = NULL;
}

int sd_unwinder_new(struct sd_machine *m, const struct sd_file_info *info,
		    struct sd_unwinder **out)
{
	struct sd_unwinder *u = calloc(1, sizeof *u);

	if (!u)
		return -ENOMEM;
	u->m = m;
	u->info = info;
	u->swap = info && (info->order == SD_ORDER_BIG) !=
				  (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	sd_diags_init(&u->diags);
	*out = u;
	return 0;
}

struct sd_unwinder *sd_unwinder_free(struct sd_unwinder *u)
{
	if (!u)
		return NULL;
	for (size_t i = 0; i < NPROC; i++)
		sd_uw_proc_drop(&u->procs[i]);
	memo_free(u);
	sd_diags_clear(&u->diags);
	free(u);
	return NULL;
}

const struct sd_unwind_stats *sd_unwinder_stats(const struct sd_unwinder *u)
{
	return &u->stats;
}

struct sd_diags *sd_unwinder_diags(struct sd_unwinder *u)
{
	return &u->diags;
}
/* The memo's two hashes of everything the walk depends on. */
static void memo_key(const struct sd_unwinder *u, const struct sd_sample *s,
		     const struct sd_thread_view *v, uint64_t *h1,
		     uint64_t *h2)
{
	uint64_t hdr[4] = {(uint64_t)v->mm << 32 | v->mm_ver, s->regs_abi,
			   s->regs_mask, s->stack_size};
	size_t nregs = (size_t)__builtin_popcountll(s->regs_mask);
	uint64_t a = sd_hash_u64s(hdr, 4, 0x243f6a8885a308d3ull);

	a = sd_hash_u64s(s->regs, nregs, a);
	*h1 = sd_hash_bytes(s->stack, s->stack_size, a);
	*h2 = sd_hash_bytes(s->stack, s->stack_size,
			    sd_mix64(a ^ 0x13198a2e03707344ull));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int unwind_one(struct sd_unwinder *u, const struct sd_thread_view *v,
		      uint32_t pid, uint32_t tid, const struct sd_sample *s,
		      uint64_t *ips, size_t max, size_t *n);

int sd_unwind(struct sd_unwinder *u, const struct sd_thread_view *v,
	      uint32_t pid, uint32_t tid, const struct sd_sample *s,
	      uint64_t *ips, size_t max, size_t *n)
{
	*n = 0;
	if (!sd_unwind_possible(s) || !max)
		return 0;
	uint64_t t0 = now_ns();
	int err = unwind_one(u, v, pid, tid, s, ips, max, n);
	u->stats.ns += now_ns() - t0;
	return err;
}

static int unwind_one(struct sd_unwinder *u, const struct sd_thread_view *v,
		      uint32_t pid, uint32_t tid, const struct sd_sample *s,
		      uint64_t *ips, size_t max, size_t *n)
{
	uint64_t ip, h1, h2;

	*n = 0;
	if (!sd_unwind_possible(s) || !max)
		return 0;
	unsigned em = sample_machine(u, s->regs_abi, s->regs_mask);
	if (!em || sd_unwind_regmap(em, s->regs_mask, &u->map) < 0) {
		if (!u->warned_arch) {
			u->warned_arch = true;
			sd_diags_add(&u->diags, SD_WARNING, SD_E_LIMIT,
				     UINT64_MAX,
				     "user stacks of the %s recording cannot "
				     "be unwound (supported: x86_64, i386, "
				     "aarch64, arm): its samples keep only the "
				     "sampled address",
				     u->info && u->info->arch ? u->info->arch
							      : "unknown-arch");
		}
		return 0;
	}
	if (!sd_unwind_reg(s->regs_mask, s->regs, u->map.pc, &ip) ||
	    !sd_unwind_reg(s->regs_mask, s->regs, u->map.sp, &u->sp))
		return 0;
	u->stats.samples++;
	if (max > SD_UNWIND_MAX)
		max = SD_UNWIND_MAX;

	/*
	 * The memo costs two hashes of the stack copy per sample: it stays
	 * on only while it answers at least 1 sample in MEMO_MIN_HITS (most
	 * recordings repeat no stack byte for byte: BENCHMARKS.md).
	 */
	struct memo_ent *me = NULL;
	if (!u->memo_off && u->stats.samples > MEMO_TRIAL &&
	    u->stats.cached * MEMO_MIN_HITS < u->stats.samples) {
		u->memo_off = true;
		memo_free(u);
	}
	if (!u->memo_off) {
		memo_key(u, s, v, &h1, &h2);
		if (!u->memo)
			u->memo = calloc(MEMO_SLOTS, sizeof *u->memo);
		me = u->memo ? &u->memo[h1 & (MEMO_SLOTS - 1)] : NULL;
	}
	if (me && me->ips && me->h1 == h1 && me->h2 == h2) {
		*n = me->n < max ? me->n : max;
		memcpy(ips, me->ips, *n * sizeof *ips);
		u->stats.cached++;
		u->stats.frames += *n;
		if (*n == 1)
			u->stats.one_frame++;
		return 0;
	}

	u->s = s;
	u->v = v;
	u->tid = tid;
	u->ips = ips;
	u->max = max;
	struct proc *p = sd_uw_proc_get(u, v->mm);
	if (!p)
		return -ENOMEM;
	sd_uw_walk(u, p, pid, ip);
	if (u->conflict) {
		/* the address space maps something else now: a new session */
		sd_uw_proc_drop(p);
		p = sd_uw_proc_get(u, v->mm);
		if (!p)
			return -ENOMEM;
		sd_uw_walk(u, p, pid, ip);
		if (u->conflict)
			sd_uw_proc_drop(p);
	}
	u->stats.unwound++;
	if (!u->n) {
		ips[0] = ip;
		u->n = 1;
	}
	*n = u->n;
	u->stats.frames += u->n;
	if (u->n == 1)
		u->stats.one_frame++;
	if (me) {
		uint64_t *c = realloc(me->ips, u->n * sizeof *c);
		if (c) {
			memcpy(c, ips, u->n * sizeof *c);
			*me = (struct memo_ent){h1, h2, c, (uint32_t)u->n};
		}
	}
	u->s = NULL;
	u->v = NULL;
	return 0;
}
