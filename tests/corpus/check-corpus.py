#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-corpus.py - swapdiag against the external perf.data corpus.

Usage: check-corpus.py SWAPDIAG [CORPUS_DIR]

The corpus (real perf.data files from public repositories, fuzz crashers,
and the text files that sit beside them) lives outside the repository, in
<repo>/../shared/corpus, with its facts in INDEX.md.  Without it the test
is skipped (exit 77).

For every real fixture listed in INDEX.md section 1, `swapdiag --headers`
must exit 0 and print, under "events:", sample counts that add up to the
table's "samples" column; where INDEX.md gives a count for one event (the
only event of a file, or the tracepoint event counted in the "RAW
(tracepoint)" column), that event's line must show it; so must the
per-event counts of multi-event files taken from perf 6.1 below.

For every file in the corpus (fixtures, fuzz crashers, zlib and text files,
anything else there), swapdiag must exit 0 or 2 within a time limit and
never die by a signal, both with --headers and when it folds stacks
(--folded, which runs the whole pipeline); exit 2 must come with a
"swapdiag: error:" line on standard error.

One line per file, then "N passed, M failed".  Exit 0 when all passed.
"""

import os
import re
import signal
import subprocess
import sys

TIME_LIMIT = 60  # seconds per run; the largest file takes well under 1 s

# Where INDEX.md is wrong, after checking with perf itself.  Key: path
# under the corpus; value: (total, {event: count}) replacing INDEX.md's.
# None so far: every count in INDEX.md agrees with perf 6.1 (perf script
# -F event, perf report --stats) where perf 6.1 can read the file.
INDEX_CORRECTIONS = {}

# Per-event counts INDEX.md does not give, for the files with several
# named events: `perf script -f -F event -i FILE | sort | uniq -c` with
# perf 6.1.187.  They check that samples go to the right event by their
# ids (PERF_SAMPLE_ID / IDENTIFIER) in files of perf 3.4 to 6.8.
Q = "perf_data_converter/src/quipper/testdata/"
PERF_EVENT_COUNTS = {
    Q + "perf.data.armv7-3.4": {
        "branch-misses": 694, "branches": 640, "cache-misses": 613,
        "cache-references": 633, "cycles": 669, "instructions": 644},
    Q + "perf.data.busy.0-3.4": {
        "branch-misses": 106, "branches": 123, "cache-misses": 70,
        "cache-references": 135, "cycles": 67, "instructions": 127},
    Q + "perf.data.busy.1-3.4": {
        "branch-misses": 2002, "branches": 1974, "cache-misses": 1952,
        "cache-references": 2123, "cycles": 1753, "instructions": 1974},
    Q + "perf.data.busy.1-3.8": {
        "branch-misses": 1, "branches": 949, "cache-misses": 7,
        "cache-references": 38, "cycles": 3860, "instructions": 4722},
    Q + "perf.data.forkexit-3.4": {
        "branch-misses": 2651, "branches": 2575, "cache-misses": 2142,
        "cache-references": 2746, "cycles": 2819, "instructions": 2566},
    Q + "perf.data.group_desc-4.14": {
        "branch-misses": 6, "cache-references": 7},
    Q + "perf.data.hw_and_sw-3.4": {"cpu-clock": 4734, "cycles": 207},
    Q + "perf.data.i686-3.4": {
        "branch-misses": 101, "branches": 95, "cache-misses": 89,
        "cache-references": 116, "cycles": 147, "instructions": 155},
    Q + "perf.data.lost_samples-4.4": {
        "branch-instructions:pp": 14, "cycles:pp": 97,
        "instructions:pp": 80},
    Q + "perf.data.piped.header_feautres_group_desc-6.8": {
        "cycles:u": 11, "instructions:u": 10},
    Q + "perf.data.piped.hw_and_sw-3.4": {"cpu-clock": 4082, "cycles": 193},
    Q + "perf.data.singleprocess-3.4": {
        "branch-misses": 13, "branches": 13, "cache-misses": 11,
        "cache-references": 12, "cycles": 14, "instructions": 14},
    Q + "perf.data.systemwide.0-3.4": {
        "branch-misses": 72, "branches": 99, "cache-misses": 69,
        "cache-references": 71, "cycles": 96, "instructions": 100},
    Q + "perf.data.systemwide.1-3.4": {
        "branch-misses": 493, "branches": 476, "cache-misses": 480,
        "cache-references": 523, "cycles": 518, "instructions": 477},
    Q + "perf.data.systemwide.5-3.4": {
        "branch-misses": 2203, "branches": 2035, "cache-misses": 2193,
        "cache-references": 2351, "cycles": 2322, "instructions": 2038},
    Q + "perf.data.throttle-3.8": {"cycles": 9036, "instructions": 5944},
    "perf_data_converter/src/testdata/multi-event-single-process.perf.data": {
        "cpu-clock": 19789, "task-clock": 19428},
    "perfparser/tests/auto/perfdata/parallel_static_gcc/perf.data.zstd": {
        "cycles": 233, "sched:sched_switch": 9},
}

# "samples" lines of `swapdiag --headers` (src/report/headers.c):
#   "  %-24s %8lu samples  %s %lu  SAMPLE|TYPE"
EVENT_LINE = re.compile(r"^  (\S.*?) +(\d+) samples  (?:freq|period) ")

# "subsystem:event", not "event:modifiers" (cycles:Pu, dummy:HG)
TRACEPOINT = re.compile(r"^\w+:(?![ukhIGHpPSDWe]+$)\w+$")


def parse_table(lines):
    """Rows of the first markdown table in lines, as lists of cells."""
    rows = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(cells)
    # drop the header and the |---| line
    return [r for r in rows[2:] if r and not set(r[0]) <= set("-: ")]


def section(lines, number):
    """The lines of '## <number>.' up to the next '## '."""
    out, inside = [], False
    for line in lines:
        if line.startswith("## "):
            inside = line.startswith("## %d." % number)
            continue
        if inside:
            out.append(line)
    return out


def unquote(cell):
    return cell.strip().strip("`")


def split_events(cell):
    """Event names of the 'events' column; None when INDEX.md does not
    name them all (truncated with '…', or no EVENT_DESC in the file)."""
    if "…" in cell or "(" in cell:
        return None
    names = [e.strip() for e in cell.split(",")]
    return names if all(names) else None


def expected_counts(row):
    """(total, {event: count}) from one row of INDEX.md section 1."""
    total = int(row[8])
    events = split_events(row[6])
    per_event = {}
    if events and len(events) == 1:
        per_event[events[0]] = total
    m = re.match(r"^(\d+) \(tp\)$", row[10])
    if m and events:
        tracepoints = [e for e in events if TRACEPOINT.match(e)]
        if len(tracepoints) == 1:
            per_event[tracepoints[0]] = int(m.group(1))
    return total, per_event


def read_index(corpus):
    with open(os.path.join(corpus, "INDEX.md"), encoding="utf-8") as f:
        lines = f.readlines()
    fixtures = {}
    for row in parse_table(section(lines, 1)):
        if len(row) < 11:
            continue
        rel = unquote(row[0])
        total, per_event = INDEX_CORRECTIONS.get(rel, expected_counts(row))
        for name, n in PERF_EVENT_COUNTS.get(rel, {}).items():
            per_event.setdefault(name, n)
        fixtures[rel] = (total, per_event)
    fuzz = [unquote(r[0]) for r in parse_table(section(lines, 2)) if r]
    return fixtures, fuzz


def run(swapdiag, args):
    """(exit status or None on timeout, stdout, stderr); a signal is a
    negative status."""
    env = dict(os.environ, LC_ALL="C")
    try:
        p = subprocess.run([swapdiag] + args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIME_LIMIT, env=env)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def exit_problem(what, rc, err):
    """Why this exit is not acceptable, or None."""
    if rc is None:
        return "%s: no exit within %d s" % (what, TIME_LIMIT)
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "signal %d" % -rc
        return "%s: killed by %s" % (what, name)
    if rc not in (0, 2):
        return "%s: exit status %d (want 0 or 2)" % (what, rc)
    if rc == 2 and not re.search(r"^swapdiag: error:", err, re.M):
        return "%s: exit 2 without a 'swapdiag: error:' line" % what
    return None


def event_counts(out):
    counts, inside = {}, False
    for line in out.splitlines():
        if line.startswith("events:"):
            inside = True
            continue
        if inside:
            m = EVENT_LINE.match(line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + \
                    int(m.group(2))
    return counts


def check_file(swapdiag, corpus, rel, expect):
    """(ok, one-line summary) for one corpus file."""
    path = os.path.join(corpus, rel)
    problems = []

    rc, out, err = run(swapdiag, ["--headers", path])
    p = exit_problem("--headers", rc, err)
    if p:
        problems.append(p)
    got = event_counts(out) if rc == 0 else {}
    total = sum(got.values())
    summary = "exit %s" % rc
    if expect is not None:
        want_total, want_events = expect
        summary = "%d samples" % total
        if rc != 0:
            problems.append("--headers: exit %s for a real recording: %s" %
                            (rc, err.strip().splitlines()[:1]))
        elif total != want_total:
            problems.append("%d samples, INDEX.md says %d" %
                            (total, want_total))
        for name, n in sorted(want_events.items()):
            if rc == 0 and got.get(name) != n:
                problems.append("event %s: %s samples, expected %d" %
                                (name, got.get(name, "no"), n))
        if want_events:
            summary += " (%s)" % ", ".join(
                "%s %d" % (k, v) for k, v in sorted(want_events.items()))

    # the whole pipeline, folding stacks of the default event
    rc, _, err = run(swapdiag, ["--folded", os.devnull, path])
    p = exit_problem("--folded", rc, err)
    if p:
        problems.append(p)

    if problems:
        return False, "FAIL %s: %s" % (rel, "; ".join(problems))
    return True, "ok   %s: %s" % (rel, summary)


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: check-corpus.py SWAPDIAG [CORPUS_DIR]\n")
        return 2
    swapdiag = os.path.abspath(sys.argv[1])
    if len(sys.argv) > 2:
        corpus = sys.argv[2]
    else:
        repo = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        corpus = os.path.join(os.path.dirname(repo), "shared", "corpus")
    corpus = os.path.normpath(corpus)
    if not os.path.isfile(os.path.join(corpus, "INDEX.md")):
        print("skipped: no corpus at %s (INDEX.md missing)" % corpus)
        return 77

    fixtures, fuzz = read_index(corpus)
    files = []
    for root, dirs, names in os.walk(corpus):
        dirs.sort()
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(root, n), corpus)
            if rel != "INDEX.md":
                files.append(rel)
    present = set(files)

    passed = failed = 0
    # INDEX.md and the directory must agree, or the test checks less
    # than it claims
    fuzz_dir = "perf_data_converter/src/quipper/corpus"
    listed = list(fixtures) + [fuzz_dir + "/" + f for f in fuzz]
    for rel in listed:
        if rel not in present:
            print("FAIL %s: listed in INDEX.md, missing from the corpus" %
                  rel)
            failed += 1

    for rel in files:
        ok, line = check_file(swapdiag, corpus, rel, fixtures.get(rel))
        print(line, flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
