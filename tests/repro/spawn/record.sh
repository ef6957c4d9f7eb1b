#!/bin/sh
# Record the posix_spawn reproducer against its fork twin (issue 12).
#
# usage: tests/repro/spawn/record.sh [fork|spawn ...]   (as root; default both)
#   fork   tests/repro/run.sh swap with START=fork: two workers of a parent
#          with 256 MiB in swap fork+execve /bin/true (every fork copies the
#          swap entries, every exec drops them again)
#   spawn  the same storm with START=spawn: the workers posix_spawn /bin/true
#          (glibc: clone(CLONE_VM|CLONE_VFORK), the page tables are shared,
#          not copied)
# Both at the same rate (RATE starts per second per worker), with the same
# ps/environ/cmdline reader loop, recorded the way testdata/swapstorm.data
# was (cpu-clock/freq=999/ and every sched_switch, system-wide, DUR seconds,
# WARMUP seconds after the workers started), compressed (-z).
#
# Writes testdata/spawn/NAME.data and NAME.meta (command, storm output, boot
# id), testdata/spawn/symfs/tmp/swapdiag-spawn/forkswap (the binary that ran,
# for --symfs), and this boot's testdata/kallsyms/host-RELEASE.kallsyms.zst
# if it is not there.  tests/repro/spawn/facts.py then writes the facts from
# perf and the README section.
#
# Its own swap file /var/tmp/swapdiag-spawn.swap (1 GiB, priority 100, so it
# is used before any other swap; existing swap is never touched) is on only
# while a storm runs, and switched off and deleted on every exit path; tracefs is unmounted if it was mounted
# here; every process started here is stopped.
#
# Environment: DUR (1.5), WARMUP (1), RATE (10), MIB (256), WORKERS (2).
#   NICE (-10): the storms and perf run at this nice level, so that other
#   users of a shared machine do not set the rate: at nice 0 and a load
#   average of 16 on 2 CPUs the fork workers managed 6 fork+exec a second
#   each, the posix_spawn workers their 20; at nice -10, 13 and 20.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
OUT=$top/testdata/spawn
DUR=${DUR:-1.5}
WARMUP=${WARMUP:-1}
RATE=${RATE:-10}
NICE=${NICE:--10}
MIB=${MIB:-256}
WORKERS=${WORKERS:-2}
SWAPFILE=/var/tmp/swapdiag-spawn.swap
REPRO_DIR=/tmp/swapdiag-spawn	# the binary's path is part of the symfs
export MIB WORKERS RATE REPRO_DIR SWAPFILE
all="fork spawn"
names=${*:-$all}
for n in $names; do
	case " $all " in *" $n "*) ;; *) echo "record.sh: unknown recording '$n' (one of: $all)" >&2; exit 64 ;; esac
done

skip() { echo "record.sh: skipped: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "must run as root"
for t in perf zstd cc mkswap swapon swapoff; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' not found"
done

renice -n "$NICE" -p $$ >/dev/null	# inherited by the storm and perf
stormpid= mounted_tracefs= swap_on=
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$stormpid" ]; then
		kill "$stormpid" 2>/dev/null || true	# run.sh stops its storm on TERM
		wait "$stormpid" 2>/dev/null || true
	fi
	if [ -n "$swap_on" ]; then
		swapoff "$SWAPFILE" || echo "record.sh: swapoff $SWAPFILE failed" >&2
	fi
	rm -f "$SWAPFILE"
	if [ -n "$mounted_tracefs" ]; then
		umount /sys/kernel/tracing 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing
	mounted_tracefs=1
fi
mkdir -p "$OUT" "$top/testdata/kallsyms"
ks=$top/testdata/kallsyms/host-$(uname -r).kallsyms.zst
if [ ! -f "$ks" ]; then
	cat /proc/kallsyms | zstd -q -19 -o "$ks"
	echo "record.sh: saved $ks"
fi

dd if=/dev/zero of="$SWAPFILE" bs=1M count=1024 status=none
chmod 600 "$SWAPFILE"
mkswap "$SWAPFILE" >/dev/null

bin=$("$top/tests/repro/run.sh" build)
sym=$OUT/symfs$bin
mkdir -p "$(dirname "$sym")"
cp "$bin" "$sym"

# wait until no other reproducer or perf runs (the machine is shared)
quiet() {
	i=0
	while pgrep -x forkswap >/dev/null || pgrep -x perf >/dev/null; do
		sleep 1; i=$((i + 1))
		[ $i -lt 900 ] || { echo "record.sh: another forkswap or perf still runs after 15 min: $(pgrep -l -x "forkswap|perf" | tr "\n" " ")" >&2; exit 1; }
	done
}

for n in $names; do
	quiet
	# on only while this storm runs: another helper's storm started later
	# would page out into it too
	swapon -p 100 "$SWAPFILE"
	swap_on=1
	rm -f "$REPRO_DIR/ready"
	# the storm outlasts perf's start-up on a loaded machine (seconds) and
	# is stopped once the recording is done: its end is never recorded
	secs=60
	START=$n "$top/tests/repro/run.sh" swap "$secs" >"$REPRO_DIR/storm.log" 2>&1 &
	stormpid=$!
	i=0
	while [ ! -f "$REPRO_DIR/ready" ]; do
		kill -0 "$stormpid" 2>/dev/null || { cat "$REPRO_DIR/storm.log" >&2; exit 1; }
		sleep 0.1; i=$((i + 1))
		[ $i -lt 600 ] || { echo "record.sh: storm not ready" >&2; exit 1; }
	done
	sleep "$WARMUP"
	la=$(cut -d' ' -f1-3 /proc/loadavg)
	c="perf record --no-buildid-cache -z -o testdata/spawn/$n.data -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- sleep $DUR"
	echo "record.sh: $n: $c"
	rm -f "$OUT/$n.data"	# perf would keep it as NAME.data.old
	(cd "$top" && eval "$c") 2>"$REPRO_DIR/perf.err" || { cat "$REPRO_DIR/perf.err" >&2; exit 1; }
	kill "$stormpid"	# run.sh stops forkswap (its workers report) and the loop
	wait "$stormpid" || true
	stormpid=
	swapoff "$SWAPFILE"
	swap_on=
	chmod 644 "$OUT/$n.data"
	{
		echo "command: $c"
		echo "storm: START=$n RATE=$RATE MIB=$MIB WORKERS=$WORKERS REPRO_DIR=$REPRO_DIR nice -n $NICE tests/repro/run.sh swap $secs (perf at the same nice level), stopped (SIGTERM) when perf returned (PROG=/bin/true, the ps/environ/cmdline loop), recording started ${WARMUP}s after the workers; swap: $SWAPFILE, 1 GiB, priority 100"
		echo "host: $(uname -r), boot $(cat /proc/sys/kernel/random/boot_id), $(nproc) CPUs, $(ldd --version | head -1)"
		echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "load average at the start: $la (the machine is shared)"
		sed 's/^/perf: /' "$REPRO_DIR/perf.err"
		sed 's/^/storm: /' "$REPRO_DIR/storm.log"
	} >"$OUT/$n.meta"
	ls -l "$OUT/$n.data"
done
echo "record.sh: done; now: tests/repro/spawn/facts.py testdata/spawn $ks testdata/README.md"
