#!/usr/bin/env python3
"""perflayout.py - the byte layout of a perf.data file (Python 3 stdlib).

Reads just enough of a perf.data file to say where things are, so that
tests can damage it in meaningful places: the file header and its fields,
the attrs and their id arrays, the feature section table and each feature
section, every record header in the data (file mode) or the stream (pipe
mode), the call chain of every sample that has one, and every compressed
record.  It trusts nothing it does not need and raises ValueError on files
it cannot lay out.

    lay = layout(open("x.data", "rb").read())
    lay.pipe, lay.data_offset, lay.data_end, lay.records[i].offset, ...
"""
import struct
import sys

PERF_MAGIC = b"PERFILE2"
REC_SAMPLE = 9
REC_HEADER_ATTR = 64
REC_HEADER_TRACING_DATA = 66
REC_HEADER_FEATURE = 80
REC_COMPRESSED = 81
REC_FINISHED_ROUND = 68
REC_AUXTRACE = 71
REC_COMPRESSED2 = 83

S_IP, S_TID, S_TIME, S_ADDR, S_READ, S_CALLCHAIN, S_ID, S_CPU, S_PERIOD, \
    S_STREAM_ID, S_RAW = (1 << i for i in range(11))
S_IDENTIFIER = 1 << 16

FEATURE_NAMES = {1: "tracing_data", 2: "build_id", 3: "hostname",
                 4: "osrelease", 5: "version", 6: "arch", 7: "nrcpus",
                 8: "cpudesc", 9: "cpuid", 10: "total_mem", 11: "cmdline",
                 12: "event_desc", 13: "cpu_topology", 14: "numa_topology",
                 15: "branch_stack", 16: "pmu_mappings", 17: "group_desc"}


class Record:
    def __init__(self, offset, rtype, misc, size):
        self.offset, self.type, self.misc, self.size = offset, rtype, misc, size
        self.callchain = None  # (offset of nr, nr) for samples that have one
        self.time = None       # offset of a sample's time, if it has one
        self.extra = 0         # payload bytes after the record (tracing data)

    def __repr__(self):
        return "Record(@%d type %d size %d)" % (self.offset, self.type, self.size)


class Layout:
    def __init__(self):
        self.pipe = False
        self.endian = "<"
        self.size = 0
        self.header_size = 0
        self.attr_size = 0
        self.attrs = []         # (offset, attr.size, sample_type, ids_off, ids_size)
        self.attrs_offset = self.attrs_size = 0
        self.data_offset = self.data_size = 0
        self.features = []      # (bit, table entry offset, offset, size)
        self.feature_table = 0  # offset of the feature section table
        self.records = []

    @property
    def data_end(self):
        return self.data_offset + self.data_size


def _attr_sample_type(buf, off, e):
    return struct.unpack_from(e + "Q", buf, off + 24)[0]


def _time_pos(st):
    """Offset of TIME in a sample body, or None."""
    if not st & S_TIME:
        return None
    return 8 * sum(1 for bit in (S_IDENTIFIER, S_IP, S_TID) if st & bit)


def _callchain_pos(st):
    """Offset of CALLCHAIN's nr in a sample body, or None; the fields before
    it (IP .. PERIOD) all have fixed size unless READ is set."""
    if not st & S_CALLCHAIN or st & S_READ:
        return None
    pos = 0
    for bit in (S_IDENTIFIER, S_IP, S_TID, S_TIME, S_ADDR, S_ID, S_STREAM_ID,
                S_CPU, S_PERIOD):
        if st & bit:
            pos += 8
    return pos


def _resolver(by_id):
    """sample record offset -> sample_type: the one type all events share,
    or, when every event has SAMPLE_IDENTIFIER, the type of the event whose
    id comes first in the sample."""
    types = set(by_id.values())
    if len(types) == 1:
        t = types.pop()
        return lambda buf, off, e: t
    if types and all(t & S_IDENTIFIER for t in types):
        return lambda buf, off, e: by_id.get(
            struct.unpack_from(e + "Q", buf, off + 8)[0])
    return lambda buf, off, e: None


