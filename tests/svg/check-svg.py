#!/usr/bin/env python3
"""check-svg.py SWAPDIAG TESTDATA WORKDIR CASE - swapdiag --svg read back.

Each case runs swapdiag once with --svg, --folded and --json, then checks
that the SVG
  - is well-formed XML (xml.etree parses it) and self-contained: no
    reference to anything outside it (no href, url(), @import, src=,
    <image>, <foreignObject>, no http(s) but the SVG namespace);
  - holds exactly the folded stacks: "all" is the sum of every folded
    line, each frame's samples are the sum of the lines under its path,
    and no frame wider than the minimum width is missing; narrower callees
    are drawn as one "narrow frames (merged)" box holding what is left;
  - places each frame where its samples say (x, width, depth) inside its
    caller;
  - carries the verdict in its <title> and heading;
  - colours the frames of the stacks a finding matched (and only those).
The cases that count samples run with --weight samples; adaptive (a
hardware event with adaptive periods, testdata/synthetic/adaptive-cycles)
runs with the default, period weights, and checks that the verdict's
shares, the folded output (= perf's own folding, WEIGHT=period
make-golden.sh) and the SVG's widths agree -- where counting samples would
give less than half the share.
svgnames (made by make_svgnames.py) also checks that names with < > & " '
a control character and bytes that are not UTF-8 come out escaped.
"""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgfile  # noqa: E402

MIN_WIDTH = 0.1   # pixels, swapdiag's default
KSYMS = "kallsyms/host-6.18.44-fc-v782.kallsyms.zst"
SWAP_PAT = {"swap"}
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL: " + msg)
    return cond


def run(swapdiag, args, work, name, weight="samples"):
    svg = os.path.join(work, name + ".svg")
    folded = os.path.join(work, name + ".folded")
    js = os.path.join(work, name + ".json")
    cmd = [swapdiag, "-q", "--no-progress", "--buildid-dir", "/nonexistent",
           "--svg", svg, "--folded", folded, "--json", js] + \
        (["--weight", weight] if weight else []) + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LC_ALL="C"))
    if p.returncode not in (0, 1):
        sys.exit("swapdiag failed (%d): %s\n%s" % (p.returncode, " ".join(cmd),
                                                   p.stderr.decode()))
    with open(js) as f:
        report = json.load(f)
    return svg, folded, report


def self_contained(raw):
    text = raw.decode("utf-8")
    for bad in ("href", "url(", "@import", "src=", "<image", "<foreignObject",
                "<iframe", "<link"):
        check(bad not in text, "the SVG refers to something outside it (%s)" % bad)
    for u in re.findall(r"https?://[^\s\"'<>]*", text):
        check(u == "http://www.w3.org/2000/svg", "the SVG names a URL: %s" % u)
    check(text.count("<script") == 1 and "<script type=\"text/ecmascript\"><![CDATA["
          in text, "one inline script")
    check(text.count("<style") == 1, "one inline style")


