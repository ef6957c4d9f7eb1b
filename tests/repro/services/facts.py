#!/usr/bin/env python3
"""Facts about the real-service recordings, by perf's own account.

usage: facts.py SERVICES_DIR KALLSYMS_ZST [README]

For every SERVICES_DIR/NAME.data (made by record.sh) it writes
  NAME.stalls.txt   every D-state sleep (sched_switch prev_state=D) with its
                    switch-in, blocked time, the lock address the task was
                    contending for (its open lock:contention_begin), the lock
                    the reader path names, the kernel path, and the holding
                    activity around it (see below);
  NAME.facts.json   counts: samples per event (perf report --stats), forks
                    per executable (FORK records, the executable from each
                    process's MMAP of its main binary), swap-frame samples,
                    sleeps per lock kind, lock objects;
and, with README, replaces its section between the markers
<!-- BEGIN tests/repro/services --> and <!-- END tests/repro/services -->.

Nothing here is estimated: perf script, perf report --stats and the .meta
files written during the recording are the only sources.  The rules that
classify a stack are written out here again (as in tests/golden), not
taken from swapdiag:
  - swap dup: swap_duplicate/__swap_duplicate below a fork page-table
    copy frame; swap free: a swap-entry release frame below a teardown frame;
  - a sleep's lock: the reader frame nearest rwsem_down_read_slowpath names
    it (mmap_lock readers: __access_remote_vm, environ_read, m_start, ...;
    exec lock readers: mm_access, do_task_stat, lock_trace, ...);
  - holding activity: cpu-clock samples whose stack has a fork page-table
    copy frame (mmap_lock) or an exec address-space replacement frame
    (begin_new_exec, flush_old_exec, exec_mmap: the exec lock), inside the
    sleep [switch-out, switch-in] and in the 2 ms after it;
  - a lock's owner from contention: a lock:contention_begin whose stack
    calls down_write(_killable) right from dup_mmap/dup_mm (its mmap_lock)
    or exec_mmap/begin_new_exec/flush_old_exec (its exec lock).
"""
import bisect
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
import stalls as S  # noqa: E402  (tests/repro/stalls.py: perf script parsing)
import perftruth as P  # noqa: E402  (tests/perftruth.py)
# the rules that classify a stack (tests/perftruth.py)
from perftruth import (EXEC_REPLACE, FORK_COPY, SWAP_DUP,  # noqa: E402
                       SWAP_FREE, TEARDOWN, has_below, ns, stall_kind)

NAMES = ["apache-cgi", "apache-cgid", "apache-swapoff", "redis-bgsave"]
PURPOSE = {
    "apache-cgi": "Apache 2.4 prefork, mod_perl preloading a 256 MiB Perl heap in the "
                  "parent, mod_cgi; a memory cgroup (v1) limit pushed the heap into "
                  "swap (parent and all 8 workers ~231 MiB VmSwap each); `ab -c 8` on a "
                  "2-line shell CGI and a `ps -eo pid,stat,args` + `top -b -n1` loop",
    "apache-cgid": "the same with mod_cgid: the cgid daemon is forked after the preload, "
                   "inherits the heap (its VmSwap as large as the workers'), and forks "
                   "every CGI itself",
    "apache-swapoff": "as apache-cgi, then `swapoff`/`swapon` of the swap file before the "
                      "load: no swap entries (VmSwap 0), a 274 MiB resident parent and "
                      "workers: fork page-table copying without swap-entry work",
    "redis-bgsave": "Redis 7.0 with 3000 values of 100 kB (~300 MiB), pushed into swap "
                    "(~255 MiB VmSwap), a `redis-cli BGSAVE` loop (fork-and-exit "
                    "children, the RDB file in /dev/shm) and the ps/top loop",
}

RELEASE_NS = 2_000_000
ON_CPU = "cpu-clock/freq=999/"


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.decode("utf-8", "replace")


def lock_kind(frames_root_first):
    return stall_kind(frames_root_first) or "-"


def own_lock_write(frames_leaf_first, owners):
    """down_write(_killable) called right from an owner frame."""
    for i, fr in enumerate(frames_leaf_first):
        if fr in ("down_write_killable", "down_write"):
            return i + 1 < len(frames_leaf_first) and frames_leaf_first[i + 1] in owners
    return False


