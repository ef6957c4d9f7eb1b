#!/usr/bin/env python3
"""The diagnosis on real recordings, checked against facts perf itself gives.

usage: check-diagnosis.py SWAPDIAG TESTDATA CASE

Expected numbers are never taken from swapdiag: on-CPU pattern counts are
recomputed from the perf-made folded files (testdata/*.folded, made by
perf script | stackcollapse-perf.pl) with the matching rule written out
again here, and stall counts and blocked times come from
testdata/swapstorm.stalls.txt (made from perf script's sched_switch
records by tests/repro/stalls.py).  Every JSON report is validated against
man/swapdiag-report.schema.json.
"""
import json
import math
import os
import subprocess
import sys

SWAPDIAG, TD, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = os.path.dirname(os.path.abspath(TD))
KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
COMMON = ["--no-progress", "--buildid-dir", "/nonexistent-buildid-cache",
          "--kallsyms", KSYMS, "--symfs", os.path.join(TD, "symfs")]

FORK_COPY = {"dup_mm", "dup_mmap", "copy_page_range", "copy_p4d_range",
             "copy_pud_range", "copy_pmd_range", "copy_pte_range",
             "copy_one_pte", "copy_nonpresent_pte"}
SWAP_DUP = {"swap_duplicate", "__swap_duplicate", "swap_duplicate_nr",
            "swap_dup_entry_direct"}
TEARDOWN = {"exit_mmap", "unmap_vmas", "unmap_single_vma", "unmap_page_range",
            "zap_p4d_range", "zap_pud_range", "zap_pmd_range", "zap_pte_range",
            "zap_nonpresent_ptes"}