def structure(fg, folded, unit="samples"):
    sums, self_ = svgfile.prefix_sums(folded)
    total = sum(folded.values())
    px = fg.drawable / total if total else 0
    check(fg.total == total, "data-total %d is the folded total %d" % (fg.total, total))
    root = [f for f in fg.frames if f.depth == 0]
    check(len(root) == 1 and root[0].name == "all" and root[0].n == total,
          "one root frame 'all' with every folded sample: %r" % root)
    check("{:,} {}".format(total, unit) in fg.subtitle,
          "the subtitle shows the total: %s" % fg.subtitle)
    drawn = {}
    for f in fg.frames:
        check(abs(f.x - (fg.pad + f.s * px)) < 0.06 and abs(f.w - f.n * px) < 0.06,
              "%r is drawn where its samples are (x %.1f width %.1f)" % (f, f.x, f.w))
        check(f.n * px >= MIN_WIDTH - 1e-9, "%r is not narrower than the minimum" % f)
        if f.merged:
            continue
        check(len(f.chain) == f.k and f.chain[0] == f.name,
              "%r names the %d frames it stands for: %r" % (f, f.k, f.chain))
        for j in range(1, f.k):
            # the frames of a collapsed run hold the samples of the box
            inner = f.path[:len(f.path) - f.k + j]
            check(sums.get(inner) == f.n and inner not in drawn,
                  "%r: %r has its samples (%s)" % (f, inner, sums.get(inner)))
            check(inner[-1].startswith("[") and inner[-1].endswith("]"),
                  "%r collapses only unresolved frames: %r" % (f, inner[-1]))
            drawn[inner] = f
        check(f.path in sums, "%r is a path of the folded stacks: %r" % (f, f.path))
        check(sums.get(f.path) == f.n, "%r has the samples of its folded lines (%s)"
              % (f, sums.get(f.path)))
        check(f.path not in drawn, "%r is drawn once" % (f.path,))
        drawn[f.path] = f
    for path, n in sums.items():
        if n * px >= MIN_WIDTH + 1e-6:
            check(path in drawn, "a frame of %d samples is missing: %r" % (n, path))
    # what is not drawn on its own is in the caller's merged box
    kids = {}
    for f in fg.frames:
        if f.parent:
            kids.setdefault(id(f.parent), []).append(f)
    for f in fg.frames:
        if f.merged:
            continue
        ks = kids.get(id(f), [])
        inside = sum(k.n for k in ks)
        left = f.n - self_.get(f.path, 0) - inside
        merged = [k for k in ks if k.merged]
        check(left >= 0, "the callees of %r fit in it" % f)
        check(len(merged) <= 1, "at most one merged box above %r" % f)
        check(left * px < MIN_WIDTH + 1e-6,
              "callees of %r worth %d samples are not drawn" % (f, left))
        ends = sorted((k.s, k.s + k.n) for k in ks)
        for (a, b), (c, d) in zip(ends, ends[1:]):
            check(b <= c, "callees of %r do not overlap" % f)
    return drawn


def verdict(fg, report):
    v = report["verdict"]
    check(v in fg.doc_title, "the <title> carries the verdict: %s" % fg.doc_title)
    check(fg.title == v, "the heading is the verdict: %s" % fg.title)


def top_of(fg, cls):
    """Frames of class cls whose caller is not of it: where a pattern starts."""
    return [f for f in fg.frames if cls <= f.cls and not (f.parent and cls <= f.parent.cls)]


def patterns(fg, report, names_red, names_orange):
    for n in names_red:
        check(fg.named(n), "%s is drawn" % n)
        check(fg.classes(n) == {"swap"}, "%s is a swap-entry frame: %s" % (n, fg.classes(n)))
    for n in names_orange:
        check("swapctx" in fg.classes(n), "%s is context: %s" % (n, fg.classes(n)))
    # the red frames hold exactly the samples of the swap findings
    want = sum(f["samples"] for f in report["findings"]
               if f["id"] in ("swap_dup_fork", "swap_free_exec"))
    got = sum(f.n for f in top_of(fg, {"swap"}))
    check(got == want, "the red frames hold the findings' %d samples, not %d" % (want, got))
    for f in fg.frames:
        if "swap" in f.cls:
            check(any("swapctx" in a.cls for a in ancestors(f)),
                  "%r has its fork copy / teardown context below it" % f)
            check(all(c.startswith(("swap", "hit")) for c in f.cls), "%r: one class" % f)
        if f.cls & {"swap", "swapctx", "wait"}:
            check("kernel" in f.title, "%r is a kernel frame" % f)


def ancestors(f):
    while f.parent:
        f = f.parent
        yield f


def no_patterns(fg):
    for f in fg.frames:
        check(not f.cls & {"swap", "swapctx", "wait"},
              "%r is coloured without a finding" % f)


