#!/bin/sh
# throughput.sh - executions per second of the generic workload on one
# core, per build: gcc, ASan, TSan (the built-in engine, `mmfuzz hunt
# --jobs 1` on the fixed model), libFuzzer+ASan and AFL++ (their targets on
# the fixed model from the generic seed corpus).  Also scheduling points per
# second for the built-in engine.  Prints CSV and writes docs/data/throughput.csv.
#   usage: bench/throughput.sh [SECONDS_PER_ENGINE]
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-20}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$HERE/docs/data/throughput.csv
mkdir -p "$HERE/docs/data"
echo "build,engine,seconds,executions,execs_per_sec,steps_per_sec" | tee "$OUT"
json_num() { sed -n "s/^  \"$1\": \([0-9.]*\),*\$/\1/p" "$2"; }
for b in default asan tsan; do
	M=$HERE/build/$b/fuzz/mmfuzz
	[ -x "$M" ] || { echo "$b,hunt,skipped (not built)" | tee -a "$OUT"; continue; }
	"$M" hunt --jobs 1 --time "$SECS" --quiet --out "$TMP/h-$b" --json "$TMP/$b.json" >/dev/null 2>&1
	e=$(json_num executions "$TMP/$b.json"); s=$(json_num seconds "$TMP/$b.json")
	st=$(json_num steps "$TMP/$b.json")
	echo "$b,hunt,$s,$e,$(echo "scale=0; $e / $s" | bc),$(echo "scale=0; $st / $s" | bc)" | tee -a "$OUT"
done
LF=$HERE/build/libfuzzer/fuzz/mmfuzz_libfuzzer
if [ -x "$LF" ]; then
	# In-memory corpus (no directory: libFuzzer would spend its time writing
	# new units to disk), started from the generic seeds or from nothing.
	seeds=$(ls "$HERE"/corpus/seeds/mm/* | tr '\n' ',' | sed 's/,$//')
	for run in "1 seeds" "0 seeds" "1 empty"; do
		set -- $run
		extra=; [ "$2" = seeds ] && extra=-seed_inputs=$seeds
		MMFUZZ_FEEDBACK=$1 MMFUZZ_REPRO_DIR=- ASAN_OPTIONS=detect_leaks=0 \
			"$LF" -seed=1 -max_total_time="$SECS" -print_final_stats=1 $extra \
			>"$TMP/lf.log" 2>&1
		e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/lf.log")
		r=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$TMP/lf.log")
		echo "libfuzzer-asan,libFuzzer feedback=$1 from $2,$SECS,$e,$r," | tee -a "$OUT"
	done
fi
AF=$HERE/build/afl/fuzz/mmfuzz_afl
if [ -x "$AF" ] && command -v afl-fuzz >/dev/null; then
	MMFUZZ_REPRO_DIR=- ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0 \
		AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		afl-fuzz -i "$HERE/corpus/seeds/mm" -o "$TMP/afl" -V "$SECS" -- "$AF" >/dev/null 2>&1
	e=$(sed -n 's/^execs_done *: *//p' "$TMP/afl/default/fuzzer_stats")
	r=$(sed -n 's/^execs_per_sec *: *//p' "$TMP/afl/default/fuzzer_stats")
	echo "afl-asan,AFL++ persistent from seeds,$SECS,$e,$r," | tee -a "$OUT"
fi
