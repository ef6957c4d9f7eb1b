/* SPDX-License-Identifier: MIT */
/*
 * What the kernel calls things, era by era (from KERNEL.md, checked against
 * kernel sources 2.6.32 ... 6.18 and real stacks).  Matching uses exact
 * function names in stack order, never substrings: free_pages_and_swap_cache
 * and release_pages run on every exit and are not swap-entry work, and
 * copy_page_range without a swap frame below it is ordinary fork cost.
 * A new kernel is a new row here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/tables.h"

#define SET(name, what) \
	const struct sd_sig_set name = {what, name##_v, sizeof name##_v / sizeof *name##_v}

/* Page-table copy in fork: dup_mmap holds the parent's mmap lock. */
static const struct sd_sig sd_fork_copy_v[] = {
	{"dup_mm", "2.6.32 - 6.x (often inlined from 5.9)"},
	{"dup_mmap", "all (static, often inlined into dup_mm before 6.x)"},
	{"copy_page_range", "all"},
	{"copy_p4d_range", "4.11+ (usually inlined)"},
	{"copy_pud_range", "all (usually inlined)"},
	{"copy_pmd_range", "all (usually inlined)"},
	{"copy_pte_range", "2.6.32 - 5.x (visible on RHEL 6/7)"},
	{"copy_one_pte", "2.6.32 - 5.9 (inline)"},
	{"copy_nonpresent_pte", "5.10+ (usually inlined)"},
};
SET(sd_fork_copy, "fork page-table copying");

/* Taking one more reference on a swap entry, per swapped-out PTE. */
static const struct sd_sig sd_swap_dup_v[] = {
	{"swap_duplicate", "2.6.32 - 6.18"},
	{"__swap_duplicate", "2.6.32 - 6.18"},
	{"swap_duplicate_nr", "not in mainline as of 6.18; vendor kernels"},
	{"swap_dup_entry_direct", "after 6.18"},
};
SET(sd_swap_dup, "swap-entry duplication");

/* Tearing an address space down: exec (old mm) or exit. */
static const struct sd_sig sd_teardown_v[] = {
	{"exit_mmap", "all"},
	{"unmap_vmas", "all"},
	{"unmap_single_vma", "3.x+ (static)"},
	{"unmap_page_range", "all"},
	{"zap_p4d_range", "4.11+"},
	{"zap_pud_range", "all"},
	{"zap_pmd_range", "all"},
	{"zap_pte_range", "all"},
	{"zap_nonpresent_ptes", "6.14+ (inline)"},
};
SET(sd_teardown, "address-space teardown");

/* Dropping the swap-entry references again, under the swap lock. */
static const struct sd_sig sd_swap_free_v[] = {
	{"free_swap_and_cache", "2.6.32 - 6.9"},
	{"free_swap_and_cache_nr", "6.10 - 6.18"},
	{"swap_info_get", "2.6.32 - 4.10"},
	{"_swap_info_get", "RHEL 7.9, 4.11+"},
	{"swap_entry_free", "2.6.32 - 4.10"},
	{"__swap_entry_free", "4.11 - 6.17"},
	{"__swap_entry_free_locked", "4.11 - 6.x"},
	{"__swap_entries_free", "6.10 - 6.17"},
	{"swap_entries_put_map", "6.18"},
	{"swap_entries_put_map_nr", "6.18"},
	{"swap_pte_batch", "6.10+ (batches swap PTEs on zap)"},
	{"free_swap_slot", "4.11 - 6.13"},
	{"swapcache_free_entries", "4.11 - 6.13"},
	{"swap_put_entries_direct", "after 6.18"},
};
SET(sd_swap_free, "swap-entry release");

static const struct sd_sig sd_rwsem_read_slow_v[] = {
	{"rwsem_down_read_failed", "2.6.32 - 5.2"},
	{"call_rwsem_down_read_failed", "2.6.32 - 5.2 (x86 asm thunk)"},
	{"rwsem_down_read_failed_killable", "4.x - 5.2"},
	{"call_rwsem_down_read_failed_killable", "4.x - 5.2"},
	{"rwsem_down_read_slowpath", "5.3+"},
};
SET(sd_rwsem_read_slow, "rwsem read slow path");

