#!/usr/bin/env python3
"""swapdiag on text inputs, checked against facts that do not come from it.

usage: check-text.py SWAPDIAG TESTDATA CASE

  seed            the seed incident's perf report (testdata/text/seed-report.txt):
                  the findings carry the report's own percentages
  seed-ticket     the whole seed ticket (../shared/seed), prose and all, if present
  report-layouts  perf 6.1's reports of testdata/synthetic/rhel6-seed.data
                  (callee, caller, fractal): the generator's sample counts,
                  as perf rounds them
  script          perf script of testdata/swapstorm.data: folds to perf's own
                  testdata/swapstorm.folded, pattern counts and stalls as perf
                  and the binary file give them
  script-default  the same recording in perf script's default format
  script-services perf script of testdata/services/apache-cgi.data, with
                  lock:contention events: stall findings, lock objects and
                  holders as the binary file gives them
  script-task-events
                  perf script --show-task-events of testdata/spawn/fork.data
                  (made by perf): records are not samples; forks, forkers
                  and rates as perf's FORK records and the binary file give
  folded          folded stacks: perf's, and swapdiag --folded's round trip
  stdin           text on standard input, a file and a pipe
  corpus          FlameGraph's perf script files (../shared/corpus), if present
  errors          text swapdiag refuses, with exit status 2 and why

Expected numbers come from testdata/text/README.md, testdata/README.md,
the perf-made folded files and testdata/swapstorm.stalls.txt; every JSON
report is validated against man/swapdiag-report.schema.json.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the detectors' rule and perf's facts, written out apart from swapdiag
from perftruth import folded_counts  # noqa: E402
from perftruth import stall_facts as stalls_txt_facts  # noqa: E402
import schemacheck  # noqa: E402  (tests/schemacheck.py)

SWAPDIAG, TD, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = os.path.dirname(os.path.abspath(TD))
TEXT = os.path.join(TD, "text")
KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
BINARY = ["--buildid-dir", "/nonexistent-buildid-cache", "--kallsyms", KSYMS,
          "--symfs", os.path.join(TD, "symfs")]

failures = []


checks_made = []


def check(cond, what):
    checks_made.append(what)
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def skip(why):
    print("skipped: " + why)
    sys.exit(77)


def run(*args, stdin=None, inp=None):
    p = subprocess.run([SWAPDIAG, "--no-progress", *args], capture_output=True,
                       stdin=stdin, input=inp, timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def report(*args, **kw):
    rc, out, err = run("--json", "-", *args, **kw)
    try:
        doc = json.loads(out)
    except ValueError:
        check(False, "JSON on stdout (exit %d): %s" % (rc, err.strip()))
        sys.exit(1)
    validate(doc)
    return rc, doc, err


def validate(doc):
    errs = schemacheck.report_errors(doc)
    check(not errs, "JSON report matches the schema%s" %
          (": " + errs[0] if errs else ""))


def finding(doc, fid):
    return next((f for f in doc.get("findings", []) if f["id"] == fid), None)


def proc_share(f, comm):
    return next((p["share"] for p in f["processes"] if p["comm"] == comm), None)


def close(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol


def stall_facts():
    """mmap_lock / exec lock / other rwsem sleeps from perf script
    (swapstorm.stalls.txt)."""
    return stalls_txt_facts(os.path.join(TD, "swapstorm.stalls.txt"))


def unzstd(name, tmp):
    if not shutil.which("zstd"):
        skip("zstd is not installed (testdata/text/%s is compressed)" % name)
    out = os.path.join(tmp, name[:-4])
    with open(out, "wb") as f:
        subprocess.run(["zstd", "-qdc", os.path.join(TEXT, name)], stdout=f,
                       check=True)
    return out


# ---- the seed's perf report ----------------------------------------------

def case_seed():
    """Shares from the seed report's own percentages (testdata/text/README.md).

    The tree is caller first and fractal: each branch is a share of its
    parent.  swap_dup_fork is every sample below copy_pte_range ->
    swap_duplicate (also the 0.16 % '[...]' under it: those chains still went
    through swap_duplicate); swap_free_exec is every sample below unmap_vmas
    -> free_swap_and_cache.

      httpd 29.39 % x run_cgi_child 97.52 % x apr_proc_create 100.00 %
        x copy_process 100.00 % x dup_mm 100.00 % x copy_page_range 99.99 %
        x copy_pte_range 100.00 % x swap_duplicate 99.95 %
        = 28.6439 %   (first order, 29.39 % x 97.52 % = 28.66 %)
      httpd 29.39 % x __execve 2.39 % x free_swap_and_cache 99.95 %
        = 0.7021 %
      foo.cgi 24.76 % x flush_old_exec 99.67 % x unmap_vmas 99.98 %
        x free_swap_and_cache 99.95 % = 24.6610 %
      swap_free_exec = 0.7021 % + 24.6610 % = 25.3631 %
        (first order, 29.39 % x 2.39 % + 24.76 % = 25.46 %)

    The report lists 29.39 % + 24.76 % = 54.15 % of the samples; the rest
    is unlisted, so shares stay of all samples.  Weights are millionths:
    every stack is rounded to 1e-6, a few stacks per finding.
    """
    dup = 0.2939 * 0.9752 * 1.0 * 1.0 * 1.0 * 0.9999 * 1.0 * 0.9995
    free_httpd = 0.2939 * 0.0239 * 0.9995
    free_cgi = 0.2476 * 0.9967 * 0.9998 * 0.9995
    tol = 5e-6
    rc, doc, err = report(os.path.join(TEXT, "seed-report.txt"))
    check(rc == 1, "exit status 1 (critical findings), got %d" % rc)
    check(doc["input"]["mode"] == "perf-report", "input.mode perf-report")
    check(doc["input"]["byte_order"] is None, "no byte order for text")
    f = finding(doc, "swap_dup_fork")
    check(f is not None and f["severity"] == "critical",
          "swap_dup_fork critical")
    if f:
        check(close(f["share"], dup, tol),
              "swap_dup_fork share %.6f (the report's: %.6f)" % (f["share"], dup))
        check(close(proc_share(f, "httpd"), dup, tol), "all of it httpd")
        check(f["processes"][0]["pids"] == [] and f["processes"][0]["nr_pids"] == 0,
              "no pids from a report")
        check(f["paths"][0]["frames"] ==
              ["stub_clone", "sys_clone", "do_fork", "copy_process", "dup_mm",
               "copy_page_range", "copy_pte_range", "swap_duplicate",
               "__swap_duplicate", "_spin_lock"],
              "hot path: the seed's fork chain from stub_clone down")
    f = finding(doc, "swap_free_exec")
    check(f is not None and f["severity"] == "critical",
          "swap_free_exec critical")
    if f:
        check(close(f["share"], free_httpd + free_cgi, tol),
              "swap_free_exec share %.6f (the report's: %.6f)" %
              (f["share"], free_httpd + free_cgi))
        check(close(proc_share(f, "foo.cgi"), free_cgi, tol),
              "foo.cgi %.6f (the report's: %.6f)" %
              (proc_share(f, "foo.cgi") or -1, free_cgi))
        check(close(proc_share(f, "httpd"), free_httpd, tol),
              "httpd %.6f (the report's: %.6f)" %
              (proc_share(f, "httpd") or -1, free_httpd))
        check(f["paths"][0]["frames"][0] == "stub_execve" and
              f["paths"][0]["frames"][-3:] ==
              ["free_swap_and_cache", "swap_info_get", "_spin_lock"],
              "hot path: stub_execve ... free_swap_and_cache > swap_info_get")
    check(doc["verdict"] == "CRITICAL: fork/exec swap-entry work takes "
          "%.1f%% of CPU" % ((dup + free_httpd + free_cgi) * 100),
          "verdict: %s" % doc["verdict"])
    notes = " ".join(w["message"] for w in doc["warnings"]
                     if w["severity"] == "note")
    check("no per-process pids" in notes and "no timeline" in notes and
          "rounded" in notes, "a note says what a report cannot tell")
    check("54.15%" in notes, "a note says the report lists 54.15 %")
    check(any("sched_switch" in n for n in doc["notes"]),
          "stalls cannot be judged")


def case_report_layouts():
    """testdata/synthetic/rhel6-seed.data has 10821 samples: httpd fork
    path 3101, httpd exec path 76, foo.cgi 2679 (testdata/README.md).
    perf prints each as a percentage rounded to 0.01; fractal prints the
    branches as shares of httpd's 3180 (29.39 %)."""
    n = 10821.0
    r2 = lambda x: round(x * 100, 2) / 100   # as perf prints it
    cases = {
        "callee": (r2(3101 / n), r2(76 / n) + r2(2679 / n)),
        "caller": (r2(3101 / n), r2(76 / n) + r2(2679 / n)),
        "fractal": (r2(3180 / n) * r2(3101 / 3180.0),
                    r2(3180 / n) * r2(76 / 3180.0) + r2(2679 / n)),
    }
    for name, (dup, free) in cases.items():
        rc, doc, err = report(os.path.join(TEXT, "rhel6-seed.report-%s.txt" % name))
        fd, ff = finding(doc, "swap_dup_fork"), finding(doc, "swap_free_exec")
        check(fd is not None and close(fd["share"], dup, 2e-6),
              "%s: swap_dup_fork %.6f (perf's: %.6f)" %
              (name, fd["share"] if fd else -1, dup))
        check(ff is not None and close(ff["share"], free, 2e-6),
              "%s: swap_free_exec %.6f (perf's: %.6f)" %
              (name, ff["share"] if ff else -1, free))
        if fd:
            check(fd["paths"][0]["frames"][0] == "stub_clone" and
                  fd["paths"][0]["frames"][-1] == "_spin_lock",
                  "%s: hot path from stub_clone to _spin_lock" % name)
        check(doc["input"]["events"][0]["name"] == "cycles",
              "%s: the event from '# Samples: ... of event'" % name)
    rc, doc, err = report(os.path.join(TEXT, "rhel6-seed.report-callee.txt"))
    check(doc["input"]["hostname"] == "www01.example.co.jp" and
          doc["input"]["os_release"] == "2.6.32-642.el6.x86_64",
          "--header lines give host and kernel")
    check(doc["kernel_era"] == "<= 2.6.32 (RHEL 6)",
          "kernel era from the header: %s" % doc["kernel_era"])
    check(any(r["id"] == "kernel_3_9" for r in doc["remedies"]),
          "remedies for RHEL 6")


