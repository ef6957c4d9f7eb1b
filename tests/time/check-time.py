#!/usr/bin/env python3
"""--time against perf script --time, and windows that partition a recording.

usage: check-time.py SWAPDIAG TESTDATA

Each window's sample count (the JSON report's input.time_window.samples_in:
every sample of every event inside the window) must equal the number of
samples perf script --time prints for the same window string.  When perf is
installed it is asked; otherwise the counts it gave (perf 6.1.187, listed
below, made with `perf script -f -i FILE --time WINDOW -F event | grep -cE
'^ *(cpu-clock|sched:sched_switch)'`) are used.  perf refuses percent windows
on pipe-mode data ("no first/last sample time"), so pipe mode is checked
with seconds against perf, and with percentages by partition.

Partition: 0%-50% and 50%-100% (and 0%-25%,25%-50%,...) of a recording
must together hold every sample exactly once: their folded stacks, added
line by line, equal the whole recording's folded stacks, and the whole
equals perf's own folding (testdata/NAME.folded, NAME.sched_switch.folded).
"""
import collections
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

SWAPDIAG, TD = sys.argv[1], sys.argv[2]
KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
SYMFS = os.path.join(TD, "symfs")
NOCACHE = tempfile.mkdtemp(prefix="check-time.")
atexit.register(shutil.rmtree, NOCACHE, True)  # also on a crash
BASE = [SWAPDIAG, "-q", "--no-progress", "--kallsyms", KSYMS, "--symfs",
        SYMFS, "--buildid-dir", NOCACHE]

# (file, window) -> samples perf script --time printed (perf 6.1.187)
PERF_FACTS = {
    ("swapstorm.data", "0%-50%"): 1505 + 900,
    ("swapstorm.data", "50%-100%"): 1504 + 964,
    ("swapstorm.data", "0%-10%,30%-40%"): 604 + 360,
    ("swapstorm.data", "10%/2"): 302 + 182,
    ("swapstorm.data", "25%"): 754 + 440,
    ("swapstorm.data", "640.9,641.2"): 599 + 362,
    ("swapstorm-pipe.data", "660.9,661.2"): 594 + 376,
    ("swapstorm-pipe.data", "660.5,660.8 661.0,661.3"): 1188 + 750,
    ("swapstorm-pipe.data", ",660.9"): 1562 + 947,
    ("swapstorm-pipe.data", "660.9,"): 1472 + 934,
}

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def perf_count(name, window):
    if not shutil.which("perf"):
        return PERF_FACTS[(name, window)], "perf 6.1 (recorded fact)"
    out = subprocess.run(
        ["perf", "script", "-f", "-i", os.path.join(TD, name), "--time",
         window, "-F", "event"], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL).stdout.decode()
    n = sum(1 for l in out.splitlines()
            if l.strip().startswith(("cpu-clock", "sched:sched_switch")))
    return n, "perf script --time"


