#!/bin/sh
# variant_find.sh - does mmfuzz find a bug variant, with the failure class
# BUGS.md names (read from 'mmfuzz list')?
#   variant_find.sh MMFUZZ run VARIANT SOURCE SEED BUDGET
#       the generic workload, built-in source, fixed seed and budget
#   variant_find.sh MMFUZZ explore VARIANT BOUND FOCUSED_DIR
#       exhaustive search of the variant's focused scenario
#   variant_find.sh MMFUZZ explore-fixed VARIANT BOUND FOCUSED_DIR
#       the same scenario on the fixed model: complete and clean
set -u
MMFUZZ=$1 MODE=$2 VARIANT=$3
classes=$("$MMFUZZ" list | sed -n "s/^  $VARIANT .*\[caught as: \([a-z,-]*\)\]\$/\1/p")
[ -n "$classes" ] || { echo "FAIL: '$VARIANT' is not a variant 'mmfuzz list' knows"; exit 1; }
# TSan builds keep no heap state (no checked heap, no ASan): a use after
# free by plain loads goes unreported there and may end in a crash on the
# reused memory, which is then how the variant shows.
if echo ",$classes," | grep -q ",use-after-free," && grep -qa "ThreadSanitizer" "$MMFUZZ"; then
	classes="$classes,crash"
fi
# TSan reports the variant's racing accesses themselves, often long before
# the model's own check fires (the fixed model is TSan-clean: docs/model.md,
# "Soundness"), so there a data race counts as finding the variant too: a
# general check catching it, and the search stops there instead of passing
# over every report (each one symbolized) until the variant's class comes.
if grep -qa "ThreadSanitizer" "$MMFUZZ" && [ "$classes" != any ]; then
	classes="$classes,data-race"
fi
re=$(echo "$classes" | sed 's/,/|/g')
[ "$re" = any ] && re='[a-z-]+'

case $MODE in
run)
	out=$("$MMFUZZ" run mm --params "bugs=$VARIANT" --want "$classes" --source "$4" \
		--seed "$5" --runs "$6" --quiet 2>&1)
	rc=$? ;;
explore)
	out=$("$MMFUZZ" explore mm --params "$(cat "$5/$VARIANT.params") bugs=$VARIANT" \
		--want "$classes" --bound "$4" --trace /dev/null 2>&1)
	rc=$? ;;
explore-fixed)
	out=$("$MMFUZZ" explore mm --params "$(cat "$5/$VARIANT.params")" --bound "$4" 2>&1)
	rc=$?
	echo "$out" | tail -3
	if [ $rc = 0 ] && echo "$out" | grep -q ": complete; 0 failing"; then
		echo "ok: the fixed model is clean over every schedule"
		exit 0
	fi
	echo "FAIL: the fixed model fails or the search is incomplete (exit $rc)"
	exit 1 ;;
*) echo "usage: see the header"; exit 2 ;;
esac
echo "$out" | grep -v '^  \|^ *[0-9]* |' | tail -4
# Under TSan the racing accesses of a variant may be reported as a data race
# too: the same bug seen by a second check, not a different result.  TSan
# halts at the race (mmfuzz makes every TSan report end its execution) as a data-race
# finding; a search for the variant's class passes it over (run) or stops
# there (explore: the search cannot go on past a process that died).
if [ $rc != 1 ] && echo "$out" | grep -q "WARNING: ThreadSanitizer: data race" &&
	echo "$out" | grep -Eq "passed over [0-9]* failures? of other classes \(first: (crash|data-race)"; then
	echo "ok: found by ThreadSanitizer (data race), before the model's own check"
	exit 0
fi
if [ $rc = 66 ] && echo "$out" | grep -q "WARNING: ThreadSanitizer: data race"; then
	if ! echo "$out" | grep -Eq "found ($re) after|first ($re) at schedule"; then
		# halt_on_error: TSan stopped the run at the race itself.
		echo "ok: found by ThreadSanitizer (data race), before the model's own check"
		exit 0
	fi
	echo "note: ThreadSanitizer reports the variant's race as well"
	rc=1
fi
# Under ASan a use after free ends the process with ASan's own report.
if echo "$out" | grep -q "ERROR: AddressSanitizer: heap-use-after-free" &&
	echo ",$classes," | grep -q ",use-after-free,"; then
	echo "ok: found by ASan (heap-use-after-free)"
	exit 0
fi
if [ $rc = 1 ] && echo "$out" | grep -Eq "found ($re) after|first ($re) at schedule"; then
	echo "ok: found as $classes"
	exit 0
fi
echo "FAIL: $VARIANT not found as $classes (exit $rc)"
exit 1