/*
 * Which lock a /proc reader sleeps on, by the reader frame nearest the lock
 * slow path (fs/proc/base.c, array.c, task_mmu.c, kernel/fork.c, mm/memory.c
 * per era).  Two locks, two findings:
 *
 *  - the target's mm->mmap_lock (mmap_sem before 5.8), held for write by
 *    dup_mmap for the whole page-table copy of a fork;
 *  - the target's exec lock: signal->exec_update_lock (an rwsem, 5.10+;
 *    exec_update_mutex 5.7 - 5.9; cred_guard_mutex, a mutex, before),
 *    held for write by exec from exec_mmap - which tears the old mm down,
 *    swap entries and all - until setup_new_exec.
 *
 * A path that takes both (open, then read) shows the one it slept on:
 * environ_open -> proc_mem_open -> mm_access sleeps on the exec lock,
 * environ_read -> access_remote_vm on the mmap_lock.
 */
static const struct sd_sig sd_mm_readers_v[] = {
	{"__access_remote_vm", "all: cmdline, environ, mem (mmap_read_lock)"},
	{"access_remote_vm", "all"},
	{"access_process_vm", "all"},
	{"proc_pid_cmdline", "2.6.32 (/proc/PID/cmdline)"},
	{"proc_pid_cmdline_read",
	 "3.x+ (/proc/PID/cmdline; before 4.18 it also takes mmap_sem itself "
	 "to read arg_start)"},
	{"get_mm_cmdline", "4.18+"},
	{"get_cmdline", "3.x+"},
	{"environ_read", "all (/proc/PID/environ, reading)"},
	{"mem_rw", "all (/proc/PID/mem, reading or writing)"},
	{"m_start", "all (/proc/PID/maps, smaps, numa_maps: mmap_read_lock)"},
	{"proc_get_vma", "6.x (/proc/PID/maps)"},
	{"show_smaps_rollup", "4.14+ (/proc/PID/smaps_rollup)"},
	{"pagemap_read", "all (/proc/PID/pagemap)"},
	{"proc_map_files_readdir", "all (/proc/PID/map_files)"},
	{"proc_map_files_lookup", "all (/proc/PID/map_files/RANGE)"},
	{"mm_for_maps",
	 "2.6.32 (maps, environ: takes mmap_sem itself); 2.6.36 - 3.2 it "
	 "takes cred_guard_mutex instead (see sd_exec_mutex_readers)"},
};
SET(sd_mm_readers, "readers of another process's memory map (mmap_lock)");

static const struct sd_sig sd_exec_lock_readers_v[] = {
	{"mm_access",
	 "3.3+: opening /proc/PID/environ, mem, maps, smaps, numa_maps, "
	 "pagemap, auxv (proc_mem_open); exec_update_lock 5.10+, "
	 "exec_update_mutex 5.7 - 5.9, cred_guard_mutex before"},
	{"do_task_stat",
	 "/proc/PID/stat, task/TID/stat (ps, top): exec_update_lock since "
	 "Jann Horn's procfs lock fix (2026, sent to stable; on 6.18.44); no "
	 "sleeping lock before it"},
	{"proc_pid_wchan", "/proc/PID/wchan: exec_update_lock with the same fix"},
	{"proc_ns_get_link", "/proc/PID/ns/*: exec_update_lock with the same fix"},
	{"proc_ns_readlink", "/proc/PID/ns/*: exec_update_lock with the same fix"},
	{"lock_trace",
	 "/proc/PID/stack, syscall: exec_update_lock 5.10+, exec_update_mutex "
	 "5.7 - 5.9, cred_guard_mutex before"},
	{"do_io_accounting",
	 "/proc/PID/io: exec_update_lock 5.10+, exec_update_mutex 5.7 - 5.9, "
	 "cred_guard_mutex before"},
};
SET(sd_exec_lock_readers, "readers waiting for another process's exec "
			  "(exec_update_lock / cred_guard_mutex)");

/* Readers that slept on the exec lock when it was a mutex but on the
 * mmap_lock in other eras: the slow path they sleep in decides. */
