#!/usr/bin/env python3
"""The synthetic benchmark recordings of issue 13: N samples over a few
distinct stacks, a FINISHED_ROUND after every 1000 samples.

usage: bench/synth.py --samples 3M -o /var/tmp/swapdiag-bench/synth3m.data

Writes FILE, FILE's .kallsyms sibling and .expected.folded (the folded
stacks perf must give, as tests/fixtures/perfdata.py's bench writer
counts them).  The writer is tests/fixtures/perfdata.py's (write_bench);
this script gives it a leaner profile than its own (bench_model): the
same fork/exec/fault/idle storm with shorter chains (15 words a sample on
average, 160 bytes a record), so 3 M samples make ~450 MB as in the issue.
--samples 7M makes the ~1 GB file of the linearity row.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "fixtures"))
import perfdata  # noqa: E402

ROUND = 1000
full_model = perfdata.bench_model


def lean_model():
    """bench_model's storm with each kernel chain cut to 8 frames -- its 6
    innermost (the swap frames and their context, copy_page_range or
    unmap_vmas, so the pathology is still found) and its 2 outermost (it
    still starts at an entry point, syscall, exception or idle, so the
    kernel symbols check out) -- and user chains to 2 frames."""
    ks, kaddr, dsos, procs, stacks = full_model()
    lean = []
    for weight, comm, pid, kern, user, _ in stacks:
        if len(kern) > 8:
            kern = kern[:6] + kern[-2:]
        user = user[:2]
        names = ["[%s]" % os.path.basename(dsos[d][0]) for d, _ in reversed(user)]
        folded = ";".join([comm] + names + list(reversed(kern)))
        lean.append((weight, comm, pid, kern, user, folded))
    return ks, kaddr, dsos, procs, lean


def record_bytes(stacks):
    """Mean record size: header, id, ip, pid/tid, time, cpu, period, nr
    (8 words) and the chain (frames and context markers)."""
    tot = wsum = 0
    for weight, _, _, kern, user, _ in stacks:
        words = len(kern) + len(user) + (1 if kern else 0) + (1 if user else 0)
        tot += weight * (64 + 8 * words)
        wsum += weight
    return tot / wsum


def count(s):
    mult = {"K": 10**3, "M": 10**6, "G": 10**9}
    s = s.strip().upper()
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", default="3M", help="about this many samples (3M)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--pipe", action="store_true", help="pipe-mode format")
    a = ap.parse_args()
    perfdata.bench_model = lean_model
    n = count(a.samples)
    size = int(record_bytes(lean_model()[4]) * n + 8 * (n // ROUND))
    base = a.output[:-5] if a.output.endswith(".data") else a.output
    perfdata.write_bench(a.output, size, pipe=a.pipe, chunk=ROUND,
                         kallsyms_out=base + ".kallsyms",
                         folded_out=base + ".expected.folded")


if __name__ == "__main__":
    main()
