#!/usr/bin/env bash
# cli_test.sh MMFUZZ - the command-line contract: exit codes (0 clean,
# 1 bug found, 2 usage or input error), one-line errors for bad input,
# replay of a recorded trace, and determinism of replay output.
set -u
M=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# expect CODE DESCRIPTION -- CMD...: run, check the exit code; for code 2,
# stderr must be exactly one line.
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	local ok=1
	[ "$got" = "$want" ] || ok=0
	if [ "$want" = 2 ] && [ "$(wc -l <"$T/err")" != 1 ]; then ok=0; fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1)); echo "PASS $what"
	else
		fail=$((fail + 1)); echo "FAIL $what (exit $got, want $want)"; head -5 "$T/err"
	fi
}
# grep_out PATTERN DESCRIPTION: the last command's stdout+stderr matches.
grep_out() {
	if grep -q -- "$1" "$T/out" "$T/err"; then
		pass=$((pass + 1)); echo "PASS $2"
	else
		fail=$((fail + 1)); echo "FAIL $2 (no '$1')"; head -20 "$T/out" "$T/err"
	fi
}

expect 2 "no arguments" -- "$M"
expect 2 "unknown command" -- "$M" frobnicate
expect 2 "unknown option" -- "$M" run toy-lost-update --bogus
expect 2 "option without value" -- "$M" run toy-lost-update --runs
expect 2 "bad number" -- "$M" run toy-lost-update --runs abc
expect 2 "out-of-range number" -- "$M" run toy-lost-update --runs 0
expect 2 "unknown program" -- "$M" run no-such-program
expect 2 "bad program parameter" -- "$M" run toy-lost-update --params fixed=7
expect 2 "bad source" -- "$M" run toy-lost-update --source telepathy
expect 2 "option that does not apply" -- "$M" explore toy-lost-update --seed 3
expect 2 "missing input file" -- "$M" run toy-lost-update --source input --input "$T/none"
for c in demo list run explore replay stress; do
	expect 0 "$c --help" -- "$M" $c --help
done
expect 0 "list" -- "$M" list
grep_out "toy-missed-wakeup" "list names the programs"

expect 1 "run finds a bug" -- "$M" run toy-lost-update --trace "$T/lu.trace"
grep_out "found invariant" "run names the failure class"
expect 1 "replay reproduces it" -- "$M" replay "$T/lu.trace"
grep_out "reproduced: invariant" "replay says it reproduced"
grep_out "T0 adder" "replay prints the interleaving table"
grep_out "<== invariant\|end-state check" "the table marks the failure"
cp "$T/out" "$T/replay1"
"$M" replay "$T/lu.trace" >"$T/replay2" 2>&1
if cmp -s "$T/replay1" "$T/replay2"; then pass=$((pass + 1)); echo "PASS replay output is identical twice"
else fail=$((fail + 1)); echo "FAIL replay output differs between two replays"; fi
expect 1 "replay writes its own trace" -- "$M" replay "$T/lu.trace" --quiet --trace "$T/again.trace"
if diff <(grep -v '^source' "$T/lu.trace") <(grep -v '^source' "$T/again.trace") >/dev/null; then
	pass=$((pass + 1)); echo "PASS re-recorded trace equals the original"
else fail=$((fail + 1)); echo "FAIL re-recorded trace differs"; fi

expect 0 "fixed program runs clean" -- "$M" run toy-lost-update --params fixed=1 --runs 300
expect 0 "explore completes" -- "$M" explore toy-points --params "tasks=2 points=2" --bound 64
grep_out "explored 20 schedules" "explore counts 20 schedules for 2 tasks x 2 points"
expect 1 "explore finds a bug" -- "$M" explore toy-missed-wakeup --bound 1 --trace "$T/mw.trace"
expect 1 "replay of an explore trace" -- "$M" replay "$T/mw.trace"
expect 0 "stress runs a fixed program on threads" -- "$M" stress toy-lost-update --params "fixed=1 tasks=4" --runs 20
# lockdep reports the AB-BA order whatever the timing: a deterministic find on real threads
expect 1 "stress finds within its time limit" -- "$M" stress toy-abba --params lockdep=1 --time 20 --seed 5
grep_out "stress found \(lock-order\|deadlock\) after" "stress names the class it found"
expect 0 "stress with --time alone runs to the limit" -- "$M" stress toy-lost-update --params "fixed=1" --time 1
grep_out "executions clean" "stress reports a clean run"
expect 0 "stress passes over classes not sought" -- "$M" stress toy-abba --params lockdep=1 --time 2 --want leak
grep_out "stress passed over" "stress says what it passed over"
expect 2 "stress: bad class" -- "$M" stress toy-lost-update --want nonsense
expect 0 "run --time stops a clean search" -- "$M" run toy-lost-update --params fixed=1 --time 1
grep_out "no failure in" "run --time reports the executions done"
printf 'AAAA' >"$T/in.bin"
expect 0 "input source runs given bytes" -- "$M" run toy-lost-update --params fixed=1 --source input --input "$T/in.bin"

# Bad trace files: one line on stderr, exit 2.
head -c 120 "$T/lu.trace" >"$T/trunc.trace"
expect 2 "truncated trace" -- "$M" replay "$T/trunc.trace"
sed '$d' "$T/lu.trace" >"$T/noend.trace"
expect 2 "trace without end" -- "$M" replay "$T/noend.trace"
sed 's/^mmfuzz-trace 2/mmfuzz-trace 9/' "$T/lu.trace" >"$T/v9.trace"
expect 2 "unknown trace version" -- "$M" replay "$T/v9.trace"
grep_out "unsupported trace format version 9" "version error says so"
{ echo "mmfuzz-trace 1"; head -c 300 /dev/urandom; } >"$T/garbage.trace"
expect 2 "garbage trace" -- "$M" replay "$T/garbage.trace"
expect 2 "missing trace" -- "$M" replay "$T/none.trace"
sed 's/^program .*/program nosuch/' "$T/lu.trace" >"$T/prog.trace"
expect 2 "trace of an unknown program" -- "$M" replay "$T/prog.trace"
# Divergence: claim a different runnable set at the first pick.
awk '/^p /&&!d{$4="0,1,2";d=1}1' "$T/lu.trace" >"$T/div.trace"
expect 2 "diverging trace" -- "$M" replay "$T/div.trace"
grep_out "diverged" "divergence is named"

