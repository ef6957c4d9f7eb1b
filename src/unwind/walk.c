/* SPDX-License-Identifier: MIT */
/*
 * One walk of a sample's user stack with libdw: the thread callbacks
 * give it the sample's registers and its copy of the stack (and, outside
 * the copy, the bytes of the binary mapped there), and each frame found
 * goes into the unwinder's list.
 */
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <libelf.h>

#include <swapdiag/machine.h>
#include <swapdiag/symbols.h>

#include "unwind/internal.h"

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
	sd_uw_report(u, u->p, pc);
	if (u->conflict || !dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	u->last_pc = pc;
	u->last_activation = activation;
	if (!activation)
		pc--; /* a return address: name the call, as perf does */
	u->ips[u->n++] = pc;
	return u->n >= u->max ? DWARF_CB_ABORT : DWARF_CB_OK;
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
void sd_uw_walk(struct sd_unwinder *u, struct proc *p, uint32_t pid,
		uint64_t ip)
{
	u->p = p;
	u->n = 0;
	u->conflict = false;
	if (sd_uw_report(u, p, ip) < 0)
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
