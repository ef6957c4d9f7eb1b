#!/usr/bin/env python3
"""Write the testdata/README.md section for the recordings of tests/repro/record.sh.

usage: readme.py TESTDATA_DIR KALLSYMS_ZST > section.md

Every figure comes from perf itself (perf report --header-only, perf script,
perf report --stats) or from the perf-made golden files next to each
recording; nothing is estimated.
"""
import os
import re
import subprocess
import sys

NAMES = ["swapstorm", "swapstorm-sampled", "swapstorm-z", "swapstorm-pipe",
         "storm-noswap", "nocallchain"]
PURPOSE = {
    "swapstorm": "the storm with 256 MiB of the forking parent in swap; cpu-clock at 999 Hz, "
                 "every sched_switch recorded (period 1): the main fixture",
    "swapstorm-sampled": "the classic mistake: a global -F also makes sched_switch "
                         "frequency-sampled (freq=1, sample_freq=999), so stall durations are lost",
    "swapstorm-z": "as swapstorm, records zstd-compressed (PERF_RECORD_COMPRESSED)",
    "swapstorm-pipe": "as swapstorm, pipe mode (header and attrs as records, no feature sections)",
    "storm-noswap": "control: the same fork+exec storm, the 256 MiB resident (VmSwap 0): "
                    "copy_page_range/unmap_page_range without swap-entry frames. Its forks "
                    "hold the mmap_lock as long or longer (65536 present PTEs to copy), so "
                    "ps/cat stall in rwsem_down_read_slowpath here too (24 D switches in "
                    "1.5 s in a separate check with sched_switch, not in this file): "
                    "stalls alone do not prove the swap pathology",
    "nocallchain": "the swap storm without -g: samples carry no call chain",
}


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p.stdout.decode("utf-8", "replace")


def header(data):
    h = {"events": []}
    for line in run(["perf", "report", "-f", "--header-only", "-i", data]).splitlines():
        m = re.match(r"# (os release|perf version|nrcpus online|cpudesc) : (.*)", line)
        if m:
            h[m.group(1)] = m.group(2).strip()
        m = re.match(r"# event : name = ([^,]*),(.*)", line)
        if m and not m.group(1).startswith("dummy"):
            rest = m.group(2)
            per = re.search(r"\{ sample_period, sample_freq \} = (\d+)", rest)
            freq = re.search(r"\bfreq = 1\b", rest) is not None
            st = re.search(r"sample_type = ([A-Z_|]+)", rest)
            h["events"].append((m.group(1), int(per.group(1)) if per else None, freq,
                                st.group(1) if st else "?"))
    return h


def sample_counts(data):
    """Samples per event and time span, from perf script (works in pipe mode too)."""
    counts, first, last = {}, None, None
    out = run(["perf", "script", "-f", "-i", data, "-F", "time,event"])
    for line in out.splitlines():
        m = re.match(r"\s*(\d+\.\d+):\s+(\S+):", line)
        if m:
            counts[m.group(2)] = counts.get(m.group(2), 0) + 1
            t = float(m.group(1))
            first = t if first is None else first
            last = t
    return counts, first, last


def stats(data):
    """perf report --stats: per-event SAMPLE and LOST counts ({} if it fails)."""
    res, ev = {}, None
    for line in run(["perf", "report", "-f", "--stats", "-i", data]).splitlines():
        m = re.match(r"(\S+) stats:", line)
        if m:
            ev = m.group(1)
            continue
        m = re.match(r"\s+(\S+) events:\s+(\d+)", line)
        if m:
            res[(ev, m.group(1))] = int(m.group(2))
    return res


def minus_one(data):
    """Samples per event whose tid is -1 (an exiting task; perf prints comm ':-1')."""
    res = {}
    out = run(["perf", "script", "-f", "-i", data, "-F", "tid,event"])
    for line in out.splitlines():
        m = re.match(r"\s*(-?\d+)\s+(\S+):", line)
        if m and m.group(1) == "-1":
            res[m.group(2)] = res.get(m.group(2), 0) + 1
    return res


def d_switches(data):
    n = 0
    out = run(["perf", "script", "-f", "-i", data, "-F", "event,trace"])
    for line in out.splitlines():
        if "sched:sched_switch" in line and re.search(r"prev_state=\S*D", line):
            n += 1
    return n


