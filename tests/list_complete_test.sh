#!/usr/bin/env bash
# list_complete_test.sh MMFUZZ EXECS - `mmfuzz list` says every class a hunt
# reports for a variant: each (class, variant) of a fixed-seed, one-job hunt
# over every historic variant is the variant's "caught as" class or one of
# its listed side effects.
set -u
M=$(readlink -f "$1") N=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
"$M" list >list.txt || exit 1
"$M" hunt --bugs each --jobs 1 --execs "$N" --seed 1 --quiet --json h.json >out.txt 2>&1
[ $? = 1 ] || { cat out.txt; echo "FAIL: the hunt found nothing"; exit 1; }
bad=0 n=0
while read -r cls variant; do
	n=$((n + 1))
	listed=$(awk -v v="$variant" '$1 == v { on = 1; sub(/.*\[caught as: /, ""); sub(/\]$/, ""); print; next }
		on && /side effects hunt also reports:/ { sub(/.*reports: /, ""); print; on = 0; next } { on = 0 }' list.txt | tr '\n' ',')
	if ! echo ",$listed," | grep -q ",$cls,"; then
		echo "FAIL: hunt reports $cls for $variant; 'mmfuzz list' gives only: $listed"
		bad=$((bad + 1))
	fi
done < <(sed -n 's/^  \([a-z-]*\) \+\([a-z-]*\) \+[0-9]\+ .*/\1 \2/p' out.txt | sort -u)
echo "$n (class, variant) pairs reported, $bad missing from 'mmfuzz list'"
[ $n -gt 0 ] && [ $bad = 0 ]
