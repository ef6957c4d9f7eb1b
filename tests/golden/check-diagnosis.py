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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the matching rule and perf's facts, written out apart from swapdiag
import perftruth  # noqa: E402
import schemacheck  # noqa: E402  (tests/schemacheck.py)

SWAPDIAG, TD, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = os.path.dirname(os.path.abspath(TD))
KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst")
COMMON = ["--no-progress", "--buildid-dir", "/nonexistent-buildid-cache",
          "--kallsyms", KSYMS, "--symfs", os.path.join(TD, "symfs")]

failures = []


checks_made = []


def check(cond, what):
    checks_made.append(what)
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args, stdin=None):
    p = subprocess.run([SWAPDIAG, *COMMON, *args], capture_output=True,
                       stdin=stdin, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def validate(doc):
    errs = schemacheck.report_errors(doc)
    check(not errs, "JSON report matches the schema%s" %
          (": " + errs[0] if errs else ""))


def folded_counts(name):
    """Samples per pattern in perf's own folded output."""
    return perftruth.folded_counts(os.path.join(TD, name))[:2]


def finding(doc, fid):
    for f in doc["findings"]:
        if f["id"] == fid:
            return f
    return None



def stall_facts():
    """mmap_lock / exec lock / other rwsem sleeps from perf script, via
    stalls.txt."""
    return perftruth.stall_facts(os.path.join(TD, "swapstorm.stalls.txt"))


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
    # the 256 MiB resident parent's page-table copying is a finding of its
    # own (fork_copy, a warning at 10 %: exit 1); check-insight.py hot
    # checks its numbers against perf script
    check(finding(doc, "fork_copy") is not None, "fork_copy finding")
    check(rc == 1, "exit status 1 (fork_copy warning), got %d" % rc)
    check(any("sched_switch" in n and "perf record" in n for n in doc["notes"]),
          "says stalls cannot be judged and how to record them")


def case_text():
    rc, out, err = run(os.path.join(TD, "swapstorm.data"))
    check(rc == 1, "exit status 1 (findings at warning), got %d" % rc)
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
    # storm-noswap's one finding is fork_copy at warning (17.6 % of CPU,
    # case_noswap): at or above info, so --fail-on info exits 1 -- and 0
    # with --fail-on critical, which it is not
    rc, out, err = run("--fail-on", "info", os.path.join(TD, "storm-noswap.data"))
    check(rc == 1, "--fail-on info, a warning finding: exit 1, got %d" % rc)
    rc, out, err = run("--fail-on", "critical", os.path.join(TD, "storm-noswap.data"))
    check(rc == 0, "--fail-on critical, a warning finding: exit 0, got %d" % rc)
    rc, out, err = run("--fail-on", "warning", os.path.join(TD, "storm-noswap.data"))
    check(rc == 1, "--fail-on warning, a warning finding: exit 1, got %d" % rc)
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
    # plain copy_page_range is fork page-table copying of a resident
    # parent: fork_copy, never a swap finding
    check(rc == 1, "exit status 1 (fork_copy), got %d" % rc)
    check([f["id"] for f in doc["findings"]] == ["fork_copy"],
          "only fork_copy: %s" % [f["id"] for f in doc["findings"]])
    check(doc["verdict"].split(": ", 1)[1].startswith(
        "no fork/exec swap-entry work"), "verdict: %r" % doc["verdict"])


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


# ---- real services (testdata/services, tests/repro/services) -------------
SERVICES = ("apache-cgi", "apache-cgid", "apache-swapoff", "redis-bgsave")
SVC_KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v1045.kallsyms.zst")
# the exit status each service recording must give, and why (facts in
# testdata/README.md, "Real services")
SERVICE_EXIT = {
    "apache-cgi": (1, "mmap_lock and exec-lock stalls of ps/top, swap-entry "
                      "work of the forking workers"),
    "apache-cgid": (1, "the same, all forks by the cgid daemon"),
    "apache-swapoff": (1, "no swap entries, but fork page-table copying of "
                          "the resident parent and the mmap_lock stalls stay"),
    "redis-bgsave": (0, "4 BGSAVE forks in 5 s: 9 of 10005 samples of "
                        "swap-entry work, under the info threshold, and no "
                        "rwsem reader sleep (facts.json): no finding"),
}


def service_rows(name):
    """The sleeps of NAME.stalls.txt (tests/repro/services/facts.py, from
    perf script) and the lock owners perf's contention records show."""
    rows, owners = [], {}
    with open(os.path.join(TD, "services", name + ".stalls.txt")) as f:
        for line in f:
            if line.startswith("# owner "):
                _, _, kind, addr, pid = line.split()[:5]
                owners[(addr, kind)] = int(pid)
                continue
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            acts = []
            for a in ([] if c[10] == "-" else c[10].split(",")):
                x = a.split(":")
                acts.append({"pid": int(x[0]), "samples": int(x[1]),
                             "last": int(x[2]), "after": len(x) > 3})
            rows.append({"comm": c[0], "pid": int(c[1].split("/")[0]),
                         "out": c[3], "ms": None if c[5] == "-" else float(c[5]) / 1e3,
                         "lock": c[7], "kind": c[8], "acts": acts})
    return rows, owners


def ender(acts):
    """The holder whose release woke the sleeper: its holding activity
    ends last inside the sleep and does not go on within 2 ms after."""
    if not acts:
        return None
    return max(acts, key=lambda a: (not a["after"], a["last"], -a["pid"]))


def expected_holders(rows, owners, kind):
    """Lock groups and holders by the rule of swapdiag-report(5), from
    perf's own sleeps, addresses and activity."""
    groups, holders, tied = {}, {}, 0
    for r in sorted(rows, key=lambda r: (r["lock"], r["out"])):
        if r["lock"] == "-":
            e = ender(r["acts"])
            if e:
                h = holders.setdefault(e["pid"], {"stalls": 0, "samples": 0})
                h["stalls"] += 1
                h["samples"] += e["samples"]
                tied += 1
            continue
        groups.setdefault(r["lock"], []).append(r)
    out = {}
    for addr, rs in groups.items():
        votes = {}
        for r in rs:
            e = ender(r["acts"])
            if e:
                v = votes.setdefault(e["pid"], [0, 0])
                v[0] += 1
                v[1] += e["samples"]
        done = [r["ms"] for r in rs if r["ms"] is not None]
        g = {"stalls": len(rs), "blocked_ms": sum(done) if done else None,
             "max_ms": max(done) if done else None, "holder": None,
             "tied_by": "none", "samples": 0}
        if (addr, kind) in owners:
            g["holder"], g["tied_by"] = owners[(addr, kind)], "contention"
            g["samples"] = votes.get(g["holder"], [0, 0])[1]
        elif votes:
            best = max(votes.items(), key=lambda kv: (kv[1][0], kv[1][1]))
            g["holder"], g["tied_by"], g["samples"] = best[0], "address+time", best[1][1]
        if g["holder"] is not None:
            h = holders.setdefault(g["holder"], {"stalls": 0, "samples": 0})
            h["stalls"] += len(rs)
            h["samples"] += g["samples"]
            tied += len(rs)
        out[addr] = g
    return out, holders, tied


def case_service(name):
    with open(os.path.join(TD, "services", name + ".facts.json")) as f:
        facts = json.load(f)
    p = subprocess.run([SWAPDIAG, "--no-progress", "--buildid-dir",
                        "/nonexistent-buildid-cache", "--kallsyms", SVC_KSYMS,
                        "--json", "-",
                        os.path.join(TD, "services", name + ".data")],
                       capture_output=True, timeout=120)
    doc = json.loads(p.stdout)
    validate(doc)
    # swapdiag(1), EXIT STATUS: 1 with a finding at warning or above, else
    # 0 (SERVICE_EXIT says which, and why)
    want_rc, why = SERVICE_EXIT[name]
    check(p.returncode == want_rc and
          (doc["severity"] in ("warning", "critical")) == (want_rc == 1),
          "%s: exit %d, severity %s (want %d: %s)" %
          (name, p.returncode, doc["severity"], want_rc, why))
    on_cpu = facts["stats"]["cpu-clock/freq=999/"]
    evs = {e["name"]: e["samples"] for e in doc["input"]["events"]}
    for ev in ("cpu-clock/freq=999/", "sched:sched_switch",
               "lock:contention_begin", "lock:contention_end"):
        check(evs.get(ev) == facts["stats"][ev], "%s samples %s (perf report "
              "--stats: %d)" % (ev, evs.get(ev), facts["stats"][ev]))
    for fid, want in (("swap_dup_fork", facts["samples"]["swap_dup"]),
                      ("swap_free_exec", facts["samples"]["swap_free"])):
        f = finding(doc, fid)
        if f is None:
            # below the info threshold: 0.5 % of on-CPU samples, or < 3
            check(want < 3 or want / on_cpu < 0.005,
                  "%s: no finding; perf: %d of %d samples" % (fid, want, on_cpu))
        else:
            check(want <= f["samples"] <= want + 2,
                  "%s: %d samples (perf script: %d)" % (fid, f["samples"], want))
    rows, owners = service_rows(name)
    for kind in ("mmap_lock_stall", "exec_lock_stall", "other_dstate"):
        mine = [r for r in rows if r["kind"] == kind]
        f = finding(doc, kind)
        check((f["stalls"] if f else 0) == len(mine),
              "%s: %s sleeps (perf script: %d)" % (kind, f and f["stalls"], len(mine)))
        if not f or not mine:
            continue
        done = [r["ms"] for r in mine if r["ms"] is not None]
        check(f["stalls_without_wakeup"] == len(mine) - len(done),
              "%s: %d without a switch-in (perf script: %d)" %
              (kind, f["stalls_without_wakeup"], len(mine) - len(done)))
        check(abs(f["blocked_ms_total"] - sum(done)) < 0.01 and
              abs(f["blocked_ms_max"] - max(done)) < 0.01,
              "%s: blocked %.3f ms, longest %.3f (perf script: %.3f, %.3f)" %
              (kind, f["blocked_ms_total"], f["blocked_ms_max"], sum(done),
               max(done)))
        # every victim, field by field
        vict = {}
        for r in mine:
            v = vict.setdefault((r["comm"], r["pid"]), [])
            v.append(r["ms"])
        got = {(v["comm"], v["pid"]): v for v in f["victims"]}
        check(set(got) == set(vict), "%s: victims %d (perf script: %d)" %
              (kind, len(got), len(vict)))
        bad = []
        for key, ms in vict.items():
            v = got.get(key)
            d = [x for x in ms if x is not None]
            if (not v or v["stalls"] != len(ms) or
                    (d and (abs(v["blocked_ms"] - sum(d)) > 0.01 or
                            abs(v["max_ms"] - max(d)) > 0.01)) or
                    (not d and v["blocked_ms"] is not None)):
                bad.append(key)
        check(not bad, "%s: each victim's sleeps, total and longest as perf "
              "script gives them (differ: %s)" % (kind, bad[:5]))
        if kind == "other_dstate":
            check(f["lock_holders"] == [] and f["locks"] is None,
                  "other_dstate: no holders, no lock groups")
            continue
        groups, holders, tied = expected_holders(mine, owners, kind)
        L = f["locks"]
        check(L is not None and L["objects"] == len(groups),
              "%s: %s lock objects (perf's contention addresses: %d)" %
              (kind, L and L["objects"], len(groups)))
        if not L:
            continue
        check(L["stalls_tied"] == tied, "%s: %d sleeps tied to a holder "
              "(the rule on perf's facts: %d)" % (kind, L["stalls_tied"], tied))
        want_top = sorted(groups.items(), key=lambda kv: (-kv[1]["stalls"], kv[0]))
        check([l["stalls"] for l in L["top"]] ==
              [g["stalls"] for a, g in want_top[:10]],
              "%s: the top lock objects' sleeps %s (perf: %s)" %
              (kind, [l["stalls"] for l in L["top"]],
               [g["stalls"] for a, g in want_top[:10]]))
        bad = []
        for l in L["top"]:
            g = groups.get(l["address"])
            hp = l["holder"]["pid"] if l["holder"] else None
            if (not g or g["stalls"] != l["stalls"] or g["holder"] != hp or
                    g["tied_by"] != l["tied_by"] or
                    (g["blocked_ms"] is not None and
                     abs(g["blocked_ms"] - l["blocked_ms"]) > 0.01)):
                bad.append((l["address"], hp, g and g["holder"]))
        check(not bad, "%s: each lock object's sleeps, blocked time, holder "
              "and tie as perf's records give them (differ: %s)" % (kind, bad[:3]))
        got_h = {h["pid"]: h for h in f["lock_holders"]}
        want_h = sorted(holders.items(), key=lambda kv: -kv[1]["stalls"])
        check(len(got_h) == min(len(holders), 10),
              "%s: %d lock holders (perf: %d)" % (kind, len(got_h), len(holders)))
        bad = [pid for pid, h in got_h.items()
               if pid not in holders or holders[pid]["stalls"] != h["stalls"]
               or holders[pid]["samples"] != h["samples"]]
        check(not bad, "%s: each holder's sleeps and samples (differ: %s)" %
              (kind, bad[:5]))
        check(sum(h["stalls"] for h in got_h.values()) <= f["stalls"],
              "%s: holders' sleeps add up to at most the sleeps" % kind)
    return doc, facts


def case_services():
    docs = {}
    for n in SERVICES:
        print("# " + n)
        docs[n] = case_service(n)
    # what the recordings are for: the stories issue 11 tells
    doc, facts = docs["apache-cgi"]
    ex = finding(doc, "exec_lock_stall")
    check(ex is not None and any(v["comm"] == "top" for v in ex["victims"]) and
          any("proc_single_show" in p["frames"] and "do_task_stat" in p["frames"]
              for p in ex["paths"]),
          "apache-cgi: top's /proc/PID/stat sleeps are exec-lock stalls")
    o = finding(doc, "other_dstate")
    check(o is None or not any("do_task_stat" in p["frames"] for p in o["paths"]),
          "apache-cgi: no do_task_stat sleep left in other_dstate")
    doc, facts = docs["apache-cgid"]
    m = finding(doc, "mmap_lock_stall")
    check(m is not None and len(m["lock_holders"]) == 1 and
          m["lock_holders"][0]["tied_by"] == "contention" and
          m["locks"]["objects"] == 1,
          "apache-cgid: one lock object, tied by contention to one forker "
          "(the cgid daemon)")
    forkers = facts["tasks"]["forks_per_exe"]["/usr/sbin/apache2"]["forking_pids"]
    check(forkers == 1, "apache-cgid: perf's FORK records: apache2 forks from "
          "%d process(es)" % forkers)
    doc, facts = docs["apache-swapoff"]
    check(finding(doc, "swap_dup_fork") is None and
          finding(doc, "swap_free_exec") is None and
          finding(doc, "mmap_lock_stall") is not None,
          "apache-swapoff: no swap-entry work, but the mmap_lock stalls stay")


CASES = {"services": case_services, "swapstorm": case_swapstorm, "seed": case_seed, "nosyms": case_nosyms,
         "control": case_control, "sampled": case_sampled,
         "noswap": case_noswap, "text": case_text, "errors": case_errors}
if __name__ == "__main__":
    CASES[CASE]()
    if not checks_made:
        failures.append("case %s made no checks" % CASE)
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)
