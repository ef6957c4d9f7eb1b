#!/usr/bin/env python3
"""Kernel module frames, and kernel frames past the core kernel's symbols,
swapdiag against perf 6.1 itself.

Writes a small perf.data (tests/fixtures/perfdata.py) with the kernel map
perf record synthesizes ("[kernel.kallsyms]_text", [_text, _etext)) and
three module maps as it synthesizes them (PERF_RECORD_MMAP, cpumode
kernel, pid -1): "/lib/modules/.../mod-a.ko" (perf's dso "[mod_a]"),
"[modb]" (the name perf record writes for a module whose .ko it did not
find) and ".../modc.ko.xz" ("[modc]").  Every sample is a two-frame kernel
chain: a caller in core_b, then the case's address; each has a comm of
its own, so the folded line "CASE;CALLER;LEAF" names it.  Three kernel
symbol sources, given to perf and swapdiag alike:

  full  core symbols and module lines ("ADDR t a_fn\\t[mod_a]"), and a
        module "[ghost]" the recording has no map for;
  core  the core symbols only;
  none  an empty file (perf loads no kernel symbols; swapdiag says it
        cannot use it).

What perf 6.1 does (perf script | stackcollapse-perf.pl at FlameGraph
41fee1f on this file printed exactly the lines WANT gives, checked when
this test was written; the script is not part of this tree, so when perf
is installed the test compares WANT with perf script's own symbol and
DSO columns, folded by FOLDED.md's rule):

  - a lookup searches its map's symbols only (maps__split_kallsyms moved
    each module's kallsyms lines to the map of that module; a module with
    no map loses them): an address in a module's map with no symbol of
    that module -- before its first, in a module kallsyms has nothing
    for, or under another module's last symbol whose end (the next
    module's first symbol) reaches over it -- is "[unknown] ([mod_a])",
    folded "[[mod_a]]";
  - once kallsyms is loaded the kernel map is the core symbols' range
    (map__fixup_start/end): an address past it and in no module's map is
    "[unknown] ([unknown])", folded "[unknown]"; without kallsyms the
    kernel map is the recorded one, and an address inside it without a
    symbol is "[[kernel.kallsyms]]";
  - --kernel adds "_[k]" to every frame but "[unknown]"; --addrs writes an
    unresolved frame as "[DSO <ADDR>]" (swapdiag's --folded-with kernel /
    addrs, checked here the same way).

Not followed by swapdiag (swapdiag(1), FOLDED OUTPUT): perf also drops a module's kallsyms
symbols when it looks an address of that module up before any of the
core kernel's, or when the module's map comes after that.  Here the first
sample is in the core kernel and every map comes first.

With CORPUS (the shared corpus, ../shared/corpus): its recording
perf.data.piped.target-3.8 (perf 3.8, no call chains, no kallsyms, module
maps for ath9k, mac80211, r8169, ...): for each of its six events,
swapdiag's folded lines of module samples ("comm;[[ath9k]] PERIODS") must
be perf script's samples in module maps, summed by comm and module.
Without CORPUS that part is skipped (exit 77 when it is all there is).

Usage: check-modules.py SWAPDIAG [--corpus DIR]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))

import perfdata as pd  # noqa: E402

KB = 0xffffffff81000000
KLEN = 0x2000                  # the recorded kernel map: [_text, _etext)
MA = 0xffffffffc0000000        # mod-a.ko
MB = MA + 0x10000              # "[modb]"
MC = MA + 0x20000              # modc.ko.xz
GHOST = MA + 0x30000           # kallsyms only
MODLEN = 0x5000
CALLER = KB + 0x1100           # in core_b

CORE_SYMS = [(KB, "T", "_text"), (KB + 0x100, "T", "core_a"),
             (KB + 0x1000, "T", "core_b"),
             # the last core symbol: perf ends it at roundup + 4096
             # (symbols__fixup_end), KB + 0x3000, the core range's end
             (KB + 0x2000, "T", "_etext")]
MODULE_SYMS = [(MA + 0x1000, "t", "a_fn\t[mod_a]"),
               # ends where the next module's symbol starts (c_fn)
               (MA + 0x2000, "t", "a_last\t[mod_a]"),
               (MC + 0x100, "t", "c_fn\t[modc]"),
               (GHOST + 0x100, "t", "ghost_fn\t[ghost]")]

# case -> (address, leaf with full, core, none kallsyms); the caller folds
# to core_b with kallsyms, "[[kernel.kallsyms]]" without.  The first case
# is first in the file (see above).
CASES = [
    ("core_a", KB + 0x180, "core_a", "core_a", "[[kernel.kallsyms]]"),
    # past _etext, inside its page: _etext's; without kallsyms past the
    # recorded map
    ("etext_in", KB + 0x2800, "_etext", "_etext", "[unknown]"),
    ("past_core", KB + 0x5000, "[unknown]", "[unknown]", "[unknown]"),
    ("a_fn", MA + 0x1100, "a_fn", "[[mod_a]]", "[[mod_a]]"),
    ("a_before", MA + 0x100, "[[mod_a]]", "[[mod_a]]", "[[mod_a]]"),
    ("a_tail", MA + 0x4f00, "a_last", "[[mod_a]]", "[[mod_a]]"),
    # under a_last (it reaches c_fn), in modb's map: modb has no symbols
    ("b_mid", MB + 0x800, "[[modb]]", "[[modb]]", "[[modb]]"),
    ("c_fn", MC + 0x200, "c_fn", "[[modc]]", "[[modc]]"),
    # [ghost] has symbols but no map: they are dropped, and the address
    # is past the core range
    ("ghost", GHOST + 0x200, "[unknown]", "[unknown]", "[unknown]"),
    ("above", 0xffffffffd0000000, "[unknown]", "[unknown]", "[unknown]"),
]
VARIANTS = ["full", "core", "none"]
PERIOD = 1000
T0 = 1_000_000_000


def kallsyms_text(variant):
    lines = {"full": CORE_SYMS + MODULE_SYMS, "core": CORE_SYMS, "none": []}[variant]
    return "".join("%016x %s %s\n" % line for line in sorted(lines))


def write(path):
    st = pd.S_IP | pd.S_TID | pd.S_TIME | pd.S_CPU | pd.S_PERIOD | pd.S_CALLCHAIN
    ev = pd.Event(pd.Attr(size=pd.PERF_ATTR_SIZE_VER7, type=pd.PERF_TYPE_SOFTWARE,
                          config=pd.PERF_COUNT_SW_CPU_CLOCK, sample_period=PERIOD,
                          sample_type=st, disabled=1, inherit=1, mmap=1, comm=1,
                          task=1, sample_id_all=1, mmap2=1, comm_exec=1),
                  ids=[], name="cpu-clock")
    kernel = pd.PERF_RECORD_MISC_KERNEL
    with open(path, "wb") as f:
        w = pd.PerfDataWriter(f, [ev])
        w.features.hostname("modules").osrelease("6.1.0-18-amd64") \
            .version("6.1.76").arch("x86_64").nrcpus(1, 1).event_desc() \
            .sample_time(T0, T0 + 100 * PERIOD)
        w.kernel_mmap(KB, KLEN)
        for start, name in ((MA, "/lib/modules/6.1.0-18-amd64/kernel/drivers/x/mod-a.ko"),
                            (MB, "[modb]"),
                            (MC, "/lib/modules/6.1.0-18-amd64/kernel/drivers/x/modc.ko.xz")):
            w.mmap(-1, 0, start, MODLEN, 0, name, misc=kernel)
        t = T0
        for i, (case, ip, *_) in enumerate(CASES):
            pid = 100 + i
            w.comm(pid, pid, case, time=t)
            t += PERIOD
            w.sample(ev, misc=kernel, ip=ip, pid=pid, tid=pid, time=t, cpu=0,
                     period=PERIOD, callchain=pd.callchain(kernel=[ip, CALLER]))
        w.finished_round()
        w.close()


def want_lines(variant, fold):
    """case -> (comm, [frames root first], weight) as perf 6.1 folds it."""
    col = 2 + VARIANTS.index(variant)
    caller = "[[kernel.kallsyms]]" if variant == "none" else "core_b"
    out = {}
    for c in CASES:
        case, ip, leaf = c[0], c[1], c[col]
        frames = [(caller, CALLER), (leaf, ip)]
        names = []
        for name, addr in frames:
            if fold == "kernel" and name != "[unknown]":
                name += "_[k]"
            elif fold == "addrs" and name.startswith("["):
                name = "%s <%x>]" % (name[:-1], addr)
            names.append(name)
        out[case] = (case, names, str(PERIOD))
    return out


def folded_frame(sym, dso):
    """FOLDED.md's name of a perf script frame "SYM+OFF (DSO)"."""
    if sym == "[unknown]":
        return "[unknown]" if dso == "[unknown]" else "[%s]" % os.path.basename(dso)
    return re.sub(r"\+0x[0-9a-f]+$", "", sym)


