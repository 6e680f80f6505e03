#!/usr/bin/env bash
# clusterfuzzlite_build.sh - exercise .clusterfuzzlite/build.sh without
# Docker: export the variables the OSS-Fuzz build environment sets for an
# engine, run build.sh from the source tree with SRC, OUT and WORK in
# temporary directories, and check that what it produced runs.
#
#   libFuzzer + ASan (always): CC=clang, OSS-Fuzz's ASan CFLAGS,
#     LIB_FUZZING_ENGINE=-fsanitize=fuzzer; every target must run
#     -runs=200 cleanly (the fixed model), seed corpora must be valid zips.
#   AFL++ + ASan (when afl-clang-fast and /usr/lib/afl/libAFLDriver.a exist):
#     CC=afl-clang-fast, LIB_FUZZING_ENGINE=libAFLDriver.a; every target must
#     run a few input files outside afl-fuzz and exit 0.
#
# usage: tests/clusterfuzzlite_build.sh [--keep]   (--keep: leave the
# temporary directories and print where they are)
# Exit: 0 all checks pass, 1 a check failed, 2 usage error, 77 clang missing.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
case ${1:-} in
'') ;;
--keep) keep=1 ;;
-h | --help) sed -n '2,/^# Exit:/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
*) echo "clusterfuzzlite_build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
command -v clang >/dev/null || { echo "SKIP: clang not found"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-cflite.XXXXXX")
if [ $keep = 1 ]; then
	echo "temporary directories in $T"
else
	trap 'rm -rf "$T"' EXIT
fi
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# OSS-Fuzz's address-sanitizer flags (infra/base-images/base-builder).
ASAN_CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope"

# flavour NAME CC CXX CFLAGS ENGINE: run build.sh with these variables.
flavour() {
	local name=$1
	mkdir -p "$T/$name/src" "$T/$name/out" "$T/$name/work"
	echo "== $name: CC=$2 LIB_FUZZING_ENGINE=$5"
	echo "   CFLAGS=$4"
	local t0=$SECONDS
	(
		cd "$root" &&
			env CC="$2" CXX="$3" CFLAGS="$4" CXXFLAGS="$4" LIB_FUZZING_ENGINE="$5" \
				SRC="$T/$name/src" OUT="$T/$name/out" WORK="$T/$name/work" \
				SANITIZER=address ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c \
				MMF_BUILD_JOBS=2 bash "$root/.clusterfuzzlite/build.sh"
	) >"$T/$name/build.log" 2>&1
	local rc=$?
	grep '^build.sh:' "$T/$name/build.log" | sed 's/^/   /'
	if [ $rc = 0 ]; then
		ok "$name: build.sh exits 0 ($((SECONDS - t0)) s)"
	else
		bad "$name: build.sh exits $rc; the end of its log:"
		tail -n 25 "$T/$name/build.log"
		return 1
	fi
	if [ -x "$T/$name/out/mmfuzz_mm" ]; then
		ok "$name: \$OUT/mmfuzz_mm built"
	else
		bad "$name: no \$OUT/mmfuzz_mm"
	fi
	if [ -f "$root/fuzz/target_parse.c" ]; then
		if [ -x "$T/$name/out/mmfuzz_parse" ]; then
			ok "$name: \$OUT/mmfuzz_parse built"
		else
			bad "$name: no \$OUT/mmfuzz_parse"
		fi
	fi
	local z
	for z in "$T/$name/out"/*_seed_corpus.zip; do
		[ -f "$z" ] || continue
		if unzip -tq "$z" >/dev/null 2>&1; then
			ok "$name: $(basename "$z") is a valid zip ($(unzip -Z1 "$z" | wc -l) files)"
		else
			bad "$name: $(basename "$z") is not a valid zip"
		fi
	done
	return 0
}

# ---- libFuzzer ------------------------------------------------------------
if flavour libfuzzer clang clang++ "$ASAN_CFLAGS -fsanitize=fuzzer-no-link" -fsanitize=fuzzer; then
	for bin in "$T/libfuzzer/out"/mmfuzz_*; do
		[ -x "$bin" ] && [ -f "$bin" ] || continue
		case $bin in *.zip | *.dict | *.options) continue ;; esac
		n=$(basename "$bin")
		mkdir -p "$T/libfuzzer/run-$n"
		(cd "$T/libfuzzer/run-$n" && MMFUZZ_BUGS= MMFUZZ_REPRO_DIR=- "$bin" -runs=200 -seed=1) \
			>"$T/libfuzzer/$n.log" 2>&1
		rc=$?
		if [ $rc = 0 ] && grep -q 'Done 200 runs' "$T/libfuzzer/$n.log"; then
			ok "libfuzzer: $n -runs=200 exits 0 ($(grep -o 'Done 200 runs in [0-9]* second(s)' "$T/libfuzzer/$n.log"))"
		else
			bad "libfuzzer: $n -runs=200 exits $rc; the end of its log:"
			tail -n 20 "$T/libfuzzer/$n.log"
		fi
	done
fi

# ---- AFL++ ----------------------------------------------------------------
driver=/usr/lib/afl/libAFLDriver.a
if ! command -v afl-clang-fast >/dev/null || [ ! -f "$driver" ]; then
	echo "== afl: skipped (afl-clang-fast or $driver missing)"
elif flavour afl afl-clang-fast afl-clang-fast++ "$ASAN_CFLAGS" "$driver"; then
	# Outside afl-fuzz the driver runs the files named on its command line.
	mkdir -p "$T/afl/inputs"
	printf '\0' >"$T/afl/inputs/one-byte"
	head -c 64 /dev/zero >"$T/afl/inputs/zeros"
	printf 'mmfuzz-repro 1\nprogram mm\n' >"$T/afl/inputs/text"
	for bin in "$T/afl/out"/mmfuzz_*; do
		[ -x "$bin" ] && [ -f "$bin" ] || continue
		n=$(basename "$bin")
		for f in "$T/afl/inputs"/*; do
			(cd "$T/afl" && MMFUZZ_BUGS= MMFUZZ_REPRO_DIR=- ASAN_OPTIONS=detect_leaks=0 "$bin" "$f") \
				>"$T/afl/$n.log" 2>&1
			rc=$?
			if [ $rc = 0 ]; then
				ok "afl: $n runs $(basename "$f") and exits 0"
			else
				bad "afl: $n on $(basename "$f") exits $rc; the end of its log:"
				tail -n 20 "$T/afl/$n.log"
			fi
		done
	done
fi

echo "clusterfuzzlite_build.sh: $pass passed, $fail failed"
[ $fail = 0 ]
