#!/usr/bin/env python3
"""Copy an ELF file with the bytes of its code and data sections zeroed.

usage: slim-elf.py IN OUT

What perf and swapdiag need from a binary to name frames and unwind
--call-graph dwarf stacks stays byte for byte: the ELF and program headers,
the section headers, .eh_frame/.eh_frame_hdr/.debug_frame, the symbol
tables (.symtab, .dynsym, their strings), .plt/.rela.plt, the notes (the
build-id).  The contents of .text, .rodata and .data -- most of a binary's
bytes -- are zeroed (file offsets and sizes unchanged), so the copy
compresses to a fraction; nothing reads them (libdw takes the CFI from
.eh_frame; an unwinder that reads code, as libunwind's signal-frame check,
sees zeros -- never a sigreturn trampoline -- in perf and here alike).
"""
import struct
import sys

ZERO = {b".text", b".rodata", b".data", b".data.rel.ro", b".gcc_except_table",
        b".tbss", b".tdata", b".init_array", b".fini_array", b".got"}


def main(src, dst):
    data = bytearray(open(src, "rb").read())
    if data[:4] != b"\x7fELF":
        sys.exit(f"{src}: not an ELF file")
    cls, order = data[4], data[5]
    e = "<" if order == 1 else ">"
    if cls == 2:
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3a)
        fmt, off_i, size_i = e + "IIQQQQIIQQ", 4, 5
    else:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2e)
        fmt, off_i, size_i = e + "IIIIIIIIII", 4, 5
    shdrs = [struct.unpack_from(fmt, data, shoff + i * shentsize)
             for i in range(shnum)]
    stroff = shdrs[shstrndx][off_i]
    for sh in shdrs:
        name = bytes(data[stroff + sh[0]:data.index(b"\0", stroff + sh[0])])
        if name in ZERO and sh[1] != 8:  # not SHT_NOBITS
            off, size = sh[off_i], sh[size_i]
            data[off:off + size] = bytes(size)
    open(dst, "wb").write(data)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