static const struct sd_sig sd_exec_mutex_readers_v[] = {
	{"mm_for_maps",
	 "2.6.36 - 3.2: cred_guard_mutex (maps, environ, before mm_access)"},
	{"check_mem_permission", "2.6.3x - 3.2: cred_guard_mutex (/proc/PID/mem)"},
};
SET(sd_exec_mutex_readers, "readers of the exec lock when it was a mutex");

/* Before 5.10 the exec lock is a mutex: its readers sleep here instead. */
static const struct sd_sig sd_mutex_slow_v[] = {
	{"__mutex_lock_killable_slowpath", "2.6.32+"},
	{"__mutex_lock_slowpath", "2.6.32+"},
	{"__mutex_lock", "4.10+"},
	{"__mutex_lock_common", "2.6.32+ (usually inlined)"},
};
SET(sd_mutex_slow, "mutex slow path");

/* Exec replacing the address space: from exec_mmap (which takes the exec
 * lock for write and drops the old mm) on; the holders of an exec lock. */
static const struct sd_sig sd_exec_replace_v[] = {
	{"flush_old_exec", "2.6.32 - 5.7"},
	{"begin_new_exec", "5.8+"},
	{"exec_mmap", "all (static, often inlined)"},
};
SET(sd_exec_replace, "exec replacing the address space");

/* User-space entries of fork, by C library (the frames a forking code
 * path calls last before the kernel; names as perf and addr2line show
 * them).  posix_spawn and vfork are not here: they copy no page tables. */
static const struct sd_sig sd_fork_entries_v[] = {
	{"fork", "glibc, musl"},
	{"__fork", "glibc < 2.34"},
	{"__libc_fork", "glibc"},
	{"_Fork", "glibc >= 2.34, musl"},
	{"__GI__Fork", "glibc >= 2.34 (debug info)"},
	{"__GI___fork", "glibc (debug info)"},
	{"arch_fork", "glibc (inlined, debug info)"},
	{"__clone", "glibc (clone without CLONE_VM)"},
	{"clone", "glibc, musl"},
	{"__clone3", "glibc >= 2.34"},
	{"__clone_internal", "glibc >= 2.34"},
};
SET(sd_fork_entries, "user-space fork entry points");

/*
 * Spin locks below a swap-entry frame (lock_share): the frames that
 * acquire one.  On ticket-lock kernels (x86 before 4.2: 2.6.32's
 * _spin_lock, later _raw_spin_lock) the spinning is inlined into these,
 * so a sample whose innermost frame is one of them is spinning; on
 * queued-spinlock kernels the fast path is one cmpxchg and spinning shows
 * as a slow-path frame (sd_spin_slow).
 */
static const struct sd_sig sd_spin_acquire_v[] = {
	{"_spin_lock", "2.6.32 and before (ticket lock spins inside)"},
	{"_spin_lock_irq", "2.6.32 and before"},
	{"_spin_lock_irqsave", "2.6.32 and before"},
	{"_spin_lock_bh", "2.6.32 and before"},
	{"_raw_spin_lock", "2.6.33+ (ticket lock spins inside before 4.2)"},
	{"_raw_spin_lock_irq", "2.6.33+"},
	{"_raw_spin_lock_irqsave", "2.6.33+"},
	{"_raw_spin_lock_bh", "2.6.33+"},
	{"do_raw_spin_lock", "CONFIG_DEBUG_SPINLOCK kernels"},
};
SET(sd_spin_acquire, "spin lock acquisition");

/* Spinning on a contended queued spin lock (4.2+; paravirt guests take
 * the __pv_ variant). */
static const struct sd_sig sd_spin_slow_v[] = {
	{"native_queued_spin_lock_slowpath", "4.2+"},
	{"queued_spin_lock_slowpath", "4.2+ (arm64, ...)"},
	{"__pv_queued_spin_lock_slowpath", "4.2+ paravirt guests (KVM, Xen)"},
	{"pv_queued_spin_lock_slowpath", "4.2+ paravirt"},
	{"__pv_queued_spin_lock", "4.2+ paravirt (hybrid)"},
};
SET(sd_spin_slow, "queued spin lock slow path");

/* Interrupt entries: what is above them in a stack is the interrupt's
 * work, not the interrupted code acquiring a lock. */
