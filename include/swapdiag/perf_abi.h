/* SPDX-License-Identifier: MIT */
/*
 * Numbers of the perf.data ABI that more than one stage needs: record
 * types, sample_type bits, attr flag bits, call-chain context markers,
 * feature ids.  Values are those of the kernel's uapi perf_event.h and of
 * tools/perf; they are part of the file format and never change.
 */
#ifndef SWAPDIAG_PERF_ABI_H
#define SWAPDIAG_PERF_ABI_H

/* Record types written by the kernel ... */
enum sd_rec_type {
	SD_REC_MMAP = 1,
	SD_REC_LOST = 2,
	SD_REC_COMM = 3,
	SD_REC_EXIT = 4,
	SD_REC_THROTTLE = 5,
	SD_REC_UNTHROTTLE = 6,
	SD_REC_FORK = 7,
	SD_REC_READ = 8,
	SD_REC_SAMPLE = 9,
	SD_REC_MMAP2 = 10,
	SD_REC_AUX = 11,
	SD_REC_ITRACE_START = 12,
	SD_REC_LOST_SAMPLES = 13,
	SD_REC_SWITCH = 14,
	SD_REC_SWITCH_CPU_WIDE = 15,
	SD_REC_NAMESPACES = 16,
	SD_REC_KSYMBOL = 17,
	SD_REC_BPF_EVENT = 18,
	SD_REC_CGROUP = 19,
	SD_REC_TEXT_POKE = 20,
	SD_REC_AUX_OUTPUT_HW_ID = 21,
	SD_REC_KERNEL_MAX,
	/* ... and by perf itself (user records) */
	SD_REC_HEADER_ATTR = 64,
	SD_REC_HEADER_EVENT_TYPE = 65,
	SD_REC_HEADER_TRACING_DATA = 66,
	SD_REC_HEADER_BUILD_ID = 67,
	SD_REC_FINISHED_ROUND = 68,
	SD_REC_ID_INDEX = 69,
	SD_REC_AUXTRACE_INFO = 70,
	SD_REC_AUXTRACE = 71,
	SD_REC_AUXTRACE_ERROR = 72,
	SD_REC_THREAD_MAP = 73,
	SD_REC_CPU_MAP = 74,
	SD_REC_STAT_CONFIG = 75,
	SD_REC_STAT = 76,
	SD_REC_STAT_ROUND = 77,
	SD_REC_EVENT_UPDATE = 78,
	SD_REC_TIME_CONV = 79,
	SD_REC_HEADER_FEATURE = 80,
	SD_REC_COMPRESSED = 81,
	SD_REC_FINISHED_INIT = 82,
	SD_REC_COMPRESSED2 = 83,
	SD_REC_TYPE_MAX = 128, /* counters are kept for types below this */
};

/* header.misc */
#define SD_MISC_CPUMODE_MASK 0x7
#define SD_MISC_CPUMODE_UNKNOWN 0
#define SD_MISC_KERNEL 1
#define SD_MISC_USER 2
#define SD_MISC_HYPERVISOR 3
#define SD_MISC_GUEST_KERNEL 4
#define SD_MISC_GUEST_USER 5
#define SD_MISC_MMAP_BUILD_ID (1u << 14) /* MMAP2 carries a build-id */
#define SD_MISC_COMM_EXEC (1u << 13)     /* COMM caused by exec */
#define SD_MISC_BUILD_ID_SIZE (1u << 15) /* BUILD_ID entry has a size */

/* perf_event_attr.sample_type */
#define SD_SAMPLE_IP (1ull << 0)
#define SD_SAMPLE_TID (1ull << 1)
#define SD_SAMPLE_TIME (1ull << 2)
#define SD_SAMPLE_ADDR (1ull << 3)
#define SD_SAMPLE_READ (1ull << 4)
#define SD_SAMPLE_CALLCHAIN (1ull << 5)
#define SD_SAMPLE_ID (1ull << 6)
#define SD_SAMPLE_CPU (1ull << 7)
#define SD_SAMPLE_PERIOD (1ull << 8)
#define SD_SAMPLE_STREAM_ID (1ull << 9)
#define SD_SAMPLE_RAW (1ull << 10)
#define SD_SAMPLE_BRANCH_STACK (1ull << 11)
#define SD_SAMPLE_REGS_USER (1ull << 12)
#define SD_SAMPLE_STACK_USER (1ull << 13)
#define SD_SAMPLE_WEIGHT (1ull << 14)
#define SD_SAMPLE_DATA_SRC (1ull << 15)
#define SD_SAMPLE_IDENTIFIER (1ull << 16)
#define SD_SAMPLE_TRANSACTION (1ull << 17)
#define SD_SAMPLE_REGS_INTR (1ull << 18)
#define SD_SAMPLE_PHYS_ADDR (1ull << 19)
#define SD_SAMPLE_AUX (1ull << 20)
#define SD_SAMPLE_CGROUP (1ull << 21)
#define SD_SAMPLE_DATA_PAGE_SIZE (1ull << 22)
#define SD_SAMPLE_CODE_PAGE_SIZE (1ull << 23)
#define SD_SAMPLE_WEIGHT_STRUCT (1ull << 24)

