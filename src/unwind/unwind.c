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
 * One Dwfl session per address space (machine mm id), kept in a small
 * LRU table: its modules are the binaries the frames met so far, each
 * reported at the load bias map.start - map.pgoff the recording gives (as
 * perf does), so the CFI of a binary is parsed once per session, not per
 * sample.  If the address space later maps something else where a
 * reported module sits, the session is dropped and a new one made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <swapdiag/unwind.h>

#include "unwind/internal.h"
#include "util/hash.h"

#define NPROC 64          /* Dwfl sessions kept */
#define MEMO_SLOTS 4096   /* unwound samples remembered */
#define MEMO_TRIAL 2048   /* samples before the memo is judged */
#define MEMO_MIN_HITS 20  /* ... and kept if 1 in this many hit */

struct mod_info {
	struct sd_dso *dso;
	uint64_t base;
	struct mod_info *next;
};

struct proc {
	uint32_t mm;     /* address space; 0 with dwfl NULL: free */
	Dwfl *dwfl;
	bool attached;
	uint64_t gen;    /* this session's number */
	uint64_t last_use;
	struct mod_info *mods;
	struct sd_unwinder *u;
};

struct memo_ent {
	uint64_t h1, h2;
	uint64_t *ips;
	uint32_t n;
};

struct sd_unwinder {
	struct sd_machine *m;
	const struct sd_file_info *info;
	bool swap;
	struct proc procs[NPROC];
	uint64_t clock, gens;
	struct memo_ent *memo;
	bool memo_off;

	/* the sample being unwound */
	const struct sd_sample *s;
	const struct sd_thread_view *v;
	uint32_t tid;
	struct sd_regmap map;
	uint64_t sp;
	struct proc *p;
	uint64_t *ips;
	size_t n, max;
	bool conflict;
	uint64_t last_pc; /* of the outermost frame so far */
	bool last_activation;

	struct sd_unwind_stats stats;
	struct sd_diags diags;
	bool warned_arch;
};

/* --- Dwfl sessions ---------------------------------------------------- */

/*
 * A separate debug file for .debug_frame when the binary has neither
 * .eh_frame nor .debug_frame of its own: the one the symbols stage found
 * (never a host file it did not consider).
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata,
			  const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct mod_info *mi = *userdata;
	const char *sym = mi ? sd_dso_symsrc(mi->dso) : NULL;

	if (!sym || (file_name && !strcmp(sym, file_name)))
		return -1;
	int fd = open(sym, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		*debuginfo_file_name = strdup(sym);
	return fd;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static void proc_drop(struct proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	while (p->mods) {
		struct mod_info *n = p->mods->next;
		free(p->mods);
		p->mods = n;
	}
	p->dwfl = NULL;
	p->attached = false;
	p->mm = 0;
}

/* The session of address space mm, made (evicting the least recently
 * used one) if there is none. */
static struct proc *proc_get(struct sd_unwinder *u, uint32_t mm)
{
	struct proc *lru = &u->procs[0];

	for (size_t i = 0; i < NPROC; i++) {
		struct proc *p = &u->procs[i];
		if (p->dwfl && p->mm == mm) {
			p->last_use = ++u->clock;
			return p;
		}
		if (!p->dwfl || (lru->dwfl && p->last_use < lru->last_use))
			lru = p;
	}
	proc_drop(lru);
	lru->dwfl = dwfl_begin(&offline_callbacks);
	if (!lru->dwfl)
		return NULL;
	lru->mm = mm;
	lru->u = u;
	lru->gen = ++u->gens;
	lru->last_use = ++u->clock;
	u->stats.dwfls++;
	return lru;
}

/*
 * Makes sure the binary mapped at ip is a module of p's session (perf's
 * report_module()).  0: it is; -1: no binary there (or libdw refused it);
 * a different binary than the session has there sets u->conflict.
 */
static int report(struct sd_unwinder *u, struct proc *p, uint64_t ip)
{
	struct sd_location loc;

	sd_machine_locate(u->m, u->v->mm, u->v->mm_ver, SD_MISC_USER, ip, &loc);
	if (!loc.dso || loc.kernel)
		return -1;
	uint64_t base = ip - loc.addr; /* map.start - map.pgoff */
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, ip);
	if (mod) {
		void **ud = NULL;
		dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
		struct mod_info *mi = ud ? *ud : NULL;
		if (mi && mi->dso == loc.dso && mi->base == base)
			return 0;
		u->conflict = true;
		return -1;
	}
	const char *path = sd_dso_binary(loc.dso);
	if (!path)
		return -1;
	struct mod_info *mi = calloc(1, sizeof *mi);
	if (!mi)
		return -1;
	mi->dso = loc.dso;
	mi->base = base;
	dwfl_report_begin_add(p->dwfl);
	mod = dwfl_report_elf(p->dwfl, sd_dso_name(loc.dso), path, -1, base,
			      false);
	dwfl_report_end(p->dwfl, NULL, NULL);
	if (!mod) {
		free(mi);
		/* most likely it overlaps a module of an older mapping */
		if (p->mods)
			u->conflict = true;
		return -1;
	}
	void **ud = NULL;
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	if (ud)
		*ud = mi;
	mi->next = p->mods;
	p->mods = mi;
	u->stats.modules++;
	if (dwfl_addrmodule(p->dwfl, ip) != mod) {
		u->conflict = true;
		return -1;
	}
	return 0;
}

/* --- the thread callbacks --------------------------------------------- */

static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	struct proc *p = dwfl_arg;

	if (*thread_argp)
		return 0;
	*thread_argp = p;
	return (pid_t)p->u->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg,
		       void **thread_argp)
{
	*thread_argp = dwfl_arg;
	return true;
}

