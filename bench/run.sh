#!/bin/bash
# run.sh - the benchmark driver: builds what it needs, measures, and writes
# the report.  One command regenerates everything:
#   bench/run.sh --full           the published report: docs/benchmarks.md,
#                                 raw CSV in docs/data/bench/, plots in docs/bench/
#   bench/run.sh --quick          a smaller run (< 10 min on 2 cores once built),
#                                 written to build/bench-quick/ unless --out
# options:
#   --out DIR        where benchmarks.md, data/bench/ and bench/ go
#   --phases LIST    only these phases (comma list; default all):
#                    build,machine,throughput,ttb,scaling,replay,rerun,explore,report
#   --resume         keep time-to-bug trials already measured in DIR (same mode)
#   --jobs N         concurrent trials (default: the number of cores)
#   --stress-alone   run the stress baseline's trials one at a time with every
#                    core to itself (by default they share the pool of --jobs
#                    like every engine: one core's worth per trial)
# environment (to try a smaller cell): BENCH_SEEDS, BENCH_LIMIT (seconds per
# trial), BENCH_VARIANTS, BENCH_ENGINES (space-separated lists)
# Measurements that need an idle machine (throughput, exhaustive search) run
# one at a time; time-to-bug trials run --jobs at a time, one per core.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
MODE=
OUT=
PHASES=build,machine,throughput,ttb,scaling,replay,rerun,explore,report
RESUME=0
STRESS_ALONE=0
P=$(nproc)
die() { echo "bench/run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift ;;
	--phases) [ $# -ge 2 ] || die "--phases needs a list"; PHASES=$2; shift ;;
	--resume) RESUME=1 ;;
	--stress-alone) STRESS_ALONE=1 ;;
	--jobs) [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || die "--jobs needs a number >= 1"; P=$2; shift ;;
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$MODE" ] || die "say --quick or --full (see --help)"
for ph in ${PHASES//,/ }; do
	case ,build,machine,throughput,ttb,scaling,replay,rerun,explore,report, in
	*",$ph,"*) ;;
	*) die "unknown phase '$ph'" ;;
	esac
done
has() { case ",$PHASES," in *",$1,"*) return 0 ;; esac; return 1; }
# The report draws its plots with matplotlib (bench/report.py falls back to
# Debian's /usr/bin/python3): say so now, not after the hour of measuring.
if has report && ! python3 -c 'import matplotlib' 2>/dev/null &&
	! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	die "the report phase needs matplotlib: apt-get install python3-matplotlib"
fi

# ---- the two modes ---------------------------------------------------------
VARIANTS="swapin-dead-entry anon-fault-double-alloc swapoff-single-pass lru-free-irq-double-free migrate-swapcache-anon-vma-uaf zswap-writeback-invalidate-leak zswap-writeback-stale-data free-swap-and-cache-swapoff-uaf"
ENGINES="random pct libfuzzer-fb libfuzzer-nofb afl stress"
if [ "$MODE" = full ]; then
	SEEDS=10 LIMIT=60 TPUT=30 REPLAYS=1000 RERUNS=10 BOUNDS="1 2" SIZE_SEEDS=10 SIZE_LIMIT=30
	OUT=${OUT:-$HERE/docs}
else
	SEEDS=3 LIMIT=6 TPUT=5 REPLAYS=100 RERUNS=3 BOUNDS="1" SIZE_SEEDS=3 SIZE_LIMIT=5
	OUT=${OUT:-$HERE/build/bench-quick}
fi
SEEDS=${BENCH_SEEDS:-$SEEDS} LIMIT=${BENCH_LIMIT:-$LIMIT}
VARIANTS=${BENCH_VARIANTS:-$VARIANTS} ENGINES=${BENCH_ENGINES:-$ENGINES}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DATA=$OUT/data/bench
RAW=$OUT/data/bench/raw
mkdir -p "$DATA" "$RAW/ttb"
B=$HERE/build
GCC=$B/default/fuzz/mmfuzz
ASAN=$B/asan/fuzz/mmfuzz
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc | sed 's/^\./0./'; }
T_START=$(now)

# ---- build -------------------------------------------------------------------
HAVE_AFL=1
if has build; then
	for p in default asan tsan libfuzzer afl; do
		if [ $p = afl ] && ! command -v afl-clang-fast >/dev/null; then
			say "build: afl skipped (afl-clang-fast not found: apt-get install afl++)"
			continue
		fi
		say "build: $p"
		cmake --preset $p >"$TMP/cfg.log" 2>&1 || { cat "$TMP/cfg.log"; die "configure $p failed"; }
		cmake --build --preset $p -j"$(nproc)" >"$TMP/build.log" 2>&1 ||
			{ tail -30 "$TMP/build.log"; die "build $p failed"; }
	done
