"""Truth for the tests, by perf's own account and the rules written out.

The scripts that check swapdiag against perf (tests/golden, tests/textin,
tests/time, tests/repro) share this module.  Nothing in it comes from
swapdiag: the matching rules below are DESIGN.md's and KERNEL.md's, written
out again in Python, and the inputs are perf's (perf script, the folded
files stackcollapse-perf.pl made from it, stalls.txt made from perf script
by tests/repro/stalls.py).  A change to src/detect/tables.c does not change
what these tests expect.
"""
import os
import subprocess

# ---- the matching rule (DESIGN.md, KERNEL.md) -------------------------------

# fork's page-table copy, and the swap-entry reference it takes per PTE
FORK_COPY = {"dup_mm", "dup_mmap", "copy_page_range", "copy_p4d_range",
             "copy_pud_range", "copy_pmd_range", "copy_pte_range",
             "copy_one_pte", "copy_nonpresent_pte"}
SWAP_DUP = {"swap_duplicate", "__swap_duplicate", "swap_duplicate_nr",
            "swap_dup_entry_direct"}
# exec/exit's address-space teardown, and the swap-entry release per PTE
TEARDOWN = {"exit_mmap", "unmap_vmas", "unmap_single_vma", "unmap_page_range",
            "zap_p4d_range", "zap_pud_range", "zap_pmd_range", "zap_pte_range",
            "zap_nonpresent_ptes"}
SWAP_FREE = {"free_swap_and_cache", "free_swap_and_cache_nr", "swap_info_get",
             "_swap_info_get", "swap_entry_free", "__swap_entry_free",
             "__swap_entry_free_locked", "__swap_entries_free",
             "swap_entries_put_map", "swap_entries_put_map_nr",
             "swap_pte_batch", "free_swap_slot", "swapcache_free_entries",
             "swap_put_entries_direct"}
# A spin lock acquired below the swap frame; spinning = the queued slow
# path (or, with ticket locks, the acquire frame being the innermost).
ACQUIRE = {"_spin_lock", "_spin_lock_irq", "_spin_lock_irqsave",
           "_spin_lock_bh", "_raw_spin_lock", "_raw_spin_lock_irq",
           "_raw_spin_lock_irqsave", "_raw_spin_lock_bh", "do_raw_spin_lock"}
SLOW = {"native_queued_spin_lock_slowpath", "queued_spin_lock_slowpath",
        "__pv_queued_spin_lock_slowpath", "pv_queued_spin_lock_slowpath",
        "__pv_queued_spin_lock"}
# The reader frame nearest the rwsem read slow path names the lock
# (KERNEL.md, "Other D-state readers").
MM_READERS = {"__access_remote_vm", "access_remote_vm", "access_process_vm",
              "proc_pid_cmdline", "proc_pid_cmdline_read", "get_mm_cmdline",
              "get_cmdline", "environ_read", "mem_rw", "m_start",
              "proc_get_vma", "show_smaps_rollup", "pagemap_read",
              "proc_map_files_readdir", "proc_map_files_lookup", "mm_for_maps"}
EXEC_READERS = {"mm_access", "do_task_stat", "proc_pid_wchan",
                "proc_ns_get_link", "proc_ns_readlink", "lock_trace",
                "do_io_accounting"}
# exec's replacement of the address space: the holder of the exec lock
EXEC_REPLACE = {"begin_new_exec", "flush_old_exec", "exec_mmap"}


def has_below(frames_root_first, ctx, pat):
    """A frame of pat below (called from under) a frame of ctx."""
    seen = False
    for fr in frames_root_first:
        if fr in ctx:
            seen = True
        elif seen and fr in pat:
            return True
    return False


def is_swap_dup(frames_root_first):
    return has_below(frames_root_first, FORK_COPY, SWAP_DUP)


def is_swap_free(frames_root_first):
    return has_below(frames_root_first, TEARDOWN, SWAP_FREE)


def stall_kind(frames_root_first):
    """The lock a D-state sleep waits for, from its stack down to the
    rwsem read slow path: "mmap_lock_stall", "exec_lock_stall",
    "other_dstate", or None (no rwsem read slow path)."""
    reader = None
    for fr in frames_root_first:
        if fr in EXEC_READERS:
            reader = "exec_lock_stall"
        elif fr in MM_READERS:
            reader = "mmap_lock_stall"
        if fr == "rwsem_down_read_slowpath":
            return reader or "other_dstate"
    return None


# ---- perf's outputs --------------------------------------------------------

def ns(t):
    """perf script's "seconds.fraction" time in ns."""
    a, b = t.split(".")
    return int(a) * 10**9 + int(b.ljust(9, "0")[:9])


def sample_span(data):
    """The first and the last sample time (ns) of the perf.data DATA, over
    every event's samples (perf script -F time --ns), or None when no
    sample has a time.  The forks a rate counts are the FORK records in
    it: perf record -a follows tasks while it synthesizes the running
    ones, so a file holds FORK records from before its first sample."""
    out = subprocess.run(["perf", "script", "-f", "--ns", "-F", "time",
                          "-i", data], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    times = [ns(x.strip().rstrip(":")) for x in out.split()
             if x.rstrip(":").replace(".", "", 1).isdigit()]
    times = [t for t in times if t]
    return (min(times), max(times)) if times else None


def in_span(t, span):
    """Is a record at t (ns) between the first and the last sample?"""
    return span is None or span[0] <= t <= span[1]


def folded_counts(path):
    """(swap-dup, swap-free, all) samples of a folded file (stackcollapse
    format, the comm first), by the rule above."""
    dup = free = total = 0
    with open(path) as f:
        for line in f:
            stack, n = line.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")[1:]
            total += int(n)
            dup += int(n) if is_swap_dup(frames) else 0
            free += int(n) if is_swap_free(frames) else 0
    return dup, free, total


def stalls_rows(path):
    """The D-state sleeps of a stalls.txt (tests/repro/stalls.py): dicts
    with comm, pidtid, cpu, out, in, blocked_us (None: no switch-in),
    rwsem (under rwsem_down_read_slowpath) and path (root first)."""
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            rows.append({"comm": c[0], "pidtid": c[1], "cpu": c[2],
                         "out": c[3], "in": c[4],
                         "blocked_us": None if c[5] == "-" else float(c[5]),
                         "rwsem": c[6] == "yes", "path": c[7]})
    return rows


def stall_facts(path):
    """Blocked times (ms, None without a switch-in) of the rwsem read
    sleeps of a stalls.txt, per lock kind."""
    facts = {"mmap_lock_stall": [], "other_dstate": [], "exec_lock_stall": []}
    for r in stalls_rows(path):
        if r["rwsem"]:
            us = r["blocked_us"]
            facts[stall_kind(r["path"].split(";"))].append(
                None if us is None else us / 1000.0)
    return facts


def kallsyms_for_perf(ksyms, out):
    """ksyms (.zst or plain) written to out for perf 6.1, without the
    __pfx_ padding symbols newer kernels list, which perf 6.1 would take
    for the functions they precede."""
    if ksyms.endswith(".zst"):
        raw = subprocess.run(["zstd", "-qdc", ksyms], check=True,
                             stdout=subprocess.PIPE).stdout
    else:
        with open(ksyms, "rb") as f:
            raw = f.read()
    with open(out, "wb") as f:
        f.writelines(l + b"\n" for l in raw.splitlines()
                     if b" __pfx_" not in l)
    return out
