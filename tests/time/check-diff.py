#!/usr/bin/env python3
"""swapdiag diff against the two single reports and perf's own folding.

usage: check-diff.py SWAPDIAG ROOT [all|base|spawn]

Pairs: swapstorm.data (256 MiB of the forking parent in swap) before,
storm-noswap.data (the same storm, nothing in swap) after -- the swap
finding disappears; a recording against itself -- UNCHANGED; the pair
reversed -- WORSE, and the regression gate; the real services (Apache
mod_cgi -> mod_cgid, swapoff); the posix_spawn reproducer against its fork
twin (testdata/spawn) both ways -- IMPROVED, and WORSE with the exit codes
of every --fail-on level.  Checked field by field:
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
import perftruth as P  # noqa: E402  (tests/perftruth.py)

SWAPDIAG, ROOT = sys.argv[1], sys.argv[2]
# PART: all (default), spawn (only the posix_spawn pair), base (all but it)
PART = sys.argv[3] if len(sys.argv) > 3 else "all"
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
# ones) between the first and the last sample (perftruth.sample_span: the
# span the rates divide by); the counts perf 6.1.187 gave are used without
# perf
FORK_FACTS = {"swapstorm.data": {"forkswap": 206, "run.sh": 71, "bash": 13},
              "storm-noswap.data": {"forkswap": 163, "run.sh": 79}}
FORK_RE = re.compile(r"^\s*(.+?)\s+(-?\d+)\s+\[\d+\]\s+([\d.]+):\s+"
                     r"PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)")


def perf_forkers(path):
    if not shutil.which("perf"):
        return FORK_FACTS[os.path.basename(path)], "recorded perf fact"
    span = P.sample_span(path)
    out = subprocess.run(["perf", "script", "-f", "--ns", "-i", path,
                          "--show-task-events"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    c = collections.Counter()
    for line in out.splitlines():
        m = FORK_RE.search(line)
        if (m and float(m.group(3)) > 0 and m.group(4) != m.group(6) and
                m.group(4) == m.group(5) and
                P.in_span(P.ns(m.group(3)), span)):
            c[m.group(1)] += 1
    return dict(c), "perf script --show-task-events, between the first " \
        "and the last sample"


# posix_spawn against its fork twin (testdata/spawn, tests/repro/spawn): the
# same storm (256 MiB of the workers' parent in swap, the same rate, the
# same child) once with fork+execve, once with posix_spawn, whose
# clone(CLONE_VM|CLONE_VFORK) neither copies the page tables nor tears a
# copy down at the exec.  Every number of the changes is checked against
# the single reports (check_pair) and against perf: the rules of
# tests/repro/services/facts.py run on the recordings when perf is
# installed (and must give the committed NAME.facts.json), the committed
# files otherwise.
SP = os.path.join(TD, "spawn")
SPSYM = ["--kallsyms", os.path.join(TD, "kallsyms",
                                    "host-6.18.44-fc-v1045.kallsyms.zst"),
         "--symfs", os.path.join(SP, "symfs"), "--buildid-dir", NOCACHE]
LEVELS = ["info", "warning", "critical"]


def spawn_truth():
    import importlib.util
    committed = {}
    for n in ("fork", "spawn"):
        with open(os.path.join(SP, n + ".facts.json")) as f:
            committed[n] = json.load(f)
    if not shutil.which("perf"):
        print("skip perf on testdata/spawn: perf not installed, using "
              "testdata/spawn/*.facts.json (made by perf)")
        return committed
    spec = importlib.util.spec_from_file_location(
        "spawn_facts", os.path.join(ROOT, "tests", "repro", "spawn", "facts.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    live = {}
    for n in ("fork", "spawn"):
        live[n] = json.loads(json.dumps(mod.facts(
            os.path.join(SP, n + ".data"), SPSYM[1])))
        check(live[n] == committed[n],
              "spawn/%s.data: perf now gives the committed facts" % n)
    return live


def check_spawn_side(name, side, c, truth, rep):
    """One side of one change against perf's account of that recording."""
    f = c[side]
    n_on = on_cpu_samples(rep)
    dur = rep["input"]["duration_s"]
    sm, st = truth["samples"], truth["stalls"]
    cpu = {"swap_dup_fork": sm["swap_dup"], "swap_free_exec": sm["swap_free"],
           "fork_copy": sm["fork_copy_noswap"]}
    what = "%s %s %s" % (name, c["id"], side)
    if c["id"] in cpu:
        want = cpu[c["id"]]
        if f is None:
            # no finding: below the documented info threshold
            floor = 0.05 if c["id"] == "fork_copy" else 0.005
            check(want < 3 or want / n_on < floor,
                  "%s: no finding, perf: %d samples of %d" % (what, want, n_on))
            return
        check(f["samples"] == want,
              "%s: %d samples (perf: %d)" % (what, f["samples"], want))
        # period-weighted share against perf's sample count: cpu-clock at
        # 999 Hz has near-equal periods
        check(abs(f["share"] - want / n_on) < 0.02 * want / n_on + 0.0002,
              "%s: share %.4f (perf: %d of %d samples = %.4f)" %
              (what, f["share"], want, n_on, want / n_on))
        forks = {x["comm"]: {"forks": x["forks"], "pids": x["pids"]}
                 for x in f["forkers"]}
        check(f["forks"] == truth["forks"] and forks == truth["forkers"],
              "%s: %d forks, forkers = perf's FORK records (%d)" %
              (what, f["forks"], truth["forks"]))
        check(abs(f["forks_per_s"] - truth["forks"] / dur) < 1e-3 and
              abs(f["ms_per_fork"] - want * 1.001001 / truth["forks"]) <
              0.02 * f["ms_per_fork"] + 1e-6,
              "%s: %.1f forks/s, %.3f ms per fork (%d samples of 1.001 ms / "
              "%d forks)" % (what, f["forks_per_s"], f["ms_per_fork"], want,
                             truth["forks"]))
    else:
        t = st[c["id"]]
        k = f["stalls"] if f else 0
        check(k == t["sleeps"] and (f is None or (
            abs(f["blocked_ms_total"] - t["blocked_ms"]) < 0.001 and
            abs(f["blocked_ms_max"] - t["max_ms"]) < 0.001 and
            abs(f["stalls_per_s"] - k / dur) < 1e-3)),
              "%s: %d stalls, %s ms, longest %s (perf: %d, %.3f, %s)" %
              (what, k, f and f["blocked_ms_total"], f and f["blocked_ms_max"],
               t["sleeps"], t["blocked_ms"], t["max_ms"]))


