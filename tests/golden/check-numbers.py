#!/usr/bin/env python3
"""The numbers of the report snapshots, checked against perf-derived truth,
field by field.

usage: check-numbers.py SWAPDIAG TESTDATA CASE

The snapshots in tests/golden/expected and tests/textin/expected are
swapdiag's own output (their READMEs): this test is what says their numbers
are right.  For each CASE (one input of the snapshots) it runs swapdiag
--json on that input with the snapshots' arguments, works the numbers out
again from perf's own account of the same recording, and compares
  - every numeric field of the live JSON report that has a perf-derivable
    meaning (the list in NOT_CHECKED says which do not, and why),
  - the same fields of the JSON snapshot, when there is one, and
  - the numbers printed in the text and markdown snapshots of that input
    (verdict, header, each finding's share/samples/context/processes/hot
    path/forker/peak/lock line, stall sleeps/durations/victims/holders,
    where the CPU went), each within the rounding it is printed with.

Truth, never taken from swapdiag:
  perf.data    perf script --ns (comm, pid, tid, cpu, time, period, event,
               call chain with addresses; the recording's kallsyms, its
               __pfx_ lines dropped as for every golden), perf script
               --show-task-events --show-mmap-events (forks per executable
               between the first and the last sample),
               perf report --stats (samples per event, LOST records) and
               perf report --header-only (CPUs, each event's sampling);
               parsed by tests/repro/stalls.py and
               tests/repro/services/facts.py, the stall and holder rules of
               tests/golden/check-diagnosis.py and the lock rule of
               tests/golden/check-insight.py (imported, not copied).
  text input   the perf report text itself, parsed here (caller-first,
               fractal percentages), every stack's weight the product of
               the percentages on its branch.
The rules that make a finding (KERNEL.md, DESIGN.md; swapdiag-report(5)):
  swap_dup_fork   a swap_duplicate frame below a fork page-table copy frame
  swap_free_exec  a swap-entry release frame below a teardown frame
  fork_copy       a fork page-table copy frame without swap_duplicate below
  stall findings  a sched_switch with prev_state D whose chain has
                  rwsem_down_read_slowpath: the reader frame nearest it names
                  the lock (mmap_lock, exec lock, else other_dstate)
Shares are period-weighted fractions of the on-CPU event (the file's first
event); sample counts are counts of perf script's stacks.

Skips (77) without perf or zstd.
"""
import collections
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys

SWAPDIAG, TD, CASE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "repro"))
sys.path.insert(0, os.path.join(TESTS, "repro", "services"))
sys.path.insert(0, TESTS)
import stalls as S  # noqa: E402  (perf script parsing)
import facts as F  # noqa: E402  (perf report --stats, task records, sleeps)
import schemacheck  # noqa: E402


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


DIAG = load("check_diagnosis", os.path.join(HERE, "check-diagnosis.py"))
INSIGHT = load("check_insight", os.path.join(HERE, "check-insight.py"))

HOST_KS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
SYN = os.path.join(TD, "synthetic")

# Every case: the input and arguments of its snapshots (as in
# tests/golden/meson.build and tests/textin/meson.build), and the snapshots.
G, T = os.path.join(HERE, "expected"), os.path.join(TESTS, "textin", "expected")
CASES = {
    "swapstorm": dict(data="swapstorm.data", ks=HOST_KS, symfs="symfs",
                      snaps=[G + "/swapstorm.json", G + "/swapstorm.txt",
                             T + "/swapstorm.md"]),
    "swapstorm-sampled": dict(data="swapstorm-sampled.data", ks=HOST_KS,
                              symfs="symfs",
                              snaps=[G + "/swapstorm-sampled.txt"]),
    "storm-noswap": dict(data="storm-noswap.data", ks=HOST_KS, symfs="symfs",
                         snaps=[G + "/storm-noswap.txt"]),
    "rhel6-seed": dict(data="synthetic/rhel6-seed.data",
                       ks=os.path.join(SYN, "rhel6-seed.kallsyms"),
                       symfs="/nonexistent-symfs",
                       snaps=[G + "/rhel6-seed.json", G + "/rhel6-seed.txt",
                              T + "/rhel6-seed.md"]),
    "control-free-pages": dict(data="synthetic/control-free-pages.data",
                               ks=os.path.join(SYN,
                                               "control-free-pages.kallsyms"),
                               symfs="/nonexistent-symfs",
                               snaps=[G + "/control-free-pages.txt"]),
    "seed-report": dict(text="text/seed-report.txt",
                        snaps=[T + "/seed-report.txt", T + "/seed-report.md"]),
}

# Fields of the JSON report that are numbers (or may be) and are NOT checked
# here, and why.  Everything else numeric is.
NOT_CHECKED = {
    "input.truncated_at, input.damage.offset":
        "the inputs are whole (checked: null); damaged inputs are "
        "tests/damage's",
    "input.time_window.*": "no --time here (checked: null); tests/time",
    "host.*": "only bundles carry it (checked: null); tests/bundle",
    "warnings[].offset": "byte offsets of damage: tests/damage",
    "findings[].forkers[].vmswap_kib":
        "a bundle's swapped-procs.tsv, not perf (checked: null); "
        "check-insight.py forkers",
    "findings[].fork_sites[].samples":
        "user-space fork sites need user symbols; these recordings have "
        "none (checked: empty list), tests/dwarf",
    "findings[].locks.*":
        "needs lock:contention records; none here (checked: null); "
        "check-diagnosis.py services",
    "input.kernel_symbols.evidence (map length, share at entry points)":
        "a judgement of the kallsyms against the recording, tests/ksym "
        "(its chain count is checked)",
    "numbers in remedy and note prose (glibc 2.24, RHEL 6, sleep 30, "
    "kernel era bounds)": "fixed text of the tables, not measurements",
    "hot.kernel_paths[].frames, findings[].paths order among equal counts":
        "names, not numbers; ties may come in any order",
}

failures = []
nchecks = 0


def check(cond, what):
    global nchecks
    nchecks += 1
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def near(got, want):
    """GOT is WANT as the JSON report prints numbers: to 6 significant
    digits (half a unit of the sixth digit, no more)."""
    if got is None or want is None:
        return got is None and want is None
    if want == 0:
        return got == 0
    unit = 10 ** (math.floor(math.log10(abs(want))) - 5)
    return abs(got - want) <= 0.5 * unit * (1 + 1e-9) + 1e-15


def printed(text, want):
    """TEXT (a number as printed, e.g. '6.8', '0.05', '142') equals WANT
    to its last printed digit."""
    if want is None:
        return False
    d = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - want) <= 0.5 * 10 ** -d + 1e-9


# ---- the rules (the frame sets of tests/repro/services/facts.py) ---------
FORK_COPY, SWAP_DUP = F.FORK_COPY, F.SWAP_DUP
TEARDOWN, SWAP_FREE = F.TEARDOWN, F.SWAP_FREE

