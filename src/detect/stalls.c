/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/stalls.h"
#include "util/hash.h"

void sd_stalls_init(struct sd_stalls *s)
{
	memset(s, 0, sizeof *s);
}

void sd_stalls_fini(struct sd_stalls *s)
{
	free(s->v);
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof *s);
}

/* Open sleeps by tid: a small open-addressing map with deletion by
 * backward shift. */
static size_t slot_of(const struct sd_stalls *s, uint32_t tid)
{
	size_t j = sd_mix64(tid) & (s->nslots - 1);
	while (s->vals[j] && s->keys[j] != tid)
		j = (j + 1) & (s->nslots - 1);
	return j;
}

static int open_put(struct sd_stalls *s, uint32_t tid, uint32_t idx)
{
	if ((s->nopen + 1) * 2 > s->nslots) {
		size_t ns = s->nslots ? s->nslots * 2 : 256;
		uint32_t *k = calloc(ns, sizeof *k), *v = calloc(ns, sizeof *v);
		if (!k || !v) {
			free(k);
			free(v);
			return -ENOMEM;
		}
		uint32_t *ok = s->keys, *ov = s->vals;
		size_t on = s->nslots;
		s->keys = k;
		s->vals = v;
		s->nslots = ns;
		for (size_t i = 0; i < on; i++)
			if (ov[i]) {
				size_t j = slot_of(s, ok[i]);
				s->keys[j] = ok[i];
				s->vals[j] = ov[i];
			}
		free(ok);
		free(ov);
	}
	size_t j = slot_of(s, tid);
	if (!s->vals[j])
		s->nopen++;
	s->keys[j] = tid;
	s->vals[j] = idx + 1;
	return 0;
}

static void open_del(struct sd_stalls *s, size_t j)
{
	size_t mask = s->nslots - 1;

	s->vals[j] = 0;
	s->nopen--;
	for (size_t i = (j + 1) & mask; s->vals[i]; i = (i + 1) & mask) {
		size_t home = sd_mix64(s->keys[i]) & mask;
		/* move back if the hole lies between home and i */
		if ((i > j && (home <= j || home > i)) ||
		    (i < j && home <= j && home > i)) {
			s->keys[j] = s->keys[i];
			s->vals[j] = s->vals[i];
			s->vals[i] = 0;
			j = i;
		}
	}
}

/* Closes tid's open sleep: with a switch-in time, or 0 if unknown. */
static void close_open(struct sd_stalls *s, uint32_t tid, uint64_t t_in)
{
	if (!s->nopen)
		return;
	size_t j = slot_of(s, tid);
	if (!s->vals[j])
		return;
	struct sd_stall *st = &s->v[s->vals[j] - 1];
	st->open = false;
	st->t_in = t_in;
	open_del(s, j);
}

void sd_stalls_seen(struct sd_stalls *s, uint32_t tid, uint64_t time)
{
	if (!s->nopen)
		return;
	size_t j = slot_of(s, tid);
	if (!s->vals[j] || s->v[s->vals[j] - 1].t_out >= time)
		return;
	close_open(s, tid, 0);
}

int sd_stalls_switch(struct sd_stalls *s, uint64_t time, uint32_t pid,
		     uint32_t tid, bool prev_d, uint32_t next_tid,
		     uint32_t stack, uint32_t comm)
{
	/* prev was running, so an older sleep of it ended unseen */
	sd_stalls_seen(s, tid, time);
	if (next_tid)
		close_open(s, next_tid, time);
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
	s->v[s->n] = (struct sd_stall){time, 0, pid, tid, stack, comm, true};
	int err = open_put(s, tid, (uint32_t)s->n);
	if (err)
		return err;
	s->n++;
	return 0;
}
