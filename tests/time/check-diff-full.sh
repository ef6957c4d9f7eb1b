#!/bin/sh
# swapdiag diff whose output cannot be written: exit 2 and one message that
# names what failed, for standard output and for a --json file (/dev/full
# takes no byte: every write fails with ENOSPC).
set -u
SWAPDIAG=$1 TD=$2
[ -w /dev/full ] || { echo "no /dev/full here"; exit 77; }
B=$TD/spawn/fork.data A=$TD/spawn/spawn.data
# the recorded kernel's symbols and binaries: without them the host's own
# kallsyms (of another kernel) would add a warning to the one message
SYM="--kallsyms $TD/kallsyms/host-6.18.44-fc-v1045.kallsyms.zst --symfs $TD/spawn/symfs"
fail=0
check() { # NAME WANT-RC GOT-RC STDERR-FILE PATTERN
	if [ "$3" != "$2" ]; then
		echo "FAIL $1: exit $3, want $2"; fail=1
	elif ! grep -q "$5" "$4"; then
		echo "FAIL $1: stderr lacks '$5':"; cat "$4"; fail=1
	elif [ "$(wc -l <"$4")" -ne 1 ]; then
		echo "FAIL $1: more than one message:"; cat "$4"; fail=1
	else
		echo "ok   $1"
	fi
}
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
"$SWAPDIAG" diff $SYM "$B" "$A" >/dev/full 2>"$err"
check stdout 2 $? "$err" "writing the comparison to standard output failed: No space left on device"
"$SWAPDIAG" diff $SYM "$B" "$A" --json /dev/full >/dev/null 2>"$err"
check json 2 $? "$err" "writing '/dev/full' failed: No space left on device"
exit $fail