/* perf_event_attr.read_format */
#define SD_FORMAT_TOTAL_TIME_ENABLED (1ull << 0)
#define SD_FORMAT_TOTAL_TIME_RUNNING (1ull << 1)
#define SD_FORMAT_ID (1ull << 2)
#define SD_FORMAT_GROUP (1ull << 3)
#define SD_FORMAT_LOST (1ull << 4)

/* perf_event_attr.branch_sample_type */
#define SD_BRANCH_HW_INDEX (1ull << 17)

/* Bits of the attr flags word (the bitfield after read_format). */
#define SD_ATTR_EXCLUDE_USER (1ull << 4)
#define SD_ATTR_EXCLUDE_KERNEL (1ull << 5)
#define SD_ATTR_FREQ (1ull << 10)
#define SD_ATTR_SAMPLE_ID_ALL (1ull << 18)
#define SD_ATTR_USE_CLOCKID (1ull << 25)

/* perf_event_attr.type */
#define SD_TYPE_HARDWARE 0
#define SD_TYPE_SOFTWARE 1
#define SD_TYPE_TRACEPOINT 2
#define SD_TYPE_HW_CACHE 3
#define SD_TYPE_RAW 4
#define SD_TYPE_BREAKPOINT 5

/* Call-chain context markers: not frames, they switch the address space. */
#define SD_CONTEXT_HV 0xffffffffffffffe0ull
#define SD_CONTEXT_KERNEL 0xffffffffffffff80ull
#define SD_CONTEXT_USER 0xfffffffffffffe00ull
#define SD_CONTEXT_GUEST 0xfffffffffffff800ull
#define SD_CONTEXT_GUEST_KERNEL 0xfffffffffffff780ull
#define SD_CONTEXT_GUEST_USER 0xfffffffffffff600ull
#define SD_CONTEXT_MAX 0xfffffffffffff001ull /* >= this is a marker */

/* Feature ids (bit numbers in the header's feature bitmap). */
enum sd_feature {
	SD_FEAT_TRACING_DATA = 1,
	SD_FEAT_BUILD_ID = 2,
	SD_FEAT_HOSTNAME = 3,
	SD_FEAT_OSRELEASE = 4,
	SD_FEAT_VERSION = 5,
	SD_FEAT_ARCH = 6,
	SD_FEAT_NRCPUS = 7,
	SD_FEAT_CPUDESC = 8,
	SD_FEAT_CPUID = 9,
	SD_FEAT_TOTAL_MEM = 10,
	SD_FEAT_CMDLINE = 11,
	SD_FEAT_EVENT_DESC = 12,
	SD_FEAT_CPU_TOPOLOGY = 13,
	SD_FEAT_NUMA_TOPOLOGY = 14,
	SD_FEAT_BRANCH_STACK = 15,
	SD_FEAT_PMU_MAPPINGS = 16,
	SD_FEAT_GROUP_DESC = 17,
	SD_FEAT_AUXTRACE = 18,
	SD_FEAT_STAT = 19,
	SD_FEAT_CACHE = 20,
	SD_FEAT_SAMPLE_TIME = 21,
	SD_FEAT_MEM_TOPOLOGY = 22,
	SD_FEAT_CLOCKID = 23,
	SD_FEAT_DIR_FORMAT = 24,
	SD_FEAT_BPF_PROG_INFO = 25,
	SD_FEAT_BPF_BTF = 26,
	SD_FEAT_COMPRESSED = 27,
	SD_FEAT_CPU_PMU_CAPS = 28,
	SD_FEAT_CLOCK_DATA = 29,
	SD_FEAT_HYBRID_TOPOLOGY = 30,
	SD_FEAT_PMU_CAPS = 31,
	SD_FEAT_BITS = 256,
};

#endif