def case_seed_ticket():
    """The whole seed ticket (../shared/seed, Markdown and Japanese prose
    around the report) gives the excerpt's findings: the lines that are not
    the report are skipped with their line numbers."""
    seed = os.path.join(ROOT, "..", "shared", "seed")
    if not os.path.isdir(seed):
        skip("../shared/seed is absent")
    rc, want, err = report(os.path.join(TEXT, "seed-report.txt"))
    for name in sorted(os.listdir(seed)):
        rc, doc, err = report(os.path.join(seed, name))
        got = [(f["id"], f["samples"], f["share"]) for f in doc["findings"]]
        check(rc == 1 and got == [(f["id"], f["samples"], f["share"])
                                   for f in want["findings"]],
              "%s: the excerpt's findings %s" % (name, got))
        check("line 3: neither a perf report entry" in err,
              "%s: prose lines are skipped with their line numbers" % name)


# ---- perf script --------------------------------------------------------

def binary_doc():
    rc, doc, err = report(*BINARY, os.path.join(TD, "swapstorm.data"))
    return doc


def compare_script(doc, bin_doc, label, exact_durations):
    dup, free, total = folded_counts(os.path.join(TD, "swapstorm.folded"))
    ev = {e["name"]: e["samples"] for e in doc["input"]["events"]}
    check(ev.get("cpu-clock/freq=999/") == total,
          "%s: %s cpu-clock samples (perf's folded file: %d)" %
          (label, ev.get("cpu-clock/freq=999/"), total))
    check(ev.get("sched:sched_switch") == 1864,
          "%s: 1864 sched_switch samples (perf report --stats)" % label)
    for fid, want in (("swap_dup_fork", dup), ("swap_free_exec", free)):
        f, b = finding(doc, fid), finding(bin_doc, fid)
        check(f is not None and f["samples"] == want,
              "%s: %s samples %s (perf's folded output: %d)" %
              (label, fid, f["samples"] if f else None, want))
        check(f is not None and b is not None and f["samples"] == b["samples"]
              and close(f["share"], b["share"], 1e-9)
              and f["paths"] == b["paths"],
              "%s: %s as the binary file gives it" % (label, fid))
    facts = stall_facts()
    tol = 0.01 if exact_durations else 0.001 * 20
    for fid in ("mmap_lock_stall", "exec_lock_stall", "other_dstate"):
        f, want = finding(doc, fid), facts[fid]
        done = [x for x in want if x is not None]
        check((f["stalls"] if f else 0) == len(want),
              "%s: %s %s sleeps (perf script: %d)" %
              (label, fid, f["stalls"] if f else None, len(want)))
        if not f or not want:
            continue
        check(f["stalls_without_wakeup"] == len(want) - len(done),
              "%s: %s %d without a switch-in (perf script: %d)" %
              (label, fid, f["stalls_without_wakeup"], len(want) - len(done)))
        check(close(f["blocked_ms_total"], sum(done), tol) and
              close(f["blocked_ms_max"], max(done), tol),
              "%s: %s blocked %.4f ms, longest %.4f (perf script: %.4f, %.4f)"
              % (label, fid, f["blocked_ms_total"], f["blocked_ms_max"],
                 sum(done), max(done)))
    m = finding(doc, "mmap_lock_stall")
    check(m is not None and "forkswap" in {h["comm"] for h in m["lock_holders"]},
          "%s: the forking reproducer holds the lock" % label)
    check(doc["verdict"] == bin_doc["verdict"],
          "%s: the binary file's verdict: %s" % (label, doc["verdict"]))
    check(doc["input"]["mode"] == "perf-script", "%s: input.mode" % label)


