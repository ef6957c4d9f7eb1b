/* SPDX-License-Identifier: MIT */
/*
 * The machine: threads, their names and their address spaces over time,
 * rebuilt from COMM, FORK, EXIT, MMAP and MMAP2 records the way perf's
 * machine.c does, so that a sample gets the comm perf prints for it and its
 * addresses land in the DSO perf would find.
 *
 * Address spaces are versioned instead of copied: each process has one map
 * list where every MMAP gets the next sequence number; a sample remembers
 * (mm, version) and is resolved later against the maps with a sequence up
 * to that version (newest first, which is perf's overlap fix-up).  A forked
 * child starts as a view of its parent at the fork.  Memory grows with maps,
 * never with samples.
 */
#ifndef SWAPDIAG_MACHINE_H
#define SWAPDIAG_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/reader.h>
#include <swapdiag/symbols.h>

struct sd_machine;

/* A thread as a sample sees it. */
struct sd_thread_view {
	uint32_t comm;   /* interned comm id, see sd_machine_comm_str() */
	uint32_t mm;     /* address space id (0: none / kernel only) */
	uint32_t mm_ver; /* its version at this moment */
};

/* Where an address lives. */
struct sd_location {
	struct sd_dso *dso;   /* NULL: no map (perf's "[unknown]") */
	const char *map_name; /* perf's DSO name for the map ("[ext4]") */
	uint64_t addr;        /* address to look up in dso */
	bool kernel;
	/* set by the stacks stage: a user frame found by DWARF unwinding,
	 * named as perf names those (sd_dso_a2l_name()); never by the
	 * machine, which leaves it false */
	bool unwound;
};

/* sym may be NULL (then no DSO handles are made). */
int sd_machine_new(struct sd_symbolizer *sym, struct sd_machine **out);
struct sd_machine *sd_machine_free(struct sd_machine *m);

/* Applies COMM, FORK, MMAP and MMAP2; ignores everything else (an EXIT
 * changes nothing: perf keeps an exited thread, and its comm, until a FORK
 * reuses its tid). */
int sd_machine_process(struct sd_machine *m, const struct sd_record *rec);

/* sd_machine_process() of a FORK record's task, with what its parent
 * was just before it, looked up once: the comm id sd_machine_thread()
 * would have given for (ppid, ptid), and for a new process (pid == tid)
 * its parent's executable as sd_machine_pid_exe(ppid) would have (NULL:
 * not known).  0 or -ENOMEM. */
int sd_machine_fork(struct sd_machine *m, const struct sd_task *task,
		    uint32_t *parent_comm, const char **parent_exe);

/* The thread (pid, tid) now, created as perf does if unknown (":tid"). */
int sd_machine_thread(struct sd_machine *m, uint32_t pid, uint32_t tid,
		      struct sd_thread_view *out);

/*
 * A caller's cache of thread views in front of sd_machine_thread(), for
 * the per-sample lookup: a hit is an inline test and a copy.  An entry
 * holds while the machine's version of its slot (tid % SD_TVCACHE_SIZE)
 * stays: a change to a thread whose view was given out moves its slot's
 * version, a change that can reach several threads (a map of a shared
 * address space) every slot's.
 */
#define SD_TVCACHE_SIZE 256 /* direct-mapped by tid */

struct sd_tvcache {
	const uint32_t *slotver; /* the machine's versions (from 1) */
	struct sd_tvcache_ent {
		uint64_t key;      /* (uint64_t)pid << 32 | tid, as asked */
		uint32_t ver;      /* the slot's version then; 0: empty */
		struct sd_thread_view view;
	} v[SD_TVCACHE_SIZE];
};

void sd_tvcache_init(struct sd_tvcache *c, const struct sd_machine *m);
/* sd_machine_thread(), its answer kept in c. */
int sd_tvcache_fill(struct sd_machine *m, struct sd_tvcache *c, uint32_t pid,
		    uint32_t tid, struct sd_thread_view *out);

