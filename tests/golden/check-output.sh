#!/bin/sh
# Runs swapdiag in testdata/ (so that paths in the output are relative) and
# compares its text or JSON report with a reviewed expected file.  The tool
# version is masked.
#
# usage: check-output.sh SWAPDIAG TESTDATA EXPECTED ARGS...
set -u
swapdiag=$1 td=$2 expected=$3
shift 3
case $swapdiag in /*) ;; *) swapdiag=$PWD/$swapdiag ;; esac
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT
(cd "$td" && LC_ALL=C "$swapdiag" --no-progress --no-color -q \
	--buildid-dir /nonexistent-buildid-cache "$@") |
	sed 's/"tool_version": "[^"]*"/"tool_version": "VERSION"/' >"$tmp"
if ! diff -u "$expected" "$tmp"; then
	echo "output differs from $expected"
	exit 1
fi
echo "ok: same as $expected"
