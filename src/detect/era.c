/* SPDX-License-Identifier: MIT */
/*
 * The kernel era from the frame names, for inputs that do not say their
 * kernel release (perf script / report text, folded stacks, perf.data
 * without OSRELEASE).  Each marker name (tables.c) dates the kernel to a
 * range of releases; the era that most of the markers present agree with
 * wins.  Names that fit several eras equally well give the newest of
 * them only if they all call for the same remedies (the evidence says
 * which fit), else leave the era unknown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/findings.h"
#include "detect/tables.h"

static int marker_of(const char *name)
{
	for (size_t i = 0; i < sd_nr_era_markers; i++)
		if (!strcmp(sd_era_markers[i].func, name))
			return (int)i;
	return -1;
}

/* How many of the marker names present fit era e. */
static size_t era_score(const bool *present, size_t e)
{
	size_t score = 0;

	for (size_t m = 0; m < sd_nr_era_markers; m++)
		score += present[m] && sd_era_markers[m].from <= sd_eras[e].to &&
			 sd_era_markers[m].to >= sd_eras[e].from;
	return score;
}

static bool same_remedies(const struct sd_era *a, const struct sd_era *b)
{
	size_t i = 0;

	for (; a->remedies[i] && b->remedies[i]; i++)
		if (strcmp(a->remedies[i], b->remedies[i]))
			return false;
	return !a->remedies[i] && !b->remedies[i];
}

int sd_era_from_frames(const struct sd_stacks *st, const struct sd_era **era,
		       char *evidence, size_t len)
{
	size_t nst = sd_stacks_count(st), cap = 0;
	unsigned char *seen = NULL; /* by string id: 1 looked up */
	bool present[64] = {false};
	int err = 0;

	*era = NULL;
	if (len)
		evidence[0] = '\0';
	if (sd_nr_era_markers > sizeof present / sizeof *present)
		return -EINVAL;
	for (size_t i = 0; i < nst; i++) {
		struct sd_stack_info si;
		sd_stacks_get(st, i, &si);
		for (size_t f = 0; f < si.nr_frames; f++) {
			uint32_t id = si.frames[f].name;
			if (!si.frames[f].kernel)
				continue;
			if (id >= cap) {
				size_t n = cap ? cap : 1024;
				while (n <= id)
					n *= 2;
				unsigned char *v = realloc(seen, n);
				if (!v) {
					err = -ENOMEM;
					goto out;
				}
				memset(v + cap, 0, n - cap);
				seen = v;
				cap = n;
			}
			if (seen[id])
				continue;
			seen[id] = 1;
			int m = marker_of(sd_stacks_str(st, id));
			if (m >= 0)
				present[m] = true;
		}
	}
	size_t best = 0, nbest = 0, score_best = 0;
	for (size_t e = 0; e < sd_nr_eras; e++) {
		size_t score = era_score(present, e);
		if (score > score_best) {
			score_best = score;
			best = e;
			nbest = 1;
		} else if (score && score == score_best) {
			nbest++;
		}
	}
	if (!score_best)
		goto out;
	/* several eras fit alike: only if they call for the same remedies,
	 * the newest of them, saying which ones fit */
	size_t first = best;
	if (nbest > 1) {
		for (size_t e = 0; e < sd_nr_eras; e++) {
			if (era_score(present, e) != score_best)
				continue;
			if (!same_remedies(&sd_eras[e], &sd_eras[best]))
				goto out;
			if (e < first)
				first = e;
			best = e; /* the last (newest) tied one */
		}
	}
	*era = &sd_eras[best];
	/* the names that agree with it, as evidence */
	size_t o = 0, shown = 0;
	if (first != best && len)
		o += (size_t)snprintf(evidence, len, "fitting %s to %s alike: ",
				      sd_eras[first].name, sd_eras[best].name);
	for (size_t m = 0; m < sd_nr_era_markers && len; m++) {
		if (!present[m] || sd_era_markers[m].from > sd_eras[best].to ||
		    sd_era_markers[m].to < sd_eras[best].from)
			continue;
		if (shown == 4) {
			if (o < len)
				o += (size_t)snprintf(evidence + o, len - o, ", ...");
			break;
		}
		if (o < len)
			o += (size_t)snprintf(evidence + o, len - o, "%s%s",
					      shown ? ", " : "",
					      sd_era_markers[m].func);
		shown++;
	}
out:
	free(seen);
	return err;
}