fi
command -v afl-fuzz >/dev/null && [ -x "$B/afl/fuzz/mmfuzz_afl" ] || HAVE_AFL=0
for f in "$GCC" "$ASAN" "$B/libfuzzer/fuzz/mmfuzz_libfuzzer"; do
	[ -x "$f" ] || die "$f is not built (run with the build phase)"
done

# ---- machine and commit ---------------------------------------------------------
if has machine; then
	say "machine"
	{
		echo "key,value"
		echo "mode,$MODE"
		echo "date,$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		c=$(git -C "$HERE" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
		git -C "$HERE" diff --quiet HEAD -- core sched fuzz 2>/dev/null || c="$c+local-changes"
		echo "commit,$c"
		echo "cpu,\"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\""
		echo "cores,$(nproc)"
		echo "memory_gib,$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
		echo "kernel,$(uname -r)"
		echo "gcc,\"$(gcc --version | head -1)\""
		echo "clang,\"$(clang --version | head -1)\""
		echo "afl,\"$(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9a-z.]*' | head -1)\""
		echo "seeds_per_cell,$SEEDS"
		echo "trial_limit_s,$LIMIT"
		echo "throughput_s,$TPUT"
		echo "concurrent_trials,$P"
		echo "stress_alone,$STRESS_ALONE"
	} >"$DATA/machine.csv"
fi

