/* SPDX-License-Identifier: MIT */
/* swapdiag diff BEFORE AFTER (diff.c). */
#ifndef SD_CLI_DIFF_H
#define SD_CLI_DIFF_H

/* argv[0] is "diff"; returns the exit status. */
int cli_diff(int argc, char **argv);

#endif