def case_swapstorm(sd, td, work):
    svg, folded, report = run(sd, ["--kallsyms", os.path.join(td, KSYMS), "--symfs",
                                   os.path.join(td, "symfs"),
                                   os.path.join(td, "swapstorm.data")], work, "swapstorm")
    fg = svgfile.FlameGraph(svg)
    self_contained(fg.raw)
    structure(fg, svgfile.read_folded(folded))
    verdict(fg, report)
    patterns(fg, report, ["swap_duplicate", "__swap_duplicate"],
             ["dup_mmap", "copy_page_range", "exit_mmap", "unmap_vmas"])
    check("swap_dup_fork" in fg.named("__swap_duplicate")[0].title,
          "the tooltip names the finding")
    check(any("user space" in f.title for f in fg.frames), "user frames are marked")
    # runs of unresolved user frames (bash's FP chain of [unknown]/[bash]
    # frames, 60 deep in the folded stacks) are drawn as one box each, so the
    # graph fits a 1280x800 window unscaled and its red frames are on it
    runs = [f for f in fg.frames if f.k > 1]
    check(max([f.k for f in runs] or [0]) >= 7,
          "a long unresolved run is drawn as one box: %r" % [f.k for f in runs])
    for f in runs:
        check(not f.label or f.label.endswith("..") or f.label.endswith(" x%d" % f.k),
              "%r is labelled with its count: %r" % (f, f.label))
    deepest = max(len(k) for k in svgfile.prefix_sums(svgfile.read_folded(folded))[0])
    rows = max(f.depth for f in fg.frames) + 1
    check(rows < deepest - 20,
          "collapsing shortens the graph: %d rows for stacks %d deep" % (rows, deepest))
    check(fg.height <= 800, "the graph fits a window 800 px high: %d" % fg.height)
    red = [f for f in fg.frames if "swap" in f.cls]
    check(red and all(0 <= f.y and f.y + fg.fh <= 800 for f in red),
          "the red frames are inside the first 800 px: %r" % red[:3])
    check(any(c.startswith("u") for f in fg.frames for c in f.cls), "user palette used")
    check(any(c.startswith("k") for f in fg.frames for c in f.cls), "kernel palette used")
    legend = fg.by_id["legend"]
    text = " ".join(t.text for t in legend.iter(svgfile.SVG + "text"))
    for want in ("swap_dup_fork", "swap_free_exec", "kernel", "user", "search"):
        check(want in text, "the legend names %s: %s" % (want, text))


def case_sched(sd, td, work):
    svg, folded, report = run(sd, ["--event", "sched:sched_switch", "--kallsyms",
                                   os.path.join(td, KSYMS), "--symfs",
                                   os.path.join(td, "symfs"),
                                   os.path.join(td, "swapstorm.data")], work, "sched")
    fg = svgfile.FlameGraph(svg)
    structure(fg, svgfile.read_folded(folded))
    verdict(fg, report)
    check(fg.subtitle.startswith("sched:sched_switch"), "the event is named")
    stalled = any(f["id"] in ("mmap_lock_stall", "exec_lock_stall")
                  for f in report["findings"])
    waits = top_of(fg, {"wait"})
    if stalled:
        check(waits and all(f.name == "rwsem_down_read_slowpath" for f in waits),
              "the mmap_lock waits start at the rwsem slow path: %r" % waits)
        check(all(any(a.name in ("__access_remote_vm", "mm_access",
                                 "do_task_stat")
                      for a in ancestors(f)) for f in waits),
              "... under a reader of another process (mm or exec lock)")
    check(not any(f.cls & {"swap", "swapctx"} for f in fg.frames),
          "no on-CPU pattern on sched_switch")


def case_noswap(sd, td, work):
    svg, folded, report = run(sd, ["--kallsyms", os.path.join(td, KSYMS), "--symfs",
                                   os.path.join(td, "symfs"),
                                   os.path.join(td, "storm-noswap.data")], work, "noswap")
    fg = svgfile.FlameGraph(svg)
    structure(fg, svgfile.read_folded(folded))
    verdict(fg, report)
    if not any(f["id"].startswith("swap") for f in report["findings"]):
        no_patterns(fg)


