#!/bin/sh
# find_variants.sh - executions-to-find for every bug variant, from the
# generic workload (program "mm", default parameters) or from a focused
# scenario, with the built-in random and PCT sources over several seeds.
# Prints one CSV row per trial:
#   variant,workload,source,seed,found,class,executions,seconds
# usage: bench/find_variants.sh MMFUZZ [SEEDS] [BUDGET] [WORKLOAD...]
#   WORKLOAD is "generic" (default) or "focused"; focused scenarios are the
#   plan= lines of corpus/focused/<variant>.params.
set -eu
MMFUZZ=$1
SEEDS=${2:-10}
BUDGET=${3:-200000}
shift $(( $# < 3 ? $# : 3 ))
WORKLOADS=${*:-generic}
HERE=$(cd "$(dirname "$0")/.." && pwd)

echo "variant,workload,source,seed,found,class,executions,seconds"
"$MMFUZZ" list | sed -n 's/^  \([a-z-]*\) .*\[caught as: \([a-z,-]*\)\]$/\1 \2/p' |
while read -r variant classes; do
	for wl in $WORKLOADS; do
		params="bugs=$variant"
		if [ "$wl" = focused ]; then
			f="$HERE/corpus/focused/$variant.params"
			[ -f "$f" ] || continue
			params="$(cat "$f") bugs=$variant"
		fi
		for src in random pct; do
			seed=1
			while [ "$seed" -le "$SEEDS" ]; do
				start=$(date +%s.%N)
				out=$("$MMFUZZ" run mm --params "$params" --source "$src" --seed "$seed" \
					--runs "$BUDGET" --want "$classes" --quiet 2>&1 | tail -1) || true
				end=$(date +%s.%N)
				secs=$(echo "$end - $start" | bc)
				case "$out" in
				*"found "*" after "*)
					cls=$(echo "$out" | sed 's/.*found \([a-z-]*\) after.*/\1/')
					n=$(echo "$out" | sed 's/.* after \([0-9]*\) execution.*/\1/')
					echo "$variant,$wl,$src,$seed,1,$cls,$n,$secs" ;;
				*) echo "$variant,$wl,$src,$seed,0,,$BUDGET,$secs" ;;
				esac
				seed=$((seed + 1))
			done
		done
	done
done
