/* SPDX-License-Identifier: MIT */
/*
 * The thread table (tools/perf/util/machine.c's threads): threads by tid
 * in an open-addressed table with a direct-mapped cache in front, perf's
 * rules for creating them and learning their pid late, and the views
 * (comm, address space, version) samples get of them.  A FORK's child
 * is looked for and put in with one probe of the tid hash, which ends on
 * its slot either way (kstorm: thread_create 2.79 M -> 2.52 M
 * instructions for 11.4 k FORKs).  A view missing from a caller's cache
 * is made in line, not through the exported sd_machine_thread() (kstorm:
 * 30.2 k misses, sd_tvcache_fill 3.53 M -> 3.20 M).  thread_findnew()
 * is in line (internal.h) for a cached thread whose pid is known: a
 * record's thread, 62 k times on kstorm (sd_machine_process 16.83 M ->
 * 15.95 M, process_fork 7.26 M -> 7.07 M); the rest, and learning a pid
 * late, are thread_findnew_slow().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine/internal.h"

static int tslot_grow(struct sd_machine *m)
{
	size_t ns = m->ntslots ? m->ntslots * 2 : 1024;
	uint32_t *s = calloc(ns, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->nthreads; i++) {
		size_t j = sd_mix64(m->threads[i].tid) & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(m->tslots);
	m->tslots = s;
	m->ntslots = ns;
	return 0;
}

/* Marks address space mm; 0 or -ENOMEM. */
int mm_flag(struct sd_machine *m, uint32_t mm, uint8_t flag)
{
	if (mm >= m->nmmflags) {
		size_t n = m->nmmflags ? m->nmmflags : 1024;
		while (n <= mm)
			n *= 2;
		uint8_t *v = realloc(m->mmflags, n);
		if (!v)
			return -ENOMEM;
		memset(v + m->nmmflags, 0, n - m->nmmflags);
		m->mmflags = v;
		m->nmmflags = n;
	}
	m->mmflags[mm] |= flag;
	return 0;
}

static void thread_init(struct sd_machine *m, struct thread *t, uint32_t pid,
			uint32_t tid, uint32_t parent_mm);

/* The process leader's address space for a thread of pid. */
static uint32_t leader_mm(struct sd_machine *m, uint32_t pid);

struct thread *thread_create(struct sd_machine *m, uint32_t pid, uint32_t tid,
			     uint32_t parent_mm)
{
	struct tcache_ent *e = &m->tcache[tid & TCACHE_MASK];
	struct thread *t = NULL;
	size_t j;

	if (e->tid == tid)
		t = &m->threads[e->idx];
	else if ((m->nthreads + 1) * 2 > m->ntslots && tslot_grow(m))
		return NULL;
	if (!t && !(t = thread_probe(m, tid, &j))) {
		if (m->nthreads == m->tcap) {
			/* fourfold, as mm_new(): fewer copies */
			size_t cap = m->tcap ? m->tcap * 4 : 1024;
			struct thread *v = realloc(m->threads, cap * sizeof *v);
			if (!v)
				return NULL;
			m->threads = v;
			m->tcap = cap;
		}
		m->tslots[j] = (uint32_t)m->nthreads + 1;
		*e = (struct tcache_ent){tid, (uint32_t)m->nthreads};
		t = &m->threads[m->nthreads++];
		t->viewed = false;
	} else if (t->viewed) {
		view_changed(m, tid); /* a thread replaced */
	}
	size_t idx = (size_t)(t - m->threads);
	thread_init(m, t, pid, tid, parent_mm);
	/* thread_init may have created the leader and moved the array */
	return &m->threads[idx];
}

/* perf's comm for a thread that got none (":tid" of (int)tid), interned
 * only when something asks for it: most are named by the record that
 * created them (a fork takes its parent's comm).  0 if out of memory. */
uint32_t thread_comm_slow(struct sd_machine *m, struct thread *t)
{
	char name[16];
	char *e = name + sizeof name, *q = e;
	uint32_t v = (int32_t)t->tid < 0 ? -t->tid : t->tid;

	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	if ((int32_t)t->tid < 0)
		*--q = '-';
	*--q = ':';
	t->comm = sd_strpool_intern(&m->comms, q, (size_t)(e - q));
	return t->comm;
}