def case_empty(sd, td, work):
    """An event without samples: a page that says so, no frames."""
    svg, folded, report = run(sd, ["--event", "dummy:HG", "--kallsyms",
                                   os.path.join(td, KSYMS), "--symfs",
                                   os.path.join(td, "symfs"),
                                   os.path.join(td, "storm-noswap.data")], work, "empty")
    fg = svgfile.FlameGraph(svg)
    self_contained(fg.raw)
    verdict(fg, report)
    check(os.path.getsize(folded) == 0, "no folded stacks")
    check(fg.total == 0 and not fg.frames, "no frames: %r" % fg.frames[:3])
    check(b"No samples of this event." in fg.raw, "the page says there is nothing")


def case_rhel6(sd, td, work):
    syn = os.path.join(td, "synthetic")
    svg, folded, report = run(sd, ["--kallsyms", os.path.join(syn, "rhel6-seed.kallsyms"),
                                   "--symfs", "/nonexistent-symfs",
                                   os.path.join(syn, "rhel6-seed.data")], work, "rhel6")
    fg = svgfile.FlameGraph(svg)
    structure(fg, svgfile.read_folded(folded))
    verdict(fg, report)
    patterns(fg, report, ["swap_duplicate", "__swap_duplicate"],
             ["copy_page_range", "unmap_vmas"])


def case_svgnames(sd, td, work):
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "make_svgnames.py"), work],
                   check=True, stdout=subprocess.DEVNULL)
    svg, folded, report = run(sd, ["--kallsyms", os.path.join(work, "svgnames.kallsyms"),
                                   "--symfs", "/nonexistent-symfs",
                                   os.path.join(work, "svgnames.data")], work, "svgnames")
    fg = svgfile.FlameGraph(svg)
    self_contained(fg.raw)
    drawn = structure(fg, svgfile.read_folded(folded))
    verdict(fg, report)
    check(fg.total == 15700, "15700 samples, not %d" % fg.total)
    # escaped on the way out, the same names on the way back in
    for raw in (b"tmpl&lt;int&gt;::get", b"operator&amp;", b"a]]&gt;b",
                b"lt&lt;&lt;gt&gt;&gt;amp&amp;&amp;", b"a&lt;b&amp;&quot;c&apos;d&gt;"):
        check(raw in fg.raw, "%s is in the file" % raw.decode())
    for name in ("tmpl<int>::get", "operator&", "a]]>b", "quote",
                 "caf\u00e9_\u65e5\u672c", "ctl\ufffdchar", "lt<<gt>>amp&&",
                 'a<b&"c\'d>', "bad\ufffdutf8"):
        check(fg.named(name), "a frame named %r" % name)
    check(b"\xff" not in fg.raw and b"\x01" not in fg.raw,
          "no bytes that XML cannot carry")
    labels = [f.label for f in fg.frames if f.label]
    check("tmpl<int>::get" in labels or any(lb.startswith("tmpl<") for lb in labels),
          "labels are escaped text too")
    # 2000 one-sample leaves under fan_caller, each narrower than 0.1 px
    merged = [f for f in fg.frames if f.merged]
    check(len(merged) == 1 and merged[0].n == 2000 and
          merged[0].name == "2000 narrow frames (merged)" and
          merged[0].parent.name == "fan_caller",
          "the leaves are one merged box over fan_caller: %r" % merged)
    check("2,000 frames of fewer than 2 samples drawn merged" in fg.subtitle, fg.subtitle)
    check(not any(f.name.startswith("leaf_") for f in fg.frames), "no leaf drawn alone")
    patterns(fg, report, ["swap_duplicate", "__swap_duplicate", "_raw_spin_lock"],
             ["dup_mmap", "copy_page_range"])
    # copy_page_range is shared by a matched and an unmatched stack: only
    # the matched one's frames above it are red
    cpr = fg.named("copy_pte_range")
    check(cpr and not cpr[0].cls & {"swap", "swapctx"},
          "copy_pte_range without swap below is not coloured: %r" % cpr)
    for name in ("copy_process", "kernel_clone", "do_syscall_64"):
        check(all(c.startswith("k") for f in fg.named(name) for c in f.cls),
              "%s is a plain kernel frame" % name)
    check(all(f.cls == {"comm"} for f in fg.frames if f.depth == 1), "processes")
    check(len(drawn) > 10, "frames are drawn")
    # standard output: only the SVG
    p = subprocess.run([sd, "-q", "--no-progress", "--weight", "samples", "--kallsyms",
                        os.path.join(work, "svgnames.kallsyms"), "--svg", "-",
                        os.path.join(work, "svgnames.data")], stdout=subprocess.PIPE)
    check(p.stdout == fg.raw, "--svg - writes the same SVG to standard output")
    check(p.returncode == 1, "a finding: exit status 1, not %d" % p.returncode)


