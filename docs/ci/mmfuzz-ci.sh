#!/usr/bin/env bash
# mmfuzz-ci.sh - one entry point for CI jobs: build, run a tier, write a
# JUnit report and a JSON summary, collect reproducers into an artefact
# directory, exit nonzero on any failure.  See docs/ci.md.
#
#   pr       build; ctest -L 'unit|regress'; mmfuzz hunt (default 120 s)
#   nightly  build; ctest (the preset: everything but 'long'; --long adds
#            it); mmfuzz hunt (default 1800 s); libFuzzer and, if afl++ is
#            installed, AFL++ campaigns (fuzz/campaign/), triaged
#   tests    build; ctest (the preset, or --labels REGEX)
#
# Exit: 0 green, 1 a test failed or something was found, 2 usage error,
# 3 a build or tool failed.
set -u
PROG=mmfuzz-ci.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

usage() {
	cat <<'EOF'
usage: docs/ci/mmfuzz-ci.sh pr|nightly|tests [options]
  pr        build, unit and regress tests, a time-boxed hunt
  nightly   build, the preset's tests, a longer hunt, engine campaigns
  tests     build, the preset's tests (or --labels)
options:
  --bugs LIST          variants for the hunt and campaigns (default:
                       $MMFUZZ_BUGS, else none: the fixed model)
  --time S             hunt seconds (pr 120, nightly 1800)
  --seed N             hunt seed (default 1: the same executions every run)
  --campaign-time S    nightly: seconds per engine campaign (default 1800)
  --engines LIST       nightly: libfuzzer,afl (default: libfuzzer, plus afl
                       when afl-clang-fast is installed; 'none': no campaign)
  --jobs N             hunt workers and campaign processes (0: one per core;
                       default 0)
  --preset P           configure/build/test preset (default: default)
  --labels REGEX       ctest -L REGEX (tests tier; default: the preset's set)
  --long               nightly: also the 'long' ctest tier
  --out DIR            artefact directory (default: mmfuzz-ci-out)
  --no-build           use the existing build
  -h, --help
artefacts: summary.json, junit.xml, hunt.json, repro/ (each finding: the
reproducer, its --compact interleaving table, a minimized trace),
mmfuzz-out/ (hunt's traces), campaigns/ (triage), logs/.
exit: 0 green, 1 failures or findings, 2 usage error, 3 build or tool error
EOF
}
usage_error() { echo "$PROG: $*" >&2; exit 2; }

[ $# -ge 1 ] || usage_error "missing tier: pr, nightly or tests (see --help)"
case $1 in
-h | --help) usage; exit 0 ;;
pr | nightly | tests) TIER=$1; shift ;;
*) usage_error "unknown tier '$1': pr, nightly or tests" ;;
esac

BUGS=${MMFUZZ_BUGS:-none} TIME='' SEED=1 CTIME=1800 ENGINES='' JOBS=0 PRESET=default LABELS=''
LONG=0 ART=mmfuzz-ci-out BUILD=1
while [ $# -gt 0 ]; do
	case $1 in
	--bugs | --time | --seed | --campaign-time | --engines | --jobs | --preset | --labels | --out)
		[ $# -ge 2 ] || usage_error "option $1 needs a value"
		case $1 in
		--bugs) BUGS=$2 ;; --time) TIME=$2 ;; --seed) SEED=$2 ;; --campaign-time) CTIME=$2 ;;
		--engines) ENGINES=$2 ;; --jobs) JOBS=$2 ;; --preset) PRESET=$2 ;;
		--labels) LABELS=$2 ;; --out) ART=$2 ;;
		esac
		shift 2 ;;
	--long) LONG=1; shift ;;
	--no-build) BUILD=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown option '$1' (see --help)" ;;
	esac
done
for v in "$TIME" "$SEED" "$CTIME" "$JOBS"; do
	case $v in *[!0-9]*) usage_error "'$v' is not a number" ;; esac