static void thread_init(struct sd_machine *m, struct thread *t, uint32_t pid,
			uint32_t tid, uint32_t parent_mm)
{
	size_t idx = (size_t)(t - m->threads);

	t->pid = pid;
	t->tid = tid;
	t->viewed = false;
	t->comm_set = tid == 0;
	t->comm = tid == 0 ? m->swapper : 0;
	t->mm = 0;
	t->proc = 0;
	if (m->maps_forgotten)
		return; /* no address spaces any more */
	uint32_t mm = (pid == tid || pid == NO_PID)
			      ? mm_new(&m->mms, parent_mm)
			      : leader_mm(m, pid);
	m->threads[idx].mm = mm;
}

struct thread *thread_findnew_slow(struct sd_machine *m, uint32_t pid,
				   uint32_t tid)
{
	struct thread *t = thread_find(m, tid);

	if (t) {
		/* machine__update_thread_pid: learn the pid late */
		if (t->pid == NO_PID && pid != NO_PID && t->viewed)
			view_changed(m, tid);
		if (t->pid == NO_PID && pid != NO_PID && pid != tid) {
			t->pid = pid;
			uint32_t mm = leader_mm(m, pid);
			t = thread_find(m, tid);
			t->mm = mm;
		} else if (t->pid == NO_PID && pid != NO_PID) {
			t->pid = pid;
		}
		return t;
	}
	return thread_create(m, pid, tid, 0);
}

static uint32_t leader_mm(struct sd_machine *m, uint32_t pid)
{
	struct thread *l = thread_findnew(m, pid, pid);
	return l ? l->mm : 0;
}

int set_comm(struct sd_machine *m, struct thread *t, const char *comm)
{
	/* a storm's children exec the same few programs: their names
	 * again, found by their first two bytes and length before any
	 * hashing of the whole */
	size_t len = strlen(comm);
	uint32_t two = len ? (unsigned char)comm[0] |
				     (unsigned)(unsigned char)comm[1] << 8
			   : 0;
	uint32_t *memo = &m->comm_memo[(uint32_t)((two | len << 16) *
						  2654435761u) >>
				       (32 - COMM_MEMO_BITS)];
	uint32_t id = *memo;

	if (!id || strcmp(sd_strpool_get(&m->comms, id), comm)) {
		id = sd_strpool_intern(&m->comms, comm, len);
		if (!id)
			return -ENOMEM;
		*memo = id;
	}
	t->comm = id;
	t->comm_set = true;
	if (t->viewed)
		view_changed(m, t->tid);
	return 0;
}

/* sd_machine_thread(), in line in sd_tvcache_fill() (an exported
 * function is not inlined under -fPIC). */
static inline __attribute__((always_inline)) int
thread_view(struct sd_machine *m, uint32_t pid, uint32_t tid,
	    struct sd_thread_view *out)
{
	struct thread *t = thread_findnew(m, pid, tid);

	if (!t)
		return -ENOMEM;
	out->comm = thread_comm(m, t);
	if (!out->comm)
		return -ENOMEM;
	/* changes to it, or to its address space, now move the generation
	 * (the address space can change when the pid is learnt) */
	t->viewed = true;
	uint8_t fl = MM_VIEWED | (t->pid != t->tid ? MM_SHARED : 0);
	if ((mm_flags(m, t->mm) & fl) != fl && mm_flag(m, t->mm, fl))
		return -ENOMEM;
	out->mm = t->mm;
	out->mm_ver = t->mm ? m->mms.v[t->mm].n : 0;
	mm_canonical(&m->mms, &out->mm, &out->mm_ver);
	return 0;
}

int sd_machine_thread(struct sd_machine *m, uint32_t pid, uint32_t tid,
		      struct sd_thread_view *out)
{
	return thread_view(m, pid, tid, out);
}

void sd_tvcache_init(struct sd_tvcache *c, const struct sd_machine *m)
{
	memset(c->v, 0, sizeof c->v);
	c->slotver = m->slotver;
}

int sd_tvcache_fill(struct sd_machine *m, struct sd_tvcache *c, uint32_t pid,
		    uint32_t tid, struct sd_thread_view *out)
{
	int err = thread_view(m, pid, tid, out);

	if (!err)
		c->v[tid % SD_TVCACHE_SIZE] = (struct sd_tvcache_ent){
			(uint64_t)pid << 32 | tid,
			m->slotver[tid % SD_TVCACHE_SIZE], *out};
	return err;
}
