/* SPDX-License-Identifier: MIT */
/*
 * Threads and address spaces, following tools/perf/util/machine.c and
 * thread.c: which thread a record names, which comm it has, which maps
 * its process sees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/machine.h>

#include "machine/forks.h"

#include "util/hash.h"

#define NO_PID UINT32_MAX /* perf's pid -1 */
#define MAX_MM_DEPTH 256  /* fork generations followed when resolving */
#define MM_SCAN 8         /* maps searched one by one, not indexed */

struct map {
	uint64_t start, end, pgoff;
	uint32_t seq;
	bool identity; /* anonymous memory: addresses are not file offsets */
	struct sd_dso *dso;
};

/* One process's address space, as a history of maps. */
struct mm {
	struct map *maps;       /* in arrival order: seq ascending */
	size_t n, cap;
	uint32_t seq;           /* version: number of maps added */
	uint32_t parent;        /* mm this one was forked from, 0: none */
	uint64_t lo, hi;        /* no map (of any version) outside [lo, hi) */
	/* nor any map of the ancestors this one sees (their maps up to
	 * parent_ver, fixed at the fork): hi 0 if none */
	uint64_t anc_lo, anc_hi;
	uint32_t parent_ver;
	/* lookup index, built on first lookup after a change */
	uint32_t *by_start;     /* indexes into maps, sorted by start */
	uint64_t *max_end;      /* max end over by_start[0..i] */
	size_t indexed;         /* maps covered by the index */
};

struct thread {
	uint32_t pid, tid;
	uint32_t comm;
	bool comm_set;
	bool dead;
	uint32_t mm;
};

struct kmap {
	uint64_t start, end;
	char *name; /* "[kernel.kallsyms]" or "[module]" */
	bool core;  /* name is "[kernel.kallsyms]" */
};

struct sd_machine {
	struct sd_symbolizer *sym;
	struct sd_strpool comms;
	struct thread *threads;
	size_t nthreads, tcap;
	uint32_t *tslots; /* tid hash -> thread index + 1 */
	size_t ntslots;
	struct mm *mms; /* mms[0] unused: "no address space" */
	size_t nmms, mmcap;
	struct kmap *kmaps;
	size_t nkmaps;
	bool have_kernel_map;
	uint64_t kernel_start;
	struct sd_dso *kernel;
	uint32_t swapper;
	/* the last two threads found: samples of two CPUs interleave */
	uint32_t last_tid[2], last_idx[2];
	struct sd_forks *forks;      /* forks per executable (forks.c) */
};

int sd_machine_new(struct sd_symbolizer *sym, struct sd_machine **out)
{
	struct sd_machine *m = calloc(1, sizeof *m);

	if (!m)
		return -ENOMEM;
	m->sym = sym;
	sd_strpool_init(&m->comms);
	m->mms = calloc(16, sizeof *m->mms);
	if (!m->mms) {
		free(m);
		return -ENOMEM;
	}
	m->mmcap = 16;
	m->nmms = 1;
	m->forks = forks_new();
	if (!m->forks) {
		free(m->mms);
		free(m);
		return -ENOMEM;
	}
	m->kernel_start = 1ull << 63;
	m->kernel = sym ? sd_symbolizer_kernel(sym) : NULL;
	m->last_idx[0] = m->last_idx[1] = UINT32_MAX;
	/* perf_session__register_idle_thread: pid 0 is "swapper" */
	m->swapper = sd_strpool_intern(&m->comms, "swapper", 7);
	*out = m;
	return 0;
}

struct sd_machine *sd_machine_free(struct sd_machine *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->nmms; i++) {
		free(m->mms[i].maps);
		free(m->mms[i].by_start);
		free(m->mms[i].max_end);
	}
	free(m->mms);
	for (size_t i = 0; i < m->nkmaps; i++)
		free(m->kmaps[i].name);
	free(m->kmaps);
	free(m->threads);
	free(m->tslots);
	sd_strpool_fini(&m->comms);
	forks_free(m->forks);
	free(m);
	return NULL;
}

uint32_t sd_machine_intern_comm(struct sd_machine *m, const char *comm)
{
	return sd_strpool_intern(&m->comms, comm, strlen(comm));
}

