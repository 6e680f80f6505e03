#!/usr/bin/env bash
# cmin.sh - corpus minimization for the mm harness: the smallest set of
# inputs that keeps every coverage edge (and interleaving feature) of the
# input corpus, with AFL++'s afl-cmin or libFuzzer's -merge=1.
#
# usage: fuzz/campaign/cmin.sh afl|libfuzzer -i DIR [-i DIR...] -o DIR [options] [-- engine flags]
#   afl             afl-cmin with the AFL++ target (build/afl/fuzz/mmfuzz_afl)
#   libfuzzer       -merge=1 with the libFuzzer target
#                   (build/libfuzzer-fast/fuzz/mmfuzz_libfuzzer)
#   -i, --in DIR    input corpus (repeatable; for AFL's queues give e.g.
#                   OUT/main/queue)
#   -o, --out DIR   the minimized corpus (must not exist or be empty)
#   -b, --bugs LIST variant set, passed as MMFUZZ_BUGS (default:
#                   $MMFUZZ_BUGS, else none).  Inputs that fail under it are
#                   dropped: minimize on the fixed model unless you mean to.
#       --target PATH  the engine's target
#   -h, --help
#
# The target writes no reproducers here (MMFUZZ_REPRO_DIR=- unless set).
# afl-cmin refuses directories under /tmp unless AFL_ALLOW_TMP=1, which is
# set when one of the directories is there.
# Exit: 0 done, 2 usage error, 3 the tool failed.
set -u
PROG=cmin.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

help() { sed -n '2,/^# Exit:/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

engine=
ins=()
out=
target=
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) help; exit 0 ;;
	-i | --in) need_value "$1" $#; ins+=("$2"); shift 2 ;;
	-o | --out) need_value "$1" $#; out=$2; shift 2 ;;
	-b | --bugs) need_value "$1" $#; [ -n "$2" ] || usage_error "option $1: empty variant list"; MMFUZZ_BUGS=$2; shift 2 ;;
	--target) need_value "$1" $#; target=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	-*) usage_error "unknown option '$1' (see --help)" ;;
	afl | libfuzzer)
		[ -z "$engine" ] || usage_error "engine given twice ('$engine' and '$1')"
		engine=$1; shift ;;
	*) usage_error "unknown engine or argument '$1' (expected afl or libfuzzer; see --help)" ;;
	esac
done
[ -n "$engine" ] || usage_error "expected the engine: afl or libfuzzer (see --help)"
[ ${#ins[@]} -gt 0 ] || usage_error "expected an input corpus: -i DIR (see --help)"
[ -n "$out" ] || usage_error "expected the output directory: -o DIR (see --help)"
for d in "${ins[@]}"; do
	[ -d "$d" ] || usage_error "no input directory '$d'"
done
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
	usage_error "output directory $out is not empty"
fi
export MMFUZZ_BUGS=${MMFUZZ_BUGS:-none}
check_bugs "$MMFUZZ_BUGS"
export MMFUZZ_REPRO_DIR=${MMFUZZ_REPRO_DIR:--}

# The inputs of a corpus: AFL's README.txt and .state/ are not inputs.
inputs() { find "$@" -type f ! -name README.txt ! -path '*/.*' 2>/dev/null; }
count() { inputs "$@" | wc -l; }
bytes() { inputs "$@" | tr '\n' '\0' | xargs -0 -r cat | wc -c; }

n_in=$(count "${ins[@]}")
b_in=$(bytes "${ins[@]}")
[ "$n_in" -gt 0 ] || usage_error "no inputs in ${ins[*]}"
tmp=
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT

if [ $engine = afl ]; then
	target=${target:-$MMF_ROOT/build/afl/fuzz/mmfuzz_afl}
	command -v afl-cmin >/dev/null || usage_error "afl-cmin not found (Debian package afl++)"
	[ -x "$target" ] || usage_error "no AFL++ target at $target (build it: cmake --preset afl && cmake --build --preset afl)"
	in=${ins[0]}
	if [ ${#ins[@]} -gt 1 ] || [ -n "$(find "$in" -mindepth 1 -type d -print -quit)" ] ||
		[ -e "$in/README.txt" ] || [ -n "$(find "$in" -maxdepth 1 -name '.*' -print -quit)" ]; then
		# afl-cmin takes one flat directory: gather the inputs in one.
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-cmin.XXXXXX") || fail "mktemp failed"
		k=0
		while IFS= read -r f; do
			k=$((k + 1))
			cp "$f" "$tmp/in$k"
		done < <(inputs "${ins[@]}")
		in=$tmp
	fi
	for d in "$in" "$out" "$target"; do
		case $(cd "$(dirname "$d")" 2>/dev/null && pwd)/ in /tmp/* | /var/tmp/* | /dev/shm/*) export AFL_ALLOW_TMP=1 ;; esac
	done
	export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
	is_asan "$target" && afl_asan_options
	echo "cmin.sh: afl-cmin -i $(rel "$in") -o $(rel "$out") ${extra[*]} -- $(rel "$target")   (MMFUZZ_BUGS=$MMFUZZ_BUGS)"
	# The target reads its test case from shared memory or stdin.
	# (Its per-file progress lines are left out.)
	afl-cmin -i "$in" -o "$out" "${extra[@]}" -- "$target" 2>&1 | tr '\r' '\n' |
		grep -a -v -E '^ *Processing (file|tuple) ' | sed 's/\x1b\[[0-9;]*m//g'
	[ "${PIPESTATUS[0]}" = 0 ] || fail "afl-cmin failed"
else
	target=${target:-$MMF_ROOT/build/libfuzzer-fast/fuzz/mmfuzz_libfuzzer}
	[ -x "$target" ] || usage_error "no libFuzzer target at $target (build it: cmake --preset libfuzzer-fast && cmake --build --preset libfuzzer-fast)"
	mkdir -p "$out" || usage_error "cannot create $out"
	echo "cmin.sh: $(rel "$target") -merge=1 ${extra[*]} $(rel "$out") ${ins[*]}   (MMFUZZ_BUGS=$MMFUZZ_BUGS)"
	"$target" -merge=1 "${extra[@]}" "$out" "${ins[@]}" 2>&1 | grep -a -E '^(MERGE-OUTER|INFO: )' | tail -n 5
	[ "${PIPESTATUS[0]}" = 0 ] || fail "libFuzzer -merge=1 failed"
fi
n_out=$(count "$out")
b_out=$(bytes "$out")
echo "cmin.sh: $n_in inputs ($b_in bytes) -> $n_out inputs ($b_out bytes) in $(rel "$out")"
exit 0
