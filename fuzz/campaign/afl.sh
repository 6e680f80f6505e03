#!/usr/bin/env bash
# afl.sh - an AFL++ campaign against the mm model: one main instance (-M)
# and N-1 secondaries (-S) syncing through one output directory, all stopped
# by afl-fuzz -V after the time limit; then a per-instance table and totals
# from each instance's fuzzer_stats.
#
# usage: fuzz/campaign/afl.sh [options] [-- afl-fuzz options]
#   -n, --jobs N        instances: 1 main + N-1 secondaries (default: cores)
#   -t, --time S        stop after S seconds (afl-fuzz -V; default 3600)
#   -i, --seeds DIR     seed corpus (default corpus/seeds/mm if it exists,
#                       else a single 1-byte seed)
#   -o, --out DIR       the sync directory (default mmfuzz-out/afl)
#   -b, --bugs LIST     variant set, passed as MMFUZZ_BUGS (default:
#                       $MMFUZZ_BUGS, else none = the fixed model)
#   -x, --dict FILE     dictionary (default corpus/mm.dict if it exists)
#       --target PATH   the AFL++ target (default build/afl/fuzz/mmfuzz_afl)
#       --name PREFIX   instance names PREFIX-main, PREFIX-s1... (default:
#                       main, s1...); give every machine its own prefix
#       --secondary-only  only -S instances (a machine joining a campaign
#                       whose main runs elsewhere)
#       --resume        continue the campaign in --out (AFL_AUTORESUME=1)
#       --repro         the target also writes a reproducer for every
#                       failing execution into OUT/repro (MMFUZZ_REPRO_DIR;
#                       default off: AFL's crashes/ are the findings)
#       --bind          let afl-fuzz pin instances to free cores (default:
#                       AFL_NO_AFFINITY=1, safe on shared machines)
#       --status S      print a progress line every S seconds (default 60;
#                       0: none)
#   -h, --help
#
# Environment passed to the target (see fuzz/target_common.h): MMFUZZ_PROGRAM
# (the program: mm, the default, or a toy of 'mmfuzz list'), MMFUZZ_BUGS,
# MMFUZZ_PARAMS, MMFUZZ_WANT, MMFUZZ_FEEDBACK, MMFUZZ_TIMEOUT_MS (the target
# aborts an input that runs longer, so it lands in crashes/; default 2000,
# and afl-fuzz -t is set above it unless given after --).  The decision-
# space custom mutator (build/afl/fuzz/mmfuzz_afl_mutator.so, fuzz/mutator.h)
# runs beside AFL++'s own mutations, each instance with its own shape file
# OUT/logs/shapes-<instance> (MMFUZZ_SHAPE_FILE); MMFUZZ_MUTATOR=0 leaves it
# out.  Set here:
# AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1, and
# for an ASan target ASAN_OPTIONS with abort_on_error=1:symbolize=0.
# Findings: OUT/<instance>/crashes/id:*; triage them with
#   fuzz/campaign/triage.sh OUT
# Logs: OUT/logs/<instance>.log.  Settings: OUT/campaign.env.
# Exit: 0 no crash saved, 1 crashes saved, 2 usage error, 3 an instance failed.
set -u
PROG=afl.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

help() { sed -n '2,/^# Exit:/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

jobs=$(nproc 2>/dev/null || echo 1)
time_limit=3600
seeds=
out=mmfuzz-out/afl
dict=
target=$MMF_ROOT/build/afl/fuzz/mmfuzz_afl
prefix=
secondary_only=0
resume=0
repro=0
bind=0
status=60
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) help; exit 0 ;;
	-n | --jobs) need_value "$1" $#; check_uint "$1" "$2" 1; jobs=$2; shift 2 ;;
	-t | --time) need_value "$1" $#; check_uint "$1" "$2" 1; time_limit=$2; shift 2 ;;
	-i | --seeds) need_value "$1" $#; seeds=$2; shift 2 ;;
	-o | --out) need_value "$1" $#; out=$2; shift 2 ;;
	-b | --bugs) need_value "$1" $#; [ -n "$2" ] || usage_error "option $1: empty variant list"; MMFUZZ_BUGS=$2; shift 2 ;;
	-x | --dict) need_value "$1" $#; dict=$2; shift 2 ;;
	--target) need_value "$1" $#; target=$2; shift 2 ;;
	--name) need_value "$1" $#; prefix=$2; shift 2 ;;
	--secondary-only) secondary_only=1; shift ;;
	--resume) resume=1; shift ;;
	--repro) repro=1; shift ;;
	--bind) bind=1; shift ;;
	--status) need_value "$1" $#; check_uint "$1" "$2" 0; status=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	*) usage_error "unknown option '$1' (see --help)" ;;
	esac