const char *sd_machine_comm_str(const struct sd_machine *m, uint32_t comm)
{
	return sd_strpool_get(&m->comms, comm);
}

/* mm is forked from parent, seeing its maps as they are now. */
static void mm_link(struct sd_machine *m, uint32_t mm, uint32_t parent)
{
	struct mm *x = &m->mms[mm];
	const struct mm *p = &m->mms[parent];
	uint64_t lo = UINT64_MAX, hi = 0;

	x->parent = parent;
	x->parent_ver = p->seq;
	if (p->hi) {
		lo = p->lo;
		hi = p->hi;
	}
	if (p->anc_hi) {
		lo = p->anc_lo < lo ? p->anc_lo : lo;
		hi = p->anc_hi > hi ? p->anc_hi : hi;
	}
	x->anc_lo = hi ? lo : 0;
	x->anc_hi = hi;
}

static uint32_t mm_new(struct sd_machine *m, uint32_t parent)
{
	if (m->nmms == m->mmcap) {
		struct mm *v = realloc(m->mms, m->mmcap * 2 * sizeof *v);
		if (!v)
			return 0;
		m->mms = v;
		m->mmcap *= 2;
	}
	struct mm *mm = &m->mms[m->nmms];
	memset(mm, 0, sizeof *mm);
	if (parent)
		mm_link(m, (uint32_t)m->nmms, parent);
	return (uint32_t)m->nmms++;
}

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

static struct thread *thread_find(struct sd_machine *m, uint32_t tid)
{
	if (m->last_tid[0] == tid && m->last_idx[0] != UINT32_MAX)
		return &m->threads[m->last_idx[0]];
	if (m->last_tid[1] == tid && m->last_idx[1] != UINT32_MAX) {
		uint32_t i = m->last_idx[1];
		m->last_tid[1] = m->last_tid[0];
		m->last_idx[1] = m->last_idx[0];
		m->last_tid[0] = tid;
		m->last_idx[0] = i;
		return &m->threads[i];
	}
	if (!m->ntslots)
		return NULL;
	for (size_t j = sd_mix64(tid) & (m->ntslots - 1); m->tslots[j];
	     j = (j + 1) & (m->ntslots - 1)) {
		struct thread *t = &m->threads[m->tslots[j] - 1];
		if (t->tid == tid) {
			m->last_tid[1] = m->last_tid[0];
			m->last_idx[1] = m->last_idx[0];
			m->last_tid[0] = tid;
			m->last_idx[0] = m->tslots[j] - 1;
			return t;
		}
	}
	return NULL;
}

static void thread_init(struct sd_machine *m, struct thread *t, uint32_t pid,
			uint32_t tid);

/* The process leader's address space for a thread of pid. */
static uint32_t leader_mm(struct sd_machine *m, uint32_t pid);

/* A fresh thread for tid, replacing any old one (perf removes it). */
static struct thread *thread_create(struct sd_machine *m, uint32_t pid,
				    uint32_t tid)
{
	struct thread *t = thread_find(m, tid);

	if (!t) {
		if ((m->nthreads + 1) * 2 > m->ntslots && tslot_grow(m))
			return NULL;
		if (m->nthreads == m->tcap) {
			size_t cap = m->tcap ? m->tcap * 2 : 1024;
			struct thread *v = realloc(m->threads, cap * sizeof *v);
			if (!v)
				return NULL;
			m->threads = v;
			m->tcap = cap;
		}
		size_t j = sd_mix64(tid) & (m->ntslots - 1);
		while (m->tslots[j])
			j = (j + 1) & (m->ntslots - 1);
		m->tslots[j] = (uint32_t)m->nthreads + 1;
		t = &m->threads[m->nthreads++];
	}
	thread_init(m, t, pid, tid);
	/* thread_init may have created the leader and moved the array */
	return thread_find(m, tid);
}

