#!/bin/sh
# Produce the expected folded stacks for a recording with perf itself, the way
# FOLDED.md describes: perf script (no trace payload) | stackcollapse-perf.pl | sort.
#
# usage: make-golden.sh DATA KALLSYMS SYMFS [EVENT] > EXPECTED.folded
#   DATA      the perf.data file
#   KALLSYMS  the kallsyms copy that goes with it (.zst is decompressed); the
#             __pfx_ padding symbols are removed first, as perf >= 6.3 skips them
#             and perf 6.1 does not (FOLDED.md)
#   SYMFS     a directory perf may take user binaries from (an empty one means
#             "no user symbols"); the build-id cache is never consulted
#   EVENT     fold only this event (stackcollapse --event-filter), named as
#             perf script prints it (e.g. cpu-clock/freq=999/); default: the
#             file's first event (the first "# event : name =" of perf's
#             header, i.e. command-line order; `perf evlist` is not used, as
#             perf 6.1 misnames events of pipe-mode files there: "cpu-clock",
#             "unknown tracepoint").  stackcollapse's own default, the first
#             event it meets in time order, is whichever record came first
#             (often a sched_switch), so it is never relied on.
#
# WEIGHT=period (environment) makes the period-weighted golden, the default
# `perf script | stackcollapse-perf.pl` pipeline: perf script prints each
# sample's period (-F ...,period,...) and the script adds those up.  Samples
# of tid -1 (exiting tasks, see testdata/README.md) are removed first: the
# script rejects their header when no period is printed, but with a period
# it takes that number for a pid and the rest of the header ("comm -1/-1
# [cpu] time:") for a comm, so that both goldens hold the same samples.
# WEIGHT=samples (the default) makes the sample-count golden.
# FOLD=OPT (pid, tid, kernel, jit, all or addrs) passes --OPT to the script:
# the golden of swapdiag --folded-with OPT.
#
# Needs perf and the stackcollapse-perf.pl script of Brendan Gregg's FlameGraph
# (not part of this project): set STACKCOLLAPSE to its path.  This script runs
# only when golden files are (re)made, never in the test suite.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 DATA KALLSYMS SYMFS [EVENT]" >&2; exit 64; }
data=$1 ksyms=$2 symfs=$3 event=${4:-}
weight=${WEIGHT:-samples}
fold=
case ${FOLD:-} in
'') ;;
pid|tid|kernel|jit|all|addrs) fold=--$FOLD ;;
*) echo "$0: FOLD is one of pid tid kernel jit all addrs, not $FOLD" >&2; exit 64 ;;
esac
case $weight in
period) fields=comm,pid,tid,cpu,time,period,event,ip,sym,dso ;;
samples) fields=comm,pid,tid,cpu,time,event,ip,sym,dso ;;
*) echo "$0: WEIGHT is period or samples, not $weight" >&2; exit 64 ;;
esac
: "${STACKCOLLAPSE:?set STACKCOLLAPSE to the path of stackcollapse-perf.pl}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
case $ksyms in
*.zst) zstd -qdc "$ksyms" ;;
*) cat "$ksyms" ;;
esac | grep -v ' __pfx_' >"$tmp/kallsyms"
[ -s "$tmp/kallsyms" ] || { echo "$0: cannot read kallsyms from $ksyms" >&2; exit 1; }
mkdir "$tmp/buildid"
if [ -z "$event" ]; then
	event=$(perf report -f --header-only -i "$data" 2>"$tmp/err" |
		sed -n 's/^# event : name = \([^,]*\),.*/\1/p' | sed -n 1p) || true
	[ -n "$event" ] || { echo "$0: no events in $data:" >&2; cat "$tmp/err" >&2; exit 1; }
fi
# No pipeline here: sh has no pipefail, and a failing perf must not leave an
# empty golden file behind.
if ! perf --buildid-dir "$tmp/buildid" script -f -i "$data" --kallsyms "$tmp/kallsyms" \
	--symfs "$symfs" -F "$fields" \
	>"$tmp/script" 2>"$tmp/err"; then
	echo "$0: perf script failed on $data:" >&2
	cat "$tmp/err" >&2
	exit 1
fi
# A sample without a call chain (recorded without -g) is printed on one line,
#   comm pid/tid [cpu] time: [period] event:  ip sym (dso)
# with the comm right-aligned; stackcollapse-perf.pl reads neither (it folds
# nothing).  Split it into the header without the leading blanks, one frame
# line and a blank line, so that it folds as comm;sym.
tab=$(printf '\t')
sed -E "s/^ *(.* [0-9]+\.[0-9]+: +([0-9]+ +)?[^ ]+:) +([0-9a-f]+ .* \(.*\))\$/\1\\
$tab\3\\
/" "$tmp/script" >"$tmp/script2"
if [ "$weight" = period ]; then
	perl -00 -ne 'print unless (split /\n/)[0] =~ m{\s-?\d+/-1\s}' \
		"$tmp/script2" >"$tmp/script3"
	mv "$tmp/script3" "$tmp/script2"
fi
perl "$STACKCOLLAPSE" $fold --event-filter="$event" "$tmp/script2" >"$tmp/folded"
[ -s "$tmp/folded" ] || { echo "$0: no $event stacks in $data" >&2; exit 1; }
LC_ALL=C sort "$tmp/folded"
