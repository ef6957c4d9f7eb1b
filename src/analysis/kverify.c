/* SPDX-License-Identifier: MIT */
/*
 * What the recording shows about its kernel, gathered for the symbols
 * stage's check of the kernel symbols (symbols/kcheck.c): the sampled
 * kernel IPs (the first SD_KVERIFY_MAX_IPS, a bounded copy while reading)
 * and, after symbolization, where each kernel call chain starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
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
	for (size_t i = 0, nst = sd_stacks_count(a->stacks); i < nst; i++) {
		struct sd_stack_info si;
		if (sd_stacks_get(a->stacks, i, &si))
			continue;
		const struct sd_evsel *e = sd_analysis_evsel(a, si.evsel);
		if (!e || !(e->sample_type & SD_SAMPLE_CALLCHAIN))
			continue;
		/* root first: the first kernel frame is the outermost */
		size_t f = 0;
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
	/* IPs in a module's map are not the core kernel's text */
	size_t n = 0;
	for (size_t i = 0; a->kernel_ips && i < a->nr_kernel_ips &&
			   i < SD_KVERIFY_MAX_IPS; i++) {
		struct sd_location loc;
		sd_machine_locate(a->machine, 0, 0, SD_MISC_KERNEL,
				  a->kernel_ips[i], &loc);
		if (loc.map_name && strcmp(loc.map_name, "[kernel.kallsyms]"))
			continue;
		a->kernel_ips[n++] = a->kernel_ips[i];
	}
	ev.ips = a->kernel_ips;
	ev.nr_ips = n;
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
