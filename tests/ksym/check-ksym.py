#!/usr/bin/env python3
"""The wrong-kernel-symbols matrix (issue 10).

Every recording in testdata/ is analysed with every kallsyms there: its own
(or a byte-identical copy) must be verified (input.kernel_symbols.matches
true, no UNKNOWN verdict, exit status 0 or 1); every other one must give
the verdict "UNKNOWN: the kernel symbols do not belong to the recorded
kernel (...)", JSON severity "unknown", matches false and exit status 2 --
in both directions, the synthetic 2.6.32 seed included; --folded alone
still writes the stacks and exits with status 2.  With
--kallsyms-unchecked a mismatch is a loud note instead, never exit 2 for
it.  Bundles
made here with right and wrong kernel build-ids in their manifest are
judged by the build-id.  The public corpus (CORPUS) has no kallsyms of
its own: every kallsyms here is a wrong one for it, and must never be
called a match.

usage: check-ksym.py SWAPDIAG TESTDATA [--corpus-only CORPUS] [--measure]
--corpus-only runs only the corpus part (exit 77 without it); --measure
prints the counts written in swapdiag-report(5) instead of checking.
"""
import json
import os
import subprocess
import sys
import tempfile

# recording -> its own kallsyms (testdata/README.md, fixtures.tsv)
HOST782 = "kallsyms/host-6.18.44-fc-v782.kallsyms.zst"
HOST1045 = "kallsyms/host-6.18.44-fc-v1045.kallsyms.zst"
RECORDINGS = [
    ("swapstorm.data", HOST782),
    ("swapstorm-z.data", HOST782),
    ("swapstorm-pipe.data", HOST782),
    ("swapstorm-sampled.data", HOST782),
    ("storm-noswap.data", HOST782),
    ("nocallchain.data", HOST782),
    ("host-v1045.data", HOST1045),
    # --call-graph dwarf recordings (testdata/README.md); gzip-dwarf.data
    # has no kernel frames, so no kernel symbols to judge
    ("dwarf/forkswap-spie-dwarf.data", HOST1045),
    ("dwarf/forkswap-static-dwarf.data", HOST1045),
    ("dwarf/perl-dwarf.data", HOST1045),
    ("dwarf/xz-dwarf.pipe.data", HOST1045),
    # real services (tests/repro/services/record.sh)
    ("services/apache-cgi.data", HOST1045),
    ("services/apache-cgid.data", HOST1045),
    ("services/apache-swapoff.data", HOST1045),
    ("services/redis-bgsave.data", HOST1045),
    ("synthetic/rhel6-seed.data", "synthetic/rhel6-seed.kallsyms"),
    ("synthetic/be-callchain.data", "synthetic/be-callchain.kallsyms"),
    ("synthetic/le-callchain.data", "synthetic/be-callchain.kallsyms"),
    ("synthetic/be-callchain.pipe.data", "synthetic/be-callchain.kallsyms"),
    ("synthetic/le-callchain.pipe.data", "synthetic/be-callchain.kallsyms"),
    ("synthetic/control-free-pages.data",
     "synthetic/control-free-pages.kallsyms"),
    ("synthetic/kitchen-sink.data", "synthetic/kitchen-sink.kallsyms"),
    ("synthetic/attr136.data", "synthetic/attr136.kallsyms"),
    ("synthetic/attr136.pipe.data", "synthetic/attr136.kallsyms"),
]
KALLSYMS = [HOST782, HOST1045] + sorted(
    "synthetic/" + f for f in (
        "rhel6-seed.kallsyms", "be-callchain.kallsyms",
        "control-free-pages.kallsyms", "kitchen-sink.kallsyms",
        "attr136.kallsyms"))
# corpus files with kernel call chains (corpus INDEX.md, "kernel cc" > 0)
CORPUS = [
    "perf_data_converter/src/quipper/testdata/perf.data.callgraph-3.4",
    "perf_data_converter/src/quipper/testdata/perf.data.callgraph-3.8",
    "perf_data_converter/src/quipper/testdata/"
    "perf.data.callgraph_and_branch-3.4",
    "perf_data_converter/src/quipper/testdata/"
    "perf.data.callgraph_and_branch-3.8",
    "perf_data_converter/src/quipper/testdata/"
    "perf.data.raw_callgraph_branch-3.4",
    "perf_data_converter/src/testdata/with-callchain.perf.data",
    "perfparser/tests/auto/perfdata/contentsize.data",
    "perfparser/tests/auto/perfdata/parallel_static_gcc/perf.data.zstd",
    "perfparser/tests/auto/perfdata/vector_static_clang/perf.data",
    "perfparser/tests/auto/perfdata/vector_static_gcc/perf.data",
    "perfparser/tests/auto/perfdata/vector_static_gcc/perf.data.zstd",
    "perfparser/tests/auto/perfdata/vector_static_gcc/perf.lbr.data",
    "perfparser/tests/auto/perfdata/cpp-inlining/cpp-inlining.perf.data",
]
UNKNOWN = "UNKNOWN: the kernel symbols do not belong to the recorded kernel ("