# hot.kernel_paths: the kinds of kernel work swapdiag-report(5) names, by
# their characteristic frames (the table in src/detect/tables.c, written out
# again)
HOT_KINDS = {
    "fork page-table copying": FORK_COPY,
    "exit/exec teardown": TEARDOWN,
    "page faults and swap-in": {
        "handle_mm_fault", "__handle_mm_fault", "do_swap_page",
        "swapin_readahead", "swap_read_folio", "swap_readpage",
        "do_anonymous_page", "do_wp_page", "wp_page_copy", "exc_page_fault",
        "do_page_fault"},
    "reclaim and compaction": {
        "shrink_node", "shrink_lruvec", "shrink_zone", "shrink_folio_list",
        "shrink_page_list", "try_to_free_pages",
        "try_to_free_mem_cgroup_pages", "do_try_to_free_pages", "kswapd",
        "balance_pgdat", "compact_zone", "try_to_compact_pages", "kcompactd",
        "swap_writepage"},
    "memcg charging": {
        "mem_cgroup_charge", "__mem_cgroup_charge", "mem_cgroup_try_charge",
        "try_charge", "try_charge_memcg", "charge_memcg",
        "mem_cgroup_swapin_charge_folio", "__mem_cgroup_uncharge",
        "obj_cgroup_charge"},
    "spin locks": {
        "_raw_spin_lock", "_raw_spin_lock_irq", "_raw_spin_lock_irqsave",
        "_spin_lock", "_spin_lock_irq", "_spin_lock_irqsave",
        "native_queued_spin_lock_slowpath", "__pv_queued_spin_lock_slowpath",
        "queued_spin_lock_slowpath"},
    "fork (all of it)": {"copy_process", "kernel_clone", "_do_fork",
                         "do_fork"},
    "exec (all of it)": {"do_execve", "do_execveat_common", "load_elf_binary",
                         "bprm_execve"},
    "idle": {"do_idle", "cpu_idle", "cpu_startup_entry", "default_idle",
             "cpuidle_enter", "acpi_idle_enter"},
}


def is_dup(k):
    return F.has_below(k, FORK_COPY, SWAP_DUP)


def is_free(k):
    return F.has_below(k, TEARDOWN, SWAP_FREE)


def is_fork_copy(k):
    return any(f in FORK_COPY for f in k) and not is_dup(k)


PATTERNS = {  # finding -> (rule, context name, context rule)
    "swap_dup_fork": (is_dup, "all fork page-table copying",
                      lambda k: any(f in FORK_COPY for f in k)),
    "swap_free_exec": (is_free, "all address-space teardown",
                       lambda k: any(f in TEARDOWN for f in k)),
    "fork_copy": (is_fork_copy, "all fork page-table copying",
                  lambda k: any(f in FORK_COPY for f in k)),
}
STALL_IDS = ("mmap_lock_stall", "exec_lock_stall", "other_dstate")


# ---- truth from perf -----------------------------------------------------

def header(data):
    """perf report --header-only: CPUs, OS release, each event's sampling."""
    out = F.run(["perf", "report", "-f", "--header-only", "-i", data])
    h = {"events": []}
    for line in out.splitlines():
        m = re.match(r"# nrcpus avail : (\d+)", line)
        if m:
            h["nr_cpus"] = int(m.group(1))
        m = re.match(r"# (os release|perf version|arch|hostname) : (\S+)",
                     line)
        if m:
            h[m.group(1).replace(" ", "_")] = m.group(2)
        m = re.match(r"# cmdline : (.*?)\s*$", line)
        if m:
            h["cmdline"] = m.group(1)
        m = re.match(r"# event : name = ([^,]*),", line)
        if m:
            rate = int(re.search(r"\{ sample_period, sample_freq \} = (\d+)",
                                 line).group(1))
            freq = ", freq = 1" in line
            h["events"].append({"name": m.group(1), "rate": rate,
                                "sampling": "freq" if freq else "period"})
    return h


class Truth:
    """What perf says about one recording."""

    def __init__(self, data, ks, symfs):
        self.data = data
        self.header = header(data)
        self.stats = F.stats(data)
        self.on_cpu = self.header["events"][0]["name"]
        # stalls.py gives perf the kallsyms without __pfx_ lines (FOLDED.md)
        lines = S.run_perf(data, ks, symfs,
                           fields=S.FIELDS + ",period,dso")
        self.samples = []       # on-CPU: (comm, pid, time, period, kframes)
        self.switch_frames = {}  # (tid, time ns) -> kernel frames root first
        self.kernel_chains = 0   # samples of any event with kernel frames
        tmin = tmax = None
        for m, frames in S.records(lines, dso=True):
            t = F.ns(m.group("time"))
            tmin = t if tmin is None else min(tmin, t)
            tmax = t if tmax is None else max(tmax, t)
            # kernel frames: addresses in the upper half (every kernel
            # swapdiag knows maps its text there) that perf places in the
            # kernel (a user chain's garbage frame pointer may point up
            # there too: perf's DSO for it is [unknown])
            kf = [f[0] for f in reversed(frames)
                  if f[1] >= 1 << 63 and f[2] != "[unknown]"]
            self.kernel_chains += bool(kf)
            ev = m.group("event")
            if ev == self.on_cpu:
                self.samples.append((m.group("comm").strip(),
                                     int(m.group("pid")), t,
                                     int(m.group("period") or 1), tuple(kf)))
            elif ev == "sched:sched_switch":
                self.switch_frames[(int(m.group("tid")), t)] = tuple(kf)
        self.tmin, self.tmax = tmin, tmax
        self.total = sum(s[3] for s in self.samples)
        # sleeps (facts.py's rule), in the service rows' form that
        # check-diagnosis.py's holder rule reads
        _, rows, acts, owners = F.samples(data, ks, self.on_cpu, symfs)
        self.owners = owners
        self.rows = []
        for r in rows:
            if r["kind"] not in STALL_IDS:
                continue
            a = F.activity(acts, r)
            parsed = []
            for x in ([] if a == "-" else a.split(",")):
                y = x.split(":")
                parsed.append({"pid": int(y[0]), "samples": int(y[1]),
                               "last": int(y[2]), "after": len(y) > 3})
            self.rows.append({
                "comm": r["comm"], "pid": r["pid"], "tid": r["tid"],
                "out": "%d.%09d" % divmod(r["out"], 10**9), "out_ns": r["out"],
                "ms": (r["in"] - r["out"]) / 1e6 if r["in"] else None,
                "lock": r["lock"], "kind": r["kind"], "acts": parsed})
        # forks between the first and the last sample: the span the
        # duration and every rate are over (facts.py, perftruth.in_span)
        self.tasks = F.task_events(data, raw=True,
                                   span=(tmin, tmax) if tmin else None)
        # sched_switch recorded at every switch (period 1), or sampled
        self.switch_every = any(
            e["name"] == "sched:sched_switch" and e["sampling"] == "period"
            and e["rate"] == 1 for e in self.header["events"])
        self.ticket = self.ticket_locks()

    def ticket_locks(self):
        """x86 before 4.2 takes ticket spin locks; any queued slow-path frame
        says otherwise (swapdiag-report(5), lock_contended_share)."""
        m = re.match(r"(\d+)\.(\d+)", self.header.get("os_release", ""))
        old = bool(m) and (int(m.group(1)), int(m.group(2))) < (4, 2)
        slow = any(f in INSIGHT.SLOW for s in self.samples for f in s[4])
        return old and not slow

    def duration(self):
        return (self.tmax - self.tmin) / 1e9 if self.tmax != self.tmin else None

    def pattern(self, fid):
        rule, cname, crule = PATTERNS[fid]
        mine = [s for s in self.samples if rule(s[4])]
        ctx = [s for s in self.samples if crule(s[4])]
        return mine, cname, ctx


# ---- JSON, field by field ------------------------------------------------

def share(samples, total):
    return sum(s[3] for s in samples) / total if total else 0.0


