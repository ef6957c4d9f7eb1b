#!/bin/sh
# Runs one libFuzzer harness for a number of executions, niced, one
# process (the machine is shared with timing benchmarks: never run two).
#
#   tests/fuzz/run-fuzzers.sh BUILD HARNESS RUNS [libFuzzer options...]
#   tests/fuzz/run-fuzzers.sh --merge BUILD HARNESS
#
# MAX_LEN (default 65536) is the -max_len.
# Work corpus, log and crash files: $FUZZ_WORK (/tmp/swapdiag-fuzz)/HARNESS/.
# The work corpus starts from tests/fuzz/corpus/HARNESS and, if present,
# $FUZZ_WORK/seeds/HARNESS (e.g. make-seeds.py output).  --merge minimises
# the work corpus and the saved one back into tests/fuzz/corpus/HARNESS.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=${FUZZ_WORK:-/tmp/swapdiag-fuzz}
# a small quarantine: the harnesses allocate and free per run, and the
# default 256 MB quarantine makes every run touch fresh pages
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# libtraceevent's own leaks (lsan.supp), with names to match them by
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/lsan.supp}
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] &&
	export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-14/bin/llvm-symbolizer}

merge=false
if [ "${1:-}" = --merge ]; then
	merge=true
	shift
fi
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 64; }
build=$1 h=$2
shift 2
bin=$build/tests/fuzz/$h
[ -x "$bin" ] || { echo "no $bin: meson setup $build --native-file $src/fuzz.ini" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$h
max_len=${MAX_LEN:-65536}

mkdir -p "$work/$h/corpus" "$work/$h/crashes"
cd "$work/$h"
if $merge; then
	rm -rf merged && mkdir merged
	nice -n 19 "$bin" -merge=1 -max_len=$max_len -rss_limit_mb=4096 \
		merged "$src/corpus/$h" corpus > merge.log 2>&1
	tail -3 merge.log
	find "$src/corpus/$h" -type f ! -name README.md -delete
	cp merged/* "$src/corpus/$h/"
	echo "$(ls "$src/corpus/$h" | wc -l) files, $(du -sh "$src/corpus/$h" | cut -f1)"
	exit 0
fi
runs=$1
shift
mkdir -p "$src/corpus/$h"
seeds="$src/corpus/$h"
# fuzz-textin (built from tests/textin/fuzz-textin.c) starts from the text
# parsers' fixtures
[ "$h" = fuzz-textin ] && seeds="$seeds $src/../textin/corpus"
[ -d "$work/seeds/$h" ] && seeds="$seeds $work/seeds/$h"
log=$work/$h/fuzz-$(date +%Y%m%d-%H%M%S).log
echo "$h: $runs runs, log $log"
echo "run-fuzzers: $h -max_len=$max_len -runs=$runs $*" > "$log"
# shellcheck disable=SC2086
nice -n 19 "$bin" -runs="$runs" -max_len=$max_len -timeout=20 \
	-rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$work/$h/crashes/" "$@" corpus $seeds >> "$log" 2>&1 || {
	echo "$h: stopped (crash?), see $log and $work/$h/crashes/" >&2
	exit 1
}
grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "$log"
