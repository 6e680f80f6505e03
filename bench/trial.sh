#!/bin/bash
# trial.sh - one time-to-bug trial: ENGINE hunts bug VARIANT with SEED from
# the generic workload until the first failure of a class BUGS.md names for
# it, or LIMIT seconds.  Prints one CSV row:
#   engine,variant,seed,found,class,executions,seconds,limit
# ENGINE: random | pct (built-in engine, `mmfuzz run`), libfuzzer (the
# libFuzzer target from the generic seed corpus, configured by the
# environment: MMFUZZ_FEEDBACK, MMFUZZ_MUTATOR), libfuzzer-fb,
# libfuzzer-nofb (the same, interleaving feedback on/off), afl (AFL++ from
# the same seeds, with the decision-space custom mutator unless
# MMFUZZ_MUTATOR=0), stress (the real-thread baseline, `mmfuzz stress`).
# TRIAL_LF and TRIAL_AFL name other target binaries (e.g. the
# libfuzzer-fast preset's, without ASan).  Executions of the engines count
# the mutator's own runs to learn input shapes (MMFUZZ_STATS_FILE).  The built-in engine and the stress
# baseline run the same gcc build (the model's own checks: page state, leak
# audit, data shadow, object lifetimes), so a failure of another class is
# passed over and the trial goes on; libFuzzer and AFL++ run their ASan
# builds, where a sanitizer report of another class ends the trial.  A crash
# found by an engine is replayed with the ASan CLI to confirm its class.
# seconds is wall-clock time from start to the failure (or to the limit).
#   usage: bench/trial.sh ENGINE VARIANT SEED LIMIT [BUILD_ROOT]
# TRIAL_PARAMS='k=v ...' adds workload parameters (random, pct, stress).
set -u
E=$1 V=$2 S=$3 LIMIT=$4
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${5:-$HERE/build}
CLI=$B/asan/fuzz/mmfuzz
GCC=$B/default/fuzz/mmfuzz
LF=${TRIAL_LF:-$B/libfuzzer/fuzz/mmfuzz_libfuzzer}
AF=${TRIAL_AFL:-$B/afl/fuzz/mmfuzz_afl}
AFM=$(dirname "$AF")/mmfuzz_afl_mutator.so
want=$("$CLI" list | sed -n "s/^  $V .*\[caught as: \([a-z,-]*\)\]\$/\1/p")
[ -n "$want" ] || { echo "trial.sh: unknown variant $V" >&2; exit 2; }
[ "$want" = any ] && want=
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }
secs_since() { echo "$(now) - $1" | bc | sed 's/^\./0./'; }
# A crash of a class not sought (an engine stops at any sanitizer death)
# is not a find: found 0, class "other:<class>".
row() {
	local f=$1 c=$2
	if [ "$f" = 1 ] && [ -n "$want" ] && ! echo ",$want," | grep -q ",$c,"; then
		f=0 c="other:$c"
	fi
	echo "$E,$V,$S,$f,$c,$3,$4,$LIMIT"
}
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0:handle_abort=1

# the class of a crash file, replayed with the CLI under the variant
class_of() {
	local out cls
	out=$("$CLI" replay "$1" --raw --bugs "$V" --quiet 2>&1)
	cls=$(echo "$out" | sed -n 's/^result: //p' | head -1)
	[ -z "$cls" ] && cls=$(echo "$out" | sed -n 's/.*: found \([a-z-]*\) after .*/\1/p' | head -1)
	[ -z "$cls" ] && echo "$out" | grep -q "AddressSanitizer: heap-use-after-free" && cls=use-after-free
	[ -z "$cls" ] && echo "$out" | grep -q "AddressSanitizer: attempting double-free" && cls=double-free
	echo "${cls:-unconfirmed}"
}

t0=$(now)
case $E in
random | pct)
	out=$("$GCC" run mm --params "${TRIAL_PARAMS:+$TRIAL_PARAMS }bugs=$V" --source "$E" --seed "$S" --time "$LIMIT" \
		${want:+--want "$want"} --quiet 2>/dev/null | grep -E ': (found|no failure|ended by) ' | tail -1)
	t=$(secs_since "$t0")
	case $out in
	*": found "*) row 1 "$(echo "$out" | sed 's/.*: found \([a-z-]*\) after.*/\1/')" \
		"$(echo "$out" | sed 's/.* after \([0-9]*\) execution.*/\1/')" "$t" ;;
	*"no failure in "*) row 0 "" "$(echo "$out" | sed 's/.*no failure in \([0-9]*\) exec.*/\1/')" "$t" ;;
	*": ended by "*) row 0 "other:$(echo "$out" | sed 's/.*: ended by \([a-z-]*\) after.*/\1/')" \
		"$(echo "$out" | sed 's/.* after \([0-9]*\) execution.*/\1/')" "$t" ;;
	*) row 0 "error" 0 "$t" ;;
	esac ;;
