/* SPDX-License-Identifier: MIT */
/*
 * Threads and address spaces, following tools/perf/util/machine.c and
 * thread.c: which thread a record names, which comm it has, which maps
 * its process sees.  A FORK's parent is looked up once, for the machine
 * and for the caller's count of forks (sd_machine_fork(): kstorm.data's
 * side records 28.4 M -> 27.0 M instructions).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/forks.h"
#include "machine/internal.h"

int sd_machine_new(struct sd_symbolizer *sym, struct sd_machine **out)
{
	struct sd_machine *m = calloc(1, sizeof *m);

	if (!m)
		return -ENOMEM;
	m->sym = sym;
	sd_strpool_init(&m->comms);
	if (mm_set_init(&m->mms)) {
		free(m);
		return -ENOMEM;
	}
	m->forks = forks_new();
	if (!m->forks) {
		mm_set_fini(&m->mms);
		free(m);
		return -ENOMEM;
	}
	m->kernel_start = 1ull << 63;
	m->kernel = sym ? sd_symbolizer_kernel(sym) : NULL;
	for (uint32_t i = 0; i < SD_TVCACHE_SIZE; i++)
		m->slotver[i] = 1;
	for (uint32_t i = 0; i <= TCACHE_MASK; i++)
		m->tcache[i].tid = i + 1;
	/* perf_session__register_idle_thread: pid 0 is "swapper" */
	m->swapper = sd_strpool_intern(&m->comms, "swapper", 7);
	*out = m;
	return 0;
}

