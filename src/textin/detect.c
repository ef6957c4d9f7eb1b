/* SPDX-License-Identifier: MIT */
/*
 * Which text is it?  Only the first lines are looked at (64 KiB, 200
 * lines with content), and every rule asks for the shape perf gives its
 * output, so that a README, a log or a binary file is none of them:
 *
 *   perf report   a "# Overhead"/"# Children" title or a "# Samples: ... of
 *                 event" line, or the first content line is an entry
 *                 ("  29.39%  comm ...");
 *   perf script   the first content line is a sample header (comm, pid,
 *                 then a time or an event), or such a header's fields
 *                 before a side-band record (PERF_RECORD_FORK..., from
 *                 --show-task-events), as script.c reads it;
 *   folded        nine in ten content lines end in " <count>" and start
 *                 with a name, at least one has a ';'.
 *
 * A NUL byte means binary data: never text.
 */
#include <string.h>

#include "textin/internal.h"

#define DETECT_BYTES 65536
#define DETECT_LINES 200

const char *sd_text_kind_name(enum sd_text_kind k)
{
	switch (k) {
	case SD_TEXT_PERF_SCRIPT:
		return "perf-script";
	case SD_TEXT_FOLDED:
		return "folded";
	case SD_TEXT_PERF_REPORT:
		return "perf-report";
	default:
		return "unknown";
	}
}

static bool report_title(const char *s, size_t n)
{
	static const char *const t[] = {"Overhead", "Children", "Samples:"};
	size_t i = 1;

	while (i < n && s[i] == ' ')
		i++;
	for (size_t k = 0; k < sizeof t / sizeof *t; k++) {
		size_t l = strlen(t[k]);
		if (n - i >= l && !memcmp(s + i, t[k], l))
			return k < 2 || memmem(s, n, "of event", 8) != NULL;
	}
	return false;
}

static bool report_entry(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	size_t b = i;
	while (i < n && sd_tis_digit(s[i]))
		i++;
	if (i == b || i >= n || s[i] != '.')
		return false;
	i++;
	size_t d = i;
	while (i < n && sd_tis_digit(s[i]))
		i++;
	return i > d && i + 1 < n && s[i] == '%' && s[i + 1] == ' ';
}

static bool folded_line(const char *s, size_t n, bool *semi)
{
	while (n && sd_tis_space(s[n - 1]))
		n--;
	size_t sp = n;
	while (sp && s[sp - 1] != ' ')
		sp--;
	uint64_t v;
	if (!sp || sp == n || sd_tis_space(s[0]) || !sd_tparse_u64(s + sp, n - sp, &v))
		return false;
	*semi = memchr(s, ';', sp) != NULL;
	return true;
}

/* perf script's header rule, without the rest of its parser */
static bool script_header(const char *s, size_t n);

enum sd_text_kind sd_text_detect(const void *buf, size_t len)
{
	struct sd_tlines it;
	struct sd_tline ln;
	size_t content = 0, folded = 0;
	bool any_semi = false, first = true;
	enum sd_text_kind first_kind = SD_TEXT_UNKNOWN;

	if (!buf || !len)
		return SD_TEXT_UNKNOWN;
	size_t look = len < DETECT_BYTES ? len : DETECT_BYTES;
	if (memchr(buf, '\0', look))
		return SD_TEXT_UNKNOWN;
	sd_tlines_init(&it, buf, look);
	while (content < DETECT_LINES && sd_tlines_next(&it, &ln)) {
		/* a line cut by the window is not judged */
		if (it.off >= look && look < len)
			break;
		size_t i = 0;
		while (i < ln.n && sd_tis_space(ln.s[i]))
			i++;
		if (i == ln.n)
			continue;
		if (ln.s[0] == '#') {
			if (report_title(ln.s, ln.n))
				return SD_TEXT_PERF_REPORT;
			continue;
		}
		content++;
		bool semi = false;
		if (folded_line(ln.s, ln.n, &semi)) {
			folded++;
			any_semi |= semi;
		}
		if (first) {
			first = false;
			if (report_entry(ln.s, ln.n))
				first_kind = SD_TEXT_PERF_REPORT;
			else if (script_header(ln.s, ln.n))
				first_kind = SD_TEXT_PERF_SCRIPT;
		}
	}
	if (first_kind != SD_TEXT_UNKNOWN)
		return first_kind;
	if (content && any_semi && folded * 10 >= content * 9)
		return SD_TEXT_FOLDED;
	return SD_TEXT_UNKNOWN;
}

/* A minimal sample to see whether a line is a perf script header: the
 * parser itself decides; the callbacks only count. */
static int count_sample(void *arg, const struct sd_text_sample *s)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static bool script_header(const char *s, size_t n)
{
	struct sd_text_result res;
	int seen = 0;
	struct sd_text_ops ops = {.sample = count_sample, .arg = &seen};

	if (sd_tis_space(s[0]) && !memchr(s, ':', n))
		return false;
	return !sd_text_parse_perf_script(s, n, &ops, NULL, &res) &&
	       seen + res.records == 1 && !res.bad_lines;
}

int sd_text_parse(enum sd_text_kind kind, const void *buf, size_t len,
		  const struct sd_text_ops *ops, struct sd_diags *diags,
		  struct sd_text_result *res)
{
	switch (kind) {
	case SD_TEXT_PERF_SCRIPT:
		return sd_text_parse_perf_script(buf, len, ops, diags, res);
	case SD_TEXT_FOLDED:
		return sd_text_parse_folded(buf, len, ops, diags, res);
	case SD_TEXT_PERF_REPORT:
		return sd_text_parse_perf_report(buf, len, ops, diags, res);
	default:
		return -SD_E_BAD_MAGIC;
	}
}
