/* SPDX-License-Identifier: MIT */
/*
 * Private to the perf report parser: report.c reads the lines into
 * entries and their call-graph trees, report_tree.c turns the trees into
 * weighted stacks (see report.c for the format).
 */
#ifndef SD_TEXTIN_REPORT_H
#define SD_TEXTIN_REPORT_H

#include <swapdiag/stacks.h>

#include "textin/internal.h"

#define UNSET_COL (-2)

struct rnode {
	size_t parent; /* SIZE_MAX for an entry's root */
	int marker;    /* column of its branch marker; -1 for the root */
	double pct;    /* as printed; the root: the entry's overhead */
	double abs;    /* fraction of the event's samples */
	double kids;   /* sum of the children's abs */
	double kids_pct;
	size_t f0, nf; /* frames: names[f0 .. f0 + nf) */
	bool rest;     /* "[...]" */
	bool has_kids;
};

struct rentry {
	char comm[128];
	char sym[512];
	uint32_t pid;
	int leaf; /* 1 kernel "[k]", 0 user "[.]", -1 unknown */
	double overhead;
	size_t event;
	size_t n0, nn; /* nodes */
	uint64_t line, offset;
	int base; /* column of its call graph's first '|' or '-'; -1 */
};

struct rcol {
	int start;
	char name[32];
};

struct rp {
	const struct sd_text_ops *ops;
	struct sd_diags *diags;
	struct sd_text_result *res;

	struct rnode *nodes;
	size_t nnodes, capnodes;
	struct rentry *entries;
	size_t nentries, capentries;
	struct sd_tnames names;

	char (*events)[128];
	bool *skip_event;
	size_t nevents;
	size_t cur_event;

	struct rcol cols[16];
	size_t ncols;
	char prev_comment[1024];
	bool children_mode;
	bool old_style;   /* "%-- name": perf before 3.x */
	uint64_t count_values;

	bool in_tree;
	size_t path[512]; /* open nodes of the current tree */
	size_t depth;
};

/* The stacks of every entry's tree, to ops->sample (report_tree.c). */
int sd_treport_emit_all(struct rp *p);
/* The notes on what the text is and what it leaves out. */
void sd_treport_notes(struct rp *p);

#endif
