#!/usr/bin/env python3
"""Which comm a sample gets and which map its address lands in, swapdiag
against perf 6.1 itself.

Writes a small perf.data (tests/fixtures/perfdata.py) whose COMM, FORK and
EXIT records walk through perf's thread rules (tools/perf/util/machine.c
and thread.c, restated in tests/unit/test-machine.c): a COMM renames, an
exec renames, a child is its parent's name until it execs, a new thread is
its creator's name, a thread nothing named is ":TID", pid 0 is "swapper",
an exited thread keeps its name (perf 6.1) until a FORK reuses its tid,
and a COMM and a sample of the same time take effect in file order.

Every sample's IP lies in its own kernel function, so a folded line
"comm;function" names the sample.  The comm each sample should get is
written below (WANT).

Then the maps (MAPS): a map laid over the middle of an older one takes
the overlap and leaves the older one both sides of it (perf's
maps__fixup_overlappings()); a forked child sees its parent's maps as they
were at the fork, not the parent's later ones, and its own later maps are
not the parent's (maps__clone()); threads share their process's maps.
Each of those user-space samples comes from a thread with its own comm, so
the folded line "comm;[dso]" names it (perf cannot name a symbol in a file
it does not have, and stackcollapse-perf.pl folds that as "[basename of
the DSO]", or "[unknown]" with no map).  The test requires that

  - perf script (when perf is installed) prints exactly those comms and
    DSOs, and
  - swapdiag --folded prints exactly those lines, each of weight 1000
    (the period).

(On this file, `perf script | stackcollapse-perf.pl` at FlameGraph 41fee1f
prints the same folded lines as swapdiag --folded, checked by hand; the
script is not part of this tree, so the test compares with perf script.)

Usage: check-machine.py SWAPDIAG
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))

import perfdata as pd  # noqa: E402

US = 1000
T0 = 1_000_000_000

# (what happens, ...) in file order; samples name their function.
# ("comm", pid, tid, name, exec, time), ("fork", pid, ppid, tid, ptid, time),
# ("exit", pid, ppid, tid, ptid, time), ("sample", fn, pid, tid, time)
SCRIPT = [
    # perf record's synthesized records (no time)
    ("comm", 100, 100, "bash", False, None),
    ("comm", 300, 300, "cron", False, None),
    ("sample", "s01_named", 100, 100, T0 + 1 * US),
    # an exec renames; a sample at the same time after it is the new name
    ("comm", 100, 100, "make", True, T0 + 10 * US),
    ("sample", "s02_after_comm_same_time", 100, 100, T0 + 10 * US),
    # ... and one at the same time before a prctl rename the old name
    ("sample", "s03_before_comm_same_time", 100, 100, T0 + 20 * US),
    ("comm", 100, 100, "make-w", False, T0 + 20 * US),
    ("sample", "s04_after_prctl", 100, 100, T0 + 21 * US),
    # a child is its parent's name until it execs
    ("fork", 200, 100, 200, 100, T0 + 30 * US),
    ("sample", "s05_child_before_exec", 200, 200, T0 + 31 * US),
    ("comm", 200, 200, "cc1", True, T0 + 40 * US),
    ("sample", "s06_child_after_exec", 200, 200, T0 + 41 * US),
    # a new thread is its creator's name
    ("fork", 200, 200, 201, 200, T0 + 50 * US),
    ("sample", "s07_new_thread", 200, 201, T0 + 51 * US),
    # the parent keeps its own
    ("sample", "s08_parent_after_fork", 100, 100, T0 + 52 * US),
    # an exited thread keeps its name for late samples (perf 6.1)
    ("exit", 200, 100, 200, 100, T0 + 60 * US),
    ("sample", "s09_after_exit", 200, 200, T0 + 61 * US),
    # the tid comes back, forked by cron: cron's name
    ("fork", 200, 300, 200, 300, T0 + 70 * US),
    ("sample", "s10_tid_reused", 200, 200, T0 + 71 * US),
    # nothing named these
    ("sample", "s11_unknown_process", 400, 400, T0 + 80 * US),
    ("sample", "s12_unknown_thread", 100, 101, T0 + 81 * US),
    # the idle task
    ("sample", "s13_idle", 0, 0, T0 + 90 * US),
]

LIBOLD, LIBNEW = "/usr/lib/libold.so", "/usr/lib/libnew.so"
LIBAFTER, LIBCHILD = "/usr/lib/libafter.so", "/usr/lib/libchild.so"
# ("mmap", pid, start, len, pgoff, file, time); ("usample", pid, tid, ip, time)
MAPS_SCRIPT = [
    ("comm", 500, 500, "app", False, None),
    ("mmap", 500, 0x10000, 0x10000, 0x3000, LIBOLD, T0 + 100 * US),
    ("mmap", 500, 0x14000, 0x4000, 0, LIBNEW, T0 + 101 * US),
    ("fork", 600, 500, 600, 500, T0 + 102 * US),
    ("mmap", 500, 0x30000, 0x1000, 0, LIBAFTER, T0 + 103 * US),
    ("mmap", 600, 0x40000, 0x1000, 0, LIBCHILD, T0 + 104 * US),
]
# threads of 500 and 600, one comm each: (pid, tid, comm, ip)
MAPS_SAMPLES = [
    (500, 501, "m_old_left", 0x13ff0),
    (500, 502, "m_new", 0x15000),
    (500, 503, "m_old_right", 0x18010),
    (500, 504, "m_nothing", 0x20010),
    (500, 505, "p_after", 0x30010),
    (500, 506, "p_child_map", 0x40010),
    (600, 600, "c_inherited", 0x12000),
    (600, 601, "c_parent_later", 0x30010),
    (600, 602, "c_own", 0x40010),
]
MAPS = {
    "m_old_left": "libold.so",
    "m_new": "libnew.so",
    "m_old_right": "libold.so",
    "m_nothing": None,
    "p_after": "libafter.so",
    "p_child_map": None,
    "c_inherited": "libold.so",
    "c_parent_later": None,
    "c_own": "libchild.so",
}

WANT = {
    "s01_named": "bash",
    "s02_after_comm_same_time": "make",
    "s03_before_comm_same_time": "make",
    "s04_after_prctl": "make-w",
    "s05_child_before_exec": "make-w",
    "s06_child_after_exec": "cc1",
    "s07_new_thread": "cc1",
    "s08_parent_after_fork": "make-w",
    "s09_after_exit": "cc1",
    "s10_tid_reused": "cron",
    "s11_unknown_process": ":400",
    "s12_unknown_thread": ":101",
    "s13_idle": "swapper",
}


def write(path, kpath):
    ks = pd.KernelSymbols(0xffffffff81000000)
    ks.add("_stext", 0x100, pre_aliases=[("_text", "T")])
    fns = [s[1] for s in SCRIPT if s[0] == "sample"]
    for fn in fns:
        ks.add(fn, 0x100)
    ks.marker("_etext")
    with open(kpath, "w") as f:
        f.write(ks.text())
    # call chains, so that perf script prints each sample as a header line
    # and frame lines, the layout stackcollapse-perf.pl folds
    st = pd.S_IP | pd.S_TID | pd.S_TIME | pd.S_CPU | pd.S_PERIOD | pd.S_CALLCHAIN
    ev = pd.Event(pd.Attr(size=pd.PERF_ATTR_SIZE_VER7, type=pd.PERF_TYPE_SOFTWARE,
                          config=pd.PERF_COUNT_SW_CPU_CLOCK, sample_period=1000,
                          sample_type=st, disabled=1, inherit=1, mmap=1, comm=1,
                          task=1, sample_id_all=1, mmap2=1, comm_exec=1),
                  ids=[], name="cpu-clock")
    with open(path, "wb") as f:
        w = pd.PerfDataWriter(f, [ev])
        w.features.hostname("threads").osrelease("6.1.0-18-amd64") \
            .version("6.1.76").arch("x86_64").nrcpus(1, 1).event_desc() \
            .sample_time(T0, T0 + 100 * US)
        w.kernel_mmap(0xffffffff81000000, ks.next - 0xffffffff81000000)
        for s in SCRIPT:
            if s[0] == "comm":
                _, pid, tid, name, ex, t = s
                w.comm(pid, tid, name, exec_=ex, time=t)
            elif s[0] in ("fork", "exit"):
                _, pid, ppid, tid, ptid, t = s
                getattr(w, s[0])(pid, ppid, tid, ptid, time=t)
            else:
                _, fn, pid, tid, t = s
                ip = ks.addr(fn)
                w.sample(ev, misc=pd.PERF_RECORD_MISC_KERNEL, ip=ip,
                         pid=pid, tid=tid, time=t, cpu=0, period=1000,
                         callchain=pd.callchain(kernel=[ip]))
        for s in MAPS_SCRIPT:
            if s[0] == "comm":
                w.comm(s[1], s[2], s[3], exec_=s[4], time=s[5])
            elif s[0] == "fork":
                w.fork(*s[1:5], time=s[5])
            else:
                _, pid, start, length, pgoff, name, t = s
                w.mmap2(pid, pid, start, length, pgoff, name, time=t)
        t = T0 + 200 * US
        for pid, tid, comm, ip in MAPS_SAMPLES:
            # a thread of its process, named for the test
            t += US
            w.fork(pid, pid, tid, pid, time=t) if tid != pid else None
            w.comm(pid, tid, comm, time=t)
            w.sample(ev, misc=pd.PERF_RECORD_MISC_USER, ip=ip, pid=pid,
                     tid=tid, time=t, cpu=0, period=1000,
                     callchain=pd.callchain(user=[ip]))
        w.finished_round()
        w.close()


def perf_comms(path, kpath):
    """fn (or "[dso]" for user samples) -> comm, as perf script prints
    them (None without perf)."""
    perf = shutil.which("perf")
    if not perf:
        return None
    r = subprocess.run([perf, "script", "-f", "-i", path, "--kallsyms", kpath,
                        "-F", "comm,tid,ip,sym,dso"], capture_output=True, text=True)
    if r.returncode:
        sys.exit("perf script failed: %s" % r.stderr)
    got = {}
    comm = None
    for line in r.stdout.splitlines():
        # -F comm,tid,ip,sym,dso with call chains: "comm TID" on the
        # sample's line, then "\tADDR SYM (DSO)" per frame (one here); SYM
        # is "[unknown]" where perf has none
        if not line.strip():
            continue
        if not line.startswith("\t") and not line.startswith(" " * 8):
            comm = line.rsplit(None, 1)[0].strip()
            continue
        parts = line.split()
        sym, dso = parts[1], parts[-1].strip("()")
        if sym == "[unknown]":
            # stackcollapse-perf.pl's name for it
            sym = "[unknown]" if dso == "[unknown]" else "[%s]" % os.path.basename(dso)
            got[comm] = sym
        else:
            got[sym.split("+")[0]] = comm
    return got


def swapdiag_comms(swapdiag, path, kpath):
    r = subprocess.run([swapdiag, "--no-progress", "--folded", "-", "--kallsyms", kpath,
                        "--symfs", "/nonexistent-symfs", path],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("swapdiag --folded failed (%d): %s" % (r.returncode, r.stderr))
    got, user = {}, {}
    for line in r.stdout.splitlines():
        stack, weight = line.rsplit(" ", 1)
        comm, fn = stack.rsplit(";", 1)
        if fn.startswith("["):
            user[comm] = (fn, weight)
        else:
            got[fn] = (comm, weight)
    return got, user


def folded_dso(dso):
    return "[%s]" % dso if dso else "[unknown]"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="sd-threads-") as d:
        path, kpath = os.path.join(d, "threads.data"), os.path.join(d, "threads.kallsyms")
        write(path, kpath)
        perf = perf_comms(path, kpath)
        if perf is None:
            print("perf not installed: checking swapdiag against the rules alone")
        else:
            for fn, want in WANT.items():
                if perf.get(fn) != want:
                    print("perf 6.1 gives %s the comm %r, the rules say %r"
                          % (fn, perf.get(fn), want))
                    bad += 1
            for comm, dso in MAPS.items():
                if perf.get(comm) != folded_dso(dso):
                    print("perf 6.1 puts %s's sample in %r, the rules say %r"
                          % (comm, perf.get(comm), folded_dso(dso)))
                    bad += 1
            if len(perf) != len(WANT) + len(MAPS):
                print("perf script printed %d samples, not %d"
                      % (len(perf), len(WANT) + len(MAPS)))
                bad += 1
        got, user = swapdiag_comms(sys.argv[1], path, kpath)
        for comm, dso in MAPS.items():
            if user.get(comm) != (folded_dso(dso), "1000"):
                print("swapdiag folds %s's sample as %r, want (%r, '1000')"
                      % (comm, user.get(comm), folded_dso(dso)))
                bad += 1
        if len(user) != len(MAPS):
            print("swapdiag printed %d user-space lines, not %d" % (len(user), len(MAPS)))
            bad += 1
        for fn, want in WANT.items():
            # stackcollapse-perf.pl weighs each sample by its period
            if got.get(fn) != (want, "1000"):
                print("swapdiag folds %s as %r, want (%r, '1000')" % (fn, got.get(fn), want))
                bad += 1
        if len(got) != len(WANT):
            print("swapdiag printed %d folded lines, not %d" % (len(got), len(WANT)))
            bad += 1
    if bad:
        sys.exit("%d differences" % bad)
    print("%d samples: swapdiag's comms and maps are the rules'%s" %
          (len(WANT) + len(MAPS), "" if perf is None else " and perf's"))


if __name__ == "__main__":
    main()