def folded_sum(path, pattern=None):
    if not os.path.exists(path):
        return None
    tot = 0
    with open(path) as f:
        for line in f:
            stack, _, cnt = line.rstrip("\n").rpartition(" ")
            if pattern is None or re.search(pattern, stack):
                tot += int(cnt)
    return tot


def meta(td, n):
    m = {"storm": []}
    p = os.path.join(td, n + ".meta")
    if os.path.exists(p):
        for line in open(p):
            k, _, v = line.rstrip("\n").partition(": ")
            if k == "storm":
                m["storm"].append(v)
            else:
                m[k] = v
    return m


def main(td, ks):
    ksname = os.path.relpath(ks, td)
    rows, notes = [], []
    kernel = perfv = cpus = None
    for n in NAMES:
        data = os.path.join(td, n + ".data")
        if not os.path.exists(data):
            continue
        h = header(data)
        kernel = kernel or h.get("os release")
        perfv = perfv or h.get("perf version")
        cpus = cpus or h.get("nrcpus online")
        counts, first, last = sample_counts(data)
        st = stats(data)
        me = meta(td, n)
        facts = []
        for ev, per, freq, stype in h["events"]:
            how = f"freq {per} Hz" if freq else f"period {per}"
            c = counts.get(ev, 0)
            s = st.get((ev, "SAMPLE"))
            chk = "" if s is None else (" (= perf report --stats)" if s == c
                                        else f" (perf report --stats: {s})")
            facts.append(f"`{ev}`: {c} samples{chk}, {how}, sample_type {stype}")
        for ev, c in sorted(minus_one(data).items()):
            facts.append(f"{c} `{ev}` sample(s) with tid -1 (comm `:-1`; stackcollapse drops them)")
        lost = sum(v for (e, k), v in st.items() if k.startswith("LOST"))
        if not st:
            facts.append("perf report --stats fails on this file (perf 6.1, pipe mode): counts from perf script")
        elif lost:
            facts.append(f"LOST records: {lost}")
        else:
            facts.append("no LOST records")
        if first is not None:
            facts.append(f"samples from {first:.6f} to {last:.6f} s")
        fold = os.path.join(td, n + ".folded")
        tot = folded_sum(fold)
        if tot is not None:
            dup = folded_sum(fold, r";swap_duplicate(;|$)")
            cpr = folded_sum(fold, r";copy_page_range(;|$)")
            free = folded_sum(fold, r";(free_swap_and_cache(_nr)?|swap_entries_put_map[a-z_]*)(;|$)")
            unmap = folded_sum(fold, r";unmap_page_range(;|$)")
            facts.append(f"`{n}.folded`: {tot} stacks counted; under copy_page_range {cpr}, "
                         f"of them swap_duplicate {dup}; under unmap_page_range {unmap}, of them "
                         f"free_swap_and_cache_nr/swap_entries_put_map {free}")
        sfold = os.path.join(td, n + ".sched_switch.folded")
        stot = folded_sum(sfold)
        if stot is not None:
            rw = folded_sum(sfold, r";rwsem_down_read_slowpath(;|$)")
            rwr = folded_sum(sfold, r";(environ_read|proc_pid_cmdline_read);__access_remote_vm;"
                                    r"down_read_killable;rwsem_down_read_slowpath")
            facts.append(f"`{n}.sched_switch.folded`: {stot} switches; through "
                         f"rwsem_down_read_slowpath {rw}, of them environ_read/"
                         f"proc_pid_cmdline_read → __access_remote_vm {rwr}")
            facts.append(f"sched_switch with prev_state D: {d_switches(data)}")
        stl = os.path.join(td, n + ".stalls.txt")
        if os.path.exists(stl):
            for line in open(stl):
                if line.startswith("# D switch-outs") or line.startswith("# switch-ins not"):
                    facts.append(f"`{n}.stalls.txt`: " + line[2:].strip())
        for s in me["storm"]:
            if "VmSwap" in s or "fork+exec" in s:
                facts.append(s)
        size = os.path.getsize(data)
        cmd = me.get("command", "?").replace("|", "\\|")
        rows.append(f"| `{n}.data` | {size} | {PURPOSE[n]} | `{cmd}` | {h.get('os release', '?')} "
                    f"| `{ksname}` | " + "; ".join(facts).replace("|", "\\|") + " |")

    o = []
    o.append("## Real recordings of the reproducer (tests/repro/record.sh)")
    o.append("")
    o.append(f"Recorded on one host and one boot: Debian 12, kernel {kernel}, perf {perfv}, "
             f"{cpus} vCPUs (a PVM/Firecracker guest), 24 GiB, swap = a 1 GiB swap file on a "
             "virtio disk. Storm: `tests/repro/run.sh` — the `forkswap` parent maps 256 MiB, "
             "pushes it to swap with MADV_PAGEOUT (VmSwap 262144 kB), two workers fork+exec "
             "`/bin/true` in a loop, and a shell loop runs `ps -eo pid,stat,args` and "
             "`cat /proc/WORKER/{environ,cmdline}`. Every `perf record` used "
             "`--no-buildid-cache`; each command below ran from the top directory. "
             "Remake everything with `STACKCOLLAPSE=/path/to/stackcollapse-perf.pl "
             "tests/repro/record.sh` (as root); `NAME.meta` keeps each recording's command, "
             "boot id and storm output.")
    o.append("")
    o.append(f"- **Kernel symbols**: `{ksname}`, the full `/proc/kallsyms` of that boot, "
             "unfiltered (it contains the `__pfx_` padding symbols). All recordings here need it.")
    o.append("- **User symbols**: `symfs/` holds only the reproducer, at the path it ran from "
             "(`symfs/tmp/swapdiag-repro/forkswap`). With `--symfs testdata/symfs` its functions "
             "resolve and every other user frame (libc, ld.so, bash, procps, coreutils) is "
             "unresolved, named by DSO: `[libc.so.6]`, `[ld-linux-x86-64.so.2]`.")
    o.append("- **Expected folded stacks** (`NAME.folded`: the first event, cpu-clock; "
             "`NAME.sched_switch.folded`: sched:sched_switch) were made by perf with "
             "`tests/golden/make-golden.sh testdata/NAME.data " + f"testdata/{ksname}"
             + " testdata/symfs [EVENT]` and stackcollapse-perf.pl of "
             "brendangregg/FlameGraph 41fee1f99f9276008b7cd112fca19dc3ea84ac32 "
             "(kallsyms without `__pfx_` lines, see FOLDED.md). They count samples: the "
             "goldens of `swapdiag --folded --weight samples`. `NAME.period.folded` (the first "
             "event) is the default, period-weighted pipeline, `perf script` printing each "
             "sample's period: made by `WEIGHT=period tests/golden/make-golden.sh ...` with the "
             "same script (FlameGraph 41fee1f99f9276008b7cd112fca19dc3ea84ac32); samples of "
             "tid -1 are removed before folding (the script misreads their header once a "
             "period is printed). A tracepoint weighs 1 a sample in both (its perf script line "
             "carries the payload, so the script sees no period): the "
             "`NAME.sched_switch.folded` files serve both weightings. "
             "`swapstorm-sampled.sched_switch.OPT.folded` and `nocallchain.period.OPT.folded` "
             "(OPT: pid, tid, kernel, jit, all, addrs) are the goldens of `--folded-with OPT`: "
             "`FOLD=OPT tests/golden/make-golden.sh ...`, the script run with `--OPT`. "
             "Compare sorted.")
    o.append("- **Stalls**: `swapstorm.stalls.txt`, made by `tests/repro/stalls.py "
             f"testdata/swapstorm.data testdata/{ksname} testdata/symfs` from "
             "`perf script --ns -F comm,pid,tid,cpu,time,event,trace,ip,sym`: every sched_switch "
             "with prev_state=D, its switch-in (the next sched_switch with next_pid = that "
             "thread), the blocked time in µs (exact ns), and the kernel path under the scheduler.")
    o.append("")
    o.append("| file | bytes | what | command | kernel | kallsyms | facts (from perf) |")
    o.append("|---|---|---|---|---|---|---|")
    o.extend(rows)
    o.append("")
    o.append("Quirks of these recordings that a reader must reproduce or tolerate "
             "(all seen with perf 6.1 on this 6.18 guest):")
    o.append("")
    o.extend(QUIRKS)
    return "\n".join(o)


