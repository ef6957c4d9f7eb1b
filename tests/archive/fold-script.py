#!/usr/bin/env python3
# Folds `perf script -F comm,tid,time,period,event,ip,sym,dso` text the way
# FOLDED.md describes stackcollapse-perf.pl's output (root first, names
# without offsets, an unresolved frame as [basename of its DSO], period
# weights with --period, else sample counts), for comparing with swapdiag
# --folded without FlameGraph.
#
# usage: fold-script.py [--period] SCRIPT-TEXT
import collections
import os
import re
import sys

frame = re.compile(r"^\s+([0-9a-f]+) (.*) \((.*)\)$")
head = re.compile(r"^(\S.*?)\s+(-?\d+)\s+[\d.]+:\s+(\d+)\s+(\S+):")
out = collections.Counter()
comm = None
period = 0
frames = []


def flush():
    global frames
    if comm is not None and frames:
        names = []
        for sym, dso in reversed(frames):
            if sym == "[unknown]":
                base = (os.path.basename(dso)
                        if dso not in ("unknown", "[unknown]") else "")
                sym = "[%s]" % base if base else "[unknown]"
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            names.append(sym.split("(")[0].replace(";", ":"))
        out[";".join([comm.replace(" ", "_")] + names)] += \
            period if by_period else 1
    frames = []


args = sys.argv[1:]
by_period = args[:1] == ["--period"]
if by_period:
    args = args[1:]
for line in open(args[0], errors="replace"):
    line = line.rstrip("\n")
    if not line.strip():
        flush()
        comm = None
        continue
    m = frame.match(line)
    if m and comm is not None:
        frames.append((m.group(2), m.group(3)))
        continue
    m = head.match(line)
    if m:
        flush()
        comm, period = m.group(1).strip(), int(m.group(3))
flush()
for k, v in sorted(out.items()):
    print(k, v)
