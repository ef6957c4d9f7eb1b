#!/usr/bin/env python3
"""Issue 11's numbers (lock shares, forkers, remedies, what is hot) on the
real-service recordings and the RHEL 6 seed, checked field by field against
perf's own account.

usage: check-insight.py SWAPDIAG TESTDATA CASE

Truth comes from perf script on the same files (the frames of every
cpu-clock/cycles sample with its period; FORK/COMM/EXIT/MMAP records with
--show-task-events --show-mmap-events) and from the services' facts.json
(tests/repro/services/facts.py), with the rules written out again here
rather than taken from swapdiag.  Skips (77) without perf.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The matching rule (DESIGN.md, KERNEL.md), written out again.
from perftruth import (ACQUIRE, FORK_COPY, SLOW, SWAP_DUP,  # noqa: E402
                       SWAP_FREE, TEARDOWN, in_span, kallsyms_for_perf, ns,
                       sample_span)
import schemacheck  # noqa: E402  (tests/schemacheck.py)

SWAPDIAG, TD, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
SVC_KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v1045.kallsyms.zst")
SEED_KSYMS = os.path.join(TD, "synthetic", "rhel6-seed.kallsyms")

failures = []


checks_made = []


def check(cond, what):
    checks_made.append(what)
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def validate(doc):
    errs = schemacheck.report_errors(doc)
    check(not errs, "JSON report matches the schema%s" %
          (": " + errs[0] if errs else ""))


def swapdiag_json(data, ksyms, *args):
    p = subprocess.run([SWAPDIAG, "--no-progress", "--buildid-dir",
                        "/nonexistent-buildid-cache", "--kallsyms", ksyms,
                        data, *args, "--json", "-"], capture_output=True,
                       timeout=300)
    doc = json.loads(p.stdout.decode())
    validate(doc)
    return doc


def perf_script(data, ksyms, fields, extra=()):
    tmp = tempfile.mkdtemp(prefix="insight.")
    try:
        ks = kallsyms_for_perf(ksyms, os.path.join(tmp, "kallsyms"))
        out = subprocess.run(["perf", "--buildid-dir", tmp, "script", "-f",
                              "-i", data, "--kallsyms", ks, "--symfs", tmp,
                              "-F", fields, *extra], check=True,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
    finally:
        shutil.rmtree(tmp)
    return out.decode("utf-8", "replace").splitlines()


def samples(lines, event):
    """(period, [frames root first]) of each sample of event."""
    head, frames = None, []
    for line in lines + [""]:
        if not line.strip():
            if head is not None and event in head:
                # "comm pid period event:" (-F comm,pid,event,period)
                toks = head.split()
                k = next(i for i, t in enumerate(toks) if t.startswith(event))
                period = int(toks[k - 1])
                yield period, list(reversed(frames))
            head, frames = None, []
        elif line[0] in " \t" and head is not None:
            parts = line.split()
            if len(parts) >= 2:
                frames.append(parts[1].split("+0x")[0])
        else:
            head, frames = line, []


def classify(frames, ctx, swap):
    """Is it a swap finding's sample; does it take / spin on a lock."""
    seen_ctx = seen_swap = irq = lock = spin = False
    lock_at = None
    for i, f in enumerate(frames):
        if seen_swap and not irq:
            if f.startswith("asm_") and f.endswith(("interrupt", "_ipi",
                                                    "irq_work",
                                                    "call_function",
                                                    "call_function_single")) \
               or f in ("apic_timer_interrupt", "smp_apic_timer_interrupt",
                        "common_interrupt", "do_IRQ"):
                irq = True
            elif f in SLOW:
                lock = spin = True
            elif f in ACQUIRE:
                lock, lock_at = True, i
        if f in ctx:
            seen_ctx = True
        elif seen_ctx and f in swap:
            seen_swap = True
    leaf = lock and not spin and lock_at == len(frames) - 1
    return seen_swap, lock, spin, leaf


def lock_truth(data, ksyms, event, ticket):
    lines = perf_script(data, ksyms, "comm,pid,event,period,ip,sym")
    any_slow = False
    acc = {k: [0, 0, 0] for k in ("swap_dup_fork", "swap_free_exec")}
    for period, frames in samples(lines, event):
        any_slow |= any(f in SLOW for f in frames)
        for key, ctx, swap in (("swap_dup_fork", FORK_COPY, SWAP_DUP),
                               ("swap_free_exec", TEARDOWN, SWAP_FREE)):
            hit, lock, spin, leaf = classify(frames, ctx, swap)
            if hit:
                acc[key][0] += period
                acc[key][1] += period if lock else 0
                acc[key][2] += period if (spin or (leaf and ticket)) else 0
    return acc, any_slow


