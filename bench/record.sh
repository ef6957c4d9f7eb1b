#!/bin/sh
# The benchmark recordings, made into $OUT (/var/tmp/swapdiag-bench): large
# files stay out of git.  As root (perf record -a, a swap file).
#
# usage: bench/record.sh [NAME...]
#   kstorm         perf record -a -g -e cpu-clock -F 3999 for DUR (27) s around
#                  tests/repro's fork storm with a *static* forkswap exec'ing a
#                  static true(1): kernel call chains, few user DSOs (>= 200 k
#                  samples on 2 CPUs).  kstorm.data, kstorm.kallsyms
#   kstorm-z       the same with -z (zstd)                kstorm-z.data
#   kstorm-pipe    the same with -o - (pipe mode)         kstorm.pipe.data
#   dso            the user-DSO-heavy row: bench/run.sh's recipe
#                  (-e cpu-clock/freq=4999/ -e sched:sched_switch, 24 s) while a
#                  clang build of swapdiag runs beside the storm     dso.data
#   (none)         all of them; a file that exists is kept (RERECORD=1 remakes)
#
# The swap file is /var/tmp/swapdiag-speed.swap (made, enabled, switched off
# and removed by tests/repro/run.sh when no swap is on); tracefs is mounted
# for the sched_switch recording and unmounted again if it was not mounted.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
OUT=${OUT:-/var/tmp/swapdiag-bench}
DUR=${DUR:-27}
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
export SWAPFILE=${SWAPFILE:-/var/tmp/swapdiag-speed.swap}
export REPRO_DIR=$OUT/repro
mkdir -p "$REPRO_DIR"
log() { echo "bench/record.sh: $*" >&2; }

# static forkswap (run.sh keeps a binary newer than its source) and true(1)
cc -O2 -static -fno-omit-frame-pointer -o "$REPRO_DIR/forkswap" "$top/tests/repro/forkswap.c"
printf 'int main(void) { return 0; }\n' >"$REPRO_DIR/true.c"
cc -O2 -static -o "$REPRO_DIR/true" "$REPRO_DIR/true.c"

stormpid= buildpid= tracefs_mounted=
cleanup() {
	[ -z "$buildpid" ] || { kill "$buildpid" 2>/dev/null || true; wait "$buildpid" 2>/dev/null || true; }
	if [ -n "$stormpid" ]; then
		kill "$stormpid" 2>/dev/null || true
		wait "$stormpid" 2>/dev/null || true
	fi
	stormpid= buildpid=
	[ -z "$tracefs_mounted" ] || umount /sys/kernel/tracing 2>/dev/null || true
	tracefs_mounted=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_storm() {
	rm -f "$REPRO_DIR/ready"
	PROG=$REPRO_DIR/true "$top/tests/repro/run.sh" swap $((DUR + 8)) >"$OUT/storm.log" 2>&1 &
	stormpid=$!
	i=0
	while [ ! -f "$REPRO_DIR/ready" ]; do
		kill -0 "$stormpid" 2>/dev/null || { cat "$OUT/storm.log" >&2; exit 1; }
		sleep 0.1; i=$((i + 1))
		[ $i -lt 900 ] || { log "storm not ready"; exit 1; }
	done
	sleep 1
}
stop_storm() {
	kill "$stormpid" 2>/dev/null || true
	wait "$stormpid" 2>/dev/null || true
	stormpid=
}

record_one() { # FILE PERF-RECORD-OPTIONS...
	f=$1; shift
	if [ -f "$OUT/$f" ] && [ "${RERECORD:-0}" != 1 ]; then
		log "$f exists (RERECORD=1 to make it again)"; return 0
	fi
	start_storm
	log "recording $f for $DUR s during the storm"
	case " $* " in
	*" -o - "*) perf record "$@" -- sleep "$DUR" >"$OUT/$f" 2>"$OUT/$f.log" ;;
	*) perf record "$@" -o "$OUT/$f" -- sleep "$DUR" 2>"$OUT/$f.log" ;;
	esac
	tail -1 "$OUT/$f.log" >&2
	stop_storm
}

kev="-a -g -e cpu-clock -F 3999"
for n in ${*:-kstorm kstorm-z kstorm-pipe dso}; do
	case $n in
	kstorm) record_one kstorm.data $kev; cat /proc/kallsyms >"$OUT/kstorm.kallsyms" ;;
	kstorm-z) record_one kstorm-z.data -z $kev; cat /proc/kallsyms >"$OUT/kstorm.kallsyms" ;;
	kstorm-pipe) record_one kstorm.pipe.data $kev -o -; cat /proc/kallsyms >"$OUT/kstorm.kallsyms" ;;
	dso)
		if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
			mount -t tracefs nodev /sys/kernel/tracing; tracefs_mounted=1
		fi
		if [ ! -f "$OUT/dso.data" ] || [ "${RERECORD:-0}" = 1 ]; then
			rm -rf "$OUT/clang-build"
			CC=clang meson setup "$OUT/clang-build" "$top" >/dev/null
			( sleep 2; exec nice -n 5 ninja -j1 -C "$OUT/clang-build" >/dev/null 2>&1 ) &
			buildpid=$!
		fi
		record_one dso.data -a -g -e cpu-clock/freq=4999/ -e sched:sched_switch
		[ -z "$buildpid" ] || { kill "$buildpid" 2>/dev/null || true; wait "$buildpid" 2>/dev/null || true; buildpid=; }
		rm -rf "$OUT/clang-build"
		cat /proc/kallsyms >"$OUT/dso.kallsyms"
		[ -z "$tracefs_mounted" ] || { umount /sys/kernel/tracing; tracefs_mounted=; }
		;;
	*) echo "usage: $0 [kstorm] [kstorm-z] [kstorm-pipe] [dso]" >&2; exit 64 ;;
	esac
done
ls -l "$OUT"/*.data >&2
