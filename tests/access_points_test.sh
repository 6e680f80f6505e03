#!/usr/bin/env bash
# access_points_test.sh MMFUZZ - plain-access points (sched/access.h) from
# the command line, in a build that has them: a run with --access-points
# records points=all in its trace and takes decisions at plain loads and
# stores; the trace replays with them (and without points=all it does not:
# the option is part of the run); explore of the trace keeps them; a
# reproducer carries them in its params line.  Exits 77 (skipped) in a
# build without them, after checking that --access-points is then refused.
set -u
M=$1
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
cd "$D"
fail() {
	echo "FAIL: $*"
	for f in *.out; do [ -f "$f" ] && { echo "--- $f"; head -20 "$f"; }; done
	exit 1
}

"$M" run mm --access-points --runs 1 >probe.out 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "this build has no plain-access points" probe.out; then
	echo "skipped: this build has no plain-access points (refused with exit 2, as it must be)"
	exit 77
fi
[ $rc = 0 ] || fail "run mm --access-points --runs 1: exit $rc"
grep -q "mm \[points=all\]" probe.out || fail "the summary does not show points=all"

# A variant found with them on: the trace says so, and holds decisions taken
# at plain loads and stores.
"$M" run mm --access-points --params bugs=zswap-writeback-stale-data --runs 20000 \
	--trace ap.trace --quiet >run.out 2>&1
rc=$?
[ $rc = 1 ] || fail "run with --access-points: exit $rc, want 1"
grep -q '^params .*points=all' ap.trace || fail "the trace's params lack points=all"
grep -Eq '^p .*:(load|store)( |$)' ap.trace || fail "no decision at a plain-access point"
cls=$(sed -n 's/^result //p' ap.trace)

# It replays: same decisions, same sites, same failure.
"$M" replay ap.trace --quiet >replay.out 2>&1
rc=$?
[ $rc = 1 ] || fail "replay: exit $rc, want 1"
grep -q "reproduced: $cls" replay.out || fail "replay did not reproduce $cls"

# Without points=all the recording is another run: strict replay says where
# it departs.
sed 's/ points=all//' ap.trace >nopoints.trace
"$M" replay nopoints.trace --quiet >nopoints.out 2>&1
rc=$?
[ $rc = 2 ] || fail "replay without points=all: exit $rc, want 2 (diverged)"
grep -q "replay diverged" nopoints.out || fail "replay without points=all did not diverge"

# explore spells the trace's workload out with the points kept.
"$M" explore ap.trace --bound 0 --runs 2 >explore.out 2>&1
grep -q "^explore ap.trace: workload .*points=all" explore.out ||
	fail "explore of the trace dropped points=all"

# A reproducer: the params line carries them, and the same input bytes take
# more steps with them than without.
printf 'mmfuzz-repro 1\nprogram mm\nparams points=all\nvariants none\nbuild -\nresult clean\nsignature -\ninput 4\n01020304\nend\n' >ap.repro
sed 's/^params points=all/params -/' ap.repro >plain.repro
"$M" replay ap.repro --quiet >repro-ap.out 2>&1 || fail "replay ap.repro: exit $?"
"$M" replay plain.repro --quiet >repro-plain.out 2>&1 || fail "replay plain.repro: exit $?"
steps() { sed -n 's/.*input 4 bytes, \([0-9]*\) steps.*/\1/p' "$1"; }
a=$(steps repro-ap.out) p=$(steps repro-plain.out)
[ -n "$a" ] && [ -n "$p" ] || fail "no step counts in the replays"
[ "$a" -gt "$p" ] || fail "points=all took $a steps, without $p: no plain-access points"
echo "ok: recorded, replayed ($cls), diverged without points=all, explored, reproducer ($a > $p steps)"
