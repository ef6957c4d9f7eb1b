#!/bin/sh
# The harness (test.h) fails a test that asserts nothing: runs PROGRAM,
# wants exit status 1 and MESSAGE on stderr.
#   check-harness.sh PROGRAM MESSAGE
set -u
err=$("$1" 2>&1 >/dev/null)
rc=$?
if [ "$rc" -ne 1 ]; then
	echo "$1: exit status $rc, want 1 (a test that asserts nothing must fail)" >&2
	printf '%s\n' "$err" >&2
	exit 1
fi
case $err in
*"$2"*) echo "$1: failed as it should: $2" ;;
*) echo "$1: no '$2' in its messages:" >&2; printf '%s\n' "$err" >&2; exit 1 ;;
esac
