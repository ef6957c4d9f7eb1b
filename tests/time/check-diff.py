#!/usr/bin/env python3
"""swapdiag diff against the two single reports and perf's own folding.

usage: check-diff.py SWAPDIAG ROOT

Pairs: swapstorm.data (256 MiB of the forking parent in swap) before,
storm-noswap.data (the same storm, nothing in swap) after -- the swap
finding disappears; a recording against itself -- UNCHANGED; the pair
reversed -- WORSE, and the regression gate.  Checked field by field:
 - before/after are the complete swapdiag --json reports of each input;
 - every finding of either report has exactly one change, the other side
   null when absent; shares and samples are the single reports'; the swap
   samples are perf's (lines through swap_duplicate / the exec-side swap
   frames in perf's folded files testdata/*.folded);
 - delta_share and the noise margin follow the rule in swapdiag(1),
   recomputed here from the reports' numbers; significant = |delta| >
   margin; the outcome follows from the significant changes;
 - the JSON validates against man/swapdiag-diff.schema.json (which embeds
   man/swapdiag-report.schema.json); the markdown table carries the same
   numbers.
"""
import collections
import atexit
import json
import math
import re
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import schemacheck  # noqa: E402  (tests/schemacheck.py)

SWAPDIAG, ROOT = sys.argv[1], sys.argv[2]
TD = os.path.join(ROOT, "testdata")
KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
SYMFS = os.path.join(TD, "symfs")
NOCACHE = tempfile.mkdtemp(prefix="check-diff.")
atexit.register(shutil.rmtree, NOCACHE, True)  # also on a crash
SYM = ["--kallsyms", KSYMS, "--symfs", SYMFS, "--buildid-dir", NOCACHE]
STORM = os.path.join(TD, "swapstorm.data")
NOSWAP = os.path.join(TD, "storm-noswap.data")
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def single(path, sym=None):
    p = subprocess.run([SWAPDIAG, "-q", "--no-progress", "--json", "-"] +
                       (sym or SYM) + [path], stdout=subprocess.PIPE)
    return json.loads(p.stdout)


