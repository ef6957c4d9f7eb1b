#!/bin/sh
# Remakes the report snapshots (tests/golden/expected/*, tests/textin/expected/*)
# from the current swapdiag: the one way to change them.  Run it deliberately,
# after reviewing the diff a failing report-* test printed, and review
# 'git diff' of the snapshots again before committing them.  The snapshots
# prove nothing about correctness; the numbers-* tests (check-numbers.py)
# check the numbers in them against perf, so run those afterwards.
#
# usage: tests/golden/remake-snapshots.sh [BUILDDIR]   (default: build)
#
# It runs the Meson suite 'snapshot' (the report-* tests, whose cases and
# swapdiag arguments live in tests/golden/meson.build and
# tests/textin/meson.build) with SWAPDIAG_REMAKE_SNAPSHOTS=1, which makes
# check-output.sh write each snapshot instead of comparing it.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
[ -d "$build" ] || { echo "$0: no build directory '$build' (meson setup $build)" >&2; exit 64; }
ninja -C "$build" >/dev/null
SWAPDIAG_REMAKE_SNAPSHOTS=1 meson test -C "$build" --suite snapshot \
	--print-errorlogs --no-rebuild >/dev/null || {
	echo "$0: some snapshots could not be made; see $build/meson-logs/testlog.txt" >&2
	exit 1
}
sed -n 's/^snapshot REMADE: /remade: /p' "$build/meson-logs/testlog.txt"
if git diff --quiet -- tests/golden/expected tests/textin/expected; then
	echo "no snapshot changed"
else
	git diff --stat -- tests/golden/expected tests/textin/expected
	echo
	echo "Review every line: git diff tests/golden/expected tests/textin/expected"
	echo "then run: meson test -C $build --suite snapshot --suite numbers"
fi
