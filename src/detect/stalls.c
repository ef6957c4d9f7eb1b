/* SPDX-License-Identifier: MIT */
/*
 * The sleeps (sched_switch out in D state) as the sample loop sees them,
 * and the log of who ran while one was open (runs: in util/vmem.h memory,
 * which grows to MBs on a busy recording without a copy).  A sample's
 * visit is a leaf unless it ends a sleep or fills the log (seen_cold()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stalls.h>
#include "util/hash.h"
#include "util/vmem.h"

static void map_fini(struct sd_tidmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

void sd_stalls_init(struct sd_stalls *s)
{
	memset(s, 0, sizeof *s);
}

void sd_stalls_fini(struct sd_stalls *s)
{
	free(s->v);
	map_fini(&s->open);
	map_fini(&s->waiting);
	sd_vmem_free(s->runs, s->capruns * sizeof *s->runs);
	free(s->writes);
	memset(s, 0, sizeof *s);
}

/* Inline in the leaf sd_stalls_seen_slow() too. */
static inline __attribute__((always_inline)) size_t
slot_of(const struct sd_tidmap *m, uint32_t tid)
{
	size_t j = sd_mix64(tid) & (m->nslots - 1);
	while (m->vals[j] && m->keys[j] != tid)
		j = (j + 1) & (m->nslots - 1);
	return j;
}

/* The value of tid, 0 if none; *slot where it is (or would go). */
static inline __attribute__((always_inline)) uint64_t
map_get(const struct sd_tidmap *m, uint32_t tid, size_t *slot)
{
	if (!m->n)
		return 0;
	size_t j = slot_of(m, tid);
	if (slot)
		*slot = j;
	return m->vals[j];
}

static int map_put(struct sd_tidmap *m, uint32_t tid, uint64_t val)
{
	if ((m->n + 1) * 2 > m->nslots) {
		size_t ns = m->nslots ? m->nslots * 2 : 256;
		uint32_t *k = calloc(ns, sizeof *k);
		uint64_t *v = calloc(ns, sizeof *v);
		if (!k || !v) {
			free(k);
			free(v);
			return -ENOMEM;
		}
		struct sd_tidmap old = *m;
		m->keys = k;
		m->vals = v;
		m->nslots = ns;
		for (size_t i = 0; i < old.nslots; i++)
			if (old.vals[i]) {
				size_t j = slot_of(m, old.keys[i]);
				m->keys[j] = old.keys[i];
				m->vals[j] = old.vals[i];
			}
		free(old.keys);
		free(old.vals);
	}
	size_t j = slot_of(m, tid);
	if (!m->vals[j])
		m->n++;
	m->keys[j] = tid;
	m->vals[j] = val;
	return 0;
}

static void map_del(struct sd_tidmap *m, size_t j)
{
	size_t mask = m->nslots - 1;

	m->vals[j] = 0;
	m->n--;
	for (size_t i = (j + 1) & mask; m->vals[i]; i = (i + 1) & mask) {
		size_t home = sd_mix64(m->keys[i]) & mask;
		/* move back if the hole lies between home and i */
		if ((i > j && (home <= j || home > i)) ||
		    (i < j && home <= j && home > i)) {
			m->keys[j] = m->keys[i];
			m->vals[j] = m->vals[i];
			m->vals[i] = 0;
			j = i;
		}
	}
}

/* Closes tid's open sleep: with a switch-in time, or unknown (t_in 0,
 * seen running at t_seen). */
static void close_open(struct sd_stalls *s, uint32_t tid, uint64_t t_in,
		       uint64_t t_seen)
{
	size_t j;
	uint64_t idx = map_get(&s->open, tid, &j);
	if (!idx)
		return;
	struct sd_stall *st = &s->v[idx - 1];
	st->open = false;
	st->t_in = t_in;
	st->t_seen = t_seen;
	map_del(&s->open, j);
	uint64_t end = t_in ? t_in : t_seen;
	if (end + SD_RELEASE_NS > s->log_until)
		s->log_until = end + SD_RELEASE_NS;
}

/* Whether a sample of tid at time ends its open sleep (it runs again). */
static inline __attribute__((always_inline)) bool
ends_sleep(const struct sd_stalls *s, uint32_t tid, uint64_t time)
{
	uint64_t idx = map_get(&s->open, tid, NULL);
	return idx && s->v[idx - 1].t_out < time;
}

/* Whether a sample of tid at time goes in the log of who ran: while
 * someone is asleep or just woke (log_until), and never the idle task. */
