#!/bin/sh
# Checks that two swapdiag binaries print the same verdict, JSON and folded
# stacks (and messages and exit status) on every benchmark recording and
# every perf.data in testdata/: an optimisation must not change a byte.
#
# usage: bench/same-output.sh OLD_SWAPDIAG NEW_SWAPDIAG [DATA...]
#   DATA defaults to $OUT/*.data (OUT=/var/tmp/swapdiag-bench, made by
#   bench/record.sh and bench/synth.py) and testdata/*.data.
#   Kallsyms: FILE's .kallsyms sibling (le-callchain*: be-callchain's),
#   else the sibling of the name up to its first '-' or '.' ($OUT/kstorm*),
#   else for testdata/*.data the host kallsyms of testdata/kallsyms (v1045
#   for host-v1045.data, v782 for the rest); --symfs testdata/symfs there.
set -u
old=$1 new=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
OUT=${OUT:-/var/tmp/swapdiag-bench}
[ $# -gt 0 ] || set -- "$OUT"/*.data "$top"/testdata/*.data \
	"$top"/testdata/synthetic/*.data "$top"/testdata/dwarf/*.data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in v782 v1045; do
	zstd -dqc "$top/testdata/kallsyms/host-6.18.44-fc-$v.kallsyms.zst" >"$tmp/$v.kallsyms"
done
bad=0 n=0
for f in "$@"; do
	[ -f "$f" ] || continue
	ks=${f%.data}.kallsyms
	b=$(basename "$f" .data)
	[ -f "$ks" ] || ks=$(dirname "$f")/${b%%.*}.kallsyms
	[ -f "$ks" ] || ks=$(dirname "$f")/${b%%[-.]*}.kallsyms
	case $b in le-callchain*) ks=$(dirname "$f")/be-callchain.kallsyms ;; esac
	set --
	if [ "$(dirname "$f")" = "$top/testdata" ]; then
		case $b in host-v1045) ks=$tmp/v1045.kallsyms ;; *) ks=$tmp/v782.kallsyms ;; esac
		set -- --symfs "$top/testdata/symfs"
	fi
	[ "$(dirname "$f")" != "$top/testdata/dwarf" ] || set -- --symfs "$top/testdata/dwarf/symfs"
	[ -f "$ks" ] || ks=
	[ -z "$ks" ] || set -- "$@" --kallsyms "$ks"
	for who in old new; do
		eval bin=\$$who
		"$bin" --no-progress "$@" --json "$tmp/$who.json" \
			--folded "$tmp/$who.folded" "$f" >"$tmp/$who.txt" 2>"$tmp/$who.err"
		echo $? >"$tmp/$who.rc"
	done
	same=1
	for x in txt json folded err rc; do
		if ! cmp -s "$tmp/old.$x" "$tmp/new.$x"; then
			echo "DIFFERENT: $f ($x)"
			diff "$tmp/old.$x" "$tmp/new.$x" | head -5
			bad=1 same=0
		fi
	done
	[ $same = 1 ] && echo "same: $f${ks:+ (kallsyms $ks)}"
	n=$((n + 1))
done
echo "$n recordings compared"
exit $bad