def finding(doc, fid):
    return next((f for f in doc["findings"] if f["id"] == fid), None)


def check_locks(doc, truth, name):
    for key, (total, lock, spin) in truth.items():
        f = finding(doc, key)
        if not f:
            check(total == 0 or key == "swap_free_exec" and total < 100,
                  "%s %s: no finding (perf: weight %d)" % (name, key, total))
            continue
        want_l, want_s = lock / total, spin / total
        check(abs(f["lock_share"] - want_l) < 1e-6,
              "%s %s lock_share %.4f (perf: %.4f)" % (name, key,
                                                       f["lock_share"], want_l))
        check(abs(f["lock_contended_share"] - want_s) < 1e-6,
              "%s %s lock_contended_share %.4f (perf: %.4f)"
              % (name, key, f["lock_contended_share"], want_s))


def case_locks():
    # 6.18 (cluster locks, queued spin locks): almost no spinning
    for name in ("apache-cgi", "apache-cgid"):
        data = os.path.join(TD, "services", name + ".data")
        doc = swapdiag_json(data, SVC_KSYMS)
        truth, _ = lock_truth(data, SVC_KSYMS, "cpu-clock", False)
        check_locks(doc, truth, name)
        dup = finding(doc, "swap_dup_fork")
        check(dup and dup["lock_contended_share"] < 0.10 and
              "per-PTE work" in dup["lock_note"],
              "%s: uncontended, the note blames the per-PTE work" % name)
        ids = [r["id"] for r in doc["remedies"]]
        check("kernel_4_11" not in ids and "kernel_3_9" not in ids,
              "%s: no lock-contention kernel remedy: %s" % (name, ids))
    # 2.6.32 (ticket locks): every sample in _spin_lock is spinning
    data = os.path.join(TD, "synthetic", "rhel6-seed.data")
    doc = swapdiag_json(data, SEED_KSYMS)
    truth, any_slow = lock_truth(data, SEED_KSYMS, "cycles", True)
    check(not any_slow, "rhel6-seed: no queued slow path (ticket locks)")
    check_locks(doc, truth, "rhel6-seed")
    dup = finding(doc, "swap_dup_fork")
    check(dup and dup["lock_contended_share"] > 0.9 and
          "contended" in dup["lock_note"],
          "rhel6-seed: contended, the note says so")
    ids = [r["id"] for r in doc["remedies"]]
    check("kernel_3_9" in ids, "rhel6-seed: finer-lock kernel remedy: %s" % ids)


