#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The pipeline's stage order, checked on the #include lines of the tree.

    check-layers.py SRCROOT      check SRCROOT/src and SRCROOT/include/swapdiag
    check-layers.py --self-test  check synthetic trees: a clean one must pass,
                                 each broken one must fail for its reason

Rules (README.md, "How data flows"):
  - a stage includes public headers (include/swapdiag/*.h) of its own or an
    earlier stage only (a back-edge is a later stage's header);
  - a stage includes no other stage's private header (src/OTHER/*.h);
    util/ and the generated config headers are the shared base;
  - no include cycle between headers, and none between stages.
Exit 0 when the tree keeps them, 1 (one line per break) when not.
"""
import os
import re
import sys
import tempfile

# The stages in pipeline order: each may use the ones before it.
STAGES = ["util", "reader", "symbols", "tracepoint", "bundle", "machine",
          "unwind", "stacks", "detect", "textin", "analysis", "report", "cli"]

# Public headers and the stage that owns each.
PUBLIC = {
    "error.h": "util", "input.h": "util", "perf_abi.h": "util",
    "reader.h": "reader", "symbols.h": "symbols",
    "tracepoint.h": "tracepoint", "bundle.h": "bundle",
    "machine.h": "machine", "unwind.h": "unwind", "stacks.h": "stacks",
    "detect.h": "detect", "stalls.h": "detect", "diff.h": "detect",
    "textin.h": "textin",
    "analysis.h": "analysis", "timewin.h": "analysis",
    "report.h": "report", "diffreport.h": "report",
}

# Headers made by the build, shared like util/.
GENERATED = {"config.h", "demangle-config.h"}

# Known breaks waiting for their fix, one line each, so that removing one
# is one line: (including file, included header, why it is still here).
ALLOWED = [
    # issue 14, helper 'marks': detect hands the report per-frame marks;
    # until that lands, the flame graph re-runs detect's matcher
    ("src/report/svg.c", "detect/match.h", "issue 14 (marks)"),
]

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def files_of(root):
    for top in ("src", os.path.join("include", "swapdiag")):
        base = os.path.join(root, top)
        for d, _, names in os.walk(base):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    p = os.path.join(d, n)
                    yield os.path.relpath(p, root).replace(os.sep, "/")


def stage_of_file(rel):
    """The stage a file of the tree belongs to (None: not a stage)."""
    parts = rel.split("/")
    if parts[0] == "include":
        return PUBLIC.get(parts[-1], "?" + parts[-1])
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def node_of_include(kind, name):
    """(graph node, owning stage, private?) of an included name, or None
    for system and library headers."""
    if kind == "<":
        if name.startswith("swapdiag/"):
            h = name[len("swapdiag/"):]
            return ("include/swapdiag/" + h, PUBLIC.get(h, "?" + h), False)
        return None
    if name in GENERATED or "/" not in name:
        return None
    stage = name.split("/")[0]
    return ("src/" + name, stage, True)


def check(root):
    errors = []
    graph = {}
    stage_edges = {}
    for rel in files_of(root):
        stage = stage_of_file(rel)
        if stage is None:
            continue
        if stage.startswith("?"):
            errors.append(f"{rel}: a public header no stage owns (add it "
                          f"to PUBLIC in {os.path.basename(__file__)})")
            continue
        if stage not in STAGES:
            errors.append(f"{rel}: src/{stage}/ is no stage of the order "
                          f"({' -> '.join(STAGES)})")
            continue
        with open(os.path.join(root, rel), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
        graph.setdefault(rel, set())
        for m in INCLUDE.finditer(text):
            dep = node_of_include(m.group(1), m.group(2))
            if dep is None:
                continue
            node, owner, private = dep
            graph[rel].add(node)
            if owner == stage:
                continue
            if owner == "util":
                continue
            allowed = any(rel == a and m.group(2) == b for a, b, _ in ALLOWED)
            if owner.startswith("?") or owner not in STAGES:
                errors.append(f"{rel}: includes {m.group(2)}, which belongs "
                              f"to no stage")
                continue
            stage_edges.setdefault(stage, set()).add(owner)
            if private and not allowed:
                errors.append(f"{rel}: includes {m.group(2)}, a private "
                              f"header of stage {owner} (use its public "
                              f"header, or move what is shared there)")
            elif (STAGES.index(owner) > STAGES.index(stage)
                  and not allowed):
                errors.append(f"{rel}: back-edge: stage {stage} includes "
                              f"{m.group(2)} of the later stage {owner}")
    for cyc in cycles(graph):
        errors.append("include cycle: " + " -> ".join(cyc + [cyc[0]]))
    for cyc in cycles(stage_edges):
        errors.append("stage cycle: " + " -> ".join(cyc + [cyc[0]]))
    return errors


def cycles(graph):
    """One cycle per strongly connected component with more than one node
    (or a node on itself), as a list of nodes (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


# ---- self-test ----------------------------------------------------------

CLEAN = {
    "include/swapdiag/error.h": "",
    "include/swapdiag/reader.h": "#include <swapdiag/error.h>\n",
    "include/swapdiag/stacks.h": "#include <swapdiag/reader.h>\n",
    "include/swapdiag/detect.h": "#include <swapdiag/stacks.h>\n",
    "include/swapdiag/analysis.h": "#include <swapdiag/detect.h>\n",
    "src/util/hash.h": "",
    "src/reader/internal.h": "#include <swapdiag/reader.h>\n",
    "src/reader/reader.c": '#include "reader/internal.h"\n#include "util/hash.h"\n',
    "src/detect/tables.h": "#include <swapdiag/detect.h>\n",
    "src/detect/match.c": '#include "detect/tables.h"\n#include <stdio.h>\n',
    "src/analysis/analysis.c": "#include <swapdiag/analysis.h>\n#include \"config.h\"\n",
    "src/report/svg.c": '#include <swapdiag/analysis.h>\n#include "detect/match.h"\n',
}

BROKEN = {
    # a public header of an earlier stage includes a later one
    "back-edge": ({"include/swapdiag/detect.h":
                   "#include <swapdiag/analysis.h>\n"},
                  "back-edge: stage detect includes swapdiag/analysis.h"),
    # a source file of an earlier stage includes a later public header
    "back-edge-src": ({"src/reader/reader.c": "#include <swapdiag/stacks.h>\n"},
                      "back-edge: stage reader includes swapdiag/stacks.h"),
    # another stage's private header
    "private": ({"src/analysis/analysis.c": '#include "detect/tables.h"\n'},
                "a private header of stage detect"),
    # a cycle of headers inside one stage
    "cycle": ({"src/detect/a.h": '#include "detect/b.h"\n',
               "src/detect/b.h": '#include "detect/a.h"\n'},
              "include cycle: src/detect/a.h -> src/detect/b.h"),
    # a header no stage owns
    "unowned": ({"include/swapdiag/new.h": ""}, "a public header no stage owns"),
}


def write_tree(root, files):
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)


def self_test():
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, "clean")
        write_tree(clean, CLEAN)
        errs = check(clean)
        if errs:
            print("FAIL clean tree does not pass:", *errs, sep="\n  ")
            bad += 1
        else:
            print("ok   clean tree passes")
        # the allow-list is what lets svg.c through: without it, it fails
        saved = ALLOWED[:]
        ALLOWED.clear()
        errs = check(clean)
        ALLOWED.extend(saved)
        if not any("svg.c: includes detect/match.h" in e for e in errs):
            print("FAIL without the allow-list, svg.c -> detect/match.h "
                  "passes:", errs)
            bad += 1
        else:
            print("ok   the allow-list entry is needed")
        for name, (change, want) in BROKEN.items():
            root = os.path.join(tmp, name)
            write_tree(root, {**CLEAN, **change})
            errs = check(root)
            if any(want in e for e in errs):
                print(f"ok   {name}: fails ({want})")
            else:
                print(f"FAIL {name}: expected '{want}', got {errs}")
                bad += 1
    return 1 if bad else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    if not os.path.isdir(os.path.join(root, "src")):
        print(f"{root}: no src/ here", file=sys.stderr)
        return 2
    errs = check(root)
    for e in errs:
        print(e)
    n = sum(1 for _ in files_of(root))
    if errs:
        print(f"{len(errs)} break(s) of the stage order in {n} files")
        return 1
    print(f"{n} files keep the stage order: {' -> '.join(STAGES)}")
    for a, b, why in ALLOWED:
        print(f"allowed for now: {a} -> {b} ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
