#!/usr/bin/env python3
"""--off-cpu against perf script's sched_switch pairs.

usage: check-offcpu.py SWAPDIAG TESTDATA

Truth 1 (no perf needed): testdata/swapstorm.stalls.txt, made by
tests/repro/stalls.py from perf script --ns: every D-state switch-out and
its switch-in.  The off-CPU folded lines through rwsem_down_read_slowpath
(only D sleeps go there) must add up to its rwsem total, and the vfork
waits (kernel_clone;wait_for_completion_state) to theirs.

Truth 2 (with perf installed): every switch-out of perf script's
sched_switch records paired with the next switch naming the task as
next_pid, by the same rule stalls.py applies to D sleeps (a task seen
running before that lost its switch-in record; tid 0 is the idle task):
the folded total, and the counts swapdiag notes, must equal it.

Each folded line is a sum of nanoseconds written in microseconds, so a sum
of L lines may be off by L/2 us at most.
"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

SWAPDIAG, TD = sys.argv[1], sys.argv[2]
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "repro"))
sys.path.insert(0, TESTS)
import stalls  # noqa: E402  (tests/repro/stalls.py: perf script parsing)
import perftruth  # noqa: E402  (tests/perftruth.py: stalls.txt, times)

KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
SYMFS = os.path.join(TD, "symfs")
NOCACHE = tempfile.mkdtemp(prefix="check-offcpu.")
atexit.register(shutil.rmtree, NOCACHE, True)  # also on a crash
BASE = [SWAPDIAG, "--no-progress", "--kallsyms", KSYMS, "--symfs", SYMFS,
        "--buildid-dir", NOCACHE]
DATA = os.path.join(TD, "swapstorm.data")
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def run(args):
    return subprocess.run(BASE + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)


def lines_of(text):
    out = []
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        out.append((stack, int(n)))
    return out


p = run(["--off-cpu", "--event", "sched:sched_switch", "--folded", "-",
         DATA])
check(p.returncode == 0, "--off-cpu --folded: exit %d" % p.returncode)
folded = lines_of(p.stdout.decode())
note = p.stderr.decode()

# truth 1: stalls.txt
rows = perftruth.stalls_rows(os.path.join(TD, "swapstorm.stalls.txt"))
for name, want_rows, match in (
        ("rwsem_down_read_slowpath",
         [r for r in rows if r["rwsem"] and "down_read" in r["path"]],
         lambda s: "rwsem_down_read_slowpath" in s),
        ("vfork waits", [r for r in rows if r["path"] ==
                         "kernel_clone;wait_for_completion_state;"
                         "__wait_for_common"],
         lambda s: "kernel_clone;wait_for_completion_state;"
                   "__wait_for_common" in s)):
    want = sum(r["blocked_us"] for r in want_rows
               if r["blocked_us"] is not None)
    mine = [n for s, n in folded if match(s)]
    check(len(mine) > 0 and abs(sum(mine) - want) <= len(mine) / 2 + 0.001,
          "%s: %d us in %d lines (stalls.txt: %.3f us from %d D sleeps)" %
          (name, sum(mine), len(mine), want,
           len([r for r in want_rows if r["blocked_us"] is not None])))

# truth 2: perf script's pairs of every switch-out
if shutil.which("perf"):
    lines = stalls.run_perf(DATA, KSYMS, SYMFS)
    pending, paired, lost, total = {}, 0, 0, 0
    for m, frames in stalls.records(lines):
        tid = int(m.group("tid"))
        t = perftruth.ns(m.group("time"))
        if tid in pending and tid != 0:
            if pending[tid] < t:
                pending.pop(tid)
                lost += 1
        if m.group("event") != "sched:sched_switch":
            continue
        s = stalls.SWITCH.search(m.group("trace"))
        if not s:
            continue
        npid = int(s.group("npid"))
        if npid in pending:
            total += t - pending.pop(npid)
            paired += 1
        ppid = int(s.group("ppid"))
        if ppid != 0:
            if ppid in pending:
                pending.pop(ppid)
                lost += 1
            pending[ppid] = t
    mine = sum(n for _, n in folded)
    check(abs(mine - total / 1000) <= len(folded) / 2 + 0.001,
          "all switch-outs: %d us in %d lines (perf script pairs: %.3f us)" %
          (mine, len(folded), total / 1000))
    m = re.search(r"(\d+) of (\d+) switch-outs timed to their switch-in; "
                  r"(\d+) without a recorded switch-in .* and (\d+) not "
                  r"switched in before the end", note, re.S)
    check(m is not None and (int(m.group(1)), int(m.group(3)),
                             int(m.group(4))) == (paired, lost, len(pending)),
          "counts noted %s (perf script: %d paired, %d without switch-in, "
          "%d still off CPU at the end)" %
          (m.groups() if m else note.strip()[-200:], paired, lost,
           len(pending)))
else:
    print("skip all-switch totals: no perf")

# the flame graph says its unit, and its width is the folded total
p = run(["--off-cpu", "--event", "sched:sched_switch", "--svg", "-", DATA])
svg = p.stdout.decode()
mt = re.search(r'<g id="frames"[^>]*data-total="(\d+)"', svg)
mu = re.search(r'<g id="frames"[^>]*data-unit="([^"]*)"', svg)
m = (mt, mu) if mt and mu else None
check(p.returncode in (0, 1) and m and mu.group(1) == "\u00b5s off CPU" and
      "\u00b5s off CPU" in (re.search(r'<text id="subtitle"[^>]*>(.*?)</text>',
                                svg, re.S) or [None, ""])[1],
      "--svg says its unit is microseconds off CPU")
check(m and int(mt.group(1)) == sum(n for _, n in folded),
      "--svg width %s us = the folded total %d us" %
      (mt.group(1) if m else "?", sum(n for _, n in folded)))

# refusals
for args, words in (
        (["--event", "sched:sched_switch", "--folded", "-",
          os.path.join(TD, "swapstorm-sampled.data")], "is sampled"),
        (["--folded", "-", DATA], "add --event sched:sched_switch"),
        (["--folded", "-", os.path.join(TD, "swapstorm.folded")],
         "perf.data recording")):
    p = run(["--off-cpu"] + args)
    err = p.stderr.decode()
    check(p.returncode == 2 and words in err,
          "--off-cpu %s: exit %d, says %r" % (os.path.basename(args[-1]),
                                             p.returncode, words))
p = run(["--off-cpu", DATA])
check(p.returncode == 64, "--off-cpu without --folded/--svg: exit %d" %
      p.returncode)

shutil.rmtree(NOCACHE, ignore_errors=True)
print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
