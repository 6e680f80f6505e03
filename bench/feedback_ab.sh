#!/bin/sh
# feedback_ab.sh - does the interleaving feedback pay?  For each bug
# variant and seed, run the libFuzzer target from the generic seed corpus
# with the feedback on (MMFUZZ_FEEDBACK=1) and off (0), until the first
# crash or the budget, and print executions-to-bug as CSV:
#   variant,feedback,seed,found,executions,seconds
# usage: bench/feedback_ab.sh LIBFUZZER_TARGET [SEEDS] [MAX_SECONDS] [VARIANT...]
#   SEEDS: N (seeds 1..N) or A-B
# Only failures of the class BUGS.md names count (MMFUZZ_WANT); the class of
# each crash is confirmed by replaying it with the gcc CLI (MMFUZZ_CLI,
# default build/default/fuzz/mmfuzz).
set -u
T=$1
SEEDS=${2:-3}
case $SEEDS in
*-*) FIRST=${SEEDS%-*} LAST=${SEEDS#*-} ;;
*) FIRST=1 LAST=$SEEDS ;;
esac
MAXT=${3:-60}
shift $(( $# < 3 ? $# : 3 ))
HERE=$(cd "$(dirname "$0")/.." && pwd)
VARIANTS=${*:-"swapin-dead-entry anon-fault-double-alloc swapoff-single-pass lru-free-irq-double-free migrate-swapcache-anon-vma-uaf zswap-writeback-invalidate-leak zswap-writeback-stale-data free-swap-and-cache-swapoff-uaf"}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CLI=${MMFUZZ_CLI:-$HERE/build/default/fuzz/mmfuzz}
echo "variant,feedback,seed,found,executions,seconds,class"
for v in $VARIANTS; do
	# only failures of the class BUGS.md names count (MMFUZZ_WANT)
	want=$("$CLI" list | sed -n "s/^  $v .*\[caught as: \([a-z,-]*\)\]\$/\1/p")
	[ "$want" = any ] && want=
	for fb in 1 0; do
		s=$FIRST
		while [ $s -le "$LAST" ]; do
			rm -rf "$TMP/corpus" "$TMP/art"
			mkdir -p "$TMP/corpus" "$TMP/art"
			cp "$HERE"/corpus/seeds/mm/* "$TMP/corpus/"
			start=$(date +%s.%N)
			MMFUZZ_BUGS=$v MMFUZZ_FEEDBACK=$fb MMFUZZ_REPRO_DIR=- MMFUZZ_WANT=$want \
				ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0 \
				"$T" "$TMP/corpus" -seed="$s" -max_total_time="$MAXT" \
				-artifact_prefix="$TMP/art/" -print_final_stats=1 \
				>"$TMP/log" 2>&1
			end=$(date +%s.%N)
			n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/log" | tail -1)
			found=0 cls=
			crash=$(ls "$TMP/art/" | head -1)
			if [ -n "$crash" ]; then
				found=1
				cls=$("$CLI" replay "$TMP/art/$crash" --raw --bugs "$v" --quiet 2>/dev/null |
					sed -n 's/^result: //p')
			fi
			echo "$v,$fb,$s,$found,${n:-0},$(echo "$end - $start" | bc),$cls"
			s=$((s + 1))
		done
	done
done