def perf_leaves(perf, path, kpath):
    """case -> [frames root first] from perf script's columns."""
    r = subprocess.run([perf, "script", "-f", "-i", path, "--kallsyms", kpath,
                        "-F", "comm,ip,sym,dso"], capture_output=True, text=True)
    if r.returncode:
        sys.exit("perf script failed: %s" % r.stderr)
    got, comm = {}, None
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            comm = line.strip()
            got[comm] = []
            continue
        m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line)
        if not m:
            sys.exit("perf script frame line not understood: %r" % line)
        got[comm].insert(0, folded_frame(m.group(1), m.group(2)))
    return got


def swapdiag_lines(swapdiag, path, kpath, fold):
    args = [swapdiag, "--no-progress", "--folded", "-", "--kallsyms", kpath,
            "--symfs", "/nonexistent-symfs", "--buildid-dir", "/nonexistent-cache"]
    if fold:
        args += ["--folded-with", fold]
    r = subprocess.run(args + [path], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("swapdiag --folded failed (%d): %s" % (r.returncode, r.stderr))
    got = {}
    for line in r.stdout.splitlines():
        stack, weight = line.rsplit(" ", 1)
        parts = stack.split(";")
        got[parts[0]] = (parts[0], parts[1:], weight)
    return got


def check_synthetic(swapdiag):
    bad = 0
    perf = shutil.which("perf")
    with tempfile.TemporaryDirectory(prefix="sd-modules-") as d:
        path = os.path.join(d, "modules.data")
        write(path)
        for variant in VARIANTS:
            kpath = os.path.join(d, variant + ".kallsyms")
            with open(kpath, "w") as f:
                f.write(kallsyms_text(variant))
            if perf:
                got = perf_leaves(perf, path, kpath)
                for case, (_, frames, _) in want_lines(variant, None).items():
                    if got.get(case) != frames:
                        print("%s kallsyms: perf 6.1 gives %s the frames %r, "
                              "the test says %r" % (variant, case, got.get(case), frames))
                        bad += 1
                if len(got) != len(CASES):
                    print("%s kallsyms: perf script printed %d samples, not %d"
                          % (variant, len(got), len(CASES)))
                    bad += 1
            for fold in (None, "kernel", "addrs"):
                want = want_lines(variant, fold)
                got = swapdiag_lines(swapdiag, path, kpath, fold)
                for case, w in want.items():
                    g = got.get(case)
                    # field by field: comm, each frame, the weight
                    if g is None or g[0] != w[0] or len(g[1]) != len(w[1]) or \
                            any(a != b for a, b in zip(g[1], w[1])) or g[2] != w[2]:
                        print("%s kallsyms, --folded-with %s: swapdiag folds %s as "
                              "%r, want %r" % (variant, fold, case, g, w))
                        bad += 1
                if len(got) != len(want):
                    print("%s kallsyms, --folded-with %s: swapdiag printed %d lines, "
                          "not %d" % (variant, fold, len(got), len(want)))
                    bad += 1
    return bad, perf is not None


CORPUS_FILE = "perf_data_converter/src/quipper/testdata/perf.data.piped.target-3.8"
# perf script's event names -> swapdiag's (--event)
EVENTS = {"cycles": "cycles", "instructions": "instructions",
          "cache-references": "cache-references", "cache-misses": "cache-misses",
          "branches": "branch-instructions", "branch-misses": "branch-misses"}
# perf 6.1's perf script on it: (event, comm, module dso) -> sum of periods
CORPUS_WANT = {
    ("cycles", "swapper", "[ath9k]"): 606694,
    ("cycles", "swapper", "[mac80211]"): 545669,
    ("instructions", "swapper", "[mac80211]"): 794506,
    ("cache-references", "swapper", "[ath9k]"): 7154,
    ("cache-references", "swapper", "[ath9k_hw]"): 5257,
    ("cache-misses", "swapper", "[ath9k]"): 10721,
    ("cache-misses", "swapper", "[ath9k_common]"): 4500,
    ("cache-misses", "swapper", "[ath9k_hw]"): 10723,
    ("cache-misses", "swapper", "[mac80211]"): 3978,
    ("branch-misses", "chrome", "[r8169]"): 2421,
    ("branch-misses", "swapper", "[ath9k]"): 2511,
    ("branch-misses", "swapper", "[mac80211]"): 2007,
}


def perf_corpus(perf, path):
    r = subprocess.run([perf, "script", "-i", path, "-F", "comm,period,event,ip,sym,dso"],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit("perf script failed: %s" % r.stderr)
    got = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(.+?)\s+(\d+)\s+(\S+):\s+([0-9a-f]+) .* \((.*)\)$", line)
        if not m:
            continue
        comm, period, event, ip, dso = m.groups()
        if int(ip, 16) < 0xffff800000000000 or not dso.startswith("[") or \
                dso == "[kernel.kallsyms]":
            continue
        k = (event, comm.replace(" ", "_"), dso)
        got[k] = got.get(k, 0) + int(period)
    return got


def check_corpus(swapdiag, corpus):
    path = os.path.join(corpus, CORPUS_FILE)
    bad = 0
    perf = shutil.which("perf")
    if perf:
        got = perf_corpus(perf, path)
        if got != CORPUS_WANT:
            print("perf 6.1 on %s: module samples %r, the test says %r"
                  % (CORPUS_FILE, sorted(got.items()), sorted(CORPUS_WANT.items())))
            bad += 1
    for ev in EVENTS:
        r = subprocess.run([swapdiag, "--no-progress", "--folded", "-", "--event", EVENTS[ev],
                            "--symfs", "/nonexistent-symfs", "--buildid-dir",
                            "/nonexistent-cache", path], capture_output=True, text=True)
        if r.returncode not in (0, 1):
            sys.exit("swapdiag failed (%d): %s" % (r.returncode, r.stderr))
        got = set()
        for line in r.stdout.splitlines():
            stack, weight = line.rsplit(" ", 1)
            frames = stack.split(";")
            if any(f.startswith("[[") and f not in ("[[kernel.kallsyms]]", "[[vdso]]")
                   for f in frames[1:]):
                got.add(line)
        # no call chains: "comm;[[module]] weight" (FOLDED.md)
        want = {"%s;[%s] %d" % (c, d, p) for (e, c, d), p in CORPUS_WANT.items() if e == ev}
        if got != want:
            print("%s, --event %s: swapdiag's module lines %r, want %r"
                  % (CORPUS_FILE, ev, sorted(got), sorted(want)))
            bad += 1
    return bad


def main():
    args = sys.argv[1:]
    corpus = None
    if len(args) == 3 and args[1] == "--corpus":
        corpus = args[2]
        args = args[:1]
    if len(args) != 1:
        sys.exit(__doc__)
    swapdiag = args[0]
    if corpus is not None:
        if not os.path.exists(os.path.join(corpus, CORPUS_FILE)):
            print("no %s: skipped" % os.path.join(corpus, CORPUS_FILE))
            sys.exit(77)
        bad = check_corpus(swapdiag, corpus)
        if bad:
            sys.exit("%d differences" % bad)
        print("%s: swapdiag's module frames are perf's" % CORPUS_FILE)
        return
    bad, had_perf = check_synthetic(swapdiag)
    if bad:
        sys.exit("%d differences" % bad)
    print("%d cases x %d kernel symbol sources: swapdiag's folded lines are the "
          "test's%s" % (len(CASES), len(VARIANTS),
                        " and perf's" if had_perf else " (perf not installed)"))


if __name__ == "__main__":
    main()
