/* SPDX-License-Identifier: MIT */
/*
 * The folded output's tokens (foldtok.h): the strings of the ids, the
 * variants of frame names that --folded-with kernel / jit and Java's
 * comms print, the compact index the sort and the text use, and the comm
 * parts of the lines.  folded.c builds the tree of lines from them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>
#include "stacks/foldtok.h"
#include "stacks/internal.h"

const char *fold_tok_str(const struct sd_folded *fo, uint32_t t)
{
	return t <= fo->nstrs ? sd_stacks_str(fo->st, t)
			      : sd_strpool_get(&fo->local, (uint32_t)(t - fo->nstrs));
}

/* The token of a string: the stacks' id when they have it, else one of
 * the output's own; 0 without memory. */
static uint32_t tok_intern(struct sd_folded *fo, const char *s, size_t len)
{
	uint32_t id = sd_strpool_find(&fo->st->strs, s, len);

	if (id)
		return id;
	id = sd_strpool_intern(&fo->local, s, len);
	return id ? (uint32_t)(fo->nstrs + id) : 0;
}

/* The token of a frame in a variant, made once per (variant, name); 0
 * without memory. */
uint32_t fold_variant_tok(struct sd_folded *fo, unsigned v,
			    const struct sd_frame *f)
{
	if (f->name > fo->nstrs)
		return 0; /* cannot happen: every name is the stacks' */
	if (!fo->vmemo[v] &&
	    !(fo->vmemo[v] = calloc(fo->nstrs + 1, sizeof *fo->vmemo[v])))
		return 0;
	uint32_t *t = &fo->vmemo[v][f->name];
	if (*t)
		return *t;
	/* the names stackcollapse-perf.pl prints: Java's without the 'L',
	 * then what --folded-with kernel / jit append */
	const char *name = sd_stacks_str(fo->st, f->name);
	const char *nm = v & 1 ? sd_fold_java_name("java", name) : name;
	const char *sfx = v & 2 ? "_[k]" : v & 4 && !strstr(nm, "_[j]") ? "_[j]"
									 : "";
	size_t l = strlen(nm), ls = strlen(sfx);
	if (nm == name && !ls && f->name)
		return *t = f->name;
	char small[256], *buf = l + ls < sizeof small ? small : malloc(l + ls + 1);
	if (!buf)
		return 0;
	memcpy(buf, nm, l);
	memcpy(buf + l, sfx, ls + 1);
	*t = tok_intern(fo, buf, l + ls);
	if (buf != small)
		free(buf);
	return *t;
}

/* The compact index of token t (0 up), given one on its first use with
 * its string and length (the sort keys and the text need them); -ENOMEM
 * for t 0 (no memory for it). */
long fold_use_tok_slow(struct sd_folded *fo, uint32_t t)
{
	if (!t)
		return -ENOMEM;
	if (t >= fo->ncix) {
		size_t n = fo->ncix * 2 > t + 1 ? fo->ncix * 2 : t + 1;
		uint32_t *c = realloc(fo->cix, n * sizeof *c);
		if (!c)
			return -ENOMEM;
		memset(c + fo->ncix, 0, (n - fo->ncix) * sizeof *c);
		fo->cix = c;
		fo->ncix = n;
	}
	if (fo->cix[t])
		return fo->cix[t] - 1;
	if (fo->nt == fo->capt) {
		size_t cap = fo->capt ? fo->capt * 2 : 1024;
		const char **s = realloc(fo->tstr, cap * sizeof *s);
		if (s)
			fo->tstr = s;
		uint32_t *l = realloc(fo->tlen, cap * sizeof *l);
		if (l)
			fo->tlen = l;
		if (!s || !l)
			return -ENOMEM;
		fo->capt = cap;
	}
	const char *s = fold_tok_str(fo, t);
	size_t len = strlen(s);
	fo->tstr[fo->nt] = s;
	fo->tlen[fo->nt] = (uint32_t)len;
	fo->semicolon |= memchr(s, ';', len) != NULL;
	fo->cix[t] = (uint32_t)++fo->nt;
	return (long)fo->nt - 1;
}

