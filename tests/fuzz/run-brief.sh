#!/bin/sh
# A short libFuzzer run, as a Meson test of the -Dfuzz build (suite fuzz):
#
#   run-brief.sh FUZZER RUNS SECONDS ARTIFACTS SEED...
#
# RUNS executions at most, and SECONDS at most (-max_total_time: the
# harnesses run the whole pipeline and every report, tens to hundreds of
# executions a second under ASan on a shared machine).
# SEEDs are files or directories, read only: they are copied into a
# temporary work corpus (a *.zst seed decompressed, every seed cut to the
# 64 KiB -max_len), where libFuzzer also writes what it finds; the work
# corpus is removed at the end.  A crash fails the test and its input is
# kept under ARTIFACTS (in the build directory) with libFuzzer's log on
# stderr.  A fixed -seed: the same inputs in the same order, as far as
# the time limit lets it go.
set -eu
[ $# -ge 5 ] || { sed -n '2,16p' "$0" >&2; exit 64; }
fuzzer=$1 runs=$2 secs=$3 art=$4
shift 4
max_len=65536
work=$(mktemp -d "${TMPDIR:-/tmp}/swapdiag-brief.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
n=0
add() { # add FILE: one seed
	n=$((n + 1))
	case $1 in
	*.zst) zstd -qdc "$1" | head -c $max_len > "$work/seed-$n" || true ;;
	*) head -c $max_len "$1" > "$work/seed-$n" ;;
	esac
}
for s in "$@"; do
	if [ -d "$s" ]; then
		for f in "$s"/*; do
			[ -f "$f" ] && [ "${f##*/}" != README.md ] && add "$f"
		done
	else
		add "$s"
	fi
done
[ "$n" -gt 0 ] || { echo "run-brief: no seeds in $*" >&2; exit 1; }
mkdir -p "$art"
# a small quarantine, as run-fuzzers.sh: every run allocates afresh
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
echo "$fuzzer: $n seeds, -runs=$runs -max_total_time=$secs"
if ! "$fuzzer" -runs="$runs" -max_total_time="$secs" -seed=1 -max_len=$max_len -timeout=20 \
	-rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$art/" "$work" > "$work.log" 2>&1; then
	cat "$work.log" >&2
	rm -f "$work.log"
	echo "$fuzzer: crashed; the input is in $art/" >&2
	exit 1
fi
grep -E '^stat::number_of_executed_units|DONE|INITED' "$work.log" || true
rm -f "$work.log"