# Reproducers (header + input) and raw fuzzer inputs.
rp() { printf 'mmfuzz-repro %s\nprogram mm\nparams bugs=none\nvariants none\nbuild test\nresult clean\nsignature -\ninput %s\n%s\nend\n' "$@"; }
rp 1 4 41424344 >"$T/ok.repro"
expect 0 "a reproducer replays" -- "$M" replay "$T/ok.repro" --quiet
grep_out "reproduced: clean" "and says it reproduced"
rp 9 4 41424344 >"$T/v9.repro"
expect 2 "unknown reproducer version" -- "$M" replay "$T/v9.repro"
grep_out "unsupported reproducer format version 9" "the version error says so"
rp 1 5 41424344 >"$T/len.repro"
expect 2 "reproducer length mismatch" -- "$M" replay "$T/len.repro"
rp 1 4 4142434g >"$T/hex.repro"
expect 2 "reproducer with bad hex" -- "$M" replay "$T/hex.repro"
head -c 60 "$T/ok.repro" >"$T/trunc.repro"
expect 2 "truncated reproducer" -- "$M" replay "$T/trunc.repro"
{ cat "$T/ok.repro"; echo junk; } >"$T/trail.repro"
expect 2 "reproducer with trailing text" -- "$M" replay "$T/trail.repro"
sed 's/^program mm/program nosuch/' "$T/ok.repro" >"$T/prog.repro"
expect 2 "reproducer of an unknown program" -- "$M" replay "$T/prog.repro"
sed 's/^params bugs=none/params bugs=nosuch/' "$T/ok.repro" >"$T/bugs.repro"
expect 2 "reproducer with an unknown variant" -- "$M" replay "$T/bugs.repro"
head -c 64 /dev/urandom >"$T/raw.bin"
expect 0 "a raw input replays on the fixed model" -- "$M" replay "$T/raw.bin" --raw --quiet
expect 2 "a raw input with a bad --bugs" -- "$M" replay "$T/raw.bin" --raw --bugs nosuch

# Bug variants: hunting with --want, checking a fix with --bugs, minimizing.
expect 0 "list names the variants" -- "$M" list
grep_out "zswap-writeback-stale-data .*caught as: use-after-free" "list gives each variant's class"
expect 2 "unknown variant" -- "$M" run mm --params bugs=nosuch --runs 1
expect 2 "unknown class for --want" -- "$M" run mm --want nosuch --runs 1
expect 1 "a variant is found with its class" -- "$M" run mm --params bugs=anon-fault-double-alloc \
	--want leak,data-corruption --runs 2000 --trace "$T/v.trace"
grep_out "found \(leak\|data-corruption\) after" "the class sought is the one found"
expect 1 "the variant's trace replays" -- "$M" replay "$T/v.trace" --quiet
expect 0 "and runs clean on the fixed model" -- "$M" replay "$T/v.trace" --quiet --bugs none \
	--trace "$T/clean.trace"
grep_out "under bugs=none: clean" "the fix check says so"
expect 2 "--bugs checks its names" -- "$M" replay "$T/v.trace" --bugs nosuch
expect 1 "minimize keeps the failure" -- "$M" minimize "$T/v.trace" -o "$T/min.trace" --quiet
grep_out "kept over" "minimize reports what it kept"
expect 1 "the minimized trace replays" -- "$M" replay "$T/min.trace" --compact
grep_out "<== \|end-state check" "the compact table marks the failure"
expect 2 "minimize needs -o" -- "$M" minimize "$T/v.trace"
expect 2 "minimize of a clean run" -- "$M" minimize "$T/clean.trace" -o "$T/x.trace"

# Output details a review found wrong once.
expect 0 "stress of the generic workload" -- "$M" stress mm --runs 2 --seed 1
if grep -q "\[\]" "$T/out"; then fail=$((fail + 1)); echo "FAIL stress prints empty params as []"
else pass=$((pass + 1)); echo "PASS stress names its parameters"; fi
"$M" hunt toy-points --execs 200 --out "$T/hp" >"$T/out" 2>&1
n=$(grep -c "executions in\|execs [0-9]* (" "$T/out")
if [ "$n" = 1 ]; then pass=$((pass + 1)); echo "PASS hunt's summary is printed once when stderr is no terminal"
else fail=$((fail + 1)); echo "FAIL hunt printed $n summary/status lines"; cat "$T/out"; fi
"$M" replay "$T/lu.trace" --compact >"$T/out" 2>&1
hdr=$(grep -m1 "^   steps   |" "$T/out" | awk -F'|' '{print length($1)}')
ftr=$(grep -m1 "| FAILURE \[" "$T/out" | awk -F'|' '{print length($1)}')
if [ -n "$hdr" ] && [ "$hdr" = "$ftr" ]; then pass=$((pass + 1)); echo "PASS the compact footer lines up with the table"
else fail=$((fail + 1)); echo "FAIL compact footer column $ftr, table column $hdr"; fi
expect 2 "plan with a semicolon" -- "$M" run mm --params "plan=read:0;0/read" --runs 1
grep_out "parameter plan: bad operation 'read:0;0'" "the plan error names the operation"

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
