#!/bin/bash
# A bundle given as the input leaves nothing in TMPDIR: not after an
# analysis, not after swapdiag diff of two bundles (both extracted at
# once), and not when SIGTERM, SIGINT or SIGHUP ends swapdiag while the
# bundle's perf.data and kallsyms are out (diff BUNDLE -, waiting for
# the second side on a fifo); and SIGPIPE is no signal to it even with a
# perf archive's files out.  The bundle is assembled here from a
# committed recording and its kallsyms (tests/ksym/check-ksym.py does
# the same), a plain ustar with the manifest first.
#
# usage: check-input-signals.sh SWAPDIAG SOURCE_ROOT
set -u
sd=$1 root=$2
td=$root/testdata
tmp=$(mktemp -d /tmp/sd-check-input.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tmp"
export LC_ALL=C TMPDIR=$tmp/tmp
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
out() { compgen -G "$1/swapdiag-bundle-*" >/dev/null; }
left() { [ -z "$(ls -A "$tmp/tmp")" ] || fail "left in TMPDIR after $1: $(ls -A "$tmp/tmp")"; }

b=$tmp/b.swapdiag.tar
python3 - "$b" "$td/host-v1045.data" "$td/kallsyms/host-6.18.44-fc-v1045.kallsyms.zst" <<'PY' || exit 99
import io, json, sys, tarfile
out, data, ksyms = sys.argv[1:]
manifest = json.dumps({"format": "swapdiag-bundle/1"}).encode()
with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
    for name, blob in (("manifest.json", manifest),
                       ("kallsyms", open(ksyms, "rb").read()),
                       ("perf.data", open(data, "rb").read())):
        info = tarfile.TarInfo(name)
        info.size = len(blob)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(blob))
PY

# 1. analysed, then exit: the extracted files go at exit
"$sd" --no-progress "$b" >"$tmp/one.out" 2>"$tmp/one.err"
rc=$?
[ $rc -le 2 ] && grep -q "b.swapdiag.tar:kallsyms" "$tmp/one.out" ||
	{ fail "bundle: exit $rc, its kallsyms not named"; cat "$tmp/one.err"; }
left "an analysis"
ok "a bundle analysed: nothing left in TMPDIR"

# 2. two bundles at once (swapdiag diff): both sides' files go
cp "$b" "$tmp/c.swapdiag.tar"
"$sd" diff --no-progress "$b" "$tmp/c.swapdiag.tar" >"$tmp/diff.out" 2>"$tmp/diff.err"
rc=$?
[ $rc -le 2 ] && grep -q "^UNCHANGED" "$tmp/diff.out" ||
	{ fail "diff of two bundles: exit $rc"; head -3 "$tmp/diff.out"; cat "$tmp/diff.err"; }
left "swapdiag diff of two bundles"
ok "swapdiag diff of two bundles: UNCHANGED, nothing left in TMPDIR"

# 3. ended by a signal while the bundle's files are out
for sig in TERM INT HUP; do
	mkfifo "$tmp/fifo"
	"$sd" diff --no-progress "$b" - <"$tmp/fifo" >/dev/null 2>&1 &
	pid=$!
	exec 9>"$tmp/fifo" # the second side now waits for pipe-mode data
	# the bundle's own files, not whatever else a wrapper puts in
	# TMPDIR (valgrind's vgdb pipes come before swapdiag runs at all)
	for _ in $(seq 600); do
		out "$tmp/tmp" && break
		sleep 0.1
	done
	out "$tmp/tmp" || fail "SIG$sig: the bundle was never extracted"
	kill -$sig $pid
	wait $pid 2>/dev/null
	rc=$?
	exec 9>&-
	rm -f "$tmp/fifo"
	[ $rc -gt 128 ] || fail "SIG$sig: exit $rc, not by the signal"
	left "SIG$sig"
done
ok "SIGTERM, SIGINT, SIGHUP: the bundle's temporary files removed"

# 4. a reader of standard output that goes away is no signal to swapdiag
# (swapdiag(1), DESCRIPTION) with a perf archive beside the recording too:
# the JSON file is whole, the exit status is the verdict's, not SIGPIPE's
cp "$td/synthetic/control-free-pages.data" "$tmp/c.data"
cp "$td/archive/control-free-pages.data.tar.bz2" "$tmp/c.data.tar.bz2"
"$sd" --no-progress --json "$tmp/c.json" --svg - "$tmp/c.data" 2>"$tmp/pipe.err" |
	head -c 10 >/dev/null
rc=${PIPESTATUS[0]}
[ $rc -le 2 ] || fail "--svg - | head with a perf archive beside: exit $rc"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/c.json" ||
	fail "--svg - | head with a perf archive beside: the JSON report is not whole"
left "a reader gone"
ok "a reader gone, a perf archive beside: exit $rc, the JSON whole, nothing left"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