def check_processes(label, got, samples, total):
    by = collections.defaultdict(list)
    for s in samples:
        by[s[0]].append(s)
    want = sorted(by.items(), key=lambda kv: (-share(kv[1], total), kv[0]))
    check([p["comm"] for p in got] == [c for c, _ in want[:10]],
          "%s processes %s (perf: %s)" % (label, [p["comm"] for p in got],
                                         [c for c, _ in want[:10]]))
    for p in got:
        ss = by.get(p["comm"], [])
        pids = sorted({s[1] for s in ss})
        check(p["samples"] == len(ss) and near(p["share"], share(ss, total))
              and p["nr_pids"] == len(pids) and p["pids"] == pids[:32],
              "%s process %s: %d samples, share %.6f, %d pids (perf: %d, "
              "%.6f, %d)" % (label, p["comm"], p["samples"], p["share"],
                             p["nr_pids"], len(ss), share(ss, total),
                             len(pids)))


def check_paths(label, got, counts):
    want = sorted(counts.values(), reverse=True)[:5]
    check([p["samples"] for p in got] == want,
          "%s paths' samples %s (perf: %s)" % (label,
                                               [p["samples"] for p in got],
                                               want))
    bad = [p["frames"][-3:] for p in got
           if counts.get(tuple(p["frames"])) != p["samples"]]
    check(not bad, "%s each path's samples = perf's stacks with that kernel "
          "path (differ: %s)" % (label, bad))