static inline bool logged(const struct sd_stalls *s, uint32_t tid,
			  uint64_t time)
{
	return (s->open.n || time <= s->log_until) && tid != 0;
}

/* tid runs at time: its open sleep, if it ended before, is closed. */
static void seen(struct sd_stalls *s, uint32_t tid, uint64_t time)
{
	if (ends_sleep(s, tid, time))
		close_open(s, tid, 0, time);
}

/* A sample that ends tid's sleep, or with the log full: not a leaf, so
 * out of line (its register saves cost every sample 20 instructions). */
static __attribute__((noinline)) int seen_cold(struct sd_stalls *s,
					       uint32_t pid, uint32_t tid,
					       uint32_t stack, uint64_t time)
{
	seen(s, tid, time);
	if (!logged(s, tid, time))
		return 0;
	/* someone is asleep: note who runs meanwhile */
	if (s->nruns >= SD_MAX_RUNS) {
		s->runs_dropped++;
		return 0;
	}
	if (s->nruns == s->capruns) {
		/* util/vmem.h: the log of a busy recording grows to MBs,
		 * which a mapping of its own grows without a copy (dso:
		 * -3.3 M instructions against realloc()) */
		size_t cap = s->capruns ? s->capruns * 2 : 4096;
		struct sd_run *v = sd_vmem_resize(s->runs,
						  s->capruns * sizeof *v,
						  cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->runs = v;
		s->capruns = cap;
	}
	s->runs[s->nruns++] = (struct sd_run){time, pid, tid, stack};
	return 0;
}

/* The common slow sample: tid not asleep since before time, room in the
 * log (capruns never passes SD_MAX_RUNS): a leaf, without register saves
 * (dso: 150,000 calls, 100,000 with sleeps open: -3.1 M instructions). */
_Static_assert(SD_MAX_RUNS % 4096 == 0 && !(SD_MAX_RUNS & (SD_MAX_RUNS - 1)),
	       "the log's capacity, doubled from 4096, stops at SD_MAX_RUNS");
int sd_stalls_seen_slow(struct sd_stalls *s, uint32_t pid, uint32_t tid,
			uint32_t stack, uint64_t time)
{
	if (ends_sleep(s, tid, time) || s->nruns == s->capruns)
		return seen_cold(s, pid, tid, stack, time);
	if (logged(s, tid, time))
		s->runs[s->nruns++] = (struct sd_run){time, pid, tid, stack};
	return 0;
}

int sd_stalls_contention(struct sd_stalls *s, uint64_t time, uint32_t pid,
			 uint32_t tid, uint32_t stack, uint64_t lock,
			 unsigned flags, bool begin)
{
	size_t j;

	s->contention_events++;
	if (!begin) {
		if (map_get(&s->waiting, tid, &j))
			map_del(&s->waiting, j);
		return 0;
	}
	if (!lock || tid == 0)
		return 0;
	int err = map_put(&s->waiting, tid, lock);
	if (err || !(flags & SD_LCB_F_WRITE) ||
	    s->nwrites >= SD_MAX_LOCK_WRITES)
		return err;
	if (s->nwrites == s->capwrites) {
		size_t cap = s->capwrites ? s->capwrites * 2 : 256;
		struct sd_lock_write *v = realloc(s->writes, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->writes = v;
		s->capwrites = cap;
	}
	s->writes[s->nwrites++] = (struct sd_lock_write){time, lock, pid, tid,
							 stack};
	return 0;
}

int sd_stalls_switch(struct sd_stalls *s, uint64_t time, uint32_t pid,
		     uint32_t tid, bool prev_d, uint32_t next_tid,
		     uint32_t stack, uint32_t comm)
{
	/* prev was running, so an older sleep of it ended unseen */
	seen(s, tid, time);
	if (next_tid)
		close_open(s, next_tid, time, 0);
	if (!prev_d || tid == 0)
		return 0;
	s->d_switches++;
	if (s->n >= SD_MAX_STALLS) {
		s->dropped++;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct sd_stall *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	uint64_t lock = map_get(&s->waiting, tid, NULL);
	s->v[s->n] = (struct sd_stall){.t_out = time, .lock = lock, .pid = pid,
				       .tid = tid, .stack = stack,
				       .comm = comm, .open = true};
	int err = map_put(&s->open, tid, s->n + 1);
	if (err)
		return err;
	s->n++;
	return 0;
}
