#!/bin/bash
# exec_cli_test.sh MMFUZZ MMFUZZ_CC PROGS_DIR
# The exec-mode command line: what is refused with exit 2 and one line, and
# what a program built with mmfuzz-cc does on its own.
set -u
mmfuzz=$1 cc=$2 progs=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-exec-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
expect2() {     # expect2 WHAT CMD...: exit 2 with one line on stderr
	local what=$1
	shift
	"$@" > out.txt 2> err.txt
	local rc=$?
	[ $rc = 2 ] || { cat out.txt err.txt; fail "$what: exit $rc, expected 2"; }
	[ "$(wc -l < err.txt)" = 1 ] || { cat err.txt; fail "$what: expected one line on stderr"; }
	echo "ok: $what: $(cat err.txt)"
}
"$cc" -O1 "$progs/api_tour.c" -o api_tour || fail "mmfuzz-cc"
"$cc" -O1 -c "$progs/lost_update.c" -o lu.o && "$cc" lu.o -o lost_update || fail "mmfuzz-cc, separate compile and link"
cc -O1 "$progs/lost_update.c" -o plain -lpthread || fail "cc"

# on its own, a program built with mmfuzz-cc runs natively
./api_tour | grep -q "api_tour ok" || fail "api_tour on its own"
echo "ok: runs natively on its own"

expect2 "not built with mmfuzz-cc" "$mmfuzz" run --exec ./plain
expect2 "no such program" "$mmfuzz" run --exec ./missing
expect2 "--exec without a program" "$mmfuzz" run --exec
expect2 "bad option" "$mmfuzz" run --bogus --exec ./lost_update
expect2 "bad params" "$mmfuzz" run --params points=some --exec ./lost_update
expect2 "bad args encoding" "$mmfuzz" run --params args=2:a --exec ./lost_update
expect2 "stress" "$mmfuzz" stress --exec ./lost_update

# the program's arguments reach it, and the trace keeps them
cat > args.c <<'C'
#include <assert.h>
#include <string.h>
int main(int argc, char **argv)
{
	assert(!(argc == 3 && !strcmp(argv[1], "a b") && !strcmp(argv[2], "x,y%")));
	return 0;
}
C
"$cc" args.c -o args || fail "mmfuzz-cc args.c"
"$mmfuzz" run --runs 1 --quiet --trace a.trace --exec ./args "a b" "x,y%" > /dev/null 2>&1
[ $? = 1 ] || fail "arguments did not reach the program"
grep -q "^params .*args=2:" a.trace || fail "the trace does not hold the arguments"
"$mmfuzz" replay a.trace --quiet > /dev/null 2>&1
[ $? = 1 ] || fail "replay of a trace with arguments"
echo "ok: arguments"

# one execution from bytes (a fuzzer's fork server): clean, or SIGABRT after
# the report; the bytes that failed replay through --source input
"$cc" -O1 "$progs/abba_deadlock.c" -o abba || fail "mmfuzz-cc abba"
# one byte: no (skip, task) pair, so every decision is the default
printf 'x' > none.in
MMFUZZ_EXEC_INPUT=none.in ./abba > /dev/null 2>&1 || fail "no decision bytes (no preemption) did not run clean"
found=
for i in $(seq 1 300); do
	printf '%s' "$(printf '\\x%02x\\x%02x' $((i % 7)) $((i * 37 % 256)))" | xargs -0 printf > one.in
	MMFUZZ_EXEC_INPUT=- ./abba < one.in > /dev/null 2> one.err
	rc=$?
	if [ $rc = 134 ]; then found=$i; break; fi
	[ $rc = 0 ] || { cat one.err; fail "input $i: exit $rc"; }
done
[ -n "$found" ] || fail "no input of 300 deadlocked abba"
grep -q "FAILURE \[deadlock\]" one.err || { cat one.err; fail "no report before the abort"; }
"$mmfuzz" run --source input --input one.in --quiet --exec ./abba > /dev/null 2>&1
[ $? = 1 ] || fail "the failing bytes do not fail through --source input"
echo "ok: one execution from bytes (input $found deadlocks)"

# --json and hunt
"$mmfuzz" hunt --execs 300 --quiet --out hunt --json h.json --exec ./lost_update > /dev/null 2>&1
[ $? = 1 ] || fail "hunt found nothing"
grep -q '"class": *"crash"' h.json || { cat h.json; fail "hunt's JSON has no crash"; }
ls hunt/*.trace > /dev/null 2>&1 || fail "hunt saved no reproducer"
echo "ok: hunt"