def stats(data):
    counts, ev = {}, None
    for line in run(["perf", "report", "-f", "--stats", "-i", data]).splitlines():
        m = re.match(r"^(\S.*) stats:$", line)
        if m:
            ev = None if m.group(1) == "Aggregated" else m.group(1)
            continue
        m = re.match(r"\s+(\S+) events:\s+(\d+)", line)
        if m and ev is None:
            counts["record:" + m.group(1)] = int(m.group(2))
        elif m and m.group(1) == "SAMPLE":
            counts[ev] = int(m.group(2))
    return counts


def task_events(data, raw=False, span=None):
    """Forks per executable, from FORK/COMM/MMAP records in time order: the
    forks between the first and the last sample (span, ns; by default
    perftruth.sample_span), under the executable the parent ran; what the
    children exec'd and the record counts over the whole file.  With raw,
    also "forking_pids_of" (executable -> set of pids that forked in the
    span) and "exe_at_end" (pid -> the executable it runs at the end)."""
    span = span or P.sample_span(data)
    out = run(["perf", "script", "-f", "--ns", "-i", data, "--show-task-events",
               "--show-mmap-events", "-F", "comm,pid,tid,time"])
    exe, pending, comm = {}, set(), {}
    forks = collections.Counter()
    fork_comms = collections.defaultdict(collections.Counter)
    execs = collections.defaultdict(collections.Counter)
    forkers = collections.defaultdict(set)
    nfork = nexit = ncomm_exec = 0
    for line in out.splitlines():
        m = re.search(r"\s(\d+\.\d+): PERF_RECORD_(\w+)(.*)$", line)
        if not m:
            continue
        t, kind, rest = ns(m.group(1)), m.group(2), m.group(3)
        if kind == "FORK":
            f = re.match(r"\((\d+):(\d+)\):\((\d+):(\d+)\)", rest)
            child, ctid = int(f.group(1)), int(f.group(2))
            parent, ptid = int(f.group(3)), int(f.group(4))
            comm[ctid] = comm.get(ptid, "?")
            if child != ctid:
                continue            # a new thread, not a process
            exe[child] = exe.get(parent, "?")
            if t > 0:               # recorded, not synthesized at start
                nfork += 1
            if t > 0 and P.in_span(t, span):
                forks[exe[child]] += 1
                fork_comms[exe[child]][comm.get(ptid, "?")] += 1
                forkers[exe[child]].add(parent)
        elif kind == "COMM":
            c = re.match(r"( exec)?: (.*):(\d+)/(\d+)", rest)
            pid = int(c.group(3))
            comm[int(c.group(4))] = c.group(2)
            if c.group(1) or t == 0:
                pending.add(pid)
                if c.group(1) and t > 0:
                    ncomm_exec += 1
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
                    execs[old][path] += 1
        elif kind == "EXIT" and t > 0:
            nexit += 1
    extra = {"forking_pids_of": dict(forkers), "exe_at_end": exe} if raw else {}
    return {
        **extra,
        "fork_records": nfork, "exit_records": nexit, "exec_comm_records": ncomm_exec,
        "forks_per_exe": {e: {"forks": n, "forking_pids": len(forkers[e]),
                              "comms": dict(fork_comms[e]),
                              "execs_of_children": dict(execs[e])}
                          for e, n in forks.most_common()},
    }


