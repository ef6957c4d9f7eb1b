#!/bin/bash
# perf archive tarballs on committed fixtures (no perf needed): the
# synthetic recordings of testdata/synthetic with their kernel's kallsyms
# in perf archive form (testdata/archive, made as testdata/README.md says).
# Checked on a machine state without ~/.debug (HOME points at an empty
# directory) and with no --kallsyms: kernel frames then come from the
# archive only, and must fold exactly as perf folded them with that
# kallsyms (the golden files).
#
# usage: check-archive.sh SWAPDIAG SOURCE_ROOT
set -u
sd=$1 root=$2
td=$root/testdata
tmp=$(mktemp -d /tmp/sd-check-archive.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/home" "$tmp/symfs" "$tmp/tmp"
export HOME=$tmp/home LC_ALL=C TMPDIR=$tmp/tmp
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# nothing of an archive may stay behind in TMPDIR
left() { [ -z "$(ls -A "$tmp/tmp")" ] || fail "left in TMPDIR after $1: $(ls -A "$tmp/tmp")"; }

run() { # run NAME ARGS...: swapdiag's stdout, stderr and status in $tmp/NAME.*
	local name=$1
	shift
	"$sd" --no-progress --symfs "$tmp/symfs" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
	left "$name"
}

cfp=$tmp/cfp.data
cp "$td/synthetic/control-free-pages.data" "$cfp"

# 1. beside the recording, as perf archive names it; each compression
for z in bz2 xz zst gz; do
	case $z in
	bz2) cp "$td/archive/control-free-pages.data.tar.bz2" "$cfp.tar.bz2" ;;
	xz) bzip2 -dc "$td/archive/control-free-pages.data.tar.bz2" | xz -c >"$cfp.tar.xz" ;;
	zst) command -v zstd >/dev/null || { echo "skip .tar.zst: no zstd"; continue; }
	     bzip2 -dc "$td/archive/control-free-pages.data.tar.bz2" | zstd -qc >"$cfp.tar.zst" ;;
	gz) bzip2 -dc "$td/archive/control-free-pages.data.tar.bz2" | gzip -c >"$cfp.tar.gz" ;;
	esac
	run beside-$z --folded - "$cfp"
	sort "$tmp/beside-$z.out" >"$tmp/got"
	if [ "$(cat "$tmp/beside-$z.rc")" != 0 ] ||
	   ! cmp -s "$tmp/got" "$td/synthetic/control-free-pages.folded"; then
		fail ".tar.$z beside: exit $(cat "$tmp/beside-$z.rc"), folded differs from perf's"
		diff -u "$td/synthetic/control-free-pages.folded" "$tmp/got" | head -20
		cat "$tmp/beside-$z.err"
	else
		ok ".tar.$z beside: $(wc -l <"$tmp/got") stacks as perf folded them"
	fi
	rm -f "$cfp".tar.*
done

# 2. named, and the report says where the kernel symbols came from
run named --archive "$td/archive/control-free-pages.data.tar.bz2" --json "$tmp/r.json" "$cfp"
grep -q '^kernel symbols: perf archive (.*control-free-pages.data.tar.bz2), build-id verified$' "$tmp/named.out" ||
	fail "--archive: no 'kernel symbols: perf archive ..., build-id verified' line"
python3 - "$tmp/r.json" <<'PY' || fail "--archive: JSON input.kernel_symbols.source is not perf-archive"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d["input"]["kernel_symbols"]["source"] != "perf-archive")
PY
# without it: no kernel symbols at all (the fixture's kernel is not this
# one), so the archive really was the source above
run none --json "$tmp/n.json" "$cfp"
grep -q '"source": "none"' "$tmp/n.json" || fail "without the archive the kernel symbols came from somewhere"
[ "$(cat "$tmp/none.rc")" = 2 ] || fail "without the archive: exit $(cat "$tmp/none.rc"), want 2 (nothing judged)"
ok "named: text and JSON say perf-archive; without it: none"

# 3. an archive of another recording: refused by build-id
run foreign --archive "$td/archive/le-callchain.data.tar.bz2" "$cfp"
if [ "$(cat "$tmp/foreign.rc")" != 2 ] ||
   ! grep -q "is a perf archive of another recording: .*its kernel build-id is f0dafc02011c143d4a7a5d5cea28c2906b782afc, this recording's 2c01231b362e579555ce2ffdc8c7e2b7d9d1ece4.*refused" "$tmp/foreign.err"; then
	fail "foreign --archive: exit $(cat "$tmp/foreign.rc")"; cat "$tmp/foreign.err"
else
	ok "foreign --archive refused: $(grep -o 'is a perf archive of another recording' "$tmp/foreign.err")"
fi
# found beside it: not used, with a warning, and the analysis goes on
cp "$td/archive/le-callchain.data.tar.bz2" "$cfp.tar.bz2"
run foreign-beside "$cfp"
grep -q "warning: .*is a perf archive of another recording.*not used" "$tmp/foreign-beside.err" ||
	fail "foreign archive beside: no warning"
