#!/usr/bin/env python3
"""make-seeds.py - small, well-formed seed inputs from real recordings.

libFuzzer runs with -max_len=65536, so a seed larger than that is cut and
a file-mode recording cut at 64 KiB has lost its feature sections (they
follow the data) and most of its samples (perf writes the synthesized
MMAP/COMM records first).  This writes a shrunken copy instead: the file
header, attrs and ids verbatim, the first records and then a window of
records from the middle of the data (samples, sched_switch), whole records
only, and the feature sections moved up behind the shorter data, with the
header's data size and every feature offset rewritten.  Pipe-mode input is
cut at a record boundary (its header records come first anyway).

    make-seeds.py [--max BYTES] OUT_DIR FILE...
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "damage"))
import perflayout  # noqa: E402


def pick_records(lay, budget):
    """Whole records: about a third of the budget from the start, the rest
    from the middle of the data."""
    recs = lay.records
    out, used = [], 0
    if any(r.type in (perflayout.REC_COMPRESSED, perflayout.REC_COMPRESSED2)
           for r in recs):
        # one zstd stream runs through all compressed records: only a
        # prefix of them decompresses
        for r in recs:
            n = r.size + r.extra
            if used + n > budget:
                break
            out.append(r)
            used += n
        return out
    for r in recs:
        n = r.size + r.extra
        if used + n > budget // 3:
            break
        out.append(r)
        used += n
    start = max(len(out), len(recs) // 2)
    for r in recs[start:]:
        n = r.size + r.extra
        if used + n > budget:
            break
        out.append(r)
        used += n
    return out


def shrink_file(buf, lay, maxlen):
    e = lay.endian
    prefix = bytearray(buf[:lay.data_offset])
    feats = [(bit, off, size) for bit, _, off, size in lay.features
             if off + size <= len(buf)]
    feat_bytes = sum(size for _, _, size in feats)
    if feat_bytes + 16 * len(feats) > maxlen // 3:
        # keep the small ones (host, kernel, event names)
        feats = [f for f in feats if f[2] <= 4096]
    table_len = 16 * len(feats)
    feat_bytes = sum(size for _, _, size in feats)
    budget = maxlen - len(prefix) - table_len - feat_bytes
    if budget < 64:
        raise ValueError("no room for records")
    recs = pick_records(lay, budget)
    data = b"".join(buf[r.offset:r.offset + r.size + r.extra] for r in recs)
    data_end = len(prefix) + len(data)
    table = bytearray()
    body = bytearray()
    at = data_end + table_len
    bits = [0, 0, 0, 0]
    for bit, off, size in feats:
        table += struct.pack(e + "QQ", at + len(body), size)
        body += buf[off:off + size]
        bits[bit // 64] |= 1 << (bit % 64)
    struct.pack_into(e + "Q", prefix, 48, len(data))  # data.size
    struct.pack_into(e + "4Q", prefix, 72, *bits)     # adds_features
    return bytes(prefix) + data + bytes(table) + bytes(body)


def shrink_pipe(buf, lay, maxlen):
    end = 16
    for r in lay.records:
        n = r.size + r.extra
        if r.offset + n > maxlen:
            break
        end = r.offset + n
    return buf[:end]


def main(argv):
    maxlen = 65536
    if len(argv) > 2 and argv[1] == "--max":
        maxlen = int(argv[2])
        argv = argv[2:]
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for path in argv[2:]:
        with open(path, "rb") as f:
            buf = f.read()
        name = os.path.basename(path)
        if len(buf) <= maxlen:
            small = buf
        else:
            lay = perflayout.layout(buf)
            small = (shrink_pipe if lay.pipe else shrink_file)(buf, lay, maxlen)
            name = "shrunk-" + name
        with open(os.path.join(out, name), "wb") as f:
            f.write(small)
        print("%s: %d -> %d bytes" % (path, len(buf), len(small)))


if __name__ == "__main__":
    main(sys.argv)
