#!/bin/sh
# One-step set-up on a fresh Debian 12 machine (as root, or with sudo):
#
#   tests/setup.sh demo   install what is missing, build, and run swapdiag on
#                         a recording bundled in testdata/
#   tests/setup.sh test   install what is missing, build, and run the whole
#                         test suite (also under ASan/UBSan)
#
# Packages come from Debian's archive only; nothing else is downloaded.
set -eu
cd "$(dirname "$0")/.."

# to build and run
build_pkgs="meson ninja-build gcc pkg-config scdoc zstd python3 \
libtraceevent-dev libelf-dev libdw-dev libjansson-dev libzstd-dev libiberty-dev \
libarchive-dev"
# only for the tests: the JSON schema check, and headless chromium that
# renders the --svg flame graph (tests/svg)
test_pkgs="python3-jsonschema valgrind chromium fonts-dejavu-core"

install_deps() {
	missing=
	for p in $build_pkgs ${1:-}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing:$missing"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

build() {
	[ -d build ] || meson setup build
	ninja -C build
}

case "${1:-}" in
demo)
	install_deps
	build
	echo
	echo "\$ swapdiag --kallsyms testdata/kallsyms/host-6.18.44-fc-v782.kallsyms.zst testdata/swapstorm.data"
	# exit status 1 means "a finding at or above warning": the point here
	rc=0
	./build/src/cli/swapdiag --no-progress \
		--kallsyms testdata/kallsyms/host-6.18.44-fc-v782.kallsyms.zst \
		--symfs testdata/symfs testdata/swapstorm.data || rc=$?
	[ $rc -le 1 ] || exit $rc
	;;
test)
	install_deps "$test_pkgs"
	build
	meson test -C build --print-errorlogs || {
		python3 tests/summary.py build/meson-logs/testlog.json
		exit 1
	}
	# the same suites with AddressSanitizer and UndefinedBehaviorSanitizer
	[ -d build-asan ] || meson setup build-asan --native-file build-dev.ini
	ninja -C build-asan
	rc=0
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --no-suite slow || rc=$?
	python3 tests/summary.py build/meson-logs/testlog.json \
		build-asan/meson-logs/testlog.json
	exit $rc
	;;
*)
	echo "usage: $0 demo|test" >&2
	exit 64
	;;
esac
