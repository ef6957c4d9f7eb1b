#!/usr/bin/env python3
"""damage.py - real recordings, damaged, through the real swapdiag.

usage: damage.py SWAPDIAG TESTDATA [--list] [--only SUBSTRING] [--keep DIR]

Takes the real 6.18 recordings in testdata/ (swapstorm.data in file mode,
its -z variant with zstd-compressed records, and the pipe-mode recording
both as a file and on standard input), lays each out with perflayout.py
(header fields, attrs and ids, feature section table and sections, record
boundaries, call chains, compressed records) and makes damaged copies:

  cut   the file ends inside the header, the attrs, the ids, a record
        header, a record body, a call chain, a compressed record, the
        feature table or a feature section (file mode keeps them after the
        data, so a cut anywhere in the data loses them)
  flip  one byte inverted: header fields, attr fields, feature table
        entries, record types and sizes, call-chain lengths, compressed
        payloads, and positions spread over the whole file (seeded)

Every copy runs twice, text and --json -, and must give:

  - no signal, no hang, exit status 0, 1 or 2, the same in both runs;
  - with --json -, a JSON document on stdout (a report, or the error
    document when the input could not be analysed at all);
  - for every copy that is damaged where the damage can be seen (every
    cut; structural flips), a message on stderr that names the file and
    a byte offset: "swapdiag: warning|error: FILE: byte N: ...", with N
    inside the file as it was given;
  - for those damaged copies that are still analysed (exit 0 or 1), the
    report itself says so: the text report's second line starts
    "DAMAGED INPUT:" and names a byte offset, JSON input.damage is set
    (the message on stderr alone is hidden by -q);
  - for a cut late in the data (80 % of the records or more survived),
    the on-CPU findings of the whole recording still reported: what was
    readable is analysed; likewise for a record whose type was damaged
    anywhere (that one record is skipped), and for damage to the feature
    sections (the records are all there).

SWAPDIAG_DAMAGE_EVERY=N in the environment runs every Nth copy only
(the valgrind test setup does).  Interesting offsets are derived from each file's own layout, never
hard-coded.  Needs only Python 3's standard library; with
python3-jsonschema installed the JSON reports are also checked against
man/swapdiag-report.schema.json (under CI=true it must be installed:
tests/schemacheck.py).
"""
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perflayout  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import schemacheck  # noqa: E402  (tests/schemacheck.py)

MSG = re.compile(r"^swapdiag: (warning|error): (.*?): byte (\d+): ", re.M)
ON_CPU = ("swap_dup_fork", "swap_free_exec")
# an ASan/UBSan build exits 1 after a report: look at stderr as well
SANITIZER = re.compile(r"runtime error:|ERROR: (Address|Leak|Memory)Sanitizer")


class Case:
    def __init__(self, name, data, message=True, exits=(0, 1, 2),
                 findings=(), stdin=False, note="", max_duration=None,
                 stderr_not=None):
        self.name = name
        self.data = data
        self.message = message    # a FILE: byte N message is required
        self.exits = set(exits)
        self.findings = set(findings)
        self.stdin = stdin
        self.note = note
        self.max_duration = max_duration  # input.duration_s at most
        self.stderr_not = stderr_not  # a regex no stderr line may match


def flip(buf, off, mask=0xff):
    b = bytearray(buf)
    b[off] ^= mask
    return bytes(b)


def at_fraction(recs, frac, lo, hi):
    """The first of recs that starts at or after frac of the bytes
    [lo, hi) (the data section): cut there, frac of the data survives."""
    at = lo + int((hi - lo) * frac)
    for r in recs:
        if r.offset >= at:
            return r
    return recs[-1] if recs else None


