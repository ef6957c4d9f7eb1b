/* SPDX-License-Identifier: MIT */
/*
 * The unwinder's parts (unwind.c: samples and the memo; session.c: the
 * Dwfl sessions, one per address space; walk.c: one walk of a sample's
 * stack through libdw's thread callbacks) and the register maps (regs.c).
 */
#ifndef SD_UNWIND_INTERNAL_H
#define SD_UNWIND_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdwfl.h>

#include <swapdiag/unwind.h>

/* How one architecture's perf registers become DWARF registers. */
struct sd_regmap {
	const int8_t *perf; /* perf register index of DWARF register i */
	size_t n;           /* DWARF registers 0 .. n-1 */
	int pc, sp;         /* perf indices of the IP and stack pointer */
	unsigned word;      /* bytes of an address: 8, or 4 */
};

/* The map for an ELF machine (EM_*); -1 if unsupported.  mask tells a
 * 32-bit arm task on aarch64 from a native arm one. */
int sd_unwind_regmap(unsigned e_machine, uint64_t mask, struct sd_regmap *out);
/* The value of perf register idx in a REGS_USER sample; false if the
 * mask does not have it. */
bool sd_unwind_reg(uint64_t mask, const uint64_t *regs, int idx,
		   uint64_t *val);

#define NPROC 64 /* Dwfl sessions kept */

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

/* session.c */
/* The session of address space mm, made (evicting the least recently
 * used one) if there is none; NULL without memory. */
struct proc *sd_uw_proc_get(struct sd_unwinder *u, uint32_t mm);
/* Ends p's session: the slot is free again. */
void sd_uw_proc_drop(struct proc *p);
/* Makes sure the binary mapped at ip is a module of p's session; 0 if it
 * is, -1 if not (a conflicting binary sets u->conflict). */
int sd_uw_report(struct sd_unwinder *u, struct proc *p, uint64_t ip);

/* walk.c */
/* One walk of the sample's stack (u->s, u->v, u->tid set) in session p:
 * frames into u->ips, u->n of them. */
void sd_uw_walk(struct sd_unwinder *u, struct proc *p, uint32_t pid,
		uint64_t ip);

#endif