/* What sd_machine_thread(m, pid, tid, out) gives, through c. */
static inline int sd_machine_thread_cached(struct sd_machine *m,
					   struct sd_tvcache *c, uint32_t pid,
					   uint32_t tid,
					   struct sd_thread_view *out)
{
	uint32_t k = tid % SD_TVCACHE_SIZE;
	const struct sd_tvcache_ent *e = &c->v[k];

	if (e->key == ((uint64_t)pid << 32 | tid) && e->ver == c->slotver[k]) {
		*out = e->view;
		return 0;
	}
	return sd_tvcache_fill(m, c, pid, tid, out);
}

/* The id of a comm string (for inputs that name threads directly). */
uint32_t sd_machine_intern_comm(struct sd_machine *m, const char *comm);

/* The comm string for an id. */
const char *sd_machine_comm_str(const struct sd_machine *m, uint32_t comm);

/*
 * Finds the map holding ip for a frame recorded in address space
 * (mm, mm_ver) with the given cpumode (SD_MISC_KERNEL, SD_MISC_USER, ...).
 * Kernel-mode addresses go to the kernel's maps; a user-mode address in
 * the kernel's range falls back to them, as perf does.
 */
void sd_machine_locate(struct sd_machine *m, uint32_t mm, uint32_t mm_ver,
		       unsigned cpumode, uint64_t ip, struct sd_location *out);
/* sd_machine_locate() leaving a user map's map_name NULL: it is always
 * sd_dso_name() of its dso, which the caller asks for when it needs it. */
void sd_machine_locate_unnamed(struct sd_machine *m, uint32_t mm,
			       uint32_t mm_ver, unsigned cpumode, uint64_t ip,
			       struct sd_location *out);

/*
 * Frees the address spaces (maps, their indexes and views) once nothing
 * will locate a user-mode address any more: after the stacks are
 * symbolized, when the output still reads comms and forks but no map.
 * From then on every thread keeps its pid and comm and sees no address
 * space (mm 0, as a kernel thread does); sd_machine_locate() gives for a
 * user-mode address, whatever (mm, mm_ver) a view gave before, what it
 * gives without an address space: no map, or the kernel's for an address
 * in the kernel's range.  Kernel maps, comms and forks stay, and records
 * processed afterwards still name threads and count forks and execs, but
 * their user maps are not kept.
 */
void sd_machine_forget_maps(struct sd_machine *m);

/* A name and how often it was seen. */
struct sd_name_count {
	const char *name;
	uint64_t count;
};

/*
 * Forks of one executable during the recording (FORK records after the
 * start; threads are not forks): the executable is the file of a
 * process's first executable MMAP after its exec (comms can be
 * rewritten); a child runs its parent's executable until it execs.
 */
struct sd_exe_forks {
	const char *exe;       /* NULL: not known (no exec/MMAP seen) */
	uint64_t forks;
	const uint32_t *pids;  /* the forking processes, ascending */
	size_t nr_pids;
	struct sd_name_count *comms; /* the forking threads' comms */
	size_t nr_comms;
	struct sd_name_count *execs; /* what its children exec'd */
	size_t nr_execs;
};

/* How many executables forked or exec'd children. */
size_t sd_machine_nr_exes(const struct sd_machine *m);
/* Executable i (< sd_machine_nr_exes); out->comms and out->execs are
 * allocated for the caller to free().  0 or -ENOMEM. */
int sd_machine_exe_forks(const struct sd_machine *m, size_t i,
			 struct sd_exe_forks *out);
/* The executable process pid runs at the end of the input, or NULL. */
const char *sd_machine_pid_exe(const struct sd_machine *m, uint32_t pid);

/* True if ip lies in the kernel's half of the address space. */
bool sd_machine_kernel_ip(const struct sd_machine *m, uint64_t ip);

/* The one field of the machine read inline, per sample: it leads
 * struct sd_machine (machine.c), and nothing but the machine writes it. */
struct sd_machine_head {
	uint64_t kernel_gen;
};

/* Moves whenever the kernel's maps change (a kernel or module MMAP): what
 * sd_machine_locate() gives for a kernel address holds while it stays. */
static inline uint64_t sd_machine_kernel_gen(const struct sd_machine *m)
{
	return ((const struct sd_machine_head *)(const void *)m)->kernel_gen;
}

#endif
