/* SPDX-License-Identifier: MIT */
/* What /proc/self/smaps says of the mapping holding an address. */
#ifndef SD_TEST_SMAPS_H
#define SD_TEST_SMAPS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Whether the mapping holding p is advised for huge pages ("hg" among
 * its VmFlags): 1, 0, or -1 when it cannot be told. */
static inline int test_advised_huge(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

#endif
