#!/usr/bin/env bash
# campaign_test.sh - tests of the campaign scripts (fuzz/campaign/).
#
# usage: tests/campaign_test.sh scripts MMFUZZ
#        tests/campaign_test.sh libfuzzer MMFUZZ TARGET
#        tests/campaign_test.sh afl MMFUZZ TARGET
#   scripts    every script's --help exits 0, bad usage exits 2 with one
#              line on stderr; triage.sh on three raw inputs made here: two
#              different inputs that fail the same way under
#              anon-fault-double-alloc (found by a bounded, deterministic
#              search) and one that runs clean; they must make one failure
#              group of 2 and one clean group of 1, with the smaller failing
#              input as the example, a replay command that reproduces it,
#              the same grouping from a campaign.env, JSON, and nothing
#              failing under --bugs none.
#   libfuzzer  a 12-second libfuzzer.sh campaign (2 processes) under
#              anon-fault-double-alloc, then triage.sh over it.
#   afl        a 12-second afl.sh campaign (2 instances) under
#              anon-fault-double-alloc, then triage.sh over it.
# MMFUZZ is the mmfuzz CLI used for variant names and replays.
# Exit: 0 pass, 1 a check failed, 2 usage error, 77 skipped (tool missing).
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
C=$root/fuzz/campaign
mode=${1:-}
M=${2:-}
case $mode in
scripts) [ $# = 2 ] || { echo "usage: campaign_test.sh scripts MMFUZZ" >&2; exit 2; } ;;
libfuzzer | afl) [ $# = 3 ] || { echo "usage: campaign_test.sh $mode MMFUZZ TARGET" >&2; exit 2; } ;;
*) echo "usage: campaign_test.sh scripts|libfuzzer|afl MMFUZZ [TARGET]" >&2; exit 2 ;;
esac
[ -x "$M" ] || { echo "campaign_test.sh: no mmfuzz CLI at $M" >&2; exit 2; }
export MMFUZZ_CLI=$M
unset MMFUZZ_BUGS MMFUZZ_PARAMS MMFUZZ_FEEDBACK MMFUZZ_REPRO_DIR
VARIANT=anon-fault-double-alloc
T=$(mktemp -d "${TMPDIR:-/tmp}/mmfuzz-campaign-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() {
	echo "campaign_test.sh $mode: $pass passed, $fail failed"
	[ $fail = 0 ] && exit 0
	exit 1
}

# expect CODE DESCRIPTION -- CMD...: the exit code; for 2, exactly one line
# on stderr.
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$T/out" 2>"$T/err" </dev/null
	local got=$?
	if [ "$got" != "$want" ]; then
		bad "$what (exit $got, want $want)"
		head -n 5 "$T/err"
	elif [ "$want" = 2 ] && [ "$(wc -l <"$T/err")" != 1 ]; then
		bad "$what (exit 2 but $(wc -l <"$T/err") lines on stderr)"
		head -n 5 "$T/err"
	else
		ok "$what"
	fi
}
# has PATTERN DESCRIPTION: the last command's stdout matches (grep -E).
has() {
	if grep -qE -- "$1" "$T/out"; then
		ok "$2"
	else
		bad "$2 (no '$1' in the output)"
		head -n 30 "$T/out"
	fi
}

# ---- engine campaigns -------------------------------------------------------
if [ "$mode" != scripts ]; then
	target=$3
	[ -x "$target" ] || { echo "SKIP: no $mode target at $target"; exit 77; }
	if [ "$mode" = afl ]; then
		command -v afl-fuzz >/dev/null || { echo "SKIP: afl-fuzz not found"; exit 77; }
		"$C/afl.sh" -n 2 -t 12 -b $VARIANT -o "$T/camp" --target "$target" --status 0 >"$T/out" 2>"$T/err"
	else
		"$C/libfuzzer.sh" -n 2 -t 12 -b $VARIANT -o "$T/camp" --target "$target" --status 0 >"$T/out" 2>"$T/err"
	fi
	rc=$?
	cat "$T/out"
	if [ $rc = 0 ] || [ $rc = 1 ]; then
		ok "$mode campaign ends with 0 or 1 (got $rc)"
	else
		bad "$mode campaign exits $rc"
		cat "$T/err"
		finish
	fi
	if [ "$mode" = afl ]; then
		has '^total +[1-9][0-9]* ' "afl.sh prints the totals with executions"
	else
		has '^libfuzzer.sh: [0-9]+s, [1-9][0-9]* execs' "libfuzzer.sh prints executions and speed"
	fi
	if grep -q '^MMFUZZ_BUGS='$VARIANT'$' "$T/camp/campaign.env"; then
		ok "campaign.env records the variant set"
	else
		bad "campaign.env does not record MMFUZZ_BUGS=$VARIANT"
	fi
	if [ $rc = 1 ]; then
		expect 1 "triage.sh groups the campaign's findings" -- "$C/triage.sh" -q "$T/camp"
		cat "$T/out"
		has '^ +1 +[a-z-]+ @ [a-z_]+\.c:[0-9]+ ' "the first group is a failure class at a model site"
		has "replay: .* --bugs $VARIANT" "raw findings replay under the campaign's variant set"
	else
		echo "NOTE: no crash in 12 s; triage not exercised"
	fi
	finish
