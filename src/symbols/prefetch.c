/* SPDX-License-Identifier: MIT */
/*
 * Loading the sampled DSOs' symbol tables on a second thread.
 *
 * perf record writes a BUILD_ID entry for every DSO its samples hit, so
 * the file says, before its first record, which symbol tables the
 * analysis will need.  A worker thread loads them, largest file first,
 * while the main thread reads the records; the main thread's first lookup in a DSO
 * (ensure_loaded) then finds the table ready, waits for the one being
 * loaded, or takes back one the worker has not reached and loads it
 * itself.  Either way the table and the messages are the ones a load on
 * the main thread gives: the worker writes its messages into the DSO's
 * own list, which moves to the symbolizer's when the DSO is first used,
 * so they come in the same order, and not at all for a DSO nothing uses.
 *
 * Only with two CPUs or more to run on: on one (taskset -c 0, a
 * container's single CPU) the worker takes its time from the main
 * thread, and loads tables no sample may need.
 *
 * Shared between the threads: each queued DSO's pf_state (under lock).
 * The worker alone touches a DSO in SD_PF_LOADING (its tab, symsrc and
 * pf_diags) and reads the symbolizer's search settings, which do not
 * change after sd_symbolizer_new().  The DSO hash table is the main
 * thread's: the queue holds pointers made before the worker starts.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "symbols/elf_internal.h"
#include "symbols/symbolizer_internal.h"

#define PF_MAX 4096 /* DSOs queued at most */

struct sd_prefetch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct sd_dso **q;
	size_t n;
	bool stop;
};

static void *worker(void *arg)
{
	struct sd_prefetch *pf = arg;

	for (size_t i = 0; i < pf->n; i++) {
		struct sd_dso *d = pf->q[i];

		pthread_mutex_lock(&pf->lock);
		if (pf->stop) {
			pthread_mutex_unlock(&pf->lock);
			break;
		}
		if (d->pf_state != SD_PF_QUEUED) { /* taken back */
			pthread_mutex_unlock(&pf->lock);
			continue;
		}
		d->pf_state = SD_PF_LOADING;
		pthread_mutex_unlock(&pf->lock);

		sd_dso_load_user(d, &d->pf_diags);

		pthread_mutex_lock(&pf->lock);
		d->pf_state = SD_PF_DONE;
		pthread_cond_broadcast(&pf->done);
		pthread_mutex_unlock(&pf->lock);
	}
	return NULL;
}

/* A file the worker should load: a user DSO, not a kernel image or module,
 * nor perf's pseudo maps ("[vdso]", "//anon", ...). */
static bool wanted(const struct sd_build_id_entry *e)
{
	return e->filename && e->filename[0] == '/' &&
	       e->cpumode != SD_MISC_KERNEL &&
	       e->cpumode != SD_MISC_GUEST_KERNEL;
}

struct sized {
	struct sd_dso *d;
	off_t size;
};

static int larger_first(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;

	return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/*
 * Largest files first: the main thread soon wants the big C++ libraries,
 * whose tables take longest, and loads a DSO itself when the worker has
 * not reached it yet; small ones it can spare.
 */
static void order_by_size(const struct sd_symbolizer *s, struct sd_dso **q,
			  size_t n)
{
	struct sized *v = calloc(n, sizeof *v);

	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char *p = s->symfs ? sd_asprintf("%s%s", s->symfs, q[i]->path)
				   : NULL;
		v[i].d = q[i];
		v[i].size = stat(p ? p : q[i]->path, &st) == 0 ? st.st_size : 0;
		free(p);
	}
	qsort(v, n, sizeof *v, larger_first);
	for (size_t i = 0; i < n; i++)
		q[i] = v[i].d;
	free(v);
}

/* More than one CPU this process may run on (when it cannot be told:
 * yes, as before the check). */
static bool cpus_to_spare(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set))
		return true;
	return CPU_COUNT(&set) > 1;
}

void sd_prefetch_start(struct sd_symbolizer *s)
{
	const struct sd_file_info *info = s->info;
	struct sd_prefetch *pf;
	size_t n = 0;

	if (!info || !info->nr_build_ids || !cpus_to_spare())
		return;
	pf = calloc(1, sizeof *pf);
	if (!pf)
		return;
	pf->q = calloc(info->nr_build_ids < PF_MAX ? info->nr_build_ids : PF_MAX,
		       sizeof *pf->q);
	if (!pf->q) {
		free(pf);
		return;
	}
	for (size_t i = 0; i < info->nr_build_ids && n < PF_MAX; i++) {
		const struct sd_build_id_entry *e = &info->build_ids[i];
		if (!wanted(e))
			continue;
		struct sd_dso *d = sd_symbolizer_intern(s, e->filename, &e->id);
		if (!d || d->pf_queued || d->tried)
			continue; /* listed twice */
		d->pf_state = SD_PF_QUEUED;
		d->pf_queued = true;
		pf->q[n++] = d;
	}
	pf->n = n;
	order_by_size(s, pf->q, n);
	sd_elf_init(); /* libelf's one global setting, before two threads */
	if (!n || pthread_mutex_init(&pf->lock, NULL)) {
		goto none;
	}
	if (pthread_cond_init(&pf->done, NULL)) {
		pthread_mutex_destroy(&pf->lock);
		goto none;
	}
	if (pthread_create(&pf->thread, NULL, worker, pf)) {
		pthread_cond_destroy(&pf->done);
		pthread_mutex_destroy(&pf->lock);
		goto none;
	}
	s->pf = pf;
	return;
none:
	/* loaded on the main thread, as without prefetching */
	for (size_t i = 0; i < n; i++) {
		pf->q[i]->pf_state = SD_PF_NONE;
		pf->q[i]->pf_queued = false;
	}
	free(pf->q);
	free(pf);
}

bool sd_prefetch_claim(struct sd_dso *d)
{
	struct sd_prefetch *pf = d->s->pf;
	bool loaded;

	if (!pf)
		return false;
	pthread_mutex_lock(&pf->lock);
	if (d->pf_state == SD_PF_QUEUED)
		d->pf_state = SD_PF_TAKEN;
	while (d->pf_state == SD_PF_LOADING)
		pthread_cond_wait(&pf->done, &pf->lock);
	loaded = d->pf_state == SD_PF_DONE;
	pthread_mutex_unlock(&pf->lock);
	if (loaded)
		sd_diags_move(&d->s->diags, &d->pf_diags);
	return loaded;
}

void sd_prefetch_stop(struct sd_symbolizer *s)
{
	struct sd_prefetch *pf = s->pf;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->thread, NULL);
	pthread_cond_destroy(&pf->done);
	pthread_mutex_destroy(&pf->lock);
	free(pf->q);
	free(pf);
	s->pf = NULL;
}
