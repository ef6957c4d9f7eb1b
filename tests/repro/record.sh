#!/bin/sh
# Make the small real recordings under testdata/ during the reproducer's storm,
# their perf-made expected output, and the rows of testdata/README.md.
#
# usage: tests/repro/record.sh [NAME...|--regen]   (as root, from anywhere)
#   NAME: swapstorm swapstorm-sampled swapstorm-z swapstorm-pipe storm-noswap
#         nocallchain (default: all of them).  Then, for every recording
#         present: the golden folded stacks, swapstorm.stalls.txt and the
#         README section are remade.
#
# Environment: STACKCOLLAPSE (/tmp/stackcollapse-perf.pl) Brendan Gregg's
#   stackcollapse-perf.pl, not part of this project; DUR (1.5) seconds
#   recorded; WARMUP (1) seconds of storm before recording starts.
#
# All recordings of one testdata/ set must come from one boot: they share
# testdata/kallsyms/host-$(uname -r).kallsyms.zst, which is made on the first
# run and checked (_text, _stext) on later ones.  Records with
# --no-buildid-cache, so ~/.debug is not touched.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
td=$top/testdata
DUR=${DUR:-1.5}
WARMUP=${WARMUP:-1}
STACKCOLLAPSE=${STACKCOLLAPSE:-/tmp/stackcollapse-perf.pl}
export STACKCOLLAPSE
REPRO_DIR=/tmp/swapdiag-repro	# the binary's path is part of the symfs
export REPRO_DIR
all="swapstorm swapstorm-sampled swapstorm-z swapstorm-pipe storm-noswap nocallchain"
names=${*:-$all}
# --regen: record nothing, remake the expected output and README section only
[ "$names" = --regen ] && names=

[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
command -v perf >/dev/null || { echo "record.sh: perf not found" >&2; exit 1; }
[ -r "$STACKCOLLAPSE" ] || { echo "record.sh: set STACKCOLLAPSE to stackcollapse-perf.pl" >&2; exit 1; }
# perf 6.1 finds tracepoints through tracefs; it is not mounted everywhere.
# Mounted here if need be, and unmounted again when this script returns.
tracefs_mounted=
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing
	tracefs_mounted=1
	trap 'umount /sys/kernel/tracing' EXIT
	trap 'exit 130' INT TERM
fi

# --- kernel symbols: one unfiltered copy for this boot ----------------------
kver=$(uname -r)
ks=$td/kallsyms/host-$kver.kallsyms.zst
mkdir -p "$td/kallsyms"
addr() { grep -m1 " [Tt] $1\$" | cut -d' ' -f1; }
if [ -z "$names" ]; then
	[ -f "$ks" ] || { echo "record.sh: no $ks" >&2; exit 1; }
elif [ ! -f "$ks" ]; then
	# zstd cannot read /proc/kallsyms by name (a proc file reports size 0)
	cat /proc/kallsyms | zstd -q -19 -o "$ks"
	echo "record.sh: saved $ks"
fi
for s in _text _stext; do
	[ -n "$names" ] || break
	a=$(zstd -qdc "$ks" | addr "$s") b=$(addr "$s" </proc/kallsyms)
	if [ "$a" != "$b" ]; then
		echo "record.sh: $ks is from another boot ($s $a, now $b): remake all" >&2
		exit 1
	fi
done

# --- the reproducer binary, also the only file of the symfs -----------------
if [ -n "$names" ]; then
	bin=$("$here/run.sh" build)
	sym=$td/symfs$bin
	mkdir -p "$(dirname "$sym")"
	if [ -f "$sym" ] && ! cmp -s "$bin" "$sym"; then
		echo "record.sh: $bin differs from $sym (rebuilt?): remaking every recording" >&2
		names=$all
	fi
	cp "$bin" "$sym"
fi

# --- recordings -------------------------------------------------------------
stormpid=
stop_storm() {
	if [ -n "$stormpid" ]; then
		kill "$stormpid" 2>/dev/null || true
		wait "$stormpid" 2>/dev/null || true
		stormpid=
	fi
}
finish() {
	stop_storm
	[ -z "$tracefs_mounted" ] || umount /sys/kernel/tracing || true
}
trap finish EXIT
trap 'exit 130' INT TERM

# start_storm swap|control: the storm runs in the background, ready to record
start_storm() {
	rm -f "$REPRO_DIR/ready"
	secs=$(awk -v d="$DUR" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 3 }')
	"$here/run.sh" "$1" "$secs" >"$REPRO_DIR/storm.log" 2>&1 &
	stormpid=$!
	i=0
	while [ ! -f "$REPRO_DIR/ready" ]; do
		kill -0 "$stormpid" 2>/dev/null || { cat "$REPRO_DIR/storm.log" >&2; exit 1; }
		sleep 0.1; i=$((i + 1))
		[ $i -lt 600 ] || { echo "record.sh: storm not ready" >&2; exit 1; }
	done
	sleep "$WARMUP"
}

# The exact command of each recording (output path relative to the top dir).
cmdline() {
	case $1 in
	swapstorm) echo "perf record --no-buildid-cache -o testdata/swapstorm.data -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- sleep $DUR" ;;
	swapstorm-sampled) echo "perf record --no-buildid-cache -o testdata/swapstorm-sampled.data -a -g -F 999 -e cpu-clock -e sched:sched_switch -- sleep $DUR" ;;
	swapstorm-z) echo "perf record --no-buildid-cache -z -o testdata/swapstorm-z.data -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- sleep $DUR" ;;
	swapstorm-pipe) echo "perf record --no-buildid-cache -o - -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- sleep $DUR > testdata/swapstorm-pipe.data" ;;
	storm-noswap) echo "perf record --no-buildid-cache -o testdata/storm-noswap.data -a -g -F 999 -e cpu-clock -- sleep $DUR" ;;
	nocallchain) echo "perf record --no-buildid-cache -o testdata/nocallchain.data -a -F 999 -e cpu-clock -- sleep $DUR" ;;
	*) return 1 ;;
	esac
}
stormof() { case $1 in storm-noswap) echo control ;; *) echo swap ;; esac; }