static uint64_t load_word(const uint8_t *b, unsigned word, bool swap)
{
	if (word == 4) {
		uint32_t v;
		memcpy(&v, b, 4);
		return swap ? __builtin_bswap32(v) : v;
	}
	uint64_t v;
	memcpy(&v, b, 8);
	return swap ? __builtin_bswap64(v) : v;
}

/* Outside the stack copy: the bytes of the binary mapped there (perf's
 * access_dso_mem()), which libdw rarely needs. */
static bool binary_read(struct sd_unwinder *u, Dwfl *dwfl, uint64_t addr,
			uint64_t *out)
{
	struct sd_location loc;
	Dwarf_Addr bias;
	size_t size;

	sd_machine_locate(u->m, u->v->mm, u->v->mm_ver, SD_MISC_USER, addr,
			  &loc);
	if (!loc.dso || loc.kernel)
		return false;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	if (!mod)
		return false;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	const char *raw = elf ? elf_rawfile(elf, &size) : NULL;
	if (!raw || loc.addr > size || size - loc.addr < u->map.word)
		return false;
	*out = load_word((const uint8_t *)raw + loc.addr, u->map.word,
			 u->swap);
	return true;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			void *dwfl_arg)
{
	struct sd_unwinder *u = ((struct proc *)dwfl_arg)->u;
	const struct sd_sample *s = u->s;
	unsigned w = u->map.word;
	uint64_t v;

	if (addr >= u->sp && addr - u->sp <= s->stack_size &&
	    s->stack_size - (addr - u->sp) >= w) {
		*result = load_word(s->stack + (addr - u->sp), w, u->swap);
		return true;
	}
	if (!binary_read(u, dwfl, addr, &v))
		return false; /* the end of the copy: unwinding stops here */
	*result = v;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct sd_unwinder *u = ((struct proc *)thread_arg)->u;
	const struct sd_sample *s = u->s;
	Dwarf_Word regs[64];
	uint64_t v;

	for (size_t i = 0; i < u->map.n; i++) {
		bool have = sd_unwind_reg(s->regs_mask, s->regs, u->map.perf[i],
					  &v);
		regs[i] = u->map.word == 4 ? (uint32_t)v : v;
		if (!have)
			regs[i] = 0;
	}
	if (!dwfl_thread_state_registers(thread, 0, (unsigned)u->map.n, regs))
		return false;
	if (sd_unwind_reg(s->regs_mask, s->regs, u->map.pc, &v))
		dwfl_thread_state_register_pc(thread, u->map.word == 4
							      ? (uint32_t)v
							      : v);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int frame_callback(Dwfl_Frame *state, void *arg)
{
	struct sd_unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	/* the module first: whether the frame is an activation, and the
	 * step to its caller, come from its CFI */
	report(u, u->p, pc);
	if (u->conflict || !dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	u->last_pc = pc;
	u->last_activation = activation;
	if (!activation)
		pc--; /* a return address: name the call, as perf does */
	u->ips[u->n++] = pc;
	return u->n >= u->max ? DWARF_CB_ABORT : DWARF_CB_OK;
}

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
		proc_drop(&u->procs[i]);
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

/*
 * The walk ended without error: libdw stops where the caller's pc is
 * undefined, which is either what the CFI says (glibc's _start) or a
 * return address of 0 (ld.so's _start has no such CFI).  perf 6.1's
 * unwinder (libunwind) shows the latter as one more frame, 0 - 1, which
 * perf script prints as "[unknown]": true if the outermost frame's CFI
 * does give its return address a rule.
 */
static bool ra_was_zero(struct proc *p, uint64_t pc, bool activation)
{
	Dwarf_Addr bias;
	Dwarf_Frame *frame = NULL;
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, pc);
	bool defined = false;

	if (!mod)
		return false;
	uint64_t at = activation ? pc : pc - 1;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, at - bias, &frame) != 0) {
		free(frame);
		frame = NULL;
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, at - bias, &frame) != 0) {
			free(frame);
			return false;
		}
	}
	int ra = dwarf_frame_info(frame, NULL, NULL, NULL);
	if (ra >= 0 &&
	    dwarf_frame_register(frame, ra, ops_mem, &ops, &nops) == 0)
		defined = !(nops == 0 && ops == ops_mem);
	free(frame);
	return defined;
}

/* One walk of the sample's stack in session p: frames into u->ips. */
static void walk(struct sd_unwinder *u, struct proc *p, uint32_t pid,
		 uint64_t ip)
{
	u->p = p;
	u->n = 0;
	u->conflict = false;
	if (report(u, p, ip) < 0)
		return; /* nothing to unwind with: the IP alone */
	if (!p->attached) {
		if (!dwfl_attach_state(p->dwfl, NULL, (pid_t)pid,
				       &thread_callbacks, p))
			return;
		p->attached = true;
	}
	/* an error here is the end of the walk, not of the frames found */
	if (dwfl_getthread_frames(p->dwfl, (pid_t)u->tid, frame_callback, u) ==
		    0 &&
	    u->n && u->n < u->max && ra_was_zero(p, u->last_pc,
						 u->last_activation))
		u->ips[u->n++] = UINT64_MAX; /* 0 - 1, as perf shows it */
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
	struct proc *p = proc_get(u, v->mm);
	if (!p)
		return -ENOMEM;
	walk(u, p, pid, ip);
	if (u->conflict) {
		/* the address space maps something else now: a new session */
		proc_drop(p);
		p = proc_get(u, v->mm);
		if (!p)
			return -ENOMEM;
		walk(u, p, pid, ip);
		if (u->conflict)
			proc_drop(p);
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