def same_kernel(td, a, b):
    """The same kallsyms: the same file, or the same bytes."""
    if a == b:
        return True
    if a.endswith(".zst") or b.endswith(".zst"):
        return False
    with open(os.path.join(td, a), "rb") as fa, \
            open(os.path.join(td, b), "rb") as fb:
        return fa.read() == fb.read()


def make_bundle(path, td, data, ksyms, kernel_build_id):
    """A swapdiag bundle (plain ustar, manifest first, perf.data last) of
    a recording, a kallsyms and the manifest's kernel_build_id."""
    import io
    import tarfile
    manifest = json.dumps({"format": "swapdiag-bundle/1",
                           "tool_version": "test",
                           "kernel_build_id": kernel_build_id}).encode()
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for name, blob in (("manifest.json", manifest),
                           ("kallsyms", open(os.path.join(td, ksyms),
                                             "rb").read()),
                           ("perf.data", open(os.path.join(td, data),
                                              "rb").read())):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(blob))


# the kernel build-ids of the two real kernels (perf buildid-list)
ID782 = "85c7e4e2ed76f4417e8aaad7c6b040d2bb897a26"
ID1045 = "a3e4cd60a8ec14f02aa41b41d5b5846d3d9f1dd8"
BUNDLES = [
    # recording, kallsyms, manifest build-id, matches, evidence has
    ("host-v1045.data", HOST1045, ID1045, True, "is the recorded kernel's"),
    ("swapstorm.data", HOST782, ID782, True, "is the recorded kernel's"),
    # assembled from another host's files: the build-id says so
    ("swapstorm.data", HOST1045, ID1045, False, "is not the recorded"),
    ("host-v1045.data", HOST782, ID782, False, "is not the recorded"),
    # no build-id in the manifest: the kallsyms checks decide
    ("swapstorm.data", HOST1045, None, False, "0x1276988"),
    ("swapstorm.data", HOST782, None, True, "0x1276f48"),
]