done
[ -n "$TIME" ] || { [ "$TIER" = nightly ] && TIME=1800 || TIME=120; }
NPROC=$JOBS
[ "$NPROC" -gt 0 ] || NPROC=$(nproc 2>/dev/null || echo 1)
if [ -z "$ENGINES" ]; then
	ENGINES=libfuzzer
	command -v afl-clang-fast >/dev/null && ENGINES=libfuzzer,afl
fi

cd "$ROOT" || exit 3
# The artefact directory: new, empty, or one this script wrote before.
if [ -d "$ART" ] && [ -n "$(ls -A "$ART")" ]; then
	[ -f "$ART/.mmfuzz-ci" ] || usage_error "'$ART' is not empty and was not written by $PROG"
	rm -rf "$ART/summary.json" "$ART/junit.xml" "$ART/hunt.json" "$ART/repro" \
		"$ART/mmfuzz-out" "$ART/campaigns" "$ART/logs"
fi
mkdir -p "$ART/logs" "$ART/repro" && touch "$ART/.mmfuzz-ci" || exit 3
ART=$(cd "$ART" && pwd)
MMFUZZ=$ROOT/build/$PRESET/fuzz/mmfuzz
T0=$SECONDS
STATUS=0                # the exit code so far
: >"$ART/logs/steps"    # name|status|seconds|extra JSON
: >"$ART/logs/repros"   # JSON objects, one a line
JUNIT_PARTS=()

log() { echo "== $PROG: $*"; }
# raise CODE: keep the worst exit code (3 > 1 > 0).
raise() { [ "$1" -gt "$STATUS" ] && STATUS=$1; }
# step NAME STATUS SECONDS [EXTRA_JSON]
step() { echo "$1|$2|$3|${4:-}" >>"$ART/logs/steps"; log "$1: $2 (${3} s)"; }
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
# run_logged LOG CMD...: run with output to the console and LOG; return its exit code.
run_logged() {
	local logf=$1; shift
	{ "$@"; echo $? >"$logf.rc"; } 2>&1 | tee "$logf"
	local rc; rc=$(cat "$logf.rc"); rm -f "$logf.rc"
	return "$rc"
}
# junit_case FILE SUITE NAME [FAILURE_KIND MESSAGE BODY]: a one-case suite.
junit_case() {
	local f=$1 suite=$2 name=$3 kind=${4:-} msg=${5:-} body=${6:-}
	{
		printf '<testsuite name="%s" tests="1" failures="%d" errors="%d">\n' "$suite" \
			"$([ "$kind" = failure ] && echo 1 || echo 0)" "$([ "$kind" = error ] && echo 1 || echo 0)"
		printf '  <testcase classname="%s" name="%s">\n' "$suite" "$(printf '%s' "$name" | xml_escape)"
		[ -n "$kind" ] && printf '    <%s message="%s">%s</%s>\n' "$kind" \
			"$(printf '%s' "$msg" | xml_escape)" "$(printf '%s' "$body" | xml_escape)" "$kind"
		printf '  </testcase>\n</testsuite>\n'
	} >"$f"
	JUNIT_PARTS+=("$f")
}

