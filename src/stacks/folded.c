/* SPDX-License-Identifier: MIT */
/*
 * Folded output: every distinct symbolized stack of one event becomes
 * "comm;root;...;leaf", lines that fold to the same text are merged, and
 * the result is sorted as stackcollapse-perf.pl sorts its keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>
#include "stacks/internal.h"
#include "util/vmem.h"

static int line_cmp(const void *a, const void *b)
{
	const struct sd_folded_line *x = a, *y = b;
	return strcmp(x->stack, y->stack);
}

/*
 * The folded comm of each comm id, made once: sd_fold_comm() formats
 * "comm pid/tid" and applies stackcollapse's header expression, some 2k
 * instructions, and a recording has ~100k distinct stacks but only a few
 * thousand comms.
 */
struct comm_memo {
	uint32_t *at; /* by comm id: 0 not made yet, 1 dropped, else 2 + offset */
	size_t n;
	char *buf;
	size_t len, cap;
};

/* 1 with *out the folded comm, 0 if stackcollapse drops it, or -ENOMEM. */
static int memo_comm(struct comm_memo *cm, const struct sd_machine *m,
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

/*
 * The line of each (comm, frame sequence) already folded: symbolization
 * stores each distinct frame sequence once (stacks.c share_frames), so
 * stacks with equal comm and frames pointer give the same line, and the
 * string need not be built, hashed and compared again.
 */
struct seq_memo {
	struct seq_slot {
		uint32_t comm, off, n;
		uint32_t line; /* index + 1; 0: empty */
		uint32_t pid, tid; /* with SD_FOLD_PID / SD_FOLD_TID */
	} *v;
	size_t nslots, n;
};

static size_t seq_home(uint32_t comm, uint32_t off, uint32_t n, uint32_t pid,
		       uint32_t tid, size_t mask)
{
	return sd_mix64((uint64_t)comm << 32 ^ off ^ (uint64_t)n << 20 ^
			sd_mix64((uint64_t)pid << 32 | tid)) &
	       mask;
}

/* The slot of (comm, off, n, pid, tid): its line, or the empty slot to
 * fill. */
static struct seq_slot *seq_find(struct seq_memo *sm, uint32_t comm,
				 uint32_t off, uint32_t n, uint32_t pid,
				 uint32_t tid)
{
	if ((sm->n + 1) * 2 > sm->nslots) {
		size_t ns = sm->nslots ? sm->nslots * 2 : 4096;
		struct seq_slot *v = sd_vmem_zalloc(ns * sizeof *v);
		if (!v)
			return NULL;
		for (size_t i = 0; i < sm->nslots; i++) {
			const struct seq_slot *o = &sm->v[i];
			if (!o->line)
				continue;
			size_t j = seq_home(o->comm, o->off, o->n, o->pid,
					    o->tid, ns - 1);
			while (v[j].line)
				j = (j + 1) & (ns - 1);
			v[j] = *o;
		}
		sd_vmem_free(sm->v, sm->nslots * sizeof *sm->v);
		sm->v = v;
		sm->nslots = ns;
	}
	size_t j = seq_home(comm, off, n, pid, tid, sm->nslots - 1);
	for (; sm->v[j].line; j = (j + 1) & (sm->nslots - 1)) {
		struct seq_slot *x = &sm->v[j];
		if (x->comm == comm && x->off == off && x->n == n &&
		    x->pid == pid && x->tid == tid)
			return x;
	}
	sm->v[j].comm = comm;
	sm->v[j].off = off;
	sm->v[j].n = n;
	sm->v[j].pid = pid;
	sm->v[j].tid = tid;
	return &sm->v[j];
}

void sd_stacks_set_weights(struct sd_stacks *st, const uint64_t *weights,
			   size_t n)
{
	st->weights = weights;
	st->nweights = n;
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

/* What --folded-with kernel / jit append to a frame's name. */
static const char *frame_suffix(unsigned with, const struct sd_frame *f,
				const char *name)
{
	if ((with & SD_FOLD_KERNEL) && (f->marks & SD_FRAME_KDSO))
		return "_[k]";
	if ((with & SD_FOLD_JIT) && (f->marks & SD_FRAME_JIT) &&
	    !strstr(name, "_[j]"))
		return "_[j]";
	return "";
}

int sd_stacks_folded(struct sd_stacks *st, const struct sd_machine *m,
		     unsigned evsel, unsigned with,
		     const struct sd_folded_line **lines, size_t *nout)
{
	size_t cap = 0, nslots = 1024;
	uint32_t *slots = calloc(nslots, sizeof *slots);
	uint64_t *hashes = NULL;
	size_t *offs = NULL; /* of each line in st->line_text */
	size_t tlen = 0;     /* bytes of st->line_text in use */
	struct comm_memo cm = {0};
	struct seq_memo sm = {0};
	int err = 0;

	/* only what was kept for them */
	with &= st->fold | SD_FOLD_KERNEL | SD_FOLD_JIT;
	bool threads = with & (SD_FOLD_PID | SD_FOLD_TID);
	sd_stacks_free_lines(st);
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < st->n && !err; i++) {
		struct sd_stack_info si;
		const char *pname;
		sd_stacks_get(st, i, &si);
		if (si.evsel != evsel || si.folded_out)
			continue;
		if (st->weights) {
			si.count = i < st->nweights ? st->weights[i] : 0;
			si.period = si.count; /* whatever the weighting */
			if (!si.count)
				continue;
		}
		uint32_t off = si.frames ? (uint32_t)(si.frames - st->frames) : 0;
		uint32_t pid = threads ? si.pid : 0, tid = threads ? si.tid : 0;
		struct seq_slot *seq = seq_find(&sm, si.comm, off,
						(uint32_t)si.nr_frames, pid, tid);
		if (!seq) {
			err = -ENOMEM;
			break;
		}
		if (seq->line) {
			if (seq->line != UINT32_MAX) {
				st->lines[seq->line - 1].count += si.count;
				st->lines[seq->line - 1].period += si.period;
			}
			continue;
		}
		seq->line = UINT32_MAX; /* dropped, unless a line is made below */
		sm.n++;
		int ok = memo_comm(&cm, m, si.comm, &pname);
		if (ok < 0) {
			err = ok;
			break;
		}
		if (!ok)
			continue;
		char sfx[48];
		comm_suffix(sfx, sizeof sfx, with, pid, tid);
		size_t len = strlen(pname) + strlen(sfx);
		for (size_t f = 0; f < si.nr_frames; f++) {
			const char *nm = sd_fold_java_name(
				pname, sd_stacks_str(st, si.frames[f].name));
			len += 1 + strlen(nm) +
			       strlen(frame_suffix(with, &si.frames[f], nm));
		}
		/* the line is written at the end of the text; it stays
		 * there only if it is a new one */
		if (tlen + len + 1 > st->line_text_cap) {
			size_t tc = st->line_text_cap ? st->line_text_cap : 65536;
			while (tc < tlen + len + 1)
				tc *= 2;
			char *nt = sd_vmem_resize(st->line_text,
						  st->line_text_cap, tc);
			if (!nt) {
				err = -ENOMEM;
				break;
			}
			st->line_text = nt;
			st->line_text_cap = tc;
		}
		char *buf = st->line_text + tlen;
		char *w = buf + strlen(strcpy(buf, pname));
		w += strlen(strcpy(w, sfx));
		for (size_t f = 0; f < si.nr_frames; f++) {
			const char *nm = sd_fold_java_name(
				pname, sd_stacks_str(st, si.frames[f].name));
			*w++ = ';';
			size_t l = strlen(nm);
			memcpy(w, nm, l);
			w += l;
			w += strlen(strcpy(w, frame_suffix(with, &si.frames[f], nm)));
		}
		*w = '\0';
		uint64_t h = sd_hash_bytes(buf, len, 0);
		if ((st->nlines + 1) * 2 > nslots) {
			size_t ns = nslots * 2;
			uint32_t *s2 = calloc(ns, sizeof *s2);
			if (!s2) {
				err = -ENOMEM;
				break;
			}
			for (size_t q = 0; q < st->nlines; q++) {
				size_t j = hashes[q] & (ns - 1);
				while (s2[j])
					j = (j + 1) & (ns - 1);
				s2[j] = (uint32_t)q + 1;
			}
			free(slots);
			slots = s2;
			nslots = ns;
		}
		size_t j = h & (nslots - 1);
		for (; slots[j]; j = (j + 1) & (nslots - 1)) {
			size_t q = slots[j] - 1;
			if (hashes[q] == h &&
			    !strcmp(st->line_text + offs[q], buf))
				break;
		}
		if (slots[j]) {
			st->lines[slots[j] - 1].count += si.count;
			st->lines[slots[j] - 1].period += si.period;
			seq->line = slots[j];
			continue;
		}
		if (st->nlines == cap) {
			cap = cap ? cap * 2 : 1024;
			struct sd_folded_line *l2 =
				realloc(st->lines, cap * sizeof *l2);
			size_t *o2 = realloc(offs, cap * sizeof *o2);
			uint64_t *h2 = realloc(hashes, cap * sizeof *h2);
			if (l2)
				st->lines = l2;
			if (o2)
				offs = o2;
			if (h2)
				hashes = h2;
			if (!l2 || !o2 || !h2) {
				err = -ENOMEM;
				break;
			}
		}
		offs[st->nlines] = tlen;
		tlen += len + 1;
		/* the text may still move: pointed at below */
		st->lines[st->nlines] =
			(struct sd_folded_line){NULL, si.count, si.period};
		hashes[st->nlines] = h;
		slots[j] = (uint32_t)++st->nlines;
		seq->line = slots[j];
	}
	for (size_t i = 0; i < st->nlines; i++)
		st->lines[i].stack = st->line_text + offs[i];
	free(slots);
	free(hashes);
	free(offs);
	free(cm.at);
	free(cm.buf);
	sd_vmem_free(sm.v, sm.nslots * sizeof *sm.v);
	if (err) {
		sd_stacks_free_lines(st);
		return err;
	}
	/* no stacks: st->lines is still NULL, which qsort must not get */
	if (st->nlines)
		qsort(st->lines, st->nlines, sizeof *st->lines, line_cmp);
	*lines = st->lines;
	*nout = st->nlines;
	return 0;
}
