#!/bin/sh
# Reproduce the fork+exec-with-memory-in-swap pathology for a bounded time.
#
# usage: run.sh [swap|control] [SECONDS]          (as root)
#        run.sh build                              (build only, print the path)
#   swap     (default) the parent's memory is pushed to swap before the
#            workers fork: every fork copies the swap entries, every exec
#            drops them, and `ps` reading the workers' cmdline/environ stalls
#            in D state on their mmap_lock.
#   control  the same fork+exec storm, the memory resident (nothing in swap).
#   SECONDS  length of the storm (default 10, capped at 120).
#
# Environment: MIB (256) memory of the parent, WORKERS (2) forking workers,
#   PROG (/bin/true) the program exec'd, PSLOOP (1) run the ps/environ readers,
#   REPRO_DIR (/tmp/swapdiag-repro) where the binary is built and run from,
#   START (fork) how the workers start PROG: fork (fork+execve) or spawn
#   (posix_spawn: clone(CLONE_VM|CLONE_VFORK), no page-table copy), RATE (0)
#   at most that many starts per second per worker (0: as fast as it can).
#
# If no swap is enabled, a 1 GiB swap file SWAPFILE (/var/tmp/swapdiag.swap)
# is created and enabled for the run, then switched off and removed when the
# script returns (a file that was there before is switched off, not
# removed).  Existing swap is never touched.  Every process started here is
# stopped before the script returns.
set -eu

mode=${1:-swap}
secs=${2:-10}
MIB=${MIB:-256}
WORKERS=${WORKERS:-2}
PROG=${PROG:-/bin/true}
PSLOOP=${PSLOOP:-1}
START=${START:-fork}
RATE=${RATE:-0}
REPRO_DIR=${REPRO_DIR:-/tmp/swapdiag-repro}
here=$(cd "$(dirname "$0")" && pwd)

case $mode in
swap) nflag= ;;
control) nflag=-n ;;
build) ;;
*) echo "usage: $0 [swap|control] [SECONDS]" >&2; exit 64 ;;
esac
case $secs in
''|*[!0-9.]*) echo "run.sh: SECONDS must be a number" >&2; exit 64 ;;
esac
if [ "$(printf '%.0f' "$secs")" -gt 120 ]; then secs=120; fi
case $START in
fork) sflag= ;;
spawn) sflag=-s ;;
*) echo "run.sh: START must be fork or spawn" >&2; exit 64 ;;
esac
case $RATE in
''|*[!0-9.]*) echo "run.sh: RATE must be a number" >&2; exit 64 ;;
esac
build() {
	mkdir -p "$REPRO_DIR"
	bin=$REPRO_DIR/forkswap
	if [ ! -x "$bin" ] || [ "$here/forkswap.c" -nt "$bin" ]; then
		cc -O2 -fno-omit-frame-pointer -o "$bin" "$here/forkswap.c"
	fi
}
if [ "$mode" = build ]; then build; echo "$bin"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 1; }

# --- swap -----------------------------------------------------------------
sf=${SWAPFILE:-/var/tmp/swapdiag.swap}
swap_on= swap_made=
# the swap file this script enabled: off (its pages come back to memory,
# a second or so once forkswap is gone) and removed if it made it
swap_off() {
	if [ -n "$swap_on" ]; then
		swapoff "$sf" || echo "run.sh: cannot switch off $sf" >&2
		swap_on=
	fi
	if [ -n "$swap_made" ]; then
		rm -f "$sf"
		swap_made=
	fi
}
ensure_swap() {
	if [ -n "$(swapon --show=NAME --noheadings 2>/dev/null)" ]; then
		return 0
	fi
	echo "run.sh: no swap enabled: creating and enabling a 1 GiB swap file $sf (for this run)"
	trap 'swap_off' EXIT
	trap 'exit 130' INT TERM
	if [ ! -f "$sf" ]; then
		swap_made=1
		dd if=/dev/zero of="$sf" bs=1M count=1024 status=none
		chmod 600 "$sf"
		mkswap "$sf" >/dev/null
	fi
	swapon "$sf"
	swap_on=1
	swapon --show
}
[ "$mode" = swap ] && ensure_swap

build

# --- run ------------------------------------------------------------------
pidfile=$REPRO_DIR/workers.pid
rm -f "$pidfile" "$REPRO_DIR/ready"
fs_pid= ps_pid=
cleanup() {
	trap - EXIT INT TERM
	[ -n "$ps_pid" ] && kill "$ps_pid" 2>/dev/null || true
	if [ -n "$fs_pid" ]; then
		kill "$fs_pid" 2>/dev/null || true
		i=0
		while kill -0 "$fs_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$fs_pid" 2>/dev/null || true
	fi
	# workers die with their parent (PR_SET_PDEATHSIG); make sure anyway
	if [ -f "$pidfile" ]; then
		for p in $(cat "$pidfile"); do kill -9 "$p" 2>/dev/null || true; done
	fi
	wait 2>/dev/null || true
	rm -f "$REPRO_DIR/ready"
	swap_off
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The storm runs for $secs after the page-out; timeout(1) is the hard bound.
timeout -s KILL $(( ${secs%.*} + 60 )) "$bin" -m "$MIB" -w "$WORKERS" \
	-t "$secs" -x "$PROG" -p "$pidfile" -r "$RATE" $nflag $sflag &
fs_pid=$!

# Wait until the workers are forked (the page-out comes first).
i=0
while [ "$(cat "$pidfile" 2>/dev/null | wc -l)" -lt "$WORKERS" ]; do
	kill -0 "$fs_pid" 2>/dev/null || { echo "run.sh: forkswap exited early" >&2; exit 1; }
	sleep 0.05; i=$((i + 1))
	[ $i -lt 1200 ] || { echo "run.sh: workers did not start" >&2; exit 1; }
done
workers=$(cat "$pidfile")
touch "$REPRO_DIR/ready"

# Readers of the workers' mm: ps with an args column reads /proc/PID/cmdline,
# cat reads /proc/PID/environ; both take the mmap_lock for read and sleep in
# D state while a worker's fork holds it for write.
if [ "$PSLOOP" = 1 ]; then
	(
		n=0
		while kill -0 "$fs_pid" 2>/dev/null; do
			ps -eo pid,stat,args >/dev/null 2>&1 || true
			n=$((n + 1))
			for p in $workers; do
				cat "/proc/$p/environ" >/dev/null 2>&1 || true
				cat "/proc/$p/cmdline" >/dev/null 2>&1 || true
			done
		done
		echo "run.sh: $n rounds of ps + cat environ/cmdline"
	) &
	ps_pid=$!
fi

wait "$fs_pid" || true
fs_pid=
[ -n "$ps_pid" ] && wait "$ps_pid" 2>/dev/null || true
ps_pid=
