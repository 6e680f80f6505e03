#!/usr/bin/env bash
# crash_capture_test.sh MMFUZZ - no finding lost, no hunt that hangs: the
# native-crash toy (toy-crash: a SIGSEGV) and the spinning toy (toy-spin: a
# loop with no scheduling point) are reported by run, replay, minimize,
# explore and hunt as findings of class crash and timeout, with
# reproducers that replay; the budget ends a hunt whatever the program
# does; SIGINT/SIGTERM still print the table and write the JSON; a worker
# killed from outside is said to be and is no finding.
set -u
M=$(readlink -f "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# expect CODE DESCRIPTION -- CMD...: run it, check the exit code.
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >out 2>err
	local got=$?
	if [ "$got" = "$want" ]; then ok "$what"; else
		bad "$what (exit $got, want $want)"; tail -n 5 err out
	fi
}
has() { if grep -Eq -- "$1" out err; then ok "$2"; else bad "$2 (no /$1/)"; tail -n 8 out err; fi; }
now() { date +%s.%N; }
secs_since() { echo "$(now) - $1" | bc; }
for toy in crash spin; do
	P=toy-$toy
	cls=crash
	# The spin toy's finding is the per-execution limit, so it gets a short
	# one; the crash toy a long one, so that a crash slowed by a loaded
	# machine (a sanitizer report, symbolized) is still a crash, not a
	# timeout (seen once under ASan with both cores busy).
	TO=--timeout-ms=10000
	[ $toy = spin ] && cls=timeout && TO=--timeout-ms=300
	expect 1 "run finds $P" -- "$M" run $P $TO --trace $toy.trace
	has "found $cls after [0-9]+ execution" "run names the class $cls"
	# the signal, or the sanitizer report that comes first in its builds
	# (UBSan: the NULL member access; TSan: the unlocked pointer is a race)
	[ $toy = crash ] && has "SIGSEGV|null-pointer-use|ThreadSanitizer" "the crash report names the signal"
	has "in task [0-9]+ '[a-z]+'" "the report names the task"
	grep -q "ThreadSanitizer" out ||
		has "its last scheduling point: toys.c:[0-9]+ [a-z_]+\(\)" "and where it last stood"
	expect 1 "replay reproduces the $cls" -- "$M" replay $toy.trace $TO
	has "reproduced: $cls" "replay says reproduced: $cls"
	has "<== $cls|FAILURE \[$cls\] in T[0-9]+ before its first" "the table marks the failing task"
	"$M" replay $toy.trace $TO 2>&1 | sed 's/pid=[0-9]*//; s/0x[0-9a-f]*/0x?/g' >replay1
	"$M" replay $toy.trace $TO 2>&1 | sed 's/pid=[0-9]*//; s/0x[0-9a-f]*/0x?/g' >replay2
	if cmp -s replay1 replay2; then ok "replay of a $cls is identical twice"; else
		bad "replays of the $cls differ"; diff replay1 replay2 | head -20; fi
	expect 1 "minimize keeps the $cls" -- "$M" minimize $toy.trace -o $toy.min.trace $TO --quiet
	has "$cls kept over" "minimize says what it kept"
	expect 1 "the minimized $cls replays" -- "$M" replay $toy.min.trace $TO --compact
	has "reproduced: $cls" "and reproduces"
	expect 1 "explore finds $P" -- "$M" explore $P --bound 1 $TO --trace $toy.explore.trace
	has "first $cls at schedule [0-9]+" "explore names the $cls"
	expect 1 "the explore trace replays" -- "$M" replay $toy.explore.trace $TO --quiet
	rm -rf h
	t0=$(now)
	expect 1 "hunt finds $P" -- "$M" hunt $P --execs 400 $TO --out h --json h.json --quiet
	has "^  $cls +- +[0-9]+ " "hunt's table lists the $cls"
	n=$(ls h | wc -l)
	[ "$n" = 1 ] && ok "one reproducer for one finding (the de-duplication set survives restarts)" ||
		bad "$n reproducers in the hunt's out dir, want 1: $(ls h)"
	grep -q "\"class\": \"$cls\"" h.json && ok "the JSON has the $cls finding" || bad "JSON: no $cls"
	f=$(ls h/*.trace | head -1)
	expect 1 "hunt's reproducer replays" -- "$M" replay "$f" $TO --quiet
	has "reproduced: $cls" "as the $cls"
	# fixed versions: no finding, in any source
	expect 0 "the fixed $P runs clean" -- "$M" run $P --params fixed=1 --runs 2000 $TO
	expect 0 "the fixed $P explores clean" -- "$M" explore $P --params fixed=1 --bound 3 $TO
	has "complete; 0 failing" "and the search completes"
done

# A class not sought is passed over, and the search goes on past the crash.
expect 0 "run --want passes over crashes" -- "$M" run toy-crash --want invariant --runs 300
has "passed over [0-9]+ failures? of other classes \(first: crash" "and says so"

# The budget ends a hunt whatever the program does: a spinning program with
# a per-execution limit longer than the whole budget.
t0=$(now)
expect 0 "a 2 s hunt of a spinning program, 10 s per execution" -- "$M" hunt toy-spin --time 2 \
	--timeout-ms 10000 --out h2 --quiet
el=$(secs_since "$t0")
if [ "$(echo "$el < 5" | bc)" = 1 ]; then ok "it ended in $el s (budget 2 s)"; else bad "it took $el s (budget 2 s)"; fi
has "1 execution still running when the hunt ended was stopped" "the stopped execution is said"
t0=$(now)
expect 1 "a 3 s hunt of a spinning program, 200 ms per execution" -- "$M" hunt toy-spin --time 3 \
	--timeout-ms 200 --out h2b --quiet
el=$(secs_since "$t0")
if [ "$(echo "$el < 6" | bc)" = 1 ]; then ok "it ended in $el s (budget 3 s)"; else bad "it took $el s (budget 3 s)"; fi
has "^  timeout " "and found the timeout"

# SIGINT and SIGTERM: the table and the JSON are still written.
for sig in INT TERM; do
	"$M" hunt toy-points --time 60 --out h3 --json int.json >out 2>err &
	pid=$!
	sleep 1.5
	kill -$sig $pid
	wait $pid
	rc=$?
	[ $rc = 130 ] && ok "SIG$sig without findings: exit 130" || bad "SIG$sig: exit $rc, want 130"
	has "executions in .* \(interrupted\)" "SIG$sig: the summary line is printed"
	grep -q '"interrupted": true' int.json && ok "SIG$sig: the JSON says interrupted" ||
		bad "SIG$sig: JSON not written or not marked"
done
"$M" hunt toy-crash --time 60 --out h4 >out 2>err &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
[ $rc = 1 ] && ok "SIGINT with findings: exit 1" || bad "SIGINT with findings: exit $rc, want 1"
has "^  crash " "and the findings table"

# A worker killed from outside: said so, restarted, not a finding.
"$M" hunt toy-points --time 4 --jobs 1 --out h5 --json k.json >out 2>err &
pid=$!
sleep 1
w=$(pgrep -P $pid | head -1)
[ -n "$w" ] && kill -KILL "$w"
wait $pid
rc=$?
[ $rc = 0 ] && ok "a worker killed from outside is no finding (exit 0)" || bad "exit $rc, want 0"
has "worker 0 was killed from outside by signal 9" "the kill is reported"
grep -q '"workers_killed_from_outside": 1' k.json && ok "the JSON counts it" || bad "JSON does not count the kill"

echo "crash capture: $pass passed, $fail failed"
[ $fail = 0 ]
