#!/usr/bin/env bash
# libfuzzer.sh - a libFuzzer campaign against the mm model: N fuzzing
# processes (-fork=N, or -jobs=N -workers=N), a time limit
# (-max_total_time), a working corpus, crash artifacts and reproducers in one
# campaign directory, and libFuzzer's final statistics.
#
# usage: fuzz/campaign/libfuzzer.sh [options] [-- libFuzzer flags]
#   -n, --jobs N        fuzzing processes (default: cores)
#   -t, --time S        stop after S seconds (-max_total_time; default 3600)
#   -o, --out DIR       campaign directory (default mmfuzz-out/libfuzzer):
#                       corpus/, artifacts/, repro/, libfuzzer.log
#   -c, --corpus DIR    the working corpus, where new inputs go (default
#                       OUT/corpus)
#   -i, --seeds DIR     a read-only seed corpus (default corpus/seeds/mm if
#                       it exists)
#   -b, --bugs LIST     variant set, passed as MMFUZZ_BUGS (default:
#                       $MMFUZZ_BUGS, else none = the fixed model)
#   -x, --dict FILE     dictionary (default corpus/mm.dict if it exists)
#       --mode M        fork (default): -fork=N, crashes are recorded and the
#                       campaign goes on (-ignore_crashes=1);
#                       jobs: -jobs=N -workers=N, each job ends at its first
#                       crash (logs OUT/fuzz-<job>.log)
#       --stop-on-crash fork mode: end the campaign at the first crash
#       --target PATH   the libFuzzer target (default
#                       build/libfuzzer-fast/fuzz/mmfuzz_libfuzzer: the
#                       model's checked heap, 1.7x the executions per
#                       second of the ASan build; --target
#                       build/libfuzzer/fuzz/mmfuzz_libfuzzer for ASan +
#                       UBSan, docs/campaigns.md says what each catches)
#       --no-repro      no reproducers (default: the target writes
#                       OUT/repro/mmfuzz-<hash>.repro for each crash)
#       --status S      print a progress line every S seconds (default 60;
#                       0: none)
#   -h, --help
#
# Environment passed to the target (see fuzz/target_common.h): MMFUZZ_PROGRAM
# (the program: mm, the default, or a toy of 'mmfuzz list'), MMFUZZ_BUGS,
# MMFUZZ_PARAMS, MMFUZZ_WANT, MMFUZZ_FEEDBACK, MMFUZZ_MUTATOR and the other
# mutator settings, MMFUZZ_TIMEOUT_MS (the target
# saves an input that runs longer as a timeout reproducer and aborts, so it
# lands in artifacts/ as a crash; default 2000, and libFuzzer's -timeout is
# set above it unless given after --), ASAN_OPTIONS.
# Findings: OUT/artifacts/crash-* (raw inputs) and OUT/repro/*.repro;
# triage them with
#   fuzz/campaign/triage.sh OUT
# Settings: OUT/campaign.env.
# Exit: 0 no crash, 1 crashes found, 2 usage error, 3 libFuzzer failed.
set -u
PROG=libfuzzer.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

help() { sed -n '2,/^# Exit:/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

jobs=$(nproc 2>/dev/null || echo 1)
time_limit=3600
out=mmfuzz-out/libfuzzer
corpus=
seeds=
dict=
mode=fork
stop_on_crash=0
target=$MMF_ROOT/build/libfuzzer-fast/fuzz/mmfuzz_libfuzzer
repro=1
status=60
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) help; exit 0 ;;
	-n | --jobs) need_value "$1" $#; check_uint "$1" "$2" 1; jobs=$2; shift 2 ;;
	-t | --time) need_value "$1" $#; check_uint "$1" "$2" 1; time_limit=$2; shift 2 ;;
	-o | --out) need_value "$1" $#; out=$2; shift 2 ;;
	-c | --corpus) need_value "$1" $#; corpus=$2; shift 2 ;;
	-i | --seeds) need_value "$1" $#; seeds=$2; shift 2 ;;
	-b | --bugs) need_value "$1" $#; [ -n "$2" ] || usage_error "option $1: empty variant list"; MMFUZZ_BUGS=$2; shift 2 ;;
	-x | --dict) need_value "$1" $#; dict=$2; shift 2 ;;
	--mode)
		need_value "$1" $#
		case $2 in fork | jobs) mode=$2 ;; *) usage_error "option --mode: '$2' is not fork or jobs" ;; esac
		shift 2 ;;
	--stop-on-crash) stop_on_crash=1; shift ;;
	--target) need_value "$1" $#; target=$2; shift 2 ;;
	--no-repro) repro=0; shift ;;
	--status) need_value "$1" $#; check_uint "$1" "$2" 0; status=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	*) usage_error "unknown option '$1' (see --help)" ;;
	esac
