#!/usr/bin/env python3
"""check-honesty.py - every fact under the verdict is checked or stated.

usage: check-honesty.py SWAPDIAG TESTDATA CASE

Cases (each a meson test, suite golden):

  severity  the verdict's first word is the report's severity, the JSON
            severity, on every report input of the golden tests (perf.data,
            bundle-less text, a cut recording, no kernel symbols)
  combined  the swap-entry work is one pathology: folded stacks written
            here with 12 % fork-side and 12 % exec-side samples (of 1000)
            are CRITICAL (24 % >= 15 %), each side a warning with its own
            share; 2 % + 2 % is a WARNING (4 % >= 3 %), each side info
  seed-era  the seed's perf report text (testdata/text/seed-report.txt and
            rhel6-seed.report-*.txt) gets the era and remedy ids of the
            same profile as perf.data (synthetic/rhel6-seed.data, recorded
            on 2.6.32-642.el6, testdata/README.md); inferred from frame
            names where the text has no --header lines, and said so
  era-table folded stacks of each era's fork and exec paths, root first,
            as KERNEL.md's "Function names per era" table gives them (no
            release in the input): the era and the remedies of that era
            (cgroup v1 and the 3.9 lock note up to 4.10; v2 and the
            4.11 note up to 6.13; the 6.14 note after)
  script    perf script text of testdata/swapstorm.data and
            swapstorm-sampled.data (made here with perf 6.1, in its default
            format, with --header, and with --header but no event lines;
            skipped without perf) gives the stall
            facts of the recordings themselves: counts, and durations only
            where sched_switch was recorded at every switch (never for the
            -F 999 recording)
  cut       a recording cut at 35 % of its data: the report's second line
            names the cut and its byte offset (text, also with -q; markdown;
            JSON input.damage), the note says tracepoint names were lost
            (not that there is no sched_switch), nr_cpus is null; a cut
            pipe-mode recording names the stream's end
  epipe     --json/--folded/--svg FILE are written whole when standard
            output is closed early (`| true`, `| head -1`): same bytes as a
            full run, exit status 0-2, never SIGPIPE
  symbols   user binaries without symbols: one summary line on stderr,
            the count of all of them; -v lists them one per line
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from perftruth import kallsyms_for_perf  # noqa: E402

HOST_KSYMS = "kallsyms/host-6.18.44-fc-v782.kallsyms.zst"
NO_CACHE = ["--buildid-dir", "/nonexistent-buildid-cache"]
bad = 0
made = 0


def check(cond, what):
    global bad, made
    made += 1
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        bad += 1


def run(args, td, stdin=None):
    p = subprocess.run([SWAPDIAG, "--no-progress", "--no-color"] + NO_CACHE +
                       args, cwd=td, capture_output=True, input=stdin,
                       timeout=300)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def report_json(args, td):
    rc, out, err = run(["-q", "--json", "-"] + args, td)
    return rc, json.loads(out)


def storm(name):
    return ["--kallsyms", HOST_KSYMS, "--symfs", "symfs", name]


def case_severity(td, tmp):
    cut = os.path.join(tmp, "cut.data")
    with open(os.path.join(td, "swapstorm.data"), "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[:len(data) * 35 // 100])
    inputs = [
        storm("swapstorm.data"), storm("swapstorm-sampled.data"),
        storm("storm-noswap.data"), storm("nocallchain.data"),
        storm("swapstorm-z.data"), storm(cut),
        ["--kallsyms", "synthetic/rhel6-seed.kallsyms", "--symfs",
         "/nonexistent", "synthetic/rhel6-seed.data"],
        ["--kallsyms", "synthetic/control-free-pages.kallsyms",
         "synthetic/control-free-pages.data"],
        # no kernel symbols: UNKNOWN
        ["--symfs", "symfs", "--kallsyms", "/dev/null", "swapstorm.data"],
        ["text/seed-report.txt"], ["text/rhel6-seed.report-callee.txt"],
        ["swapstorm.folded"], ["storm-noswap.folded"],
        # not analysed at all: the error document
        ["/nonexistent/perf.data"], ["kallsyms"],
    ]
    for args in inputs:
        rc, out, _ = run(["-q"] + args, td)
        rcj, doc = report_json(args, td)
        rcm, md, _ = run(["-q", "--format", "markdown"] + args, td)
        if "error" in doc:
            check(rc == 2 and doc.get("severity") == "unknown",
                  "%s: not analysed (%s), exit 2, severity %s" %
                  (args[-1], doc["error"]["message"], doc.get("severity")))
            continue
        word = out.split(":", 1)[0]
        mdword = md[3:].split(":", 1)[0] if md.startswith("## ") else None
        sev = doc["severity"]
        check(word == sev.upper() and mdword == word and rc == rcj == rcm,
              "%s: headline %s, markdown %s, JSON severity %s, exit %s" %
              (args[-1], word, mdword, sev, (rc, rcj, rcm)))
        check(doc["verdict"].split(":", 1)[0] == word,
              "%s: JSON verdict starts with %s" % (args[-1], word))
        levels = [f["severity"] for f in doc["findings"]]
        order = ["ok", "info", "warning", "critical"]
        if sev != "unknown":
            top = max([order.index(x) for x in levels] +
                      [order.index(doc["swap_entry"]["severity"])
                       if doc["swap_entry"] else 0])
            check(order[top] == sev, "%s: severity %s = the highest of %s "
                  "and swap_entry %s" % (args[-1], sev, levels,
                                         doc["swap_entry"]))
            check((sev == "ok") == (rc == 0 or not levels),
                  "%s: exit %d fits severity %s" % (args[-1], rc, sev))
        else:
            check(rc == 2, "%s: UNKNOWN exits 2 (got %d)" % (args[-1], rc))


def case_combined(td, tmp):
    fork = ("httpd;main;fork;stub_clone;sys_clone;do_fork;copy_process;"
            "dup_mm;copy_page_range;copy_pte_range;swap_duplicate;"
            "__swap_duplicate;_spin_lock")
    exec_ = ("foo.cgi;stub_execve;sys_execve;do_execve;search_binary_handler;"
             "load_elf_binary;flush_old_exec;mmput;exit_mmap;unmap_vmas;"
             "free_swap_and_cache;swap_info_get;_spin_lock")
    # samples of each side per 100 (x 10, at least 3 samples for info)
    for n, want, side in ((12, "critical", "warning"), (2, "warning", "info")):
        path = os.path.join(tmp, "combined-%d.folded" % n)
        with open(path, "w") as f:
            f.write("%s %d\n%s %d\nhttpd;main;work %d\n" %
                    (fork, 10 * n, exec_, 10 * n, 1000 - 20 * n))
        rc, doc = report_json([path], td)
        shares = {f["id"]: (f["share"], f["severity"]) for f in doc["findings"]}
        check(doc["severity"] == want and
              shares.get("swap_dup_fork") == (n / 100, side) and
              shares.get("swap_free_exec") == (n / 100, side),
              "%d %% + %d %%: severity %s (want %s), sides %s (want %.2f %s each)"
              % (n, n, doc["severity"], want, shares, n / 100, side))
        check(doc["swap_entry"] == {"share": 2 * n / 100, "severity": want},
              "%d %% + %d %%: swap_entry %s" % (n, n, doc["swap_entry"]))
        rc2, out, _ = run(["-q", path], td)
        check(out.startswith("%s: fork/exec swap-entry work takes %.1f%% of CPU"
                             % (want.upper(), 2 * n)),
              "%d %% + %d %%: verdict %r" % (n, n, out.splitlines()[0]))


def case_seed_era(td, tmp):
    rc, base = report_json(["--kallsyms", "synthetic/rhel6-seed.kallsyms",
                            "--symfs", "/nonexistent",
                            "synthetic/rhel6-seed.data"], td)
    want_ids = [r["id"] for r in base["remedies"]]
    # 2.6.32-642.el6: the era tables' first row; memcg v1, not v2
    check(base["kernel_era"] == "<= 2.6.32 (RHEL 6)" and
          base["kernel_era_source"] == "recording" and
          "memcg_v1" in want_ids and "memcg_v2" not in want_ids,
          "rhel6-seed.data: era %s from %s, remedies %s" %
          (base["kernel_era"], base["kernel_era_source"], want_ids))
    for name, source in (("seed-report.txt", "frames"),
                         ("rhel6-seed.report-caller.txt", "frames"),
                         ("rhel6-seed.report-fractal.txt", "frames"),
                         ("rhel6-seed.report-callee.txt", "recording")):
        rc, doc = report_json(["text/" + name], td)
        ids = [r["id"] for r in doc["remedies"]]
        check(doc["kernel_era"] == base["kernel_era"] and ids == want_ids and
              doc["kernel_era_source"] == source,
              "%s: era %s from %s (want %s), remedies %s" %
              (name, doc["kernel_era"], doc["kernel_era_source"], source, ids))
        if source == "frames":
            check(any("inferred from the kernel frame names" in n
                      for n in doc["notes"]),
                  "%s: a note says the era was inferred" % name)
            rc, out, _ = run(["-q", "text/" + name], td)
            check("inferred from frame names" in out.split("\n\n")[1],
                  "%s: the text report's era line says inferred" % name)


# KERNEL.md, "Function names per era (root -> leaf)": fork side, exec side
ERA_ROWS = [
    ("2.6.32 RHEL 6", ["<= 2.6.32 (RHEL 6)"], "kernel_3_9", "memcg_v1",
     "stub_clone;sys_clone;do_fork;copy_process;dup_mm;copy_page_range;"
     "copy_pte_range;swap_duplicate;__swap_duplicate;_spin_lock",
     "stub_execve;sys_execve;do_execve;search_binary_handler;load_elf_binary;"
     "flush_old_exec;mmput;exit_mmap;unmap_vmas;free_swap_and_cache;"
     "swap_info_get;_spin_lock"),
    ("3.10 RHEL 7", ["3.0 - 3.8", "3.9 - 4.10 (RHEL 7)"], "kernel_3_9",
     "memcg_v1",
     "stub_clone;sys_clone;do_fork;copy_process;dup_mm;copy_page_range;"
     "copy_pte_range;swap_duplicate;__swap_duplicate;_raw_spin_lock",
     "stub_execve;sys_execve;do_execve_common;search_binary_handler;"
     "load_elf_binary;flush_old_exec;mmput;exit_mmap;unmap_vmas;"
     "unmap_single_vma;unmap_page_range;zap_pte_range;free_swap_and_cache;"
     "swap_info_get;_raw_spin_lock"),
    ("4.18 RHEL 8", ["4.15 - 4.18 (RHEL 8)", "4.19 - 6.13"], "kernel_4_11",
     "memcg_v2",
     "entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_clone;_do_fork;"
     "copy_process;dup_mm;copy_page_range;swap_duplicate;__swap_duplicate;"
     "_raw_spin_lock;native_queued_spin_lock_slowpath",
     "entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_execve;"
     "__do_execve_file;search_binary_handler;load_elf_binary;flush_old_exec;"
     "mmput;__mmput;exit_mmap;unmap_vmas;unmap_page_range;"
     "free_swap_and_cache;__swap_entry_free;__swap_entry_free_locked;"
     "_raw_spin_lock"),
    ("6.1 Debian 12", ["4.19 - 6.13"], "kernel_4_11", "memcg_v2",
     "entry_SYSCALL_64_after_hwframe;do_syscall_64;__do_sys_clone;"
     "kernel_clone;copy_process;dup_mmap;copy_page_range;swap_duplicate;"
     "__swap_duplicate;_raw_spin_lock;native_queued_spin_lock_slowpath",
     "entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_execve;"
     "do_execveat_common;bprm_execve;load_elf_binary;begin_new_exec;__mmput;"
     "exit_mmap;unmap_vmas;unmap_page_range;free_swap_and_cache;"
     "__swap_entry_free;_raw_spin_lock;native_queued_spin_lock_slowpath"),
    ("6.18", ["6.14 and later"], "kernel_6_14", "memcg_v2",
     "_Fork;entry_SYSCALL_64_after_hwframe;do_syscall_64;__do_sys_clone;"
     "kernel_clone;copy_process;dup_mmap;copy_page_range;swap_duplicate;"
     "__swap_duplicate;_raw_spin_lock",
     "entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_execve;"
     "do_execveat_common;bprm_execve;load_elf_binary;begin_new_exec;__mmput;"
     "exit_mmap;unmap_vmas;unmap_page_range;swap_pte_batch;"
     "free_swap_and_cache_nr;swap_entries_put_map"),
]


def case_era_table(td, tmp):
    for name, eras, lock_note, memcg, fork, exec_ in ERA_ROWS:
        path = os.path.join(tmp, "era.folded")
        with open(path, "w") as f:
            f.write("httpd;%s 100\nfoo.cgi;%s 100\nhttpd;main;work 800\n"
                    % (fork, exec_))
        rc, doc = report_json([path], td)
        ids = [r["id"] for r in doc["remedies"]]
        check(doc["kernel_era"] in eras and
              doc["kernel_era_source"] == "frames" and lock_note in ids and
              memcg in ids,
              "%s: era %s (want %s), remedies %s" %
              (name, doc["kernel_era"], " or ".join(eras), ids))


def perf_script(td, tmp, name, header):
    ks = os.path.join(tmp, "kallsyms")
    if not os.path.exists(ks):
        kallsyms_for_perf(os.path.join(td, HOST_KSYMS), ks)
    empty = os.path.join(tmp, "empty-buildid")
    os.makedirs(empty, exist_ok=True)
    out = os.path.join(tmp, "%s%s.script" % (name, ".header" if header else ""))
    with open(out, "wb") as f:
        subprocess.run(["perf", "--buildid-dir", empty, "script", "-f", "-i",
                        os.path.join(td, name + ".data"), "--kallsyms", ks,
                        "--symfs", os.path.join(td, "symfs")] +
                       (["--header"] if header else []),
                       stdout=f, stderr=subprocess.DEVNULL, check=True)
    return out


def stall_facts(doc):
    return {f["id"]: f for f in doc["findings"] if f["share"] is None}


def case_script(td, tmp):
    if not shutil.which("perf") or not shutil.which("zstd"):
        print("skipped: perf or zstd missing")
        sys.exit(77)
    for name, every in (("swapstorm", True), ("swapstorm-sampled", False)):
        rc, base = report_json(storm(name + ".data"), td)
        bs = stall_facts(base)
        check(bool(bs.get("mmap_lock_stall")), "%s.data: stalls found" % name)
        for header in (False, True, "cmdline"):
            path = perf_script(td, tmp, name, bool(header))
            if header == "cmdline":
                # the header without its event lines: the command line
                with open(path) as f:
                    lines = [l for l in f if not l.startswith("# event :")]
                path += ".cmdline"
                with open(path, "w") as f:
                    f.writelines(lines)
            rc, doc = report_json([path], td)
            ts = stall_facts(doc)
            what = "%s perf script%s" % (name, {False: "", True: " --header",
                                              "cmdline": " --header without "
                                              "event lines"}[header])
            check(set(ts) == set(bs), "%s: stall findings %s, perf.data %s" %
                  (what, sorted(ts), sorted(bs)))
            for k in bs:
                if k not in ts:
                    continue
                b, t = bs[k], ts[k]
                check(t["stalls"] == b["stalls"] and
                      t["durations_known"] == b["durations_known"] == every,
                      "%s: %s %d stalls (perf.data %d), durations known %s "
                      "(perf.data %s)" % (what, k, t["stalls"], b["stalls"],
                                          t["durations_known"],
                                          b["durations_known"]))
                if every:
                    # perf script prints microseconds: 1 us per stall
                    tol = 0.002 * t["stalls"] + 1e-6
                    check(abs(t["blocked_ms_total"] - b["blocked_ms_total"]) <= tol
                          and abs(t["blocked_ms_max"] - b["blocked_ms_max"]) <= 0.002,
                          "%s: %s blocked %.3f ms, longest %.3f (perf.data "
                          "%.3f, %.3f)" % (what, k, t["blocked_ms_total"],
                                           t["blocked_ms_max"],
                                           b["blocked_ms_total"],
                                           b["blocked_ms_max"]))
                else:
                    times = [t["blocked_ms_total"], t["blocked_ms_max"]] + \
                        [v["blocked_ms"] for v in t["victims"]] + \
                        [v["max_ms"] for v in t["victims"]]
                    check(all(x is None for x in times),
                          "%s: %s no blocked time anywhere (%s)" %
                          (what, k, [x for x in times if x is not None][:4]))
            if not every:
                rc, out, _ = run(["-q", path], td)
                check("durations unknown" in out and " ms" not in
                      out.split("\n")[0],
                      "%s: the text report has no blocked times: %r" %
                      (what, out.split("\n")[0]))
            ev = [e for e in doc["input"]["events"]
                  if e["name"] == "sched:sched_switch"]
            if header:  # from the event lines, or the command line
                want = ("freq", 999) if not every else ("period", 1)
                check(ev and (ev[0]["sampling"], ev[0]["rate"]) == want,
                      "%s: sched_switch sampling %s from the header (want %s)"
                      % (what, ev and (ev[0]["sampling"], ev[0]["rate"]), want))


def case_cut(td, tmp):
    with open(os.path.join(td, "swapstorm.data"), "rb") as f:
        data = f.read()
    n = len(data) * 35 // 100
    cut = os.path.join(tmp, "cut.data")
    with open(cut, "wb") as f:
        f.write(data[:n])
    for q in ([], ["-q"]):
        rc, out, _ = run(q + storm(cut), td)
        lines = out.split("\n")
        check(lines[1].startswith("DAMAGED INPUT: the file is cut at byte %d:"
                                  % n),
              "text%s: second line names the cut: %r" % (" -q" if q else "",
                                                         lines[1]))
    rc, md, _ = run(["-q", "--format", "markdown"] + storm(cut), td)
    check(md.split("\n")[2].startswith("> **Damaged input:** the file is cut "
                                       "at byte %d" % n),
          "markdown: third line names the cut: %r" % md.split("\n")[2])
    rc, doc = report_json(storm(cut), td)
    dmg = doc["input"]["damage"]
    check(dmg and dmg["offset"] == n and "lost" in dmg["message"],
          "JSON input.damage %s" % dmg)
    check(doc["input"]["nr_cpus"] is None, "JSON nr_cpus %s (unknown: null)"
          % doc["input"]["nr_cpus"])
    notes = " ".join(doc["notes"])
    check("has no sched:sched_switch" not in notes and
          "lost with the header" in notes,
          "notes say the tracepoint names were lost: %s" % notes[:160])
    rc, out, _ = run(["-q"] + storm(cut), td)
    check("0 CPUs" not in out and "host ?" not in out,
          "no invented facts in the input line: %r" % out.split("\n")[8:9])
    # pipe mode: the stream's end
    with open(os.path.join(td, "swapstorm-pipe.data"), "rb") as f:
        pdata = f.read()
    pcut = os.path.join(tmp, "cut-pipe.data")
    with open(pcut, "wb") as f:
        f.write(pdata[:len(pdata) // 2 + 3])
    rc, doc = report_json(storm(pcut), td)
    dmg = doc["input"]["damage"]
    check(dmg and "stream ends inside a record" in dmg["message"] and
          dmg["offset"] <= len(pdata) // 2 + 3,
          "pipe-mode cut: JSON input.damage %s" % dmg)
    rc, doc = report_json(storm("swapstorm.data"), td)
    check(doc["input"]["damage"] is None, "the whole recording: no damage")


def case_epipe(td, tmp):
    args = storm("swapstorm.data")
    full = {}
    for kind in ("json", "folded", "svg"):
        path = os.path.join(tmp, "full." + kind)
        rc, _, _ = run(["-q", "--" + kind, path] + args, td)
        with open(path, "rb") as f:
            full[kind] = f.read()
    for how in ("true", "head"):
        paths = {k: os.path.join(tmp, "%s.%s" % (how, k)) for k in full}
        cmd = [SWAPDIAG, "--no-progress", "-q"] + NO_CACHE
        for k, p in paths.items():
            cmd += ["--" + k, p]
        p = subprocess.Popen(cmd + args, cwd=td, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        if how == "head":
            p.stdout.readline()
        p.stdout.close()  # the reader goes away before the verdict
        err = p.stderr.read()
        rc = p.wait(timeout=300)
        # swapstorm's findings are warnings: exit 1, the same as with a
        # reader that stays (a closed pipe is no failure, nor a signal)
        check(rc == 1, "| %s: exit %d (1: warnings; not a signal, not an "
              "error)" % (how, rc))
        check(b"error" not in err, "| %s: no error message: %r" % (how, err[:200]))
        for k, path in paths.items():
            got = open(path, "rb").read() if os.path.exists(path) else b""
            if k == "json":
                same = json.loads(got) == json.loads(full[k]) if got else False
            else:
                same = got == full[k]
            check(same, "| %s: --%s FILE written whole (%d bytes of %d)" %
                  (how, k, len(got), len(full[k])))
    # standard output is the JSON: a closed reader still exits cleanly
    p = subprocess.Popen([SWAPDIAG, "--no-progress", "-q", "--json", "-"] +
                         NO_CACHE + args, cwd=td, stdout=subprocess.PIPE)
    p.stdout.close()
    rc = p.wait(timeout=300)
    check(rc == 1, "--json - | true: exit %d (1: warnings)" % rc)


def case_symbols(td, tmp):
    args = ["--kallsyms", "synthetic/rhel6-seed.kallsyms", "--symfs",
            "/nonexistent", "synthetic/rhel6-seed.data"]
    rc, out, err = run(["--json", os.devnull] + args, td)
    summary = [l for l in err.splitlines() if "no symbols for" in l]
    m = re.search(r"no symbols for (\d+) user binar(y|ies)", err)
    check(len(summary) == 1 and m and "-v lists them" in summary[0] and
          "--symfs DIR or perf archive" in summary[0],
          "one summary line: %s" % summary)
    rc, out, err = run(["-v", "--json", os.devnull] + args, td)
    each = [l for l in err.splitlines() if re.search(r"no symbols for /", l)]
    more = sum(int(x) for x in re.findall(r"\(and (\d+) more like it\)", err))
    check(m and more == 0 and len(each) == int(m.group(1)) and
          len(set(each)) == len(each),
          "-v: %d lines, one per binary (%d more not listed), the summary "
          "said %s" % (len(each), more, m and m.group(1)))


def main(argv):
    global SWAPDIAG
    if len(argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    SWAPDIAG = os.path.abspath(argv[1]) if "/" in argv[1] else argv[1]
    td, case = argv[2], argv[3]
    cases = {"severity": case_severity, "combined": case_combined,
             "seed-era": case_seed_era, "era-table": case_era_table,
             "script": case_script,
             "cut": case_cut, "epipe": case_epipe, "symbols": case_symbols}
    with tempfile.TemporaryDirectory(prefix="swapdiag-honesty-") as tmp:
        cases[case](td, tmp)
    if not made:
        print("FAIL: case %s made no checks" % case)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