def task_truth(data, ksyms):
    """Forks per executable between the first and the last sample (the
    span the rates divide by: perftruth.sample_span) and the swap_dup_fork
    weight per executable of the sampled process, from one perf script
    pass with the task and mmap records (the executable rule of
    tests/repro/services/facts.py: the first executable file map after an
    exec COMM or a synthesized one; a forked child runs its parent's
    executable; the children's execs over the whole file)."""
    import re
    span = sample_span(data)
    lines = perf_script(data, ksyms,
                        "comm,pid,tid,time,event,period,ip,sym",
                        ("--ns", "--show-task-events", "--show-mmap-events"))
    exe, pending, comm = {}, set(), {}
    forks, pids = {}, {}
    comms, execs, weight = {}, {}, {}
    head, frames = None, []

    def sample_done():
        if head is None:
            return
        m = re.match(r"\s*(.*?)\s+(\d+)/(\d+)\s+[\d.]+:\s+(\d+)\s+(\S+):",
                     head)
        if not m or not m.group(5).startswith("cpu-clock"):
            return
        hit, _, _, _ = classify(list(reversed(frames)), FORK_COPY, SWAP_DUP)
        if hit:
            e = exe.get(int(m.group(2)), "?")
            weight[e] = weight.get(e, 0) + int(m.group(4))

    for line in lines + [""]:
        if line and line[0] in " \t":
            parts = line.split()
            if head is not None and len(parts) >= 2:
                frames.append(parts[1].split("+0x")[0])
            continue
        sample_done()
        head, frames = None, []
        if not line.strip():
            continue
        m = re.search(r"\s(\d+\.\d+): PERF_RECORD_(\w+)(.*)$", line)
        if not m:
            head = line
            continue
        t, kind, rest = ns(m.group(1)), m.group(2), m.group(3)
        if kind == "FORK":
            f = re.match(r"\((\d+):(\d+)\):\((\d+):(\d+)\)", rest)
            child, ctid = int(f.group(1)), int(f.group(2))
            parent, ptid = int(f.group(3)), int(f.group(4))
            comm[ctid] = comm.get(ptid, "?")
            if child != ctid:
                continue
            exe[child] = exe.get(parent, "?")
            if t > 0 and in_span(t, span):
                e = exe[child]
                forks[e] = forks.get(e, 0) + 1
                pids.setdefault(e, set()).add(parent)
                c = comms.setdefault(e, {})
                c[comm.get(ptid, "?")] = c.get(comm.get(ptid, "?"), 0) + 1
        elif kind == "COMM":
            c = re.match(r"( exec)?: (.*):(\d+)/(\d+)", rest)
            comm[int(c.group(4))] = c.group(2)
            if c.group(1) or t == 0:
                pending.add(int(c.group(3)))
        elif kind in ("MMAP", "MMAP2"):
            mm = re.match(r" (\d+)/(\d+): \[.*\]: (\S+) (\S+)", rest)
            if not mm:
                continue
            pid, prot, path = int(mm.group(1)), mm.group(3), mm.group(4)
            if pid in pending and "x" in prot and path.startswith("/"):
                old = exe.get(pid)
                exe[pid] = path
                pending.discard(pid)
                if t > 0 and old:
                    x = execs.setdefault(old, {})
                    x[path] = x.get(path, 0) + 1
    return forks, pids, comms, execs, weight


def check_bundle_vmswap():
    import io
    import re
    import tarfile
    svc = os.path.join(TD, "services")
    with open(os.path.join(svc, "apache-cgi.meta")) as f:
        meta = f.read()
    after = meta.split("after the push into swap:")[1].split("command:")[0]
    rows = re.findall(r"pid (\d+) (\S+) VmRSS (\d+) kB VmSwap (\d+) kB", after)
    tsv = "# pid\tcomm\tvmswap_kib\tvmrss_kib\n" + "".join(
        "%s\t%s\t%s\t%s\n" % (p, c, s, r) for p, c, r, s in rows)
    ks = subprocess.run(["zstd", "-qdc", SVC_KSYMS], check=True,
                        stdout=subprocess.PIPE).stdout
    with open(os.path.join(svc, "apache-cgi.data"), "rb") as f:
        data = f.read()
    tmp = tempfile.mkdtemp(prefix="insight.")
    try:
        path = os.path.join(tmp, "apache-cgi.swapdiag.tar")
        with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
            for name, body in (("manifest.json",
                                b'{"format": "swapdiag-bundle/1"}'),
                               ("swapped-procs.tsv", tsv.encode()),
                               ("kallsyms", ks), ("perf.data", data)):
                ti = tarfile.TarInfo(name)
                ti.size = len(body)
                t.addfile(ti, io.BytesIO(body))
        p = subprocess.run([SWAPDIAG, "--no-progress", path, "--json", "-"],
                           capture_output=True, timeout=300)
        doc = json.loads(p.stdout.decode())
        validate(doc)
        p = subprocess.run([SWAPDIAG, "--no-progress", "--no-color", path],
                           capture_output=True, timeout=300)
        out = p.stdout.decode()
    finally:
        shutil.rmtree(tmp)
    fk = finding(doc, "swap_dup_fork")["forkers"]
    swap = {int(p): int(s) for p, c, r, s in rows}
    want = max(swap[p] for p in fk[0]["pids"] if p in swap)
    check(fk[0]["vmswap_kib"] == want,
          "bundle: apache2's VmSwap %s kB (the largest of its forking "
          "processes: %d kB)" % (fk[0]["vmswap_kib"], want))
    check("(%.0f MiB of its memory in swap)" % (want / 1024) in out,
          "bundle text: VmSwap %.0f MiB on the forker line" % (want / 1024))