for n in $names; do
	c=$(cmdline "$n") || { echo "record.sh: unknown recording $n" >&2; exit 64; }
	echo "record.sh: $n: $c"
	start_storm "$(stormof "$n")"
	(cd "$top" && eval "$c") 2>"$REPRO_DIR/perf.err" || { cat "$REPRO_DIR/perf.err" >&2; exit 1; }
	grep -v '^\[ perf record: Woken' "$REPRO_DIR/perf.err" >&2 || true
	wait "$stormpid" || true	# the storm is bounded: let it finish and report
	stormpid=
	chmod 644 "$td/$n.data"
	# what readme.sh needs later, when only some recordings are remade
	{
		echo "command: $c"
		echo "storm: tests/repro/run.sh $(stormof "$n") (MIB=256 WORKERS=2 PROG=/bin/true), recording started ${WARMUP}s after the workers"
		echo "boot_id: $(cat /proc/sys/kernel/random/boot_id)"
		echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		sed 's/^/storm: /' "$REPRO_DIR/storm.log"
	} >"$td/$n.meta"
done

# --- expected output, made by perf ------------------------------------------
golden=$top/tests/golden/make-golden.sh
for n in $all; do
	[ -f "$td/$n.data" ] || continue
	sh "$golden" "$td/$n.data" "$ks" "$td/symfs" >"$td/$n.folded" 2>/dev/null
	WEIGHT=period sh "$golden" "$td/$n.data" "$ks" "$td/symfs" \
		>"$td/$n.period.folded" 2>/dev/null
	if perf report -f --header-only -i "$td/$n.data" 2>/dev/null |
		grep -q '^# event : name = sched:sched_switch,'; then
		sh "$golden" "$td/$n.data" "$ks" "$td/symfs" sched:sched_switch \
			>"$td/$n.sched_switch.folded" 2>/dev/null
	fi
done
# the goldens of --folded-with (stackcollapse-perf.pl --pid, --tid, ...)
for opt in pid tid kernel jit all addrs; do
	if [ -f "$td/swapstorm-sampled.data" ]; then
		FOLD=$opt sh "$golden" "$td/swapstorm-sampled.data" "$ks" "$td/symfs" \
			sched:sched_switch \
			>"$td/swapstorm-sampled.sched_switch.$opt.folded" 2>/dev/null
	fi
	if [ -f "$td/nocallchain.data" ]; then
		FOLD=$opt WEIGHT=period sh "$golden" "$td/nocallchain.data" "$ks" \
			"$td/symfs" >"$td/nocallchain.period.$opt.folded" 2>/dev/null
	fi
done
if [ -f "$td/swapstorm.data" ]; then
	python3 "$here/stalls.py" "$td/swapstorm.data" "$ks" "$td/symfs" >"$td/swapstorm.stalls.txt"
fi

# --- testdata/README.md section ---------------------------------------------
python3 "$here/readme.py" "$td" "$ks" >"$REPRO_DIR/readme.section"
readme=$td/README.md
begin='<!-- BEGIN tests/repro/record.sh (generated by tests/repro/readme.py) -->'
end='<!-- END tests/repro/record.sh -->'
if [ ! -f "$readme" ]; then
	printf '# testdata\n\n' >"$readme"
fi
if grep -qF "$begin" "$readme"; then
	awk -v b="$begin" -v e="$end" -v f="$REPRO_DIR/readme.section" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$readme" >"$REPRO_DIR/readme.new"
	cat "$REPRO_DIR/readme.new" >"$readme"
else
	{ echo; echo "$begin"; cat "$REPRO_DIR/readme.section"; echo "$end"; } >>"$readme"
fi
ls -la "$td"/*.data
echo "record.sh: done"