finish() {
	# junit.xml: every ctest report and the hunt/campaign suites in one file.
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo "<testsuites name=\"mmfuzz-ci $TIER\">"
		for p in "${JUNIT_PARTS[@]}"; do grep -v '^<?xml' "$p"; done
		echo '</testsuites>'
	} >"$ART/junit.xml"
	local commit
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	{
		printf '{\n  "tier": "%s",\n  "result": "%s",\n  "exit_code": %d,\n' "$TIER" \
			"$([ "$STATUS" = 0 ] && echo pass || echo fail)" "$STATUS"
		printf '  "commit": "%s",\n  "preset": "%s",\n  "bugs": "%s",\n  "seconds": %d,\n' \
			"$commit" "$PRESET" "$BUGS" $((SECONDS - T0))
		printf '  "steps": ['
		local sep=""
		while IFS='|' read -r n s t x; do
			printf '%s\n    {"name": "%s", "status": "%s", "seconds": %s%s}' "$sep" "$n" "$s" "$t" \
				"${x:+, $x}"
			sep=,
		done <"$ART/logs/steps"
		printf '\n  ],\n  "reproducers": ['
		sep=""
		while read -r line; do printf '%s\n    %s' "$sep" "$line"; sep=,; done <"$ART/logs/repros"
		printf '\n  ]\n}\n'
	} >"$ART/summary.json"
	echo
	log "$TIER: $([ "$STATUS" = 0 ] && echo GREEN || echo RED) (exit $STATUS) in $((SECONDS - T0)) s"
	while IFS='|' read -r n s t x; do printf '  %-22s %-8s %5s s\n' "$n" "$s" "$t"; done <"$ART/logs/steps"
	if [ -s "$ART/logs/repros" ]; then
		echo "  reproducers in $ART/repro/:"
		sed 's/.*"file": "\([^"]*\)".*"class": "\([^"]*\)", "replays": \([a-z]*\).*/    \1  \2  replays: \3/' \
			"$ART/logs/repros"
	fi
	echo "  report: $ART/junit.xml, $ART/summary.json"
	exit "$STATUS"
}

build() {
	local p=$1 t=$SECONDS
	log "build preset $p"
	if cmake --preset "$p" >"$ART/logs/build-$p.log" 2>&1 &&
		cmake --build --preset "$p" >>"$ART/logs/build-$p.log" 2>&1; then
		step "build-$p" pass $((SECONDS - t))
		return 0
	fi
	tail -30 "$ART/logs/build-$p.log"
	step "build-$p" error $((SECONDS - t))
	junit_case "$ART/logs/junit-build-$p.xml" build "build preset $p" error "build failed" \
		"$(tail -30 "$ART/logs/build-$p.log")"
	raise 3
	return 1
}

# run_ctest NAME ARGS...: ctest with a JUnit report; counts from the report.
run_ctest() {
	local name=$1 t=$SECONDS; shift
	local xml=$ART/logs/junit-ctest-$name.xml
	log "ctest $*"
	run_logged "$ART/logs/ctest-$name.log" ctest "$@" --no-tests=error --output-junit "$xml"
	local rc=$?
	if [ ! -s "$xml" ]; then
		step "ctest-$name" error $((SECONDS - t))
		junit_case "$ART/logs/junit-ctest-$name-error.xml" ctest "ctest $name" error \
			"ctest exit $rc, no report" "$(tail -20 "$ART/logs/ctest-$name.log")"
		raise 3
		return
	fi
	sed -i "s/<testsuite name=\"(empty)\"/<testsuite name=\"ctest-$name\"/" "$xml"
	JUNIT_PARTS+=("$xml")
	local n f
	n=$(sed -n 's/^[[:space:]]*tests="\([0-9]*\)".*/\1/p' "$xml" | head -1)
	f=$(sed -n 's/^[[:space:]]*failures="\([0-9]*\)".*/\1/p' "$xml" | head -1)
	if [ "$rc" = 0 ]; then
		step "ctest-$name" pass $((SECONDS - t)) "\"tests\": ${n:-0}, \"failed\": ${f:-0}"
	else
		step "ctest-$name" fail $((SECONDS - t)) "\"tests\": ${n:-0}, \"failed\": ${f:-0}"
		raise 1
	fi
}

