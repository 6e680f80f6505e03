#!/usr/bin/env bash
# bench_report_test.sh SRCDIR - the benchmark report generator on a small
# fixture: tables, censored medians, targets, the plots (well-formed SVG and
# valid PNG, drawn by matplotlib, byte-identical when regenerated); and the
# driver's bad-flag contract (exit 2, one line).  Skipped (77) without python3
# or matplotlib (Debian package python3-matplotlib).
set -u
SRC=$1
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
# report.py falls back to Debian's interpreter when python3 on PATH (pyenv, a
# venv) lacks matplotlib; the same two are looked at here
python3 -c 'import matplotlib' 2>/dev/null || /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || {
	echo "matplotlib not installed (Debian package python3-matplotlib): skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
D=$T/data/bench
mkdir -p "$D"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }

cat >"$D/machine.csv" <<'EOF'
key,value
mode,quick
commit,abc123
cpu,"Test CPU"
cores,2
trial_limit_s,10
seeds_per_cell,3
concurrent_trials,2
EOF
{
	echo "engine,variant,seed,found,class,executions,seconds,limit"
	# random finds anon-fault in 0.1/0.2/0.3 s; stress in 2 of 3, 5 s and 7 s
	echo "random,anon-fault-double-alloc,1,1,leak,50,0.1,10"
	echo "random,anon-fault-double-alloc,2,1,leak,60,0.2,10"
	echo "random,anon-fault-double-alloc,3,1,leak,70,0.3,10"
	echo "stress,anon-fault-double-alloc,1,1,leak,20,5.0,10"
	echo "stress,anon-fault-double-alloc,2,1,leak,30,7.0,10"
	echo "stress,anon-fault-double-alloc,3,0,,900,10.4,10"
	# libFuzzer: one trial stopped on a class not sought
	echo "libfuzzer-fb,anon-fault-double-alloc,1,0,other:use-after-free,10,0.5,10"
	echo "libfuzzer-fb,anon-fault-double-alloc,2,1,leak,1000,1.0,10"
	echo "libfuzzer-fb,anon-fault-double-alloc,3,0,,9000,10.2,10"
} >"$D/ttb.csv"
cat >"$D/throughput.csv" <<'EOF'
build,engine,jobs,seconds,executions,execs_per_sec,points_per_sec
default,built-in (hunt),1,5,100000,20000,8000000
default,built-in (hunt),2,5,180000,36000,14000000
default,stress (real threads),2 cores,5,2000,400,
EOF
cat >"$D/replay.csv" <<'EOF'
reproducer,replays,identical,failures,class,ms_per_replay
anon-fault-double-alloc,1000,1000,1000,leak,6.5
EOF
cat >"$D/scaling_size.csv" <<'EOF'
variant,param,value,seed,found,executions,seconds
swapin-dead-entry,tasks,2,1,1,5000,0.2
swapin-dead-entry,tasks,3,1,1,700,0.1
EOF
cat >"$D/explore.csv" <<'EOF'
scenario,model,bound,schedules,complete,failing,first_failure,first_class,seconds,schedules_per_sec
anon-fault-double-alloc,historic,1,956,1,120,132,leak,0.02,48000
EOF

if python3 "$SRC/bench/report.py" "$T" >/dev/null; then ok "report.py runs"; else ko "report.py runs"; fi
R=$T/benchmarks.md
has() { if grep -qF -- "$1" "$R"; then ok "$2"; else ko "$2 (no '$1')"; grep -F "${3:-anon-fault}" "$R" | head -3; fi; }
has "| commit | \`abc123\` |" "records the commit"
has "Test CPU, 2 cores" "records the machine"
has "**0.20 s** (60) 3/3, max 0.30 s" "median, median executions, found count and max of a cell"
has "**7.00 s** (25) 2/3, max &ge;10 s" "a not-found trial counts as the limit"
has "[stopped on: use-after-free]" "a trial ended by another class is named"
has "| anon-fault-double-alloc | 2/3 | 7.00 s | 0.20 s | 35x |" "speed-up over the stress baseline"
has "0 of 1 variants" "the 100x target is judged from the data"
has "1,000 of 1,000 replays identical" "the replay target is judged from the data"
has "runs 1.80x the executions per second" "jobs scaling"
has "| anon-fault-double-alloc | historic | 1 | 956 | yes | 120 | 132 (leak)" "explore table"
for f in ttb throughput scaling; do
	if python3 -c "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot()
sys.exit(r.tag != '{http://www.w3.org/2000/svg}svg' or 'Matplotlib' not in E.tostring(r, 'unicode'))" \
		"$T/bench/$f.svg" 2>/dev/null; then
		ok "$f.svg is well-formed SVG from matplotlib"
	else
		ko "$f.svg is well-formed SVG from matplotlib"
	fi
	if [ "$(head -c 8 "$T/bench/$f.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		grep -aq "Matplotlib" "$T/bench/$f.png"; then
		ok "$f.png is a PNG from matplotlib"
	else
		ko "$f.png is a PNG from matplotlib"
	fi
done
mkdir -p "$T/again/data" && cp -r "$D" "$T/again/data/"
python3 "$SRC/bench/report.py" "$T/again" >/dev/null
for f in ttb throughput scaling; do
	for x in svg png; do
		if cmp -s "$T/bench/$f.$x" "$T/again/bench/$f.$x"; then ok "$f.$x is byte-identical when regenerated"
		else ko "$f.$x is byte-identical when regenerated"; fi
	done
done

# without matplotlib (a stand-in package that fails to import): exit 2, one line
mkdir -p "$T/nompl/matplotlib" && echo 'raise ImportError("stand-in")' >"$T/nompl/matplotlib/__init__.py"
PYTHONPATH=$T/nompl python3 "$SRC/bench/report.py" "$T/again" >"$T/o" 2>"$T/e"
if [ $? = 2 ] && [ "$(wc -l <"$T/e")" = 1 ] && grep -q python3-matplotlib "$T/e"; then
	ok "report.py without matplotlib: exit 2, one line naming the package"
else
	ko "report.py without matplotlib: exit 2, one line naming the package"; cat "$T/e"
fi

"$SRC/bench/run.sh" --bogus >"$T/o" 2>"$T/e"
if [ $? = 2 ] && [ "$(wc -l <"$T/e")" = 1 ]; then ok "run.sh: bad flag, exit 2, one line"; else ko "run.sh: bad flag"; fi
"$SRC/bench/run.sh" >"$T/o" 2>"$T/e"
if [ $? = 2 ] && grep -q -- "--quick or --full" "$T/e"; then ok "run.sh: asks for a mode"; else ko "run.sh: asks for a mode"; fi
"$SRC/bench/run.sh" --quick --phases ttb,nonsense >"$T/o" 2>"$T/e"
if [ $? = 2 ] && grep -q "unknown phase" "$T/e"; then ok "run.sh: unknown phase"; else ko "run.sh: unknown phase"; fi
"$SRC/bench/trial.sh" warp anon-fault-double-alloc 1 1 >"$T/o" 2>"$T/e"
[ $? = 2 ] && ok "trial.sh: unknown engine, exit 2" || ko "trial.sh: unknown engine"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