stress)
	# A failure of another class that leaves threads stuck ends a stress
	# process; go on in a new one (next seed) until the limit.
	execs=0 k=0 found=0 cls=
	while :; do
		# whole seconds left, rounded up: a trial gets at least its limit
		left=$(echo "$LIMIT - $(secs_since "$t0")" | bc | awk '{ x = int($1); if ($1 > x) x++; print x }')
		[ -z "$left" ] || [ "$left" -lt 1 ] && break
		out=$("$GCC" stress mm --params "${TRIAL_PARAMS:+$TRIAL_PARAMS }bugs=$V" --seed $((S * 1000 + k)) --time "$left" \
			${want:+--want "$want"} 2>/dev/null | grep -E '^mm \[')
		n=$(echo "$out" | sed -n 's/.* after \([0-9]*\) executions.*/\1/p; s/.* ran \([0-9]*\) executions.*/\1/p' | head -1)
		execs=$((execs + ${n:-0}))
		case $out in
		*"stress found "*) found=1 cls=$(echo "$out" | sed 's/.*stress found \([a-z-]*\) after.*/\1/'); break ;;
		*": found "*) found=1 cls=$(echo "$out" | sed 's/.*: found \([a-z-]*\) after.*/\1/'); break ;;
		*" ran "*" clean"*) break ;;
		esac
		k=$((k + 1))
	done
	row "$found" "$cls" "$execs" "$(secs_since "$t0")" ;;
libfuzzer | libfuzzer-fb | libfuzzer-nofb)
	[ "$E" = libfuzzer-fb ] && export MMFUZZ_FEEDBACK=1
	[ "$E" = libfuzzer-nofb ] && export MMFUZZ_FEEDBACK=0
	mkdir -p "$TMP/corpus" "$TMP/art"
	cp "$HERE"/corpus/seeds/mm/* "$TMP/corpus/"
	(cd "$TMP" && MMFUZZ_BUGS=$V MMFUZZ_REPRO_DIR=- MMFUZZ_WANT=$want \
		MMFUZZ_STATS_FILE=$TMP/stats "$LF" corpus -seed="$S" -max_total_time="$LIMIT" \
		-artifact_prefix=art/ -reload=0 -print_final_stats=1 >"$TMP/log" 2>&1)
	t=$(secs_since "$t0")
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/log" | tail -1)
	extra=$(awk '{ s += $3 } END { print s + 0 }' "$TMP/stats" 2>/dev/null)
	n=$(( ${n:-0} + ${extra:-0} ))
	crash=$(ls "$TMP/art" | grep -E '^(crash|leak|timeout|oom)-' | head -1)
	if [ -n "$crash" ]; then
		row 1 "$(class_of "$TMP/art/$crash")" "${n:-0}" "$t"
	else
		row 0 "" "${n:-0}" "$t"
	fi ;;
afl)
	mkdir -p "$TMP/corpus"
	cp "$HERE"/corpus/seeds/mm/* "$TMP/corpus/"
	if [ "${MMFUZZ_MUTATOR:-1}" != 0 ] && [ -f "$AFM" ]; then
		export AFL_CUSTOM_MUTATOR_LIBRARY=$AFM MMFUZZ_SHAPE_FILE=$TMP/shapes
	fi
	MMFUZZ_BUGS=$V MMFUZZ_WANT=$want MMFUZZ_REPRO_DIR=- AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 \
		AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_BENCH_UNTIL_CRASH=1 AFL_NO_AFFINITY=1 \
		AFL_SKIP_CRASHES=1 afl-fuzz -s "$S" -i "$TMP/corpus" -o "$TMP/out" -V "$LIMIT" \
		-- "$AF" >"$TMP/log" 2>&1
	t=$(secs_since "$t0")
	n=$(sed -n 's/^execs_done *: *//p' "$TMP/out/default/fuzzer_stats" 2>/dev/null)
	crash=$(ls "$TMP/out/default/crashes" 2>/dev/null | grep '^id:' | head -1)
	if [ -n "$crash" ]; then
		row 1 "$(class_of "$TMP/out/default/crashes/$crash")" "${n:-0}" "$t"
	else
		row 0 "" "${n:-0}" "$t"
	fi ;;
*) echo "trial.sh: unknown engine $E" >&2; exit 2 ;;
esac