def case_script():
    with tempfile.TemporaryDirectory() as tmp:
        script = unzstd("swapstorm.script.zst", tmp)
        rc, out, err = run("--folded", "-", script)
        got = "".join(sorted(out.splitlines(keepends=True)))
        with open(os.path.join(TD, "swapstorm.folded")) as f:
            want = f.read()
        check(rc == 0 and got == want,
              "--folded equals perf's testdata/swapstorm.folded, stack for stack")
        rc, doc, err = report(script)
        check(rc == 1, "exit status 1, got %d" % rc)
        compare_script(doc, binary_doc(), "perf script -F ... --ns", True)


def case_script_default():
    with tempfile.TemporaryDirectory() as tmp:
        script = unzstd("swapstorm.default.script.zst", tmp)
        rc, doc, err = report(script)
        # µs times: each of at most 20 sleeps may be off by 1 µs
        compare_script(doc, binary_doc(), "perf script (default)", False)
        rc, out, err = run(script)
        check(out.split("\n")[2].startswith(script + ": perf script text, "),
              "the text report names the input kind: %r" % out.split("\n")[2])


# ---- folded --------------------------------------------------------------

def case_folded():
    dup, free, total = folded_counts(os.path.join(TD, "swapstorm.folded"))
    rc, doc, err = report(os.path.join(TD, "swapstorm.folded"))
    check(doc["input"]["mode"] == "folded", "input.mode folded")
    check(doc["input"]["events"][0]["samples"] == total,
          "%d samples (the folded file's)" % total)
    for fid, want in (("swap_dup_fork", dup), ("swap_free_exec", free)):
        f = finding(doc, fid)
        check(f is not None and f["samples"] == want,
              "perf's folded file: %s %s (its stacks: %d)" %
              (fid, f["samples"] if f else None, want))
    # the round trip: swapdiag --folded, read back
    bin_doc = binary_doc()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "swapstorm.folded")
        # folded text is read as counts: write counts
        rc, o, err = run(*BINARY, "--folded", out, "--weight", "samples",
                         os.path.join(TD, "swapstorm.data"))
        check(rc == 0, "swapdiag --folded wrote it")
        rc, doc, err = report(out)
    keep = ("id", "severity", "samples", "share", "paths", "context")
    for b in bin_doc["findings"]:
        if b["id"] not in ("swap_dup_fork", "swap_free_exec"):
            continue
        f = finding(doc, b["id"])
        check(f is not None and all(f[k] == b[k] for k in keep) and
              [(p["comm"], p["samples"], p["share"]) for p in f["processes"]] ==
              [(p["comm"], p["samples"], p["share"]) for p in b["processes"]],
              "round trip: %s as from the binary file (but for pids)" % b["id"])
    check(finding(doc, "mmap_lock_stall") is None and
          any("sched_switch" in n for n in doc["notes"]),
          "round trip: stalls cannot be judged from folded stacks")