def folded_share(folded, frame):
    """Share of the folded weight in stacks through frame."""
    total = sum(folded.values())
    return sum(n for k, n in folded.items() if frame in k) / total


def case_adaptive(sd, td, work):
    syn = os.path.join(td, "synthetic")
    args = ["--kallsyms", os.path.join(syn, "adaptive-cycles.kallsyms"),
            "--symfs", "/nonexistent-symfs", os.path.join(syn, "adaptive-cycles.data")]
    svg, folded, report = run(sd, args, work, "adaptive", weight=None)
    fg = svgfile.FlameGraph(svg)
    self_contained(fg.raw)
    fold = svgfile.read_folded(folded)
    structure(fg, fold, unit="events")
    verdict(fg, report)
    check("cycles, weighted by period (events)" in fg.subtitle,
          "the subtitle says how frames are weighed: %s" % fg.subtitle)
    # the folded output is perf's own period-weighted folding
    perf = svgfile.read_folded(os.path.join(syn, "adaptive-cycles.period.folded"))
    check(fold == perf, "--folded equals perf script | stackcollapse-perf.pl")
    counts = svgfile.read_folded(os.path.join(syn, "adaptive-cycles.folded"))
    share = {f["id"]: f["share"] for f in report["findings"]}
    total = fg.total
    for fid, frame in (("swap_dup_fork", "swap_duplicate"),
                       ("swap_free_exec", "free_swap_and_cache")):
        v, fo = share.get(fid, 0), folded_share(perf, frame)
        red = sum(f.n for f in top_of(fg, {"swap"}) if f.name == frame) / total
        # the JSON report rounds shares to 6 digits
        check(abs(v - fo) < 1e-6, "%s: the verdict's share %.6f is the folded share %.6f"
              % (fid, v, fo))
        check(abs(red - fo) < 1e-9, "%s: the red frames' width %.6f is the folded share %.6f"
              % (fid, red, fo))
        by_count = folded_share(counts, frame)
        check(v > 2 * by_count, "%s: weighing by period (%.3f) is more than twice counting "
              "samples (%.3f)" % (fid, v, by_count))
    # --weight samples: the SVG counts, and says so
    svg2, folded2, _ = run(sd, args, work, "adaptive-samples")
    fg2 = svgfile.FlameGraph(svg2)
    fold2 = svgfile.read_folded(folded2)
    check(fold2 == counts, "--weight samples --folded equals the sample-count golden")
    structure(fg2, fold2)
    check("cycles, weighted by samples" in fg2.subtitle, fg2.subtitle)
    check(fg2.total == sum(counts.values()), "the SVG counts samples")


CASES = {
    "adaptive": case_adaptive,
    "swapstorm": case_swapstorm,
    "sched": case_sched,
    "noswap": case_noswap,
    "rhel6": case_rhel6,
    "empty": case_empty,
    "svgnames": case_svgnames,
}


def main():
    sd, td, work, case = sys.argv[1:5]
    work = os.path.join(work, case)
    os.makedirs(work, exist_ok=True)
    CASES[case](sd, td, work)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        sys.exit(1)
    print("ok: %s" % case)


if __name__ == "__main__":
    main()
