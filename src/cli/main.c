/* SPDX-License-Identifier: MIT */
#include <stdio.h>
int main(void) { puts("swapdiag " SWAPDIAG_VERSION); return 0; }
