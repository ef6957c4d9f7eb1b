#!/bin/sh
# Checks that two swapdiag binaries print the same verdict, JSON and folded
# stacks (and exit the same way) on the benchmark inputs: an optimisation
# must not change a byte of the output.
#
# usage: bench/same-output.sh OLD_SWAPDIAG NEW_SWAPDIAG [DATA...]
#   DATA defaults to bench/out/real40*.data and the big synthetic file if made.
#   Kallsyms: bench/out/real40.kallsyms for real recordings, FILE's
#   .kallsyms sibling for synthetic ones.
set -u
old=$1 new=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
[ $# -gt 0 ] || set -- "$out"/real40.data "$out"/real40-z.data "$out"/real40.pipe.data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
for f in "$@"; do
	[ -f "$f" ] || continue
	ks=${f%.data}.kallsyms
	[ -f "$ks" ] || ks=$out/real40.kallsyms
	for who in old new; do
		eval bin=\$$who
		"$bin" --no-progress --kallsyms "$ks" --json "$tmp/$who.json" \
			--folded "$tmp/$who.folded" "$f" >"$tmp/$who.txt" 2>"$tmp/$who.err"
		echo $? >"$tmp/$who.rc"
	done
	for x in txt json folded err rc; do
		if ! cmp -s "$tmp/old.$x" "$tmp/new.$x"; then
			echo "DIFFERENT: $f ($x)"
			diff "$tmp/old.$x" "$tmp/new.$x" | head -5
			bad=1
		fi
	done
	[ $bad = 0 ] && echo "same: $f"
done
exit $bad
