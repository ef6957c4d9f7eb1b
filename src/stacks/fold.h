/* SPDX-License-Identifier: MIT */
/* The folding rules (fold.c) as the symbolizer uses them inside stacks/. */
#ifndef SD_STACKS_FOLD_H
#define SD_STACKS_FOLD_H

#include <stddef.h>

/*
 * When sd_fold_frame(sym, dso, ...) gives one name that is the start of
 * sym (nearly every symbol: only the cut at its first '(' applies), that
 * name's length; else 0, and sd_fold_frame() says what it folds to.  No
 * copy is made: the caller takes sym's first bytes.
 */
size_t sd_fold_plain(const char *sym, const char *dso);

#endif