def check_bundles(swapdiag, td, bad, count):
    with tempfile.TemporaryDirectory() as tmp:
        for i, (data, ks, kid, want, say) in enumerate(BUNDLES):
            b = os.path.join(tmp, "b%d.swapdiag.tar" % i)
            make_bundle(b, td, data, ks, kid)
            p = subprocess.run(
                [swapdiag, "-q", "--no-progress", "--buildid-dir",
                 os.path.join(tmp, "no-cache"), "--json", "-", b],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
            try:
                doc = json.loads(p.stdout)
            except ValueError:
                doc = {}
            k = doc.get("input", {}).get("kernel_symbols", {})
            what = "bundle of %s, %s, build-id %s" % (data, ks, kid)
            count(("bundle", k.get("matches")))
            if k.get("source") != "bundle" or k.get("matches") is not want \
                    or say not in k.get("evidence", "") or \
                    k.get("build_id") != kid or \
                    not k.get("path", "").endswith(".swapdiag.tar:kallsyms"):
                bad.append("%s: kernel_symbols %r" % (what, k))
            if (p.returncode == 2) == want or \
                    doc.get("verdict", "").startswith(UNKNOWN) == want:
                bad.append("%s: exit %d, verdict %r" %
                           (what, p.returncode, doc.get("verdict")))


def run_folded(swapdiag, td, data, ksyms):
    """Exit status of --folded alone (a conversion, no verdict)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(
            [swapdiag, "-q", "--no-progress",
             "--buildid-dir", os.path.join(tmp, "no-cache"),
             "--kallsyms", os.path.join(td, ksyms),
             "--folded", os.path.join(tmp, "out.folded"), data],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        return p.returncode, os.path.getsize(os.path.join(tmp, "out.folded"))


def run(swapdiag, td, data, ksyms, extra=()):
    """(exit status, text report, JSON report) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        js = os.path.join(tmp, "r.json")
        p = subprocess.run(
            [swapdiag, "-q", "--no-progress", "--no-color",
             "--buildid-dir", os.path.join(tmp, "no-cache"),
             "--symfs", os.path.join(tmp, "no-symfs"),
             "--kallsyms", os.path.join(td, ksyms), "--json", js,
             *extra, data],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        try:
            with open(js) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            doc = {}
    return p.returncode, p.stdout.decode(errors="replace"), doc


def tally(counts, cls, ev):
    """--measure: which checks spoke in one run's evidence."""
    import re
    def add(what):
        counts[(cls, what)] = counts.get((cls, what), 0) + 1
    m = re.search(r"(\d+)% of (\d+) kernel call chains", ev)
    if m:
        r = int(m.group(1))
        add("entry <= 30%" if r <= 30 else "entry >= 80%" if r >= 80
            else "entry between")
    else:
        add("entry: too few chains")
    if "the recorded kernel map is" in ev:
        add("map exact")
    elif "the recorded kernel text" in ev:
        add("map differs")
    if "they have " in ev:
        add("release contradicts")
    if "their _text" in ev:
        add("arch contradicts")
    if "sampled kernel addresses fall outside" in ev:
        add("text: > 10% outside")


def main(argv):
    measure = "--measure" in argv
    corpus_only = "--corpus-only" in argv
    argv = [a for a in argv if a not in ("--measure", "--corpus-only")]
    swapdiag, td = os.path.abspath(argv[1]), argv[2]
    corpus = argv[3] if len(argv) > 3 else None
    if corpus_only and not (corpus and os.path.isdir(corpus)):
        print("SKIP: no corpus at %s" % corpus)
        return 77
    bad, counts = [], {}

    def count(key):
        counts[key] = counts.get(key, 0) + 1

    for data, own in [] if corpus_only else RECORDINGS:
        for ks in KALLSYMS:
            right = same_kernel(td, own, ks)
            rc, text, doc = run(swapdiag, td, os.path.join(td, data), ks)
            k = doc.get("input", {}).get("kernel_symbols", {})
            m = k.get("matches")
            what = "%s with %s" % (data, ks)
            count(("right" if right else "wrong", m))
            if measure:
                tally(counts, ("right " if right else "wrong ") +
                      ("synthetic" if data.startswith("synthetic") else
                       "real"), k.get("evidence", ""))
            first = text.splitlines()[0] if text else ""
            if right:
                frc, size = run_folded(swapdiag, td, os.path.join(td, data),
                                       ks)
                if frc != 0 or not size:
                    bad.append("%s --folded: exit %d, %d bytes" %
                               (what, frc, size))
                if m is not True:
                    bad.append("%s: its own symbols not verified (%r: %s)"
                               % (what, m, k.get("evidence")))
                if first.startswith("UNKNOWN") or rc not in (0, 1):
                    bad.append("%s: exit %d, verdict %r" % (what, rc, first))
                continue
            if m is not False:
                bad.append("%s: matches %r, expected false (%s)"
                           % (what, m, k.get("evidence")))
            if rc != 2:
                bad.append("%s: exit %d, expected 2" % (what, rc))
            if not first.startswith(UNKNOWN):
                bad.append("%s: verdict %r" % (what, first))
            if doc.get("verdict", "") != first:
                bad.append("%s: JSON verdict %r differs from the text's"
                           % (what, doc.get("verdict")))
            if doc.get("severity") != "unknown":
                bad.append("%s: JSON severity %r, expected unknown"
                           % (what, doc.get("severity")))
            if doc.get("findings"):
                bad.append("%s: findings from wrong symbols" % what)
            if k.get("source") != "kallsyms" or not k.get("evidence"):
                bad.append("%s: kernel_symbols %r" % (what, k))
            if "kernel symbols: " not in "\n".join(text.splitlines()[:6]):
                bad.append("%s: no 'kernel symbols:' line near the top"
                           % what)
            # --folded alone: the stacks are written, the status says 2
            if ks == KALLSYMS[0] or ks == HOST1045:
                frc, size = run_folded(swapdiag, td, os.path.join(td, data),
                                       ks)
                if frc != 2 or not size:
                    bad.append("%s --folded: exit %d, %d bytes" %
                               (what, frc, size))
            # the override: a loud note, the analysis goes on
            if ks == KALLSYMS[0] or data == "synthetic/rhel6-seed.data":
                rc2, text2, doc2 = run(swapdiag, td, os.path.join(td, data),
                                       ks, ["--kallsyms-unchecked"])
                k2 = doc2.get("input", {}).get("kernel_symbols", {})
                if rc2 == 2 or text2.startswith("UNKNOWN") or \
                        "(--kallsyms-unchecked)" not in \
                        text2.split("\n")[0] or \
                        k2.get("matches") is not False or \
                        not k2.get("unchecked") or \
                        not any("--kallsyms-unchecked" in n
                                for n in doc2.get("notes", [])):
                    bad.append("%s --kallsyms-unchecked: exit %d, %r, %r"
                               % (what, rc2, text2[:80], k2))

    if not corpus_only:
        check_bundles(swapdiag, td, bad, count)

    if corpus and os.path.isdir(corpus):
        for f in CORPUS:
            path = os.path.join(corpus, f)
            if not os.path.exists(path):
                continue
            for ks in KALLSYMS:
                rc, text, doc = run(swapdiag, td, path, ks)
                m = doc.get("input", {}).get("kernel_symbols", {}) \
                    .get("matches")
                count(("corpus", m))
                if measure:
                    tally(counts, "corpus", doc.get("input", {})
                          .get("kernel_symbols", {}).get("evidence", ""))
                if m is True:
                    bad.append("corpus %s with %s: a foreign kallsyms "
                               "verified" % (f, ks))

    for key in sorted(counts, key=str):
        if isinstance(key[1], str):
            print("%-16s %-22s: %d runs" % (key[0], key[1], counts[key]))
        else:
            print("%-16s matches %-14s: %d runs" %
                  (key[0], json.dumps(key[1]), counts[key]))
    if measure:
        return 0
    for b in bad:
        print("FAIL", b)
    if bad:
        return 1
    print("ok: %d runs" % sum(counts.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
