#!/bin/bash
# exec_case.sh MMFUZZ MMFUZZ_CC PROG.c EXPECT [RUNS] [PARAMS] [OTHERS]
#
# One exec-mode case: build PROG.c, unmodified, with mmfuzz-cc, then
#   EXPECT=clean      every execution of a fixed-seed run is clean, and of
#                     PCT's if OTHERS names it;
#   EXPECT=C1|C2...   a fixed-seed run finds a failure of one of these
#                     classes; its trace replays identically 100 times
#                     (same table, same class); the minimized trace still
#                     fails the same way with no more preemptions; the
#                     OTHERS sources find a failure too (default "pct
#                     explore"; pct:D is PCT of depth D).
set -u
mmfuzz=$1 cc=$2 src=$3 expect=$4 runs=${5:-2000} params=${6:-} others=${7:-pct explore}
name=$(basename "$src" .c)
work=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-exec-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $name: $*"; exit 1; }
cd "$work" || exit 1
"$cc" -O1 -Wall "$src" -o "$name" || fail "mmfuzz-cc failed"
pp=()
[ -n "$params" ] && pp=(--params "$params")

if [ "$expect" = clean ]; then
	# (a generous per-execution limit: 1,000 thread creations under ASan on
	# a busy machine take seconds; speed is benchmarked, not tested)
	out=$("$mmfuzz" run --seed 1 --runs "$runs" --quiet --timeout-ms 60000 "${pp[@]}" --exec "./$name" 2>&1)
	rc=$?
	echo "$out"
	[ $rc = 0 ] || fail "expected no failure in $runs executions (exit $rc)"
	echo "ok: $name clean in $runs executions"
	# PCT too (its fixed priorities starve threads that random priorities
	# let run); explore's space is unbounded for these, so not explore
	for o in $others; do
		case $o in
		pct) d=2 ;;
		pct:*) d=${o#pct:} ;;
		*) continue ;;
		esac
		out=$("$mmfuzz" run --source pct --depth "$d" --seed 1 --runs "$runs" --quiet --timeout-ms 60000 \
			"${pp[@]}" --exec "./$name" 2>&1)
		rc=$?
		echo "$out"
		[ $rc = 0 ] || fail "expected no failure in $runs executions of pct depth $d (exit $rc)"
		echo "ok: $name clean under pct depth $d"
	done
	exit 0
fi

out=$("$mmfuzz" run --seed 1 --runs "$runs" --quiet --timeout-ms 60000 --trace t.trace "${pp[@]}" --exec "./$name" 2>&1)
rc=$?
echo "$out" | tail -3
[ $rc = 1 ] || fail "expected a failure within $runs executions (exit $rc)"
cls=$(echo "$out" | sed -n 's/.*: found \([a-z-]*\) after.*/\1/p' | head -1)
echo "|$expect|" | grep -q "|$cls|" || fail "found '$cls', expected one of $expect"

# replay: identical output, 100 times, through the plain `mmfuzz replay`
# (a generous per-execution limit: a hang runs to the step budget, slowly
# under ASan on a busy machine, and must not turn into a timeout)
"$mmfuzz" replay t.trace --timeout-ms 60000 > r0.txt 2>&1
[ $? = 1 ] || { cat r0.txt; fail "replay did not reproduce"; }
grep -q "reproduced: $cls" r0.txt || { cat r0.txt; fail "replay did not say 'reproduced: $cls'"; }
grep -q "^ step |" r0.txt && grep -q "FAILURE \[$cls\]" r0.txt ||
	{ cat r0.txt; fail "no interleaving table naming the failure"; }
# (a sanitizer's report names its process id: that alone may differ)
norm() { sed 's/==[0-9][0-9]*==/==PID==/g'; }
want=$(norm < r0.txt | md5sum)
for i in $(seq 2 100); do
	got=$("$mmfuzz" replay t.trace --timeout-ms 60000 2>&1 | norm | md5sum)
	[ "$got" = "$want" ] || fail "replay $i differs from replay 1"
done
echo "ok: 100 identical replays"

# minimize: the same class, no more preemptions
"$mmfuzz" minimize t.trace -o m.trace --quiet > m.txt 2>&1
"$mmfuzz" replay m.trace --quiet > mr.txt 2>&1
[ $? = 1 ] || { cat m.txt mr.txt; fail "the minimized trace does not fail"; }
grep -q "reproduced: $cls" mr.txt || { cat mr.txt; fail "the minimized trace fails differently"; }
pre() { grep -c "# preempt" "$1"; }
[ "$(pre m.trace)" -le "$(pre t.trace)" ] || fail "minimizing added preemptions"
echo "ok: minimized from $(pre t.trace) to $(pre m.trace) preemptions"

# the other sources
for o in $others; do
	case $o in
	pct) args=(run --source pct --seed 1 --runs "$runs" --quiet) ;;
	pct:*) args=(run --source pct --depth "${o#pct:}" --seed 1 --runs "$runs" --quiet) ;;
	explore) args=(explore --bound 2 --runs "$runs") ;;
	*) fail "unknown source '$o'" ;;
	esac
	"$mmfuzz" "${args[@]}" "${pp[@]}" --exec "./$name" > o.txt 2>&1
	rc=$?
	tail -1 o.txt
	[ $rc = 1 ] || fail "$o found nothing in $runs executions (exit $rc)"
done
echo "ok: $name"
