#!/usr/bin/env python3
"""check-flamegraph.py SWAPDIAG DIR NAME - one input of FlameGraph's suite.

Runs `swapdiag --folded -` on DIR/input/NAME.txt.zst (a perf script text
from brendangregg/FlameGraph's test/), with no option and with each
--folded-with of pid, tid, kernel, jit, all, addrs, and requires the output
to equal, stack for stack and weight for weight, what that project's own
stackcollapse-perf.pl printed for the same text with the same option
(DIR/expected/NAME-collapsed-OPT.txt.zst, made by make-expected.sh, sorted;
order of lines is not significant).  Skips (exit 77) without zstd.
"""
import os
import shutil
import subprocess
import sys
import tempfile

OPTIONS = ("default", "pid", "tid", "kernel", "jit", "all", "addrs")


def unzstd(path, out):
    with open(out, "wb") as f:
        subprocess.run(["zstd", "-qdc", path], stdout=f, check=True)
    return out


def main():
    sd, d, name = sys.argv[1:4]
    if not shutil.which("zstd"):
        print("SKIP: zstd is not installed (the suite is compressed)")
        sys.exit(77)
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        text = unzstd(os.path.join(d, "input", name + ".txt.zst"),
                      os.path.join(tmp, name + ".txt"))
        for opt in OPTIONS:
            exp_path = unzstd(os.path.join(d, "expected", "%s-collapsed-%s.txt.zst" %
                                           (name, opt)),
                              os.path.join(tmp, "expected-" + opt))
            with open(exp_path, "rb") as f:
                want = f.read().splitlines()
            args = [sd, "--no-progress", "--folded", "-"]
            if opt != "default":
                args += ["--folded-with", opt]
            p = subprocess.run(args + [text], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=dict(os.environ, LC_ALL="C"))
            got = sorted(p.stdout.splitlines())
            if p.returncode != 0:
                print("FAIL %s: swapdiag exited %d: %s" % (opt, p.returncode,
                                                          p.stderr.decode()[:500]))
                fails += 1
                continue
            if got != want:
                fails += 1
                gs, ws = set(got), set(want)
                print("FAIL %s: %d stacks expected, %d written; %d missing, %d extra"
                      % (opt, len(want), len(got), len(ws - gs), len(gs - ws)))
                for x in sorted(ws - gs)[:5]:
                    print("  missing: %s" % x.decode(errors="replace")[:300])
                for x in sorted(gs - ws)[:5]:
                    print("  extra:   %s" % x.decode(errors="replace")[:300])
                continue
            weight = sum(int(x.rsplit(b" ", 1)[1]) for x in want)
            print("ok %s: %d stacks, weight %d" % (opt, len(want), weight))
            # the script keeps the first event it meets (instructions here)
            # and says that it skips another ("Filtering for events of
            # type: cycles" names the skipped one); so must swapdiag
            if opt == "default" and name == "perf-cycles-instructions-01":
                err = p.stderr.decode()
                if "stacks of instructions only; 111 samples of other events " \
                        "are left out" not in err:
                    print("FAIL: no warning that the other event is left out: %r" % err)
                    fails += 1
    if fails:
        print("%d of %d outputs differ from stackcollapse-perf.pl's" % (fails, len(OPTIONS)))
        sys.exit(1)


if __name__ == "__main__":
    main()
