#!/bin/bash
# bench/exec/speed.sh [BUILD_DIR] [OUT_DIR]
#
# Exec mode's speed beside the model's fibers, in one run:
#   - executions per second of `mmfuzz run` (random source, fixed seed, a
#     fixed budget, no failure sought: the fixed versions) on pairs of the
#     same program, once as a toy of the built-in program registry (tasks
#     are fibers in one process) and once as a pthread program from
#     tests/exec/progs built with mmfuzz-cc (a fresh child per execution,
#     tasks on OS threads);
#   - the cost of one switch: bench_ctxswitch, whose last row is the
#     thread-backed fiber switch exec mode uses.
# Writes OUT_DIR/speed.csv (default docs/data/exec) and prints a table.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build/default}
out=${2:-$here/docs/data/exec}
mmfuzz=$build/fuzz/mmfuzz
cc=$build/exec/mmfuzz-cc
[ -x "$mmfuzz" ] && [ -x "$cc" ] || { echo "speed.sh: build $build first (mmfuzz, mmfuzz-cc)" >&2; exit 2; }
mkdir -p "$out" || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-2000}

# the same protocol both ways: two threads, a counter, fixed (no bug)
cat > "$work/counter.c" <<'C'
#include <pthread.h>
#include <assert.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int counter;
static void *worker(void *a)
{
	(void)a;
	for (int i = 0; i < 2; i++) {
		pthread_mutex_lock(&m);
		counter++;
		pthread_mutex_unlock(&m);
	}
	return 0;
}
int main(void)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], 0, worker, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], 0);
	assert(counter == 4);
	return 0;
}
C
"$cc" -O1 "$work/counter.c" -o "$work/counter" || exit 1
"$cc" -O1 "$here/tests/exec/progs/api_tour.c" -o "$work/api_tour" || exit 1
"$cc" -O1 "$here/tests/exec/progs/tls_check.c" -o "$work/tls_check" || exit 1

# time CMD...: seconds, and the steps of the last line's run
t() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" > "$work/out.txt" 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
echo "what,mode,program,executions,seconds,executions_per_s_or_ns_per_switch" > "$out/speed.csv"
row() {
	local mode=$1 prog=$2 secs
	shift 2
	secs=$(t "$@")
	printf '%s,%s,%s,%s,%.3f,%.0f\n' executions "$mode" "$prog" "$runs" "$secs" \
		"$(echo "$runs / $secs" | bc -l)" >> "$out/speed.csv"
}
row model-fibers toy-lost-update "$mmfuzz" run toy-lost-update --params fixed=1 --runs "$runs" --quiet
row exec counter "$mmfuzz" run --runs "$runs" --quiet --exec "$work/counter"
row exec counter-sync "$mmfuzz" run --runs "$runs" --quiet --params points=sync --exec "$work/counter"
row model-fibers toy-abba "$mmfuzz" run toy-abba --params fixed=1 --runs "$runs" --quiet
row exec tls_check "$mmfuzz" run --runs "$runs" --quiet --exec "$work/tls_check"
row exec api_tour "$mmfuzz" run --runs $((runs / 4)) --quiet --exec "$work/api_tour"
sed -i '$ s/^\([^,]*,[^,]*,[^,]*\),[0-9]*,/\1,'$((runs / 4))',/' "$out/speed.csv"
# a switch
"$build/bench/bench_ctxswitch" > "$work/ctx.txt" 2>&1
# its table: "name  median  min  max  ratio  N", names may hold commas
sed -n '/^mechanism/,/^$/p' "$work/ctx.txt" | sed '1d;/^$/d' |
	sed -E 's/^(.*[^ ]) +([0-9.]+) +([0-9.]+) +([0-9.]+) +[0-9.]+x +[0-9]+$/switch,ctxswitch,"\1",,,\2/' \
	>> "$out/speed.csv"
cat "$out/speed.csv"
