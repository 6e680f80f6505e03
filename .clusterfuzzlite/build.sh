#!/bin/bash -eu
# build.sh - the OSS-Fuzz / ClusterFuzzLite build of mmfuzz's fuzz targets.
#
# The build contract: the engine's compiler and flags come in $CC, $CXX,
# $CFLAGS, $CXXFLAGS and $LIB_FUZZING_ENGINE (-fsanitize=fuzzer for
# libFuzzer, a driver library for AFL++ and honggfuzz); binaries, seed
# corpora (<target>_seed_corpus.zip), dictionaries (<target>.dict) and
# options (<target>.options) go to $OUT; scratch space is $WORK.  The source
# tree is the current directory (WORKDIR $SRC/mmfuzz in the Dockerfile).
#
# What is built:
#   the model libraries (sched/, core/, fuzz/: mmf_sched, mmf_core,
#   mmf_fuzz) with cmake, MMF_SANITIZER=none and MMF_ENGINE=none, the
#   sanitizer and coverage flags all coming from $CFLAGS;
#   mmfuzz_mm     fuzz/target_libfuzzer.c + fuzz/target_common.c: the mm
#                 model's generic workload (LLVMFuzzerTestOneInput), the
#                 fixed model unless MMFUZZ_BUGS is set at run time;
#   mmfuzz_parse  fuzz/target_parse.c (if present): the reproducer and
#                 trace parsers, compiled into the target with coverage.
# As in the project's own engine builds, the scheduler and the front end are
# kept out of coverage (fuzz/coverage-ignore.txt, when present) and
# stack-depth tracing is off (fibers switch stacks).
#
# Run it locally (no Docker) as tests/clusterfuzzlite_build.sh does:
#   CC=clang CXX=clang++ CFLAGS="... -fsanitize=fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   SRC=/tmp/src OUT=/tmp/out WORK=/tmp/work .clusterfuzzlite/build.sh
set -eu
set -o pipefail

: "${CC:?CC is not set (the OSS-Fuzz build environment sets it)}"
: "${OUT:?OUT is not set}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE is not set}"
CXX=${CXX:-$CC}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
WORK=${WORK:-$(mktemp -d)}
SRC=${SRC:-$(dirname "$PWD")}

# The source tree: the current directory, else $SRC/mmfuzz.
if [ -f fuzz/target_libfuzzer.c ] && [ -d sched ] && [ -d core ]; then
	root=$PWD
elif [ -f "$SRC/mmfuzz/fuzz/target_libfuzzer.c" ]; then
	root=$SRC/mmfuzz
else
	echo "build.sh: run from the mmfuzz source tree (or put it in \$SRC/mmfuzz)" >&2
	exit 1
fi
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -le 2 ] || jobs=$((jobs / 2 + 1))
jobs=${MMF_BUILD_JOBS:-$jobs}

cmake_version=$(cmake --version 2>/dev/null | sed -n 's/^cmake version \([0-9]*\.[0-9]*\).*/\1/p')
case $cmake_version in
'') echo "build.sh: cmake not found" >&2; exit 1 ;;
[0-2].* | 3.[0-9] | 3.1[0-9]) echo "build.sh: cmake $cmake_version is too old (3.20 or later)" >&2; exit 1 ;;
esac

# Coverage flags for the model: no stack-depth tracing; the scheduler and
# the front end out of coverage.  Only where the compiler takes them.
probe() {
	echo 'int main(void) { return 0; }' >"$WORK/probe.c"
	$CC $CFLAGS "$@" -c "$WORK/probe.c" -o "$WORK/probe.o" >/dev/null 2>&1
}
cov_flags=()
if probe -fno-sanitize-coverage=stack-depth; then
	cov_flags+=(-fno-sanitize-coverage=stack-depth)
fi
if [ -f "$root/fuzz/coverage-ignore.txt" ] &&
	probe -fsanitize-coverage-ignorelist="$root/fuzz/coverage-ignore.txt"; then
	ignore=(-fsanitize-coverage-ignorelist="$root/fuzz/coverage-ignore.txt")