# ---- standard input ------------------------------------------------------

def case_stdin():
    path = os.path.join(TEXT, "seed-report.txt")
    rc, want, err = report(path)
    for how in ("file", "pipe"):
        if how == "file":
            with open(path, "rb") as f:
                rc, got, err = report("-", stdin=f)
        else:
            p = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
            rc, got, err = report("-", stdin=p.stdout)
            p.wait()
        check(rc == 1 and got["findings"] == want["findings"],
              "perf report text on standard input (%s): the same findings" % how)
    # perf.data on a pipe still goes to the reader
    with open(os.path.join(TD, "swapstorm-pipe.data"), "rb") as f:
        data = f.read()
    rc, doc, err = report(*BINARY, "-", inp=data)
    check(rc == 1 and doc["input"]["mode"] == "pipe",
          "pipe-mode perf.data on standard input: mode pipe, exit 1")


# ---- FlameGraph's perf script files ---------------------------------------

def case_corpus():
    fg = os.path.join(ROOT, "..", "shared", "corpus", "FlameGraph")
    if not os.path.isdir(fg):
        skip("../shared/corpus/FlameGraph is absent")
    names = sorted(n for n in os.listdir(os.path.join(fg, "test"))
                   if n.startswith("perf-") and n.endswith(".txt"))
    with tempfile.TemporaryDirectory() as tmp:
        files = [os.path.join(fg, "test", n) for n in names]
        ex = os.path.join(tmp, "example-perf-stacks.txt")
        with gzip.open(os.path.join(fg, "example-perf-stacks.txt.gz")) as z, \
                open(ex, "wb") as f:
            f.write(z.read())
        files.append(ex)
        for path in files:
            # a sample header (a call chain follows) ends in "event:"
            with open(path, errors="replace") as f:
                headers = sum(1 for l in f if l[:1] not in ("", "#", " ", "\t", "\n")
                              and l.rstrip().endswith(":"))
            rc, doc, err = report(path)
            got = sum(e["samples"] for e in doc["input"]["events"])
            check(rc in (0, 1) and doc["input"]["mode"] == "perf-script" and
                  got == headers,
                  "%s: %d samples (sample headers in it: %d)" %
                  (os.path.basename(path), got, headers))