static const struct sd_sig sd_irq_entry_v[] = {
	{"asm_sysvec_apic_timer_interrupt", "5.8+ x86"},
	{"asm_common_interrupt", "5.8+ x86"},
	{"asm_sysvec_call_function_single", "5.8+ x86"},
	{"asm_sysvec_call_function", "5.8+ x86"},
	{"asm_sysvec_reschedule_ipi", "5.8+ x86"},
	{"asm_sysvec_irq_work", "5.8+ x86"},
	{"apic_timer_interrupt", "before 5.8 x86"},
	{"smp_apic_timer_interrupt", "before 5.8 x86"},
	{"common_interrupt", "x86"},
	{"do_IRQ", "before 5.8 x86"},
	{"reschedule_interrupt", "before 5.8 x86"},
	{"call_function_single_interrupt", "before 5.8 x86"},
	{"irq_work_interrupt", "before 5.8 x86"},
	{"el1_interrupt", "arm64 5.x+"},
	{"el1_irq", "arm64 before 5.x"},
};
SET(sd_irq_entry, "interrupt entry");

/* What else is hot (sd_hot_kinds): characteristic frames of kernel work
 * that a fork/exec storm, a memory squeeze or lock trouble shows. */
static const struct sd_sig sd_hot_fault_v[] = {
	{"handle_mm_fault", "all"},
	{"__handle_mm_fault", "all"},
	{"do_swap_page", "all (swap-in)"},
	{"swapin_readahead", "all"},
	{"swap_read_folio", "6.x"},
	{"swap_readpage", "before 6.x"},
	{"do_anonymous_page", "all"},
	{"do_wp_page", "all (copy-on-write after fork)"},
	{"wp_page_copy", "5.x+"},
	{"exc_page_fault", "5.8+ x86"},
	{"do_page_fault", "before 5.8"},
};
SET(sd_hot_fault, "page faults and swap-in");

static const struct sd_sig sd_hot_reclaim_v[] = {
	{"shrink_node", "4.x+"},
	{"shrink_lruvec", "5.x+"},
	{"shrink_zone", "before 4.8"},
	{"shrink_folio_list", "6.x"},
	{"shrink_page_list", "before 6.x"},
	{"try_to_free_pages", "all"},
	{"try_to_free_mem_cgroup_pages", "all (memcg limit)"},
	{"do_try_to_free_pages", "all"},
	{"kswapd", "all"},
	{"balance_pgdat", "all"},
	{"compact_zone", "all"},
	{"try_to_compact_pages", "all"},
	{"kcompactd", "4.6+"},
	{"swap_writepage", "all (swap-out)"},
};
SET(sd_hot_reclaim, "reclaim and compaction");

static const struct sd_sig sd_hot_memcg_v[] = {
	{"mem_cgroup_charge", "all"},
	{"__mem_cgroup_charge", "5.x+"},
	{"mem_cgroup_try_charge", "before 5.8"},
	{"try_charge", "before 6.x"},
	{"try_charge_memcg", "5.15+"},
	{"charge_memcg", "5.15+"},
	{"mem_cgroup_swapin_charge_folio", "6.x"},
	{"__mem_cgroup_uncharge", "all"},
	{"obj_cgroup_charge", "5.9+"},
};
SET(sd_hot_memcg, "memcg charging");

static const struct sd_sig sd_hot_spin_v[] = {
	{"_raw_spin_lock", "2.6.33+"},
	{"_raw_spin_lock_irq", "2.6.33+"},
	{"_raw_spin_lock_irqsave", "2.6.33+"},
	{"_spin_lock", "2.6.32"},
	{"_spin_lock_irq", "2.6.32"},
	{"_spin_lock_irqsave", "2.6.32"},
	{"native_queued_spin_lock_slowpath", "4.2+"},
	{"__pv_queued_spin_lock_slowpath", "4.2+ paravirt"},
	{"queued_spin_lock_slowpath", "4.2+"},
};
SET(sd_hot_spin, "spin locks");

static const struct sd_sig sd_hot_idle_v[] = {
	{"do_idle", "4.x+"},
	{"cpu_idle", "before 4.x"},
	{"cpu_startup_entry", "3.10+"},
	{"default_idle", "all"},
	{"cpuidle_enter", "4.x+"},
	{"acpi_idle_enter", "all"},
};
SET(sd_hot_idle, "idle");

