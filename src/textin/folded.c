/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks: "comm;root;...;leaf count" per line (FOLDED.md), as
 * swapdiag --folded and stackcollapse-perf.pl write them.  The first field
 * is the process name, with stackcollapse's --pid/--tid suffix
 * "comm-PID" or "comm-PID/TID" read as the pid.  Frames annotated by
 * stackcollapse --kernel ("name_[k]") are kernel frames (the suffix is
 * dropped); otherwise sd_text_mark_kernel() decides.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "textin/internal.h"

/* "comm-1234" or "comm-1234/1235": the pid (and tid) suffix */
static bool has_pid_suffix(const char *s, size_t n)
{
	size_t i = n;
	while (i && (sd_tis_digit(s[i - 1]) || s[i - 1] == '/'))
		i--;
	return i > 1 && i < n && s[i - 1] == '-' && sd_tis_digit(s[i]);
}

/*
 * stackcollapse --pid/--tid suffixes every process name; a comm of its own
 * may end in "-8" too ("jbd2/vda1-8"), so the suffix is read as a pid only
 * if the first lines all have one.
 */
static bool pid_suffixes(const void *buf, size_t len)
{
	struct sd_tlines it;
	struct sd_tline ln;
	size_t seen = 0;

	sd_tlines_init(&it, buf, len);
	while (seen < 1000 && sd_tlines_next(&it, &ln)) {
		if (!ln.n || ln.s[0] == '#')
			continue;
		const char *semi = memchr(ln.s, ';', ln.n);
		const char *sp = memchr(ln.s, ' ', ln.n);
		const char *e = semi && (!sp || semi < sp) ? semi : sp;
		if (!e || !has_pid_suffix(ln.s, (size_t)(e - ln.s)))
			return false;
		seen++;
	}
	return seen > 0;
}

static void split_pid(char *comm, uint32_t *pid, uint32_t *tid)
{
	char *dash = strrchr(comm, '-');
	uint64_t p, t;

	*pid = *tid = SD_TEXT_NO_PID;
	if (!dash || dash == comm)
		return;
	char *slash = strchr(dash, '/');
	size_t pn = slash ? (size_t)(slash - dash - 1) : strlen(dash + 1);
	if (!sd_tparse_u64(dash + 1, pn, &p) || p >= UINT32_MAX)
		return;
	if (slash) {
		if (!sd_tparse_u64(slash + 1, strlen(slash + 1), &t) ||
		    t >= UINT32_MAX)
			return;
		*tid = (uint32_t)t;
	} else {
		*tid = (uint32_t)p;
	}
	*pid = (uint32_t)p;
	*dash = '\0';
}

int sd_text_parse_folded(const void *buf, size_t len,
			 const struct sd_text_ops *ops, struct sd_diags *diags,
			 struct sd_text_result *res)
{
	struct sd_text_result local;
	struct sd_tlines it;
	struct sd_tline ln;
	struct sd_tnames fr = {0};
	char comm[256];
	int err = 0;

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	res->kind = SD_TEXT_FOLDED;
	bool pids = pid_suffixes(buf, len);
	sd_tlines_init(&it, buf, len);
	while (!err && sd_tlines_next(&it, &ln)) {
		const char *s = ln.s;
		size_t n = ln.n;
		uint64_t count;

		res->lines++;
		while (n && sd_tis_space(s[n - 1]))
			n--;
		if (!n)
			continue;
		if (s[0] == '#') {
			err = sd_theader_line(s, n, ops);
			continue;
		}
		size_t sp = n;
		while (sp && s[sp - 1] != ' ' && s[sp - 1] != '\t')
			sp--;
		if (!sp || !sd_tparse_u64(s + sp, n - sp, &count)) {
			sd_tbad_line(diags, res, &ln,
				     "not a folded stack (comm;frame;... count)");
			continue;
		}
		/* sums of counts must not wrap */
		if (count > SD_TEXT_MAX_COUNT) {
			sd_tbad_line(diags, res, &ln, "a count beyond 2^48");
			continue;
		}
		/* one blank before the count: a frame may end in a space
		 * ("[unknown] " of a deleted DSO) */
		size_t sn = sp - 1;
		const char *semi = memchr(s, ';', sn);
		size_t cn = semi ? (size_t)(semi - s) : sn;
		if (!cn) {
			sd_tbad_line(diags, res, &ln, "a folded stack without a "
						      "process name");
			continue;
		}
		if (cn >= sizeof comm)
			cn = sizeof comm - 1;
		for (size_t i = 0; i < cn; i++)
			comm[i] = s[i] ? s[i] : '?';
		comm[cn] = '\0';
		uint32_t pid = SD_TEXT_NO_PID, tid = SD_TEXT_NO_PID;
		if (pids)
			split_pid(comm, &pid, &tid);

		sd_tnames_reset(&fr);
		bool annotated = false;
		for (const char *p = semi; p && !err;) {
			const char *b = p + 1, *e = memchr(b, ';', (size_t)(s + sn - b));
			size_t fl = e ? (size_t)(e - b) : (size_t)(s + sn - b);
			bool k = fl > 4 && !memcmp(b + fl - 4, "_[k]", 4);
			annotated |= k;
			if (fl)
				err = sd_tnames_push(&fr, b, k ? fl - 4 : fl, k);
			p = e;
		}
		if (err)
			break;
		const char *const *frames;
		if ((err = sd_tnames_ptrs(&fr, &frames)))
			break;
		if (!annotated)
			sd_text_mark_kernel(frames, fr.kern, fr.n, -1);
		if (fr.truncated && diags)
			sd_diags_add(diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
				     "line %llu: a stack of more than %u frames "
				     "was cut", (unsigned long long)ln.no,
				     SD_TEXT_MAX_FRAMES);
		struct sd_text_sample smp = {
			.event = "",
			.comm = comm,
			.pid = pid,
			.tid = tid,
			.count = count,
			.weight = count,
			.frames = frames,
			.kernel = fr.kern,
			.nr_frames = fr.n,
			.line = ln.no,
			.offset = ln.off,
		};
		res->samples++;
		err = ops->sample(ops->arg, &smp);
	}
	sd_tnames_fini(&fr);
	return err;
}