/* ---- comm parts ------------------------------------------------------ */

/* 1 with *out the folded comm, 0 if stackcollapse drops it, or -ENOMEM. */
static int memo_comm(struct fold_comm_memo *cm, const struct sd_machine *m,
		     uint32_t comm, const char **out)
{
	if (comm >= cm->n) {
		size_t n = cm->n ? cm->n : 256;
		while (n <= comm)
			n *= 2;
		uint32_t *at = realloc(cm->at, n * sizeof *at);
		if (!at)
			return -ENOMEM;
		memset(at + cm->n, 0, (n - cm->n) * sizeof *at);
		cm->at = at;
		cm->n = n;
	}
	if (!cm->at[comm]) {
		char pname[80];
		if (!sd_fold_comm(sd_machine_comm_str(m, comm), 1, 1, pname,
				  sizeof pname)) {
			cm->at[comm] = 1;
		} else {
			size_t l = strlen(pname) + 1;
			if (cm->len + l > cm->cap) {
				size_t cap = cm->cap ? cm->cap * 2 : 4096;
				char *b = realloc(cm->buf, cap);
				if (!b)
					return -ENOMEM;
				cm->buf = b;
				cm->cap = cap;
			}
			memcpy(cm->buf + cm->len, pname, l);
			cm->at[comm] = (uint32_t)(2 + cm->len);
			cm->len += l;
		}
	}
	if (cm->at[comm] == 1)
		return 0;
	*out = cm->buf + (cm->at[comm] - 2);
	return 1;
}

/* "-PID" or "-PID/TID" after the comm (SD_STACK_NO_PID prints "?", as
 * the script does when perf script printed no pid). */
static void comm_suffix(char *out, size_t cap, unsigned with, uint32_t pid,
			uint32_t tid)
{
	char p[16];

	/* the script's "if (not $tid) { $tid = $pid; $pid = "?" }": a tid
	 * of 0 (swapper's 0/0) is false in Perl */
	if (pid != SD_STACK_NO_PID && tid == 0) {
		tid = pid;
		pid = SD_STACK_NO_PID;
	}
	if (pid == SD_STACK_NO_PID)
		strcpy(p, "?");
	else
		snprintf(p, sizeof p, "%u", pid);
	if (with & SD_FOLD_TID)
		snprintf(out, cap, "-%s/%u", p, tid);
	else if (with & SD_FOLD_PID)
		snprintf(out, cap, "-%s", p);
	else
		out[0] = '\0';
}

long fold_comm_tok_slow(struct sd_folded *fo, struct fold_comms *fc,
			const struct sd_machine *m,
			const struct sd_stack_info *si, unsigned with,
			bool *java)
{
	bool threads = with & (SD_FOLD_PID | SD_FOLD_TID);
	const char *pname;
	int ok = memo_comm(&fc->cm, m, si->comm, &pname);
	if (ok < 0)
		return ok;
	long t = 0;
	*java = ok && !strncmp(pname, "java", 4);
	if (ok) {
		char sfx[48], buf[128];
		comm_suffix(sfx, sizeof sfx, with, si->pid, si->tid);
		int n = snprintf(buf, sizeof buf, "%s%s", pname, sfx);
		t = tok_intern(fo, buf, (size_t)n);
		if (!t || t >= 0x7fffffff)
			return -ENOMEM;
	}
	if (!threads) {
		if (si->comm >= fc->nby) {
			size_t n = fc->nby ? fc->nby : 256;
			while (n <= si->comm)
				n *= 2;
			uint32_t *v = realloc(fc->by_comm, n * sizeof *v);
			if (!v)
				return -ENOMEM;
			memset(v + fc->nby, 0, (n - fc->nby) * sizeof *v);
			fc->by_comm = v;
			fc->nby = n;
		}
		fc->by_comm[si->comm] = !ok ? UINT32_MAX
				       : (uint32_t)t | (*java ? 0x80000000u : 0);
	}
	return t;
}

void fold_comms_fini(struct fold_comms *fc)
{
	free(fc->cm.at);
	free(fc->cm.buf);
	free(fc->by_comm);
}
