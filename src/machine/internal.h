/* SPDX-License-Identifier: MIT */
/*
 * Private to src/machine: the machine's state, shared by machine.c (task
 * and map records, locating addresses) and threads.c (the thread table,
 * thread views and their cache versions).
 */
#ifndef SD_MACHINE_INTERNAL_H
#define SD_MACHINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/machine.h>

#include "machine/mm.h"
#include "util/hash.h"

#define NO_PID UINT32_MAX /* perf's pid -1 */
#define MM_VIEWED 1u /* some thread's view was given out on it */
#define MM_PARENT 2u /* some address space was forked from it */
#define MM_SHARED 4u /* threads other than the leader use it */
#define TCACHE_MASK 1023u /* direct-mapped thread cache: 8 KiB */
#define COMM_MEMO_BITS 4

struct thread {
	uint32_t pid, tid;
	uint32_t comm; /* 0: perf's ":tid", interned when first asked for */
	bool comm_set;
	bool viewed; /* sd_machine_thread() gave its view out */
	uint32_t mm;
	uint32_t proc; /* its process's place in forks.c's table, 0 none
			* (forks_fork()'s *parent_at and *child_at) */
};

struct kmap {
	uint64_t start, end;
	char *name; /* "[kernel.kallsyms]" or "[module]" */
	bool core;  /* name is "[kernel.kallsyms]" */
};

struct sd_machine {
	struct sd_machine_head head; /* first: read by machine.h */
	struct sd_symbolizer *sym;
	struct sd_strpool comms;
	struct thread *threads;
	size_t nthreads, tcap;
	uint32_t *tslots; /* tid hash -> thread index + 1 */
	size_t ntslots;
	struct mm_set mms; /* address spaces (mm.c) */
	bool maps_forgotten; /* sd_machine_forget_maps(): no more */
	uint8_t *mmflags;  /* per address space: MM_VIEWED | MM_PARENT */
	size_t nmmflags;
	struct kmap *kmaps;
	size_t nkmaps;
	bool have_kernel_map;
	uint64_t kernel_start;
	struct sd_dso *kernel;
	uint32_t swapper;
	/* comm ids COMM records named, by first byte and length; 0: none */
	uint32_t comm_memo[1u << COMM_MEMO_BITS];
	/* struct sd_tvcache's versions: a view given out changed (only
	 * threads and address spaces marked viewed count): its tid's slot
	 * moves, or every slot for a change that may reach several */
	uint32_t slotver[SD_TVCACHE_SIZE];
	/* tid -> thread index, direct-mapped in front of tslots: entry i
	 * holds a tid with (tid & TCACHE_MASK) == i (i + 1 when empty, which
	 * never matches); thread indexes never change */
	struct tcache_ent {
		uint32_t tid, idx;
	} tcache[TCACHE_MASK + 1];
	struct sd_forks *forks;      /* forks per executable (forks.c) */
};

static inline uint8_t mm_flags(const struct sd_machine *m, uint32_t mm)
{
	return mm < m->nmmflags ? m->mmflags[mm] : 0;
}

/* Marks address space mm; 0 or -ENOMEM. */
int mm_flag(struct sd_machine *m, uint32_t mm, uint8_t flag);

/* A view given out of thread tid may have changed. */
static inline void view_changed(struct sd_machine *m, uint32_t tid)
{
	m->slotver[tid % SD_TVCACHE_SIZE]++;
}

/* Views given out of several threads may have changed. */
static inline void views_changed(struct sd_machine *m)
{
	for (uint32_t i = 0; i < SD_TVCACHE_SIZE; i++)
		m->slotver[i]++;
}

/* The tid hash's search (m->ntslots > 0): the thread of tid, cached
 * now, or NULL and *slot the empty slot the search ended on, where it
 * goes (thread_create()). */
static inline struct thread *thread_probe(struct sd_machine *m, uint32_t tid,
					  size_t *slot)
{
	size_t mask = m->ntslots - 1, j = sd_mix64(tid) & mask;

	for (; m->tslots[j]; j = (j + 1) & mask) {
		uint32_t idx = m->tslots[j] - 1;
		if (m->threads[idx].tid == tid) {
			m->tcache[tid & TCACHE_MASK] =
				(struct tcache_ent){tid, idx};
			return &m->threads[idx];
		}
	}
	*slot = j;
	return NULL;
}

/* The thread of tid, or NULL. */
static inline struct thread *thread_find(struct sd_machine *m, uint32_t tid)
{
	const struct tcache_ent *e = &m->tcache[tid & TCACHE_MASK];
	size_t slot;

	if (e->tid == tid)
		return &m->threads[e->idx];
	return m->ntslots ? thread_probe(m, tid, &slot) : NULL;
}

/* A fresh thread for tid, replacing any old one (perf removes it); the
 * address space a new process gets is forked from parent_mm (not 0:
 * mm_new()'s link, in place of an mm_link() after it). */
struct thread *thread_create(struct sd_machine *m, uint32_t pid, uint32_t tid,
			     uint32_t parent_mm);
/* thread_findnew() past a cached thread whose pid is known or not
 * learnt now. */
struct thread *thread_findnew_slow(struct sd_machine *m, uint32_t pid,
				   uint32_t tid);
/* The thread of tid, created if unknown; its pid learnt if it was -1.
 * In line: most records name a thread in the cache. */
static inline struct thread *thread_findnew(struct sd_machine *m,
					    uint32_t pid, uint32_t tid)
{
	const struct tcache_ent *e = &m->tcache[tid & TCACHE_MASK];
	struct thread *t;

	if (e->tid == tid &&
	    ((t = &m->threads[e->idx])->pid != NO_PID || pid == NO_PID))
		return t;
	return thread_findnew_slow(m, pid, tid);
}
/* Names the thread (a COMM record); 0 or -ENOMEM. */
int set_comm(struct sd_machine *m, struct thread *t, const char *comm);

/* The thread's comm id, perf's ":tid" made on first use; 0 if out of
 * memory. */
uint32_t thread_comm_slow(struct sd_machine *m, struct thread *t);
static inline uint32_t thread_comm(struct sd_machine *m, struct thread *t)
{
	return t->comm ? t->comm : thread_comm_slow(m, t);
}

#endif