static const struct sd_sig sd_hot_exec_v[] = {
	{"do_execve", "all"},
	{"do_execveat_common", "4.x+"},
	{"load_elf_binary", "all"},
	{"bprm_execve", "5.9+"},
};
SET(sd_hot_exec, "exec");

static const struct sd_sig sd_hot_fork_v[] = {
	{"copy_process", "all"},
	{"kernel_clone", "5.10+"},
	{"_do_fork", "4.2 - 5.9"},
	{"do_fork", "before 4.2"},
};
SET(sd_hot_fork, "fork");

/* Most specific first: a stack counts in every kind whose frame it has
 * (inclusive shares). */
const struct sd_hot_kind sd_hot_kinds[] = {
	{"fork page-table copying", &sd_fork_copy},
	{"exit/exec teardown", &sd_teardown},
	{"page faults and swap-in", &sd_hot_fault},
	{"reclaim and compaction", &sd_hot_reclaim},
	{"memcg charging", &sd_hot_memcg},
	{"spin locks", &sd_hot_spin},
	{"fork (all of it)", &sd_hot_fork},
	{"exec (all of it)", &sd_hot_exec},
	{"idle", &sd_hot_idle},
};
const size_t sd_nr_hot_kinds = sizeof sd_hot_kinds / sizeof *sd_hot_kinds;

bool sd_sig_has(const struct sd_sig_set *set, const char *func)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].func, func))
			return true;
	return false;
}

const struct sd_remedy sd_remedies[] = {
	{"posix_spawn",
	 "Start children with posix_spawn() (glibc >= 2.24 uses "
	 "CLONE_VM|CLONE_VFORK) or vfork(): no page tables are copied, so "
	 "neither the swap-entry work nor the mmap_lock hold happen. "
	 "glibc 2.12 (RHEL 6) and 2.17 (RHEL 7) only do so with "
	 "POSIX_SPAWN_USEVFORK; APR's apr_proc_create always fork()s."},
	{"madv_dontfork",
	 "Mark large private regions MADV_DONTFORK: children do not inherit "
	 "them, so their PTEs are never copied or released."},
	{"swapoff",
	 "swapoff -a && swapon -a brings the swapped-out memory back and "
	 "removes the cost until memory is swapped out again; it needs enough "
	 "free RAM and is itself expensive."},
	{"memcg_v2",
	 "Keep the forking service out of swap: memory cgroup v2 "
	 "memory.swap.max=0 for it (or memory limits on its neighbours)."},
	{"memcg_v1",
	 "Keep the forking service out of swap: a memory cgroup (v1) with "
	 "memory.swappiness=0 for it, or memory limits on its neighbours."},
	{"swappiness",
	 "Lowering vm.swappiness only slows future swap-out; entries already "
	 "in swap stay and keep costing on every fork and exec."},
	{"kernel_3_9",
	 "Kernels from 3.9 take a per-device swap lock instead of the global "
	 "swap_lock (helps with several swap devices), 4.11+ per-cluster locks "
	 "on SSD/zram swap, 6.14+ always: less contention, but never less "
	 "per-PTE work or a shorter mmap_lock hold."},
	{"kernel_4_11",
	 "This kernel takes per-cluster swap locks only on non-rotational swap "
	 "devices: check /sys/block/DEV/queue/rotational of the swap device "
	 "(virtual disks often say 1, falling back to one device-wide lock); "
	 "6.14+ always uses cluster locks. Neither removes the per-PTE work or "
	 "the mmap_lock hold."},
	{"kernel_6_14",
	 "This kernel already uses per-cluster swap locks; what is left is the "
	 "per-PTE work itself and the mmap_lock hold, which only the remedies "
	 "above remove."},
};
const size_t sd_nr_remedies = sizeof sd_remedies / sizeof *sd_remedies;

static const char *const rem_2_6[] = {"posix_spawn", "madv_dontfork",
	 "memcg_v1", "swapoff", "swappiness", "kernel_3_9",
	NULL};