SWAP_FREE = {"free_swap_and_cache", "free_swap_and_cache_nr", "swap_info_get",
             "_swap_info_get", "swap_entry_free", "__swap_entry_free",
             "__swap_entry_free_locked", "__swap_entries_free",
             "swap_entries_put_map", "swap_entries_put_map_nr",
             "swap_pte_batch", "free_swap_slot", "swapcache_free_entries",
             "swap_put_entries_direct"}

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args, stdin=None):
    p = subprocess.run([SWAPDIAG, *COMMON, *args], capture_output=True,
                       stdin=stdin, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def validate(doc):
    try:
        import jsonschema
    except ImportError:
        print("skipped: python3-jsonschema is not installed")
        sys.exit(77)
    with open(os.path.join(ROOT, "man", "swapdiag-report.schema.json")) as f:
        schema = json.load(f)
    try:
        jsonschema.validate(doc, schema)
        check(True, "JSON report matches the schema")
    except jsonschema.ValidationError as e:
        check(False, "JSON report matches the schema: %s at %s" %
              (e.message, list(e.absolute_path)))


def folded_counts(name):
    """Samples per pattern in perf's own folded output."""
    dup = free = 0
    with open(os.path.join(TD, name)) as f:
        for line in f:
            stack, n = line.rsplit(" ", 1)
            frames = stack.split(";")[1:]
            seen_f = seen_t = False
            is_dup = is_free = False
            for fr in frames:
                if fr in FORK_COPY:
                    seen_f = True
                elif seen_f and fr in SWAP_DUP:
                    is_dup = True
                if fr in TEARDOWN:
                    seen_t = True
                elif seen_t and fr in SWAP_FREE:
                    is_free = True
            dup += int(n) if is_dup else 0
            free += int(n) if is_free else 0
    return dup, free


def finding(doc, fid):
    for f in doc["findings"]:
        if f["id"] == fid:
            return f
    return None



# The reader frame nearest the rwsem read slow path names the lock
# (KERNEL.md, "Other D-state readers"; src/detect/tables.c per era).
MM_READERS = {"__access_remote_vm", "access_remote_vm", "access_process_vm",
              "proc_pid_cmdline", "proc_pid_cmdline_read", "get_mm_cmdline",
              "get_cmdline", "environ_read", "mem_rw", "m_start",
              "proc_get_vma", "show_smaps_rollup", "pagemap_read",
              "proc_map_files_readdir", "proc_map_files_lookup"}
EXEC_READERS = {"mm_access", "do_task_stat", "proc_pid_wchan",
                "proc_ns_get_link", "proc_ns_readlink", "lock_trace",
                "do_io_accounting"}


def stall_kind(frames):
    """frames root first, down to the slow path."""
    reader = None
    for fr in frames:
        if fr in EXEC_READERS:
            reader = "exec_lock_stall"
        elif fr in MM_READERS:
            reader = "mmap_lock_stall"
        if fr == "rwsem_down_read_slowpath":
            return reader or "other_dstate"
    return None


def stall_facts():
    """mmap_lock / exec lock / other rwsem sleeps from perf script, via
    stalls.txt."""
    facts = {"mmap_lock_stall": [], "other_dstate": [], "exec_lock_stall": []}
    with open(os.path.join(TD, "swapstorm.stalls.txt")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            comm, pidtid, cpu, t_out, t_in, us, rwsem, path = cols[:8]
            if rwsem != "yes":
                continue
            kind = stall_kind(path.split(";"))
            facts[kind].append(None if us == "-" else float(us) / 1000.0)
    return facts


def case_swapstorm():
    rc, out, err = run("--json", "-", os.path.join(TD, "swapstorm.data"))
    check(rc == 1, "exit status 1 (findings at warning or above), got %d" % rc)
    doc = json.loads(out)
    validate(doc)
    dup, free = folded_counts("swapstorm.folded")
    for fid, want in (("swap_dup_fork", dup), ("swap_free_exec", free)):
        f = finding(doc, fid)
        check(f is not None, fid + " found")
        if f:
            # perf's folding drops samples of exiting tasks (tid -1);
            # swapdiag counts them: allow that difference, no more
            check(want <= f["samples"] <= want + 2,
                  "%s samples %d (perf's folded output: %d)" %
                  (fid, f["samples"], want))
    facts = stall_facts()
    for fid in ("mmap_lock_stall", "exec_lock_stall", "other_dstate"):
        f = finding(doc, fid)
        want = facts[fid]
        check((f is not None) == bool(want),
              "%s found: %s (perf script: %d sleeps)" % (fid, f is not None,
                                                       len(want)))
        if not f:
            continue
        done = [x for x in want if x is not None]
        check(f["stalls"] == len(want),
              "%s: %d sleeps (perf script: %d)" % (fid, f["stalls"], len(want)))
        check(f["stalls_without_wakeup"] == len(want) - len(done),
              "%s: %d without a recorded switch-in (perf script: %d)" %
              (fid, f["stalls_without_wakeup"], len(want) - len(done)))
        check(f["durations_known"] is True, fid + ": durations known")
        check(abs(f["blocked_ms_total"] - sum(done)) < 0.01,
              "%s: blocked %.3f ms in total (perf script: %.3f)" %
              (fid, f["blocked_ms_total"], sum(done)))
        check(abs(f["blocked_ms_max"] - max(done)) < 0.01,
              "%s: longest %.3f ms (perf script: %.3f)" %
              (fid, f["blocked_ms_max"], max(done)))
    m = finding(doc, "mmap_lock_stall")
    if m:
        holders = {h["comm"] for h in m["lock_holders"]}
        check("forkswap" in holders,
              "the forking reproducer is named as a lock holder: %s" % holders)
    check(doc["kernel_era"] == "6.14 and later", "kernel era from OSRELEASE")


def case_sampled():
    rc, out, err = run("--json", "-", os.path.join(TD, "swapstorm-sampled.data"))
    doc = json.loads(out)
    validate(doc)
    check(rc == 1, "exit status 1, got %d" % rc)
    check(any("sampled" in n for n in doc["notes"]),
          "a note says sched_switch was sampled")
    for f in doc["findings"]:
        if f["id"] in ("mmap_lock_stall", "other_dstate", "exec_lock_stall"):
            check(f["durations_known"] is False and f["blocked_ms_total"] is None,
                  f["id"] + ": durations unknown, not invented")
    dup, free = folded_counts("swapstorm-sampled.folded")
    f = finding(doc, "swap_dup_fork")
    check(f is not None and dup <= f["samples"] <= dup + 2,
          "swap_dup_fork samples match perf's folded output (%d)" % dup)


def case_noswap():
    rc, out, err = run("--json", "-", os.path.join(TD, "storm-noswap.data"))
    doc = json.loads(out)
    validate(doc)
    dup, free = folded_counts("storm-noswap.folded")
    check(dup == 0 and free == 0, "perf's folded output has no swap frames")
    check(finding(doc, "swap_dup_fork") is None and
          finding(doc, "swap_free_exec") is None, "no swap finding")
    check(rc == 0, "exit status 0, got %d" % rc)
    check(any("sched_switch" in n and "perf record" in n for n in doc["notes"]),
          "says stalls cannot be judged and how to record them")


def case_text():
    rc, out, err = run(os.path.join(TD, "swapstorm.data"))
    first = out.split("\n", 1)[0]
    check(first.startswith("WARNING: fork/exec swap-entry work takes"),
          "the verdict is the first line: %r" % first)
    check("\x1b[" not in out, "no colour when stdout is not a terminal")
    for key in ("swap_dup_fork", "swap_free_exec", "mmap_lock_stall",
                "What to do"):
        check(key in out, "text names " + key)


def case_errors():
    rc, out, err = run("--json", "-", os.path.join(TD, "README.md"))
    check(rc == 2, "not a perf.data file: exit 2, got %d" % rc)
    doc = json.loads(out)
    validate(doc)
    check("error" in doc and "perf.data" in doc["error"]["message"],
          "JSON error document on stdout")
    check("swapdiag: error:" in err, "message on stderr")
    rc, out, err = run("--json", "-", "/nonexistent/perf.data")
    check(rc == 2 and json.loads(out)["error"]["input"] == "/nonexistent/perf.data",
          "missing file: exit 2 and a JSON error")
    rc, out, err = run("--fail-on", "sometimes", os.path.join(TD, "swapstorm.data"))
    check(rc == 64 and "--fail-on" in err, "bad --fail-on value: exit 64")
    rc, out, err = run("--fail-on", "critical", os.path.join(TD, "swapstorm.data"))
    check(rc == 0, "--fail-on critical with warnings only: exit 0, got %d" % rc)
    rc, out, err = run("--fail-on", "never", os.path.join(TD, "swapstorm.data"))
    check(rc == 0, "--fail-on never: exit 0, got %d" % rc)
    rc, out, err = run("--fail-on", "info", os.path.join(TD, "storm-noswap.data"))
    check(rc in (0, 1), "--fail-on info runs, got %d" % rc)
    rc, out, err = run("--bogus", os.path.join(TD, "swapstorm.data"))
    check(rc == 64 and "--help" in err, "unknown option: exit 64 with a hint")


def synthetic(name, *args):
    sd = os.path.join(TD, "synthetic")
    p = subprocess.run([SWAPDIAG, "--no-progress", "--buildid-dir",
                        "/nonexistent-buildid-cache", "--symfs",
                        "/nonexistent-symfs", "--kallsyms",
                        os.path.join(sd, name + ".kallsyms"), *args,
                        os.path.join(sd, name + ".data")],
                       capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def case_seed():
    """The seed incident (RHEL 6), facts from testdata/README.md: 10821
    samples; httpd fork path 3101 (29.39 % x 97.52 %), exec path 76 as
    httpd (2.39 %) and 2679 as foo.cgi (24.76 %)."""
    rc, out, err = synthetic("rhel6-seed", "--json", "-")
    doc = json.loads(out)
    validate(doc)
    check(rc == 1, "exit status 1, got %d" % rc)
    check(doc["severity"] == "critical", "critical overall")
    dup = finding(doc, "swap_dup_fork")
    free = finding(doc, "swap_free_exec")
    check(dup and dup["samples"] == 3101 and dup["severity"] == "critical",
          "swap_dup_fork: 3101 samples, critical")
    check(dup and abs(dup["share"] - 3101 / 10821) < 1e-6,
          "swap_dup_fork share 28.66 %% (got %.4f)" % (dup["share"] if dup else -1))
    check(free and free["samples"] == 2755,
          "swap_free_exec: 2755 samples (2679 foo.cgi + 76 httpd)")
    check(free and abs(free["share"] - 2755 / 10821) < 1e-6,
          "swap_free_exec share 25.46 %")
    procs = {p["comm"]: p["samples"] for p in free["processes"]} if free else {}
    check(procs == {"foo.cgi": 2679, "httpd": 76},
          "exec-side processes foo.cgi 2679, httpd 76: %s" % procs)
    procs = {p["comm"]: p["samples"] for p in dup["processes"]} if dup else {}
    check(procs == {"httpd": 3101}, "fork-side process httpd 3101: %s" % procs)
    check(dup and dup["paths"][0]["frames"][-4:] ==
          ["copy_pte_range", "swap_duplicate", "__swap_duplicate", "_spin_lock"],
          "hot path ends copy_pte_range > swap_duplicate > __swap_duplicate > _spin_lock")
    check(doc["kernel_era"].startswith("<= 2.6.32"), "RHEL 6 era")
    check(any(r["id"] == "mod_cgid" for r in doc["remedies"]) and
          any(r["id"] == "memcg_v1" for r in doc["remedies"]) and
          not any(r["id"] == "memcg_v2" for r in doc["remedies"]),
          "RHEL 6 remedies: mod_cgid, cgroup v1 (no v2)")
    rc, out, err = synthetic("rhel6-seed")
    check(out.startswith("CRITICAL: fork/exec swap-entry work takes 54.1% of CPU"),
          "text verdict: %r" % out.split("\n")[0])


def case_control():
    """Only free_pages_and_swap_cache and plain copy_page_range: no swap
    finding (testdata/README.md: 0 samples under any swap-entry frame)."""
    rc, out, err = synthetic("control-free-pages", "--json", "-")
    doc = json.loads(out)
    validate(doc)
    check(rc == 0, "exit status 0, got %d" % rc)
    check(not doc["findings"], "no findings: %s" %
          [f["id"] for f in doc["findings"]])
    check(doc["verdict"].startswith("OK: no fork/exec swap-entry work"),
          "verdict: %r" % doc["verdict"])


def case_nosyms():
    """A foreign recording without its kallsyms: nothing can be judged, and
    swapdiag must say so instead of giving a clean bill of health."""
    sd = os.path.join(TD, "synthetic")
    p = subprocess.run([SWAPDIAG, "--no-progress", "--buildid-dir",
                        "/nonexistent-buildid-cache", "--symfs",
                        "/nonexistent-symfs", "--json", "-",
                        os.path.join(sd, "rhel6-seed.data")],
                       capture_output=True, timeout=120)
    doc = json.loads(p.stdout)
    validate(doc)
    check(p.returncode == 2, "exit status 2, got %d" % p.returncode)
    check(doc["verdict"].startswith("UNKNOWN:"), "verdict: %r" % doc["verdict"])
    check(any("--kallsyms" in n for n in doc["notes"]),
          "a note says how to get kernel symbols")
    err = p.stderr.decode()
    check("no symbols for the recorded kernel" in err and
          err.count("no symbols for the recorded kernel") == 1,
          "one warning about the kernel's symbols")


CASES = {"swapstorm": case_swapstorm, "seed": case_seed, "nosyms": case_nosyms,
         "control": case_control, "sampled": case_sampled,
         "noswap": case_noswap, "text": case_text, "errors": case_errors}
CASES[CASE]()
print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