def case_forkers():
    for name in ("apache-cgi", "apache-cgid"):
        data = os.path.join(TD, "services", name + ".data")
        with open(os.path.join(TD, "services", name + ".facts.json")) as f:
            facts = json.load(f)
        doc = swapdiag_json(data, SVC_KSYMS)
        forks, pids, comms, execs, weight = task_truth(data, SVC_KSYMS)
        per_exe = facts["tasks"]["forks_per_exe"]
        dup = finding(doc, "swap_dup_fork")
        fk = dup["forkers"] if dup else []
        want = sorted(e for e in weight if forks.get(e))
        check(sorted(k["exe"] for k in fk) == want,
              "%s: forkers %s (perf: %s)" % (name, [k["exe"] for k in fk],
                                             want))
        for k in fk:
            e = k["exe"]
            check(k["forks"] == forks.get(e) == per_exe[e]["forks"],
                  "%s %s: %d forks (perf script: %s, facts: %d)"
                  % (name, e, k["forks"], forks.get(e), per_exe[e]["forks"]))
            check(k["nr_pids"] == len(pids[e]) == per_exe[e]["forking_pids"]
                  and k["pids"] == sorted(pids[e])[:32],
                  "%s %s: forking pids %s" % (name, e, k["pids"]))
            top = max(comms[e].items(), key=lambda x: (x[1], x[0]))[0]
            check(k["comm"] == top, "%s %s: comm %s (perf: %s)"
                  % (name, e, k["comm"], top))
            got = {x["exe"]: x["count"] for x in k["execs"]}
            check(got == execs.get(e, {}) == per_exe[e]["execs_of_children"],
                  "%s %s: children exec %s" % (name, e, got))
            ms = weight[e] / 1e6
            check(abs(k["cpu_ms"] - ms) < 1e-3,
                  "%s %s: cpu_ms %.3f (perf: %.3f)" % (name, e, k["cpu_ms"], ms))
            check(abs(k["cpu_ms_per_fork"] / (ms / forks[e]) - 1) < 1e-5,
                  "%s %s: cpu_ms_per_fork %.3f (perf: %.3f)"
                  % (name, e, k["cpu_ms_per_fork"], ms / forks[e]))
            dur = doc["input"]["duration_s"]
            check(dur and abs(k["forks_per_s"] - forks[e] / dur) < 1e-3,
                  "%s %s: forks_per_s %.2f" % (name, e, k["forks_per_s"]))
        # the text names the forker and its cost per fork
        p = subprocess.run([SWAPDIAG, "--no-progress", "--no-color",
                            "--kallsyms", SVC_KSYMS, data],
                           capture_output=True, timeout=300)
        out = p.stdout.decode()
        k = fk[0] if fk else None
        line = ("forker: apache2 forked %.0f/s (%d forks), each fork spent "
                "%.1f ms copying swap entries" %
                (k["forks_per_s"], k["forks"], k["cpu_ms_per_fork"])) if k else "?"
        check(line in out, "%s text: %r" % (name, line))
    # a bundle: each forker's VmSwap, from its swapped-procs.tsv (the
    # recording's own .meta figures after the push into swap)
    check_bundle_vmswap()
    # mod_cgid: one forker, the daemon
    doc = swapdiag_json(os.path.join(TD, "services", "apache-cgid.data"),
                        SVC_KSYMS)
    fk = finding(doc, "swap_dup_fork")["forkers"]
    check(len(fk) == 1 and fk[0]["nr_pids"] == 1,
          "apache-cgid: one forking process")


# Every service row of src/detect/services.c with the names it matches,
# written out again: a row may only name a service a forker is.
SERVICE_ROWS = {
    "mod_cgid": "apache", "apache_small_launcher": "apache",
    "redis_persistence": "redis", "postgres_pooler": "postgres",
    "gunicorn_workers": "gunicorn", "uwsgi_workers": "uwsgi",
    "unicorn_workers": "unicorn", "puma_workers": "puma",
    "php_fpm_workers": "php-fpm", "python_start_method": "python",
    "restart_small_daemon": "daemon",
}
SERVICE_NAMES = {
    "apache": ("apache2", "httpd"), "redis": ("redis-",),
    "postgres": ("postgres", "postmaster"), "gunicorn": ("gunicorn",),
    "uwsgi": ("uwsgi",), "unicorn": ("unicorn",), "puma": ("puma",),
    "php-fpm": ("php-fpm",), "python": ("python",),
    "daemon": ("cron", "crond", "sshd", "atd", "zabbix", "telegraf"),
}


