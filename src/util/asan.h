/* SPDX-License-Identifier: MIT */
/*
 * SD_ASAN: 1 when built with AddressSanitizer (clang's __has_feature or
 * gcc's __SANITIZE_ADDRESS__), else 0.  Code that manages memory its own
 * way (huge-page blocks, malloc tuning, leaving the analysis to the kernel
 * at exit) steps aside under ASan, whose allocator and leak checker need
 * to see every block.
 */
#ifndef SD_UTIL_ASAN_H
#define SD_UTIL_ASAN_H

#define SD_ASAN 0
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#undef SD_ASAN
#define SD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#undef SD_ASAN
#define SD_ASAN 1
#endif

#endif
