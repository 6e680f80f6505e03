#!/bin/sh
# tsan_finding_test.sh MMFUZZ - a race only TSan can see (toy-race point=0:
# no scheduling point inside the unlocked increment, so no schedule loses an
# update) is a finding with a reproducer and exit 1 in hunt, run and replay,
# even when the user's TSAN_OPTIONS tell TSan to print and go on.
set -u
M=$(readlink -f "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export TSAN_OPTIONS=halt_on_error=0
fail() { echo "FAIL: $*"; exit 1; }

"$M" hunt toy-race --params point=0 --jobs 1 --execs 3 --seed 1 --json h.json >hunt.txt 2>&1
rc=$?
[ $rc = 1 ] || { tail -5 hunt.txt; fail "hunt exited $rc, not 1"; }
grep -q '"class": *"data-race"' h.json || { cat h.json; fail "no data-race finding in the JSON"; }
repro=$(sed -n 's/.*"reproducer": *"\([^"]*\)".*/\1/p' h.json | head -1)
[ -n "$repro" ] && [ -s "$repro" ] || fail "the finding has no reproducer file"

"$M" replay "$repro" >replay.txt 2>&1
rc=$?
[ $rc = 1 ] || { tail -5 replay.txt; fail "replay exited $rc, not 1"; }
grep -q '^reproduced: data-race' replay.txt || { tail -5 replay.txt; fail "replay did not reproduce data-race"; }

"$M" run toy-race --params point=0 --runs 5 >run.txt 2>&1
rc=$?
[ $rc = 1 ] || { tail -5 run.txt; fail "run exited $rc, not 1"; }
grep -q 'FAILURE \[data-race\]' run.txt || { tail -5 run.txt; fail "run did not report data-race"; }

# The locked version stays silent.
"$M" run toy-race --params "point=0 fixed=1" --runs 200 >fixed.txt 2>&1
rc=$?
[ $rc = 0 ] || { tail -5 fixed.txt; fail "the locked toy failed (exit $rc)"; }
grep -q ThreadSanitizer fixed.txt && fail "TSan reported on the locked toy"
echo ok