struct sd_machine *sd_machine_free(struct sd_machine *m)
{
	if (!m)
		return NULL;
	mm_set_fini(&m->mms);
	for (size_t i = 0; i < m->nkmaps; i++)
		free(m->kmaps[i].name);
	free(m->kmaps);
	free(m->threads);
	free(m->tslots);
	free(m->mmflags);
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

/*
 * machine__process_fork_event: a stale parent or an old thread with the
 * child's tid is dropped; the child takes the parent's comm and, if it is
 * a new process, a view of the parent's address space.  *old_comm: the
 * comm of the thread found as the parent (a stale one's, not the new
 * parent's); *parent_exe: forks_fork()'s.
 */
static int process_fork(struct sd_machine *m, const struct sd_task *f,
			uint32_t *old_comm, const char **parent_exe)
{
	struct thread *parent = thread_findnew(m, f->ppid, f->ptid);

	if (!parent || !(*old_comm = thread_comm(m, parent)))
		return -ENOMEM;
	if (parent->pid != f->ppid) {
		parent = thread_create(m, f->ppid, f->ptid, 0);
		if (!parent)
			return -ENOMEM;
	}
	uint32_t pcomm = thread_comm(m, parent);
	bool pset = parent->comm_set;
	if (!pcomm)
		return -ENOMEM;
	uint32_t child_at;
	int err = forks_fork(m->forks, f, pcomm, parent_exe, &parent->proc,
			     &child_at);
	if (err)
		return err;
	/* a new process: a copy-on-write view of the parent's maps */
	uint32_t link = parent->pid != f->pid ? parent->mm : 0;
	/* a process's own address space, made forked from the parent's
	 * (no mm_link() after: kstorm -0.3 M instructions) */
	bool own = f->pid == f->tid || f->pid == NO_PID;

	struct thread *t = thread_create(m, f->pid, f->tid, own ? link : 0);
	if (!t)
		return -ENOMEM;
	t->proc = child_at;
	if (pset) {
		t->comm = pcomm;
		t->comm_set = true;
	}
	if (link && own && t->mm) {
		if (mm_flag(m, link, MM_PARENT))
			return -ENOMEM;
	} else if (link) {
		uint32_t mm = t->mm, pmm = link;
		if (mm && m->mms.v[mm].n == 0 && !m->mms.v[mm].parent) {
			/* the views of mm, and of any forked from it
			 * while it had no parent, now go through pmm */
			if (mm_flags(m, mm) & (MM_VIEWED | MM_PARENT))
				views_changed(m);
			mm_link(&m->mms, mm, pmm);
			if (mm_flag(m, pmm, MM_PARENT))
				return -ENOMEM;
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

/* "[stack...", "[heap]", "/SYSV...": byte by byte, no calls ([vdso]
 * comes with every exec) */
static bool is_no_dso(const char *f)
{
	if (f[0] == '[')
		return (f[1] == 's' && f[2] == 't' && f[3] == 'a' &&
			f[4] == 'c' && f[5] == 'k') ||
		       (f[1] == 'h' && f[2] == 'e' && f[3] == 'a' &&
			f[4] == 'p' && f[5] == ']' && !f[6]);
	return f[0] == '/' && f[1] == 'S' && f[2] == 'Y' && f[3] == 'S' &&
	       f[4] == 'V';
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
	m->head.kernel_gen = m->nkmaps;
	return 0;
}

/* The map into its process's address space; *dso: the DSO of the
 * record's own file name when one was looked up (else left). */
static int process_mmap(struct sd_machine *m, const struct sd_record *rec,
			const struct sd_dso **dso)
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
	struct map map = {
		.start = mp->start,
		.end = mp->start + mp->len < mp->start ? UINT64_MAX
						       : mp->start + mp->len,
		/* the address in the DSO is ip itself */
		.pgoff = anon || nodso ? mp->start : mp->pgoff,
		.dso = m->sym ? sd_symbolizer_dso(m->sym, f,
						  mp->build_id.size
							  ? &mp->build_id
							  : NULL)
			      : NULL,
	};
	if (f == mp->filename)
		*dso = map.dso;
	uint8_t fl = mm_flags(m, t->mm);
	if ((fl & (MM_VIEWED | MM_SHARED)) == (MM_VIEWED | MM_SHARED))
		views_changed(m);
	else if (fl & MM_VIEWED) /* only its leader's view was given out */
		view_changed(m, t->pid == NO_PID ? t->tid : t->pid);
	return mm_add(&m->mms, t->mm, &map);
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
	case SD_REC_FORK: {
		/* one caller: process_fork() in line in sd_machine_fork() */
		uint32_t comm;
		const char *exe;
		return sd_machine_fork(m, &rec->task, &comm, &exe);
	}
	case SD_REC_MMAP:
	case SD_REC_MMAP2: {
		const struct sd_dso *dso = NULL;
		int err = process_mmap(m, rec, &dso);
		if ((rec->misc & SD_MISC_CPUMODE_MASK) == SD_MISC_USER &&
		    forks_mmap(m->forks, rec, dso))
			return -ENOMEM;
		return err;
	}
	default: /* EXIT among them: perf 6.1 keeps the thread as it is */
		return 0;
	}
}

int sd_machine_fork(struct sd_machine *m, const struct sd_task *task,
		    uint32_t *parent_comm, const char **parent_exe)
{
	return process_fork(m, task, parent_comm, parent_exe);
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

void sd_machine_forget_maps(struct sd_machine *m)
{
	mm_set_fini(&m->mms); /* no address space left: n is 0 */
	free(m->mmflags);
	m->mmflags = NULL;
	m->nmmflags = 0;
	for (size_t i = 0; i < m->nthreads; i++)
		m->threads[i].mm = 0;
	m->maps_forgotten = true;
	views_changed(m);
}

bool sd_machine_kernel_ip(const struct sd_machine *m, uint64_t ip)
{
	return ip >= m->kernel_start;
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

static inline __attribute__((always_inline)) void
locate(struct sd_machine *m, uint32_t mmid, uint32_t ver, unsigned cpumode,
       uint64_t ip, struct sd_location *out, bool name)
{
	memset(out, 0, sizeof *out);
	if (cpumode == SD_MISC_KERNEL || cpumode == SD_MISC_GUEST_KERNEL) {
		locate_kernel(m, ip, out);
		return;
	}
	/* an id given out before sd_machine_forget_maps() names none */
	const struct map *mp =
		mmid < m->mms.n ? mm_lookup(&m->mms, mmid, ver, ip) : NULL;
	if (mp) {
		out->dso = mp->dso;
		out->map_name = name && mp->dso ? sd_dso_name(mp->dso) : NULL;
		out->addr = ip - mp->start + mp->pgoff;
		return;
	}
	/* perf: a user-mode address in the kernel's range may be a vsyscall */
	if ((cpumode == SD_MISC_USER || cpumode == SD_MISC_CPUMODE_UNKNOWN) &&
	    ip >= m->kernel_start) /* sd_machine_kernel_ip(), in line */
		locate_kernel(m, ip, out);
}

void sd_machine_locate(struct sd_machine *m, uint32_t mmid, uint32_t ver,
		       unsigned cpumode, uint64_t ip, struct sd_location *out)
{
	locate(m, mmid, ver, cpumode, ip, out, true);
}

void sd_machine_locate_unnamed(struct sd_machine *m, uint32_t mmid,
			       uint32_t ver, unsigned cpumode, uint64_t ip,
			       struct sd_location *out)
{
	locate(m, mmid, ver, cpumode, ip, out, false);
}