def diff(before, after, *extra, sym=None):
    p = subprocess.run([SWAPDIAG, "diff", "-q", "--json", "-"] + (sym or SYM) +
                       list(extra) + [before, after], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, (json.loads(p.stdout) if p.stdout else None)


def validator():
    return schemacheck.diff_validator()


def on_cpu_samples(rep):
    for e in rep["input"]["events"]:
        if ":" not in e["name"] and not e["name"].startswith("dummy"):
            return e["samples"]
    return None


def perf_swap_samples(folded):
    dup = free = 0
    with open(os.path.join(TD, folded)) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            fr = stack.split(";")
            if "copy_page_range" in fr and "swap_duplicate" in fr:
                dup += int(n)
            if "unmap_page_range" in fr and (
                    "free_swap_and_cache_nr" in fr or
                    "swap_entries_put_map" in fr):
                free += int(n)
    return dup, free


def var_share(p, n):
    p = max(p, 1.0 / n)
    return p * (1 - p) / n


def check_pair(name, before, after, want_verdict, sym=None):
    rc, d = diff(before, after, sym=sym)
    sb, sa = single(before, sym), single(after, sym)
    check(d is not None and d["schema"] == "swapdiag-diff/1",
          "%s: schema swapdiag-diff/1" % name)
    errs = list(validator().iter_errors(d))
    check(not errs, "%s: JSON matches man/swapdiag-diff.schema.json%s" %
          (name, "" if not errs else ": %s at %s" %
           (errs[0].message[:150], list(errs[0].absolute_path))))
    check(d["before"] == sb, "%s: before = swapdiag --json %s" %
          (name, os.path.basename(before)))
    check(d["after"] == sa, "%s: after = swapdiag --json %s" %
          (name, os.path.basename(after)))
    fb = {f["id"]: f for f in sb["findings"]}
    fa = {f["id"]: f for f in sa["findings"]}
    ids = [c["id"] for c in d["changes"]]
    check(sorted(ids) == sorted(set(fb) | set(fa)) and len(ids) == len(set(ids)),
          "%s: one change per finding of either side: %s" % (name, ids))
    nb, na = on_cpu_samples(sb), on_cpu_samples(sa)
    eb = sb["swap_entry"]["share"] if sb["swap_entry"] else 0.0
    ea = sa["swap_entry"]["share"] if sa["swap_entry"] else 0.0
    se = d["swap_entry"]
    m = 3 * math.sqrt(var_share(eb, nb) + var_share(ea, na))
    check(abs(se["before"] - eb) < 1e-6 and abs(se["after"] - ea) < 1e-6 and
          abs(se["margin"] - m) < 1e-6 and
          se["significant"] == (abs(ea - eb) > m),
          "%s: swap_entry %.4f -> %.4f, margin %.4f (reports: %.4f -> %.4f, "
          "%.4f)" % (name, se["before"], se["after"], se["margin"], eb, ea, m))
    better = worse = False
    for c in d["changes"]:
        i = c["id"]
        b, a = fb.get(i), fa.get(i)
        check((c["before"] is None) == (b is None) and
              (c["after"] is None) == (a is None),
              "%s %s: absent side null (before %s, after %s)" %
              (name, i, b is not None, a is not None))
        if c["compared"] == "share":
            pb = b["share"] if b else 0.0
            pa = a["share"] if a else 0.0
            for side, f in (("before", b), ("after", a)):
                if f:
                    check(abs(c[side]["share"] - f["share"]) < 1e-9 and
                          c[side]["samples"] == f["samples"],
                          "%s %s: %s share %.4f, samples %d = the single "
                          "report's" % (name, i, side, f["share"],
                                        f["samples"]))
            margin = 3 * math.sqrt(var_share(pb, nb) + var_share(pa, na))
            check(abs(c["delta_share"] - (pa - pb)) < 1e-6 and
                  abs(c["margin"] - margin) < 1e-6,
                  "%s %s: delta %.4f, margin %.4f (recomputed: %.4f, %.4f)" %
                  (name, i, c["delta_share"], c["margin"], pa - pb, margin))
            sig = abs(pa - pb) > margin
            check(c["significant"] == sig, "%s %s: significant %s" %
                  (name, i, sig))
            if sig:
                better |= pa < pb
                worse |= pa > pb
        elif c["measured"] and c["significant"]:
            better |= c["delta_stalls_per_s"] < 0
            worse |= c["delta_stalls_per_s"] > 0
    want = ("MIXED" if better and worse else "WORSE" if worse else
            "IMPROVED" if better else "UNCHANGED")
    check(d["verdict"] == want == want_verdict,
          "%s: verdict %s (from the changes: %s; expected %s)" %
          (name, d["verdict"], want, want_verdict))
    return rc, d


# new processes by forking comm, from perf script --show-task-events (FORK
# records with pid != ppid and pid == tid, time > 0: not the synthesized
# ones); the counts perf 6.1.187 gave are used without perf
FORK_FACTS = {"swapstorm.data": {"forkswap": 215, "run.sh": 73, "bash": 13},
              "storm-noswap.data": {"forkswap": 169, "run.sh": 83}}
FORK_RE = re.compile(r"^\s*(.+?)\s+(-?\d+)\s+\[\d+\]\s+([\d.]+):\s+"
                     r"PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)")


def perf_forkers(path):
    if not shutil.which("perf"):
        return FORK_FACTS[os.path.basename(path)], "recorded perf fact"
    out = subprocess.run(["perf", "script", "-f", "-i", path,
                          "--show-task-events"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    c = collections.Counter()
    for line in out.splitlines():
        m = FORK_RE.search(line)
        if (m and float(m.group(3)) > 0 and m.group(4) != m.group(6) and
                m.group(4) == m.group(5)):
            c[m.group(1)] += 1
    return dict(c), "perf script --show-task-events"


# the real pair: swap gone -- and the fork page-table copying of the
# resident parent, which the swap finding covered before, is a fork_copy
# finding of its own after: the cost moved, so MIXED, and the gate trips
rc, d = check_pair("swapstorm -> storm-noswap", STORM, NOSWAP, "MIXED")
dup_b, free_b = perf_swap_samples("swapstorm.folded")
dup_a, free_a = perf_swap_samples("storm-noswap.folded")
ch = {c["id"]: c for c in d["changes"]}
check(ch["swap_dup_fork"]["before"]["samples"] == dup_b and dup_a == 0 and
      ch["swap_dup_fork"]["after"] is None and
      ch["swap_dup_fork"]["significant"],
      "swap_dup_fork: %d -> gone (perf's folding: %d -> %d)" %
      (ch["swap_dup_fork"]["before"]["samples"], dup_b, dup_a))
check("forkswap" in ch["swap_dup_fork"]["disappeared"],
      "swap_dup_fork: forkswap disappeared from it")
check(ch["mmap_lock_stall"]["measured"] is False and
      not ch["mmap_lock_stall"]["significant"],
      "mmap_lock_stall: not measured (storm-noswap.data has no sched_switch)")
check(rc == 1 and ch["fork_copy"]["before"] is None and
      ch["fork_copy"]["significant"],
      "swap gone, fork_copy new: exit %d (1)" % rc)
for side, path in (("before", STORM), ("after", NOSWAP)):
    want, src = perf_forkers(path)
    rep = d[side]
    c = ch["swap_dup_fork"]
    got = (c[side] or {}).get("forkers")
    if got is None:  # the finding is absent on this side: use the text
        p = subprocess.run([SWAPDIAG, "diff", "-q"] + SYM + [STORM, NOSWAP],
                           stdout=subprocess.PIPE)
        line = [l for l in p.stdout.decode().splitlines()
                if l.strip().startswith("forkers")][0]
        part = line.split(None, 1)[1].split(" -> ")[0 if side == "before"
                                                     else 1]
        got = {}
        for w in re.findall(r"(\S+) (\d+) \(\d+ pids?\)", part):
            got[w[0]] = int(w[1])
    else:
        got = {x["comm"]: x["forks"] for x in got}
    check(got == want, "%s forkers %s (%s: %s)" % (side, got, src, want))
c = ch["swap_dup_fork"]
n = sum(perf_forkers(STORM)[0].values())
dur = d["before"]["input"]["duration_s"]
check(c["before"]["forks"] == n and
      abs(c["before"]["forks_per_s"] - n / dur) < 1e-3 * n / dur and
      abs(c["before"]["ms_per_fork"] -
          c["before"]["samples"] * 1.001001 / n) < 0.01,
      "before: %d forks, %.1f/s, %.3f ms of swap_dup_fork per fork "
      "(205 samples of 1.001 ms / %d forks)" %
      (c["before"]["forks"], c["before"]["forks_per_s"],
       c["before"]["ms_per_fork"], n))

# itself: unchanged
rc, d = check_pair("swapstorm -> itself", STORM, STORM, "UNCHANGED")
check(rc == 0 and all(not c["significant"] and c["direction"] == "same"
                      for c in d["changes"]),
      "itself: exit %d, no significant change" % rc)

# reversed: worse, the regression gate
rc, d = check_pair("storm-noswap -> swapstorm", NOSWAP, STORM, "MIXED")
check(rc == 1, "worse at warning: exit %d (1 with --fail-on warning)" % rc)
rc, _ = diff(NOSWAP, STORM, "--fail-on", "critical")
check(rc == 0, "worse at warning: exit %d with --fail-on critical (0)" % rc)
rc, _ = diff(NOSWAP, STORM, "--fail-on", "info")
check(rc == 1, "worse at warning: exit %d with --fail-on info (1)" % rc)

# text and markdown say the same
p = subprocess.run([SWAPDIAG, "diff", "-q"] + SYM + [STORM, NOSWAP],
                   stdout=subprocess.PIPE)
first = p.stdout.decode().splitlines()[0]
check(first.startswith("MIXED: swap_dup_fork 6.81% -> 0.00% (gone)"),
      "text first line: %r" % first)
p = subprocess.run([SWAPDIAG, "diff", "-q", "--format", "markdown"] + SYM +
                   [STORM, NOSWAP], stdout=subprocess.PIPE)
md = p.stdout.decode()
row = [l for l in md.splitlines() if l.startswith("| `swap_dup_fork`")]
b = ch_b = None
check(row and "| %.2f%% | 0.00%% |" % (100 * ch["swap_dup_fork"]["before"]["share"])
      in row[0] and "%d \u2192 0" % dup_b in row[0] and "`forkswap`" in row[0],
      "markdown row: %r" % (row[0] if row else None))

# real services (testdata/services, tests/repro/services): Apache mod_cgi
# before, mod_cgid (the fork share stays, the forks move from 8 prefork
# children to the one cgid daemon) or swapoff (the swap-entry work goes)
# after; checked against NAME.facts.json, which facts.py made from perf
# script
SV = os.path.join(TD, "services")
SVSYM = ["--kallsyms", os.path.join(TD, "kallsyms",
                                    "host-6.18.44-fc-v1045.kallsyms.zst"),
         "--buildid-dir", NOCACHE]
if os.path.isdir(SV):
    def facts(n):
        with open(os.path.join(SV, n + ".facts.json")) as f:
            return json.load(f)
    fc = {n: facts(n) for n in ("apache-cgi", "apache-cgid", "apache-swapoff")}
    for after, verdict in (("apache-cgid", "IMPROVED"),
                           ("apache-swapoff", "MIXED")):
        name = "apache-cgi -> " + after
        rc, d = check_pair(name, os.path.join(SV, "apache-cgi.data"),
                           os.path.join(SV, after + ".data"), verdict,
                           sym=SVSYM)
        ch = {c["id"]: c for c in d["changes"]}
        for side, n in (("before", "apache-cgi"), ("after", after)):
            f = fc[n]
            dup = ch["swap_dup_fork"][side]
            check((dup["samples"] if dup else 0) == f["samples"]["swap_dup"],
                  "%s: %s swap_dup_fork %s samples (facts: %d)" %
                  (name, side, dup["samples"] if dup else 0,
                   f["samples"]["swap_dup"]))
            st = ch["mmap_lock_stall"][side]
            want = f["stalls"]["mmap_lock_stall"]
            check(st is not None and st["stalls"] == want["sleeps"] and
                  abs(st["blocked_ms_total"] - want["blocked_ms"]) < 0.001,
                  "%s: %s mmap_lock_stall %s sleeps, %s ms (facts: %d, %.3f)"
                  % (name, side, st and st["stalls"],
                     st and st["blocked_ms_total"], want["sleeps"],
                     want["blocked_ms"]))
            ap = f["tasks"]["forks_per_exe"]["/usr/sbin/apache2"]
            fk = {x["comm"]: x for x in (dup or {}).get("forkers") or []}
            if dup:
                check(fk.get("apache2", {}).get("forks") == ap["forks"] and
                      fk["apache2"]["pids"] == ap["forking_pids"],
                      "%s: %s apache2 forked %s times from %s pids (facts: "
                      "%d from %d)" % (name, side,
                                       fk.get("apache2", {}).get("forks"),
                                       fk.get("apache2", {}).get("pids"),
                                       ap["forks"], ap["forking_pids"]))
        if after == "apache-cgid":
            c = ch["swap_dup_fork"]
            check(not c["significant"],
                  "%s: the fork share stays (%.4f -> %.4f, margin %.4f)" %
                  (name, c["before"]["share"], c["after"]["share"],
                   c["margin"]))
        else:
            check(ch["swap_dup_fork"]["after"] is None and
                  ch["swap_dup_fork"]["significant"],
                  "%s: the swap-entry work is gone" % name)
        # swapoff: the fork copying becomes a fork_copy finding (warning)
        check(rc == (0 if after == "apache-cgid" else 1),
              "%s: exit %d" % (name, rc))
else:
    print("skip services pairs: no testdata/services")

# the differential flame graph: AFTER's frames, coloured by the change of
# their share since BEFORE; widths and before-counts from perf's folding
def folded_total(name):
    with open(os.path.join(TD, name)) as f:
        return sum(int(l.rsplit(" ", 1)[1]) for l in f)


p = subprocess.run([SWAPDIAG, "diff", "-q", "--svg", "-", "--weight",
                    "samples"] + SYM +
                   [NOSWAP, STORM], stdout=subprocess.PIPE)
svg = p.stdout.decode()
frames = []
for m in re.finditer(r'<g class="([^"]*)" data-s="(\d+)" data-n="(\d+)">'
                     r'<title>(.*?)</title>', svg, re.S):
    t = m.group(4)
    b = re.search(r"\nbefore: ([\d,]+) \S+ \(([\d.]+)%\), change "
                  r"([-+][\d.]+) points", t)
    frames.append({"cls": m.group(1), "n": int(m.group(3)),
                   "name": t.split("\n")[0],
                   "before": int(b.group(1).replace(",", "")) if b else None,
                   "delta": float(b.group(3)) if b else None})
root = [f for f in frames if f["cls"] == "root"]
check(p.returncode == 1 and root and root[0]["n"] == folded_total(
    "swapstorm.folded") and root[0]["before"] == folded_total(
    "storm-noswap.folded"),
      "diff --svg: all = %s samples after, %s before (perf's folding: %d, %d)"
      % (root[0]["n"] if root else "?", root[0]["before"] if root else "?",
         folded_total("swapstorm.folded"), folded_total("storm-noswap.folded")))
dup = [f for f in frames if f["name"] == "swap_duplicate"]
check(dup and sum(f["n"] for f in dup) == dup_b and
      all(f["before"] == 0 and f["cls"].startswith("dg") for f in dup),
      "diff --svg: swap_duplicate %d samples, 0 before, red (perf: %d)" %
      (sum(f["n"] for f in dup), dup_b))
mx = max(abs(f["delta"]) for f in frames if f["delta"] is not None)
bad = [f for f in frames if f["delta"] is not None and f["cls"] != "root" and
       not (f["cls"] == "d0" if abs(f["delta"]) < 0.01 * mx - 0.005 else
            f["cls"].startswith("dg" if f["delta"] > 0 else "ds") or
            (f["cls"] == "d0" and abs(f["delta"]) <= 0.01 * mx + 0.005))]
check(frames and not bad, "diff --svg: %d frames coloured by the sign of "
      "their change (%s)" % (len(frames), bad[:2]))

# usage
p = subprocess.run([SWAPDIAG, "diff", STORM], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
check(p.returncode == 64 and b"BEFORE AFTER" in p.stderr,
      "one input: exit %d" % p.returncode)
p = subprocess.run([SWAPDIAG, "diff", "-q"] + SYM +
                   [STORM, os.path.join(TD, "missing.data")],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
check(p.returncode == 2, "missing AFTER: exit %d" % p.returncode)

shutil.rmtree(NOCACHE, ignore_errors=True)
print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