done
[ "$jobs" -le 256 ] || usage_error "option --jobs: at most 256 processes"
[ $stop_on_crash = 1 ] && [ $mode = jobs ] && usage_error "--stop-on-crash is for --mode fork (every job stops at its first crash)"
export MMFUZZ_BUGS=${MMFUZZ_BUGS:-none}
check_bugs "$MMFUZZ_BUGS"
[ -x "$target" ] || usage_error "no libFuzzer target at $target (build it: cmake --preset libfuzzer-fast && cmake --build --preset libfuzzer-fast)"
grep -qa 'LLVMFuzzerTestOneInput' "$target" || usage_error "$target is not a libFuzzer target"
if [ -z "$dict" ] && [ -f "$MMF_ROOT/corpus/mm.dict" ]; then
	dict=$MMF_ROOT/corpus/mm.dict
fi
[ -z "$dict" ] || [ -f "$dict" ] || usage_error "no dictionary file '$dict'"
if [ -z "$seeds" ] && [ -d "$MMF_ROOT/corpus/seeds/mm" ]; then
	seeds=$MMF_ROOT/corpus/seeds/mm
fi
[ -z "$seeds" ] || [ -d "$seeds" ] || usage_error "no seed directory '$seeds'"

target=$(abspath "$target")
[ -z "$dict" ] || dict=$(abspath "$dict")
[ -z "$seeds" ] || seeds=$(cd "$seeds" && pwd)
mkdir -p "$out" || usage_error "cannot create $out"
out=$(cd "$out" && pwd)
check_same_bugs "$out"
corpus=${corpus:-$out/corpus}
mkdir -p "$corpus" "$out/artifacts" || usage_error "cannot create $corpus"
corpus=$(cd "$corpus" && pwd)
if [ $repro = 1 ]; then
	mkdir -p "$out/repro"
	export MMFUZZ_REPRO_DIR=$out/repro
else
	export MMFUZZ_REPRO_DIR=-
fi
write_env "$out" libfuzzer "$target"

flags=(-max_total_time="$time_limit" -artifact_prefix="$out/artifacts/" -print_final_stats=1)
# libFuzzer's own limit above the target's MMFUZZ_TIMEOUT_MS (common.sh)
case " ${extra[*]} " in *" -timeout="*) ;; *) flags+=(-timeout="$engine_timeout_s") ;; esac
[ -n "$dict" ] && flags+=(-dict="$dict")
if [ $mode = fork ]; then
	flags+=(-fork="$jobs")
	[ $stop_on_crash = 0 ] && flags+=(-ignore_crashes=1)
else
	flags+=(-jobs="$jobs" -workers="$jobs")
fi
dirs=("$corpus")
[ -n "$seeds" ] && dirs+=("$seeds")
log=$out/libfuzzer.log
before=$(find "$out/artifacts" -type f | wc -l)

echo "libfuzzer.sh: $mode mode, $jobs process(es), ${time_limit}s, MMFUZZ_BUGS=$MMFUZZ_BUGS, target $(rel "$target")"
echo "libfuzzer.sh: corpus $(rel "$corpus")${seeds:+ (seeds $(rel "$seeds"))}, artifacts $(rel "$out/artifacts")/, log $(rel "$log")"
echo "  $(rel "$target") ${flags[*]} ${extra[*]} ${dirs[*]}" | tee "$log"
# Jobs mode writes fuzz-<job>.log into the current directory.
(cd "$out" && exec "$target" "${flags[@]}" "${extra[@]}" "${dirs[@]}") >>"$log" 2>&1 </dev/null &
pid=$!
stopped=0
trap 'note "interrupted: stopping libFuzzer"; stopped=1; kill -INT $pid 2>/dev/null' INT TERM