fi

# ---- usage --------------------------------------------------------------------
for s in afl.sh libfuzzer.sh cmin.sh triage.sh; do
	expect 0 "$s --help" -- "$C/$s" --help
	has '^usage: ' "$s --help prints a usage line"
	expect 2 "$s rejects an unknown option" -- "$C/$s" --no-such-flag
	expect 2 "$s: option without its value" -- "$C/$s" --bugs
done
mkdir -p "$T/in"
expect 2 "afl.sh: unknown variant" -- "$C/afl.sh" --bugs no-such-variant
expect 2 "libfuzzer.sh: unknown variant" -- "$C/libfuzzer.sh" --bugs no-such-variant
expect 2 "cmin.sh: unknown variant" -- "$C/cmin.sh" libfuzzer -i "$T/in" -o "$T/min" --bugs no-such-variant
expect 2 "triage.sh: unknown variant" -- "$C/triage.sh" --bugs no-such-variant "$T/in"
if grep -q "unknown bug variant 'no-such-variant'" "$T/err"; then
	ok "the error names the unknown variant"
else
	bad "the error does not name the unknown variant: $(cat "$T/err")"
fi
expect 2 "afl.sh: zero instances" -- "$C/afl.sh" --jobs 0
expect 2 "afl.sh: time not a number" -- "$C/afl.sh" --time soon
expect 2 "libfuzzer.sh: unknown mode" -- "$C/libfuzzer.sh" --mode threads
expect 2 "libfuzzer.sh: --stop-on-crash with jobs mode" -- "$C/libfuzzer.sh" --mode jobs --stop-on-crash
expect 2 "cmin.sh: no engine" -- "$C/cmin.sh" -i "$T" -o "$T/min"
expect 2 "cmin.sh: unknown engine" -- "$C/cmin.sh" honggfuzz -i "$T" -o "$T/min"
expect 2 "cmin.sh: no input corpus" -- "$C/cmin.sh" libfuzzer -o "$T/min"
expect 2 "cmin.sh: missing input directory" -- "$C/cmin.sh" libfuzzer -i "$T/none" -o "$T/min"
expect 2 "triage.sh: no inputs named" -- "$C/triage.sh"
expect 2 "triage.sh: no such file" -- "$C/triage.sh" "$T/none"
expect 2 "triage.sh: CLI missing" -- "$C/triage.sh" --mmfuzz "$T/none" "$T"

# ---- triage over generated inputs ------------------------------------------------
# Candidates: 128..511 bytes each from awk's seeded generator (deterministic
# on one machine); roughly 1 in 300 fails under the variant.
sig_of() { # the class and site of a failing replay's output
	local line site
	line=$(grep -m 1 '^mmfuzz: FAILURE \[' "$1")
	site=$(grep -m 1 '^  reported at ' "$1" | sed 's/^  reported at \(.*\), step [0-9]*$/\1/')
	[ -n "$site" ] || site=$(printf '%s\n' "$line" | sed -n 's/.* at \([^ ]*:[0-9]* [^ ]*()\), step [0-9]*$/\1/p')
	printf '%s @ %s\n' "$(printf '%s\n' "$line" | sed 's/^mmfuzz: FAILURE \[\([^]]*\)\].*/\1/')" "$site"
}
mkdir -p "$T/cand" "$T/crashes"
LC_ALL=C awk 'BEGIN { srand(20240601)
	for (n = 0; n < 6000; n++) {
		f = sprintf("'"$T"'/cand/c%04d", n); len = 128 + int(rand() * 384)
		for (i = 0; i < len; i++) printf "%c", int(rand() * 256) > f
		close(f)
	} }'