static const char *const rem_3_9[] = {"posix_spawn", "madv_dontfork",
	 "memcg_v1", "swapoff", "swappiness", "kernel_3_9",
	NULL};
static const char *const rem_4_11[] = {"posix_spawn", "madv_dontfork",
	 "memcg_v2", "swapoff", "swappiness", "kernel_4_11",
	NULL};
static const char *const rem_6_14[] = {"posix_spawn", "madv_dontfork",
	 "memcg_v2", "swapoff", "swappiness", "kernel_6_14",
	NULL};

#define KV(a, b, c) ((a) * 65536 + (b) * 256 + (c))

const struct sd_era sd_eras[] = {
	{"<= 2.6.32 (RHEL 6)", 0, KV(2, 6, 255),
	 "the single global swap_lock, in __swap_duplicate and swap_info_get",
	 false, rem_2_6, true},
	{"3.0 - 3.8", KV(3, 0, 0), KV(3, 8, 255),
	 "the single global swap_lock", false, rem_2_6, true},
	/* ticket locks until 4.2 (RHEL 7's 3.10); a 4.2 - 4.10 recording
	 * shows queued slow-path frames, which turn the ticket rule off */
	{"3.9 - 4.10 (RHEL 7)", KV(3, 9, 0), KV(4, 10, 255),
	 "the swap device's lock (si->lock), one per device", false, rem_3_9,
	 true},
	{"4.11 - 4.14", KV(4, 11, 0), KV(4, 14, 255),
	 "per-cluster locks on SSD/zram swap, the device lock (si->lock) on "
	 "rotational swap", false, rem_4_11, false},
	{"4.15 - 4.18 (RHEL 8)", KV(4, 15, 0), KV(4, 18, 255),
	 "per-cluster locks on SSD/zram swap, the device lock (si->lock) on "
	 "rotational swap", true, rem_4_11, false},
	{"4.19 - 6.13", KV(4, 19, 0), KV(6, 13, 255),
	 "per-cluster locks on SSD/zram swap, the device lock (si->lock) on "
	 "rotational swap", false, rem_4_11, false},
	{"6.14 and later", KV(6, 14, 0), KV(255, 255, 255),
	 "per-cluster locks (ci->lock) on every swap device", false, rem_6_14, false},
};
const size_t sd_nr_eras = sizeof sd_eras / sizeof *sd_eras;

const struct sd_era *sd_era_of(const char *rel)
{
	unsigned a = 0, b = 0, c = 0;

	if (!rel || sscanf(rel, "%u.%u.%u", &a, &b, &c) < 2)
		return NULL;
	if (c > 255)
		c = 255;
	int v = KV((int)a, (int)b, (int)c);
	for (size_t i = 0; i < sd_nr_eras; i++)
		if (v >= sd_eras[i].from && v <= sd_eras[i].to)
			return &sd_eras[i];
	return NULL;
}

const struct sd_remedy *sd_remedy_find(const char *id)
{
	for (size_t i = 0; i < sd_nr_remedies; i++)
		if (!strcmp(sd_remedies[i].id, id))
			return &sd_remedies[i];
	return NULL;
}

/*
 * prev_state per era (KERNEL.md): D is bit 1 (value 2) with the preempt
 * bit masked off, except 4.15 - 4.18 where it reads 4 (1 << index, off by
 * one).  Killable sleeps (D|K, 0x82) are D sleeps.
 */
bool sd_prev_state_is_d(const struct sd_era *era, unsigned long long state)
{
	if (era && era->d_state_is_4)
		return state & 4;
	return state & 2;
}

/*
 * Frame names that tell the kernel era when the input does not say its
 * release (text inputs, files without OSRELEASE): the kernels each name is
 * seen in (from KERNEL.md's table and the kernel sources), as a range.
 * sd_era_from_frames() picks the era most of the names present agree on.
 */