# ---- refused -------------------------------------------------------------

def case_errors():
    with tempfile.TemporaryDirectory() as tmp:
        ch = os.path.join(tmp, "children.txt")
        with open(ch, "w") as f:
            f.write("# Children      Self  Command  Shared Object  Symbol\n"
                    "# ........  ........  .......  .............  ......\n"
                    "    90.00%     0.00%  a        a              [.] main\n")
        rc, out, err = run(ch)
        check(rc == 2 and "--no-children" in err,
              "perf report --children: exit 2, says --no-children")
        rc, out, err = run("--json", "-", os.path.join(TD, "README.md"))
        check(rc == 2 and "perf.data" in json.loads(out)["error"]["message"],
              "a README is no input: exit 2")
        rc, out, err = run("--format", "html", os.path.join(TEXT, "seed-report.txt"))
        check(rc == 64 and "--format" in err, "--format html: exit 64")


def case_script_services():
    """perf script of a real-service recording with lock:contention events:
    the same stall findings as the binary file - sleeps grouped by the same
    lock addresses, the same holders - and as many lock objects as perf's
    own records show (testdata/services/apache-cgi.facts.json)."""
    ks = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v1045.kallsyms.zst")
    with open(os.path.join(TD, "services", "apache-cgi.facts.json")) as f:
        facts = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        script = unzstd("apache-cgi.script.zst", tmp)
        rc, doc, err = report(script)
    rc, bdoc, err = report("--buildid-dir", "/nonexistent-buildid-cache",
                           "--kallsyms", ks,
                           os.path.join(TD, "services", "apache-cgi.data"))
    for fid in ("mmap_lock_stall", "exec_lock_stall"):
        f, b = finding(doc, fid), finding(bdoc, fid)
        check(f is not None and b is not None, fid + " in both")
        if not f or not b:
            continue
        for key in ("stalls", "stalls_without_wakeup", "victims",
                    "lock_holders", "locks"):
            check(f[key] == b[key], "%s: %s as the binary file gives it" %
                  (fid, key))
        want = facts["stalls"][fid]["lock_objects"]
        check(f["locks"] and f["locks"]["objects"] == want,
              "%s: %s lock objects (perf's contention addresses: %d)" %
              (fid, f["locks"] and f["locks"]["objects"], want))


