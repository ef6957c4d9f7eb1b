/* SPDX-License-Identifier: MIT */
/*
 * The unwinder's Dwfl sessions: one per address space (machine mm id),
 * NPROC kept, the least recently used one ended for a new one.  Its
 * modules are the binaries the frames met so far, each reported at the
 * load bias map.start - map.pgoff the recording gives (as perf does), so
 * the CFI of a binary is parsed once per session, not per sample.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <swapdiag/machine.h>
#include <swapdiag/symbols.h>

#include "unwind/internal.h"


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

void sd_uw_proc_drop(struct proc *p)
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
struct proc *sd_uw_proc_get(struct sd_unwinder *u, uint32_t mm)
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
	sd_uw_proc_drop(lru);
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
int sd_uw_report(struct sd_unwinder *u, struct proc *p, uint64_t ip)
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