grep -q "^kernel symbols: perf archive" "$tmp/foreign-beside.out" &&
	fail "foreign archive beside: its symbols were used"
rm -f "$cfp.tar.bz2"
ok "foreign archive beside: warned, not used"

# 4. the archive given as the input
cp "$td/archive/control-free-pages.data.tar.bz2" "$cfp.tar.bz2"
run as-input --json "$tmp/e.json" "$cfp.tar.bz2"
if [ "$(cat "$tmp/as-input.rc")" != 2 ] ||
   ! grep -q "is a perf archive (the symbol files of a recording), not a recording: run 'swapdiag $cfp'" "$tmp/as-input.err" ||
   ! grep -q '"error"' "$tmp/e.json"; then
	fail "archive as input: exit $(cat "$tmp/as-input.rc")"; cat "$tmp/as-input.err"
else
	ok "archive as input: $(cat "$tmp/as-input.err")"
fi
rm -f "$cfp.tar.bz2"

# 5. damaged and truncated archives: never a crash, a message, and the
# recording still analysed (beside) or a clear refusal (named)
bzip2 -dc "$td/archive/control-free-pages.data.tar.bz2" >"$tmp/plain.tar"
size=$(stat -c %s "$tmp/plain.tar")
for cut in 100 600 1600 2000 $((size - 1024)); do
	head -c $cut "$tmp/plain.tar" | bzip2 -c >"$cfp.tar.bz2"
	run cut-$cut "$cfp"
	rc=$(cat "$tmp/cut-$cut.rc")
	if [ "$rc" -gt 2 ]; then
		fail "archive cut at $cut: exit $rc"
	elif [ $cut -lt $((size - 1024)) ] && ! grep -q "perf archive\|truncated\|not used" "$tmp/cut-$cut.err"; then
		fail "archive cut at $cut: no message"; cat "$tmp/cut-$cut.err"
	fi
	run cut-named-$cut --archive "$cfp.tar.bz2" "$cfp"
	rc=$(cat "$tmp/cut-named-$cut.rc")
	[ "$rc" -le 2 ] || fail "named archive cut at $cut: exit $rc"
done
# the bzip2 stream itself cut: what it held before the cut is read
head -c 400 "$td/archive/control-free-pages.data.tar.bz2" >"$cfp.tar.bz2"
run zcut "$cfp"
[ "$(cat "$tmp/zcut.rc")" -le 2 ] && grep -q "warning" "$tmp/zcut.err" ||
	fail "cut bzip2 stream: exit $(cat "$tmp/zcut.rc"), no warning"
# flipped bytes
python3 - "$td/archive/control-free-pages.data.tar.bz2" "$tmp/flip" <<'PY'
import random, sys
data = open(sys.argv[1], "rb").read()
rng = random.Random(16)
for i in range(40):
    b = bytearray(data)
    for _ in range(1 + i % 4):
        b[rng.randrange(10, len(b))] ^= 1 << rng.randrange(8)
    open("%s.%d" % (sys.argv[2], i), "wb").write(bytes(b))
PY
for i in $(seq 0 39); do
	cp "$tmp/flip.$i" "$cfp.tar.bz2"
	run flip-$i "$cfp"
	rc=$(cat "$tmp/flip-$i.rc")
	[ "$rc" -le 2 ] || { fail "flipped archive $i: exit $rc"; cat "$tmp/flip-$i.err"; }
	# a damaged kallsyms that still parses is still keyed by build-id;
	# a broken bzip2 block is a warning
	if ! grep -q "^kernel symbols: perf archive" "$tmp/flip-$i.out" &&
	   ! grep -q "perf archive\|not used" "$tmp/flip-$i.err"; then
		fail "flipped archive $i: neither used nor a message"; cat "$tmp/flip-$i.err"
	fi
done
rm -f "$cfp.tar.bz2"
ok "damaged and truncated archives: messages, exit 0-2, nothing left in TMPDIR"

# 6. stopped by a signal while the archive's files are out: they go too
for sig in TERM INT HUP; do
	mkfifo "$tmp/fifo"
	"$sd" --no-progress --archive "$td/archive/control-free-pages.data.tar.bz2" - \
		<"$tmp/fifo" >/dev/null 2>&1 &
	pid=$!
	exec 9>"$tmp/fifo" # swapdiag now waits for pipe-mode data
	for _ in $(seq 50); do
		[ -n "$(ls -A "$tmp/tmp")" ] && break
		sleep 0.1
	done
	[ -n "$(ls -A "$tmp/tmp")" ] || fail "SIG$sig: the archive was never unpacked"
	kill -$sig $pid
	wait $pid 2>/dev/null
	rc=$?
	exec 9>&-
	rm -f "$tmp/fifo"
	[ $rc -gt 128 ] || fail "SIG$sig: exit $rc, not by the signal"
	left "SIG$sig"
done
ok "SIGTERM, SIGINT, SIGHUP: the archive's temporary files removed"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