const struct sd_era_marker sd_era_markers[] = {
	/* spin locks: 2.6.33 renamed _spin_lock to _raw_spin_lock */
	{"_spin_lock", 0, KV(2, 6, 32)},
	{"_spin_lock_irq", 0, KV(2, 6, 32)},
	{"_spin_lock_irqsave", 0, KV(2, 6, 32)},
	{"_raw_spin_lock", KV(2, 6, 33), KV(255, 255, 255)},
	/* qspinlock, 4.2 */
	{"native_queued_spin_lock_slowpath", KV(4, 2, 0), KV(255, 255, 255)},
	{"queued_spin_lock_slowpath", KV(4, 2, 0), KV(255, 255, 255)},
	/* x86-64 clone/execve entry stubs, gone in the 4.x entry rework */
	{"stub_clone", 0, KV(4, 1, 255)},
	{"stub_execve", 0, KV(4, 1, 255)},
	{"sys_clone", 0, KV(4, 16, 255)},
	{"sys_execve", 0, KV(4, 16, 255)},
	/* 4.17: syscall wrappers */
	{"__x64_sys_execve", KV(4, 17, 0), KV(255, 255, 255)},
	{"__do_sys_clone", KV(4, 17, 0), KV(255, 255, 255)},
	/* fork: do_fork, 4.2 _do_fork, 5.10 kernel_clone */
	{"do_fork", 0, KV(4, 1, 255)},
	{"_do_fork", KV(4, 2, 0), KV(5, 9, 255)},
	{"kernel_clone", KV(5, 10, 0), KV(255, 255, 255)},
	{"copy_one_pte", 0, KV(5, 9, 255)},
	{"copy_nonpresent_pte", KV(5, 10, 0), KV(255, 255, 255)},
	/* exec: 5.8 split flush_old_exec into begin_new_exec */
	{"flush_old_exec", 0, KV(5, 7, 255)},
	{"begin_new_exec", KV(5, 8, 0), KV(255, 255, 255)},
	/* swap-entry release per era (KERNEL.md) */
	{"swap_info_get", 0, KV(4, 10, 255)},
	{"swap_entry_free", 0, KV(4, 10, 255)},
	{"__swap_entry_free_locked", KV(4, 11, 0), KV(6, 17, 255)},
	{"free_swap_slot", KV(4, 11, 0), KV(6, 13, 255)},
	{"swapcache_free_entries", KV(4, 11, 0), KV(6, 13, 255)},
	{"free_swap_and_cache", 0, KV(6, 9, 255)},
	{"free_swap_and_cache_nr", KV(6, 10, 0), KV(6, 18, 255)},
	{"__swap_entries_free", KV(6, 10, 0), KV(6, 17, 255)},
	{"swap_pte_batch", KV(6, 10, 0), KV(255, 255, 255)},
	{"zap_nonpresent_ptes", KV(6, 14, 0), KV(255, 255, 255)},
	{"swap_entries_put_map", KV(6, 18, 0), KV(6, 18, 255)},
	{"swap_entries_put_map_nr", KV(6, 18, 0), KV(6, 18, 255)},
	{"swap_dup_entry_direct", KV(6, 19, 0), KV(255, 255, 255)},
	{"swap_put_entries_direct", KV(6, 19, 0), KV(255, 255, 255)},
	/* the rwsem read slow path: 5.3 rewrite */
	{"rwsem_down_read_failed", 0, KV(5, 2, 255)},
	{"call_rwsem_down_read_failed", 0, KV(5, 2, 255)},
	{"rwsem_down_read_slowpath", KV(5, 3, 0), KV(255, 255, 255)},
	/* /proc/PID/cmdline: proc_pid_cmdline until proc_pid_cmdline_read
	 * (4.2), get_mm_cmdline from 4.18 */
	{"proc_pid_cmdline", 0, KV(4, 1, 255)},
	{"get_mm_cmdline", KV(4, 18, 0), KV(255, 255, 255)},
};
const size_t sd_nr_era_markers =
	sizeof sd_era_markers / sizeof *sd_era_markers;

bool sd_kernel_func_known(const char *func)
{
	static const struct sd_sig_set *const sets[] = {
		&sd_fork_copy, &sd_swap_dup, &sd_teardown, &sd_swap_free,
		&sd_rwsem_read_slow, &sd_mm_readers, &sd_exec_lock_readers,
		&sd_exec_mutex_readers, &sd_mutex_slow, &sd_exec_replace,
	};

	for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
		if (sd_sig_has(sets[i], func))
			return true;
	return false;
}