# add_repro FILE SOURCE [BUGS [NAME]]: copy a finding into repro/ (as NAME),
# check that it replays (exit 1), write its interleaving table and a
# minimized trace.
add_repro() {
	local src=$1 from=$2 bugs=${3:-} base=${4:-$(basename "$1")}
	cp "$src" "$ART/repro/$base" || return
	local f=$ART/repro/$base stem=$ART/repro/${base%.*} bargs=()
	[ -n "$bugs" ] && bargs=(--bugs "$bugs")
	# an engine's crash file is raw input bytes, not a trace or reproducer
	head -c 13 "$f" | grep -q '^mmfuzz-\(trace\|repro\) ' || bargs+=(--raw)
	"$MMFUZZ" replay "$f" "${bargs[@]}" --compact >"$stem.txt" 2>&1
	local rc=$?
	# the class of the replay: 'reproduced: C' (a trace or reproducer),
	# 'result: C' (raw, no --bugs), 'under bugs=LIST: C (recorded: R)'
	# (--bugs), 'note: the trace recorded 'R', this run gives 'C''
	local cls
	cls=$(sed -n -e 's/^reproduced: //p' -e 's/^result: //p' \
		-e 's/^under bugs=[^:]*: \([^ ]*\).*/\1/p' \
		-e "s/^note: the [a-z]* recorded '[^']*', this run gives '\([^']*\)'.*/\1/p" \
		"$stem.txt" | head -1)
	local min=""
	if [ "$rc" = 1 ] && timeout 120 "$MMFUZZ" minimize "$f" "${bargs[@]}" -o "$stem.min.trace" \
		--runs 1000 --quiet >/dev/null 2>&1; [ -s "$stem.min.trace" ]; then
		min=", \"minimized\": \"repro/$(basename "$stem").min.trace\""
	fi
	local cmd="mmfuzz replay repro/$base${bugs:+ --bugs $bugs}"
	case " ${bargs[*]} " in *" --raw "*) cmd="$cmd --raw" ;; esac
	echo "{\"file\": \"repro/$base\", \"from\": \"$from\", \"class\": \"${cls:-none}\", \"replays\": $([ "$rc" = 1 ] && echo true || echo false), \"replay\": \"$cmd\"$min}" >>"$ART/logs/repros"
}

