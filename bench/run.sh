#!/bin/sh
# swapdiag against perf report and perf script, on the same files, same machine.
#
# usage: bench/run.sh [STEP...]        (as root for 'record')
#   build    build swapdiag into bench/out/build (Meson's default buildtype,
#            debugoptimized: -O2 -g, as 'meson setup' gives everyone)
#   record   during the reproducer's storm (tests/repro/run.sh), record
#            bench/out/real40.data       perf record -a -g -e cpu-clock/freq=4999/
#                                        -e sched:sched_switch, DUR seconds
#            bench/out/real40-z.data     the same with -z
#            bench/out/real40.pipe.data  the same with -o - (pipe mode)
#            bench/out/real40.kallsyms   /proc/kallsyms of this boot
#            (skipped when the files exist; RERECORD=1 makes them again)
#   synth    bench/out/synth.data, SIZE bytes, from the fixture writer
#            (tests/fixtures/perfdata.py bench), with its kallsyms and the
#            folded stacks perf must give
#   bench    the comparisons (bench/compare.py: alternating runs, medians of
#            wall time, CPU time and max RSS, the load before each run);
#            results in bench/out/results.md
#   (none)   all of the above
#
# Environment: RUNS (5) runs of each command; BIG_RUNS (3) on the synthetic
#   file; DUR (24) seconds recorded; SIZE (1G) of the synthetic file;
#   PERF_BIG (1) also run perf on the synthetic file (0: swapdiag only);
#   NICE (-10 as root, else 0): every command of a comparison -- swapdiag
#   and perf alike -- runs at this nice level, so that background work at
#   the default priority (builds, tests, fuzzers) disturbs less;
#   SWAPDIAG: a swapdiag binary to use instead of building one;
#   BASELINE: an older swapdiag binary, run as one more row ("swapdiag
#   (baseline)") in the comparisons of file-mode inputs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$here/out
RUNS=${RUNS:-5}
BIG_RUNS=${BIG_RUNS:-3}
DUR=${DUR:-24}
SIZE=${SIZE:-1G}
PERF_BIG=${PERF_BIG:-1}
if [ "$(id -u)" = 0 ]; then NICE=${NICE:--10}; else NICE=${NICE:-0}; fi
mkdir -p "$out"
steps=${*:-build record synth bench}

log() { echo "bench/run.sh: $*" >&2; }

build() {
	if [ -n "${SWAPDIAG:-}" ]; then return 0; fi
	if [ ! -f "$out/build/build.ninja" ]; then
		meson setup "$out/build" "$top" >/dev/null
	fi
	ninja -C "$out/build" src/cli/swapdiag >/dev/null
	SWAPDIAG=$out/build/src/cli/swapdiag
}

# --- recordings of the reproducer ---------------------------------------------
REPRO_DIR=/tmp/swapdiag-bench-repro
export REPRO_DIR
stormpid=
stop_storm() {
	if [ -n "$stormpid" ]; then
		kill "$stormpid" 2>/dev/null || true
		wait "$stormpid" 2>/dev/null || true
		stormpid=
	fi
}
trap stop_storm EXIT
trap 'exit 130' INT TERM

start_storm() {
	rm -f "$REPRO_DIR/ready"
	"$top/tests/repro/run.sh" swap $((DUR + 10)) >"$out/storm.log" 2>&1 &
	stormpid=$!
	i=0
	while [ ! -f "$REPRO_DIR/ready" ]; do
		kill -0 "$stormpid" 2>/dev/null || { cat "$out/storm.log" >&2; exit 1; }
		sleep 0.1; i=$((i + 1))
		[ $i -lt 600 ] || { log "storm not ready"; exit 1; }
	done
	sleep 1
}

record_one() { # NAME PERF-RECORD-OPTIONS...
	name=$1; shift
	if [ -f "$out/$name" ] && [ "${RERECORD:-0}" != 1 ]; then
		log "$name exists (RERECORD=1 to make it again)"
		return 0
	fi
	[ "$(id -u)" = 0 ] || { log "recording needs root"; exit 1; }
	if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing
	fi
	start_storm
	log "recording $name for $DUR s during the storm"
	case " $* " in
	*" -o - "*) perf record "$@" -- sleep "$DUR" >"$out/$name" 2>"$out/$name.log" ;;
	*) perf record "$@" -o "$out/$name" -- sleep "$DUR" 2>"$out/$name.log" ;;
	esac
	tail -1 "$out/$name.log" >&2
	stop_storm
	cat /proc/kallsyms >"$out/real40.kallsyms"
}

record() {
	ev="-a -g -e cpu-clock/freq=4999/ -e sched:sched_switch"
	# shellcheck disable=SC2086
	record_one real40.data $ev
	# shellcheck disable=SC2086
	record_one real40-z.data -z $ev
	# shellcheck disable=SC2086
	record_one real40.pipe.data $ev -o -
}

synth() {
	if [ -f "$out/synth.data" ] && [ "$(cat "$out/synth.size" 2>/dev/null)" = "$SIZE" ]; then
		return 0
	fi
	log "writing the synthetic $SIZE file"
	python3 "$top/tests/fixtures/perfdata.py" bench --size "$SIZE" \
		-o "$out/synth.data" --kallsyms-out "$out/synth.kallsyms" \
		--folded-out "$out/synth.expected.folded"
	echo "$SIZE" >"$out/synth.size"
}

