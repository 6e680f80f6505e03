#!/bin/sh
# engine_find.sh - does a coverage-guided engine find a bug variant from the
# generic seed corpus, with the class BUGS.md names?
#   engine_find.sh libfuzzer TARGET CLI VARIANT SEED RUNS SEEDDIR
#   engine_find.sh afl       TARGET CLI VARIANT SECONDS SEEDDIR
# CLI is the mmfuzz binary of the same build (its 'list' gives the classes;
# it replays the crash to confirm the class).
set -u
ENGINE=$1 T=$2 CLI=$3 V=$4
list=$("$CLI" list)
classes=$(echo "$list" | sed -n "s/^  $V .*\[caught as: \([a-z,-]*\)\]\$/\1/p")
[ -n "$classes" ] || { echo "FAIL: unknown variant $V"; exit 1; }
[ "$classes" = any ] && classes=
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/corpus" "$TMP/art"
export MMFUZZ_BUGS=$V MMFUZZ_WANT=$classes MMFUZZ_REPRO_DIR=$TMP/art
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0
case $ENGINE in
libfuzzer)
	SEED=$5 RUNS=$6 SEEDS=$7
	cp "$SEEDS"/* "$TMP/corpus/"
	# A fixed seed repeats the same campaign wherever the tree is checked out:
	# -reload=0, because libFuzzer re-reads its corpus directory once a second
	# and runs what it finds there, which ties a run to the clock; and the same
	# short relative paths, because the engine's own path strings come from
	# the heap the model allocates from, and the model's loops compare heap
	# addresses (engines take compared values as dictionary words).
	ln -s "$T" "$TMP/t"
	(cd "$TMP" && MMFUZZ_REPRO_DIR=art ./t corpus -seed="$SEED" -reload=0 -runs="$RUNS" \
		-artifact_prefix=art/ -print_final_stats=1 >log 2>&1)
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/log" | tail -1)
	crash=$(ls "$TMP/art" | grep '^crash-' | head -1) ;;
afl)
	SECS=$5 SEEDS=$6
	cp "$SEEDS"/* "$TMP/corpus/"
	# the campaign default: the decision-space mutator beside AFL++'s own
	lib=$(dirname "$T")/mmfuzz_afl_mutator.so
	[ -f "$lib" ] && export AFL_CUSTOM_MUTATOR_LIBRARY=$lib MMFUZZ_SHAPE_FILE=$TMP/shapes
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		AFL_BENCH_UNTIL_CRASH=1 afl-fuzz -i "$TMP/corpus" -o "$TMP/out" -V "$SECS" \
		-- "$T" >"$TMP/log" 2>&1
	n=$(sed -n 's/^execs_done *: *//p' "$TMP/out/default/fuzzer_stats" 2>/dev/null)
	crash=$(ls "$TMP/out/default/crashes" 2>/dev/null | grep '^id:' | head -1)
	[ -n "$crash" ] && cp "$TMP/out/default/crashes/$crash" "$TMP/art/crash-afl" &&
		crash=crash-afl ;;
*) echo "usage: see the header"; exit 2 ;;
esac
if [ -z "$crash" ]; then
	tail -5 "$TMP/log"
	echo "FAIL: $ENGINE did not find $V in ${n:-?} executions"
	exit 1
fi
out=$("$CLI" replay "$TMP/art/$crash" --raw --bugs "$V" --quiet 2>&1)
cls=$(echo "$out" | sed -n 's/^result: //p')
if [ -z "$cls" ] && echo "$out" | grep -q "AddressSanitizer: heap-use-after-free"; then
	cls=use-after-free
fi
echo "$ENGINE found $V after ${n:-?} executions: $cls"
if [ -n "$classes" ] && ! echo ",$classes," | grep -q ",$cls,"; then
	# MMFUZZ_WANT passes over the model's own checks of other classes, but
	# a sanitizer's report ends the process whatever its class.  A side
	# effect the variant is listed with ('side effects hunt also reports')
	# counts then, and only then: the engine's target itself must end on a
	# sanitizer's report for this input.
	also=$(echo "$list" | sed -n "/^  $V /{n;s/^ *side effects hunt also reports: //p}")
	case $ENGINE in
	libfuzzer) own=$("$T" "$TMP/art/$crash" 2>&1) ;;
	afl) own=$("$T" <"$TMP/art/$crash" 2>&1) ;;
	esac
	if echo ",$also," | grep -q ",$cls," && echo "$own" | grep -q "ERROR: [A-Za-z]*Sanitizer"; then
		echo "a side effect of $V ($also), reported by the target's sanitizer," \
			"which MMFUZZ_WANT cannot pass over"
	else
		echo "FAIL: class '$cls' is not one of $classes"
		exit 1
	fi
fi
echo "ok"