start=$(date +%s)
deadline=$((start + time_limit + 120))
last_status=$start
while kill -0 $pid 2>/dev/null; do
	now=$(date +%s)
	if [ "$now" -ge "$deadline" ]; then
		note "libFuzzer still running ${time_limit}s + 120s after the start: stopping it"
		stopped=1
		kill -INT $pid 2>/dev/null
		deadline=$((now + 3600))
	fi
	if [ "$status" -gt 0 ] && [ $((now - last_status)) -ge "$status" ]; then
		line=$(grep -a '^#[0-9]*: cov:' "$log" | tail -n 1)
		echo "libfuzzer.sh: $((now - start))s: ${line:-starting} ($(find "$out/artifacts" -type f | wc -l) artifacts)"
		last_status=$now
	fi
	sleep 1
done
wait $pid
rc=$?

# Summary.  Fork mode's last status line: "#N: cov: C ft: F corp: K exec/s
# E oom/timeout/crash: a/b/c time: Ts job: J".
echo
last=$(grep -a '^#[0-9]*: cov:' "$log" | tail -n 1)
[ -n "$last" ] && echo "last status: $last"
# (Jobs mode: the log holds every job's log; the totals are summed below.)
[ $mode = fork ] && grep -a '^stat::' "$log" | tail -n 5
artifacts=$(find "$out/artifacts" -type f | wc -l)
new=$((artifacts - before))
crashes=$(find "$out/artifacts" -type f -name 'crash-*' | wc -l)
repros=0
[ -d "$out/repro" ] && repros=$(find "$out/repro" -name '*.repro' | wc -l)
execs=$(grep -a '^stat::number_of_executed_units' "$log" | tail -n 1 | awk '{ print $2 }')
speed=$(grep -a '^stat::average_exec_per_sec' "$log" | tail -n 1 | awk '{ print $2 }')
if [ -z "$execs" ] && [ -n "$last" ]; then
	# Fork mode prints no final stats: the last status line counts every
	# execution of every job.
	execs=${last#\#}
	execs=${execs%%:*}
	t=$(printf '%s\n' "$last" | sed -n 's/.* time: \([0-9]*\)s.*/\1/p')
	speed=$(awk -v e="$execs" -v t="${t:-0}" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')
fi
if [ $mode = jobs ]; then
	execs=0
	for f in "$out"/fuzz-*.log; do
		[ -f "$f" ] || continue
		v=$(grep -a '^stat::number_of_executed_units' "$f" | tail -n 1 | awk '{ print $2 }')
		execs=$((execs + ${v:-0}))
	done
	speed=$(awk -v e="$execs" -v t="$(($(date +%s) - start))" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')
fi
echo "libfuzzer.sh: $(($(date +%s) - start))s, ${execs:-?} execs, ${speed:-?} execs/s," \
	"corpus $(find "$corpus" -type f | wc -l) inputs, $new new artifact(s) ($crashes crash-* in all), $repros reproducer(s)"
if [ "$new" -gt 0 ] || [ "$crashes" -gt 0 ]; then
	echo "libfuzzer.sh: findings in $(rel "$out")/artifacts/ and $(rel "$out")/repro/; triage:"
	echo "  $(rel "$MMF_ROOT/fuzz/campaign/triage.sh") $(rel "$out")"
fi
# libFuzzer exits nonzero when it saw a crash; anything without an
# artifact to show for it is a failure of the run itself.
if [ $rc != 0 ] && [ "$new" = 0 ] && [ $stopped = 0 ]; then
	note "libFuzzer exited with $rc and saved nothing; the end of $(rel "$log"):"
	tail -n 15 "$log" >&2
	exit 3
fi
[ "$new" -gt 0 ] && exit 1
exit 0