def rows_fit(doc, forker_names, name):
    """Service rows only for services the forkers are."""
    for r in doc["remedies"]:
        svc = SERVICE_ROWS.get(r["id"])
        if not svc:
            continue
        ok = r["applies_to"] and all(
            a in forker_names and a.startswith(SERVICE_NAMES[svc])
            for a in r["applies_to"])
        check(ok, "%s: %s applies to %s, forkers %s"
              % (name, r["id"], r["applies_to"], sorted(forker_names)))


def case_remedies():
    # mod_cgi: the workers fork (perf: 253 forks by 8 apache2 processes)
    for name, want, not_want in (
            ("apache-cgi", "mod_cgid", "apache_small_launcher"),
            ("apache-cgid", "apache_small_launcher", "mod_cgid")):
        data = os.path.join(TD, "services", name + ".data")
        doc = swapdiag_json(data, SVC_KSYMS)
        forks, pids, _, _, _ = task_truth(data, SVC_KSYMS)
        procs = len(pids["/usr/sbin/apache2"])
        ids = [r["id"] for r in doc["remedies"]]
        check(want in ids and not_want not in ids,
              "%s (%d forking apache2 processes by perf): %s, not %s: %s"
              % (name, procs, want, not_want, ids))
        r = next((r for r in doc["remedies"] if r["id"] == want), None)
        check(r and r["applies_to"] == ["apache2"] and
              ("%d forking process" % procs) in r["because"] and
              ("%d forks" % forks["/usr/sbin/apache2"]) in r["because"],
              "%s: %s for apache2 because %r" % (name, want,
                                                  r and r["because"]))
        names = {os.path.basename(k["exe"]) for f in doc["findings"]
                 for k in f.get("forkers") or []}
        rows_fit(doc, names, name)
        p = subprocess.run([SWAPDIAG, "--no-progress", "--no-color",
                            "--kallsyms", SVC_KSYMS, data],
                           capture_output=True, timeout=300)
        out = p.stdout.decode()
        check("because apache2: %d forking process" % procs in out,
              "%s text: the service row's because" % name)
    # Redis: its own samples as perf script text (no task records: the
    # finding's comm names the service); it forks on purpose, so neither
    # posix_spawn nor MADV_DONTFORK, and nothing for Apache
    lines = perf_script(os.path.join(TD, "services", "redis-bgsave.data"),
                        SVC_KSYMS, "comm,pid,tid,cpu,time,period,event,ip,sym",
                        ("--comms", "redis-server"))
    dup = sum(1 for _, fr in samples(lines, "cpu-clock")
              if classify(fr, FORK_COPY, SWAP_DUP)[0])
    p = subprocess.run([SWAPDIAG, "--no-progress", "-", "--json", "-"],
                       input="\n".join(lines).encode(), capture_output=True,
                       timeout=300)
    doc = json.loads(p.stdout.decode())
    validate(doc)
    f = finding(doc, "swap_dup_fork")
    check(f and f["samples"] == dup, "redis text: swap_dup_fork %s samples "
          "(perf: %d)" % (f and f["samples"], dup))
    ids = [r["id"] for r in doc["remedies"]]
    check("redis_persistence" in ids and "posix_spawn" not in ids and
          "madv_dontfork" not in ids and "mod_cgid" not in ids and
          "apache_small_launcher" not in ids, "redis: its own rows: %s" % ids)
    rows_fit(doc, {"redis-server"}, "redis")


