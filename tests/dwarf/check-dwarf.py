#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-dwarf.py - swapdiag --folded on a --call-graph dwarf recording
against perf 6.1's own folding of it.

usage: check-dwarf.py SWAPDIAG DWARF_DIR KALLSYMS NAME [--stdin]
                      [--leaf-only COMM --fork-path-as OTHER]

DWARF_DIR is testdata/dwarf: NAME.data, the expected NAME.folded (made by
tests/golden/make-golden.sh, see testdata/README.md) and symfs/, the
binaries the recording needs, each zstd-compressed (PATH.zst).  They are
unpacked into a temporary --symfs tree first (the zstd program is needed;
without it the test is skipped, 77).  With --stdin the recording is fed on
standard input (pipe mode).

NAME.perf-differs, where present, lists the stacks where perf 6.1's
unwinder (libunwind) and libdw's, which swapdiag uses, part ways, each
with the reason: "-STACK COUNT" lines must be in NAME.folded and are taken
out, "+STACK COUNT" lines are put in; everything else must be equal.

--leaf-only COMM: perf 6.1 does not unwind COMM's binary (a non-PIE static
executable: its libunwind stops after the sampled IP), so for COMM's
stacks only the user frame at the leaf is compared: swapdiag's stacks of
COMM lose their other user frames (kernel frames are told apart by name,
from KALLSYMS) before the comparison.  What perf cannot show is checked
against what it shows for the same code built static-pie
(--fork-path-as OTHER): the user frames of every COMM stack that enters
the kernel through _Fork must be those of a fork stack in OTHER.folded.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def unpack(src, dst):
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".zst"):
                continue
            out = os.path.join(dst, os.path.relpath(root, src), f[:-4])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            subprocess.run(["zstd", "-q", "-d", "-f", os.path.join(root, f),
                            "-o", out], check=True)


def kernel_names(ksyms):
    text = subprocess.run(["zstd", "-q", "-d", "-c", ksyms], check=True,
                          capture_output=True).stdout.decode()
    return {f[2] for f in (line.split() for line in text.splitlines())
            if len(f) >= 3}


def leaf_only(lines, comm, kernel):
    out = {}
    for line in lines:
        stack, n = line.rsplit(" ", 1)
        fr = stack.split(";")
        if fr[0] == comm:
            u = 1
            while u < len(fr) and fr[u] not in kernel and \
                    fr[u] != "[[kernel.kallsyms]]":
                u += 1
            fr = [comm] + fr[max(u - 1, 1):]
        key = ";".join(fr)
        out[key] = out.get(key, 0) + int(n)
    return sorted(f"{k} {v}" for k, v in out.items())


def check_fork_paths(lines, comm, other):
    sep = ";_Fork;entry_SYSCALL_64_after_hwframe"
    want = {line.split(";", 1)[1].split(sep)[0]
            for line in open(other) if sep in line}
    seen = 0
    for line in lines:
        if line.startswith(comm + ";") and sep in line:
            seen += 1
            path = line.split(";", 1)[1].split(sep)[0]
            if path not in want:
                return f"fork path of {comm} not in {other}: {path}"
    return None if seen else f"no fork stacks of {comm}"


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    swapdiag, ddir, ksyms, name = sys.argv[1:5]
    stdin = "--stdin" in sys.argv[5:]
    if not shutil.which("zstd"):
        print("zstd not found: skipped")
        return 77
    expected = open(os.path.join(ddir, name + ".folded")).read().splitlines()
    differs = os.path.join(ddir, name + ".perf-differs")
    if os.path.exists(differs):
        for line in open(differs).read().splitlines():
            if line.startswith("-"):
                if line[1:] not in expected:
                    print(f"{differs}: not in the expected file: {line[1:]}")
                    return 1
                expected.remove(line[1:])
            elif line.startswith("+"):
                expected.append(line[1:])
    expected = sorted(expected)
    data = os.path.join(ddir, name + ".data")
    with tempfile.TemporaryDirectory() as tmp:
        symfs = os.path.join(tmp, "symfs")
        os.makedirs(symfs)
        unpack(os.path.join(ddir, "symfs"), symfs)
        # the goldens count samples (perf script -F without period)
        cmd = [swapdiag, "--no-progress", "--folded", "-", "--weight", "samples",
               "--kallsyms", ksyms,
               "--symfs", symfs, "--buildid-dir", os.path.join(tmp, "none"),
               "-" if stdin else data]
        with open(data if stdin else os.devnull, "rb") as f:
            r = subprocess.run(cmd, stdin=f, capture_output=True,
                               env=dict(os.environ, LC_ALL="C"))
    if r.returncode != 0:
        print(f"swapdiag exited {r.returncode}:\n{r.stderr.decode()}")
        return 1
    got = sorted(r.stdout.decode().splitlines())
    args = sys.argv[5:]
    if "--leaf-only" in args:
        comm = args[args.index("--leaf-only") + 1]
        other = args[args.index("--fork-path-as") + 1]
        bad = check_fork_paths(got, comm, os.path.join(ddir, other + ".folded"))
        if bad:
            print(bad)
            return 1
        got = leaf_only(got, comm, kernel_names(ksyms))
    if got != expected:
        import difflib
        print(f"folded output differs from {name}.folded "
              f"(+ differences listed in {name}.perf-differs)")
        for d in list(difflib.unified_diff(expected, got, "expected", "got",
                                           lineterm=""))[:60]:
            print(d)
        return 1
    n = sum(int(line.rsplit(" ", 1)[1]) for line in got)
    print(f"ok: {len(got)} stacks, {n} samples")
    sys.stderr.write(r.stderr.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
