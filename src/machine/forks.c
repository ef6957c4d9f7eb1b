/* SPDX-License-Identifier: MIT */
/*
 * Who forks, per executable, from the task records as they arrive (never
 * per sample): a process's executable is the file of the first executable
 * MMAP after its exec COMM (or after the COMM perf synthesizes at the
 * start); a forked child runs its parent's executable until it execs.
 * The comm can be rewritten (Apache under mod_perl shows "/usr/sbin/apach"),
 * the executable cannot.  Records perf synthesized at the start (time 0)
 * set names but are not forks of the recording.
 * A FORK's processes are found by the places the machine keeps on its
 * thread records (checked, so a stale one only costs the hash lookup):
 * a storm's parents vary, and each was a child once.  The last process
 * and the last executable's tally found are tried before any search.
 * An MMAP that is not an executable map of a file is turned away in line
 * (forks.h; kstorm: 11.4 k of 39.1 k, sd_machine_process 15.95 M ->
 * 15.81 M instructions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine/forks.h"

struct proc {
	uint32_t pid;
	uint32_t exe;  /* id in exes, 0 unknown */
	bool pending;  /* exec'd (or synthesized): the next executable map
			* names its executable */
};

struct counter {
	uint32_t id;
	uint64_t n;
};

struct tally {
	uint32_t exe;
	uint64_t forks;
	uint32_t *pids; /* forking processes, sorted */
	size_t npids;
	struct counter *comms, *execs;
	size_t ncomms, nexecs;
};

struct sd_forks {
	struct sd_strpool exes;
	struct proc *procs;
	size_t nprocs, pcap;
	uint32_t *slots; /* pid hash -> procs index + 1 */
	size_t nslots;
	size_t last; /* procs index proc_get() gave last: a process's maps
		      * come in a row */
	struct tally *t;
	size_t nt, tcap;
	size_t tlast; /* t index tally_get() gave last: a storm's forks and
		       * execs count on one executable */
	/* executable ids by name key (forks_mmap()): every exec maps its
	 * file, and a storm execs the same few */
	struct exe_memo {
		const void *key;
		uint32_t exe;
	} memo[64];
};

struct sd_forks *forks_new(void)
{
	struct sd_forks *f = calloc(1, sizeof *f);
	if (f)
		sd_strpool_init(&f->exes);
	return f;
}

void forks_free(struct sd_forks *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nt; i++) {
		free(f->t[i].pids);
		free(f->t[i].comms);
		free(f->t[i].execs);
	}
	free(f->t);
	free(f->procs);
	free(f->slots);
	sd_strpool_fini(&f->exes);
	free(f);
}

static size_t slot_of(uint32_t pid, size_t nslots)
{
	return (size_t)((pid * 2654435761u) & (nslots - 1));
}

static int rehash(struct sd_forks *f)
{
	size_t n = f->nslots ? f->nslots * 2 : 256;
	uint32_t *s = calloc(n, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < f->nprocs; i++) {
		size_t k = slot_of(f->procs[i].pid, n);
		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = (uint32_t)i + 1;
	}
	free(f->slots);
	f->slots = s;
	f->nslots = n;
	return 0;
}

/* A new process pid, put in the empty slot k its search ended on unless
 * the table grows; NULL if out of memory.  Out of line: it calls
 * malloc, and a lookup that finds its process saves no registers. */
static __attribute__((noinline)) struct proc *
proc_add(struct sd_forks *f, uint32_t pid, size_t k)
{
	if ((f->nprocs + 1) * 2 > f->nslots) {
		if (rehash(f))
			return NULL;
		k = slot_of(pid, f->nslots);
		while (f->slots[k])
			k = (k + 1) & (f->nslots - 1);
	}
	if (f->nprocs == f->pcap) {
		/* fourfold, as the machine's threads: fewer copies */
		size_t cap = f->pcap ? f->pcap * 4 : 64;
		struct proc *v = realloc(f->procs, cap * sizeof *v);
		if (!v)
			return NULL;
		f->procs = v;
		f->pcap = cap;
	}
	f->procs[f->nprocs] = (struct proc){pid, 0, false};
	f->slots[k] = (uint32_t)++f->nprocs;
	f->last = f->nprocs - 1;
	return &f->procs[f->last];
}

/* proc_get() past the last one given. */
static __attribute__((noinline)) struct proc *
proc_find(struct sd_forks *f, uint32_t pid, bool create)
{
	size_t k = 0;

	if (f->nslots) {
		for (k = slot_of(pid, f->nslots); f->slots[k];
		     k = (k + 1) & (f->nslots - 1))
			if (f->procs[f->slots[k] - 1].pid == pid) {
				f->last = f->slots[k] - 1;
				return &f->procs[f->last];
			}
	}
	return create ? proc_add(f, pid, k) : NULL;
}

/* The process pid, made if create; NULL if unknown or out of memory. */
static inline struct proc *proc_get(struct sd_forks *f, uint32_t pid,
				    bool create)
{
	if (f->nprocs && f->procs[f->last].pid == pid)
		return &f->procs[f->last];
	return proc_find(f, pid, create);
}

/* tally_get() past the last one given. */
static __attribute__((noinline)) struct tally *
tally_find(struct sd_forks *f, uint32_t exe)
{
	for (size_t i = 0; i < f->nt; i++)
		if (f->t[i].exe == exe) {
			f->tlast = i;
			return &f->t[i];
		}
	if (f->nt == f->tcap) {
		size_t cap = f->tcap ? f->tcap * 2 : 16;
		struct tally *v = realloc(f->t, cap * sizeof *v);
		if (!v)
			return NULL;
		f->t = v;
		f->tcap = cap;
	}
	f->t[f->nt] = (struct tally){.exe = exe};
	f->tlast = f->nt;
	return &f->t[f->nt++];
}

