#!/usr/bin/env bash
# engine_repro_test.sh ENGINE TARGET CLI SEEDDIR - every crash an engine
# records leaves an mmfuzz reproducer (MMFUZZ_REPRO_DIR/mmfuzz-*.repro) that
# replays to the same class with the CLI of the same build:
#   - an AddressSanitizer report (migrate-swapcache-anon-vma-uaf: the
#     anon_vma use-after-free, caught by ASan, not by a model check);
#   - a crash in model code (toy-crash: a NULL dereference, reported by
#     UBSan or as SIGSEGV);
#   - an execution that never ends (toy-spin, MMFUZZ_TIMEOUT_MS=300).
# ENGINE: libfuzzer (budgeted runs) or afl (afl-fuzz until the first crash,
# skipped with 77 without afl-fuzz).  AFL++ follows the clock even with a
# fixed -s: the use-after-free took it 11 s to 35 s here and more than
# 120 s in one CI run, hence 300 s (the test stops at the first crash).
set -u
ENGINE=$1 T=$2 CLI=$3 SEEDS=$4
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
[ $ENGINE = afl ] && ! command -v afl-fuzz >/dev/null && { echo "SKIP: no afl-fuzz"; exit 77; }
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0

# campaign NAME WANT-CLASS ENV...: run the engine, then check the reproducer.
campaign() {
	local name=$1 want=$2 d=$TMP/$1
	shift 2
	mkdir -p "$d/corpus" "$d/art" "$d/rep"
	if [ "$name" = mm ]; then cp "$SEEDS"/* "$d/corpus/"; else printf 'A' >"$d/corpus/a"; fi
	case $ENGINE in
	libfuzzer)
		env "$@" MMFUZZ_REPRO_DIR="$d/rep" "$T" "$d/corpus" -seed=3 -runs=400000 -timeout=20 \
			-artifact_prefix="$d/art/" >"$d/log" 2>&1 ;;
	afl)
		env "$@" MMFUZZ_REPRO_DIR="$d/rep" AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 \
			AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_BENCH_UNTIL_CRASH=1 \
			afl-fuzz -s 1 -i "$d/corpus" -o "$d/out" -V 300 -t 20000 -- "$T" >"$d/log" 2>&1 ;;
	esac
	local arts
	arts=$(ls "$d/art" 2>/dev/null | grep -c '^crash-')
	[ $ENGINE = afl ] && arts=$(ls "$d/out/default/crashes" 2>/dev/null | grep -c '^id:')
	local r
	r=$(ls "$d/rep"/mmfuzz-*.repro 2>/dev/null | head -1)
	if [ "$arts" -ge 1 ] && [ -n "$r" ]; then
		ok "$name: the engine's crash has a reproducer ($(basename "$r"))"
	else
		bad "$name: $arts crash artifact(s), reproducer: ${r:-none}"
		tail -n 15 "$d/log"
		return
	fi
	grep -q "^result $want\$" "$r" && ok "$name: it records '$want'" ||
		bad "$name: it records '$(sed -n 's/^result //p' "$r")', want '$want'"
	"$CLI" replay "$r" --quiet --timeout-ms 300 >"$d/replay" 2>&1
	local rc=$?
	if [ $rc = 1 ] && grep -q "^reproduced: $want\$" "$d/replay"; then
		ok "$name: it replays to '$want'"
	else
		bad "$name: replay exit $rc"
		tail -n 8 "$d/replay"
	fi
}

campaign mm use-after-free MMFUZZ_BUGS=migrate-swapcache-anon-vma-uaf MMFUZZ_WANT=use-after-free
campaign crash crash MMFUZZ_PROGRAM=toy-crash
campaign spin timeout MMFUZZ_PROGRAM=toy-spin MMFUZZ_TIMEOUT_MS=300
echo "engine reproducers ($ENGINE): $pass passed, $fail failed"
[ $fail = 0 ]
