#!/usr/bin/env python3
"""make_svgnames.py OUTDIR - a small recording for the flame graph tests,
written at test time with tests/fixtures/perfdata.py (nothing committed):

  svgnames.data, svgnames.kallsyms
      6.1 kernel, cpu-clock with kernel call chains only:
      - forker: fork with swap entries (dup_mmap > copy_page_range >
        swap_duplicate > __swap_duplicate > _raw_spin_lock), and fork
        without (copy_page_range > copy_pte_range), so that the finding
        swap_dup_fork is reported and copy_page_range is shared by a
        matched and an unmatched stack;
      - comms and kernel symbols with XML's special characters (< > & " '),
        a control character, bytes that are not UTF-8, "]]>", and UTF-8;
      - fanout: 2000 leaf functions of one sample each under one caller,
        with 20000 samples elsewhere, so each leaf is narrower than 0.1
        pixel and the leaves are drawn merged.

It also prints, as JSON, the folded stacks it designed ({line: samples}),
for the tests to compare with what swapdiag draws.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
sys.dont_write_bytecode = True
from perfdata import (FMT_ID, PERF_ATTR_SIZE_VER7, PERF_COUNT_SW_CPU_CLOCK,  # noqa: E402
                      PERF_TYPE_SOFTWARE, S_CALLCHAIN, S_CPU, S_IP, S_PERIOD,
                      S_TID, S_TIME, Attr, Event, KernelSymbols, PerfDataWriter,
                      callchain)

ENTRY = ["entry_SYSCALL_64_after_hwframe", "do_syscall_64"]
FORK = ENTRY + ["__do_sys_clone", "kernel_clone", "copy_process", "dup_mmap",
                "copy_page_range"]
HOSTILE = ["tmpl<int>::get", "operator&", "a]]>b", "q\"uo'te", "caf\u00e9_\u65e5\u672c",
           "ctl\x01char", "lt<<gt>>amp&&"]
# (comm, kernel frames root first, samples)
STACKS = [
    ("forker", FORK + ["swap_duplicate", "__swap_duplicate", "_raw_spin_lock"], 9000),
    ("forker", FORK + ["copy_pte_range"], 3000),
    ("a<b&\"c'd>", ENTRY + HOSTILE, 1500),
    ("bad\xffutf8", ENTRY + ["ksys_read"], 200),
]
FANOUT = ("fanout", ENTRY + ["fan_caller"], ["leaf_%04d" % i for i in range(2000)])


def folded_name(name):
    """What the folding makes of a kernel name (FOLDED.md): quotes go."""
    return name.replace('"', "").replace("'", "")


def make(out):
    ks = KernelSymbols(0xffffffff81000000)
    ks.add("_text", 0x100, pre_aliases=[("startup_64", "T")])
    ks.gap(0xf00)
    names = []
    for _, frames, _ in STACKS:
        names += frames
    names += FANOUT[1] + FANOUT[2]
    for n in dict.fromkeys(names):
        ks.add(n, 0x100)

    ev = Event(Attr(size=PERF_ATTR_SIZE_VER7, type=PERF_TYPE_SOFTWARE,
                    config=PERF_COUNT_SW_CPU_CLOCK, sample_period=999, freq=1,
                    sample_type=S_IP | S_TID | S_TIME | S_CALLCHAIN | S_CPU | S_PERIOD,
                    read_format=FMT_ID, disabled=1, inherit=1, mmap=1, comm=1, task=1,
                    sample_id_all=1, exclude_guest=1, mmap2=1, comm_exec=1),
               ids=[71, 72], name="cpu-clock")
    expect = {}
    t = 1_000_000_000
    with open(os.path.join(out, "svgnames.data"), "wb") as f:
        w = PerfDataWriter(f, [ev])
        w.features.hostname("svg-test").osrelease("6.1.0-18-amd64").version("6.1.76") \
            .arch("x86_64").nrcpus(2, 2).event_desc()
        w.kernel_mmap(0xffffffff81000000, 0x1e00000)
        work = list(STACKS)
        work += [(FANOUT[0], FANOUT[1] + [leaf], 1) for leaf in FANOUT[2]]
        pids = {}
        for comm, _, _ in work:
            if comm not in pids:
                pids[comm] = 100 + len(pids)
                raw = comm.encode("latin-1") if "\xff" in comm else comm.encode()
                w.comm(pid=pids[comm], tid=pids[comm], comm=raw)
        for comm, frames, n in work:
            pid = pids[comm]
            kips = [ks.addr(x) for x in reversed(frames)]
            for _ in range(n):
                t += 500_000
                w.sample(ev, ip=kips[0], pid=pid, tid=pid, time=t, cpu=pid % 2,
                         period=1_001_000, callchain=callchain(kernel=kips))
            line = ";".join([comm.replace(" ", "_")] + [folded_name(x) for x in frames])
            expect[line] = expect.get(line, 0) + n
        w.features.sample_time(1_000_000_000, t)
        w.close()
    with open(os.path.join(out, "svgnames.kallsyms"), "w", encoding="utf-8") as f:
        f.write(ks.text())
    return expect


if __name__ == "__main__":
    json.dump(make(sys.argv[1]), sys.stdout, ensure_ascii=False, indent=0)