def _walk(lay, buf, start, end, by_id):
    e = lay.endian
    off = start
    sample_type = _resolver(by_id)
    while off + 8 <= end:
        rtype, misc, size = struct.unpack_from(e + "IHH", buf, off)
        if size < 8 or off + size > end:
            break
        rec = Record(off, rtype, misc, size)
        cc = None
        if rtype == REC_SAMPLE and size >= 16:
            st = sample_type(buf, off, e)
            cc = _callchain_pos(st) if st is not None else None
            tp = _time_pos(st) if st is not None else None
            if tp is not None and 8 + tp + 8 <= size:
                rec.time = off + 8 + tp
        if rtype == REC_SAMPLE and cc is not None and size >= 8 + cc + 8:
            nr = struct.unpack_from(e + "Q", buf, off + 8 + cc)[0]
            if 8 + cc + 8 + 8 * nr <= size:
                rec.callchain = (off + 8 + cc, nr)
        if rtype == REC_HEADER_TRACING_DATA and size >= 12:
            rec.extra = struct.unpack_from(e + "I", buf, off + 8)[0]
        elif rtype == REC_AUXTRACE and size >= 16:
            rec.extra = struct.unpack_from(e + "Q", buf, off + 8)[0]
        lay.records.append(rec)
        off += size + rec.extra


def layout(buf):
    lay = Layout()
    lay.size = len(buf)
    if len(buf) < 16:
        raise ValueError("shorter than a header")
    if buf[:8] == PERF_MAGIC:
        lay.endian = "<"
    elif buf[:8] == PERF_MAGIC[::-1]:
        lay.endian = ">"
    else:
        raise ValueError("not PERFILE2")
    e = lay.endian
    lay.header_size = struct.unpack_from(e + "Q", buf, 8)[0]
    if lay.header_size == 16:
        lay.pipe = True
        lay.data_offset, lay.data_size = 16, len(buf) - 16
        by_id = {}
        off = 16
        while off + 8 <= len(buf):
            rtype, _, size = struct.unpack_from(e + "IHH", buf, off)
            if size < 8:
                break
            if rtype == REC_HEADER_ATTR and size >= 8 + 64:
                st = _attr_sample_type(buf, off + 8, e)
                asz = struct.unpack_from(e + "I", buf, off + 12)[0] or 64
                ids = range(off + 8 + asz, off + size - 7, 8)
                for i in ids:
                    by_id[struct.unpack_from(e + "Q", buf, i)[0]] = st
                by_id.setdefault(("attr", off), st)
            extra = 0
            if rtype == REC_HEADER_TRACING_DATA and size >= 12:
                extra = struct.unpack_from(e + "I", buf, off + 8)[0]
            off += size + extra
        _walk(lay, buf, 16, len(buf), by_id)
        return lay
    (lay.attr_size, lay.attrs_offset, lay.attrs_size, lay.data_offset,
     lay.data_size) = struct.unpack_from(e + "5Q", buf, 16)
    feats = struct.unpack_from(e + "4Q", buf, 72)
    by_id = {}
    for i in range(lay.attrs_size // lay.attr_size):
        a = lay.attrs_offset + i * lay.attr_size
        asz = struct.unpack_from(e + "I", buf, a + 4)[0] or 64
        st = _attr_sample_type(buf, a, e)
        ids_off, ids_size = struct.unpack_from(e + "QQ", buf,
                                               a + lay.attr_size - 16)
        lay.attrs.append((a, asz, st, ids_off, ids_size))
        by_id[("attr", a)] = st
        for j in range(ids_off, ids_off + ids_size - 7, 8):
            by_id[struct.unpack_from(e + "Q", buf, j)[0]] = st
    lay.feature_table = lay.data_end
    k = 0
    for bit in range(256):
        if feats[bit // 64] >> (bit % 64) & 1:
            t = lay.feature_table + 16 * k
            if t + 16 <= len(buf):
                off, size = struct.unpack_from(e + "QQ", buf, t)
                lay.features.append((bit, t, off, size))
            k += 1
    _walk(lay, buf, lay.data_offset, min(lay.data_end, len(buf)), by_id)
    return lay


def main(argv):
    for path in argv[1:]:
        with open(path, "rb") as f:
            buf = f.read()
        lay = layout(buf)
        print("%s: %s mode, %s, %d bytes" % (
            path, "pipe" if lay.pipe else "file",
            "big-endian" if lay.endian == ">" else "little-endian", lay.size))
        if not lay.pipe:
            print("  attrs @%d +%d (%d x %d)" % (lay.attrs_offset,
                  lay.attrs_size, len(lay.attrs), lay.attr_size))
            print("  data @%d +%d" % (lay.data_offset, lay.data_size))
            print("  feature table @%d" % lay.feature_table)
            for bit, t, off, size in lay.features:
                print("    %-14s @%d +%d" % (
                    FEATURE_NAMES.get(bit, "feat%d" % bit), off, size))
        counts = {}
        for r in lay.records:
            counts[r.type] = counts.get(r.type, 0) + 1
        print("  records: %d %s" % (len(lay.records), sorted(counts.items())))
        print("  with call chains: %d" % sum(1 for r in lay.records
                                               if r.callchain))


if __name__ == "__main__":
    main(sys.argv)