QUIRKS = [
    "- **CPU 1 records nothing while idle.** No cpu-clock sample and no sched_switch is "
    "recorded on CPU 1 while its idle task runs: switches *to* swapper/1 are recorded, "
    "switches *from* it never are (CPU 0 records both). So a thread that went to sleep and "
    "was woken onto an idle CPU 1 has no switch-in record; it is next seen running (a sample, "
    "or its own next switch-out). `swapstorm.stalls.txt` lists such sleeps with "
    "`switch_in -` and the note `switch-in not recorded; running again at T on cpu 1`. "
    "An idle CPU 1 contributes no cpu-clock samples either (on a quiet system the totals "
    "are about half of 999 × 2 CPUs × seconds).",
    "- **Exiting tasks have tid -1.** Samples taken while a task is being torn down — its "
    "last sched_switch (prev_state=X), sometimes a cpu-clock sample — carry tid -1 (pid -1 "
    "or the real pid). perf finds no thread: it prints comm `:-1` and `-1/-1` or "
    "`1191/-1`, cannot resolve even the kernel IP of such a sample without a call chain "
    "(`[unknown] ([kernel.kallsyms])`), and stackcollapse-perf.pl rejects the header "
    "(\"Unrecognized line\") and drops the sample, so they are missing from the `*.folded` "
    "files (counted per recording in the table).",
    "- **Return addresses past a function's end.** `main` of forkswap ends with a call to "
    "`worker_loop` (which never returns), so the return address is the first byte after "
    "`main`; perf 6.1 does not look it up as address-1, so that frame is `[forkswap]` "
    "(unresolved) rather than `main`. The kernel has the same case: `start_kernel` → "
    "`x86_64_start_reservations` returns into the padding, which perf 6.1 names "
    "`__pfx_clear_bss` with the unfiltered kallsyms (the goldens use the filtered copy, where "
    "it becomes the preceding symbol).",
    "- **Frame-pointer call chains skip the caller of a libc leaf.** libc has no frame "
    "pointers, so a chain that starts in libc (e.g. `__wait4`) continues at the return "
    "address of the *caller's* frame: `spawn_one` never appears, `worker_loop` does; "
    "fork samples stop at `[libc.so.6]` (`_Fork`) with nothing above it.",
    "- **vdso** frames are `[[vdso]]` in the goldens (perf has no vdso image in the empty "
    "build-id directory, the DSO name `[vdso]` is bracketed again), like `[[kernel.kallsyms]]`.",
    "- **Odd DSO names.** A memfd mapping's DSO is `/memfd:sealed-NN… (deleted)`; its "
    "frame becomes `[unknown] ` (with a trailing space) in stackcollapse's output, because "
    "the `(deleted)` suffix breaks its `sym (dso)` parsing.",
    "- **Comms with spaces** would have their spaces turned into `_` by stackcollapse-perf.pl "
    "(`tr/ /_/`), unlike what FOLDED.md says; none occur in these recordings.",
    "- **procps 4.0.2 `ps` reads `/proc/PID/environ` too**, so `ps` itself stalls in "
    "`environ_read` as well as in `proc_pid_cmdline_read`; `cat` stalls in both.",
    "- **Pipe mode** (`swapstorm-pipe.data`): `perf report --stats` fails on it (\"failed to "
    "process type\"), and `perf evlist` names its events `cpu-clock` and `unknown tracepoint`; "
    "perf script and `perf report --header-only` read it correctly.",
    "- **Other D sleeps** in the same recordings (see `swapstorm.stalls.txt`): the shell's "
    "`vfork` waits (`kernel_clone;wait_for_completion_state;__wait_for_common`, most of "
    "them), `filemap_fault` → `folio_wait_bit_common`, perf's own `sched_setaffinity`, an "
    "ext4 discard under `do_rmdir`, a worker's own fork waiting for its mmap_lock "
    "(`dup_mmap;down_write_killable;rwsem_down_write_slowpath`, a reader holds it), and "
    "the reader path `seq_read;seq_read_iter;proc_single_show;do_task_stat;"
    "down_read_killable;rwsem_down_read_slowpath` (/proc/PID/stat; which rwsem is not "
    "verified, see KERNEL.md) — a stall tracker must classify by the path below the rwsem "
    "slow path, not by `rwsem_down_read_slowpath` alone.",
]

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(64)
    print(main(sys.argv[1], sys.argv[2]))
