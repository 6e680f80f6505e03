#!/bin/sh
# seeds_test.sh MMFUZZ SEEDDIR - the generic seed corpus holds no reproducer:
# every seed runs clean on the fixed model and under every bug variant.
set -u
M=$1 DIR=$2
variants="none $("$M" list | sed -n 's/^  \([a-z-]*\) .*\[caught as: .*\]$/\1/p')"
n=0 bad=0
for f in "$DIR"/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	for v in $variants; do
		if ! "$M" replay "$f" --raw --bugs "$v" --quiet >/dev/null 2>&1; then
			echo "FAIL: seed $(basename "$f") fails under bugs=$v"
			bad=$((bad + 1))
		fi
	done
done
[ $n -ge 8 ] || { echo "FAIL: only $n seeds in $DIR"; exit 1; }
echo "seeds: $n files x $(echo $variants | wc -w) variant sets, $bad failing"
[ $bad = 0 ]