# ---- throughput (one at a time, on an idle machine) ---------------------------------
json_num() { sed -n "s/^  \"$1\": \([0-9.]*\),*\$/\1/p" "$2"; }
stats_sum() { awk '{e += $1; s += $2} END {printf "%d %d\n", e, s}' "$1"; }
if has throughput; then
	say "throughput: ${TPUT} s per build"
	T=$DATA/throughput.csv
	echo "build,engine,jobs,seconds,executions,execs_per_sec,points_per_sec" >"$T"
	for b in default asan tsan; do
		M=$B/$b/fuzz/mmfuzz
		[ -x "$M" ] || { echo "$b,built-in,1,,,,"; continue; } >>"$T"
		for j in 1 2; do
			[ $j = 2 ] && [ $b != default ] && continue
			"$M" hunt --jobs $j --time "$TPUT" --quiet --out "$TMP/h" --json "$TMP/h.json" >/dev/null 2>&1 || true
			e=$(json_num executions "$TMP/h.json"); s=$(json_num seconds "$TMP/h.json")
			st=$(json_num steps "$TMP/h.json")
			echo "$b,built-in (hunt),$j,$s,$e,$(echo "$e / $s" | bc),$(echo "$st / $s" | bc)" >>"$T"
		done
	done
	LF=$B/libfuzzer/fuzz/mmfuzz_libfuzzer
	seeds=$(ls "$HERE"/corpus/seeds/mm/* | tr '\n' ',' | sed 's/,$//')
	for fb in 1 0; do
		rm -f "$TMP/stats"
		{ MMFUZZ_FEEDBACK=$fb MMFUZZ_REPRO_DIR=- MMFUZZ_STATS_FILE=$TMP/stats ASAN_OPTIONS=detect_leaks=0 \
			"$LF" -seed=1 -max_total_time="$TPUT" -print_final_stats=1 -seed_inputs="$seeds" \
			>"$TMP/lf.log" 2>&1; } 2>/dev/null || true
		e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/lf.log")
		r=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$TMP/lf.log")
		read -r se ss < <(stats_sum "$TMP/stats")
		pts=$([ "$se" -gt 0 ] && echo "$r * $ss / $se" | bc || echo)
		echo "libfuzzer,libFuzzer feedback=$( [ $fb = 1 ] && echo on || echo off),1,$TPUT,$e,$r,$pts" >>"$T"
	done
	if [ $HAVE_AFL = 1 ]; then
		rm -f "$TMP/stats"
		MMFUZZ_REPRO_DIR=- MMFUZZ_STATS_FILE=$TMP/stats ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0 \
			AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
			afl-fuzz -s 1 -i "$HERE/corpus/seeds/mm" -o "$TMP/afl" -V "$TPUT" -- "$B/afl/fuzz/mmfuzz_afl" \
			>/dev/null 2>&1 || true
		e=$(sed -n 's/^execs_done *: *//p' "$TMP/afl/default/fuzzer_stats")
		r=$(sed -n 's/^execs_per_sec *: *//p' "$TMP/afl/default/fuzzer_stats" | sed 's/\..*//')
		read -r se ss < <(stats_sum "$TMP/stats")
		pts=$([ "$se" -gt 0 ] && echo "$r * $ss / $se" | bc || echo)
		echo "afl,AFL++ persistent,1,$TPUT,$e,$r,$pts" >>"$T"
		rm -rf "$TMP/afl"
	fi
	# the real-thread baseline: all cores (its threads run in parallel)
	for b in default asan; do
		out=$("$B/$b/fuzz/mmfuzz" stress mm --time "$TPUT" --seed 1 --want data-corruption 2>/dev/null |
			grep '^mm \[' | head -1) || true
		n=$(echo "$out" | sed -n 's/.* \([0-9]*\) executions.*(\([0-9.]*\) s.*/\1 \2/p')
		if [ -n "$n" ]; then
			set -- $n
			echo "$b,stress (real threads),$(nproc) cores,$2,$1,$(echo "$1 / $2" | bc),"
		fi >>"$T"
	done
	cat "$T"
fi

# ---- exhaustive search on the focused scenarios ---------------------------------------------
if has explore; then
	say "explore: focused scenarios, bounds $BOUNDS, fixed and historic"
	X=$DATA/explore.csv
	echo "scenario,model,bound,schedules,complete,failing,first_failure,first_class,seconds,schedules_per_sec" >"$X"
	for f in "$HERE"/corpus/focused/*.params; do
		v=$(basename "$f" .params)
		for K in $BOUNDS; do
			for m in fixed historic; do
				bugs=none; [ $m = historic ] && bugs=$v
				t0=$(now)
				# the summary line (a crash's report comes after it)
				out=$("$GCC" explore mm --params "$(cat "$f") bugs=$bugs" --bound "$K" --runs 100000000 2>&1 |
					grep 'explored [0-9]* schedules' | tail -1) || true
				t=$(elapsed "$t0")
				n=$(echo "$out" | sed -n 's/.*explored \([0-9]*\) schedules.*/\1/p')
				c=$(echo "$out" | grep -q ': complete;' && echo 1 || echo 0)
				nf=$(echo "$out" | sed -n 's/.*; \([0-9]*\) failing.*/\1/p')
				ff=$(echo "$out" | sed -n 's/.*first [a-z-]* at schedule \([0-9]*\).*/\1/p')
				fc=$(echo "$out" | sed -n 's/.*first \([a-z-]*\) at schedule.*/\1/p')
				echo "$v,$m,$K,$n,$c,$nf,$ff,$fc,$t,$(echo "$n / $t" | bc)" | tee -a "$X"
			done
		done
	done
fi

# ---- reproducibility: replay every committed reproducer N times ---------------------------
if has replay; then
	say "replay: each committed reproducer $REPLAYS times"
	R=$DATA/replay.csv
	echo "reproducer,replays,identical,failures,class,ms_per_replay" >"$R"
	for f in "$HERE"/corpus/regressions/*.trace; do
		name=$(basename "$f" .trace)
		# heap addresses in reports differ from process to process (ASLR): masked
		mask() { sed 's/0x[0-9a-f]\{6,\}/0xADDR/g' "$1" >"$1.m"; }
		"$GCC" replay "$f" --quiet --trace "$TMP/ref.trace" >"$TMP/ref.out" 2>&1 || true
		mask "$TMP/ref.out"
		cls=$(sed -n 's/^reproduced: //p' "$TMP/ref.out" | head -1)
		t0=$(now)
		same=0 fails=0
		for i in $(seq 1 "$REPLAYS"); do
			rc=0
			"$GCC" replay "$f" --quiet --trace "$TMP/r.trace" >"$TMP/r.out" 2>&1 || rc=$?
			[ $rc = 1 ] && fails=$((fails + 1))
			mask "$TMP/r.out"
			cmp -s "$TMP/r.trace" "$TMP/ref.trace" && cmp -s "$TMP/r.out.m" "$TMP/ref.out.m" && [ $rc = 1 ] &&
				same=$((same + 1))
		done
		ms=$(echo "scale=2; ($(now) - $t0) * 1000 / $REPLAYS" | bc)
		echo "$name,$REPLAYS,$same,$fails,$cls,$ms" | tee -a "$R"
	done
fi

# ---- scaling: executions-to-bug against workload size -----------------------------------
if has scaling; then
	say "scaling: workload size (built-in random, gcc build, ${SIZE_LIMIT} s limit)"
	: >"$TMP/size"
	for v in swapin-dead-entry migrate-swapcache-anon-vma-uaf; do
		for pv in tasks=2 tasks=3 tasks=4 frames=12 frames=24 frames=40 ops=2 ops=4 ops=8; do
			for s in $(seq 1 "$SIZE_SEEDS"); do echo "$v $pv $s"; done
		done
	done >"$TMP/size"
	export B HERE SIZE_LIMIT
	# one built-in random trial each, with the parameter fixed (TRIAL_PARAMS)
	# shellcheck disable=SC2016
	xargs -P "$P" -L 1 sh -c '
		TRIAL_PARAMS=$1 "$HERE/bench/trial.sh" random "$0" "$2" "$SIZE_LIMIT" "$B" |
			{ IFS=, read -r e v s f c n t l; echo "$v,${1%%=*},${1#*=},$s,$f,$n,$t"; }' \
		<"$TMP/size" >"$TMP/size.csv"
	{
		echo "variant,param,value,seed,found,executions,seconds"
		sort -t, -k1,1 -k2,2 -k3,3n -k4,4n "$TMP/size.csv"
	} >"$DATA/scaling_size.csv"
fi

# ---- time-to-bug ---------------------------------------------------------------------
if has ttb; then
	# notes.md (read into the report) speak of one run's results
	[ $RESUME = 1 ] || rm -f "$RAW"/ttb/*.csv "$DATA/notes.md"
	: >"$TMP/trials"
	for s in $(seq 1 "$SEEDS"); do
		for v in $VARIANTS; do
			for e in $ENGINES; do
				[ $e = afl ] && [ $HAVE_AFL = 0 ] && continue
				[ -s "$RAW/ttb/$e-$v-$s.csv" ] && continue
				echo "$e $v $s" >>"$TMP/trials"
			done
		done
	done
	# Trials run $P at a time (one core's worth each); with --stress-alone
	# the stress baseline's run one at a time afterwards, every core theirs.
	if [ $STRESS_ALONE = 1 ]; then
		grep -v '^stress ' "$TMP/trials" >"$TMP/trials.par" || true
		grep '^stress ' "$TMP/trials" >"$TMP/trials.seq" || true
	else
		cp "$TMP/trials" "$TMP/trials.par"
		: >"$TMP/trials.seq"
	fi
	export RAW LIMIT B HERE
	for part in par seq; do
		n=$(wc -l <"$TMP/trials.$part")
		[ "$n" -gt 0 ] || continue
		j=$P; [ $part = seq ] && j=1
		say "time-to-bug: $n trials, ${LIMIT} s limit each, $j at a time"
		# shellcheck disable=SC2016
		xargs -P "$j" -L 1 sh -c '"$HERE/bench/trial.sh" "$0" "$1" "$2" "$LIMIT" "$B" >"$RAW/ttb/$0-$1-$2.tmp" 2>/dev/null &&
			mv "$RAW/ttb/$0-$1-$2.tmp" "$RAW/ttb/$0-$1-$2.csv" && cat "$RAW/ttb/$0-$1-$2.csv"' <"$TMP/trials.$part" |
			awk -F, '{ printf "  %-15s %-34s seed %-3s %s %s after %s execs, %.1f s\n", $1, $2, $3, ($4 == 1 ? "found" : "--"), $5, $6, $7; fflush() }'
	done
	{
		echo "engine,variant,seed,found,class,executions,seconds,limit"
		cat "$RAW"/ttb/*.csv | sort -t, -k1,1 -k2,2 -k3,3n
	} >"$DATA/ttb.csv"
fi

# ---- reproducibility of the stress baseline ---------------------------------------------
if has rerun; then
	[ -s "$DATA/ttb.csv" ] || die "rerun needs the time-to-bug results (phase ttb)"
	say "rerun: stress configurations that once failed, $RERUNS times each"
	R=$DATA/stress_rerun.csv
	echo "variant,seed,executions,reruns,failed_again,seconds" >"$R"
	# the first failing stress trial of each variant: rerun its first
	# process's seed (seed*1000) with the executions the trial took
	awk -F, '$1 == "stress" && $4 == 1 { print $2, $3, $6 }' "$DATA/ttb.csv" | sort -u -k1,1 |
	while read -r v s n; do
		w=$("$GCC" list | sed -n "s/^  $v .*\[caught as: \([a-z,-]*\)\]\$/\1/p")
		t0=$(now)
		again=0
		for i in $(seq 1 "$RERUNS"); do
			rc=0
			"$GCC" stress mm --params "bugs=$v" --seed $((s * 1000)) \
				--runs "$n" --want "$w" >/dev/null 2>&1 </dev/null || rc=$?
			[ $rc = 1 ] && again=$((again + 1))
		done
		echo "$v,$s,$n,$RERUNS,$again,$(elapsed "$t0")" | tee -a "$R"
	done
fi

# ---- the report ----------------------------------------------------------------------------
if has report; then
	say "report"
	python3 "$HERE/bench/report.py" "$OUT"
fi
total=$(elapsed "$T_START" | sed 's/\..*//')
if has machine && [ "$PHASES" = build,machine,throughput,ttb,scaling,replay,rerun,explore,report ]; then
	echo "total_s,$total" >>"$DATA/machine.csv"
	has report && python3 "$HERE/bench/report.py" "$OUT" >/dev/null
fi
say "done in $total s: $OUT/benchmarks.md"