def check_timeline(label, tl, truth, mine):
    if truth.tmin is None:
        check(tl is None or tl["start_s"] is None, label + " no timeline")
        return
    first, last = truth.tmin // 10**9, truth.tmax // 10**9
    n = last - first + 1
    tot, pat = [0] * n, [0] * n
    for s in truth.samples:
        tot[s[2] // 10**9 - first] += s[3]
    for s in mine:
        pat[s[2] // 10**9 - first] += s[3]
    want = [p / t if t else 0.0 for p, t in zip(pat, tot)]
    check(tl["bucket_s"] == 1 and tl["start_s"] == float(first) and
          len(tl["share"]) == n and
          all(near(a, b) for a, b in zip(tl["share"], want)),
          "%s timeline from %d s: %s (perf: %s)" %
          (label, first, tl["share"], [round(x, 6) for x in want]))


def check_forkers(label, f, truth, mine):
    te = truth.tasks
    exe_end = te["exe_at_end"]
    per_exe = collections.defaultdict(list)
    for s in mine:
        per_exe[exe_end.get(s[1], "?")].append(s)
    want = {e: ss for e, ss in per_exe.items()
            if te["forks_per_exe"].get(e, {}).get("forks")}
    got = f.get("forkers") or []
    check(sorted(k["exe"] for k in got) == sorted(want),
          "%s forkers %s (perf: %s)" % (label, [k["exe"] for k in got],
                                       sorted(want)))
    dur = truth.duration()
    cpu_clock = truth.on_cpu.split("/")[0] in ("cpu-clock", "task-clock")
    for k in got:
        e = k["exe"]
        fe = te["forks_per_exe"].get(e)
        ss = want.get(e, [])
        if not fe:
            continue
        pids = sorted(te["forking_pids_of"][e])
        top = max(fe["comms"].items(), key=lambda x: (x[1], x[0]))[0]
        ms = sum(s[3] for s in ss) / 1e6 if cpu_clock else None
        execs = {x["exe"]: x["count"] for x in k["execs"]}
        check(k["forks"] == fe["forks"] and k["nr_pids"] == len(pids) and
              k["pids"] == pids[:32] and k["comm"] == top and
              k["samples"] == len(ss) and execs == fe["execs_of_children"],
              "%s forker %s: %d forks by %d pids %s, comm %s, %d samples, "
              "execs %s (perf: %d, %d, %s, %s, %d, %s)" %
              (label, e, k["forks"], k["nr_pids"], k["pids"][:4], k["comm"],
               k["samples"], execs, fe["forks"], len(pids), top, pids[:4],
               len(ss), fe["execs_of_children"]))
        check(near(k["cpu_ms"], ms) and
              near(k["cpu_ms_per_fork"], ms / fe["forks"] if ms is not None
                   else None) and
              near(k["forks_per_s"], fe["forks"] / dur if dur else None),
              "%s forker %s: cpu_ms %s, per fork %s, forks/s %s (perf: %s, "
              "%s, %s)" % (label, e, k["cpu_ms"], k["cpu_ms_per_fork"],
                           k["forks_per_s"], ms,
                           ms / fe["forks"] if ms is not None else None,
                           fe["forks"] / dur if dur else None))
        check(k["vmswap_kib"] is None, "%s forker %s: vmswap_kib null "
              "(no bundle)" % (label, e))


def check_locks(label, f, fid, mine, truth):
    acc = [0, 0, 0]
    ctx, swap = ((FORK_COPY, SWAP_DUP) if fid == "swap_dup_fork"
                 else (TEARDOWN, SWAP_FREE))
    for s in mine:
        hit, lock, spin, leaf = INSIGHT.classify(list(s[4]), ctx, swap)
        if hit:
            acc[0] += s[3]
            acc[1] += s[3] if lock else 0
            acc[2] += s[3] if (spin or (leaf and truth.ticket)) else 0
    check(near(f["lock_share"], acc[1] / acc[0]) and
          near(f["lock_contended_share"], acc[2] / acc[0]),
          "%s lock_share %.6f, contended %.6f (perf: %.6f, %.6f%s)" %
          (label, f["lock_share"], f["lock_contended_share"], acc[1] / acc[0],
           acc[2] / acc[0], ", ticket locks" if truth.ticket else ""))


def check_cpu_finding(label, f, truth):
    fid = f["id"]
    mine, cname, ctx = truth.pattern(fid)
    lab = "%s %s:" % (label, fid)
    check(f["samples"] == len(mine) and near(f["share"],
                                             share(mine, truth.total)),
          "%s %d samples, share %.6f (perf: %d, %.6f)" %
          (lab, f["samples"], f["share"], len(mine),
           share(mine, truth.total)))
    c = f["context"]
    check(c["name"] == cname and c["samples"] == len(ctx) and
          near(c["share"], share(ctx, truth.total)),
          "%s context %r %d samples, share %.6f (perf: %d, %.6f)" %
          (lab, c["name"], c["samples"], c["share"], len(ctx),
           share(ctx, truth.total)))
    check_processes(lab, f["processes"], mine, truth.total)
    check_paths(lab, f["paths"], collections.Counter(s[4] for s in mine))
    check_timeline(lab, f["timeline"], truth, mine)
    if fid in ("swap_dup_fork", "swap_free_exec"):
        check_locks(lab, f, fid, mine, truth)
    if fid in ("swap_dup_fork", "fork_copy"):
        check_forkers(lab, f, truth, mine)
        check(f["fork_sites"] == [], "%s fork_sites empty (no user symbols "
              "in these recordings)" % lab)


def check_stall_finding(label, f, truth, durations_known):
    fid = f["id"]
    lab = "%s %s:" % (label, fid)
    rows = [r for r in truth.rows if r["kind"] == fid]
    done = [r["ms"] for r in rows if r["ms"] is not None]
    check(f["stalls"] == len(rows) and f["samples"] == len(rows) and
          f["processes"] == [] and f["share"] is None and
          f["context"] is None and f["timeline"] is None,
          "%s %d sleeps (perf script: %d D switch-outs in the rwsem read "
          "slow path)" % (lab, f["stalls"], len(rows)))
    check(f["stalls_without_wakeup"] == len(rows) - len(done),
          "%s %d without a recorded switch-in (perf script: %d)" %
          (lab, f["stalls_without_wakeup"], len(rows) - len(done)))
    check(f["durations_known"] is durations_known,
          "%s durations_known %s (sched_switch %s)" %
          (lab, f["durations_known"],
           "recorded every time" if durations_known else "sampled"))
    if durations_known:
        check(near(f["blocked_ms_total"], sum(done)) and
              near(f["blocked_ms_max"], max(done) if done else None),
              "%s blocked %s ms, longest %s (perf script: %.6f, %s)" %
              (lab, f["blocked_ms_total"], f["blocked_ms_max"], sum(done),
               max(done) if done else None))
    else:
        check(f["blocked_ms_total"] is None and f["blocked_ms_max"] is None,
              "%s durations null (sampled sched_switch)" % lab)
    vict = collections.defaultdict(list)
    for r in rows:
        vict[(r["comm"], r["pid"])].append(r["ms"])
    got = {(v["comm"], v["pid"]): v for v in f["victims"]}
    check(set(got) == set(vict), "%s victims %d (perf script: %d)" %
          (lab, len(got), len(vict)))
    bad = []
    for key, ms in vict.items():
        v = got.get(key)
        d = [x for x in ms if x is not None]
        if not v or v["stalls"] != len(ms):
            bad.append(key)
        elif durations_known and d:
            if not (near(v["blocked_ms"], sum(d)) and near(v["max_ms"], max(d))):
                bad.append(key)
        elif v["blocked_ms"] is not None or v["max_ms"] is not None:
            bad.append(key)
    check(not bad, "%s each victim's sleeps, blocked and longest (differ: "
          "%s)" % (lab, bad[:5]))
    # the paths: the kernel part of each sleep's sched_switch chain
    paths = collections.Counter(truth.switch_frames.get((r["tid"], r["out_ns"]))
                                for r in rows)
    check_paths(lab, f["paths"], paths)
    if fid == "other_dstate":
        check(f["lock_holders"] == [] and f["locks"] is None,
              "%s no holders, no lock objects" % lab)
        return
    groups, holders, tied = DIAG.expected_holders(rows, truth.owners, fid)
    got_h = {h["pid"]: h for h in f["lock_holders"]}
    check(len(got_h) == min(len(holders), 10) and all(
        pid in holders and holders[pid]["stalls"] == h["stalls"] and
        holders[pid]["samples"] == h["samples"] for pid, h in got_h.items()),
        "%s lock holders %s (the rule on perf's sleeps and samples: %s)" %
        (lab, sorted((p, h["stalls"], h["samples"]) for p, h in got_h.items()),
         sorted((p, h["stalls"], h["samples"]) for p, h in holders.items())))
    if not groups:
        check(f["locks"] is None, "%s locks null (no lock:contention "
              "records)" % lab)


def check_hot(label, hot, truth):
    by = collections.defaultdict(list)
    for s in truth.samples:
        by[s[0]].append(s)
    want = sorted(by.items(), key=lambda kv: (-share(kv[1], truth.total),
                                              kv[0]))[:8]
    check([p["comm"] for p in hot["processes"]] == [c for c, _ in want],
          "%s hot processes %s (perf: %s)" %
          (label, [p["comm"] for p in hot["processes"]], [c for c, _ in want]))
    bad = [p["comm"] for p in hot["processes"]
           if p["samples"] != len(by.get(p["comm"], [])) or
           not near(p["share"], share(by.get(p["comm"], []), truth.total))]
    check(not bad, "%s hot processes' samples and shares (differ: %s)" %
          (label, bad))
    kinds = {}
    for name, frames in HOT_KINDS.items():
        ss = [s for s in truth.samples if any(f in frames for f in s[4])]
        if ss:
            kinds[name] = ss
    want = sorted(kinds, key=lambda n: -share(kinds[n], truth.total))[:8]
    got = {p["name"]: p for p in hot["kernel_paths"]}
    check(sorted(got) == sorted(want), "%s hot kernel path kinds %s (perf: "
          "%s)" % (label, sorted(got), sorted(want)))
    bad = [n for n, p in got.items()
           if n not in kinds or p["samples"] != len(kinds[n]) or
           not near(p["share"], share(kinds[n], truth.total))]
    check(not bad, "%s hot kernel paths' samples and shares (differ: %s)" %
          (label, bad))


def check_input(label, inp, truth, data):
    check(inp["size_bytes"] == os.path.getsize(data),
          "%s input.size_bytes %d (the file: %d)" %
          (label, inp["size_bytes"], os.path.getsize(data)))
    hd = truth.header
    check([inp[k] for k in ("os_release", "perf_version", "arch", "hostname")]
          == [hd.get(k) for k in ("os_release", "perf_version", "arch",
                                  "hostname")],
          "%s input os_release, perf_version, arch, hostname %s (perf "
          "header: %s)" % (label, [inp[k] for k in ("os_release",
                                                     "perf_version", "arch",
                                                     "hostname")],
                           [hd.get(k) for k in ("os_release", "perf_version",
                                                "arch", "hostname")]))
    check(inp["cmdline"] == hd.get("cmdline"), "%s input.cmdline (perf "
          "header: %s)" % (label, hd.get("cmdline")))
    check(inp["nr_cpus"] == truth.header["nr_cpus"],
          "%s input.nr_cpus %s (perf header: %d)" %
          (label, inp["nr_cpus"], truth.header["nr_cpus"]))
    check(near(inp["duration_s"], truth.duration()),
          "%s input.duration_s %s (perf script: first to last sample %.9f)" %
          (label, inp["duration_s"], truth.duration() or 0))
    st = truth.stats
    check(inp["lost_events"] == st.get("record:LOST", 0) and
          inp["lost_samples"] == st.get("record:LOST_SAMPLES", 0),
          "%s input.lost_events %s, lost_samples %s (perf report --stats: "
          "%d, %d)" % (label, inp["lost_events"], inp["lost_samples"],
                       st.get("record:LOST", 0),
                       st.get("record:LOST_SAMPLES", 0)))
    want = [(e["name"], st.get(e["name"], 0), e["sampling"], e["rate"])
            for e in truth.header["events"]]
    got = [(e["name"], e["samples"], e["sampling"], e["rate"])
           for e in inp["events"]]
    check(got == want, "%s input.events %s (perf report --stats and header: "
          "%s)" % (label, got, want))
    m = re.search(r"of (\d+) kernel call chains",
                  inp["kernel_symbols"]["evidence"])
    check(m is None or int(m.group(1)) == truth.kernel_chains,
          "%s kernel_symbols.evidence: %s kernel call chains (perf script: "
          "%d samples with kernel frames)" %
          (label, m and m.group(1), truth.kernel_chains))
    check(inp["truncated"] is False and inp["truncated_at"] is None and
          inp["damage"] is None and inp["time_window"] is None,
          "%s whole input: not truncated, no damage, no time window" % label)


def check_doc(label, doc, truth, data):
    check_input(label, doc["input"], truth, data)
    check(doc["host"] is None, "%s host null (not a bundle)" % label)
    ids = [f["id"] for f in doc["findings"]]
    for fid in ("swap_dup_fork", "swap_free_exec"):
        n = len(truth.pattern(fid)[0])
        if n == 0:
            check(fid not in ids, "%s no %s (perf: no such stack)" %
                  (label, fid))
    for f in doc["findings"]:
        if f["id"] in PATTERNS:
            check_cpu_finding(label, f, truth)
        else:
            check_stall_finding(label, f, truth, truth.switch_every)
    for fid in STALL_IDS:
        if fid not in ids:
            n = sum(r["kind"] == fid for r in truth.rows)
            check(n == 0, "%s no %s (perf script: %d such sleeps)" %
                  (label, fid, n))
    se = doc["swap_entry"]
    sw = [f for f in doc["findings"] if f["id"] in ("swap_dup_fork",
                                                    "swap_free_exec")]
    want = sum(share(truth.pattern(f["id"])[0], truth.total) for f in sw)
    check((se is None) == (not sw) and (se is None or near(se["share"], want)),
          "%s swap_entry.share %s (perf: %.6f)" %
          (label, se and se["share"], want))
    check_hot(label, doc["hot"], truth)
    check_verdict(label + " verdict:", doc["verdict"], doc, truth)
    for f in doc["findings"]:
        if f.get("lock_note"):
            check_lock_line("%s %s lock_note:" % (label, f["id"]),
                            f["id"], "lock: " + f["lock_note"],
                            truth.pattern(f["id"])[0], truth)


# ---- the numbers in the text and markdown snapshots ----------------------

PCT = r"([\d.]+) ?%"


def check_text(label, text, doc, truth):
    """The snapshot's printed numbers against perf's, each to the precision
    it is printed with.  DOC (the live report) only says which finding a
    block is; every number is compared with TRUTH."""
    lines = text.splitlines()
    on_cpu = truth.on_cpu
    m = re.search(r"([\d.]+) s, (\d+) `?%s`? samples" % re.escape(on_cpu), text)
    check(m is not None and printed(m.group(1), truth.duration()) and
          int(m.group(2)) == len(truth.samples),
          "%s header: %s s, %s %s samples (perf: %.3f s, %d)" %
          (label, m and m.group(1), m and m.group(2), on_cpu,
           truth.duration() or 0, len(truth.samples)))
    hd = truth.header
    m = re.search(r"host `?(\S+?)`?, kernel `?(\S+?)`? \((\S+), (\d+) CPUs\), "
                  r"perf (\S+),", text)
    check(m is not None and m.groups() == (
        hd.get("hostname"), hd.get("os_release"), hd.get("arch"),
        str(hd.get("nr_cpus")), hd.get("perf_version")),
          "%s header: host, kernel, arch, CPUs, perf %s (perf header: %s)" %
          (label, m and m.groups(), [hd.get(k) for k in (
              "hostname", "os_release", "arch", "nr_cpus", "perf_version")]))
    check_verdict(label, lines[0], doc, truth)
    m = re.search(r"of (\d+) kernel call chains", re.sub(r"\s+", " ", text))
    check(m is None or int(m.group(1)) == truth.kernel_chains,
          "%s kernel symbols: %s kernel call chains (perf script: %d samples "
          "with kernel frames)" % (label, m and m.group(1),
                                   truth.kernel_chains))
    for mm in re.finditer(r"(\S+) was sampled \((freq|period) (\d+)\)",
                          re.sub(r"\s+", " ", text)):
        ev = next((e for e in truth.header["events"]
                   if e["name"] == mm.group(1)), None)
        check(ev is not None and ev["sampling"] == mm.group(2) and
              ev["rate"] == int(mm.group(3)),
              "%s note: %s sampled (%s %s) (perf header: %s)" %
              (label, mm.group(1), mm.group(2), mm.group(3), ev))
    check_text_body(label, text, lines, doc, truth)


def check_verdict(label, line, doc, truth):
    se = sum(share(truth.pattern(f)[0], truth.total)
             for f in ("swap_dup_fork", "swap_free_exec")
             if any(x["id"] == f for x in doc["findings"]))
    m = re.search(r"swap-entry work takes ([\d.]+)% of CPU", line)
    if m:
        check(printed(m.group(1), 100 * se), "%s verdict: swap-entry work "
              "%s%% (perf: %.3f%%)" % (label, m.group(1), 100 * se))
    m = re.search(r"page-table copying of a large resident parent takes "
                  r"([\d.]+)% of CPU", line)
    if m:
        w = share(truth.pattern("fork_copy")[0], truth.total)
        check(printed(m.group(1), 100 * w), "%s verdict: fork_copy %s%% "
              "(perf: %.3f%%)" % (label, m.group(1), 100 * w))
    m = re.search(r"stalled on mmap_lock \((\d+) sleeps seen in a sampled",
                  line)
    if m:
        rows = [r for r in truth.rows if r["kind"] == "mmap_lock_stall"]
        check(int(m.group(1)) == len(rows) and not truth.switch_every,
              "%s verdict: %s mmap_lock sleeps, sampled (perf script: %d)" %
              (label, m.group(1), len(rows)))
    m = re.search(r"stalled on mmap_lock (\d+) times \(longest ([\d.]+) ms\)",
                  line)
    if m:
        rows = [r for r in truth.rows if r["kind"] == "mmap_lock_stall"]
        done = [r["ms"] for r in rows if r["ms"] is not None]
        check(int(m.group(1)) == len(rows) and printed(m.group(2), max(done)),
              "%s verdict: %s mmap_lock stalls, longest %s ms (perf script: "
              "%d, %.3f)" % (label, m.group(1), m.group(2), len(rows),
                             max(done)))


def check_text_body(label, text, lines, doc, truth):
    # each finding's block: from its "[severity] id:" (text) or
    # "### `id`:" (markdown) line to the next
    starts = [(i, mm.group(1)) for i, l in enumerate(lines)
              for mm in [re.match(r"(?:\[\w+\] |### `)(\w+)`?:", l)] if mm]
    seen = set()
    for n, (i, fid) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        block = "\n".join(lines[i:end])
        seen.add(fid)
        lab = "%s %s:" % (label, fid)
        if fid in PATTERNS:
            check_text_cpu(lab, fid, block, truth)
        elif fid in STALL_IDS:
            check_text_stall(lab, fid, block, truth)
    check(seen == {f["id"] for f in doc["findings"]},
          "%s a block for every finding: %s" % (label, sorted(seen)))
    # the markdown summary table
    for mm in re.finditer(r"^\| `(\w+)` \| [^|]* \| ([^|]*) \| ([^|]*) \|$",
                          text, re.M):
        fid, what, procs = mm.groups()
        lab = "%s table %s:" % (label, fid)
        if fid in PATTERNS:
            mine = truth.pattern(fid)[0]
            m2 = re.match(PCT + r" \((\d+) samples\)", what)
            check(m2 is not None and
                  printed(m2.group(1), 100 * share(mine, truth.total)) and
                  int(m2.group(2)) == len(mine),
                  "%s %s (perf: %.3f %%, %d samples)" %
                  (lab, what, 100 * share(mine, truth.total), len(mine)))
            check_proc_list(lab, procs, mine, truth)
        elif fid in STALL_IDS:
            check_stall_summary(lab, fid, what, truth)
            check_text_victims(lab, fid, procs, truth)
    check_where(label, text, truth)
    flat = re.sub(r"\s+", " ", text)
    for mm in re.finditer(r"[Bb]ecause (\S+): (\d+) forking process(?:es)?, "
                          r"(\d+) forks \((\d+)/s\)", flat):
        comm, procs, forks, rate = mm.groups()
        te = truth.tasks["forks_per_exe"]
        e = next((e for e, d in te.items()
                  if os.path.basename(e) == comm or d["comms"].get(comm)),
                 None)
        d = te.get(e, {})
        check(e is not None and d["forking_pids"] == int(procs) and
              d["forks"] == int(forks) and
              printed(rate, d["forks"] / truth.duration()),
              "%s remedy because %s: %s forking processes, %s forks, %s/s "
              "(perf's FORK records: %s, %s)" %
              (label, comm, procs, forks, rate, d.get("forking_pids"),
               d.get("forks")))


def check_proc_list(lab, procs, mine, truth):
    """'forkswap 4.6% (pids 9565 9567 9576 9577 +128)' or '`httpd` 28.6 %'."""
    by = collections.defaultdict(list)
    for s in mine:
        by[s[0]].append(s)
    for mm in re.finditer(r"`?([^`,]+?)`? " + PCT +
                          r"(?: \(pids? ([\d ]+)(?: \+(\d+))?\))?", procs):
        comm, pct, pids, more = mm.groups()
        ss = by.get(comm.strip(), [])
        allp = sorted({s[1] for s in ss})
        ok = printed(pct, 100 * share(ss, truth.total))
        if pids:
            shown = [int(x) for x in pids.split()]
            ok &= shown == allp[:len(shown)] and \
                len(shown) + int(more or 0) == len(allp)
        check(ok, "%s process %s %s%% pids %s +%s (perf: %.3f%%, %d pids "
              "from %s)" % (lab, comm, pct, pids, more,
                            100 * share(ss, truth.total), len(allp),
                            allp[:4]))


def check_text_cpu(lab, fid, block, truth):
    mine, cname, ctx = truth.pattern(fid)
    m = re.search(PCT + r" of on-CPU samples \((\d+)\); ([^:]+): " + PCT,
                  block)
    check(m is not None and printed(m.group(1), 100 * share(mine, truth.total))
          and int(m.group(2)) == len(mine) and m.group(3) == cname and
          printed(m.group(4), 100 * share(ctx, truth.total)),
          "%s %s%% of on-CPU samples (%s), context %s%% (perf: %.3f%%, %d, "
          "%.3f%%)" % (lab, m and m.group(1), m and m.group(2),
                       m and m.group(4), 100 * share(mine, truth.total),
                       len(mine), 100 * share(ctx, truth.total)))
    m = re.search(r"^  processes: (.*)$", block, re.M)
    if m:
        check_proc_list(lab, m.group(1), mine, truth)
    paths = collections.Counter(s[4] for s in mine)
    top = max(paths.values())
    m = re.search(r"[Hh]ot path \((\d+)(?: samples)?\)(?:: ([^\n]*)|, root "
                  r"first:\n\n```\n(.*?)\n```)", block, re.S)
    frames = None
    if m:
        frames = tuple((m.group(2) or "").split(" > ")) if m.group(2) \
            else tuple(m.group(3).split("\n"))
    check(m is not None and int(m.group(1)) == top and
          paths.get(frames) == top,
          "%s hot path (%s) (perf: the heaviest kernel path has %d samples)"
          % (lab, m and m.group(1), top))
    for mm in re.finditer(r"(\S+) forked (\d+)/s \((\d+) forks\)(?:, each "
                          r"fork spent ([\d.]+) ms)?", block):
        comm, rate, forks, per = mm.groups()
        te = truth.tasks["forks_per_exe"]
        e = next((e for e, d in te.items()
                  if d["comms"].get(comm) and d["forks"] == int(forks)), None)
        ss = [s for s in mine if truth.tasks["exe_at_end"].get(s[1]) == e]
        ms = sum(s[3] for s in ss) / 1e6
        dur = truth.duration()
        check(e is not None and printed(rate, int(forks) / dur) and
              (per is None or printed(per, ms / int(forks))),
              "%s forker %s %s/s (%s forks), %s ms each (perf: %s, %s forks, "
              "%.3f/s, %.3f ms)" % (lab, comm, rate, forks, per, e,
                                    te.get(e, {}).get("forks"),
                                    int(forks) / dur,
                                    ms / int(forks)))
    m = re.search(r"per second: \S+ \(peak " + PCT + r"\)", block)
    if m:
        first = truth.tmin // 10**9
        n = truth.tmax // 10**9 - first + 1
        tot, pat = [0] * n, [0] * n
        for s in truth.samples:
            tot[s[2] // 10**9 - first] += s[3]
        for s in mine:
            pat[s[2] // 10**9 - first] += s[3]
        peak = max(p / t if t else 0 for p, t in zip(pat, tot))
        check(printed(m.group(1), 100 * peak), "%s peak second %s%% (perf: "
              "%.3f%%)" % (lab, m.group(1), 100 * peak))
    if fid != "fork_copy":
        check_lock_line(lab, fid, block, mine, truth)


def check_lock_line(lab, fid, block, mine, truth):
    m = re.search(r"lock: ([\d.]+)% of this work takes a spin lock.*?"
                  r"(?:only )?([\d.]+)% spins", re.sub(r"\s+", " ", block))
    if True:
        acc = [0, 0, 0]
        ctxf, swap = ((FORK_COPY, SWAP_DUP) if fid == "swap_dup_fork"
                      else (TEARDOWN, SWAP_FREE))
        for s in mine:
            hit, lock, spin, leaf = INSIGHT.classify(list(s[4]), ctxf, swap)
            acc[0] += s[3]
            acc[1] += s[3] if lock else 0
            acc[2] += s[3] if (spin or (leaf and truth.ticket)) else 0
        check(m is not None and printed(m.group(1), 100 * acc[1] / acc[0]) and
              printed(m.group(2), 100 * acc[2] / acc[0]),
              "%s lock line %s%% / %s%% (perf: %.3f%%, %.3f%%)" %
              (lab, m and m.group(1), m and m.group(2), 100 * acc[1] / acc[0],
               100 * acc[2] / acc[0]))


def stall_truth(truth, fid):
    rows = [r for r in truth.rows if r["kind"] == fid]
    done = [r["ms"] for r in rows if r["ms"] is not None]
    return rows, done


def check_stall_summary(lab, fid, what, truth):
    """'15 sleeps, longest 9.0 ms, 41.1 ms in total'."""
    rows, done = stall_truth(truth, fid)
    m = re.match(r"(\d+) sleeps?(?:, longest ([\d.]+) ms, ([\d.]+) ms in "
                 r"total)?", what)
    check(m is not None and int(m.group(1)) == len(rows) and
          (m.group(2) is None or (printed(m.group(2), max(done)) and
                                  printed(m.group(3), sum(done)))),
          "%s %s (perf script: %d sleeps, longest %s, total %s)" %
          (lab, what, len(rows), max(done) if done else None,
           sum(done) if done else None))


def check_text_stall(lab, fid, block, truth):
    rows, done = stall_truth(truth, fid)
    m = re.search(r"(\d+) D-state sleeps?(?:, blocked ([\d.]+) ms in total, "
                  r"longest ([\d.]+) ms)?(?: \((\d+) without a recorded "
                  r"wake-up\))?", block)
    check(m is not None and int(m.group(1)) == len(rows) and
          (m.group(2) is None or (printed(m.group(2), sum(done)) and
                                  printed(m.group(3), max(done)))) and
          (int(m.group(4)) == len(rows) - len(done) if m.group(4) else
           len(rows) == len(done) or not truth.switch_every),
          "%s %s (perf script: %d sleeps, %s ms, longest %s, %d without a "
          "switch-in)" % (lab, m and m.group(0), len(rows),
                          sum(done) if done else None,
                          max(done) if done else None, len(rows) - len(done)))
    check_text_victims(lab, fid, block, truth)
    m = re.search(r"[Hh]olding (?:it|the lock) [^:]*: (.*)$", block, re.M)
    if m and fid != "other_dstate":
        _, holders, _ = DIAG.expected_holders(rows, truth.owners, fid)
        shown = re.findall(r"\(pid (\d+), \d+ sleeps?\)", m.group(1))
        check(len(set(shown)) == len(shown) == min(len(holders), len(shown))
              and len(shown) > 0,
              "%s %d distinct holders shown (the rule: %d)" %
              (lab, len(set(shown)), len(holders)))
        for mm in re.finditer(r"(\S+) \(pid (\d+), (\d+) sleeps?\)",
                              m.group(1)):
            h = holders.get(int(mm.group(2)))
            check(h is not None and h["stalls"] == int(mm.group(3)),
                  "%s holder pid %s, %s sleeps (the rule on perf's facts: "
                  "%s)" % (lab, mm.group(2), mm.group(3), h))


def check_text_victims(lab, fid, block, truth):
    """'ps (pid 9828) 2 sleeps, 3.3 ms in all, longest 3.0 ms' (text),
    '`ps` (pid 9828) 2×' (markdown), and '+N more'."""
    rows, done = stall_truth(truth, fid)
    vict = collections.defaultdict(list)
    for r in rows:
        vict[(r["comm"], r["pid"])].append(r["ms"])
    shown = 0
    pids = []
    for mm in re.finditer(r"`?(\S+?)`? \(pid (\d+)\) (\d+)(?: sleeps?|×)"
                          r"(?:, ([\d.]+) ms in all, longest ([\d.]+) ms)?",
                          block):
        comm, pid, n, tot, mx = mm.groups()
        ms = vict.get((comm, int(pid)))
        d = [x for x in (ms or []) if x is not None]
        shown += 1
        pids.append(pid)
        check(ms is not None and int(n) == len(ms) and
              (tot is None or (printed(tot, sum(d)) and printed(mx, max(d)))),
              "%s victim %s %s: %s sleeps %s ms, longest %s (perf script: "
              "%s)" % (lab, comm, pid, n, tot, mx, ms))
    check(len(set(pids)) == len(pids), "%s victims shown once each" % lab)
    m = re.search(r"\+(\d+) more", block)
    if m:
        check(shown + int(m.group(1)) == len(vict),
              "%s %d victims shown + %s more = %d (perf script: %d)" %
              (lab, shown, m.group(1), shown + int(m.group(1)), len(vict)))


def check_where(label, text, truth):
    """'Where the CPU went': processes and kinds of kernel work."""
    i = text.find("Where the CPU went")
    if i < 0:
        return
    part = text[i:].split("\n\n")[0]
    by = collections.defaultdict(list)
    for s in truth.samples:
        by[s[0]].append(s)
    m = re.search(r"processes: (.*)", part)
    if m:
        for mm in re.finditer(r"`?([^`,]+?)`? " + PCT, m.group(1)):
            ss = by.get(mm.group(1).strip(), [])
            check(printed(mm.group(2), 100 * share(ss, truth.total)),
                  "%s where the CPU went: %s %s%% (perf: %.3f%%)" %
                  (label, mm.group(1), mm.group(2),
                   100 * share(ss, truth.total)))
    for mm in re.finditer(r"^\s*(?:- )?([\d.]+) ?% ([^:]+?):", part, re.M):
        name = mm.group(2).strip("* ")
        if name not in HOT_KINDS:
            continue
        ss = [s for s in truth.samples
              if any(f in HOT_KINDS[name] for f in s[4])]
        check(printed(mm.group(1), 100 * share(ss, truth.total)),
              "%s where the CPU went: %s %s%% (perf: %.3f%%)" %
              (label, name, mm.group(1), 100 * share(ss, truth.total)))


# ---- the cases -----------------------------------------------------------

def swapdiag_json(args):
    p = subprocess.run([SWAPDIAG, "--no-progress", "-q", "--buildid-dir",
                        "/nonexistent-buildid-cache", *args, "--json", "-"],
                       capture_output=True, timeout=300, cwd=TD)
    doc = json.loads(p.stdout.decode())
    errs = schemacheck.report_errors(doc)
    check(not errs, "the report matches the schema%s" %
          (": " + errs[0] if errs else ""))
    return p.returncode, doc


def case_recording(c):
    data = os.path.join(TD, c["data"])
    symfs = c["symfs"] if c["symfs"].startswith("/") else \
        os.path.join(TD, c["symfs"])
    truth = Truth(data, c["ks"], symfs)
    rc, doc = swapdiag_json(["--kallsyms", c["ks"], "--symfs", symfs,
                             c["data"]])
    check(rc == (1 if doc["severity"] in ("warning", "critical") else 0),
          "exit %d for severity %s (swapdiag(1), EXIT STATUS)" %
          (rc, doc["severity"]))
    check(len(truth.samples) > 0, "perf script gives %d %s samples" %
          (len(truth.samples), truth.on_cpu))
    check_doc("live", doc, truth, data)
    for snap in c["snaps"]:
        name = os.path.basename(snap)
        with open(snap) as f:
            body = f.read()
        if snap.endswith(".json"):
            check_doc(name, json.loads(body), truth, data)
        else:
            check_text(name, body, doc, truth)


# ---- text input: the perf report itself is the truth -----------------

def parse_report(path):
    """perf report text, caller first with fractal percentages (each branch
    a share of its parent): [(comm, weight, frames root first)], weights
    fractions of all samples; '[...]' (the rest of a branch perf did not
    print) ends a stack at its parent."""
    stacks = []
    entry = None
    with open(path) as f:
        lines = f.read().splitlines()
    # the tree: (column of the frame name, weight, frames so far)
    stack = []
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^\s+([\d.]+)%\s+(\S+)\s+\S+\s+\[k\]\s+(\S+)", line)
        if m:
            entry = (m.group(2), float(m.group(1)) / 100, m.group(3))
            stack = [(-1, entry[1], [])]
            continue
        if entry is None:
            continue
        m = re.match(r"^([\s|]*?)(--|\|--)([\d.]+)%--\s?(.*)$", line)
        m0 = re.match(r"^([\s|]*?)---\s?(.*)$", line)
        if m or m0:
            # the column of the branch's "--" ("|--" and " --" siblings
            # line up there)
            col = (len(m.group(1)) + len(m.group(2)) - 2) if m else \
                len(m0.group(1))
            pct = float(m.group(3)) / 100 if m else 1.0
            name = (m.group(4) if m else m0.group(2)).strip()
            while len(stack) > 1 and stack[-1][0] >= col:
                stack.pop()
            w = stack[-1][1] * pct
            frames = list(stack[-1][2])
            if name != "[...]":
                frames.append(name)
            stack.append((col, w, frames))
            stacks.append([entry[0], w, frames, stack[-2], entry[2]])
            continue
        m = re.match(r"^([\s|]*?)([^\s|].*)$", line)
        if m and stack:
            # a frame continuing the chain of the branch above
            top = stack[-1]
            top[2].append(m.group(2).strip())
    # weights of leaves: a node's own weight minus its children's
    out = []
    children = collections.defaultdict(float)
    for comm, w, frames, parent, sym in stacks:
        children[id(parent[2])] += w
    for comm, w, frames, parent, sym in stacks:
        own = w - children.get(id(frames), 0.0)
        if own > 1e-12:
            # in a caller-first report every stack of an entry ends in the
            # entry's own symbol, also those perf cut short ('[...]')
            out.append((comm, own, tuple(frames) + (
                (sym,) if not frames or frames[-1] != sym else ())))
    return out


def case_text(c):
    path = os.path.join(TD, c["text"])
    stacks = parse_report(path)
    p = subprocess.run([SWAPDIAG, "--no-progress", "-q", path, "--json", "-"],
                       capture_output=True, timeout=300)
    doc = json.loads(p.stdout.decode())
    errs = schemacheck.report_errors(doc)
    check(not errs, "the report matches the schema%s" %
          (": " + errs[0] if errs else ""))
    check(p.returncode == 1 and doc["severity"] == "critical",
          "exit 1, critical (the seed's swap-entry work is over half the CPU)")
    listed = sum(w for _, w, _ in stacks)
    print("# the report's stacks: %d, %.4f of all samples listed" %
          (len(stacks), listed))
    # every stack weight is rounded to millionths by swapdiag: a finding of
    # k stacks may differ by k/2 millionths
    tol = 0.5e-6 * len(stacks) + 1e-9
    want = {}
    for fid in ("swap_dup_fork", "swap_free_exec"):
        rule, cname, crule = PATTERNS[fid]
        mine = [s for s in stacks if rule(s[2])]
        ctx = [s for s in stacks if crule(s[2])]
        want[fid] = (sum(s[1] for s in mine), sum(s[1] for s in ctx), mine)
    texts = {}
    for snap in c["snaps"]:
        with open(snap) as f:
            texts[os.path.basename(snap)] = f.read()
    for label, d in [("live", doc)]:
        for f in d["findings"]:
            w, cw, mine = want[f["id"]]
            check(abs(f["share"] - w) <= tol and f["samples"] is None,
                  "%s %s share %.6f (the report's percentages: %.6f)" %
                  (label, f["id"], f["share"], w))
            check(abs(f["context"]["share"] - cw) <= tol,
                  "%s %s context %.6f (the report: %.6f)" %
                  (label, f["id"], f["context"]["share"], cw))
            by = collections.defaultdict(float)
            for comm, x, _ in mine:
                by[comm] += x
            got = {p["comm"]: p["share"] for p in f["processes"]}
            check(set(got) == set(by) and
                  all(abs(got[k] - by[k]) <= tol for k in by),
                  "%s %s processes %s (the report: %s)" %
                  (label, f["id"], got, dict(by)))
            # 2.6.32 (the era the frame names give): ticket locks, so the
            # acquire frame as the innermost frame is spinning
            acc = [0.0, 0.0, 0.0]
            ctxf, swap = ((FORK_COPY, SWAP_DUP) if f["id"] == "swap_dup_fork"
                          else (TEARDOWN, SWAP_FREE))
            for comm, x, fr in mine:
                hit, lock, spin, leaf = INSIGHT.classify(list(fr), ctxf, swap)
                acc[0] += x
                acc[1] += x if lock else 0
                acc[2] += x if (spin or leaf) else 0
            check(abs(f["lock_share"] - acc[1] / acc[0]) <= 1e-5 and
                  abs(f["lock_contended_share"] - acc[2] / acc[0]) <= 1e-5,
                  "%s %s lock_share %.6f, contended %.6f (the report, ticket "
                  "locks: %.6f, %.6f)" % (label, f["id"], f["lock_share"],
                                          f["lock_contended_share"],
                                          acc[1] / acc[0], acc[2] / acc[0]))
        se = sum(want[f["id"]][0] for f in d["findings"])
        check(abs(d["swap_entry"]["share"] - se) <= tol,
              "%s swap_entry.share %.6f (the report: %.6f)" %
              (label, d["swap_entry"]["share"], se))
    for name, text in texts.items():
        se = sum(w for w, _, _ in want.values())
        m = re.search(r"swap-entry work takes ([\d.]+)% of CPU", text)
        check(m is not None and printed(m.group(1), 100 * se),
              "%s verdict %s%% (the report: %.3f%%)" %
              (name, m and m.group(1), 100 * se))
        for fid, (w, cw, mine) in want.items():
            m = re.search(r"(?:\[\w+\] |### `)%s`?:.*?\n\n?" % fid, text)
            blk = text[m.start():] if m else ""
            m = re.search(PCT + r" of on-CPU samples \(perf report's "
                          r"percentages\); [^:]+: " + PCT, blk)
            check(m is not None and printed(m.group(1), 100 * w) and
                  printed(m.group(2), 100 * cw),
                  "%s %s %s%%, context %s%% (the report: %.3f%%, %.3f%%)" %
                  (name, fid, m and m.group(1), m and m.group(2), 100 * w,
                   100 * cw))
            by = collections.defaultdict(float)
            for comm, x, _ in mine:
                by[comm] += x
            m = re.search(r"^  processes: (.*)$", blk, re.M)
            m = m or re.search(r"^\| `%s` \| [^|]* \| ([\d.]+ ?%%) \| "
                               r"([^|]*) \|$" % fid, text, re.M)
            procs = m.group(m.lastindex) if m else ""
            if m and m.lastindex == 2:
                check(printed(re.match(PCT, m.group(1)).group(1), 100 * w),
                      "%s table %s %s (the report: %.3f%%)" %
                      (name, fid, m.group(1), 100 * w))
            got = {}
            for mm in re.finditer(r"`?([^`,]+?)`? " + PCT, procs):
                got[mm.group(1).strip()] = mm.group(2)
            check(got.keys() == by.keys() and
                  all(printed(got[k], 100 * by[k]) for k in by),
                  "%s %s processes %s (the report: %s)" %
                  (name, fid, got, {k: round(100 * v, 3)
                                    for k, v in by.items()}))
            for mm in re.finditer(r"forks from: ([^:]+): (.*?) \(" + PCT +
                                  r"\)", blk):
                comm, site, pct = mm.groups()
                entry = site.split(" > ")[-1]
                x = sum(w2 for c2, w2, fr in mine if c2 == comm and entry in fr)
                check(printed(pct, 100 * x),
                      "%s %s fork site %s > %s %s%% (the report: %.3f%%)" %
                      (name, fid, comm, entry, pct, 100 * x))
            paths = collections.defaultdict(float)
            for comm, x, fr in mine:
                k = kernel_part(fr)
                paths[k] += x
            top = max(paths.items(), key=lambda kv: kv[1])
            m = re.search(r"[Hh]ot path \(" + PCT + r"\)", blk)
            check(m is not None and printed(m.group(1), 100 * top[1]),
                  "%s %s hot path %s%% (the report: %.4f%% on %s)" %
                  (name, fid, m and m.group(1), 100 * top[1],
                   " > ".join(top[0][-2:])))
        m = re.search(r"lists ([\d.]+)% of the samples; the other ([\d.]+)%",
                      text.replace("\n    ", " "))
        if m:
            check(printed(m.group(1), 100 * listed) and
                  printed(m.group(2), 100 * (1 - listed)),
                  "%s listed %s%%, other %s%% (the report's entries: %.2f%%)"
                  % (name, m.group(1), m.group(2), 100 * listed))


def kernel_part(frames):
    """The seed's kernel frames begin at its system call entry (stub_*)."""
    for i, f in enumerate(frames):
        if f.startswith(("stub_", "system_call", "entry_SYSCALL")):
            return tuple(frames[i:])
    return tuple(frames)


if __name__ == "__main__":
    c = CASES[CASE]
    if "data" in c and (not shutil.which("perf") or not shutil.which("zstd")):
        print("skipped: perf or zstd is not installed (the truth is perf's)")
        sys.exit(77)
    schemacheck.require()
    (case_text if "text" in c else case_recording)(c)
    print("# not checked here, and why:")
    for k, v in NOT_CHECKED.items():
        print("#   %s: %s" % (k, v))
    print("%d checks, %d failed" % (nchecks, len(failures)))
    sys.exit(1 if failures or nchecks == 0 else 0)