def case_script_task_events():
    """perf script --show-task-events of testdata/spawn/fork.data (made
    here by perf; skipped without it): the side-band lines are records,
    not samples -- the events, their samples and the duration are the
    binary file's -- and the FORK lines give the forks between the first
    and the last sample, by forking comm, as perf's own FORK records do
    (tests/repro/spawn/facts.py's rule: a parent perf had no comm for is
    ":PTID"), and as the binary file gives them."""
    if not shutil.which("perf"):
        skip("perf is not installed (it makes the text)")
    sys.path.insert(0, os.path.join(ROOT, "tests", "repro", "spawn"))
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "spawn_facts", os.path.join(ROOT, "tests", "repro", "spawn", "facts.py"))
    facts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(facts)
    from perftruth import kallsyms_for_perf, sample_span
    data = os.path.join(TD, "spawn", "fork.data")
    ks = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v1045.kallsyms.zst")
    span = sample_span(data)
    truth, in_file, _ = facts.forkers(data, span)
    with tempfile.TemporaryDirectory() as tmp:
        kp = kallsyms_for_perf(ks, os.path.join(tmp, "kallsyms"))
        script = os.path.join(tmp, "fork.script")
        with open(script, "w") as f:
            subprocess.run(["perf", "--buildid-dir", tmp, "script", "-f",
                            "--ns", "-i", data, "--kallsyms", kp,
                            "--show-task-events"], stdout=f,
                           stderr=subprocess.DEVNULL, check=True)
        with open(script) as f:
            nrec = sum("PERF_RECORD_" in l for l in f)
        rc, doc, err = report(script)
        p = subprocess.run([SWAPDIAG, "diff", "-q", "--json", "-",
                            "--buildid-dir", "/nonexistent-buildid-cache",
                            "--kallsyms", ks, data, script],
                           capture_output=True, timeout=300)
        d = json.loads(p.stdout.decode())
    bdoc = d["before"]
    check(nrec > 800, "the text has %d side-band lines" % nrec)
    check(doc["input"]["mode"] == "perf-script", "input.mode perf-script")
    # the binary file's events with samples (its dummy event has none)
    ev = {e["name"]: e["samples"] for e in doc["input"]["events"]}
    bev = {e["name"]: e["samples"] for e in bdoc["input"]["events"]
           if e["samples"]}
    check(ev == bev, "events and samples as the binary file gives them: "
          "%s (binary: %s)" % (ev, bev))
    check(close(doc["input"]["duration_s"], (span[1] - span[0]) / 1e9, 1e-5),
          "duration %s s (perf: first to last sample %.6f s)" %
          (doc["input"]["duration_s"], (span[1] - span[0]) / 1e9))
    bad = [w["message"] for w in doc["warnings"] if "line " in w["message"]]
    check(not bad, "no line is a bad one: %s" % bad[:2])
    c = next(c for c in d["changes"] if c["id"] == "swap_dup_fork")
    n = sum(v["forks"] for v in truth.values())
    for side in ("before", "after"):
        x = c[side]
        got = {k["comm"]: {"forks": k["forks"], "pids": k["pids"]}
               for k in x["forkers"]}
        check(x["forks"] == n and got == truth,
              "%s (%s): %d forks between the first and the last sample, "
              "forkers = perf's (%d of the file's %d)" %
              (side, "binary" if side == "before" else "text", x["forks"], n,
               in_file))
        check(close(x["forks_per_s"], n / ((span[1] - span[0]) / 1e9), 1e-3),
              "%s: %.3f forks/s (perf: %.3f)" %
              (side, x["forks_per_s"], n / ((span[1] - span[0]) / 1e9)))
    check(c["before"]["ms_per_fork"] == c["after"]["ms_per_fork"],
          "ms per fork as the binary file gives it")


CASES = {
    "script-task-events": case_script_task_events,
    "script-services": case_script_services,
    "seed": case_seed, "seed-ticket": case_seed_ticket,
    "report-layouts": case_report_layouts,
    "script": case_script, "script-default": case_script_default,
    "folded": case_folded, "stdin": case_stdin, "corpus": case_corpus,
    "errors": case_errors,
}
CASES[CASE]()
if not checks_made:
    failures.append("case %s made no checks" % CASE)
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