# --- comparisons --------------------------------------------------------------
machine() {
	echo "## Machine and versions"
	echo
	echo '```'
	echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpus:      $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
	echo "memory:    $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel:    $(uname -r)"
	echo "perf:      $(perf --version)"
	bt=$([ "$SWAPDIAG" = "$out/build/src/cli/swapdiag" ] || { echo "? ($SWAPDIAG)"; exit; }
		meson introspect --buildoptions "$out/build" 2>/dev/null |
		python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"][0])' 2>/dev/null || echo '?')
	echo "swapdiag:  $("$SWAPDIAG" --version), git $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), buildtype $bt"
	echo "nice:      $NICE (every command of a comparison)"
	echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (before the runs; each run's own is in the tables)"
	echo '```'
	echo
}

cmp_run() { # TITLE RUNS NAME=CMD...
	title=$1 runs=$2
	shift 2
	log "$title"
	python3 "$here/compare.py" --runs "$runs" --json "$out/results.jsonl" \
		--title "$title" "$@"
}

bench() {
	n="nice -n $NICE"
	sd="$n $SWAPDIAG --no-progress --kallsyms $out/real40.kallsyms --json /dev/null --folded /dev/null"
	rep="$n perf report --kallsyms $out/real40.kallsyms --stdio --no-children -g folded,0,caller,count"
	scr="$n perf script --kallsyms $out/real40.kallsyms"
	samples() { "$SWAPDIAG" --headers "$1" 2>/dev/null | awk '{ for (i = 2; i <= NF; i++) if ($i == "samples") n += $(i - 1) } END { print n + 0 }'; }
	{
		machine
		echo "## Results"
		echo
		echo "Medians of $RUNS alternating runs ($BIG_RUNS on the synthetic file);"
		echo "'wall vs' and 'RSS vs' are each command's ratio to the first row."
		echo
		f=$out/real40.data
		base() { [ -z "${BASELINE:-}" ] || echo "swapdiag (baseline)=$n $BASELINE --no-progress --kallsyms $1 --json /dev/null --folded /dev/null $2 >/dev/null"; }
		cmp_run "40 MB real recording ($(du -m "$f" | cut -f1) MB, $(samples "$f") samples, kernel call chains)" "$RUNS" \
			"swapdiag=$sd $f >/dev/null" \
			"perf report=$rep -i $f >/dev/null" \
			"perf script=$scr -i $f >/dev/null" \
			${BASELINE:+"$(base "$out/real40.kallsyms" "$f")"}
		f=$out/real40-z.data
		cmp_run "the same with perf record -z ($(du -m "$f" | cut -f1) MB compressed, $(samples "$f") samples)" "$RUNS" \
			"swapdiag=$sd $f >/dev/null" \
			"perf report=$rep -i $f >/dev/null" \
			"perf script=$scr -i $f >/dev/null" \
			${BASELINE:+"$(base "$out/real40.kallsyms" "$f")"}
		echo "Decompression inside swapdiag (--headers, zstd's own time):"
		echo
		echo '```'
		"$SWAPDIAG" --headers "$f" | grep compression
		echo '```'
		echo
		f=$out/real40.pipe.data
		cmp_run "pipe mode: perf record -o - ($(du -m "$f" | cut -f1) MB, $(samples "$f") samples) on standard input, against file mode" "$RUNS" \
			"swapdiag - < pipe=$sd - < $f >/dev/null" \
			"swapdiag file=$sd $out/real40.data >/dev/null" \
			"swapdiag pipe-file=$sd $f >/dev/null" \
			"perf report -i -=$rep -i - < $f >/dev/null" \
			"perf script -i -=$scr -i - < $f >/dev/null"
		f=$out/synth.data
		ks=$out/synth.kallsyms
		sdb="$n $SWAPDIAG --no-progress --kallsyms $ks --json /dev/null --folded /dev/null"
		set -- "swapdiag=$sdb $f >/dev/null" \
			"swapdiag --progress=$n $SWAPDIAG --progress --kallsyms $ks --json /dev/null --folded /dev/null $f >/dev/null 2>$out/progress.txt"
		[ -z "${BASELINE:-}" ] || set -- "$@" "$(base "$ks" "$f")"
		if [ "$PERF_BIG" = 1 ]; then
			set -- "$@" \
				"perf report=$n perf report --kallsyms $ks --stdio --no-children -g folded,0,caller,count -i $f >/dev/null" \
				"perf script=$n perf script --kallsyms $ks -i $f >/dev/null"
		fi
		cmp_run "synthetic $(du -m "$f" | cut -f1) MB (tests/fixtures/perfdata.py bench, $(samples "$f") samples, 11 distinct call chains)" "$BIG_RUNS" "$@"
		if "$SWAPDIAG" --no-progress --kallsyms "$ks" --folded - "$f" 2>/dev/null |
			cmp -s - "$out/synth.expected.folded"; then
			echo "swapdiag's --folded on the synthetic file equals the stacks perf must give (synth.expected.folded)."
		else
			echo "**swapdiag's --folded on the synthetic file differs from synth.expected.folded.**"
		fi
		echo
		echo "--progress wrote $(tr '\r' '\n' <"$out/progress.txt" | grep -c reading) updates on a $(du -m "$f" | cut -f1) MB file; the last:"
		echo
		echo '```'
		tr '\r' '\n' <"$out/progress.txt" | grep reading | tail -1 | sed 's/\x1b\[K//'
		echo '```'
	} | tee "$out/results.md"
}

for s in $steps; do
	case $s in
	build) build ;;
	record) record ;;
	synth) synth ;;
	bench) build; bench ;;
	*) echo "usage: $0 [build] [record] [synth] [bench]" >&2; exit 64 ;;
	esac
done