def samples(data, ks, on_cpu_event=ON_CPU, symfs=None):
    """Counts, D-state sleeps, holding activity and lock owners; the on-CPU
    event is ON_CPU unless named."""
    lines = S.run_perf(data, ks, symfs)
    on_cpu = dup = free = fork_copy = teardown = 0
    acts = {"mmap_lock_stall": [], "exec_lock_stall": []}  # (t, pid)
    owners = {}             # lock address -> (pid, kind)
    waiting = {}            # tid -> lock address
    pending, rows = {}, []
    ncont = 0
    for m, frames in S.records(lines):
        tid, ev, t = int(m.group("tid")), m.group("event"), ns(m.group("time"))
        root = list(reversed(frames))
        if tid in pending and tid != 0:
            r = pending.pop(tid)
            r["seen"] = t
        if ev == on_cpu_event:
            on_cpu += 1
            if has_below(root, FORK_COPY, SWAP_DUP):
                dup += 1
            if has_below(root, TEARDOWN, SWAP_FREE):
                free += 1
            if any(f in FORK_COPY for f in root):
                fork_copy += 1
                acts["mmap_lock_stall"].append((t, int(m.group("pid"))))
            if any(f in TEARDOWN for f in root):
                teardown += 1
            if any(f in EXEC_REPLACE for f in root):
                acts["exec_lock_stall"].append((t, int(m.group("pid"))))
            continue
        if ev == "lock:contention_begin":
            ncont += 1
            a, fl = re.match(r"(0x[0-9a-f]+) \(flags=(\S*)\)", m.group("trace")).groups()
            waiting[tid] = a
            if "WRITE" in fl:
                if own_lock_write(frames, {"dup_mmap", "dup_mm"}):
                    owners.setdefault((a, "mmap_lock_stall"), int(m.group("pid")))
                if own_lock_write(frames, EXEC_REPLACE):
                    owners.setdefault((a, "exec_lock_stall"), int(m.group("pid")))
            continue
        if ev == "lock:contention_end":
            ncont += 1
            waiting.pop(tid, None)
            continue
        if ev != "sched:sched_switch":
            continue
        s = S.SWITCH.search(m.group("trace"))
        if not s:
            continue
        npid = int(s.group("npid"))
        if npid in pending:
            pending.pop(npid)["in"] = t
        if "D" in s.group("state"):
            ptid = int(s.group("ppid"))
            pending.pop(ptid, None)
            r = {"comm": s.group("pcomm"), "pid": int(m.group("pid")), "tid": ptid,
                 "cpu": int(m.group("cpu")), "out": t, "in": None, "seen": None,
                 "lock": waiting.get(ptid, "-"), "kind": lock_kind(root),
                 "path": S.kernel_path(frames)}
            pending[ptid] = r
            rows.append(r)
    for k in acts:
        acts[k].sort()
    return {"on_cpu": on_cpu, "swap_dup": dup, "swap_free": free,
            "fork_copy": fork_copy, "teardown": teardown,
            "contention_events": ncont}, rows, acts, owners


def activity(acts, r):
    """pid:samples:last_ns[:after] of the holding activity in the sleep."""
    if r["kind"] not in acts:
        return "-"
    v = acts[r["kind"]]
    ts = [a[0] for a in v]
    end = r["in"] or r["seen"] or r["out"]
    i0, i1 = bisect.bisect_left(ts, r["out"]), bisect.bisect_right(ts, end)
    i2 = bisect.bisect_right(ts, end + RELEASE_NS)
    cnt, last = collections.Counter(), {}
    for t, p in v[i0:i1]:
        cnt[p] += 1
        last[p] = t
    after = {p for t, p in v[i1:i2]}
    return ",".join("%d:%d:%d%s" % (p, cnt[p], last[p], ":after" if p in after else "")
                    for p in sorted(cnt)) or "-"


def meta(path):
    out = {"lines": []}
    if os.path.exists(path):
        with open(path) as f:
            out["lines"] = f.read().splitlines()
    return out


def write_stalls(path, name, rows, acts, owners):
    def fmt(t):
        return "%d.%09d" % divmod(t, 10**9) if t else "-"
    with open(path, "w") as f:
        f.write("# D-state sleeps of %s.data (sched_switch prev_state=D), by perf script "
                "--ns; made by tests/repro/services/facts.py\n" % name)
        f.write("# lock: the address of the task's open lock:contention_begin at the "
                "switch-out ('-' none); kind: the lock the reader path names\n")
        f.write("# activity: holding-activity samples (cpu-clock) in the sleep, "
                "pid:samples:last_ns, ':after' if it went on within 2 ms after\n")
        for (a, k), p in sorted(owners.items()):
            f.write("# owner %s %s %d (contended for its write side from its own "
                    "holding path)\n" % (k, a, p))
        f.write("# comm\tpid/tid\tcpu\tswitch_out\tswitch_in\tblocked_us\tseen_again\t"
                "lock\tkind\tkernel_path\tactivity\n")
        for r in rows:
            blocked = "%.3f" % ((r["in"] - r["out"]) / 1000) if r["in"] else "-"
            f.write("\t".join([r["comm"], "%d/%d" % (r["pid"], r["tid"]), str(r["cpu"]),
                               fmt(r["out"]), fmt(r["in"]), blocked, fmt(r["seen"]),
                               r["lock"], r["kind"], r["path"], activity(acts, r)]) + "\n")


def stall_summary(rows):
    out = {}
    for kind in ("mmap_lock_stall", "exec_lock_stall", "other_dstate"):
        rs = [r for r in rows if r["kind"] == kind]
        done = [(r["in"] - r["out"]) / 1e6 for r in rs if r["in"]]
        out[kind] = {"sleeps": len(rs), "switched_in": len(done),
                     "blocked_ms": round(sum(done), 6),
                     "max_ms": round(max(done), 6) if done else None,
                     "lock_objects": len({r["lock"] for r in rs if r["lock"] != "-"}),
                     "with_lock_address": sum(r["lock"] != "-" for r in rs),
                     "victims": dict(collections.Counter(r["comm"] for r in rs))}
    out["d_switch_outs"] = len(rows)
    return out


