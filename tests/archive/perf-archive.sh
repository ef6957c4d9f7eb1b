#!/bin/bash
# perf archive end to end, on recordings made here: perf record (file mode,
# and pipe mode with --buildid-mmap, the only way perf 6.1 writes
# build-ids into pipe data), perf archive, then swapdiag on a machine
# state without ~/.debug (HOME is an empty directory) and without the
# recorded binary (deleted: its frames can only be named from the
# archive).  Expected names: perf script with the archive unpacked as its
# build-id cache (perf --buildid-dir), folded by fold-script.py; and
# swapdiag --buildid-dir on the unpacked tree.  Skipped (77) without
# perf or the rights to record kernel call chains.
#
# usage: perf-archive.sh SWAPDIAG SPIN TESTDIR
set -u
sd=$1 spin=$2 here=$3
command -v perf >/dev/null || { echo "skip: no perf"; exit 77; }
command -v bzip2 >/dev/null || { echo "skip: no bzip2"; exit 77; }
if [ "$(id -u)" != 0 ] &&
   [ "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)" -gt 1 ]; then
	echo "skip: not root and perf_event_paranoid > 1 (no kernel call chains)"
	exit 77
fi
tmp=$(mktemp -d /tmp/sd-perf-archive.XXXXXX) || exit 99
# perf's build-id cache goes to the private HOME: nothing in root's ~/.debug
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/home" "$tmp/empty" "$tmp/bin" "$tmp/tmp"
export LC_ALL=C
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# swapdiag's folded stacks equal perf's: the same stacks, and weights that
# are perf's sample counts (or periods, whichever swapdiag folds by)
same_folded() { # same_folded SWAPDIAG-FOLDED PERF-SCRIPT WHAT
	python3 "$here/fold-script.py" "$2" >"$tmp/perf.counts"
	python3 "$here/fold-script.py" --period "$2" >"$tmp/perf.periods"
	sort "$1" >"$tmp/got"
	sort "$tmp/perf.counts" >"$tmp/want1"
	sort "$tmp/perf.periods" >"$tmp/want2"
	if cmp -s "$tmp/got" "$tmp/want1" || cmp -s "$tmp/got" "$tmp/want2"; then
		echo "ok: $3: $(wc -l <"$tmp/got") stacks named as perf names them"
	else
		fail "$3: folded stacks differ from perf script's"
		diff -u "$tmp/want1" "$tmp/got" | head -30
	fi
}

one() { # one NAME MODE
	local name=$1 mode=$2 data=$tmp/$1.data
	cp "$spin" "$tmp/bin/spin"
	if [ "$mode" = file ]; then
		HOME=$tmp/home perf record -q -g -e cpu-clock/freq=999/ -o "$data" \
			-- "$tmp/bin/spin" 2>"$tmp/$name.rec" ||
			{ cat "$tmp/$name.rec"; echo "skip: perf record failed"; exit 77; }
	else
		HOME=$tmp/home perf record -q --buildid-mmap -g -e cpu-clock/freq=999/ \
			-o - -- "$tmp/bin/spin" >"$data" 2>"$tmp/$name.rec" ||
			{ cat "$tmp/$name.rec"; echo "skip: perf record failed"; exit 77; }
	fi
	# (perf archive warns about DSOs it did not cache, e.g. libc: those
	# stay at their path on this host, as for perf)
	HOME=$tmp/home perf archive "$data" >"$tmp/$name.arc" 2>&1
	[ -s "$data.tar.bz2" ] || { fail "$name: perf archive made nothing"; cat "$tmp/$name.arc"; return; }
	echo "$name: perf archive: $(stat -c %s "$data.tar.bz2") bytes, $(tar tjf "$data.tar.bz2" | grep -vc /$) members"
	mkdir "$tmp/$name.unpacked"
	tar xjf "$data.tar.bz2" -C "$tmp/$name.unpacked" 2>/dev/null
	rm -f "$tmp/bin/spin"
	HOME=$tmp/empty perf --buildid-dir "$tmp/$name.unpacked" script -i "$data" \
		-F comm,tid,time,period,event,ip,sym,dso >"$tmp/$name.script" 2>/dev/null
	grep -q spin_inner "$tmp/$name.script" ||
		fail "$name: perf itself does not name spin_inner from the unpacked archive"

	# the archive beside the recording, nothing in ~/.debug
	HOME=$tmp/empty TMPDIR=$tmp/tmp "$sd" --no-progress --folded - \
		--json "$tmp/$name.json" "$data" >"$tmp/$name.folded" 2>"$tmp/$name.err"
	same_folded "$tmp/$name.folded" "$tmp/$name.script" "$name (archive beside)"
	grep -q ';spin_outer;spin_inner' "$tmp/$name.folded" ||
		fail "$name: the deleted binary's frames are not named"
	[ -z "$(ls -A "$tmp/tmp")" ] || fail "$name: temporary files left: $(ls -A "$tmp/tmp")"
	src=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["input"]["kernel_symbols"]["source"])' "$tmp/$name.json")
	if [ "$mode" = file ]; then
		[ "$src" = perf-archive ] || fail "$name: kernel symbols from '$src', not the archive"
		HOME=$tmp/empty "$sd" --no-progress "$data" 2>/dev/null |
			grep -q "^kernel symbols: perf archive ($data.tar.bz2), build-id verified$" ||
			fail "$name: no 'kernel symbols: perf archive' line"
	else
		# perf 6.1 pipe data does not carry the kernel's build-id: the
		# archive's kallsyms cannot be checked, so it is not used
		[ "$src" != perf-archive ] || fail "$name: unverifiable archive kallsyms used"
	fi
	# the same as swapdiag reading the unpacked tree as a build-id cache
	mv "$data.tar.bz2" "$tmp/$name.tbz"
	HOME=$tmp/empty "$sd" --no-progress --folded - --buildid-dir "$tmp/$name.unpacked" \
		"$data" 2>/dev/null | sort >"$tmp/$name.cache.folded"
	sort "$tmp/$name.folded" | cmp -s - "$tmp/$name.cache.folded" &&
		echo "ok: $name: the same as --buildid-dir on the unpacked archive" ||
		fail "$name: archive and unpacked cache give different stacks"
	# --archive names it anywhere
	HOME=$tmp/empty "$sd" --no-progress --folded - --archive "$tmp/$name.tbz" \
		"$data" 2>/dev/null | sort | cmp -s - "$tmp/$name.cache.folded" ||
		fail "$name: --archive differs"
	mv "$tmp/$name.tbz" "$data.tar.bz2"
}

