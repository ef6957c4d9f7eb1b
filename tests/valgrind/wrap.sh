#!/bin/sh
# The exe_wrapper of `meson test --setup valgrind` (tests/meson.build).
#
# A test that is a program of ours runs under valgrind.  A test that is a
# script (the golden tests: check-folded.sh, check-diagnosis.py, damage.py
# ...) runs as it is, and every program of ours among its arguments (the
# swapdiag binary) is replaced by a shim that runs it under valgrind: the
# binary is checked, not python or sh.
#
# Valgrind's error exit is 1 for a test program (its own failure code) and
# 97 for a program a script runs, so that a script expecting swapdiag's exit
# codes (0, 1 finding, 2 unreadable input) sees an error as a failure.
#
# A program of ours is an executable ELF file under the build tree
# (SWAPDIAG_BUILD_ROOT, set by the test setup): an interpreter a test runs
# (sh, python3) is a program too, and is not what is checked here.
#
# --vgdb=no: no gdbserver pipes in TMPDIR, where tests look for what
# swapdiag leaves behind.
set -eu
opts="--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-fds=no --vgdb=no --quiet"
[ -n "${VALGRIND_SUPP:-}" ] && opts="$opts --suppressions=$VALGRIND_SUPP"

is_ours() {
	[ -f "$1" ] && [ -x "$1" ] &&
		[ "$(od -An -c -N4 "$1" | tr -d ' ')" = '177ELF' ] || return 1
	[ -n "${SWAPDIAG_BUILD_ROOT:-}" ] || return 0
	case "$(realpath "$1")" in
	"$(realpath "$SWAPDIAG_BUILD_ROOT")"/*) return 0 ;;
	esac
	return 1
}

prog=$1
shift
if is_ours "$prog"; then
	# shellcheck disable=SC2086
	exec valgrind --error-exitcode=1 $opts "$prog" "$@"
fi

shims=$(mktemp -d "${TMPDIR:-/tmp}/swapdiag-vg.XXXXXX")
trap 'rm -rf "$shims"' EXIT INT TERM
n=0
for a in "$@"; do
	if is_ours "$a"; then
		n=$((n + 1))
		shim=$shims/$n/$(basename "$a")
		mkdir -p "$shims/$n"
		printf '#!/bin/sh\nexec valgrind --error-exitcode=97 %s "%s" "$@"\n' \
			"$opts" "$(cd "$(dirname "$a")" && pwd)/$(basename "$a")" > "$shim"
		chmod +x "$shim"
		set -- "$@" "$shim"
	else
		set -- "$@" "$a"
	fi
	shift
done
rc=0
"$prog" "$@" || rc=$?
exit $rc
