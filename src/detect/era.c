/* SPDX-License-Identifier: MIT */
/*
 * The kernel era from the frame names, for inputs that do not say their
 * kernel release (perf script / report text, folded stacks, perf.data
 * without OSRELEASE).  Each marker name (tables.c) dates the kernel to a
 * range of releases; the era that most of the markers present agree with
 * wins, and only a single winner counts: names that fit several eras
 * equally well leave the era unknown.
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
		size_t score = 0;
		for (size_t m = 0; m < sd_nr_era_markers; m++)
			score += present[m] &&
				 sd_era_markers[m].from <= sd_eras[e].to &&
				 sd_era_markers[m].to >= sd_eras[e].from;
		if (score > score_best) {
			score_best = score;
			best = e;
			nbest = 1;
		} else if (score && score == score_best) {
			nbest++;
		}
	}
	if (!score_best || nbest != 1)
		goto out;
	*era = &sd_eras[best];
	/* the names that agree with it, as evidence */
	size_t o = 0, shown = 0;
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
