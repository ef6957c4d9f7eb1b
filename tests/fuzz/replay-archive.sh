#!/bin/sh
# Replays a minimised fuzzing corpus kept as a zstd-compressed tar
# (corpus/<harness>.tar.zst: what the fuzzers reached, see RESULTS.md)
# through a harness's replay driver.
#
#   [SWAPDIAG_REPLAY_EVERY=N] replay-archive.sh REPLAY ARCHIVE
set -eu
[ $# -eq 2 ] || { echo "usage: $0 REPLAY ARCHIVE" >&2; exit 64; }
replay=$1 archive=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/swapdiag-corpus.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
zstd -dc "$archive" | tar -xf - -C "$dir"
# SWAPDIAG_REPLAY_EVERY=N keeps every Nth input only (the valgrind test
# setup: a replay there costs ~0.5 s an input)
every=${SWAPDIAG_REPLAY_EVERY:-1}
if [ "$every" -gt 1 ]; then
	find "$dir" -type f | sort | awk -v n="$every" 'NR % n' |
		while read -r f; do rm -f "$f"; done
fi
n=$(find "$dir" -type f | wc -l)
[ "$n" -gt 0 ] || { echo "$archive: no inputs" >&2; exit 1; }
echo "$archive: $n inputs"
"$replay" "$dir"
