/* SPDX-License-Identifier: MIT */
/*
 * Per-frame marks: which frames of each stack a reported finding's
 * pattern covers, worked out once here so that reports (the flame
 * graph's colours) render them and match nothing themselves.
 *
 * The match flags only accumulate from the root to the leaf (match.c), so
 * the first frame whose prefix has all of a pattern's flags is where one
 * walk of the frames first has them (sd_match_first: a bisection over
 * prefixes walked each prefix whole, 1.0 M instructions more on kstorm);
 * the finding's context (the fork page-table copy above swap_duplicate,
 * the teardown above free_swap_and_cache) starts at the first frame
 * whose prefix has the context's flags.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/findings.h"
#include "detect/marks.h"
#include "detect/match.h"

/* The patterns that sit at a frame: the swap-entry findings on the
 * on-CPU event's stacks, the lock stalls on sched_switch's. */
static const struct rule {
	enum sd_finding_kind kind;
	bool on_cpu;
	unsigned want, context; /* SD_M_* of the pattern, of its context */
} rules[] = {
	{SD_FIND_SWAP_DUP_FORK, true, SD_M_FORK_COPY | SD_M_SWAP_DUP,
	 SD_M_FORK_COPY},
	{SD_FIND_SWAP_FREE_EXEC, true, SD_M_TEARDOWN | SD_M_SWAP_FREE,
	 SD_M_TEARDOWN},
	{SD_FIND_MMAP_LOCK_STALL, false, SD_M_RWSEM_READ | SD_M_MM_READER, 0},
	{SD_FIND_EXEC_LOCK_STALL, false, SD_M_RWSEM_READ | SD_M_EXEC_LOCK, 0},
};

/* The first frame whose prefix has all of flags (the whole stack has
 * them), in one walk (match.c). */
static size_t first_frame(const struct sd_stacks *st,
			  const struct sd_stack_info *si, unsigned flags,
			  struct sd_match_cache *mc)
{
	return sd_match_first(st, si, mc, flags) - 1;
}

int make_marks(const struct sd_stacks *st, const unsigned *match,
	       const struct marks_scope *sc, struct sd_frame_mark **out,
	       size_t *nout)
{
	struct sd_match_cache mc = {0};
	struct sd_frame_mark *v = NULL;
	size_t n = 0, cap = 0;

	/* the flags a stack needs for any rule of a finding found */
	unsigned any = 0;
	for (size_t r = 0; r < sizeof rules / sizeof *rules; r++)
		if (sc->found & 1u << rules[r].kind)
			any |= rules[r].want;
	for (size_t i = 0, nst = sd_stacks_count(st); any && i < nst; i++) {
		struct sd_stack_info si;
		if (match && !(match[i] & any))
			continue;
		if (sd_stacks_get(st, i, &si) || !si.nr_frames)
			continue;
		bool on_cpu = si.evsel < sc->nr_evsels && sc->on_cpu[si.evsel];
		bool stall = sc->has_switch && si.evsel == sc->switch_evsel;
		if (!on_cpu && !stall)
			continue;
		unsigned m = match ? match[i] : sd_match_stack(st, &si, &mc);
		for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
			const struct rule *ru = &rules[r];
			if (!(sc->found & 1u << ru->kind) ||
			    (ru->on_cpu ? !on_cpu : !stall) ||
			    (m & ru->want) != ru->want)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				struct sd_frame_mark *nv =
					realloc(v, cap * sizeof *nv);
				if (!nv) {
					free(v);
					sd_match_cache_fini(&mc);
					return -ENOMEM;
				}
				v = nv;
			}
			size_t from = first_frame(st, &si, ru->want, &mc);
			size_t ctx = ru->context ? first_frame(st, &si,
							       ru->context, &mc)
						 : from;
			v[n++] = (struct sd_frame_mark){
				.stack = (uint32_t)i, .finding = ru->kind,
				.context = (uint32_t)ctx, .match = (uint32_t)from,
			};
		}
	}
	sd_match_cache_fini(&mc);
	*out = v;
	*nout = n;
	return 0;
}

int diagnose_marks(const struct sd_detect_input *a, struct sd_diagnosis *d,
		   const unsigned *match)
{
	struct marks_scope sc = {0};
	size_t nev = a->nr_evsels;
	int err;

	for (size_t i = 0; i < d->nr_findings; i++)
		sc.found |= 1u << d->findings[i].kind;
	/* the reports pick events by name: every event of the on-CPU
	 * event's name draws its marks */
	for (size_t i = 0; i < nev; i++) {
		const struct sd_evsel *ev = a->evsels[i];
		if (ev && ev->index >= sc.nr_evsels)
			sc.nr_evsels = ev->index + 1;
	}
	bool *on_cpu = calloc(sc.nr_evsels ? sc.nr_evsels : 1, sizeof *on_cpu);
	if (!on_cpu)
		return -ENOMEM;
	for (size_t i = 0; i < nev && d->on_cpu_event; i++) {
		const struct sd_evsel *ev = a->evsels[i];
		if (ev && ev->name && !strcmp(ev->name, d->on_cpu_event))
			on_cpu[ev->index] = true;
	}
	sc.on_cpu = on_cpu;
	const struct sd_evsel *sw = switch_evsel(a);
	sc.has_switch = sw != NULL;
	sc.switch_evsel = sw ? sw->index : 0;
	err = make_marks(a->stacks, match, &sc, &d->marks, &d->nr_marks);
	free(on_cpu);
	return err;
}

const struct sd_frame_mark *sd_diagnosis_marks(const struct sd_diagnosis *d,
					       uint32_t stack, size_t *n)
{
	size_t lo = 0, hi = d ? d->nr_marks : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->marks[mid].stack < stack)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < (d ? d->nr_marks : 0) && d->marks[end].stack == stack)
		end++;
	*n = end - lo;
	return *n ? &d->marks[lo] : NULL;
}
