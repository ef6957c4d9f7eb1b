#!/bin/sh
# Runs swapdiag --folded on a recording and compares the result, stack for
# stack, with the expected folded file that perf itself produced
# (tests/golden/make-golden.sh).
#
# usage: check-folded.sh SWAPDIAG EXPECTED [--stdin FILE] ARGS...
#   ARGS are passed to swapdiag after "--folded -"; with --stdin FILE the
#   recording is fed on standard input (pipe mode) and ARGS end with "-".
set -u
swapdiag=$1 expected=$2
shift 2
stdin=/dev/null
if [ "${1:-}" = --stdin ]; then
	stdin=$2
	shift 2
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
LC_ALL=C "$swapdiag" --no-progress --folded - "$@" <"$stdin" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "swapdiag exited $rc:"
	cat "$tmp/err"
	exit 1
fi
LC_ALL=C sort "$tmp/out" >"$tmp/got"
if ! cmp -s "$tmp/got" "$expected"; then
	exp=$(awk '{s+=$NF} END {print s+0}' "$expected")
	got=$(awk '{s+=$NF} END {print s+0}' "$tmp/got")
	echo "folded output differs from $expected"
	echo "samples: expected $exp, got $got; stacks: expected $(wc -l <"$expected"), got $(wc -l <"$tmp/got")"
	diff -u "$expected" "$tmp/got" | head -60
	exit 1
fi
cat "$tmp/err" >&2
echo "ok: $(wc -l <"$tmp/got") stacks, $(awk '{s+=$NF} END {print s+0}' "$tmp/got") samples"