def case_hot():
    """Recordings without swap entries: the fork_copy finding, its
    remedies, and where the CPU went, against perf script's stacks."""
    noswap_ks = os.path.join(TD, "kallsyms",
                             "host-6.18.44-fc-v782.kallsyms.zst")
    for name, data, ks in (
            ("apache-swapoff", os.path.join(TD, "services",
                                            "apache-swapoff.data"), SVC_KSYMS),
            ("storm-noswap", os.path.join(TD, "storm-noswap.data"),
             noswap_ks)):
        doc = swapdiag_json(data, ks)
        lines = perf_script(data, ks, "comm,pid,event,period,ip,sym")
        total = copy = copy_n = swap = tear = tear_n = 0
        comm_w = {}
        for period, fr in samples(lines, "cpu-clock"):
            total += period
            if classify(fr, FORK_COPY, SWAP_DUP)[0] or \
               classify(fr, TEARDOWN, SWAP_FREE)[0]:
                swap += 1
            if any(f in FORK_COPY for f in fr) and \
               not classify(fr, FORK_COPY, SWAP_DUP)[0]:
                copy += period
                copy_n += 1
            if any(f in TEARDOWN for f in fr):
                tear += period
                tear_n += 1
        for line in lines:
            if line and line[0] not in " \t" and "cpu-clock" in line:
                toks = line.split()
                k = next(i for i, t in enumerate(toks)
                         if t.startswith("cpu-clock"))
                comm = " ".join(toks[:k - 2])
                comm_w[comm] = comm_w.get(comm, 0) + int(toks[k - 1])
        check(swap == 0, "%s: perf shows no swap-entry frames" % name)
        ids = [f["id"] for f in doc["findings"]]
        check("swap_dup_fork" not in ids and "swap_free_exec" not in ids,
              "%s: no swap-entry finding: %s" % (name, ids))
        check(doc["verdict"].split(": ", 1)[1].startswith(
            "no fork/exec swap-entry work; fork page-table copying"),
              "%s verdict: %r" % (name, doc["verdict"]))
        f = finding(doc, "fork_copy")
        check(f and f["samples"] == copy_n and
              abs(f["share"] - copy / total) < 1e-6,
              "%s: fork_copy %s samples, share %.4f (perf: %d, %.4f)"
              % (name, f and f["samples"], f["share"] if f else -1, copy_n,
                 copy / total))
        want = "critical" if copy / total >= 0.25 else \
            "warning" if copy / total >= 0.10 else "info"
        check(f and f["severity"] == want, "%s: fork_copy %s" % (name, want))
        rem = [r["id"] for r in doc["remedies"]]
        check(not set(rem) & {"memcg_v1", "memcg_v2", "swapoff",
                              "swappiness", "kernel_3_9", "kernel_4_11",
                              "kernel_6_14", "restart_small_daemon"} and
              "posix_spawn" in rem, "%s: no swap remedies: %s" % (name, rem))
        hot = doc["hot"]
        paths = {p["name"]: p for p in hot["kernel_paths"]}
        tp = paths.get("exit/exec teardown")
        check(tp and tp["samples"] == tear_n and
              abs(tp["share"] - tear / total) < 1e-6,
              "%s: hot teardown %s (perf: %d samples)"
              % (name, tp and tp["samples"], tear_n))
        fp = paths.get("fork page-table copying")
        check(fp and abs(fp["share"] - copy / total) < 1e-6 and
              fp["frames"][-1] in FORK_COPY,
              "%s: hot fork page-table copying %.4f" % (name, copy / total))
        top = max(comm_w.items(), key=lambda x: x[1])
        hp = hot["processes"][0]
        check(hp["comm"] == top[0] and abs(hp["share"] - top[1] / total) < 1e-6,
              "%s: hottest process %s %.4f (perf: %s %.4f)"
              % (name, hp["comm"], hp["share"], top[0], top[1] / total))
        p = subprocess.run([SWAPDIAG, "--no-progress", "--no-color",
                            "--kallsyms", ks, data], capture_output=True,
                           timeout=300)
        out = p.stdout.decode()
        check(out.split(": ", 1)[1].startswith("no fork/exec swap-entry work")
              and "Where the CPU went (no swap-entry work):" in out and
              "%s %.1f%%" % (top[0], 100 * top[1] / total) in out,
              "%s text: no swap-entry work, then where the CPU went" % name)
    # with swap entries: the fork side's copying stays the finding's
    # context, no fork_copy
    doc = swapdiag_json(os.path.join(TD, "services", "apache-cgi.data"),
                        SVC_KSYMS)
    check(finding(doc, "fork_copy") is None and
          finding(doc, "swap_dup_fork") is not None,
          "apache-cgi: swap_dup_fork, no fork_copy")


CASES = {"locks": case_locks, "forkers": case_forkers,
         "remedies": case_remedies, "hot": case_hot}

if __name__ == "__main__":
    if not shutil.which("perf"):
        print("skipped: perf is not installed")
        sys.exit(77)
    if not os.path.exists(os.path.join(TD, "services", "apache-cgi.data")):
        print("skipped: no testdata/services")
        sys.exit(77)
    CASES[CASE]()
    if not checks_made:
        failures.append("case %s made no checks" % CASE)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
