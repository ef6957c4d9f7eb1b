#!/bin/sh
# Runs swapdiag in testdata/ (so that paths in the output are relative) and
# compares its text or JSON report with a SNAPSHOT of swapdiag's own output
# (tests/golden/expected/README.md).  A snapshot only guards against an
# unintended change of the output; it proves nothing about correctness: the
# numbers in it are checked against perf by tests/golden/check-numbers.py.
# The tool version is masked.
#
# usage: check-output.sh SWAPDIAG TESTDATA SNAPSHOT ARGS...
#
# With SWAPDIAG_REMAKE_SNAPSHOTS=1 in the environment the output is written
# to SNAPSHOT instead of compared: that is how tests/golden/remake-snapshots.sh
# remakes them, and nothing else should.
set -u
swapdiag=$1 td=$2 expected=$3
shift 3
case $swapdiag in /*) ;; *) swapdiag=$PWD/$swapdiag ;; esac
case $expected in /*) ;; *) expected=$PWD/$expected ;; esac
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
(cd "$td" && LC_ALL=C "$swapdiag" --no-progress --no-color -q \
	--buildid-dir /nonexistent-buildid-cache "$@" >"$tmp/raw" 2>"$tmp/err";
	echo $? >"$tmp/rc")
rc=$(cat "$tmp/rc")
# exit status 0 (nothing at warning or above) and 1 (a finding at warning or
# above) are reports; anything else is a failure, never a snapshot
case $rc in
0|1) ;;
*)
	echo "swapdiag exited $rc (not a report):"
	cat "$tmp/err"
	exit 1
	;;
esac
sed 's/"tool_version": "[^"]*"/"tool_version": "VERSION"/' "$tmp/raw" >"$tmp/out"
if [ "${SWAPDIAG_REMAKE_SNAPSHOTS:-}" = 1 ]; then
	if cmp -s "$tmp/out" "$expected"; then
		echo "snapshot unchanged: $expected"
	else
		cp "$tmp/out" "$expected" || exit 99
		echo "snapshot REMADE: $expected (review it: git diff)"
	fi
	exit 0
fi
if ! diff -u "$expected" "$tmp/out"; then
	cat <<EOF
output differs from the snapshot $expected
This snapshot is swapdiag's own earlier output, not truth: the diff above is a
change of the output, which may be intended.  Review the diff; if every line of
it is meant, remake the snapshots with
    tests/golden/remake-snapshots.sh [BUILDDIR]
review 'git diff tests/golden/expected tests/textin/expected' again and commit
them.  Their numbers are checked against perf by the numbers-* tests
(tests/golden/check-numbers.py), which must pass too.
EOF
	exit 1
fi
echo "ok: same as the snapshot $expected"
