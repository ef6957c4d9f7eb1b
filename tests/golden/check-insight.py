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

SWAPDIAG, TD, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
SVC_KSYMS = os.path.join(TD, "kallsyms", "host-6.18.44-fc-v1045.kallsyms.zst")
SEED_KSYMS = os.path.join(TD, "synthetic", "rhel6-seed.kallsyms")

# The matching rule (DESIGN.md, KERNEL.md), written out again.
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
# A spin lock acquired below the swap frame; spinning = the queued slow
# path (or, with ticket locks, the acquire frame being the innermost);
# an interrupt entry ends the interrupted code's frames.
ACQUIRE = {"_spin_lock", "_spin_lock_irq", "_spin_lock_irqsave",
           "_spin_lock_bh", "_raw_spin_lock", "_raw_spin_lock_irq",
           "_raw_spin_lock_irqsave", "_raw_spin_lock_bh", "do_raw_spin_lock"}
SLOW = {"native_queued_spin_lock_slowpath", "queued_spin_lock_slowpath",
        "__pv_queued_spin_lock_slowpath", "pv_queued_spin_lock_slowpath",
        "__pv_queued_spin_lock"}

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def validate(doc):
    try:
        import jsonschema
    except ImportError:
        return
    root = os.path.dirname(os.path.abspath(TD))
    with open(os.path.join(root, "man", "swapdiag-report.schema.json")) as f:
        schema = json.load(f)
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        check(False, "JSON report matches the schema: %s at %s" %
              (e.message, list(e.absolute_path)))


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
        ks = os.path.join(tmp, "kallsyms")
        if ksyms.endswith(".zst"):
            raw = subprocess.run(["zstd", "-qdc", ksyms], check=True,
                                 stdout=subprocess.PIPE).stdout
        else:
            with open(ksyms, "rb") as f:
                raw = f.read()
        with open(ks, "wb") as f:
            f.writelines(l + b"\n" for l in raw.splitlines()
                         if b" __pfx_" not in l)
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


CASES = {"locks": case_locks}

if __name__ == "__main__":
    if not shutil.which("perf"):
        print("skipped: perf is not installed")
        sys.exit(77)
    if not os.path.exists(os.path.join(TD, "services", "apache-cgi.data")):
        print("skipped: no testdata/services")
        sys.exit(77)
    CASES[CASE]()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