declare -A first
a= b= clean= tries=0
for f in "$T"/cand/c*; do
	tries=$((tries + 1))
	"$M" replay "$f" --raw --bugs $VARIANT --quiet >"$T/r" 2>&1
	case $? in
	0) [ -n "$clean" ] || clean=$f ;;
	1)
		s=$(sig_of "$T/r")
		if [ -n "${first[$s]:-}" ]; then
			a=${first[$s]} b=$f sig=$s
			[ -n "$clean" ] && break
		else
			first[$s]=$f
		fi
		;;
	esac
	[ -n "$a" ] && [ -n "$clean" ] && break
done
if [ -z "$a" ] || [ -z "$clean" ]; then
	bad "no two inputs failing the same way under $VARIANT in $tries candidates"
	finish
fi
ok "search: two inputs failing as '$sig' and a clean one in $tries candidates"
cp "$a" "$T/crashes/crash-a"
cp "$b" "$T/crashes/crash-b"
cp "$clean" "$T/crashes/crash-c"
sa=$(wc -c <"$a") sb=$(wc -c <"$b")
small=crash-a
[ "$sb" -lt "$sa" ] && small=crash-b
cmp -s "$a" "$b" && bad "the two failing inputs are the same bytes"

expect 1 "triage.sh exits 1 when inputs fail" -- "$C/triage.sh" -q --bugs $VARIANT --json "$T/t.json" "$T/crashes"
cat "$T/out"
has '^triage.sh: 3 input\(s\): 3 raw' "triage.sh counts three raw inputs"
has '^triage.sh: 2 group\(s\), 1 of them failures' "two groups, one of them failures"
sigre=$(printf '%s' "$sig" | sed 's/[][().*^$]/\\&/g')
has "^ +1 +$sigre +2 +.*/$small \\(" "one group of 2 for '$sig', the smaller input as its example"
has '^ +2 +clean \(no failure on replay\) +1 +.*/crash-c ' "one clean group of 1"
# The printed replay command reproduces the failure.
cmd=$(sed -n 's/^    replay: //p' "$T/out" | head -n 1)
case $cmd in
*" replay "*"/$small --raw --bugs $VARIANT") ok "the replay command names the example and the variant set" ;;
*) bad "unexpected replay command: $cmd" ;;
esac
expect 1 "the replay command reproduces the failure" -- "$M" replay "$T/crashes/$small" --raw --bugs $VARIANT --quiet
if command -v jq >/dev/null; then
	if jq -e --arg s "$sig" '.inputs == 3 and (.groups | length) == 2 and .groups[0].signature == $s
		and .groups[0].count == 2 and .groups[0].outcome == "failure" and (.groups[0].files | length) == 2
		and .groups[1].outcome == "clean"' "$T/t.json" >/dev/null; then
		ok "JSON: the same groups"
	else
		bad "JSON does not match"
		cat "$T/t.json"
	fi
elif grep -q '"count": 2' "$T/t.json" && grep -q '"outcome": "clean"' "$T/t.json"; then
	ok "JSON: the same groups (grep; no jq)"
else
	bad "JSON does not match"
	cat "$T/t.json"
fi

# The variant set from the campaign's campaign.env, no --bugs.
printf 'engine=libfuzzer\nMMFUZZ_BUGS=%s\n' $VARIANT >"$T/crashes/campaign.env"
expect 1 "triage.sh takes the variant set from campaign.env" -- "$C/triage.sh" -q "$T/crashes"
has "^ +1 +$sigre +2 " "the same failure group"
# Under the fixed model nothing fails.
expect 0 "triage.sh --bugs none: nothing fails" -- "$C/triage.sh" -q --bugs none "$T/crashes"
has '^ +1 +clean \(no failure on replay\) +3 ' "all three clean on the fixed model"
# An empty directory is not an error.
mkdir -p "$T/empty"
expect 0 "triage.sh on a directory without crash files" -- "$C/triage.sh" "$T/empty"
finish