def fail_on_rc(d, level):
    """The documented gate: 1 if a significant increase whose severity in
    AFTER is at or above LEVEL, else 0."""
    if level == "never":
        return 0
    for c in d["changes"]:
        sev = (c["after"] or {}).get("severity", "none")
        if (c["significant"] and c["direction"] == "more" and
                sev in LEVELS and LEVELS.index(sev) >= LEVELS.index(level)):
            return 1
    return 0


if PART == "base":
    pass
elif os.path.isdir(SP):
    FORK, SPAWN = os.path.join(SP, "fork.data"), os.path.join(SP, "spawn.data")
    truth = spawn_truth()
    for name, b, a, tb, ta, verdict in (
            ("fork -> posix_spawn", FORK, SPAWN, "fork", "spawn", "IMPROVED"),
            ("posix_spawn -> fork", SPAWN, FORK, "spawn", "fork", "WORSE")):
        rc, d = check_pair(name, b, a, verdict, sym=SPSYM)
        for c in d["changes"]:
            for side, t in (("before", tb), ("after", ta)):
                check_spawn_side(name, side, c, truth[t], d[side])
            if c["compared"] == "stalls_per_s" and c["measured"]:
                kb = max((c["before"] or {}).get("stalls", 0), 1)
                ka = max((c["after"] or {}).get("stalls", 0), 1)
                Tb = d["before"]["input"]["duration_s"]
                Ta = d["after"]["input"]["duration_s"]
                rb = (c["before"] or {}).get("stalls", 0) / Tb
                ra = (c["after"] or {}).get("stalls", 0) / Ta
                m = 3 * math.sqrt(kb / Tb ** 2 + ka / Ta ** 2)
                check(abs(c["delta_stalls_per_s"] - (ra - rb)) < 1e-3 and
                      abs(c["margin"] - m) < 1e-3 and
                      c["significant"] == (abs(ra - rb) > m),
                      "%s %s: %.2f/s -> %.2f/s, margin %.2f/s (recomputed: "
                      "%.2f)" % (name, c["id"], rb, ra, c["margin"], m))
        ch = {c["id"]: c for c in d["changes"]}
        fk, sp = truth["fork"]["samples"], truth["spawn"]["samples"]
        nf = on_cpu_samples(d["before" if tb == "fork" else "after"])
        ns_ = on_cpu_samples(d["after" if tb == "fork" else "before"])
        # perf's own account: the fork side copies page tables and swap
        # entries, the spawn side (almost) none -- beyond the noise margin
        for key in ("fork_copy", "swap_dup"):
            pf, ps = fk[key] / nf, sp[key] / ns_
            m = 3 * math.sqrt(var_share(pf, nf) + var_share(ps, ns_))
            check(pf - ps > m, "%s: perf: samples under %s %d of %d (fork) "
                  "-> %d of %d (posix_spawn), down beyond the margin %.4f" %
                  (name, key, fk[key], nf, sp[key], ns_, m))
        # posix_spawn did not fall back to a copying fork: no forkswap sample
        # under a page-table copy frame (the few left are other shells')
        check(truth["fork"]["fork_copy_by_comm"].get("forkswap", 0) > 0 and
              truth["spawn"]["fork_copy_by_comm"].get("forkswap", 0) == 0,
              "%s: perf: forkswap samples under a fork page-table copy frame "
              "%d (fork) -> %d (posix_spawn)" % (
                  name, truth["fork"]["fork_copy_by_comm"].get("forkswap", 0),
                  truth["spawn"]["fork_copy_by_comm"].get("forkswap", 0)))
        dup = ch["swap_dup_fork"]
        fside = "before" if tb == "fork" else "after"
        check(dup["significant"] and dup[fside] is not None and
              dup[fside]["severity"] in LEVELS and
              (dup["after" if fside == "before" else "before"] or
               {"samples": 0})["samples"] == sp["swap_dup"],
              "%s: swap_dup_fork significant, only on the fork side" % name)
        check((dup["disappeared"] if fside == "before" else dup["appeared"])
              == ["forkswap"], "%s: forkswap %s swap_dup_fork" %
              (name, "disappeared from" if fside == "before" else
               "appeared in"))
        # warning, the default, is check_pair's rc; IMPROVED at info, the
        # strictest level, is enough for the forward pair
        for lvl in (["info", "critical", "never"] if verdict == "WORSE"
                    else ["info"]):
            r, _ = diff(b, a, "--fail-on", lvl, sym=SPSYM)
            want = fail_on_rc(d, lvl)
            check(r == want, "%s: exit %d with --fail-on %s (%d)" %
                  (name, r, lvl, want))
        check(rc == fail_on_rc(d, "warning") == (1 if verdict == "WORSE"
                                                 else 0),
              "%s: exit %d by default (--fail-on warning)" % (name, rc))
        # text and markdown: the outcome line names the significant changes
        want = verdict
        sig = [c for c in d["changes"] if c["significant"]]
        for i, c in enumerate(sig):
            unit = (lambda v: "%.2f/s" % v) if c["compared"] == \
                "stalls_per_s" else (lambda v: "%.2f%%" % (100 * v))
            key = "stalls_per_s" if c["compared"] == "stalls_per_s" else \
                "share"
            vb = c["before"][key] if c["before"] else 0.0
            va = c["after"][key] if c["after"] else 0.0
            word = ("new" if c["before"] is None else "gone" if
                    c["after"] is None else
                    {"less": "less", "more": "more"}[c["direction"]])
            want += "%s %s %s -> %s (%s)" % (":" if i == 0 else ";", c["id"],
                                            unit(vb), unit(va), word)
        p = subprocess.run([SWAPDIAG, "diff", "-q"] + SPSYM + [b, a],
                           stdout=subprocess.PIPE)
        first = p.stdout.decode().splitlines()[0]
        check(first == want, "%s: text first line %r (from the JSON: %r)" %
              (name, first, want))
        if verdict == "WORSE":
            continue    # the markdown of the forward pair only
        p = subprocess.run([SWAPDIAG, "diff", "-q", "--format", "markdown"] +
                           SPSYM + [b, a], stdout=subprocess.PIPE)
        md = p.stdout.decode().splitlines()
        check(md and md[0] == "### swapdiag diff: " + want,
              "%s: markdown heading %r" % (name, md[0] if md else None))
        row = [l for l in md if l.startswith("| `swap_dup_fork`")]
        db, da = (dup["before"] or {"samples": 0}), (dup["after"] or
                                                   {"samples": 0})
        check(row and "| %d \u2192 %d |" % (db["samples"], da["samples"]) in
              row[0], "%s: markdown swap_dup_fork row %r" %
              (name, row[0] if row else None))
    # --time: the forks inside the window and between its first and last
    # sample, per second of that span -- perf's FORK records and sample
    # times (perf script -F time) against a window of fork.data
    if shutil.which("perf"):
        win = (11481000000000, 11481800000000)
        out = subprocess.run(["perf", "script", "-f", "--ns", "-F", "time",
                              "-i", FORK], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
        ts = [P.ns(x.rstrip(":")) for x in out.split() if x.endswith(":")]
        ts = [t for t in ts if win[0] <= t <= win[1]]
        span = (min(ts), max(ts))
        out = subprocess.run(["perf", "script", "-f", "--ns", "-i", FORK,
                              "--show-task-events"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
        n = 0
        for line in out.splitlines():
            m = FORK_RE.search(line)
            n += bool(m and float(m.group(3)) > 0 and
                      m.group(4) != m.group(6) and m.group(4) == m.group(5)
                      and P.in_span(P.ns(m.group(3)), span))
        rc, d = diff(FORK, FORK, "--time", "11481.0,11481.8", sym=SPSYM)
        c = next(c for c in d["changes"] if c["id"] == "swap_dup_fork")
        rate = n / ((span[1] - span[0]) / 1e9)
        check(c["before"]["forks"] == n and
              abs(c["before"]["forks_per_s"] - rate) < 1e-3,
              "fork.data --time 11481.0,11481.8: %d forks, %.3f/s (perf: %d "
              "FORK records between the window's first and last sample, "
              "%.3f/s)" % (c["before"]["forks"], c["before"]["forks_per_s"],
                           n, rate))
else:
    print("skip posix_spawn pair: no testdata/spawn")
if PART == "spawn":
    shutil.rmtree(NOCACHE, ignore_errors=True)
    print("%d failure(s)" % failures)
    sys.exit(1 if failures else 0)


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
