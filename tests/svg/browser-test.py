#!/usr/bin/env python3
"""browser-test.py SWAPDIAG WORKDIR SWAPDIAG-ARGS... - the flame graph in a
real browser (Debian's chromium, headless).

1. swapdiag --svg writes the flame graph of the recording given;
2. chromium renders it to a PNG screenshot (kept in WORKDIR/flame.png):
   it must be the SVG's size, not blank, with the swap-entry red, the
   context orange, and both calm palettes (kernel, user) on screen;
3. again with ?s=... in the URL (the script searches on load): the search
   colour appears;
4. chromium's --dump-dom after the script ran, with a search and a zoom in
   the URL: the matching frames carry the pattern class and "hit", the
   "Matched" share is the samples of those frames in the zoomed frame,
   frames outside it are hidden, its callees are rescaled to the zoomed
   width, the verdict is in the title, and the page logged no script error.

Exit 77 (skipped) when no chromium is installed; CI installs it
(tests/setup.sh).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import png  # noqa: E402
import svgfile  # noqa: E402

BACKGROUND = (0xfb, 0xfb, 0xfa)
RED, ORANGE, MAGENTA = (0xd7, 0x19, 0x1c), (0xf5, 0x8b, 0x1f), (0xe6, 0x00, 0xe6)
KERNEL = {(0x93, 0xb1, 0xcf), (0xa2, 0xbc, 0xd7), (0xb1, 0xc7, 0xde), (0xbf, 0xd1, 0xe5)}
USER = {(0x9d, 0xc5, 0x8f), (0xaa, 0xcd, 0x9c), (0xb7, 0xd5, 0xaa), (0xc4, 0xdd, 0xb8)}
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL: " + msg)
    return cond


def find_chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def chromium(binary, url, *args):
    """Runs headless chromium on url; returns (stdout, stderr)."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
               *args, url]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=180)
    err = p.stderr.decode("utf-8", "replace")
    for line in err.splitlines():
        if "Uncaught" in line or ("CONSOLE" in line and "rror" in line):
            check(False, "the page logged a script error: " + line)
    if p.returncode != 0:
        sys.exit("chromium failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), err))
    return p.stdout


def screenshot(binary, fg, url, out):
    if os.path.exists(out):
        os.unlink(out)
    chromium(binary, url, "--window-size=%d,%d" % (fg.width, fg.height),
             "--screenshot=" + out)
    img = png.read(out)
    check((img.width, img.height) == (fg.width, fg.height),
          "the screenshot is the SVG's size: %dx%d" % (img.width, img.height))
    counts = {}
    for p in img.pixels():
        counts[p] = counts.get(p, 0) + 1
    return img, counts


def main():
    swapdiag, work = sys.argv[1:3]
    args = sys.argv[3:]
    binary = find_chromium()
    if not binary:
        print("skip: no chromium (apt-get install chromium)")
        sys.exit(77)
    os.makedirs(work, exist_ok=True)
    svg = os.path.abspath(os.path.join(work, "flame.svg"))
    js = os.path.join(work, "report.json")
    p = subprocess.run([swapdiag, "-q", "--no-progress", "--svg", svg, "--json", js] + args,
                       stdout=subprocess.DEVNULL)
    if p.returncode not in (0, 1):
        sys.exit("swapdiag failed: %d" % p.returncode)
    with open(js) as f:
        verdict = json.load(f)["verdict"]
    fg = svgfile.FlameGraph(svg)
    url = "file://" + urllib.parse.quote(svg)

    # 1. rendered: not blank, the pattern and the calm palettes on screen
    img, counts = screenshot(binary, fg, url, os.path.join(work, "flame.png"))
    total = img.width * img.height
    painted = total - counts.get(BACKGROUND, 0)
    check(painted > total * 0.02, "the page is not blank: %d of %d pixels painted"
          % (painted, total))
    check(len(counts) > 50, "more than a few colours: %d" % len(counts))
    check(counts.get(RED, 0) > 500, "swap-entry red on screen: %d px" % counts.get(RED, 0))
    check(counts.get(ORANGE, 0) > 500, "context orange on screen: %d px"
          % counts.get(ORANGE, 0))
    check(sum(counts.get(c, 0) for c in KERNEL) > 5000, "kernel blues on screen")
    check(sum(counts.get(c, 0) for c in USER) > 1000, "user greens on screen")
    check(counts.get(MAGENTA, 0) < 300, "no search colour but the legend's")
    title_px = sum(1 for y in range(8, 30) for x in range(100, fg.width - 100)
                   if img.pixel(x, y) != BACKGROUND)
    check(title_px > 500, "the title is drawn: %d px" % title_px)

    # 2. a search from the URL paints the matching frames
    img2, counts2 = screenshot(binary, fg, url + "?s=%5E__swap_duplicate%24",
                               os.path.join(work, "flame-search.png"))
    check(counts2.get(MAGENTA, 0) > counts.get(MAGENTA, 0) + 500,
          "the search colour appears: %d px" % counts2.get(MAGENTA, 0))
    check(counts2.get(RED, 0) < counts.get(RED, 0), "... over the red frames it matched")

    # 3. the DOM after the script ran: search, zoom, title
    comm = max((f for f in fg.frames if "swap" in f.cls), key=lambda f: f.n)
    while comm.depth > 1:
        comm = comm.parent
    zoom = "%d.%d" % (comm.depth, comm.s)
    dom = chromium(binary, url + "?s=__swap_duplicate&z=" + zoom, "--dump-dom")
    with open(os.path.join(work, "flame.dom.svg"), "wb") as f:
        f.write(dom)
    root = ET.fromstring(dom)
    S = svgfile.SVG
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    check(verdict in root.find(S + "title").text, "the verdict is in the <title>")
    check(by_id["title"].text == verdict, "the verdict is the heading")
    frames = {}
    for g in by_id["frames"].findall(S + "g"):
        frames[(int(g.get("data-s")), int(g.get("data-n")),
                g.find(S + "rect").get("y"))] = g
    scale = fg.drawable / comm.n
    hit_n, hits = 0, 0
    for f in fg.frames:
        g = frames[(f.s, f.n, g_y(f))]
        cls = set(g.get("class", "").split())
        inside = f.depth >= comm.depth and comm.s <= f.s and f.s + f.n <= comm.s + comm.n
        below = f.depth < comm.depth
        if inside:
            check("hide" not in cls, "%r is shown in the zoomed frame" % f)
            r = g.find(S + "rect")
            check(abs(float(r.get("x")) - (fg.pad + (f.s - comm.s) * scale)) < 0.06 and
                  abs(float(r.get("width")) - f.n * scale) < 0.06,
                  "%r is rescaled to the zoom" % f)
        elif below:
            check("anc" in cls and "hide" not in cls, "%r is a faded caller" % f)
        else:
            check("hide" in cls, "%r is hidden outside the zoom: %s" % (f, cls))
        if f.name == "__swap_duplicate":
            check({"swap", "hit"} <= cls, "%r is a highlighted swap frame: %s" % (f, cls))
            if inside:
                hit_n += f.n
                hits += 1
        elif f.merged or "__swap_duplicate" not in f.name:
            check("hit" not in cls, "%r is not a match" % f)
    check(hits > 0, "__swap_duplicate frames in the zoomed frame")
    # in the page's weight: ns of cpu-clock period by default
    m = re.match(r"Matched: ([\d.]+)% \(([\d,]+) of ([\d,]+) ns\)",
                 by_id["matched"].text or "")
    check(m and int(m.group(2).replace(",", "")) == hit_n and
          int(m.group(3).replace(",", "")) == comm.n and
          abs(float(m.group(1)) - 100.0 * hit_n / comm.n) < 0.006,
          "the matched share is %d of %d ns: %s" % (hit_n, comm.n,
                                                        by_id["matched"].text))
    check("hide" not in by_id["unzoom"].get("class"), "Reset Zoom is offered")
    check(by_id["search"].itertext() and "Reset Search" in "".join(by_id["search"].itertext()),
          "Reset Search is offered")
    widest = max((f for f in fg.frames if f.depth == comm.depth + 1 and
                  comm.s <= f.s < comm.s + comm.n), key=lambda f: f.n)
    t = frames[(widest.s, widest.n, g_y(widest))].find(S + "text")
    check(t is not None and t.text == widest.name,
          "the widest callee is labelled in full after zooming: %r"
          % (t.text if t is not None else None))

    # 4. the first screen of a 1280x800 window: the page is scaled to it,
    # so the whole graph and its red frames are on it without scrolling
    first = os.path.join(work, "flame-1280x800.png")
    if os.path.exists(first):
        os.unlink(first)
    chromium(binary, url, "--window-size=1280,800", "--screenshot=" + first)
    img3 = png.read(first)
    red3 = sum(1 for p in img3.pixels() if p == RED)
    check(red3 > 300, "swap-entry red on the first 1280x800 screen: %d px" % red3)
    base_y = fg.base * min(1280 / fg.width, 800 / fg.height)
    row = [img3.pixel(x, int(base_y) + 4) for x in range(0, img3.width, 8)]
    check(sum(p != BACKGROUND for p in row) > len(row) // 2,
          "the root frame 'all' is on the first screen (y %d)" % base_y)
    dom = chromium(binary, url, "--window-size=1280,800", "--dump-dom")
    r = ET.fromstring(dom)
    # (headless --dump-dom's viewport is a little shorter than the window)
    check(r.get("width") == "1280" and 0 < int(r.get("height", "0")) <= 800 and
          r.get("preserveAspectRatio", "").endswith("meet"),
          "the page is fitted to the window: %s x %s" % (r.get("width"), r.get("height")))

    if FAILS:
        print("%d check(s) failed; see %s" % (len(FAILS), work))
        sys.exit(1)
    print("ok: %s rendered (%dx%d, %d painted px, %d red), search and zoom work"
          % (svg, fg.width, fg.height, painted, counts.get(RED, 0)))


def g_y(f):
    y = f.y
    return str(int(y)) if y == int(y) else str(y)


if __name__ == "__main__":
    main()