hunt() {
	local t=$SECONDS
	local seedopt=""
	[ "$SEED" = 1 ] || seedopt=" --seed $SEED"
	log "hunt --bugs $BUGS --time $TIME --jobs $JOBS$seedopt"
	run_logged "$ART/logs/hunt.log" "$MMFUZZ" hunt --bugs "$BUGS" --jobs "$JOBS" --time "$TIME" \
		--seed "$SEED" --out "$ART/mmfuzz-out" --json "$ART/hunt.json"
	local rc=$? xml=$ART/logs/junit-hunt.xml
	local execs findings
	execs=$(sed -n 's/^  "executions": \([0-9]*\),/\1/p' "$ART/hunt.json" 2>/dev/null)
	findings=$(grep -c '"reproducer":' "$ART/hunt.json" 2>/dev/null)
	local extra="\"executions\": ${execs:-0}, \"findings\": ${findings:-0}"
	if [ "$rc" = 0 ]; then
		step hunt pass $((SECONDS - t)) "$extra"
		junit_case "$xml" mmfuzz-hunt "hunt bugs=$BUGS ${TIME}s: ${execs:-0} executions, no finding"
		return
	fi
	if [ "$rc" != 1 ] || [ ! -s "$ART/hunt.json" ]; then
		step hunt error $((SECONDS - t)) "$extra"
		junit_case "$xml" mmfuzz-hunt "hunt bugs=$BUGS" error "hunt exit $rc" \
			"$(tail -20 "$ART/logs/hunt.log")"
		raise 3
		return
	fi
	step hunt fail $((SECONDS - t)) "$extra"
	raise 1
	# One JUnit case per distinct finding.
	{
		printf '<testsuite name="mmfuzz-hunt" tests="%d" failures="%d" errors="0">\n' "$findings" "$findings"
		sed -n 's/.*"signature": "\(.*\)", "reproducer": "\(.*\)"}.*/\1|\2/p' "$ART/hunt.json" |
		while IFS='|' read -r cls variants site rest; do
			local text=${rest%|*} file=${rest##*|}
			printf '  <testcase classname="mmfuzz-hunt" name="%s">\n' \
				"$(printf '%s (%s) at %s' "$cls" "$variants" "$site" | xml_escape)"
			printf '    <failure message="%s">replay: mmfuzz replay repro/%s&#10;check a fix: mmfuzz replay repro/%s --bugs none</failure>\n' \
				"$(printf '%s' "$text" | xml_escape)" "$(basename "$file")" "$(basename "$file")"
			printf '  </testcase>\n'
		done
		printf '</testsuite>\n'
	} >"$xml"
	JUNIT_PARTS+=("$xml")
	sed -n 's/.*"reproducer": "\(.*\)"}.*/\1/p' "$ART/hunt.json" | while read -r f; do
		add_repro "$f" hunt
	done
}

# campaign ENGINE: a libFuzzer or AFL++ campaign, then triage.
campaign() {
	local e=$1 t=$SECONDS
	local dir=$ART/campaigns/$e work=$ROOT/build/ci-campaigns/$e
	mkdir -p "$dir"
	build "$e" || return
	log "$e campaign: $NPROC process(es), $CTIME s, bugs $BUGS (working directory $work)"
	rm -rf "$work"
	run_logged "$dir/campaign.log" "fuzz/campaign/$e.sh" -n "$NPROC" -t "$CTIME" -b "$BUGS" \
		-o "$work" --status 300
	local rc=$? xml=$ART/logs/junit-$e.xml
	fuzz/campaign/triage.sh -q "$work" --json "$dir/triage.json" >"$dir/triage.txt" 2>&1
	cat "$dir/triage.txt"
	cp "$work/campaign.env" "$dir/" 2>/dev/null
	case $rc in
	0) step "campaign-$e" pass $((SECONDS - t))
	   junit_case "$xml" "mmfuzz-$e" "$e campaign bugs=$BUGS ${CTIME}s: no crash" ;;
	1) step "campaign-$e" fail $((SECONDS - t))
	   junit_case "$xml" "mmfuzz-$e" "$e campaign bugs=$BUGS ${CTIME}s" failure "crashes saved" \
		"$(cat "$dir/triage.txt")"
	   raise 1
	   # One example per failing triage group (its smallest file).
	   awk -F'"' '/"outcome":/ { o = $4 } /"example":/ && o == "failure" { print $4 }' \
		"$dir/triage.json" | while read -r f; do
		local name bugs=$BUGS
		case $f in
		*.repro) name=$(basename "$f"); bugs='' ;;
		*/crashes/id:* | */hangs/id:*)
			# AFL++ names (id:000001,sig:06,...) are not valid artefact
			# names everywhere: afl-<instance>-<id>.bin
			name=afl-$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f" |
				sed 's/^id:\([0-9]*\).*/\1/').bin ;;
		*) name=$e-$(basename "$f") ;;
		esac
		add_repro "$f" "$e" "$bugs" "$name"
	   done ;;
	*) step "campaign-$e" error $((SECONDS - t))
	   junit_case "$xml" "mmfuzz-$e" "$e campaign" error "exit $rc" "$(tail -20 "$dir/campaign.log")"
	   raise 3 ;;
	esac
}

if [ "$BUILD" = 1 ]; then
	build "$PRESET" || finish
fi
[ -x "$MMFUZZ" ] || { echo "$PROG: no $MMFUZZ (build first)" >&2; raise 3; finish; }

case $TIER in
tests)
	if [ -n "$LABELS" ]; then
		run_ctest tests --preset "$PRESET" -L "$LABELS"
	else
		run_ctest tests --preset "$PRESET"
	fi ;;
pr)
	run_ctest pr --preset "$PRESET" -L 'unit|regress'
	hunt ;;
nightly)
	run_ctest nightly --preset "$PRESET"
	[ "$LONG" = 1 ] && run_ctest long --test-dir "build/$PRESET" -L long
	hunt
	case ,$ENGINES, in *,libfuzzer,*) campaign libfuzzer ;; esac
	case ,$ENGINES, in *,afl,*) campaign afl ;; esac ;;
esac
finish
