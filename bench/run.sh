#!/bin/sh
# swapdiag against perf report on the benchmark recordings of issue 13,
# both pinned to one core; recordings live in $OUT (/var/tmp/swapdiag-bench),
# never in git.
#
# usage: bench/run.sh [STEP...]            (as root for 'record')
#   build    swapdiag into $OUT/build (Meson's default, debugoptimized) and
#            the floor program (bench/floor.c) into $OUT/floor
#   record   bench/record.sh: kstorm.data (perf record -a -g -e cpu-clock
#            -F 3999 around the static forkswap storm), kstorm-z.data (-z),
#            kstorm.pipe.data (-o -), dso.data (the user-DSO-heavy row)
#   synth    bench/synth.py: synth300k.data (for callgrind), synth3m.data (3 M samples, ~450 MB, FINISHED_ROUND
#            every 1000 samples), synth7m.data (~1 GB, the linearity row),
#            synth3m.pipe.data (the 3 M file in pipe mode)
#   table    the timing table: each row's commands in turns (bench/compare.py:
#            medians of wall, CPU and peak RSS), every command under
#            'taskset -c $CPU'; results in $OUT/results.md and .jsonl;
#            the floor rows include the pipe recordings fed by cat as the
#            pipe rows are: what the pipe itself costs any reader
#   instr    instruction counts (valgrind --tool=callgrind) of swapdiag and
#            the floor on each recording (synth300k.data for the synthetic
#            ones: the same per-sample work in a tenth of the time):
#            $OUT/instr.md
#   (none)   build record synth table instr
#
# Environment: ROWS the table's rows (kstorm kstorm-pipe kstorm-z dso
#   synth3m synth3m-pipe pipe-file synth7m floor: all; pipe-file: the
#   file and the pipe in turns, PIPE_RUNS (21) runs); RUNS (5) runs of each command, BIG_RUNS (3) on the 3 M and
#   1 GB files; CPU (0) the core both are pinned to; PERF_BIG (1) also run
#   perf report on the big synthetic files; SWAPDIAG a binary to use
#   instead of building; BASELINE an older swapdiag, one more row.
#
# The figures that count are measured on an idle machine: the table
# prints the load average before each run (compare.py) so a loaded run
# shows itself.  Instruction counts do not depend on the load.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
OUT=${OUT:-/var/tmp/swapdiag-bench}
export OUT
RUNS=${RUNS:-5}
BIG_RUNS=${BIG_RUNS:-3}
CPU=${CPU:-0}
OTHER_CPU=${OTHER_CPU:-$(( CPU == 0 ? 1 : 0 ))} # the pipe rows' cat
PERF_BIG=${PERF_BIG:-1}
mkdir -p "$OUT"
log() { echo "bench/run.sh: $*" >&2; }

build() {
	cc -O2 -o "$OUT/floor" "$here/floor.c" -lzstd
	if [ -n "${SWAPDIAG:-}" ]; then return 0; fi
	[ -f "$OUT/build/build.ninja" ] || meson setup "$OUT/build" "$top" >/dev/null
	ninja -C "$OUT/build" src/cli/swapdiag >/dev/null
	SWAPDIAG=$OUT/build/src/cli/swapdiag
}

synth() {
	for n in 300k:300K 3m:3M 7m:7M; do
		f=$OUT/synth${n%%:*}.data
		[ -f "$f" ] || python3 "$here/synth.py" --samples "${n#*:}" -o "$f"
	done
	f=$OUT/synth3m.pipe.data
	[ -f "$f" ] || python3 "$here/synth.py" --samples 3M --pipe -o "$f"
}

# ROWS: the rows of the table to run (default all)
ROWS=${ROWS:-kstorm kstorm-pipe kstorm-z dso synth3m synth3m-pipe pipe-file synth7m floor}
want() { case " $ROWS " in *" $1 "*) return 0 ;; esac; return 1; }

samples() { "$SWAPDIAG" --headers "$1" 2>/dev/null | awk '{ for (i = 2; i <= NF; i++) if ($i == "samples") n += $(i - 1) } END { print n + 0 }'; }
mb() { echo $(( $(stat -c %s "$1") / 1000000 )); }

# ROW TITLE RUNS FILE KALLSYMS [PIPE]: swapdiag, perf report (and the
# baseline) on one recording; PIPE=1 feeds both from standard input.
row() {
	title=$1 runs=$2 f=$3 ks=$4 pipe=${5:-0}
	t="taskset -c $CPU"
	# pipe mode through a real pipe (stdin redirected from the file would
	# be a regular file, read like one): cat on the other CPU, its CPU
	# time counted in the row's "CPU user+sys" too
	src=
	if [ "$pipe" = 1 ]; then src="taskset -c $OTHER_CPU cat $f | "; in=-; pin="-i -"; else in=$f; pin="-i $f"; fi
	set -- "swapdiag=$src$t $SWAPDIAG --no-progress --kallsyms $ks --json /dev/null --folded /dev/null $in >/dev/null"
	if [ -n "${BASELINE:-}" ]; then
		set -- "$@" "swapdiag (baseline)=$src$t $BASELINE --no-progress --kallsyms $ks --json /dev/null --folded /dev/null $in >/dev/null"
	fi
	case "$f" in
	*synth*) [ "$PERF_BIG" = 1 ] || { python3 "$here/compare.py" --runs "$runs" --json "$OUT/results.jsonl" --title "$title" "$@"; return; } ;;
	esac
	set -- "$@" "perf report=$src$t perf report --kallsyms $ks --stdio --no-children -g folded,0,caller,count $pin >/dev/null"
	python3 "$here/compare.py" --runs "$runs" --json "$OUT/results.jsonl" --title "$title" "$@"
}

