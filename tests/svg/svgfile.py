"""svgfile.py - what a swapdiag flame graph holds, read back with
xml.etree (which also proves it well-formed), and the folded stacks it must
agree with."""
import bisect
import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"

# characters XML 1.0 cannot carry; swapdiag writes U+FFFD for them
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(s):
    return _NOT_XML.sub("\ufffd", s)


class Frame:
    def __init__(self, g, base, fh):
        self.cls = set(g.get("class", "").split())
        self.s = int(g.get("data-s"))
        self.n = int(g.get("data-n"))
        self.title = g.find(SVG + "title").text
        self.name = self.title.split("\n")[0]
        rect = g.find(SVG + "rect")
        self.x = float(rect.get("x"))
        self.w = float(rect.get("width"))
        self.y = float(rect.get("y"))
        self.depth = round((base - self.y) / fh)
        t = g.find(SVG + "text")
        self.label = t.text if t is not None else None
        self.merged = "merged" in self.cls
        # a run of k nested unresolved user frames drawn as one box: the
        # tooltip names them, callers first, separated by ';'
        self.k = int(g.get("data-k", "1"))
        self.chain = (self.name,)
        if self.k > 1:
            lines = self.title.split("\n")
            at = [i for i, ln in enumerate(lines) if ln.endswith("drawn as one:")]
            assert at, "collapsed frame %r does not name its run" % self.title
            self.chain = tuple(lines[at[0] + 1].split(";"))
        self.parent = None
        self.path = None

    def __repr__(self):
        return "<%s d=%d s=%d n=%d %s>" % (self.name, self.depth, self.s, self.n,
                                          " ".join(sorted(self.cls)))


class FlameGraph:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        self.root = ET.fromstring(self.raw)
        r = self.root
        assert r.tag == SVG + "svg", r.tag
        self.width = int(r.get("width"))
        self.height = int(r.get("height"))
        self.doc_title = r.find(SVG + "title").text
        self.by_id = {e.get("id"): e for e in r.iter() if e.get("id")}
        self.title = self.by_id["title"].text
        self.subtitle = self.by_id["subtitle"].text
        box = self.by_id["frames"]
        self.total = int(box.get("data-total"))
        self.pad = int(box.get("data-pad"))
        self.drawable = int(box.get("data-width"))
        self.fh = int(box.get("data-fh"))
        self.base = float(box.get("data-base"))
        self.frames = [Frame(g, self.base, self.fh) for g in box.findall(SVG + "g")]
        self._link()

    def _link(self):
        """Each frame's caller is the frame one level down whose samples
        contain its own."""
        levels = {}
        for f in self.frames:
            if not f.merged:
                levels.setdefault(f.depth, []).append(f)
        starts = {}
        for d, fs in levels.items():
            fs.sort(key=lambda f: f.s)
            starts[d] = [f.s for f in fs]
        for f in self.frames:
            if f.depth == 0:
                f.path = ("all",) if not f.merged else None
                continue
            below = levels.get(f.depth - 1, [])
            i = bisect.bisect_right(starts.get(f.depth - 1, []), f.s) - 1
            p = below[i] if i >= 0 else None
            assert p and p.s <= f.s and f.s + f.n <= p.s + p.n, \
                "frame %r lies outside every frame below it" % f
            f.parent = p
        for f in sorted(self.frames, key=lambda f: f.depth):
            if f.parent and not f.merged:
                f.path = f.parent.path + f.chain

    def named(self, name):
        return [f for f in self.frames if f.name == name and not f.merged]

    def classes(self, name):
        out = set()
        for f in self.named(name):
            out |= f.cls
        return out


def read_folded(path):
    """{(comm, frame, ...): samples}, names as the SVG must show them."""
    out = {}
    with open(path, "rb") as f:
        for line in f:
            stack, _, count = line.rstrip(b"\n").rpartition(b" ")
            key = tuple(xml_safe(stack.decode("utf-8", "replace")).split(";"))
            out[key] = out.get(key, 0) + int(count)
    return out


def prefix_sums(folded):
    """{("all", comm, ...): samples of that frame and its callees}, and
    {path: samples that end there}."""
    sums, self_ = {("all",): 0}, {}
    for key, n in folded.items():
        path = ("all",)
        sums[path] += n
        for name in key:
            path = path + (name,)
            sums[path] = sums.get(path, 0) + n
        self_[path] = self_.get(path, 0) + n
    return sums, self_