else
	ignore=()
fi

# The libraries.
build=$WORK/mmfuzz-build
rm -rf "$build"
echo "build.sh: cmake: CC=$CC CFLAGS=$CFLAGS ${cov_flags[*]} ${ignore[*]}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=None -DMMF_SANITIZER=none -DMMF_ENGINE=none \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS ${cov_flags[*]} ${ignore[*]}" >"$WORK/cmake.log" 2>&1 ||
	{ tail -n 30 "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$build" --target mmf_fuzz -j "$jobs"
libs=("$build/fuzz/libmmf_fuzz.a" "$build/core/libmmf_core.a" "$build/sched/libmmf_sched.a")

# zlib: statically when the archive is there (the runner image need not
# have the shared library).
zlib=$($CC -print-file-name=libz.a)
[ -f "$zlib" ] || zlib=-lz

inc=(-I"$root/fuzz" -I"$root/sched" -I"$root/core")
objs=$WORK/mmfuzz-objs
rm -rf "$objs"
mkdir -p "$objs" "$OUT"

# build_target NAME [-nocovignore] SOURCE...: compile and link one target.
build_target() {
	local name=$1 o objlist=() flags=("${cov_flags[@]}" "${ignore[@]}")
	shift
	if [ "$1" = -nocovignore ]; then
		flags=("${cov_flags[@]}")
		shift
	fi
	mkdir -p "$objs/$name"
	for s in "$@"; do
		o=$objs/$name/$(basename "${s%.c}").o
		$CC $CFLAGS "${flags[@]}" -std=gnu11 "${inc[@]}" -c "$root/$s" -o "$o"
		objlist+=("$o")
	done
	$CXX $CXXFLAGS "${objlist[@]}" $LIB_FUZZING_ENGINE \
		-Wl,--start-group "${libs[@]}" -Wl,--end-group "$zlib" -lpthread -o "$OUT/$name"
	echo "build.sh: built $OUT/$name"
}

# seed_corpus NAME DIR: $OUT/NAME_seed_corpus.zip from DIR's files.
seed_corpus() {
	local name=$1 dir=$2
	[ -d "$dir" ] || return 0
	[ -n "$(find "$dir" -maxdepth 1 -type f ! -name 'README*' -print -quit)" ] || return 0
	rm -f "$OUT/${name}_seed_corpus.zip"
	(cd "$dir" && find . -maxdepth 1 -type f ! -name 'README*' -printf '%P\n' | LC_ALL=C sort |
		zip -q -j "$OUT/${name}_seed_corpus.zip" -@)
	echo "build.sh: seeds $OUT/${name}_seed_corpus.zip ($(find "$dir" -maxdepth 1 -type f ! -name 'README*' | wc -l) inputs)"
}

build_target mmfuzz_mm fuzz/target_libfuzzer.c fuzz/target_common.c
seed_corpus mmfuzz_mm "$root/corpus/seeds/mm"
if [ -f "$root/corpus/mm.dict" ]; then
	cp "$root/corpus/mm.dict" "$OUT/mmfuzz_mm.dict"
	echo "build.sh: dictionary $OUT/mmfuzz_mm.dict"
fi
# Only the first 4096 bytes of an input are used (fuzz/harness.h).
printf '[libfuzzer]\nmax_len = 4096\n' >"$OUT/mmfuzz_mm.options"

if [ -f "$root/fuzz/target_parse.c" ]; then
	# The parsers are compiled into the target, with coverage (the ignore
	# list would hide them); their copies in the libraries are not pulled in.
	build_target mmfuzz_parse -nocovignore fuzz/target_parse.c fuzz/repro.c sched/trace.c
	seed_corpus mmfuzz_parse "$root/corpus/parsers"
	printf '[libfuzzer]\nmax_len = 8192\n' >"$OUT/mmfuzz_parse.options"
fi
