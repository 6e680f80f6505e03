#!/bin/sh
# regenerate.sh - rebuild every regression reproducer from the generic
# workload: hunt each bug variant with the built-in random source (seed 1,
# the classes BUGS.md names), then minimize the failing trace.
# Run it after an intentional model change makes the committed traces
# stop replaying (the regress tests say so); review the diffs.
# usage: corpus/regressions/regenerate.sh [MMFUZZ] [VARIANT...]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
MMFUZZ=${1:-$HERE/../../build/default/fuzz/mmfuzz}
[ $# -gt 0 ] && shift
ONLY="$*"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$MMFUZZ" list | sed -n 's/^  \([a-z-]*\) .*\[caught as: \([a-z,-]*\)\]$/\1 \2/p' |
while read -r variant classes; do
	if [ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $variant "; then
		continue
	fi
	echo "== $variant (seeking: $classes)"
	"$MMFUZZ" run mm --params "bugs=$variant" --want "$classes" --source random --seed 1 \
		--runs 500000 --quiet --trace "$TMP/raw.trace" | grep -v '^replay:\|^trace:'
	runs=5000
	grep -q '^result hang' "$TMP/raw.trace" && runs=400   # each hang run is long
	"$MMFUZZ" minimize "$TMP/raw.trace" -o "$HERE/$variant.trace" --runs $runs --quiet \
		>"$TMP/min.out" || [ $? = 1 ]
	sed -n '1p;/^workload:/p' "$TMP/min.out"
done
