/* SPDX-License-Identifier: MIT */
/*
 * What the recording shows about its kernel, gathered for the symbols
 * stage's check of the kernel symbols (symbols/kcheck.c): the sampled
 * kernel IPs (the first SD_KVERIFY_MAX_IPS, a bounded copy while reading)
 * and, after symbolization, where each kernel call chain starts (the
 * stacks' event looked up when it changes: kstorm -0.15 M instructions;
 * a long user part skipped sixteen frames a step, sd_user_run(): dso
 * -1.9 M).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/perf_abi.h>

#include "analysis/kverify.h"

void sd_kverify_keep(struct sd_analysis *a, uint64_t ip)
{
	if (!a->kernel_ips) {
		a->kernel_ips = malloc(SD_KVERIFY_MAX_IPS * sizeof *a->kernel_ips);
		if (!a->kernel_ips) {
			a->nr_kernel_ips = SD_KVERIFY_MAX_IPS; /* stop trying */
			return;
		}
	}
	a->kernel_ips[a->nr_kernel_ips++] = ip;
}

#define ODD_SLOTS 32
#define IP_SLOTS (2 * SD_KVERIFY_MAX_IPS) /* a power of two, half full */

/*
 * The kept IPs of the core kernel (those in a module's map are not its
 * text), each distinct one located once: a few hundred decide where
 * thousands of samples were.  The array keeps every sample (the check
 * counts samples), rewritten with equal IPs next to each other so the
 * check looks each address up once.  Returns how many are kept.
 */
static size_t group_core_ips(struct sd_analysis *a)
{
	size_t nr = a->nr_kernel_ips < SD_KVERIFY_MAX_IPS ? a->nr_kernel_ips
							  : SD_KVERIFY_MAX_IPS;
	/* 48 KiB on the stack, once: an allocation that could fail would
	 * have to fall back to locating every IP */
	uint16_t slot[IP_SLOTS] = {0}; /* index into the distinct ones + 1 */
	uint16_t count[SD_KVERIFY_MAX_IPS];
	uint64_t *ips = a->kernel_ips;
	size_t d = 0, n = 0;

	if (!ips)
		return 0;
	/* the distinct IPs move to the front, in first-seen order */
	for (size_t i = 0; i < nr; i++) {
		uint64_t ip = ips[i];
		size_t h = (size_t)((ip * 0x9e3779b97f4a7c15ull) >> 32) &
			   (IP_SLOTS - 1);
		while (slot[h] && ips[slot[h] - 1] != ip)
			h = (h + 1) & (IP_SLOTS - 1);
		if (slot[h]) {
			count[slot[h] - 1]++;
			continue;
		}
		slot[h] = (uint16_t)(d + 1);
		count[d] = 1;
		ips[d++] = ip;
	}
	for (size_t j = 0; j < d; j++) {
		struct sd_location loc;
		sd_machine_locate(a->machine, 0, 0, SD_MISC_KERNEL, ips[j],
				  &loc);
		if (loc.map_name && strcmp(loc.map_name, "[kernel.kallsyms]"))
			count[j] = 0;
		n += count[j];
	}
	/* back to one per sample, from the end: run j starts at or after
	 * index j, so it never overwrites a distinct IP still to be read */
	for (size_t j = d, end = n; j-- > 0;)
		for (uint16_t c = count[j]; c; c--)
			ips[--end] = ips[j];
	return n;
}

void sd_kverify_finish(struct sd_analysis *a)
{
	struct sd_kernel_evidence ev = {0};
	struct odd_outer {
		uint32_t name;
		uint64_t n;
	} odd[ODD_SLOTS];
	size_t nodd = 0;

	if (!a->symbolizer || !a->reader)
		return;
	/* by string id: 0 not looked at, 1 an entry point, 2 not one */
	size_t nids = sd_stacks_nr_strs(a->stacks) + 1;
	uint8_t *entry = calloc(nids, 1);
	/* the last stack's event, looked up again only when it changes */
	const struct sd_evsel *e = NULL;
	unsigned e_index = UINT_MAX;
	for (size_t i = 0, nst = sd_stacks_count(a->stacks); i < nst; i++) {
		struct sd_stack_info si;
		if (sd_stacks_get(a->stacks, i, &si))
			continue;
		if (si.evsel != e_index) {
			e = sd_analysis_evsel(a, si.evsel);
			e_index = si.evsel;
		}
		if (!e || !(e->sample_type & SD_SAMPLE_CALLCHAIN))
			continue;
		/* root first: the first kernel frame is the outermost */
		size_t f = sd_user_run(si.frames, si.nr_frames);
		while (f < si.nr_frames && !si.frames[f].kernel)
			f++;
		if (f == si.nr_frames)
			continue;
		uint32_t name = si.frames[f].name;
		ev.chains += si.count;
		bool at_entry;
		if (entry && name < nids) {
			if (!entry[name])
				entry[name] = sd_kernel_entry_point(
						sd_stacks_str(a->stacks, name)) ? 1 : 2;
			at_entry = entry[name] == 1;
		} else {
			at_entry = sd_kernel_entry_point(sd_stacks_str(a->stacks,
								       name));
		}
		if (at_entry) {
			ev.chains_at_entry += si.count;
			continue;
		}
		size_t k = 0;
		while (k < nodd && odd[k].name != name)
			k++;
		if (k == nodd && nodd < ODD_SLOTS)
			odd[nodd++] = (struct odd_outer){name, 0};
		if (k < nodd)
			odd[k].n += si.count;
	}
	free(entry);
	uint64_t best = 0;
	for (size_t k = 0; k < nodd; k++)
		if (odd[k].n > best) {
			best = odd[k].n;
			ev.odd_outer = sd_stacks_str(a->stacks, odd[k].name);
		}
	ev.nr_ips = group_core_ips(a);
	ev.ips = a->kernel_ips;
	sd_symbolizer_verify_kernel(a->symbolizer, &ev);
}

const struct sd_kernel_symbols *
sd_analysis_kernel_symbols(const struct sd_analysis *a)
{
	static const struct sd_kernel_symbols text = {
		.source = SD_KSYM_NONE,
		.matches = -1,
		.evidence = "text input: its frames were named when the text "
			    "was made",
	}, off = {
		.source = SD_KSYM_NONE,
		.matches = -1,
		.evidence = "symbol lookup was turned off",
	};

	if (a->symbolizer)
		return sd_symbolizer_kernel_symbols(a->symbolizer);
	return a->reader ? &off : &text;
}
