/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "util/cursor.h"

char *sd_strndup_clean(const uint8_t *p, size_t n, size_t max)
{
	const uint8_t *nul = memchr(p, 0, n);
	size_t len = nul ? (size_t)(nul - p) : n;
	char *s;

	if (len > max)
		len = max;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/*
 * On disk (tools/perf/util/header.c do_write_string):
 *	struct perf_header_string {
 *		u32 len;	   bytes that follow, NUL padding included
 *		char string[len];
 *	};
 */
int sd_cur_perf_string(struct sd_cursor *c, size_t max, char **out)
{
	uint32_t len;
	const uint8_t *p;
	char *s;
	int err;

	err = sd_cur_u32(c, &len);
	if (err)
		return err;
	err = sd_cur_bytes(c, len, &p);
	if (err)
		return err;
	s = sd_strndup_clean(p, len, max);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}
