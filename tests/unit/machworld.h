/* SPDX-License-Identifier: MIT */
/*
 * A machine fed hand-built COMM, FORK, EXIT and MMAP records, and where
 * its samples' addresses land: shared by the machine's unit tests
 * (test-machine.c, test-machine-locate.c, test-machine-exes.c,
 * test-machine-maps.c).
 */
#ifndef SD_TEST_MACHWORLD_H
#define SD_TEST_MACHWORLD_H

#include <string.h>

#include <swapdiag/machine.h>
#include <swapdiag/symbols.h>

#include "test.h"

struct world {
	struct sd_symbolizer *sym;
	struct sd_machine *m;
	struct sd_file_info info;
};

static inline void world_init(struct world *w)
{
	/* DSO handles by name only: nothing is looked up, no host kernel */
	struct sd_symbol_opts o = {
		SD_TEST_HOST_FREE,
	};
	memset(w, 0, sizeof *w);
	CHECK(sd_symbolizer_new(&o, &w->info, &w->sym) == 0);
	CHECK(sd_machine_new(w->sym, &w->m) == 0);
}

static inline void world_fini(struct world *w)
{
	sd_machine_free(w->m);
	sd_symbolizer_free(w->sym);
}

static inline void comm(struct world *w, uint32_t pid, uint32_t tid, const char *c,
		 bool exec, uint64_t time)
{
	struct sd_record r = {.type = SD_REC_COMM};
	r.misc = exec ? SD_MISC_COMM_EXEC : 0;
	r.comm = (struct sd_comm){pid, tid, exec, c};
	r.id.has_time = true;
	r.id.time = time;
	CHECK(sd_machine_process(w->m, &r) == 0);
}

static inline void task(struct world *w, uint32_t type, uint32_t pid, uint32_t ppid,
		 uint32_t tid, uint32_t ptid, uint64_t time)
{
	struct sd_record r = {.type = type};
	r.task = (struct sd_task){pid, ppid, tid, ptid, time};
	r.id.has_time = true;
	r.id.time = time;
	CHECK(sd_machine_process(w->m, &r) == 0);
}

static inline void fork_(struct world *w, uint32_t pid, uint32_t ppid, uint32_t tid,
		  uint32_t ptid, uint64_t time)
{
	task(w, SD_REC_FORK, pid, ppid, tid, ptid, time);
}

static inline void mmap2(struct world *w, uint32_t pid, uint64_t start, uint64_t len,
		  uint64_t pgoff, uint32_t prot, const char *file, uint64_t time)
{
	struct sd_record r = {.type = SD_REC_MMAP2, .misc = SD_MISC_USER};
	r.mmap = (struct sd_mmap){.pid = pid, .tid = pid, .start = start,
				  .len = len, .pgoff = pgoff, .prot = prot,
				  .filename = file};
	r.id.has_time = true;
	r.id.time = time;
	CHECK(sd_machine_process(w->m, &r) == 0);
}

static inline void kmmap(struct world *w, uint64_t start, uint64_t len,
		  uint64_t pgoff, const char *file)
{
	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .tid = 0, .start = start,
				  .len = len, .pgoff = pgoff, .filename = file};
	CHECK(sd_machine_process(w->m, &r) == 0);
}

/* The comm a sample of (pid, tid) gets now. */
static inline const char *comm_of(struct world *w, uint32_t pid, uint32_t tid)
{
	struct sd_thread_view v;
	if (sd_machine_thread(w->m, pid, tid, &v))
		return NULL;
	return sd_machine_comm_str(w->m, v.comm);
}

static inline struct sd_thread_view view_of(struct world *w, uint32_t pid,
				     uint32_t tid)
{
	struct sd_thread_view v = {0};
	CHECK(sd_machine_thread(w->m, pid, tid, &v) == 0);
	return v;
}

/* Where a user-mode address of a sample with view v lands: the map's DSO
 * name ("" when no map) and the address looked up in it. */
static inline const char *where(struct world *w, struct sd_thread_view v,
			 unsigned cpumode, uint64_t ip, uint64_t *addr)
{
	struct sd_location l;
	sd_machine_locate(w->m, v.mm, v.mm_ver, cpumode, ip, &l);
	*addr = l.addr;
	if (!l.dso)
		return l.map_name ? l.map_name : "";
	return l.map_name ? l.map_name : sd_dso_name(l.dso);
}

#define PROT_RX 5 /* PROT_READ | PROT_EXEC */

#endif