def data_cases(tag, buf, lay, base_findings, pipe=False):
    """Cuts and flips inside the records (any mode)."""
    cases = []
    recs = lay.records
    lo, hi = lay.data_offset, min(lay.data_end, len(buf))
    samples_cc = [r for r in recs if r.callchain and r.callchain[1] > 2]
    for frac in (0.1, 0.5, 0.8, 0.9, 0.99):
        r = at_fraction(recs, frac, lo, hi)
        # what survives a cut here: records before r
        late = frac >= 0.8
        want = base_findings if late else ()
        cases.append(Case("%s.cut-record-header-%d%%" % (tag, frac * 100),
                          buf[:r.offset + 4], findings=want,
                          exits=(0, 1)))
        cases.append(Case("%s.cut-record-body-%d%%" % (tag, frac * 100),
                          buf[:r.offset + max(8, r.size // 2)],
                          findings=want, exits=(0, 1)))
        s = at_fraction(samples_cc, frac, lo, hi) if samples_cc else None
        if s:
            off, nr = s.callchain
            cases.append(Case("%s.cut-callchain-%d%%" % (tag, frac * 100),
                              buf[:off + 8 + 8 * (nr // 2) + 3],
                              findings=want, exits=(0, 1)))
        # flips: a type no record has, a size that breaks the chain of
        # records, a call chain longer than its record
        # a damaged type between good records costs that record only
        cases.append(Case("%s.flip-record-type-%d%%" % (tag, frac * 100),
                          flip(buf, r.offset + 3), exits=(0, 1),
                          findings=base_findings))
        cases.append(Case("%s.flip-record-size-%d%%" % (tag, frac * 100),
                          flip(buf, r.offset + 7), exits=(0, 1)))
        cases.append(Case("%s.zero-record-size-%d%%" % (tag, frac * 100),
                          buf[:r.offset + 6] + b"\0\0" + buf[r.offset + 8:],
                          exits=(0, 1)))
        if s:
            off, nr = s.callchain
            cases.append(Case("%s.flip-callchain-nr-%d%%" % (tag, frac * 100),
                              flip(buf, off + 4), exits=(0, 1)))
    comp = [r for r in recs if r.type in (perflayout.REC_COMPRESSED,
                                          perflayout.REC_COMPRESSED2)]
    for frac in (0.2, 0.5, 0.85):
        r = at_fraction(comp, frac, lo, hi) if comp else None
        if not r:
            continue
        hdr = 16 if r.type == perflayout.REC_COMPRESSED2 else 8
        want = base_findings if frac >= 0.8 else ()
        cases.append(Case("%s.cut-compressed-%d%%" % (tag, frac * 100),
                          buf[:r.offset + hdr + (r.size - hdr) // 2],
                          findings=want, exits=(0, 1)))
        for k in (1, 2):
            cases.append(Case("%s.flip-compressed-%d%%-%d" % (tag, frac * 100, k),
                              flip(buf, r.offset + hdr + (r.size - hdr) * k // 3),
                              message=False, exits=(0, 1)))
    return cases


def file_cases(tag, buf, base_findings):
    lay = perflayout.layout(buf)
    cases = []
    # the header: every field
    for off, what in ((0, "magic"), (8, "size"), (16, "attr-size"),
                      (24, "attrs-offset"), (32, "attrs-size"),
                      (40, "data-offset"), (48, "data-size"),
                      (72, "features")):
        cases.append(Case("%s.cut-header-%s" % (tag, what), buf[:off + 3],
                          exits=(2,)))
    for off, what, must in ((0, "magic", True), (8, "size", True),
                            (16, "attr-size", True),
                            (31, "attrs-offset-hi", True),
                            (39, "attrs-size-hi", True),
                            (47, "data-offset-hi", True),
                            (55, "data-size-hi", True),
                            (72, "features", False)):
        cases.append(Case("%s.flip-header-%s" % (tag, what), flip(buf, off),
                          message=must))
    # the attrs and their ids
    a0, asz, _, ids_off, ids_size = lay.attrs[0]
    cases.append(Case("%s.cut-attr-0" % tag, buf[:a0 + asz // 2], exits=(2,)))
    a1 = lay.attrs[-1][0]
    cases.append(Case("%s.cut-attr-last" % tag, buf[:a1 + lay.attr_size - 4],
                      exits=(2,)))
    if ids_size:
        cases.append(Case("%s.cut-ids" % tag, buf[:ids_off + ids_size // 2],
                          exits=(2,)))
        cases.append(Case("%s.flip-ids-offset-hi" % tag,
                          flip(buf, a0 + lay.attr_size - 16 + 7)))
    cases.append(Case("%s.flip-attr-size" % tag, flip(buf, a0 + 4),
                      message=False))
    cases.append(Case("%s.flip-attr-sample-type" % tag, flip(buf, a0 + 24),
                      message=False))
    # the feature table and sections (after the data): the records are all
    # there, so every finding that does not need a feature must be too
    t = lay.feature_table
    cases.append(Case("%s.cut-feature-table" % tag, buf[:t + 8],
                      findings=base_findings, exits=(0, 1)))
    cases.append(Case("%s.flip-feature-table-hi" % tag, flip(buf, t + 7),
                      findings=base_findings, exits=(0, 1)))
    for bit, _, off, size in lay.features:
        name = perflayout.FEATURE_NAMES.get(bit, "feat%d" % bit)
        if name in ("tracing_data", "build_id", "hostname", "osrelease",
                    "event_desc", "cmdline"):
            cases.append(Case("%s.cut-feature-%s" % (tag, name),
                              buf[:off + size // 2],
                              findings=base_findings, exits=(0, 1)))
    # a sample's time far off (the SAMPLE_TIME feature bounds them): the
    # recording must not grow from seconds to hours
    timed = [r for r in lay.records if r.time]
    if timed:
        feats = {bit: (off, size) for bit, _, off, size in lay.features}
        first_last = None
        if 21 in feats and feats[21][1] >= 16:
            first_last = struct.unpack_from(lay.endian + "QQ", buf,
                                            feats[21][0])
        if first_last and first_last[0]:
            span = (first_last[1] - first_last[0]) / 1e9
            for frac in (0.3, 0.7):
                r = at_fraction(timed, frac, lay.data_offset, lay.data_end)
                hi = 4 if lay.endian == "<" else 3
                cases.append(Case("%s.flip-sample-time-%d%%" % (tag, frac * 100),
                                  flip(buf, r.time + hi, 0x10),
                                  findings=base_findings, exits=(0, 1),
                                  max_duration=2 * span + 1))
    # the data
    cases += data_cases(tag, buf, lay, base_findings)
    # the end of the data, exactly: all records, no features
    cases.append(Case("%s.cut-data-end" % tag, buf[:lay.data_end],
                      findings=base_findings, exits=(0, 1)))
    return cases


def pipe_cases(tag, buf, base_findings):
    lay = perflayout.layout(buf)
    cases = [Case("%s.cut-header" % tag, buf[:11], exits=(2,)),
             Case("%s.flip-header-size" % tag, flip(buf, 8), exits=(2,))]
    hdr = [r for r in lay.records if r.type >= perflayout.REC_HEADER_ATTR and
           r.type not in (perflayout.REC_FINISHED_ROUND,)]
    attr = next((r for r in lay.records
                 if r.type == perflayout.REC_HEADER_ATTR), None)
    if attr:
        cases.append(Case("%s.cut-attr" % tag,
                          buf[:attr.offset + attr.size // 2]))
    td = next((r for r in lay.records
               if r.type == perflayout.REC_HEADER_TRACING_DATA), None)
    if td:
        cases.append(Case("%s.cut-tracing-data" % tag,
                          buf[:td.offset + td.size + td.extra // 2]))
    if hdr:
        last = hdr[-1]
        cases.append(Case("%s.cut-after-header-records" % tag,
                          buf[:last.offset + last.size + last.extra + 4]))
    cases += data_cases(tag, buf, lay, base_findings, pipe=True)
    return cases


def random_flips(tag, buf, n, seed):
    rnd = random.Random(seed)
    return [Case("%s.flip-random-%d" % (tag, off), flip(buf, off, 1 << rnd.randrange(8)),
                 message=False)
            for off in sorted(rnd.randrange(len(buf)) for _ in range(n))]


class Runner:
    def __init__(self, swapdiag, td, keep):
        self.swapdiag = swapdiag
        self.common = ["--no-progress", "--buildid-dir", "/nonexistent",
                       "--kallsyms", os.path.join(
                           td, "kallsyms", "host-6.18.44-fc-v782.kallsyms.zst"),
                       "--symfs", os.path.join(td, "symfs")]
        self.keep = keep
        self.failures = []
        self.schema = None
        if schemacheck.optional():
            self.schema = schemacheck.load()

    def run(self, args, path, stdin_data):
        try:
            p = subprocess.run([self.swapdiag] + self.common + args + [path],
                               input=stdin_data, capture_output=True,
                               timeout=60)
        except subprocess.TimeoutExpired:
            return None, b"", "timed out"
        return p.returncode, p.stdout, p.stderr.decode(errors="replace")

    def check(self, case, dirpath):
        path = os.path.join(dirpath, case.name + ".data")
        with open(path, "wb") as f:
            f.write(case.data)
        name = "-" if case.stdin else path
        stdin = case.data if case.stdin else None
        bad = []
        results = {}
        for mode, args in (("text", []), ("json", ["--json", "-"])):
            rc, out, err = self.run(args, name, stdin)
            results[mode] = rc
            if rc is None:
                bad.append("%s: hung (killed after 60 s)" % mode)
                continue
            if rc < 0:
                bad.append("%s: killed by signal %d" % (mode, -rc))
                continue
            if rc not in case.exits:
                bad.append("%s: exit %d, expected %s" %
                           (mode, rc, sorted(case.exits)))
            if case.stderr_not:
                wrong = [l for l in err.splitlines()
                         if re.search(case.stderr_not, l)]
                if wrong:
                    bad.append("%s: misleading message: %s" % (mode, wrong[0]))
            if SANITIZER.search(err):
                bad.append("%s: sanitizer report:\n%s" % (
                    mode, "\n".join(err.splitlines()[:12])))
            msgs = [(m.group(1), m.group(2), int(m.group(3)))
                    for m in MSG.finditer(err)]
            if case.message:
                mine = [m for m in msgs if m[1] == name]
                if not mine:
                    bad.append("%s: no 'swapdiag: warning|error: %s: byte N:' "
                               "message" % (mode, name))
                elif not any(m[2] <= len(case.data) for m in mine):
                    bad.append("%s: every byte offset is past the end (%d): %s"
                               % (mode, len(case.data), mine))
            if mode == "text" and case.message and rc in (0, 1):
                second = out.decode(errors="replace").split("\n")[1:2]
                if not (second and re.match(r"DAMAGED INPUT: .*byte \d+",
                                            second[0])):
                    bad.append("text: the report's second line does not "
                               "name the damage: %r" % second)
            if mode == "json":
                try:
                    doc = json.loads(out)
                except ValueError as e:
                    bad.append("json: stdout is not JSON: %s" % e)
                    continue
                if rc == 2 and "error" not in doc and \
                        doc.get("severity") != "unknown":
                    bad.append("json: exit 2 without an error document")
                if case.message and rc in (0, 1) and \
                        not doc.get("input", {}).get("damage"):
                    bad.append("json: input.damage is null")
                if self.schema and "error" not in doc:
                    import jsonschema
                    try:
                        jsonschema.validate(doc, self.schema)
                    except jsonschema.ValidationError as e:
                        bad.append("json: does not match the schema: %s" %
                                   e.message)
                dur = doc.get("input", {}).get("duration_s")
                if case.max_duration and rc in (0, 1) and dur is not None \
                        and dur > case.max_duration:
                    bad.append("json: duration %.1f s, more than %.1f s" %
                               (dur, case.max_duration))
                if case.findings and rc in (0, 1):
                    got = {f.get("id") for f in doc.get("findings", [])}
                    missing = case.findings - got
                    if missing:
                        bad.append("json: findings %s missing (got %s)" %
                                   (sorted(missing), sorted(got)))
        if results.get("text") != results.get("json") and None not in results.values():
            bad.append("exit status differs: text %s, json %s" %
                       (results["text"], results["json"]))
        if bad:
            self.failures.append(case.name)
            print("FAIL %s (%d bytes)" % (case.name, len(case.data)))
            for b in bad:
                print("     " + b)
            if self.keep:
                os.makedirs(self.keep, exist_ok=True)
                with open(os.path.join(self.keep, case.name + ".data"),
                          "wb") as f:
                    f.write(case.data)
        else:
            print("ok   %s (exit %s)" % (case.name, results.get("json")))
        os.unlink(path)


def base_findings(runner, path):
    """The on-CPU findings of the undamaged recording."""
    rc, out, err = runner.run(["--json", "-"], path, None)
    if rc not in (0, 1):
        print("FAIL the undamaged %s: exit %s\n%s" % (path, rc, err))
        sys.exit(1)
    got = {f.get("id") for f in json.loads(out).get("findings", [])}
    return tuple(sorted(got & set(ON_CPU)))


def main(argv):
    args = argv[1:]
    listing = "--list" in args
    only = keep = None
    if "--only" in args:
        only = args[args.index("--only") + 1]
    if "--keep" in args:
        keep = args[args.index("--keep") + 1]
    pos = [a for i, a in enumerate(args)
           if not a.startswith("--") and (i == 0 or args[i - 1] not in
                                          ("--only", "--keep"))]
    if len(pos) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    swapdiag, td = pos
    runner = Runner(swapdiag, td, keep)
    cases = []
    for name, mode in (("swapstorm.data", "file"),
                       ("swapstorm-z.data", "file"),
                       ("swapstorm-pipe.data", "pipe")):
        path = os.path.join(td, name)
        with open(path, "rb") as f:
            buf = f.read()
        tag = name[:-5]
        want = base_findings(runner, path)
        if not want:
            print("FAIL %s: the undamaged recording has no on-CPU finding"
                  % name)
            return 1
        if mode == "file":
            cases += file_cases(tag, buf, want)
            # an undamaged file-mode recording through a pipe: an error
            # that says so, not one that calls the file damaged
            cases.append(Case(tag + ".file-mode-on-stdin", buf, exits=(2,),
                              stdin=True, stderr_not=r"damaged"))
            cases += random_flips(tag, buf, 12, name)
        else:
            pc = pipe_cases(tag, buf, want)
            cases += pc
            # the same damage on standard input, for a few of them
            for c in pc[::4]:
                cases.append(Case(c.name + ".stdin", c.data, c.message,
                                  c.exits, c.findings, stdin=True))
            cases += random_flips(tag, buf, 12, name)
    if only:
        cases = [c for c in cases if only in c.name]
    every = int(os.environ.get("SWAPDIAG_DAMAGE_EVERY", "1") or 1)
    if every > 1:  # under valgrind: a sample of the cases
        cases = cases[::every]
    if listing:
        for c in cases:
            print(c.name, len(c.data))
        return 0
    with tempfile.TemporaryDirectory(prefix="swapdiag-damage-") as d:
        for c in cases:
            runner.check(c, d)
    print("%d damaged inputs, %d failed" % (len(cases), len(runner.failures)))
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
