#!/bin/bash
# engines.sh - coverage-guided engines against the built-in random and PCT
# sources: executions and time to bug for every variant, N trials per cell,
# side by side in one run, and an ablation of the mutator and each feedback
# kind on the two deepest races.  Writes CSV under OUT (default
# docs/data/engines/) and regenerates docs/benchmarks.md (bench/report.py).
#
#   bench/engines.sh [--trials N] [--limit S] [--jobs J] [--only main|ablation]
#                    [--variants a,b] [--out DIR] [--no-build]
#
# Builds it needs (made unless --no-build): the default, asan, libfuzzer,
# libfuzzer-fast and afl presets (AFL++ from the Debian package afl++; its
# columns are left out without it).  Every trial is bench/trial.sh: the same
# generic workload, one variant on, stopped at the first failure of a class
# BUGS.md names for it or at the limit.
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
TRIALS=10 LIMIT=60 JOBS=2 ONLY= VARIANTS= OUT=$HERE/docs/data/engines BUILD=1
usage() { echo "usage: bench/engines.sh [--trials N] [--limit S] [--jobs J] [--only main|ablation] [--variants a,b] [--out DIR] [--no-build]" >&2; exit 2; }
num() { case $2 in '' | *[!0-9]*) echo "engines.sh: $1 needs a number, not '$2'" >&2; exit 2 ;; esac; }
while [ $# -gt 0 ]; do
	case $1 in
	--trials) num "$1" "${2:-}"; TRIALS=$2; shift 2 ;;
	--limit) num "$1" "${2:-}"; LIMIT=$2; shift 2 ;;
	--jobs) num "$1" "${2:-}"; JOBS=$2; shift 2 ;;
	--only) case ${2:-} in main | ablation) ONLY=$2 ;; *) usage ;; esac; shift 2 ;;
	--variants) [ -n "${2:-}" ] || usage; VARIANTS=$2; shift 2 ;;
	--out) [ -n "${2:-}" ] || usage; OUT=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	*) usage ;;
	esac
done
have_afl=0
command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null && have_afl=1
if [ $BUILD = 1 ]; then
	presets="default asan libfuzzer libfuzzer-fast"
	[ $have_afl = 1 ] && presets="$presets afl"
	for p in $presets; do
		(cd "$HERE" && cmake --preset "$p" >/dev/null && cmake --build --preset "$p" >/dev/null) ||
			{ echo "engines.sh: building preset $p failed" >&2; exit 1; }
	done
fi
MM=$HERE/build/default/fuzz/mmfuzz
[ -n "$VARIANTS" ] || VARIANTS=$("$MM" list | sed -n 's/^  \([a-z-]*\) .*\[caught as: .*\]$/\1/p' | paste -sd, -)
DEEP="zswap-writeback-stale-data,free-swap-and-cache-swapoff-uaf"
mkdir -p "$OUT"
LFF=$HERE/build/libfuzzer-fast/fuzz/mmfuzz_libfuzzer

# Columns: label|trial.sh engine|environment (space-separated k=v).
MAIN=(
	"random|random|"
	"pct|pct|"
	"libfuzzer|libfuzzer|TRIAL_LF=$LFF"
	"libfuzzer mutator off (all feedback)|libfuzzer|TRIAL_LF=$LFF MMFUZZ_MUTATOR=0 MMFUZZ_FEEDBACK=all"
	"libfuzzer all feedback|libfuzzer|TRIAL_LF=$LFF MMFUZZ_FEEDBACK=all"
)
[ $have_afl = 1 ] && MAIN+=("afl|afl|")
ABL=(
	"libfuzzer|libfuzzer|TRIAL_LF=$LFF"
	"mutator off|libfuzzer|TRIAL_LF=$LFF MMFUZZ_MUTATOR=0"
	"reverse 25%|libfuzzer|TRIAL_LF=$LFF MMFUZZ_MUT_REVERSE=25"
	"PCT-like cap 3|libfuzzer|TRIAL_LF=$LFF MMFUZZ_MUT_CAP=3"
	"all feedback|libfuzzer|TRIAL_LF=$LFF MMFUZZ_FEEDBACK=all"
	"switch only|libfuzzer|TRIAL_LF=$LFF MMFUZZ_FEEDBACK=switch"
	"rf only|libfuzzer|TRIAL_LF=$LFF MMFUZZ_FEEDBACK=rf"
	"lock only|libfuzzer|TRIAL_LF=$LFF MMFUZZ_FEEDBACK=lock"
	"order only|libfuzzer|TRIAL_LF=$LFF MMFUZZ_FEEDBACK=order"
	"ASan build|libfuzzer|"
)
[ $have_afl = 1 ] && ABL+=("afl|afl|" "afl mutator off|afl|MMFUZZ_MUTATOR=0")

# One line per trial: table|label|engine|env|variant|seed
jobs_for() { # table variants entries...
	local table=$1 vs=$2; shift 2
	local v e s
	for s in $(seq 1 "$TRIALS"); do
		for v in ${vs//,/ }; do
			for e in "$@"; do
				echo "$table|$e|$v|$s"
			done
		done
	done
}
{
	[ "$ONLY" = ablation ] || jobs_for main "$VARIANTS" "${MAIN[@]}"
	[ "$ONLY" = main ] || jobs_for ablation "$DEEP" "${ABL[@]}"
} >"$OUT/plan.txt"
n=$(wc -l <"$OUT/plan.txt")
echo "engines.sh: $n trials, $JOBS at a time, limit $LIMIT s" >&2

run_one() {
	IFS='|' read -r table label engine envs variant seed <<<"$1"
	local row
	row=$(env $envs bash "$HERE/bench/trial.sh" "$engine" "$variant" "$seed" "$LIMIT" 2>/dev/null | tail -1)
	echo "$table,$label,$row"
}
export -f run_one
export HERE LIMIT
start=$(date +%s)
echo "table,config,engine,variant,seed,found,class,executions,seconds,limit" >"$OUT/ttb.csv"
tr '\n' '\0' <"$OUT/plan.txt" | xargs -0 -P "$JOBS" -I{} bash -c 'run_one "$1"' _ {} >>"$OUT/ttb.csv"
end=$(date +%s)
{
	echo "key,value"
	echo "commit,$(git -C "$HERE" rev-parse --short=12 HEAD)$(git -C "$HERE" diff --quiet HEAD -- core sched fuzz || echo +changes)"
	echo "date,$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "trials,$TRIALS"
	echo "limit_s,$LIMIT"
	echo "jobs,$JOBS"
	echo "total_s,$((end - start))"
	echo "cpu,$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1 | sed 's/,/ /g')"
	echo "cores,$(nproc)"
	echo "afl,$(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9a-z.]*' | head -1)"
} >"$OUT/machine.csv"
rm -f "$OUT/plan.txt"
python3 "$HERE/bench/report.py" "$HERE/docs"