def run(args, stdin_file=None):
    stdin = open(stdin_file, "rb") if stdin_file else subprocess.DEVNULL
    p = subprocess.run(BASE + args, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if stdin_file:
        stdin.close()
    return p


def report(name, window, pipe=False):
    path = os.path.join(TD, name)
    args = ["--time", window, "--json", "-"]
    p = run(args + ["-"], path) if pipe else run(args + [path])
    if p.returncode not in (0, 1):
        print(p.stderr.decode())
        return None
    return json.loads(p.stdout)


def folded(name, window, event=None, pipe=False):
    path = os.path.join(TD, name)
    # perf's folded goldens count samples
    args = ((["--time", window] if window else []) +
            ["--weight", "samples", "--folded", "-"])
    if event:
        args += ["--event", event]
    p = run(args + ["-"], path) if pipe else run(args + [path])
    c = collections.Counter()
    for line in p.stdout.decode().splitlines():
        stack, _, n = line.rpartition(" ")
        c[stack] += int(n)
    return c


def golden(name):
    c = collections.Counter()
    with open(os.path.join(TD, name)) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            c[stack] += int(n)
    return c


# 1. counts against perf script --time
for (name, window) in PERF_FACTS:
    r = report(name, window, pipe=name.endswith("-pipe.data"))
    if r is None:
        check(False, "%s --time '%s': no report" % (name, window))
        continue
    tw = r["input"]["time_window"]
    want, src = perf_count(name, window)
    check(tw is not None and tw["spec"] == window,
          "%s --time '%s': the report names its window" % (name, window))
    check(tw["samples_in"] == want,
          "%s --time '%s': %d samples (%s: %d)" %
          (name, window, tw["samples_in"], src, want))
    # swapdiag-report(5): duration_s is then the span of the samples
    # analysed, first_s to last_s (those two printed to six significant
    # digits, a millisecond at this clock: 1.1 ms of slack; the whole
    # recording's span is a window's twice or more here)
    dur = r["input"]["duration_s"]
    if tw["first_s"] is not None and tw["last_s"] is not None:
        span = tw["last_s"] - tw["first_s"]
        check((dur or 0) == 0 if span == 0 else
              dur is not None and abs(dur - span) < 1.1e-3,
              "%s --time '%s': input.duration_s %s = last_s - first_s %.9f" %
              (name, window, dur, span))

# 2. partitions sum to the whole, file and pipe mode, both events
for name, pipe, stem in (("swapstorm.data", False, "swapstorm"),
                         ("swapstorm-pipe.data", False, "swapstorm-pipe"),
                         ("swapstorm-pipe.data", True, "swapstorm-pipe")):
    mode = "pipe from stdin" if pipe else "file"
    for event, gold in ((None, stem + ".folded"),
                        ("sched:sched_switch", stem + ".sched_switch.folded")):
        whole = folded(name, None, event, pipe)
        check(whole == golden(gold), "%s (%s) %s: whole = perf's %s" %
              (name, mode, event or "cpu-clock", gold))
        for parts in (["0%-50%", "50%-100%"],
                      ["0%-25%", "25%-50%", "50%-75%", "75%-100%"],
                      ["10%/1", "10%/2", "10%/3", "10%/4", "10%/5", "10%/6",
                       "10%/7", "10%/8", "10%/9", "10%/10"]):
            total = collections.Counter()
            sizes = []
            for w in parts:
                f = folded(name, w, event, pipe)
                sizes.append(sum(f.values()))
                total += f
            check(total == whole and all(sizes),
                  "%s (%s) %s: %s partition the %d samples (%s)" %
                  (name, mode, event or "cpu-clock", ",".join(parts),
                   sum(whole.values()), "+".join(map(str, sizes))))
    # the halves' reports: samples in one half are outside the other
    a = report(name, "0%-50%", pipe)["input"]["time_window"]
    b = report(name, "50%-100%", pipe)["input"]["time_window"]
    check(a["samples_in"] + b["samples_in"] == a["samples_in"] +
          a["samples_outside"] and a["samples_outside"] == b["samples_in"],
          "%s (%s): half 1 %d + half 2 %d = all %d" %
          (name, mode, a["samples_in"], b["samples_in"],
           a["samples_in"] + a["samples_outside"]))

# 3. the same window over a pipe, from a file and from standard input
a = folded("swapstorm-pipe.data", "20%-70%")
b = folded("swapstorm-pipe.data", "20%-70%", pipe=True)
check(a == b and sum(a.values()) > 0,
      "swapstorm-pipe.data 20%-70%: the same from the file and from stdin")

# 4. the text report says which window it covers
p = run(["--time", "0%-50%", os.path.join(TD, "swapstorm.data")])
out = p.stdout.decode()
check("time window 0%-50% (640.374340 to " in out,
      "text report names the window: %r" %
      [l for l in out.splitlines() if "window" in l])

# 5. wrong windows: a clear message, exit 64 (usage) or 2 (input)
for w, code, words in (("50%-10%", 64, "start before its end"),
                       ("641,640", 64, "ends before it starts"),
                       ("abc", 64, "START,STOP"),
                       ("640.1,640.5 640.4,640.9", 64, "overlaps")):
    p = run(["--time", w, os.path.join(TD, "swapstorm.data")])
    err = p.stderr.decode()
    check(p.returncode == code and words in err,
          "--time '%s': exit %d, %r" % (w, p.returncode, err.strip()[:120]))
p = subprocess.run([SWAPDIAG, "--time", "0%-50%",
                    os.path.join(TD, "swapstorm.folded")],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
err = p.stderr.decode()
check(p.returncode == 2 and "folded text" in err,
      "--time on folded text: exit %d, %r" % (p.returncode, err.strip()[:120]))

shutil.rmtree(NOCACHE, ignore_errors=True)
print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
