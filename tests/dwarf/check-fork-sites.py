#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-fork-sites.py - the swap_dup_fork finding's fork_sites against
perf's own stacks of the same --call-graph dwarf recording.

usage: check-fork-sites.py SWAPDIAG DWARF_DIR KALLSYMS NAME

Expected sites come from NAME.folded (perf 6.1 + stackcollapse-perf.pl):
the stacks of the finding are those through copy_page_range and a
swap_duplicate frame (the fork-side pattern, swapdiag(1) FINDINGS); in
them the user frames end where the kernel's begin, at
entry_SYSCALL_64_after_hwframe (every fork in these recordings enters the
kernel there); the site is the user frames before the first C-library
fork entry (fork, _Fork, __libc_fork, clone, ...), per comm, with the
samples summed.  swapdiag --json must list exactly these (all of them:
fewer than SD_MAX_FORK_SITES here), and the text report name the heaviest.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

ENTRIES = {"fork", "__fork", "__libc_fork", "_Fork", "__GI__Fork",
           "__GI___fork", "arch_fork", "__clone", "clone", "__clone3",
           "__clone_internal"}


def expected_sites(folded):
    sites = {}
    for line in open(folded):
        stack, n = line.rsplit(" ", 1)
        if ";copy_page_range;" not in stack + ";" or \
                not re.search(r";_*swap_duplicate(_nr)?(;|$)", stack):
            continue
        user = stack.split(";entry_SYSCALL_64_after_hwframe")[0].split(";")
        comm, frames = user[0], user[1:]
        at = next((i for i, f in enumerate(frames) if f in ENTRIES), None)
        if at is None:
            continue
        key = (comm, tuple(frames[:at]), frames[at])
        sites[key] = sites.get(key, 0) + int(n)
    return sites


def main():
    swapdiag, ddir, ksyms, name = sys.argv[1:5]
    unpack = import_module("check-dwarf").unpack
    want = expected_sites(os.path.join(ddir, name + ".folded"))
    if not want:
        print(f"{name}.folded has no fork-side swap stacks")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        symfs = os.path.join(tmp, "symfs")
        unpack(os.path.join(ddir, "symfs"), symfs)
        base = [swapdiag, "--no-progress", "--no-color", "--kallsyms", ksyms,
                "--symfs", symfs, "--buildid-dir", os.path.join(tmp, "none")]
        data = os.path.join(ddir, name + ".data")
        r = subprocess.run(base + ["--json", "-", data], capture_output=True)
        t = subprocess.run(base + [data], capture_output=True)
    rep = json.loads(r.stdout)
    fork = [f for f in rep["findings"] if f["id"] == "swap_dup_fork"]
    if not fork:
        print("no swap_dup_fork finding")
        return 1
    got = {(s["comm"], tuple(s["frames"]), s["entry"]): s["samples"]
           for s in fork[0]["fork_sites"]}
    ok = got == want
    for k in sorted(set(want) | set(got)):
        print(f"{'ok  ' if want.get(k) == got.get(k) else 'DIFF'} {k[0]}: "
              f"{' > '.join(k[1])} > {k[2]}: perf {want.get(k)}, "
              f"swapdiag {got.get(k)}")
    top = max(want, key=lambda k: want[k])
    line = f"forks from: {top[0]}: ... > " + " > ".join(top[1][-3:]) + \
        f" > {top[2]} ({want[top]})"
    if line not in t.stdout.decode():
        print(f"text report lacks: {line}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