def section(td, facts):
    ks = facts["_kallsyms"]
    host = facts["_host"]
    out = ["<!-- BEGIN tests/repro/services (generated by tests/repro/services/facts.py) -->",
           "## Real services (tests/repro/services/record.sh)", "",
           "Recorded on one host and one boot: %s. Each scenario set its service up "
           "on 127.0.0.1, pushed its memory into a 1 GiB swap file "
           "(`/var/tmp/swapdiag-services.swap`, priority 100) by lowering a memory "
           "cgroup v1 limit (`/sys/fs/cgroup/memory/swapdiag-services`, "
           "`memory.swappiness` 100) to 48 MiB for a second and lifting it again, "
           "drove its load, and recorded %s seconds; everything was torn down "
           "afterwards. Remake them with `tests/repro/services/record.sh` (as root; "
           "Debian 12: `apt-get install apache2 libapache2-mod-perl2 redis-server "
           "apache2-utils`), then `tests/repro/services/facts.py testdata/services "
           "%s testdata/README.md`. `NAME.meta` keeps each recording's command, "
           "boot id, the services' VmRSS/VmSwap before and after, and the load's "
           "own figures (ab, redis INFO)." % (host, "3 (Redis: 5)",
                                              facts["_kallsyms_arg"]), "",
           "- **Kernel symbols**: `%s`, the full `/proc/kallsyms` of that boot "
           "(zstd). All four recordings need it." % ks,
           "- **User symbols**: none shipped (Debian's binaries are stripped; "
           "user frames fold to their DSO).",
           "- **Shared machine**: the recordings are system-wide (`-a`) on a "
           "2-CPU guest that other engineers used at the same time; their "
           "compilers, tests and shells are in the files too (record.sh waits "
           "until no `forkswap` or other `perf` runs). Counts below are whole-file, "
           "except the forks per executable: those are between the first and "
           "the last sample (the span swapdiag's rates divide by; perf records "
           "forks before its first sample while it starts), their children's "
           "execs again whole-file.",
           "- **Truth files**: `NAME.stalls.txt` (every D sleep with its "
           "switch-in, the contended lock's address, the lock its reader path "
           "names, and the holding activity in and after it) and `NAME.facts.json` "
           "(the counts in the table), made by facts.py from perf script and perf "
           "report --stats; tests/golden/check-diagnosis.py checks swapdiag's "
           "JSON against them field by field.", "",
           "| file | bytes | what | command | facts (from perf) |",
           "|---|---|---|---|---|"]
    for n in NAMES:
        f = facts.get(n)
        if not f:
            continue
        st = f["stats"]
        ev = "; ".join("`%s`: %d samples" % (k, v) for k, v in st.items()
                       if not k.startswith("record:"))
        te = f["tasks"]
        def service(e):
            return any(x in e for x in ("apache2", "redis"))
        top = [(e, d) for e, d in te["forks_per_exe"].items() if service(e)]
        rest = [d["forks"] for e, d in te["forks_per_exe"].items() if not service(e)]
        fk = "; ".join("%s %d forks by %d pid(s) (comm %s)%s" % (
            "`%s`" % e, d["forks"], d["forking_pids"],
            ", ".join("`%s` %d" % kv for kv in sorted(d["comms"].items())),
            (", children exec " + ", ".join("`%s` %d" % kv for kv in
                                            sorted(d["execs_of_children"].items())))
            if d["execs_of_children"] else "")
            for e, d in top)
        fk += "; other executables (the machine's other users, the loops): %d " \
              "forks by %d executables (all in NAME.facts.json)" % (sum(rest), len(rest))
        sm = f["samples"]
        sl = f["stalls"]
        stall = "; ".join(
            "%s: %d sleeps (%d switched in, %.1f ms blocked, longest %s ms), %d on a "
            "lock address, %d lock objects" % (
                k, sl[k]["sleeps"], sl[k]["switched_in"], sl[k]["blocked_ms"],
                "%.1f" % sl[k]["max_ms"] if sl[k]["max_ms"] is not None else "-",
                sl[k]["with_lock_address"], sl[k]["lock_objects"])
            for k in ("mmap_lock_stall", "exec_lock_stall", "other_dstate"))
        cmd = next((l[len("command: "):] for l in f["meta"]["lines"]
                    if l.startswith("command: ")), "?")
        facts_txt = ("%s; records: FORK %d, EXIT %d, COMM exec %d (perf script "
                     "--show-task-events, after the start); forks per executable (between "
                     "the first and the last sample): %s; "
                     "cpu-clock samples under a fork page-table copy frame %d, of them "
                     "with swap_duplicate below %d; under a teardown frame %d, of them "
                     "with a swap-entry release frame below %d; lock:contention "
                     "events %d; D switch-outs %d; %s" % (
                         ev, te["fork_records"], te["exit_records"],
                         te["exec_comm_records"], fk or "none", sm["fork_copy"],
                         sm["swap_dup"], sm["teardown"], sm["swap_free"],
                         sm["contention_events"], sl["d_switch_outs"], stall))
        out.append("| `services/%s.data` | %d | %s | `%s` | %s |" % (
            n, f["bytes"], PURPOSE[n], cmd, facts_txt.replace("|", "\\|")))
    out += ["", "What they show (6.18.44, cluster swap locks):", "",
            "- **`top` and `ps` stall on `/proc/PID/stat`** "
            "(`proc_single_show` → `do_task_stat` → `down_read_killable` → "
            "`rwsem_down_read_slowpath`) only where the forked children exec "
            "(the Apache files): `do_task_stat` takes the target's "
            "`exec_update_lock` on this kernel (Jann Horn's procfs lock fix, "
            "sent to stable in 2026), which exec holds for write while it tears "
            "down the old mm with its swap entries. Their lock addresses are "
            "per-process (signal_struct) objects, distinct from the mm "
            "addresses `environ_read`/`proc_pid_cmdline_read` readers wait on.",
            "- **mod_cgid does not help with a preloaded heap**: one process, "
            "the cgid daemon, does all the forking and holds the only contended "
            "mmap_lock (its own `dup_mmap` contended for it, which ties the lock "
            "to it).",
            "- **After swapoff/swapon** there is no swap-entry work, but fork "
            "page-table copying of the large resident parent stays, and "
            "`ps`/`top` still stall on both locks.",
            "- **Redis BGSAVE** forks rarely (a few per 5 s): the swap-entry "
            "share of CPU is small; the cost is per fork. Debian's "
            "`/usr/bin/redis-server` is a symlink: its MMAP records name "
            "`/usr/bin/redis-check-rdb`, the comm is `redis-server`.",
            "<!-- END tests/repro/services -->"]
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 64
    td, ks = argv[1], argv[2]
    facts = {}
    facts["_kallsyms"] = os.path.relpath(os.path.abspath(ks),
                                         os.path.dirname(os.path.abspath(td)))
    facts["_kallsyms_arg"] = ks
    facts["_host"] = "?"
    for n in NAMES:
        data = os.path.join(td, n + ".data")
        if not os.path.exists(data):
            continue
        st = stats(data)
        tasks = task_events(data)
        sm, rows, acts, owners = samples(data, ks)
        write_stalls(os.path.join(td, n + ".stalls.txt"), n, rows, acts, owners)
        f = {"bytes": os.path.getsize(data), "stats": st, "tasks": tasks,
             "samples": sm, "stalls": stall_summary(rows),
             "owners": {"%s %s" % k: p for k, p in sorted(owners.items())},
             "meta": meta(os.path.join(td, n + ".meta"))}
        with open(os.path.join(td, n + ".facts.json"), "w") as out:
            json.dump({k: v for k, v in f.items() if k != "meta"}, out, indent=1,
                      sort_keys=True)
            out.write("\n")
        facts[n] = f
        for l in f["meta"]["lines"]:
            if l.startswith("host: "):
                facts["_host"] = l[len("host: "):]
    sec = section(td, facts)
    if len(argv) == 4:
        replace_section(argv[3], "tests/repro/services", sec)
    else:
        sys.stdout.write(sec)
    return 0


def replace_section(path, tag, sec):
    """Put SEC, which begins '<!-- BEGIN TAG' and ends '<!-- END TAG -->',
    in place of that section of the file PATH, or at its end."""
    with open(path) as fh:
        text = fh.read()
    end = "<!-- END %s -->" % tag
    b = text.find("<!-- BEGIN %s " % tag)
    e = text.find(end)
    if b >= 0 and e > b:
        text = text[:b] + sec + text[e + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + sec
    with open(path, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
