#!/usr/bin/env python3
"""summarize.py - one line per libFuzzer run log, and totals.

usage: summarize.py [LOG...]     (default: $FUZZ_WORK/*/fuzz-*.log)

For each log (as run-fuzzers.sh writes them): harness, -max_len, units
executed, the last cov:/ft: figures, corpus size, and how it ended (done,
or the crash/leak/timeout that stopped it).  Totals per harness follow.
"""
import glob
import os
import re
import sys

LINE = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)")


def summarize(path):
    h = os.path.basename(os.path.dirname(path))
    execs = cov = ft = corp = None
    size = "?"
    max_len = "?"
    end = "stopped"
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if m:
                execs, cov, ft, corp = (int(m.group(i)) for i in range(1, 5))
                size = m.group(5)
            elif line.startswith("stat::number_of_executed_units:"):
                execs = int(line.split()[-1])
            elif line.startswith("run-fuzzers:"):
                m2 = re.search(r"-max_len=(\d+)", line)
                if m2:
                    max_len = m2.group(1)
            if " DONE " in line or line.startswith("Done "):
                end = "done"
            elif "ERROR: AddressSanitizer" in line:
                end = "ASan: " + line.split("ERROR: AddressSanitizer: ")[-1].split(" on ")[0].strip()
            elif "ERROR: LeakSanitizer" in line:
                end = "leak"
            elif "runtime error:" in line and end == "stopped":
                end = "UBSan: " + line.split("runtime error: ")[-1].strip()[:60]
            elif "ERROR: libFuzzer: timeout" in line:
                end = "timeout"
            elif "out-of-memory" in line and end == "stopped":
                end = "out of memory"
    return h, max_len, execs or 0, cov, ft, corp, size, end


def main(argv):
    logs = argv[1:] or sorted(glob.glob(os.path.join(
        os.environ.get("FUZZ_WORK", "/tmp/swapdiag-fuzz"), "*", "fuzz-*.log")))
    totals = {}
    print("%-16s %-8s %10s %6s %7s %6s %8s  %s" % (
        "harness", "max_len", "execs", "cov", "ft", "corp", "size", "end"))
    for path in logs:
        h, ml, ex, cov, ft, corp, size, end = summarize(path)
        totals.setdefault(h, [0, 0, 0])
        totals[h][0] += ex
        totals[h][1] = max(totals[h][1], cov or 0)
        totals[h][2] = max(totals[h][2], ft or 0)
        print("%-16s %-8s %10d %6s %7s %6s %8s  %s  (%s)" % (
            h, ml, ex, cov, ft, corp, size, end, os.path.basename(path)))
    print()
    for h, (ex, cov, ft) in sorted(totals.items()):
        print("%-16s %10d executions, max cov %d, ft %d" % (h, ex, cov, ft))
    print("%-16s %10d executions" % ("total", sum(t[0] for t in totals.values())))


if __name__ == "__main__":
    main(sys.argv)
