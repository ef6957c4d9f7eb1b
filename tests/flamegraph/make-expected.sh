#!/bin/sh
# Remakes the FlameGraph conformance suite (tests/flamegraph, README.md) from
# a checkout of brendangregg/FlameGraph: its 13 perf script inputs
# (test/perf-*.txt) and, for each, the output of ITS stackcollapse-perf.pl
# with no option and with --pid --tid --kernel --jit --all --addrs.  The
# expected files come from running that script, never from swapdiag; the
# committed test/results/*.txt are not used (8 of them are stale: the four
# Java inputs' --pid and --tid results still keep the leading 'L' the
# script now drops), only compared, and the differences listed.
#
# usage: make-expected.sh FLAMEGRAPH_CHECKOUT
#   e.g. git --git-dir=/work/.mirror/brendangregg+FlameGraph/repo archive \
#            41fee1f99f9276008b7cd112fca19dc3ea84ac32 | tar -x -C /tmp/fg
#        tests/flamegraph/make-expected.sh /tmp/fg
# Needs perl and zstd.  Runs only when the suite is remade, never in tests.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 FLAMEGRAPH_CHECKOUT" >&2; exit 64; }
fg=$1
here=$(cd "$(dirname "$0")" && pwd)
script=$fg/stackcollapse-perf.pl
[ -f "$script" ] || { echo "$0: no $script" >&2; exit 1; }
rm -rf "$here/input" "$here/expected"
mkdir "$here/input" "$here/expected"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
stale=0
for t in "$fg"/test/perf-*.txt; do
	name=$(basename "$t" .txt)
	zstd -q -19 -c "$t" >"$here/input/$name.txt.zst"
	for opt in default pid tid kernel jit all addrs; do
		flag=--$opt
		[ "$opt" = default ] && flag=
		# the script's stderr: "Filtering for events of type", and
		# "Unrecognized line" for lines it skips
		perl "$script" $flag "$t" >"$tmp/out" 2>/dev/null
		LC_ALL=C sort "$tmp/out" | zstd -q -19 -c \
			>"$here/expected/$name-collapsed-$opt.txt.zst"
		old=$fg/test/results/$name-collapsed-$opt.txt
		if [ -f "$old" ] && ! cmp -s "$tmp/out" "$old"; then
			echo "stale in FlameGraph's test/results: $name-collapsed-$opt.txt"
			stale=$((stale + 1))
		fi
	done
done
echo "$stale committed results differ from the script's output"
