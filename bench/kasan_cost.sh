#!/bin/bash
# kasan_cost.sh - what the checked heap costs, side by side in one run:
# the default build (checked heap + kernel-address instrumentation of the
# model), the same gcc build with -DMMF_KASAN=OFF (poison and quarantine
# only: the build before the checked heap), and the ASan build.  Each
# hunts the fixed model with the same seed and budget, one job, REPEAT
# times in turn; the table gives each build's median executions per second
# and its ratio to the plain build.
#   bench/kasan_cost.sh [--execs N] [--repeat R] [--out FILE]
# Builds go to build/cost-<name>/; the table is printed and written to FILE
# (default docs/data/kasan_cost.md).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
EXECS=200000 REPEAT=3 OUT=$HERE/docs/data/kasan_cost.md
die() { echo "bench/kasan_cost.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--execs) [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || die "--execs needs a number"; EXECS=$2; shift ;;
	--repeat) [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || die "--repeat needs a number"; REPEAT=$2; shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a file"; OUT=$2; shift ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done

builds="plain checked asan"
declare -A flags=(
	[plain]="-DCMAKE_C_COMPILER=gcc -DMMF_SANITIZER=none -DMMF_KASAN=OFF"
	[checked]="-DCMAKE_C_COMPILER=gcc -DMMF_SANITIZER=none -DMMF_KASAN=ON"
	[asan]="-DCMAKE_C_COMPILER=clang -DMMF_SANITIZER=asan"
)
declare -A what=(
	[plain]="gcc, plain heap (poison + quarantine; before the checked heap)"
	[checked]="gcc, checked heap + load/store checks (today's default build)"
	[asan]="clang, ASan + UBSan (the asan preset)"
)
for b in $builds; do
	# shellcheck disable=SC2086
	cmake -S "$HERE" -B "$HERE/build/cost-$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${flags[$b]} >/dev/null
	cmake --build "$HERE/build/cost-$b" -j"$(nproc)" --target mmfuzz >/dev/null
done

declare -A rates
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for r in $(seq "$REPEAT"); do
	for b in $builds; do
		(cd "$T" && "$HERE/build/cost-$b/fuzz/mmfuzz" hunt --bugs none --jobs 1 --execs "$EXECS" \
			--seed 1 --quiet >"$T/out" 2>&1) || die "the $b build's hunt failed: $(tail -2 "$T/out")"
		rate=$(sed -n 's/.* executions in .* (\([0-9]*\)\/s.*/\1/p' "$T/out" | tail -1)
		[ -n "$rate" ] || die "no rate in the $b build's output: $(tail -2 "$T/out")"
		rates[$b]="${rates[$b]:-} $rate"
		echo "run $r: $b $rate execs/s"
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
base=$(echo "${rates[plain]}" | median)
{
	echo "| build | executions/s (median of $REPEAT) | time vs plain |"
	echo "|---|---|---|"
	for b in $builds; do
		m=$(echo "${rates[$b]}" | median)
		echo "| ${what[$b]} | $m | $(echo "scale=2; $base / $m" | bc)x |"
	done
	echo
	echo "\`bench/kasan_cost.sh --execs $EXECS --repeat $REPEAT\`: hunt --bugs none --jobs 1 --seed 1, the fixed model, $(nproc) cores, $(date -u +%Y-%m-%d)."
} | tee "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