table() {
	build
	{
		echo "## Timing table ($(date -u '+%Y-%m-%d %H:%M UTC'))"
		echo
		echo '```'
		echo "cpus:      $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
		echo "kernel:    $(uname -r)"
		echo "perf:      $(perf --version)"
		echo "swapdiag:  $("$SWAPDIAG" --version), git $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
		echo "pinned:    taskset -c $CPU (swapdiag and perf report alike)"
		echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (before the runs)"
		echo '```'
		echo
		k=$OUT/kstorm.kallsyms
		f=$OUT/kstorm.data
		want kstorm && row "kernel-stack storm, file ($(mb "$f") MB, $(samples "$f") samples)" "$RUNS" "$f" "$k"
		f=$OUT/kstorm.pipe.data
		want kstorm-pipe && row "kernel-stack storm, pipe mode through a pipe ($(mb "$f") MB, $(samples "$f") samples)" "$RUNS" "$f" "$k" 1
		f=$OUT/kstorm-z.data
		want kstorm-z && row "kernel-stack storm, perf record -z ($(mb "$f") MB, $(samples "$f") samples)" "$RUNS" "$f" "$k"
		f=$OUT/dso.data
		want dso && row "user-DSO-heavy ($(mb "$f") MB, $(samples "$f") samples)" "$RUNS" "$f" "$OUT/dso.kallsyms"
		f=$OUT/synth3m.data
		want synth3m && row "synthetic 3 M samples ($(mb "$f") MB)" "$BIG_RUNS" "$f" "$OUT/synth3m.kallsyms"
		f=$OUT/synth3m.pipe.data
		want synth3m-pipe && row "synthetic 3 M samples, pipe mode through a pipe ($(mb "$f") MB)" "$BIG_RUNS" "$f" "$OUT/synth3m.kallsyms" 1
		# the pipe target is a ratio of two swapdiag runs: made of two
		# rows minutes apart it moves with the VM's speed (1.3-1.8x for
		# one binary), so here the same samples from the file and through
		# the pipe in turns, 21 runs, the file first (its ratio is 1.00x)
		if want pipe-file; then
			t="taskset -c $CPU $SWAPDIAG --no-progress --kallsyms $OUT/synth3m.kallsyms --json /dev/null --folded /dev/null"
			python3 "$here/compare.py" --runs "${PIPE_RUNS:-21}" --json "$OUT/results.jsonl" \
				--title "synthetic 3 M samples, file and pipe in turns" \
				"file=$t $OUT/synth3m.data >/dev/null" \
				"pipe=taskset -c $OTHER_CPU cat $OUT/synth3m.pipe.data | $t - >/dev/null"
		fi
		f=$OUT/synth7m.data
		want synth7m && row "synthetic 7 M samples ($(mb "$f") MB, linearity)" "$BIG_RUNS" "$f" "$OUT/synth7m.kallsyms"
		if want floor; then
			echo "The floor (bench/floor.c: read every record, hash every call chain), taskset -c $CPU:"
			echo
			for f in kstorm kstorm-z dso synth3m synth7m; do
				python3 "$here/compare.py" --runs "$RUNS" --json "$OUT/results.jsonl" \
					--title "floor: $f.data" "floor=taskset -c $CPU $OUT/floor $OUT/$f.data >/dev/null"
			done
			# what the pipe costs any reader: the same walk fed by cat
			# on the other CPU, as the pipe rows feed swapdiag
			for f in kstorm.pipe synth3m.pipe; do
				python3 "$here/compare.py" --runs "$RUNS" --json "$OUT/results.jsonl" \
					--title "floor: $f.data through a pipe" \
					"floor=taskset -c $OTHER_CPU cat $OUT/$f.data | taskset -c $CPU $OUT/floor - >/dev/null"
			done
			for f in synth3m synth7m; do
				if "$SWAPDIAG" --no-progress --kallsyms "$OUT/$f.kallsyms" --weight samples --folded - "$OUT/$f.data" 2>/dev/null |
					cmp -s - "$OUT/$f.expected.folded"; then
					echo "$f: swapdiag's --folded equals the stacks perf must give ($f.expected.folded)."
				else
					echo "**$f: swapdiag's --folded differs from $f.expected.folded.**"
				fi
			done
		fi
	} | tee "$OUT/results.md"
}

# callgrind's total instruction count of one command
instr_of() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/.*I *refs: *//p' | tr -d ,
}

instr() {
	build
	{
		echo "| recording | samples | swapdiag instructions | per sample | floor instructions | per sample |"
		echo "|---|---:|---:|---:|---:|---:|"
		for f in kstorm kstorm-z kstorm.pipe dso synth300k; do
			k=$OUT/$f.kallsyms
			[ -f "$k" ] || k=$OUT/kstorm.kallsyms
			n=$(samples "$OUT/$f.data")
			s=$(instr_of "$SWAPDIAG" --no-progress --kallsyms "$k" --json /dev/null --folded /dev/null "$OUT/$f.data")
			fl=$(instr_of "$OUT/floor" "$OUT/$f.data")
			echo "| $f.data | $n | $s | $((s / n)) | $fl | $((fl / n)) |"
		done
	} | tee "$OUT/instr.md"
}

for s in ${*:-build record synth table instr}; do
	case $s in
	build) build ;;
	record) "$here/record.sh" ;;
	synth) synth ;;
	table) table ;;
	instr) instr ;;
	*) echo "usage: $0 [build] [record] [synth] [table] [instr]" >&2; exit 64 ;;
	esac
done
