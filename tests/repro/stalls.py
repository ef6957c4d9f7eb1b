#!/usr/bin/env python3
"""List the D-state sleeps in a recording with sched:sched_switch, by perf's own account.

usage: stalls.py DATA KALLSYMS [SYMFS]      runs perf script itself
       stalls.py --text FILE|-               reads the output of
           perf script --ns -F comm,pid,tid,cpu,time,event,trace,ip,sym

For every sched_switch whose prev_state contains D (uninterruptible sleep),
the switched-out thread is blocked from that switch-out until the next
sched_switch whose next_pid is that thread (its switch-in).  Times come from
perf script --ns (nanoseconds), so blocked_us is exact to the nanosecond.

The kernel path is the outgoing task's call chain (root first, leaf last)
between the system call entry and the scheduler, scheduler frames dropped, e.g.
  proc_pid_cmdline_read;__access_remote_vm;down_read_killable;rwsem_down_read_slowpath
The rwsem column says whether rwsem_down_read_slowpath is in the chain (an
mmap_lock-style reader stall) — other D sleeps (vfork waits, page-cache
locks, ...) are listed too, since a stall tracker must not count them as
mmap_lock stalls.

The kallsyms file may be .zst; its __pfx_ lines are dropped as for the golden
folded files (perf 6.1 does not skip them, perf >= 6.3 does).
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from perftruth import kallsyms_for_perf, ns  # noqa: E402

HEAD = re.compile(
    r"^(?P<comm>.+?)\s+(?P<pid>-?\d+)/(?P<tid>-?\d+)\s+\[(?P<cpu>\d+)\]\s+"
    r"(?P<time>\d+\.\d+):\s+(?:(?P<period>\d+)\s+)?(?P<event>\S+):\s*"
    r"(?P<trace>.*)$")
SWITCH = re.compile(
    r"prev_comm=(?P<pcomm>.*) prev_pid=(?P<ppid>-?\d+) prev_prio=-?\d+ "
    r"prev_state=(?P<state>\S+) ==> next_comm=(?P<ncomm>.*) "
    r"next_pid=(?P<npid>-?\d+) next_prio=-?\d+")
FRAME = re.compile(r"^\s+(?P<ip>[0-9a-f]+)\s+(?P<sym>.*?)\s*$")
# with -F ...,dso the frame line ends in "(DSO)"
FRAME_DSO = re.compile(r"^\s+(?P<ip>[0-9a-f]+)\s+(?P<sym>.*?)\s+\((?P<dso>[^()]*)\)\s*$")
FIELDS = "comm,pid,tid,cpu,time,event,trace,ip,sym"

SCHED_FRAMES = {"__schedule", "schedule", "schedule_preempt_disabled",
                "schedule_timeout", "io_schedule", "schedule_idle"}


def is_syscall_frame(sym):
    return (sym in ("do_syscall_64", "entry_SYSCALL_64_after_hwframe",
                    "vfs_read", "ksys_read", "vfs_write", "ksys_write",
                    "do_sys_openat2", "__x64_sys_openat")
            or sym.startswith("__x64_sys_") or sym.startswith("__do_sys_"))


def run_perf(data, kallsyms, symfs, fields=FIELDS):
    """perf script --ns of DATA with FIELDS (the default ones, or e.g.
    FIELDS plus period and dso: HEAD and records() read both)."""
    tmp = tempfile.mkdtemp(prefix="stalls.")
    ks = kallsyms_for_perf(kallsyms, os.path.join(tmp, "kallsyms"))
    bid = os.path.join(tmp, "buildid")
    os.mkdir(bid)
    cmd = ["perf", "--buildid-dir", bid, "script", "-f", "--ns", "-i", data,
           "--kallsyms", ks, "--symfs", symfs or tmp,
           "-F", fields]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    subprocess.run(["rm", "-rf", tmp])
    return out.decode("utf-8", "replace").splitlines()


def records(lines, dso=False):
    """Yield (header match, [frames leaf first]) per sample; with dso (the
    output of -F ...,dso) each frame is a (sym, address, dso) triple."""
    cur, frames = None, []
    for line in lines:
        m = HEAD.match(line)
        if m:
            if cur:
                yield cur, frames
            cur, frames = m, []
            continue
        f = (FRAME_DSO if dso else FRAME).match(line)
        if f and cur:
            frames.append((f.group("sym"), int(f.group("ip"), 16),
                           f.group("dso")) if dso else f.group("sym"))
        elif not line.strip() and cur:
            yield cur, frames
            cur, frames = None, []
    if cur:
        yield cur, frames


def kernel_path(frames):
    path = []
    for sym in frames:              # leaf first
        if sym in SCHED_FRAMES:
            continue
        if is_syscall_frame(sym) or sym == "[unknown]" or not sym:
            break
        path.append(sym)
    return ";".join(reversed(path)) or "-"


def main(argv):
    if len(argv) >= 3 and argv[1] == "--text":
        f = sys.stdin if argv[2] == "-" else open(argv[2])
        lines = f.read().splitlines()
    elif len(argv) in (3, 4):
        lines = run_perf(argv[1], argv[2], argv[3] if len(argv) == 4 else None)
    else:
        sys.stderr.write(__doc__)
        return 64

    pending = {}        # tid -> row waiting for its switch-in
    rows = []
    first = last = None
    nswitch = 0
    for m, frames in records(lines):
        tid = int(m.group("tid"))
        if tid in pending and tid != 0:
            # The thread runs again (a sample or a switch-out of its own)
            # without a recorded switch-in: perf dropped that sched_switch.
            row = pending.pop(tid)
            row["note"] = (f"switch-in not recorded; running again at "
                           f"{m.group('time')} on cpu {int(m.group('cpu'))} "
                           f"({m.group('event')})")
        if m.group("event") != "sched:sched_switch":
            continue
        s = SWITCH.search(m.group("trace"))
        if not s:
            continue
        nswitch += 1
        t = m.group("time")
        first = first or t
        last = t
        npid = int(s.group("npid"))
        if npid in pending:
            row = pending.pop(npid)
            row["in"] = t
        if "D" in s.group("state"):
            tid = int(s.group("ppid"))
            pending.pop(tid, None)
            row = {"comm": s.group("pcomm"), "pid": int(m.group("pid")),
                   "tid": tid, "cpu": int(m.group("cpu")), "out": t, "in": None,
                   "state": s.group("state"), "note": "",
                   "rwsem": "rwsem_down_read_slowpath" in frames,
                   "path": kernel_path(frames)}
            pending[tid] = row
            rows.append(row)

    print("# D-state sleeps (sched_switch prev_state=D) and their switch-in, by perf script --ns")
    print(f"# sched_switch records: {nswitch}, first {first}, last {last}")
    nr = [r for r in rows if r["rwsem"]]
    done = [r for r in nr if r["in"]]
    tot = sum(ns(r["in"]) - ns(r["out"]) for r in done)
    mx = max((ns(r["in"]) - ns(r["out"]) for r in done), default=0)
    print(f"# D switch-outs: {len(rows)}; under rwsem_down_read_slowpath: {len(nr)} "
          f"({len(done)} switched in again), total {tot / 1000:.3f} us, max {mx / 1000:.3f} us")
    lostin = [r for r in rows if r["note"]]
    print(f"# switch-ins not recorded (thread seen running again without one): {len(lostin)}; "
          f"still blocked at the end: {len([r for r in rows if not r['in'] and not r['note']])}")
    print("# blocked_us = switch_in - switch_out; switch_in '-' = none recorded (see note)")
    print("# comm\tpid/tid\tcpu\tswitch_out\tswitch_in\tblocked_us\trwsem\tkernel_path\tnote")
    for r in rows:
        if r["in"]:
            blocked = f"{(ns(r['in']) - ns(r['out'])) / 1000:.3f}"
        else:
            blocked = "-"
        print(f"{r['comm']}\t{r['pid']}/{r['tid']}\t{r['cpu']}\t{r['out']}\t"
              f"{r['in'] or '-'}\t{blocked}\t{'yes' if r['rwsem'] else 'no'}\t{r['path']}\t"
              f"{r['note'] or ('not switched in before the end' if not r['in'] else '-')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