static void thread_init(struct sd_machine *m, struct thread *t, uint32_t pid,
			uint32_t tid)
{
	char name[16];
	size_t idx = (size_t)(t - m->threads);

	t->pid = pid;
	t->tid = tid;
	t->dead = false;
	t->comm_set = tid == 0;
	if (tid == 0) {
		t->comm = m->swapper;
	} else {
		/* ":%d" of (int)tid */
		char *e = name + sizeof name, *q = e;
		uint32_t v = (int32_t)tid < 0 ? -tid : tid;
		do
			*--q = (char)('0' + v % 10);
		while (v /= 10);
		if ((int32_t)tid < 0)
			*--q = '-';
		*--q = ':';
		t->comm = sd_strpool_intern(&m->comms, q, (size_t)(e - q));
	}
	t->mm = 0;
	m->last_idx[0] = m->last_idx[1] = UINT32_MAX;
	uint32_t mm = (pid == tid || pid == NO_PID) ? mm_new(m, 0)
						   : leader_mm(m, pid);
	m->threads[idx].mm = mm;
}

static struct thread *thread_findnew(struct sd_machine *m, uint32_t pid,
				     uint32_t tid)
{
	struct thread *t = thread_find(m, tid);

	if (t) {
		/* machine__update_thread_pid: learn the pid late */
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
	return thread_create(m, pid, tid);
}

static uint32_t leader_mm(struct sd_machine *m, uint32_t pid)
{
	struct thread *l = thread_findnew(m, pid, pid);
	return l ? l->mm : 0;
}

static int set_comm(struct sd_machine *m, struct thread *t, const char *comm)
{
	uint32_t id = sd_strpool_intern(&m->comms, comm, strlen(comm));

	if (!id)
		return -ENOMEM;
	t->comm = id;
	t->comm_set = true;
	return 0;
}

/*
 * machine__process_fork_event: a stale parent or an old thread with the
 * child's tid is dropped; the child takes the parent's comm and, if it is
 * a new process, a view of the parent's address space.
 */
static int process_fork(struct sd_machine *m, const struct sd_task *f)
{
	struct thread *parent = thread_findnew(m, f->ppid, f->ptid);

	if (!parent)
		return -ENOMEM;
	if (parent->pid != f->ppid) {
		parent = thread_create(m, f->ppid, f->ptid);
		if (!parent)
			return -ENOMEM;
	}
	uint32_t pcomm = parent->comm;
	bool pset = parent->comm_set;
	int err = forks_fork(m->forks, f, pcomm);
	if (err)
		return err;
	uint32_t pmm = parent->mm;
	uint32_t ppid = parent->pid;

	struct thread *t = thread_create(m, f->pid, f->tid);
	if (!t)
		return -ENOMEM;
	if (pset) {
		t->comm = pcomm;
		t->comm_set = true;
	}
	if (ppid != t->pid && pmm) {
		/* new process: copy-on-write view of the parent's maps */
		uint32_t mm = t->mm;
		if (mm && m->mms[mm].n == 0 && !m->mms[mm].parent) {
			mm_link(m, mm, pmm);
		}
	}
	return 0;
}

/* (the names start with '/' or '[': other paths are not compared) */
static bool is_anon(const char *f)
{
	if (f[0] != '/')
		return false;
	switch (f[1]) {
	case '/':
		return !strcmp(f, "//anon");
	case 'd':
		return !strncmp(f, "/dev/zero", 9);
	case 'a':
		return !strncmp(f, "/anon_hugepage", 14);
	default:
		return false;
	}
}

static bool is_no_dso(const char *f)
{
	return (f[0] == '[' &&
		(!strncmp(f, "[stack", 6) || !strcmp(f, "[heap]"))) ||
	       (f[0] == '/' && f[1] == 'S' && !strncmp(f, "/SYSV", 5));
}

static int kernel_mmap(struct sd_machine *m, const struct sd_mmap *mm)
{
	const char *f = mm->filename;
	char name[256];

	bool core = !strncmp(f, "[kernel.kallsyms]", 17);

	if (core || !strncmp(f, "[guest.kernel", 13)) {
		m->have_kernel_map = true;
		/* f[17] exists only when the 17 bytes before it matched */
		if (core && f[17] == '_' && m->sym && mm->pgoff)
			sd_symbolizer_set_kernel_reloc(m->sym, f + 17, mm->pgoff);
		if (core && m->sym)
			sd_symbolizer_set_kernel_map(m->sym, mm->start, mm->len,
						     mm->pgoff);
		snprintf(name, sizeof name, "[kernel.kallsyms]");
	} else if (f[0] == '/') {
		/* a module: "/lib/modules/.../ext4.ko(.xz)" is "[ext4]" */
		const char *base = strrchr(f, '/') + 1;
		size_t n = strcspn(base, ".");
		if (n > 200)
			n = 200;
		snprintf(name, sizeof name, "[%.*s]", (int)n, base);
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
	} else {
		snprintf(name, sizeof name, "%.250s", f);
	}
	struct kmap *v = realloc(m->kmaps, (m->nkmaps + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	m->kmaps = v;
	uint64_t end = mm->start + mm->len < mm->start ? UINT64_MAX
						       : mm->start + mm->len;
	v[m->nkmaps] = (struct kmap){mm->start, end, strdup(name),
				     !strcmp(name, "[kernel.kallsyms]")};
	if (!v[m->nkmaps].name)
		return -ENOMEM;
	m->nkmaps++;
	return 0;
}

static int process_mmap(struct sd_machine *m, const struct sd_record *rec)
{
	const struct sd_mmap *mp = &rec->mmap;
	unsigned cpumode = rec->misc & SD_MISC_CPUMODE_MASK;
	char path[64];
	const char *f = mp->filename;

	if (cpumode == SD_MISC_KERNEL || cpumode == SD_MISC_GUEST_KERNEL)
		return kernel_mmap(m, mp);

	struct thread *t = thread_findnew(m, mp->pid, mp->tid);
	if (!t)
		return -ENOMEM;
	if (!t->mm)
		return 0;
	/* MMAP records without MMAP_DATA are executable maps */
	uint32_t prot = rec->type == SD_REC_MMAP2 ? mp->prot : 4;
	bool anon = is_anon(f), nodso = is_no_dso(f);
	if ((anon || nodso) && (prot & 4 /* PROT_EXEC */)) {
		snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)mp->pid);
		f = path;
	}
	struct mm *mm = &m->mms[t->mm];
	if (mm->n == mm->cap) {
		/* a fork storm has thousands of small address spaces */
		size_t cap = mm->cap ? mm->cap * 2 : 4;
		struct map *v = realloc(mm->maps, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		mm->maps = v;
		mm->cap = cap;
	}
	struct map *map = &mm->maps[mm->n++];
	map->start = mp->start;
	map->end = mp->start + mp->len < mp->start ? UINT64_MAX
						   : mp->start + mp->len;
	map->pgoff = mp->pgoff;
	map->seq = ++mm->seq;
	if (mm->n == 1 || map->start < mm->lo)
		mm->lo = map->start;
	if (map->end > mm->hi)
		mm->hi = map->end;
	map->identity = anon || nodso;
	map->dso = m->sym ? sd_symbolizer_dso(m->sym, f,
					      mp->build_id.size ? &mp->build_id
								: NULL)
			  : NULL;
	return 0;
}

int sd_machine_process(struct sd_machine *m, const struct sd_record *rec)
{
	struct thread *t;

	switch (rec->type) {
	case SD_REC_COMM:
		t = thread_findnew(m, rec->comm.pid, rec->comm.tid);
		if (!t || forks_comm(m->forks, rec))
			return -ENOMEM;
		return set_comm(m, t, rec->comm.comm);
	case SD_REC_FORK:
		return process_fork(m, &rec->task);
	case SD_REC_EXIT:
		t = thread_find(m, rec->task.tid);
		if (t)
			t->dead = true;
		return 0;
	case SD_REC_MMAP:
	case SD_REC_MMAP2:
		if ((rec->misc & SD_MISC_CPUMODE_MASK) == SD_MISC_USER &&
		    forks_mmap(m->forks, rec))
			return -ENOMEM;
		return process_mmap(m, rec);
	default:
		return 0;
	}
}

size_t sd_machine_nr_exes(const struct sd_machine *m)
{
	return forks_nr_exes(m->forks);
}

int sd_machine_exe_forks(const struct sd_machine *m, size_t i,
			 struct sd_exe_forks *out)
{
	struct sd_exe_forks e;

	forks_exe(m->forks, i, &e);
	e.comms = calloc(e.nr_comms ? e.nr_comms : 1, sizeof *e.comms);
	e.execs = calloc(e.nr_execs ? e.nr_execs : 1, sizeof *e.execs);
	if (!e.comms || !e.execs) {
		free(e.comms);
		free(e.execs);
		return -ENOMEM;
	}
	for (size_t k = 0; k < e.nr_comms; k++) {
		uint32_t id;
		forks_counter(m->forks, i, false, k, &id, &e.comms[k].count);
		e.comms[k].name = sd_machine_comm_str(m, id);
	}
	for (size_t k = 0; k < e.nr_execs; k++) {
		uint32_t id;
		forks_counter(m->forks, i, true, k, &id, &e.execs[k].count);
		e.execs[k].name = forks_exe_str(m->forks, id);
	}
	*out = e;
	return 0;
}

const char *sd_machine_pid_exe(const struct sd_machine *m, uint32_t pid)
{
	return forks_pid_exe(m->forks, pid);
}

/* An mm that has no maps of its own is its parent's view. */
static void canonical_mm(const struct sd_machine *m, uint32_t *mm,
			 uint32_t *ver)
{
	for (int d = 0; d < MAX_MM_DEPTH && *mm; d++) {
		const struct mm *x = &m->mms[*mm];
		uint32_t own = 0;
		/* maps with seq <= ver: seq is 1..n in order */
		own = *ver < x->n ? *ver : (uint32_t)x->n;
		if (own || !x->parent)
			return;
		*ver = x->parent_ver;
		*mm = x->parent;
	}
}

int sd_machine_thread(struct sd_machine *m, uint32_t pid, uint32_t tid,
		      struct sd_thread_view *out)
{
	/* one of the last two threads, its pid known or not learnt now:
	 * what thread_findnew() would return, without a call */
	uint32_t i = m->last_tid[0] == tid   ? m->last_idx[0]
		     : m->last_tid[1] == tid ? m->last_idx[1]
					     : UINT32_MAX;
	struct thread *t = i != UINT32_MAX ? &m->threads[i] : NULL;

	if (!t || (t->pid == NO_PID && pid != NO_PID))
		t = thread_findnew(m, pid, tid);

	if (!t)
		return -ENOMEM;
	out->comm = t->comm;
	out->mm = t->mm;
	out->mm_ver = t->mm ? m->mms[t->mm].seq : 0;
	canonical_mm(m, &out->mm, &out->mm_ver);
	return 0;
}

static int cmp_start(const void *a, const void *b, void *arg)
{
	const struct map *maps = arg;
	const struct map *x = &maps[*(const uint32_t *)a];
	const struct map *y = &maps[*(const uint32_t *)b];

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/*
 * The index by (start, seq) and the running maximum of ends.  Maps come
 * one at a time between lookups, so the ones added since the last lookup
 * are inserted into the sorted index (a binary search and a memmove
 * each) rather than the whole index sorted again; a first index of many
 * maps is sorted at once.
 */
static int mm_index(struct mm *x)
{
	if (x->indexed == x->n)
		return 0;
	uint32_t *bs = realloc(x->by_start, (x->n + 1) * sizeof *bs);
	if (!bs)
		return -ENOMEM;
	x->by_start = bs;
	uint64_t *me = realloc(x->max_end, (x->n + 1) * sizeof *me);
	if (!me)
		return -ENOMEM;
	x->max_end = me;
	size_t from = 0; /* max_end is right below this index */
	if (x->n - x->indexed > 16 || x->n - x->indexed > x->indexed) {
		for (size_t i = 0; i < x->n; i++)
			bs[i] = (uint32_t)i;
		qsort_r(bs, x->n, sizeof *bs, cmp_start, x->maps);
	} else {
		from = x->indexed;
		for (size_t i = x->indexed; i < x->n; i++) {
			/* after every entry that sorts at or before map i */
			size_t lo = 0, hi = i;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (cmp_start(&bs[mid], &(uint32_t){(uint32_t)i},
					      x->maps) <= 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			memmove(bs + lo + 1, bs + lo, (i - lo) * sizeof *bs);
			bs[lo] = (uint32_t)i;
			if (lo < from)
				from = lo;
		}
	}
	uint64_t mx = from ? me[from - 1] : 0;
	for (size_t i = from; i < x->n; i++) {
		if (x->maps[bs[i]].end > mx)
			mx = x->maps[bs[i]].end;
		me[i] = mx;
	}
	x->indexed = x->n;
	return 0;
}

/* The newest map of x with seq <= ver that covers ip. */
static const struct map *mm_find(struct mm *x, uint32_t ver, uint64_t ip)
{
	const struct map *best = NULL;

	/* an address no map ever held (often one of the unwound frames no
	 * map has, looked up in every ancestor) */
	if (ip < x->lo || ip >= x->hi)
		return NULL;
	if (x->n <= MM_SCAN) {
		/* a few maps (a forked child's after exec): no index; maps[i]
		 * has seq i + 1, so the newest covering one of seq <= ver is
		 * the first found from maps[ver - 1] down */
		for (size_t i = ver < x->n ? ver : x->n; i-- > 0;) {
			const struct map *mp = &x->maps[i];
			if (ip >= mp->start && ip < mp->end)
				return mp;
		}
		return NULL;
	}
	if (mm_index(x))
		return NULL;
	/* last index with start <= ip */
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (x->maps[x->by_start[mid]].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		if (x->max_end[i] <= ip)
			break;
		const struct map *mp = &x->maps[x->by_start[i]];
		if (mp->seq <= ver && ip < mp->end &&
		    (!best || mp->seq > best->seq))
			best = mp;
	}
	return best;
}

bool sd_machine_kernel_ip(const struct sd_machine *m, uint64_t ip)
{
	return ip >= m->kernel_start;
}

uint64_t sd_machine_kernel_gen(const struct sd_machine *m)
{
	return m->nkmaps;
}

static void locate_kernel(struct sd_machine *m, uint64_t ip,
			  struct sd_location *out)
{
	const struct kmap *core = NULL;

	for (size_t i = 0; i < m->nkmaps; i++) {
		const struct kmap *k = &m->kmaps[i];
		/* not name[1] == 'k': a module may be "[kvm]", or "" */
		if (k->core) {
			core = k;
			continue;
		}
		if (ip >= k->start && ip < k->end) {
			out->dso = m->kernel;
			out->map_name = k->name;
			out->addr = ip;
			out->kernel = true;
			return;
		}
	}
	/* The kernel map reaches up to the first module above it. */
	if (!core || ip >= core->start) {
		out->dso = m->kernel;
		out->map_name = "[kernel.kallsyms]";
		out->addr = ip;
		out->kernel = true;
	}
}

void sd_machine_locate(struct sd_machine *m, uint32_t mmid, uint32_t ver,
		       unsigned cpumode, uint64_t ip, struct sd_location *out)
{
	memset(out, 0, sizeof *out);
	if (cpumode == SD_MISC_KERNEL || cpumode == SD_MISC_GUEST_KERNEL) {
		locate_kernel(m, ip, out);
		return;
	}
	for (int d = 0; d < MAX_MM_DEPTH && mmid; d++) {
		struct mm *x = &m->mms[mmid];
		const struct map *mp = mm_find(x, ver, ip);
		if (mp) {
			out->dso = mp->dso;
			out->map_name = mp->dso ? sd_dso_name(mp->dso) : NULL;
			out->addr = mp->identity ? ip : ip - mp->start + mp->pgoff;
			return;
		}
		if (ip < x->anc_lo || ip >= x->anc_hi)
			break; /* no ancestor's map holds it */
		ver = x->parent_ver;
		mmid = x->parent;
	}
	/* perf: a user-mode address in the kernel's range may be a vsyscall */
	if ((cpumode == SD_MISC_USER || cpumode == SD_MISC_CPUMODE_UNKNOWN) &&
	    sd_machine_kernel_ip(m, ip))
		locate_kernel(m, ip, out);
}
