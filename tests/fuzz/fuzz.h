/* SPDX-License-Identifier: MIT */
/*
 * The libFuzzer entry points.  Each harness defines
 * LLVMFuzzerTestOneInput(); fuzz-main.c (the corpus-replay driver) calls
 * the same function on saved inputs in builds without libFuzzer.
 */
#ifndef SD_FUZZ_H
#define SD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libFuzzer's -max_len for the harnesses; the replay driver cuts longer
 * files to it, so that a replay sees what the fuzzer saw. */
#define SD_FUZZ_MAX_LEN 65536

#endif
