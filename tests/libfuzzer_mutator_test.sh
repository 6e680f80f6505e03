#!/bin/sh
# libfuzzer_mutator_test.sh TARGET SEEDS - the libFuzzer target with the
# decision-space mutator repeats a campaign for a fixed seed: two runs of
# 4,000 executions from the same corpus, each from its own scratch
# directory, end with the same coverage, features and corpus; and the
# mutator is in use (a third run with MMFUZZ_MUTATOR=0 ends differently).
# A bad mutator or feedback setting is refused with exit 2 and one line.
set -u
T=$1 SEEDS=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
run() {
	mkdir -p "$W/$1/corpus"
	cp "$SEEDS"/* "$W/$1/corpus/"
	(cd "$W/$1" && MMFUZZ_REPRO_DIR=- MMFUZZ_MUTATOR=$2 ASAN_OPTIONS=detect_leaks=0 \
		"$T" corpus -seed=11 -runs=4000 -reload=0 -print_final_stats=1 >log 2>&1)
	grep 'DONE' "$W/$1/log" | tr -s ' \t' ' ' | sed 's/ exec\/s: [0-9]*//; s/ rss: [0-9]*Mb//'
}
a=$(run a 1) b=$(run b 1) c=$(run c 0)
echo "run a: $a"
echo "run b: $b"
echo "mutator off: $c"
[ -n "$a" ] || { echo "FAIL: no DONE line"; tail -5 "$W/a/log"; exit 1; }
[ "$a" = "$b" ] || { echo "FAIL: the same seed gave two campaigns"; exit 1; }
ha=$(cd "$W/a/corpus" && ls | sort | md5sum) hb=$(cd "$W/b/corpus" && ls | sort | md5sum)
[ "$ha" = "$hb" ] || { echo "FAIL: the corpora differ"; exit 1; }
[ "$a" != "$c" ] || { echo "FAIL: MMFUZZ_MUTATOR=0 changed nothing: is the mutator in use?"; exit 1; }
mkdir -p "$W/bad"
for setting in MMFUZZ_MUT_CAP=lots MMFUZZ_MUT_CAP=1001 MMFUZZ_MUT_CAP= MMFUZZ_MUT_REVERSE=101 \
	MMFUZZ_MUT_REVERSE=-1 MMFUZZ_MUTATOR=2 MMFUZZ_FEEDBACK=rf,bogus; do
	(cd "$W/bad" && env "$setting" "$T" -runs=1 >out 2>err)
	rc=$? var=${setting%%=*}
	lines=$(grep -c . "$W/bad/err")
	if [ $rc != 2 ] || [ "$lines" != 1 ] || ! grep -q "^mmfuzz: $var: " "$W/bad/err"; then
		echo "FAIL: $setting: exit $rc, $lines line(s) on stderr:"; cat "$W/bad/err"; exit 1
	fi
	echo "refused: $setting: $(cat "$W/bad/err")"
done
echo "PASS"
