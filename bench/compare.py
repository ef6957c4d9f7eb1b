#!/usr/bin/env python3
"""Run commands alternately and report wall time, CPU time and max RSS.

usage: compare.py [--runs N] [--warmup N] [--json OUT] [--title T]
                  NAME=COMMAND [NAME=COMMAND ...]

Each COMMAND is a shell command line (run with /bin/sh -c, so redirections
such as '< file' work).  The commands run in turns -- A B C A B C ... -- so
that a change in the machine's load hits all of them alike; each round
takes them in its own shuffled order (a fixed seed: the same order for
the same commands), because a command run right after one that freed a
lot of memory (perf report on a big file) pays for fresh pages and
would always be the one to pay in a fixed order.  For every run
it records the wall time, the CPU time (user + system of the command and
its children, from wait4), the peak resident set size of the largest
process (ru_maxrss), and the 1-minute load average just before the run.
ru_maxrss counts the memory the child had before its exec, which is this
Python process's (~15 MB, whether forked or vforked: exec keeps the old
high-water mark), so a figure near 15 MB means "at most that".
It prints the medians, and each command's ratio to the first one.

Standard library only; stdout/stderr of the commands go to /dev/null
unless the command line redirects them itself.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    load = os.getloadavg()[0]
    devnull = os.open(os.devnull, os.O_RDWR)
    t0 = time.perf_counter()
    p = subprocess.Popen(["/bin/sh", "-c", cmd], stdin=devnull,
                         stdout=devnull, stderr=devnull)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    p.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "user": ru.ru_utime,
        "sys": ru.ru_stime,
        "maxrss_kb": ru.ru_maxrss,
        "load1": load,
        "rc": p.returncode,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs of each command first (page cache)")
    ap.add_argument("--json", help="append the results to this file (JSON lines)")
    ap.add_argument("--title", default="")
    ap.add_argument("cmds", nargs="+", metavar="NAME=COMMAND")
    a = ap.parse_args()

    cmds = []
    for c in a.cmds:
        name, sep, cmd = c.partition("=")
        if not sep:
            ap.error("expected NAME=COMMAND, got %r" % c)
        cmds.append((name, cmd))

    for _ in range(a.warmup):
        for _, cmd in cmds:
            run_once(cmd)
    res = {name: [] for name, _ in cmds}
    rng = random.Random(13)
    for i in range(a.runs):
        order = list(cmds)
        rng.shuffle(order)
        for name, cmd in order:
            r = run_once(cmd)
            res[name].append(r)
            print("  run %d %-16s wall %7.3f s  cpu %7.3f s  maxrss %8.1f MB  "
                  "load %5.2f  rc %d" % (i + 1, name, r["wall"], r["cpu"],
                                        r["maxrss_kb"] / 1024, r["load1"], r["rc"]),
                  file=sys.stderr, flush=True)

    med = {}
    for name, _ in cmds:
        rs = res[name]
        med[name] = {k: statistics.median(r[k] for r in rs)
                     for k in ("wall", "cpu", "maxrss_kb", "load1")}
        med[name]["rc"] = sorted({r["rc"] for r in rs})
    base = cmds[0][0]
    if a.title:
        print("### " + a.title)
    print("| command | wall (median) | CPU user+sys | max RSS | wall vs %s | RSS vs %s | load (1 min) | exit |"
          % (base, base))
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, _ in cmds:
        m, b = med[name], med[base]
        print("| %s | %.3f s | %.3f s | %.1f MB | %.2f× | %.2f× | %.2f | %s |" % (
            name, m["wall"], m["cpu"], m["maxrss_kb"] / 1024,
            m["wall"] / b["wall"] if b["wall"] else float("nan"),
            m["maxrss_kb"] / b["maxrss_kb"] if b["maxrss_kb"] else float("nan"),
            m["load1"], ",".join(map(str, m["rc"]))))
    print()
    sys.stdout.flush()
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps({"title": a.title, "time": time.time(),
                                "commands": dict(cmds), "runs": res,
                                "medians": med}) + "\n")


if __name__ == "__main__":
    main()