/* The tally of executable id exe (0: unknown), made if new; NULL if out
 * of memory. */
static inline struct tally *tally_get(struct sd_forks *f, uint32_t exe)
{
	if (f->nt && f->t[f->tlast].exe == exe)
		return &f->t[f->tlast];
	return tally_find(f, exe);
}

static int count(struct counter **v, size_t *n, uint32_t id)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].id == id) {
			(*v)[i].n++;
			return 0;
		}
	struct counter *w = realloc(*v, (*n + 1) * sizeof *w);
	if (!w)
		return -ENOMEM;
	*v = w;
	w[(*n)++] = (struct counter){id, 1};
	return 0;
}

static int add_pid(struct tally *t, uint32_t pid)
{
	size_t lo = 0, hi = t->npids;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->pids[mid] == pid)
			return 0;
		if (t->pids[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t *v = realloc(t->pids, (t->npids + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	memmove(v + lo + 1, v + lo, (t->npids - lo) * sizeof *v);
	v[lo] = pid;
	t->pids = v;
	t->npids++;
	return 0;
}

int forks_fork(struct sd_forks *f, const struct sd_task *task,
	       uint32_t parent_comm, const char **parent_exe,
	       uint32_t *parent_at, uint32_t *child_at)
{
	*parent_exe = NULL;
	*child_at = 0;
	if (task->pid != task->tid)
		return 0; /* a new thread, not a process */
	uint32_t at = *parent_at;
	struct proc *p = at && at <= f->nprocs &&
				 f->procs[at - 1].pid == task->ppid
				 ? &f->procs[at - 1]
				 : proc_get(f, task->ppid, true);
	if (!p)
		return -ENOMEM;
	*parent_at = (uint32_t)(p - f->procs) + 1;
	uint32_t exe = p->exe;
	if (exe)
		*parent_exe = sd_strpool_get(&f->exes, exe);
	struct proc *c = proc_get(f, task->pid, true);
	if (!c)
		return -ENOMEM;
	c->exe = exe;
	c->pending = false;
	*child_at = (uint32_t)(c - f->procs) + 1;
	if (!task->time)
		return 0; /* synthesized at the start */
	struct tally *t = tally_get(f, exe);
	if (!t)
		return -ENOMEM;
	t->forks++;
	if (add_pid(t, task->ppid) || count(&t->comms, &t->ncomms, parent_comm))
		return -ENOMEM;
	return 0;
}

int forks_comm(struct sd_forks *f, const struct sd_record *rec)
{
	bool synthesized = !rec->id.has_time || !rec->id.time;

	if (!rec->comm.exec && !synthesized)
		return 0; /* prctl(PR_SET_NAME): the executable stays */
	struct proc *p = proc_get(f, rec->comm.pid, true);
	if (!p)
		return -ENOMEM;
	p->pending = true;
	return 0;
}

/* The executable id of the record's file name. 0 if out of memory. */
static uint32_t exe_id(struct sd_forks *f, const char *name, const void *key)
{
	struct exe_memo *e =
		&f->memo[((uintptr_t)key >> 4) * 2654435761u % 64];

	if (key && e->key == key)
		return e->exe;
	uint32_t exe = sd_strpool_intern(&f->exes, name, strlen(name));
	if (key && exe)
		*e = (struct exe_memo){key, exe};
	return exe;
}

/* The first executable map of process p since its exec: its file is
 * the process's executable, and an exec of a known one is counted. */
static __attribute__((noinline)) int
exec_mapped(struct sd_forks *f, struct proc *p, const struct sd_record *rec,
	    const void *name_key)
{
	uint32_t exe = exe_id(f, rec->mmap.filename, name_key);
	if (!exe)
		return -ENOMEM;
	uint32_t old = p->exe;
	p->exe = exe;
	p->pending = false;
	if (old && rec->id.has_time && rec->id.time) {
		struct tally *t = tally_get(f, old);
		if (!t || count(&t->execs, &t->nexecs, exe))
			return -ENOMEM;
	}
	return 0;
}

int forks_exec_map(struct sd_forks *f, const struct sd_record *rec,
		   const void *name_key)
{
	const struct sd_mmap *mp = &rec->mmap;
	struct proc *p = proc_get(f, mp->pid, false);
	if (!p || !p->pending)
		return 0;
	return exec_mapped(f, p, rec, name_key);
}

const char *forks_pid_exe(const struct sd_forks *f, uint32_t pid)
{
	struct proc *p = proc_get((struct sd_forks *)f, pid, false);
	return p && p->exe ? sd_strpool_get(&f->exes, p->exe) : NULL;
}

size_t forks_nr_exes(const struct sd_forks *f)
{
	return f->nt;
}

void forks_exe(const struct sd_forks *f, size_t i, struct sd_exe_forks *out)
{
	const struct tally *t = &f->t[i];
	out->exe = t->exe ? sd_strpool_get(&f->exes, t->exe) : NULL;
	out->forks = t->forks;
	out->pids = t->pids;
	out->nr_pids = t->npids;
	out->nr_comms = t->ncomms;
	out->nr_execs = t->nexecs;
}

void forks_counter(const struct sd_forks *f, size_t i, bool execs, size_t k,
		   uint32_t *id, uint64_t *n)
{
	const struct counter *c = execs ? f->t[i].execs : f->t[i].comms;
	*id = c[k].id;
	*n = c[k].n;
}

const char *forks_exe_str(const struct sd_forks *f, uint32_t id)
{
	return sd_strpool_get(&f->exes, id);
}