done
[ "$jobs" -le 64 ] || usage_error "option --jobs: at most 64 instances"
case $prefix in
*[!A-Za-z0-9_-]*) usage_error "option --name: '$prefix' may only hold letters, digits, '-' and '_'" ;;
esac
export MMFUZZ_BUGS=${MMFUZZ_BUGS:-none}
check_bugs "$MMFUZZ_BUGS"
command -v afl-fuzz >/dev/null || usage_error "afl-fuzz not found (Debian package afl++)"
[ -x "$target" ] || usage_error "no AFL++ target at $target (build it: cmake --preset afl && cmake --build --preset afl)"
grep -qa '__afl_' "$target" || usage_error "$target is not built with afl-clang-fast"
if [ -z "$dict" ] && [ -f "$MMF_ROOT/corpus/mm.dict" ]; then
	dict=$MMF_ROOT/corpus/mm.dict
fi
[ -z "$dict" ] || [ -f "$dict" ] || usage_error "no dictionary file '$dict'"

target=$(abspath "$target")
[ -z "$dict" ] || dict=$(abspath "$dict")

# The output directory: new, or an earlier campaign with --resume.
if [ -d "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ $resume = 0 ]; then
	usage_error "output directory $out is not empty: use --resume to continue it or another --out"
fi
mkdir -p "$out/logs" || usage_error "cannot create $out"
out=$(cd "$out" && pwd)
[ $resume = 1 ] && check_same_bugs "$out"

# Seeds: the given directory, corpus/seeds/mm, or one 1-byte input.
tmp_seeds=
if [ -z "$seeds" ] && [ -d "$MMF_ROOT/corpus/seeds/mm" ] &&
	[ -n "$(ls -A "$MMF_ROOT/corpus/seeds/mm")" ]; then
	seeds=$MMF_ROOT/corpus/seeds/mm
fi
if [ -z "$seeds" ]; then
	tmp_seeds=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-afl-seeds.XXXXXX") || fail "mktemp failed"
	printf '\0' >"$tmp_seeds/one-byte"
	seeds=$tmp_seeds
fi
[ -d "$seeds" ] || usage_error "no seed directory '$seeds'"
[ -n "$(ls -A "$seeds")" ] || usage_error "seed directory '$seeds' is empty"

# Non-interactive afl-fuzz.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
[ $bind = 1 ] || export AFL_NO_AFFINITY=1
[ $resume = 1 ] && export AFL_AUTORESUME=1
case $out in /tmp/* | /var/tmp/* | /dev/shm/*) export AFL_ALLOW_TMP=1 ;; esac
is_asan "$target" && afl_asan_options
if [ $repro = 1 ]; then
	mkdir -p "$out/repro"
	export MMFUZZ_REPRO_DIR=$out/repro
else
	export MMFUZZ_REPRO_DIR=-
fi
write_env "$out" afl "$target"
mkdir -p "$out/logs"
mutlib=$(dirname "$target")/mmfuzz_afl_mutator.so
use_mutator=0
if [ "${MMFUZZ_MUTATOR:-1}" != 0 ] && [ -f "$mutlib" ]; then
	use_mutator=1
	export AFL_CUSTOM_MUTATOR_LIBRARY=$mutlib
fi
export MMFUZZ_STATS_FILE=${MMFUZZ_STATS_FILE:-$out/logs/target-execs.txt}

# Instance names and roles.  Secondaries get different power schedules.
schedules=(explore coe fast lin quad exploit rare)
names=() roles=()
for ((k = 0; k < jobs; k++)); do
	if [ $k = 0 ] && [ $secondary_only = 0 ]; then
		names+=("${prefix:+$prefix-}main")
		roles+=(-M)
	else
		names+=("${prefix:+$prefix-}s$k")
		roles+=(-S)
	fi
done

dict_args=()
[ -n "$dict" ] && dict_args=(-x "$dict")
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
}
cleanup() {
	[ -n "$tmp_seeds" ] && rm -rf "$tmp_seeds"
}
trap 'note "interrupted: stopping the instances"; stop_all' INT TERM
trap cleanup EXIT

echo "afl.sh: $jobs instance(s), ${time_limit}s, MMFUZZ_BUGS=$MMFUZZ_BUGS, target $(rel "$target")"
echo "afl.sh: seeds $(rel "$seeds"), output $(rel "$out")${dict:+, dictionary $(rel "$dict")}"
[ $use_mutator = 1 ] && echo "afl.sh: custom mutator $(rel "$mutlib")"
for ((k = 0; k < jobs; k++)); do
	args=(-i "$seeds" -o "$out" "${roles[k]}" "${names[k]}" -V "$time_limit" "${dict_args[@]}")
	# the engine's hang limit above the target's MMFUZZ_TIMEOUT_MS (common.sh)
	case " ${extra[*]} " in *" -t "*) ;; *) args+=(-t $((engine_timeout_s * 1000))) ;; esac
	if [ "${roles[k]}" = -S ]; then
		args+=(-p "${schedules[(k - 1 + ${#schedules[@]}) % ${#schedules[@]}]}")
	fi
	echo "  afl-fuzz ${args[*]} ${extra[*]} -- $(rel "$target")" >"$out/logs/${names[k]}.log"
	shapes=
	[ $use_mutator = 1 ] && shapes=$out/logs/shapes-${names[k]}
	MMFUZZ_SHAPE_FILE=$shapes afl-fuzz "${args[@]}" "${extra[@]}" -- "$target" \
		>>"$out/logs/${names[k]}.log" 2>&1 </dev/null &
	pids+=($!)
	echo "  started ${names[k]} (${roles[k]}, pid $!): log $(rel "$out/logs/${names[k]}.log")"
done

# fstat FILE KEY: one value of a fuzzer_stats file.
fstat() {
	sed -n "s/^$2 *: *//p" "$1" 2>/dev/null | head -n 1
}
# afl-fuzz rewrites fuzzer_stats only once a minute, but appends to
# plot_data every few seconds: the progress line reads the newest of the
# two ("# relative_time, cycles_done, cur_item, corpus_count,
# pending_total, pending_favs, map_size, saved_crashes, saved_hangs,
# max_depth, execs_per_sec, total_execs, edges_found").
progress() {
	local d execs=0 crashes=0 n=0 v c
	for d in "$out"/*/; do
		[ -f "$d/fuzzer_stats" ] || [ -f "$d/plot_data" ] || continue
		n=$((n + 1))
		v=$(fstat "$d/fuzzer_stats" execs_done) c=$(fstat "$d/fuzzer_stats" saved_crashes)
		if [ -f "$d/plot_data" ]; then
			local line
			line=$(grep -v '^#' "$d/plot_data" | tail -n 1 | tr -d ' ')
			if [ -n "$line" ]; then
				local pe pc
				pe=$(echo "$line" | cut -d, -f12) pc=$(echo "$line" | cut -d, -f8)
				[ "${pe:-0}" -gt "${v:-0}" ] 2>/dev/null && v=$pe
				[ "${pc:-0}" -gt "${c:-0}" ] 2>/dev/null && c=$pc
			fi
		fi
		local files
		files=$(ls "$d/crashes" 2>/dev/null | grep -c '^id:')
		[ "${files:-0}" -gt "${c:-0}" ] && c=$files
		execs=$((execs + ${v:-0})) crashes=$((crashes + ${c:-0}))
	done
	# and the target's own count: each persistent-mode process appends its
	# executions when it exits (every 10,000 inputs)
	v=$(awk '{ s += $1 } END { print s + 0 }' "$MMFUZZ_STATS_FILE" 2>/dev/null)
	[ "${v:-0}" -gt "$execs" ] 2>/dev/null && execs=$v
	echo "afl.sh: $(($(date +%s) - start))s: $n instance(s) reporting, $execs execs, $crashes crashes saved"
}

# Wait for every instance; a watchdog stops them 120 s after the limit
# (-V counts from the end of the dry run).
start=$(date +%s)
deadline=$((start + time_limit + 120))
last_status=$start
while :; do
	alive=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ $alive = 0 ] && break
	now=$(date +%s)
	if [ "$now" -ge "$deadline" ]; then
		note "instances still running ${time_limit}s + 120s after the start: stopping them"
		stop_all
		deadline=$((now + 3600))
	fi
	if [ "$status" -gt 0 ] && [ $((now - last_status)) -ge "$status" ]; then
		progress
		last_status=$now
	fi
	sleep 1
done
failed=0
for ((k = 0; k < jobs; k++)); do
	wait "${pids[k]}"
	rc=$?
	if [ $rc != 0 ]; then
		failed=1
		note "instance ${names[k]} exited with $rc; the end of its log:"
		tail -n 15 "$out/logs/${names[k]}.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
	fi
done

# Totals from fuzzer_stats (afl-whatsup -s counts only live instances).
printf '\n%-14s %12s %10s %8s %8s %6s %12s %9s\n' instance execs execs/s corpus crashes hangs edges stability
total_execs=0 total_speed=0 total_crashes=0 total_hangs=0 max_edges=0 all_edges=0 n=0 stale=0
for d in "$out"/*/; do
	f=$d/fuzzer_stats
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=$(basename "$d")
	ran=0
	for x in "${names[@]}"; do [ "$x" = "$name" ] && ran=1; done
	execs=$(fstat "$f" execs_done)
	rt=$(fstat "$f" run_time)
	speed=$(awk -v e="${execs:-0}" -v t="${rt:-0}" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')
	crashes=$(fstat "$f" saved_crashes)
	[ -n "$crashes" ] || crashes=$(fstat "$f" unique_crashes)
	hangs=$(fstat "$f" saved_hangs)
	[ -n "$hangs" ] || hangs=$(fstat "$f" unique_hangs)
	edges=$(fstat "$f" edges_found)
	tedges=$(fstat "$f" total_edges)
	[ $ran = 1 ] || stale=1
	printf '%-14s %12s %10s %8s %8s %6s %12s %9s\n' "$name$([ $ran = 1 ] || echo '*')" "${execs:-0}" "$speed" \
		"$(fstat "$f" corpus_count)" "${crashes:-0}" "${hangs:-0}" "${edges:-0}/${tedges:-?}" \
		"$(fstat "$f" stability)"
	total_execs=$((total_execs + ${execs:-0}))
	[ $ran = 1 ] && total_speed=$((total_speed + speed))
	total_crashes=$((total_crashes + ${crashes:-0}))
	total_hangs=$((total_hangs + ${hangs:-0}))
	[ "${edges:-0}" -gt $max_edges ] && max_edges=${edges:-0}
	all_edges=${tedges:-0}
done
printf '%-14s %12s %10s %8s %8s %6s %12s\n' total "$total_execs" "$total_speed" - \
	"$total_crashes" "$total_hangs" "$max_edges/$all_edges"
[ $stale = 1 ] && echo "(* not run by this invocation: counted in the totals, not in execs/s)"
echo
echo "afl.sh: $n instance(s), $total_execs execs, $total_speed execs/s in all," \
	"$total_crashes crashes and $total_hangs hangs saved, edges: $max_edges of $all_edges (best instance)"
if [ "$total_crashes" -gt 0 ]; then
	echo "afl.sh: crashes in $(rel "$out")/*/crashes/; triage:"
	echo "  $(rel "$MMF_ROOT/fuzz/campaign/triage.sh") $(rel "$out")"
fi
[ $failed = 1 ] && exit 3
[ "$total_crashes" -gt 0 ] && exit 1
exit 0
