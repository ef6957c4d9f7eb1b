/* SPDX-License-Identifier: MIT */
/* The folding rules (fold.c) as the symbolizer uses them inside stacks/. */
#ifndef SD_STACKS_FOLD_H
#define SD_STACKS_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * When sd_fold_frame(sym, dso, ...) gives one name that is the start of
 * sym (nearly every symbol: only the cut at its first '(' applies), that
 * name's length; else 0, and sd_fold_frame() says what it folds to.  No
 * copy is made: the caller takes sym's first bytes.
 */
size_t sd_fold_plain(const char *sym, const char *dso);
/* sd_fold_plain() in two halves, for a caller that knows the DSO's
 * answer: whether dso is one the rules leave alone (else the full rules
 * run), and for such a DSO the length sd_fold_plain() gives for sym. */
bool sd_fold_plain_dso(const char *dso);
size_t sd_fold_plain_sym(const char *sym);

#endif