one file file
one pipe pipe

# the pipe recording's archive for the file recording: the same kernel and
# libraries on this host, but another build of spin... here the very same
# binary, so it is of the same build: accepted.  A different build is
# another recording for user frames: its spin frames stay unnamed.
cc=$(command -v cc || true)
if [ -n "$cc" ]; then
	sed 's/s += i \* i % 7;/s += i * i % 11;/' "$here/spin.c" >"$tmp/spin2.c"
	"$cc" -O1 -fno-omit-frame-pointer -fno-inline -o "$tmp/bin/spin" "$tmp/spin2.c"
	HOME=$tmp/home perf record -q -g -e cpu-clock/freq=999/ -o "$tmp/other.data" \
		-- "$tmp/bin/spin" 2>/dev/null
	rm -f "$tmp/bin/spin"
	HOME=$tmp/empty "$sd" --no-progress --folded - --archive "$tmp/file.data.tar.bz2" \
		"$tmp/other.data" >"$tmp/other.folded" 2>"$tmp/other.err"
	grep -q spin_inner "$tmp/other.folded" &&
		fail "another build's spin frames were named from this archive"
	grep -q '\[spin\]' "$tmp/other.folded" && echo "ok: another build of spin: its frames stay [spin]"
fi

# swapdiag record --with-dsos: the bundle carries the sampled binaries,
# so the deleted spin is named from the bundle alone
cp "$spin" "$tmp/bin/spin"
HOME=$tmp/empty TMPDIR=$tmp/tmp "$sd" record -q --with-dsos --dso-cap 64 \
	-o "$tmp/rec.swapdiag.tar.zst" -- "$tmp/bin/spin" >"$tmp/rec.out" 2>"$tmp/rec.err"
rc=$?
rm -f "$tmp/bin/spin"
if [ $rc != 0 ]; then
	fail "record --with-dsos: exit $rc"; cat "$tmp/rec.err"
else
	# a cap of 1 MiB: libc alone passes it; what is left out is said
	HOME=$tmp/empty TMPDIR=$tmp/tmp "$sd" record --with-dsos --dso-cap 1 \
		-o "$tmp/small.swapdiag.tar.zst" -- "$spin" 2>"$tmp/small.err" >/dev/null
	grep -q "swapdiag: adding [0-9]* sampled DSOs by build-id (.* MiB, cap 1 MiB); left out [1-9][0-9]* over the cap" "$tmp/small.err" &&
		echo "ok: --dso-cap: $(grep -o 'adding.*' "$tmp/small.err")" ||
		{ fail "--dso-cap 1: no report of what was left out"; grep adding "$tmp/small.err"; }
	zstd -dc "$tmp/rec.swapdiag.tar.zst" | tar tf - >"$tmp/rec.list"
	grep -q "^dsos/${tmp#/}/bin/spin/[0-9a-f]*/elf$" "$tmp/rec.list" ||
		fail "record --with-dsos: no dsos/ member for spin"
	tail -1 "$tmp/rec.list" | grep -qx perf.data || fail "perf.data is not the last member"
	HOME=$tmp/empty TMPDIR=$tmp/tmp "$sd" --no-progress --folded - \
		"$tmp/rec.swapdiag.tar.zst" >"$tmp/rec.folded" 2>/dev/null
	grep -q '^spin;.*spin_outer;spin_inner ' "$tmp/rec.folded" &&
		echo "ok: record --with-dsos: the deleted spin named from the bundle" ||
		fail "record --with-dsos: spin's frames not named from the bundle"
	[ -z "$(ls -A "$tmp/tmp")" ] || fail "record --with-dsos: temporary files left: $(ls -A "$tmp/tmp")"
fi

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
